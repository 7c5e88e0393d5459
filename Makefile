# libarn: `make` builds the library and the header, `make test` runs every
# test, `make example` runs the tour. Needs only cargo and a C compiler.

CARGO   ?= cargo
CC      ?= cc
CXX     ?= c++
PREFIX  ?= /usr/local

OUT     := target/release
# The tracking build (cargo feature `track`): tells AddressSanitizer and
# valgrind which bytes inside the allocators are live.
TRACKDIR := target/track/release
BUILD   := build
CSTRICT := -std=c11 -Wall -Wextra -Wpedantic -Werror
CFLAGS  ?= -O2 -g
CXXSTRICT := -std=c++17 -Wall -Wextra -Wpedantic -Werror
LINK    := -L$(OUT) -larn -Wl,-rpath,$(CURDIR)/$(OUT) -pthread
TLINK   := -L$(TRACKDIR) -larn -Wl,-rpath,$(CURDIR)/$(TRACKDIR) -pthread
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

.PHONY: all lib lib-track header header-check test cargo-test loom c-test link-check consumer-test python-test \
        example bench callgrind-bytes callgrind-chunk callgrind asan valgrind wrong-asan wrong-valgrind \
        track-stress fuzz miri lint clean

all: lib header

lib:
	$(CARGO) build --release
	ln -sf libarn.so $(OUT)/libarn.so.0

# The tracking flavour, target/track/release/libarn.so and .a: the same
# library, plus red zones and the poisoning AddressSanitizer and valgrind
# read (src/track.rs). `make asan` and `make valgrind` test it.
lib-track:
	CARGO_TARGET_DIR=target/track $(CARGO) build --release --features track
	ln -sf libarn.so $(TRACKDIR)/libarn.so.0

# Regenerates include/arn.h from the sources (tests/header.rs runs cbindgen).
header:
	ARN_BLESS=1 $(CARGO) test --quiet --test header

# Fails when the committed header differs from a fresh one.
header-check:
	$(CARGO) test --quiet --test header

test: cargo-test header-check c-test link-check consumer-test python-test loom

# The second and third lines run what needs the async and raw-access
# features: arn's async tests, the wake hooks, and the copied test suites of
# arena-alligator and arena-arc against arn::compat (tests/compat) with the
# compat doc tests.
cargo-test:
	$(CARGO) test
	$(CARGO) test --features async-alloc,hazmat-raw-access --lib -- async wake_hook
	$(CARGO) test --features async-alloc,hazmat-raw-access --test compat
	$(CARGO) test --features async-alloc,hazmat-raw-access --doc compat

# Loom models of the byte arenas' lock-free paths (src/*/loom_tests.rs). The
# cfg is the crate's own (`arn_loom`): `--cfg loom` would also switch tokio
# and arena-alligator, our dev-dependencies, into loom modes that do not
# build outside their own repositories.
loom:
	RUSTFLAGS="--cfg arn_loom" CARGO_TARGET_DIR=target/loom $(CARGO) test --release --lib loom_tests

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
# chunk slices) built with the tracking layer and run under memcheck, which
# sees arn's own accesses as well as the tests': a slot poisoned after
# another thread got it, or read after it went back, is an error here.
track-stress: | $(BUILD)
	@bin=$$(CARGO_TARGET_DIR=target/track $(CARGO) test --release --features track --lib --no-run 2>&1 \
	  | sed -n 's/.*(\(.*deps\/arn-[^)]*\)).*/\1/p' | head -n 1); \
	  valgrind -q --error-exitcode=1 $$bin --test-threads=1 two_threads_trade_bytes \
	    slices_cloned_and_dropped_on_other_threads last_handles_race_on_two_threads

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
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  ASAN_OPTIONS=allocator_may_return_null=1 $(CARGO) +nightly fuzz run $$t -- \
	    -max_total_time=$(FUZZ_TIME) -max_len=2048 -len_control=0 -rss_limit_mb=4096 -malloc_limit_mb=4096 \
	    -print_final_stats=1; \
	done

# Criterion, side by side with bumpalo, malloc and arena-alligator, after
# the instruction counts.
bench: callgrind callgrind-bytes callgrind-chunk
	$(CARGO) bench --bench alloc
	$(CARGO) bench --bench bytes
	$(CARGO) bench --bench chunk
	$(CARGO) bench --bench grow

# Instructions per byte-arena roundtrip, ours and arena-alligator's.
callgrind-bytes:
	@bin=$$($(CARGO) bench --bench bytes --no-run 2>&1 | sed -n 's/.*(\(.*deps\/bytes-[^)]*\)).*/\1/p' | head -n 1); \
	  ./benches/callgrind_bytes.sh "$$bin"

# Instructions per shared-slice op, ours, arena-arc's and Arc<[u64]>'s.
callgrind-chunk:
	@bin=$$($(CARGO) bench --bench chunk --no-run 2>&1 | sed -n 's/.*(\(.*deps\/chunk-[^)]*\)).*/\1/p' | head -n 1); \
	  ./benches/callgrind_chunk.sh "$$bin"

# Instructions per call, counted by callgrind (repeatable on a noisy box):
# the C driver linked to the shared and the static library, and the Rust
# twins from the bench binaries.
callgrind: lib | $(BUILD)
	$(CC) $(CSTRICT) -O2 -g -Iinclude benches/callgrind.c -o $(BUILD)/callgrind $(LINK)
	$(CC) $(CSTRICT) -O2 -g -Iinclude benches/callgrind.c -o $(BUILD)/callgrind_static \
	  $(OUT)/libarn.a -lpthread -ldl -lm
	@alloc=$$($(CARGO) bench --bench alloc --no-run 2>&1 | sed -n 's/.*(\(.*deps\/alloc-[^)]*\)).*/\1/p' | head -n 1); \
	  bytes=$$($(CARGO) bench --bench bytes --no-run 2>&1 | sed -n 's/.*(\(.*deps\/bytes-[^)]*\)).*/\1/p' | head -n 1); \
	  ./benches/callgrind.sh $(BUILD)/callgrind $(BUILD)/callgrind_static "$$alloc" "$$bytes"

# Undefined-behaviour check of the Rust unit tests (needs nightly + miri;
# not part of `make test`, which uses stable only).
miri:
	PROPTEST_CASES=8 MIRIFLAGS=-Zmiri-disable-isolation $(CARGO) +nightly miri test --lib

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

clean:
	$(CARGO) clean
	rm -rf $(BUILD)

include pkg/install.mk
