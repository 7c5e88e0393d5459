# libarn: `make` builds the library (and nothing else), `make test` runs
# every test, `make example` runs the tour. Needs only cargo and a C
# compiler. Honours CARGO_TARGET_DIR.

CARGO   ?= cargo
CC      ?= cc
CXX     ?= c++
PREFIX  ?= /usr/local

TARGET  := $(or $(CARGO_TARGET_DIR),target)
LIBDIR  := $(TARGET)/release
BUILD   := build
CSTRICT := -std=c11 -Wall -Wextra -Wpedantic -Werror
CFLAGS  ?= -O2 -g
LINK    := -L$(LIBDIR) -larn -Wl,-rpath,$(abspath $(LIBDIR)) -pthread
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

C_TESTS := $(patsubst c_tests/%.c,%,$(wildcard c_tests/test_*.c))
HEADER  := include/arn.h

# $(call build_each,FLAGS,PREFIX): compiles every C test to build/PREFIXtest_x.
build_each = set -e; for t in $(C_TESTS); do \
	  $(CC) $(CSTRICT) $(1) -Iinclude c_tests/$$t.c -o $(BUILD)/$(2)$$t $(LINK); \
	done
# $(call run_each,RUNNER,PREFIX): runs them all, fails if any failed.
run_each = fail=0; for t in $(C_TESTS); do \
	  printf '%s: ' $$t; $(1) ./$(BUILD)/$(2)$$t || fail=1; \
	done; exit $$fail

.PHONY: all lib header header-check test test-rest loom-quiet cargo-test loom c-test link-check example bench chart callgrind-bytes callgrind-chunk \
        callgrind asan valgrind miri lint install clean

# The library only: no dev-dependency is built and no file is written
# outside the target directory. include/arn.h is committed; `make header`
# regenerates it.
all: lib

lib:
	$(CARGO) build --release
	ln -sf libarn.so $(LIBDIR)/libarn.so.0

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

loom-quiet:
	@mkdir -p $(TARGET); $(MAKE) --no-print-directory loom > $(TARGET)/loom.log 2>&1; \
	  status=$$?; echo "--- make loom ---"; cat $(TARGET)/loom.log; exit $$status

# Unit, model, doc, README and header tests, the async ones included, in
# one build. `+` (here and in loom): cargo takes part in make's jobserver,
# so the two builds `make test` runs side by side share the cores (and
# `make -n test` runs them).
cargo-test:
	+$(CARGO) test --features async

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
	  $(LIBDIR)/libarn.a -lpthread -ldl -lm
	./$(BUILD)/tour_static >/dev/null
	@if command -v $(CXX) >/dev/null 2>&1; then \
	  $(CXX) -std=c++17 -Wall -Wextra -Wpedantic -Werror -Iinclude c_tests/header_cxx.cpp \
	    -o $(BUILD)/header_cxx $(LINK) && ./$(BUILD)/header_cxx && echo "link-check: static C and C++ ok"; \
	else echo "link-check: no C++ compiler, C++ header check skipped"; fi

example: lib | $(BUILD)
	$(CC) $(CSTRICT) $(CFLAGS) -Iinclude examples/tour.c -o $(BUILD)/tour $(LINK)
	./$(BUILD)/tour

asan: lib | $(BUILD)
	@$(call build_each,-O1 -g $(SAN),asan_)
	@$(call run_each,ASAN_OPTIONS=detect_leaks=1,asan_)

valgrind: c-test
	@$(call run_each,valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,)

# Criterion, side by side with bumpalo, malloc and arena-alligator, after
# the instruction counts.
bench: callgrind callgrind-bytes callgrind-chunk
	$(CARGO) bench -p arn-benches --bench alloc
	$(CARGO) bench -p arn-benches --bench bytes
	$(CARGO) bench -p arn-benches --bench chunk
	$(CARGO) bench -p arn-benches --bench grow
	$(MAKE) chart

# The README's performance chart, from the last `make bench` (python3, its
# standard library only).
chart:
	python3 benches/chart.py $(TARGET)/criterion > benches/chart.svg

# Instructions per byte-arena roundtrip, ours and arena-alligator's.
callgrind-bytes:
	@bin=$$($(CARGO) bench -p arn-benches --bench bytes --no-run 2>&1 | sed -n 's/.*(\(.*deps\/bytes-[^)]*\)).*/\1/p' | head -n 1); \
	  ./benches/callgrind_bytes.sh "$$bin"

# Instructions per shared-slice op, ours, arena-arc's and Arc<[u64]>'s.
callgrind-chunk:
	@bin=$$($(CARGO) bench -p arn-benches --bench chunk --no-run 2>&1 | sed -n 's/.*(\(.*deps\/chunk-[^)]*\)).*/\1/p' | head -n 1); \
	  ./benches/callgrind_chunk.sh "$$bin"

# Instructions per call, counted by callgrind (repeatable on a noisy box).
callgrind: lib | $(BUILD)
	$(CC) $(CSTRICT) -O2 -g -Iinclude benches/callgrind.c -o $(BUILD)/callgrind $(LINK)
	@./benches/callgrind.sh $(BUILD)/callgrind

# Undefined-behaviour check of the Rust unit tests (needs nightly + miri;
# not part of `make test`, which uses stable only).
miri:
	PROPTEST_CASES=8 MIRIFLAGS=-Zmiri-disable-isolation $(CARGO) +nightly miri test --lib

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

install: lib
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include
	install -m 644 $(LIBDIR)/libarn.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(LIBDIR)/libarn.so $(DESTDIR)$(PREFIX)/lib/libarn.so.0
	ln -sf libarn.so.0 $(DESTDIR)$(PREFIX)/lib/libarn.so
	install -m 644 $(HEADER) $(DESTDIR)$(PREFIX)/include/

clean:
	$(CARGO) clean
	rm -rf $(BUILD)
