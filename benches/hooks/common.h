/* What the hook benchmarks share: the mode from argv ("glibc" or "arena"),
 * a clock, and the line they print: "<seconds> <peak RSS in KiB>". */
#ifndef ARN_HOOK_BENCH_H
#define ARN_HOOK_BENCH_H

#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "arn.h"

static int arena_mode(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "arena") == 0)
        return 1;
    if (argc == 2 && strcmp(argv[1], "glibc") == 0)
        return 0;
    fprintf(stderr, "usage: %s glibc|arena\n", argv[0]);
    return -1;
}

/* The arena of the benchmark: the defaults, or ARN_CHUNK bytes per chunk. */
static arn_grow make_arena(void) {
    const char *chunk = getenv("ARN_CHUNK");
    if (!chunk)
        return grwmk(NULL);
    arn_grow_opts o = {0};
    o.chunk_size = (size_t)atol(chunk);
    o.retain = 1;
    return grwmk(&o);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void report(double seconds) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    printf("%.4f %ld\n", seconds, u.ru_maxrss);
}

#endif
