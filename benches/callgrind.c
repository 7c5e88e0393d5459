/* Driver for instruction counts under callgrind (see callgrind.sh):
 * `callgrind arnal N` makes N 64-byte arnal calls, resetting the arena
 * between batches; `callgrind malloc N` makes N malloc+free pairs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arn.h"

#define BATCH 16384

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s arnal|malloc N\n", argv[0]);
        return 2;
    }
    long n = atol(argv[2]);
    void *volatile sink;
    if (strcmp(argv[1], "arnal") == 0) {
        arn_arena a = arnmk(64 * BATCH);
        for (long i = 0; i < n; i++) {
            if (i % BATCH == 0)
                arnrs(a);
            sink = arnal(a, 64);
        }
        arnfr(a);
    } else {
        for (long i = 0; i < n; i++) {
            sink = malloc(64);
            free(sink);
        }
    }
    (void)sink;
    return 0;
}
