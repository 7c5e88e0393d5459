/* Driver for instruction counts under callgrind (see callgrind.sh). Each
 * mode runs N operations inside one function named timed_*, which is all
 * callgrind counts, so setup stays out of the figures:
 *   arnal / bumpl / scrtc / mmapl
 *           N 64-byte calls, resetting between batches (counted inside the
 *           function itself only)
 *   malloc  N malloc+free pairs of 64 bytes
 *   memcpy  N malloc + memcpy of 64 bytes + free (the peer of a fixed
 *           roundtrip)
 *   block1 / block99
 *           N blckl+blckf pairs on 1 M blocks of 64 bytes at 1 % / 99 %
 *           fill (scattered), freeing the block allocated 64 pairs before
 *   pool    N polgt+polrt pairs on a pool of zeroed 64-byte blocks
 *   region  N 64-byte regnl calls, freeing between batches
 *   fixed   N fixed byte arena roundtrips through C: fxdal, bufwr of 64
 *           bytes, bufrz, bytdt, bytdr
 *   chunk   N chunk slice ops through C: chkal of 16 u64, slccl, two slcdr
 *   vecps / vecat
 *           N vecps of a u64 (cleared between batches) / N vecat of a
 *           vector of BATCH u64
 *   mappt / mapgt
 *           N mappt / mapgt of 8-byte keys and values on a map of 1024
 *           keys
 * The growing arena against malloc, on a ring of 64 live blocks of mixed
 * sizes (16 B to 1 KiB, the walk of benches/grow.rs): each step frees or
 * resizes the oldest block. callgrind_grow.sh counts the whole step and
 * inside each exported function alone.
 *   grwring     N steps of grwfe + grwal      mallocring   free + malloc
 *   grwazring   N steps of grwfe + grwaz      callocring   free + calloc
 *   grwrering   N steps of grwre              reallocring  realloc */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arn.h"

#define BATCH 16384
#define BLOCKS (1L << 20)

static void *volatile sink;
static uint64_t rng = 0x9E3779B97F4A7C15u;

static size_t below(size_t n) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (size_t)(rng % n);
}

__attribute__((noinline)) static void timed_malloc(long n) {
    for (long i = 0; i < n; i++) {
        sink = malloc(64);
        free(sink);
    }
}

__attribute__((noinline)) static void timed_memcpy(const char *data, long n) {
    for (long i = 0; i < n; i++) {
        char *p = malloc(64);
        memcpy(p, data, 64);
        sink = p;
        free(p);
    }
}

#define RING 64

/* Frees the block allocated RING iterations earlier, as benches/alloc.rs. */
__attribute__((noinline)) static void timed_block(arn_block b, void **ring, long n) {
    for (long i = 0; i < n; i++) {
        void *p = blckl(b);
        void *old = ring[i % RING];
        ring[i % RING] = p;
        blckf(b, old);
    }
}

static int block(long n, size_t live) {
    arn_block b = blckm(64, BLOCKS);
    void **held = malloc(live * sizeof *held);
    if (!b || !held)
        return 1;
    for (size_t i = 0; i < live; i++)
        held[i] = blckl(b);
    for (size_t i = 0; i < live / 2; i++) {
        size_t j = below(live);
        blckf(b, held[j]);
        held[j] = blckl(b);
    }
    timed_block(b, held + live - RING, n);
    free(held);
    return blckd(b);
}

__attribute__((noinline)) static void timed_pool(arn_pool p, long n) {
    for (long i = 0; i < n; i++)
        polrt(p, polgt(p));
}

/* allocate + write 64 bytes + freeze + read + drop, as benches/bytes.rs */
__attribute__((noinline)) static void timed_fixed(arn_fixed f, const char *data, long n) {
    for (long i = 0; i < n; i++) {
        arn_buffer b = fxdal(f);
        bufwr(b, data, 64);
        arn_bytes y = bufrz(b);
        sink = (void *)bytdt(y);
        bytdr(y);
    }
}

/* allocate 16 u64 + clone + drop both, as benches/chunk.rs */
__attribute__((noinline)) static void timed_chunk(arn_chunks c, const uint64_t *init, long n) {
    for (long i = 0; i < n; i++) {
        arn_slice s = chkal(c, 16, init);
        arn_slice t = slccl(s);
        slcdr(s);
        slcdr(t);
    }
}

static int chunk(long n) {
    uint64_t init[16];
    for (int i = 0; i < 16; i++)
        init[i] = (uint64_t)i;
    arn_chunks c = chkmk(8, 8, 1024);
    if (!c)
        return 1;
    timed_chunk(c, init, n);
    return chkfr(c);
}

__attribute__((noinline)) static void timed_vecps(arn_vector v, long n) {
    for (long i = 0; i < n; i++) {
        uint64_t x = (uint64_t)i;
        if (i % BATCH == 0)
            vecrs(v);
        vecps(v, &x);
    }
}

__attribute__((noinline)) static void timed_vecat(arn_vector v, long n) {
    for (long i = 0; i < n; i++)
        sink = vecat(v, (size_t)i % BATCH);
}

#define KEYS 1024

__attribute__((noinline)) static void timed_mappt(arn_map m, long n) {
    for (long i = 0; i < n; i++) {
        uint64_t k = (uint64_t)i % KEYS, v = (uint64_t)i;
        mappt(m, &k, 8, &v, 8);
    }
}

__attribute__((noinline)) static void timed_mapgt(arn_map m, long n) {
    for (long i = 0; i < n; i++) {
        uint64_t k = (uint64_t)i % KEYS;
        sink = (void *)mapgt(m, &k, 8, NULL);
    }
}

/* The collections on a growing arena with default options. */
static int collection(const char *mode, long n) {
    arn_grow g = grwmk(NULL);
    if (!g)
        return 1;
    int rc = 0;
    if (mode[0] == 'v') {
        arn_vector v = vecmk(g, 8, BATCH);
        for (long i = 0; i < BATCH; i++) {
            uint64_t x = (uint64_t)i;
            rc |= vecps(v, &x);
        }
        if (strcmp(mode, "vecps") == 0)
            timed_vecps(v, n);
        else
            timed_vecat(v, n);
        rc |= vecfr(v);
    } else {
        arn_map m = mapmk(g, KEYS);
        for (uint64_t k = 0; k < KEYS; k++)
            rc |= mappt(m, &k, 8, &k, 8);
        if (strcmp(mode, "mappt") == 0)
            timed_mappt(m, n);
        else
            timed_mapgt(m, n);
        rc |= mapfr(m);
    }
    return rc | grwfr(g);
}

__attribute__((noinline)) static void timed_region(arn_region r, long n) {
    for (long i = 0; i < n; i++) {
        if (i % BATCH == 0)
            rgnfr(r);
        sink = regnl(r, 64);
    }
}

/* N 64-byte allocations from allocator h, reset between batches, then
 * freed; counted inside the allocation function. */
static int allocs(long n, uint64_t h, void *(*alloc)(uint64_t, size_t), int (*reset)(uint64_t),
                  int (*release)(uint64_t)) {
    for (long i = 0; i < n; i++) {
        if (i % BATCH == 0)
            reset(h);
        sink = alloc(h, 64);
    }
    return release(h);
}

/* Scratch space starts over: back to its checkpoint, and a new one. */
static int restart(arn_scratch s) {
    scrt2(s);
    return scrt3(s);
}

static const char data[64] = "sixty-four bytes of payload, written whole into each buffer.";

#define SIZES 4096

/* The sizes of the ring's steps: 16 + xorshift % 1009, as in grow.rs. */
static size_t ring_sizes[SIZES];

static void make_sizes(void) {
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < SIZES; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        ring_sizes[i] = 16 + (size_t)(x % 1009);
    }
}

__attribute__((noinline)) static void timed_grwring(arn_grow g, void **ring, long n) {
    for (long i = 0; i < n; i++) {
        long at = i % RING;
        grwfe(g, ring[at]);
        ring[at] = grwal(g, ring_sizes[i % SIZES], 0);
        *(volatile char *)ring[at] = 1;
    }
}

__attribute__((noinline)) static void timed_grwazring(arn_grow g, void **ring, long n) {
    for (long i = 0; i < n; i++) {
        long at = i % RING;
        grwfe(g, ring[at]);
        ring[at] = grwaz(g, ring_sizes[i % SIZES], 0);
        *(volatile char *)ring[at] = 1;
    }
}

__attribute__((noinline)) static void timed_grwrering(arn_grow g, void **ring, long n) {
    for (long i = 0; i < n; i++) {
        long at = i % RING;
        ring[at] = grwre(g, ring[at], ring_sizes[i % SIZES]);
        *(volatile char *)ring[at] = 1;
    }
}

__attribute__((noinline)) static void timed_mallocring(void **ring, long n) {
    for (long i = 0; i < n; i++) {
        long at = i % RING;
        free(ring[at]);
        ring[at] = malloc(ring_sizes[i % SIZES]);
        *(volatile char *)ring[at] = 1;
    }
}

__attribute__((noinline)) static void timed_callocring(void **ring, long n) {
    for (long i = 0; i < n; i++) {
        long at = i % RING;
        free(ring[at]);
        ring[at] = calloc(1, ring_sizes[i % SIZES]);
        *(volatile char *)ring[at] = 1;
    }
}

__attribute__((noinline)) static void timed_reallocring(void **ring, long n) {
    for (long i = 0; i < n; i++) {
        long at = i % RING;
        ring[at] = realloc(ring[at], ring_sizes[i % SIZES]);
        *(volatile char *)ring[at] = 1;
    }
}

/* The grow and malloc rings: the ring is filled, the N counted steps run,
 * then everything is freed. */
static int grow_ring(const char *mode, long n) {
    void *ring[RING];
    make_sizes();
    int libc = strncmp(mode, "grw", 3) != 0;
    arn_grow g = libc ? 0 : grwmk(NULL);
    if (!libc && !g)
        return 1;
    for (int i = 0; i < RING; i++) {
        ring[i] = libc ? malloc(ring_sizes[i]) : grwal(g, ring_sizes[i], 0);
        if (!ring[i])
            return 1;
    }
    if (strcmp(mode, "grwring") == 0)
        timed_grwring(g, ring, n);
    else if (strcmp(mode, "grwazring") == 0)
        timed_grwazring(g, ring, n);
    else if (strcmp(mode, "grwrering") == 0)
        timed_grwrering(g, ring, n);
    else if (strcmp(mode, "mallocring") == 0)
        timed_mallocring(ring, n);
    else if (strcmp(mode, "callocring") == 0)
        timed_callocring(ring, n);
    else
        timed_reallocring(ring, n);
    for (int i = 0; i < RING; i++) {
        if (libc)
            free(ring[i]);
        else if (grwfe(g, ring[i]) != 0)
            return 1;
    }
    return libc ? 0 : grwfr(g);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr,
                "usage: %s arnal|bumpl|scrtc|mmapl|malloc|memcpy|block1|block99|pool|region|fixed|"
                "chunk|vecps|vecat|mappt|mapgt|"
                "grwring|grwazring|grwrering|mallocring|callocring|reallocring N\n",
                argv[0]);
        return 2;
    }
    long n = atol(argv[2]);
    const char *mode = argv[1];
    if (strcmp(mode, "arnal") == 0)
        return allocs(n, arnmk(64 * BATCH), arnal, arnrs, arnfr);
    if (strcmp(mode, "bumpl") == 0)
        return allocs(n, bmpmk(64 * BATCH), bumpl, bmprs, bmpfr);
    if (strcmp(mode, "mmapl") == 0)
        return allocs(n, mmpmk(64 * BATCH, NULL), mmapl, mmprs, mmpfr);
    if (strcmp(mode, "scrtc") == 0) {
        arn_scratch s = scrt1(64 * BATCH);
        scrt3(s);
        return allocs(n, s, scrtc, restart, scrt0);
    }
    if (strcmp(mode, "malloc") == 0) {
        timed_malloc(n);
        return 0;
    }
    if (strcmp(mode, "memcpy") == 0) {
        timed_memcpy(data, n);
        return 0;
    }
    if (strcmp(mode, "block1") == 0)
        return block(n, BLOCKS / 100);
    if (strcmp(mode, "block99") == 0)
        return block(n, BLOCKS / 100 * 99);
    if (strcmp(mode, "pool") == 0) {
        arn_pool p = polmk(NULL, NULL, 16);
        timed_pool(p, n);
        return polfr(p);
    }
    if (strcmp(mode, "fixed") == 0) {
        arn_fixed f = fxdmk(4096, 64, NULL);
        timed_fixed(f, data, n);
        return fxdfr(f);
    }
    if (strcmp(mode, "chunk") == 0)
        return chunk(n);
    if (strncmp(mode, "vec", 3) == 0 || strncmp(mode, "map", 3) == 0)
        return collection(mode, n);
    if (strcmp(mode, "region") == 0) {
        arn_region r = regin();
        timed_region(r, n);
        return rgndl(r);
    }
    if (strstr(mode, "ring") != NULL)
        return grow_ring(mode, n);
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
