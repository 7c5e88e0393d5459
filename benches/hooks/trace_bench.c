/* A trace of a million malloc, realloc and free calls over mixed sizes
 * (16 B to 1 MiB, mostly small) on 10 000 slots, each block's first and
 * last bytes written: glibc, or the growing arena (grwal, grwre, grwfe).
 * Prints seconds and peak RSS (KiB). */
#include "common.h"

#include <stdint.h>
#include <stdlib.h>

#include "arn.h"

#define SLOTS 10000
#define OPS 1000000

static uint64_t rng = 0x9E3779B97F4A7C15u;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static size_t size(void) {
    uint64_t k = next() % 1000;
    if (k < 900)
        return 16 + next() % 1009;
    if (k < 990)
        return 1024 + next() % (16 << 10);
    if (k < 999)
        return (16 << 10) + next() % (240 << 10);
    return (256 << 10) + next() % (768 << 10);
}

static void touch(unsigned char *p, size_t n) {
    p[0] = 1;
    p[n - 1] = 2;
}

int main(int argc, char **argv) {
    int mode = arena_mode(argc, argv);
    if (mode < 0)
        return 2;
    static unsigned char *slot[SLOTS];
    static size_t len[SLOTS];
    double t0 = now();
    arn_grow g = mode ? make_arena() : 0;
    for (long op = 0; op < OPS; op++) {
        size_t i = next() % SLOTS;
        uint64_t what = next() % 10;
        if (!slot[i]) {
            len[i] = size();
            slot[i] = mode ? grwal(g, len[i], 0) : malloc(len[i]);
            touch(slot[i], len[i]);
        } else if (what < 5) {
            if (mode)
                grwfe(g, slot[i]);
            else
                free(slot[i]);
            slot[i] = NULL;
        } else {
            len[i] = what < 8 ? size() : len[i] / 2 + 1 + next() % (len[i] + 16);
            slot[i] = mode ? grwre(g, slot[i], len[i]) : realloc(slot[i], len[i]);
            touch(slot[i], len[i]);
        }
    }
    for (size_t i = 0; i < SLOTS; i++)
        if (mode)
            grwfe(g, slot[i]);
        else
            free(slot[i]);
    if (mode)
        grwfr(g);
    report(now() - t0);
    return 0;
}
