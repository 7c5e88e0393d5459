# libarn: `make` builds the library (and nothing else), `make test` runs
# every test, `make example` runs the tour. Needs only cargo and a C
# compiler. Honours CARGO_TARGET_DIR.

CARGO   ?= cargo
CC      ?= cc
CXX     ?= c++
PREFIX  ?= /usr/local

TARGET  := $(or $(CARGO_TARGET_DIR),target)
OUT     := $(TARGET)/release
# The tracking build (cargo feature `track`): tells AddressSanitizer and
# valgrind which bytes inside the allocators are live.
TRACKDIR := $(TARGET)/track/release
BUILD   := build
CSTRICT := -std=c11 -Wall -Wextra -Wpedantic -Werror
CFLAGS  ?= -O2 -g
CXXSTRICT := -std=c++17 -Wall -Wextra -Wpedantic -Werror
LINK    := -L$(OUT) -larn -Wl,-rpath,$(abspath $(OUT)) -pthread
TLINK   := -L$(TRACKDIR) -larn -Wl,-rpath,$(abspath $(TRACKDIR)) -pthread
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
VALGRIND := valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite

C_TESTS := $(patsubst c_tests/%.c,%,$(wildcard c_tests/test_*.c))
CXX_TESTS := $(patsubst c_tests/%.cpp,%,$(wildcard c_tests/test_*.cpp))
HEADER  := include/arn.h

# $(call build_each,FLAGS,PREFIX[,LINK]): compiles every C and C++ test
# (arn.hpp) to build/PREFIXtest_x, linked with LINK (default: the normal
# library).
build_each = set -e; for t in $(C_TESTS); do \
	  $(CC) $(CSTRICT) $(1) -Iinclude c_tests/$$t.c -o $(BUILD)/$(2)$$t $(or $(3),$(LINK)); \
	done; \
	for t in $(CXX_TESTS); do \
	  $(CXX) $(CXXSTRICT) $(1) -Iinclude c_tests/$$t.cpp -o $(BUILD)/$(2)$$t $(or $(3),$(LINK)); \
	done
# $(call run_each,RUNNER,PREFIX): runs them all, fails if any failed.
run_each = fail=0; for t in $(C_TESTS) $(CXX_TESTS); do \
	  printf '%s: ' $$t; $(1) ./$(BUILD)/$(2)$$t || fail=1; \
	done; exit $$fail

.PHONY: all lib lib-track header header-check test test-rest loom-quiet cargo-test loom c-test link-check \
        consumer-test python-test example bench chart callgrind-bytes callgrind-chunk callgrind asan valgrind \
        examples-hooks bench-hooks \
        wrong-asan wrong-valgrind track-stress stress fuzz fuzz-track miri lint clean

# The library only: no dev-dependency is built and no file is written
# outside the target directory. include/arn.h is committed; `make header`
# regenerates it.
all: lib

lib:
	$(CARGO) build --release
	ln -sf libarn.so $(OUT)/libarn.so.0

# The tracking flavour, target/track/release/libarn.so and .a: the same
# library, plus red zones and the poisoning AddressSanitizer and valgrind
# read (src/track.rs). `make asan` and `make valgrind` test it.
lib-track:
	CARGO_TARGET_DIR=$(TARGET)/track $(CARGO) build --release --features track
	ln -sf libarn.so $(TRACKDIR)/libarn.so.0

# Regenerates include/arn.h from the sources (tests/header.rs runs cbindgen).
header:
	ARN_BLESS=1 $(CARGO) test --quiet --features async --test header

# Fails when the committed header differs from a fresh one (`make test`
# runs this check with the other cargo tests).
header-check:
	$(CARGO) test --quiet --features async --test header

# The loom build shares nothing with the others, so it runs beside them;
# its output comes in one piece when it is done.
test:
	@$(MAKE) --no-print-directory -j2 test-rest loom-quiet

test-rest:
	@$(MAKE) --no-print-directory cargo-test
	@$(MAKE) --no-print-directory c-test
	@$(MAKE) --no-print-directory link-check
	@$(MAKE) --no-print-directory consumer-test
	@$(MAKE) --no-print-directory python-test

loom-quiet:
	@mkdir -p $(TARGET); $(MAKE) --no-print-directory loom > $(TARGET)/loom.log 2>&1; \
	  status=$$?; echo "--- make loom ---"; cat $(TARGET)/loom.log; exit $$status

# Unit, model, doc, README and header tests in one build, with the
# features that bring the async arenas (async-alloc implies async), the
# copied test suites of arena-alligator and arena-arc against arn::compat
# (tests/compat), and the raw access of its hazmat module. `+` (here and in
# loom): cargo takes part in make's jobserver, so the two builds `make test`
# runs side by side share the cores (and `make -n test` runs them).
cargo-test:
	+$(CARGO) test --features async-alloc,hazmat-raw-access

# Loom models of the lock-free paths (src/*/loom_tests.rs), in a build of
# their own: the crate's cfg `arn_loom` swaps in loom's atomics and locks
# (`--cfg loom` would also switch dependencies into loom modes that do not
# build here). That build leaves out the dev-dependencies the models do not
# use (Cargo.toml) and uses the `loom` profile (optimized, quick to
# compile). Models with a waiter explore up to 5 preemptions;
# `LOOM_MAX_PREEMPTIONS=N make loom` explores deeper.
loom:
	+RUSTFLAGS="--cfg arn_loom" CARGO_TARGET_DIR=$(TARGET)/loom $(CARGO) test --profile loom --lib loom_tests

$(BUILD):
	mkdir -p $(BUILD)

c-test: lib | $(BUILD)
	@$(call build_each,$(CFLAGS),)
	@$(call run_each,,)

# The static library links on its own, and the header compiles as C++.
link-check: lib | $(BUILD)
	$(CC) $(CSTRICT) $(CFLAGS) -Iinclude examples/tour.c -o $(BUILD)/tour_static \
	  $(OUT)/libarn.a -lpthread -ldl -lm
	./$(BUILD)/tour_static >/dev/null
	@if command -v $(CXX) >/dev/null 2>&1; then \
	  $(CXX) -std=c++17 -Wall -Wextra -Wpedantic -Werror -Iinclude c_tests/header_cxx.cpp \
	    -o $(BUILD)/header_cxx $(LINK) && ./$(BUILD)/header_cxx && echo "link-check: static C and C++ ok"; \
	else echo "link-check: no C++ compiler, C++ header check skipped"; fi

# Installs into a temporary DESTDIR and builds the README's C, C++ and
# CMake consumers against it (pkg-config, find_package, shared and static).
consumer-test: lib
	./tests/consumer/run.sh

# The Python package's tests (python/tests) on the library just built;
# skipped only when there is no python3.
python-test: lib
	@if ! command -v python3 >/dev/null 2>&1; then \
	  echo "python-test: python3 missing: Python tests skipped"; \
	elif ! python3 -c 'import pytest' >/dev/null 2>&1; then \
	  echo "python-test: pytest missing (python3 -m pip install pytest)"; exit 1; \
	else \
	  ARN_LIBRARY=$(CURDIR)/$(OUT)/libarn.so PYTHONDONTWRITEBYTECODE=1 \
	    python3 -m pytest -q -p no:cacheprovider python/tests; \
	fi

example: lib | $(BUILD)
	$(CC) $(CSTRICT) $(CFLAGS) -Iinclude examples/tour.c -o $(BUILD)/tour $(LINK)
	./$(BUILD)/tour

# The growing arena under library allocator hooks (examples/hooks/): each
# program is built and run when pkg-config finds its library's development
# package (any of the names after the colon), and skipped with a message
# when not.
HOOKS := lua:lua5.4,lua-5.4,lua54,lua sqlite:sqlite3 cjson:libcjson zlib:zlib curl:libcurl
examples-hooks: lib | $(BUILD)
	@for h in $(HOOKS); do \
	  name=$${h%%:*}; found=; \
	  for pkg in $$(echo $${h#*:} | tr , ' '); do \
	    if pkg-config --exists $$pkg 2>/dev/null; then found=$$pkg; break; fi; \
	  done; \
	  if [ -z "$$found" ]; then \
	    echo "examples-hooks: $$name skipped: no development package ($${h#*:}) found by pkg-config"; \
	    continue; \
	  fi; \
	  $(CC) $(CSTRICT) $(CFLAGS) -Iinclude $$(pkg-config --cflags $$found) examples/hooks/$$name.c \
	    -o $(BUILD)/hook_$$name $(LINK) $$(pkg-config --libs $$found) || exit 1; \
	  ./$(BUILD)/hook_$$name || exit 1; \
	done

# The C tests under AddressSanitizer and UBSan, against the tracking
# library, then the misuse suite: each of c_tests/wrong/ must be reported.
asan: lib-track | $(BUILD)
	@$(call build_each,-O1 -g $(SAN) -DARN_TRACKED,asan_,$(TLINK))
	@$(call run_each,ASAN_OPTIONS=detect_leaks=1,asan_)
	@$(MAKE) --no-print-directory wrong-asan

# The C tests under valgrind's memcheck, against the tracking library,
# then the misuse suite.
valgrind: lib-track | $(BUILD)
	@$(call build_each,$(CFLAGS) -DARN_TRACKED,vg_,$(TLINK))
	@$(call run_each,$(VALGRIND),vg_)
	@$(MAKE) --no-print-directory wrong-valgrind track-stress

# The thread-safe families' two-thread tests (fixed and buddy byte arenas,
# chunk slices, frozen bytes, the handle table, the locked growing arena
# with small blocks and with large ones the memory source resizes) built
# with the tracking layer and run under memcheck, which sees arn's own
# accesses as well as the tests': a slot poisoned after another thread got
# it, or read after it went back, is an error here. Then the containers'
# tests, whose spare capacity and old blocks are poisoned in that build:
# arn must never touch them itself.
track-stress: | $(BUILD)
	@bin=$$(CARGO_TARGET_DIR=$(TARGET)/track $(CARGO) test --release --features track --lib --no-run 2>&1 \
	  | sed -n 's/.*(\(.*deps\/arn-[^)]*\)).*/\1/p' | head -n 1); \
	  valgrind -q --error-exitcode=1 $$bin --test-threads=1 two_threads_trade_bytes \
	    slices_cloned_and_dropped_on_other_threads last_handles_race_on_two_threads \
	    threads_share_and_drop_at_once handles_made_on_one_thread_are_freed_on_another \
	    the_shared_arena_serves_threads large_blocks_resize_while_other_threads_work && \
	  PROPTEST_CASES=16 valgrind -q --error-exitcode=1 $$bin --test-threads=1 collections::

# Limits too heavy for `make test`: the real handle table filled with
# 2^24 live objects (about 2 GB of slots, a few seconds in release), its
# clean error checked and every slot given back.
stress:
	$(CARGO) test --release --lib -- --ignored --exact --nocapture --test-threads=1 \
	  ffi::handle::tests::the_global_table_fills_up_cleanly_and_works_afterwards

# The misuse suite alone (c_tests/wrong/run.sh says what it checks).
wrong-asan: lib-track | $(BUILD)
	@CC="$(CC)" c_tests/wrong/run.sh asan $(TRACKDIR) $(BUILD)/wrong

wrong-valgrind: lib-track | $(BUILD)
	@CC="$(CC)" c_tests/wrong/run.sh valgrind $(TRACKDIR) $(BUILD)/wrong

# The fuzz targets (fuzz/, nightly and cargo-fuzz), FUZZ_TIME seconds each;
# new inputs land in fuzz/corpus/<target>/ (minimize with `cargo +nightly
# fuzz cmin <target>` before committing). `make test` replays that corpus
# with stable Rust (tests/fuzz_corpus.rs).
FUZZ_TIME    ?= 600
FUZZ_TARGETS := calls grow_trace byte_arenas
FUZZ_ARGS     = -max_total_time=$(FUZZ_TIME) -max_len=2048 -len_control=0 -rss_limit_mb=4096 \
                -malloc_limit_mb=4096 -print_final_stats=1
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  ASAN_OPTIONS=allocator_may_return_null=1 $(CARGO) +nightly fuzz run $$t -- $(FUZZ_ARGS); \
	done

# The same with the tracking layer built in and AddressSanitizer's
# interface exported for it to find: arn's own accesses to memory it
# poisoned are reported too, not only the bodies'.
fuzz-track:
	@set -e; cd fuzz; for t in $(FUZZ_TARGETS); do \
	  RUSTFLAGS="-C link-arg=-Wl,--export-dynamic" ASAN_OPTIONS=allocator_may_return_null=1 \
	    $(CARGO) +nightly fuzz run --features track $$t -- $(FUZZ_ARGS); \
	done

# Criterion, side by side with bumpalo, malloc and arena-alligator, after
# the instruction counts.
bench: callgrind callgrind-bytes callgrind-chunk
	$(CARGO) bench -p arn-benches --bench alloc
	$(CARGO) bench -p arn-benches --bench bytes
	$(CARGO) bench -p arn-benches --bench chunk
	$(CARGO) bench -p arn-benches --bench cpath
	$(CARGO) bench -p arn-benches --bench grow
	$(MAKE) chart

# The README's performance chart, from the last `make bench` (python3, its
# standard library only).
chart:
	python3 benches/chart.py $(TARGET)/criterion > benches/chart.svg

# The growing arena under SQLite, Lua and a malloc/realloc/free trace
# against glibc: medians of time and peak RSS, and their ratios
# (benches/hooks/run.sh; ROUNDS=n sets the runs per allocator).
bench-hooks: lib | $(BUILD)
	./benches/hooks/run.sh $(BUILD) $(LINK)

# Instructions per byte-arena roundtrip, ours and arena-alligator's.
callgrind-bytes:
	@bin=$$($(CARGO) bench -p arn-benches --bench bytes --no-run 2>&1 | sed -n 's/.*(\(.*deps\/bytes-[^)]*\)).*/\1/p' | head -n 1); \
	  ./benches/callgrind_bytes.sh "$$bin"

# Instructions per shared-slice op, ours, arena-arc's and Arc<[u64]>'s.
callgrind-chunk:
	@bin=$$($(CARGO) bench -p arn-benches --bench chunk --no-run 2>&1 | sed -n 's/.*(\(.*deps\/chunk-[^)]*\)).*/\1/p' | head -n 1); \
	  ./benches/callgrind_chunk.sh "$$bin"

# Instructions per call, counted by callgrind (repeatable on a noisy box):
# the C driver linked to the shared and the static library, and the Rust
# twins from the bench binaries.
callgrind: lib | $(BUILD)
	$(CC) $(CSTRICT) -O2 -g -Iinclude benches/callgrind.c -o $(BUILD)/callgrind $(LINK)
	$(CC) $(CSTRICT) -O2 -g -Iinclude benches/callgrind.c -o $(BUILD)/callgrind_static \
	  $(OUT)/libarn.a -lpthread -ldl -lm
	@alloc=$$($(CARGO) bench -p arn-benches --bench alloc --no-run 2>&1 | sed -n 's/.*(\(.*deps\/alloc-[^)]*\)).*/\1/p' | head -n 1); \
	  bytes=$$($(CARGO) bench -p arn-benches --bench bytes --no-run 2>&1 | sed -n 's/.*(\(.*deps\/bytes-[^)]*\)).*/\1/p' | head -n 1); \
	  chunk=$$($(CARGO) bench -p arn-benches --bench chunk --no-run 2>&1 | sed -n 's/.*(\(.*deps\/chunk-[^)]*\)).*/\1/p' | head -n 1); \
	  cpath=$$($(CARGO) bench -p arn-benches --bench cpath --no-run 2>&1 | sed -n 's/.*(\(.*deps\/cpath-[^)]*\)).*/\1/p' | head -n 1); \
	  ./benches/callgrind.sh $(BUILD)/callgrind $(BUILD)/callgrind_static "$$alloc" "$$bytes" "$$chunk" "$$cpath"
	@bin=$$($(CARGO) bench -p arn-benches --bench grow --no-run 2>&1 | sed -n 's/.*(\(.*deps\/grow-[^)]*\)).*/\1/p' | head -n 1); \
	  ./benches/callgrind_grow.sh $(BUILD)/callgrind "$$bin"

# Undefined-behaviour check of the Rust unit tests (needs nightly + miri;
# not part of `make test`, which uses stable only).
miri:
	PROPTEST_CASES=8 MIRIFLAGS=-Zmiri-disable-isolation $(CARGO) +nightly miri test --lib

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy --workspace --all-targets --all-features -- -D warnings

clean:
	$(CARGO) clean
	rm -rf $(BUILD)

include pkg/install.mk
