/* A tiny test harness shared by the C tests: each test is a function, each
 * failed CHECK is reported with its line, and finish() prints the closing
 * "N passed, N failed" line and gives the exit code. */
#ifndef ARN_HARNESS_H
#define ARN_HARNESS_H

#include <stdio.h>
#include <string.h>

#include "arn.h"

static int harness_passed, harness_failed, harness_case_failed;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            harness_case_failed = 1;                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,         \
                    __LINE__, #cond);                                      \
        }                                                                  \
    } while (0)

/* The tracking build (`make asan`, `make valgrind`: the tests are compiled
 * with ARN_TRACKED and linked with target/track/release/libarn.so) leaves
 * red zones between blocks and poisons what the allocators take back, for
 * the checkers to see. A check of the exact layout, or one that reads
 * memory after it went back to its allocator, holds in the normal build
 * only: CHECK_INSIDE skips it in the tracking build. */
#ifdef ARN_TRACKED
#define TRACKED 1
#else
#define TRACKED 0
#endif

/* The red zone the tracking build leaves after each block of the block
 * allocator, the arena (scratch and mmap arena too), the bump allocator and
 * the region. */
#define RED (TRACKED ? 16 : 0)

#define CHECK_INSIDE(cond)                                                 \
    do {                                                                   \
        if (!TRACKED)                                                      \
            CHECK(cond);                                                   \
    } while (0)

/* The last call failed with `code`, and the message names `fn`. */
#define CHECK_ERR(code, fn)                                                \
    do {                                                                   \
        CHECK(arner() == (code));                                          \
        CHECK(strncmp(arnem(), fn ": ", strlen(fn ": ")) == 0);            \
        CHECK(strlen(arnem()) > strlen(fn ": "));                          \
        if (arner() != (code))                                             \
            fprintf(stderr, "  got %d: %s\n", arner(), arnem());            \
        arnec();                                                           \
    } while (0)

#define RUN(test)                                                          \
    do {                                                                   \
        harness_case_failed = 0;                                           \
        arnec();                                                           \
        test();                                                            \
        if (harness_case_failed) {                                         \
            harness_failed++;                                              \
            fprintf(stderr, "FAIL %s\n", #test);                           \
        } else {                                                           \
            harness_passed++;                                              \
        }                                                                  \
    } while (0)

static inline int all_zero(const void *p, size_t n) {
    const unsigned char *b = (const unsigned char *)p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != 0)
            return 0;
    return 1;
}

static inline int finish(void) {
    printf("%d passed, %d failed\n", harness_passed, harness_failed);
    return harness_failed ? 1 : 0;
}

#endif
