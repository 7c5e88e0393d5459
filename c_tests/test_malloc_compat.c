/* The growing arena as malloc: the edges (free of NULL, size 0, realloc of
 * NULL and to 0), grwsz at least what was asked, 16-byte alignment of every
 * block, contents kept across growing, shrinking and the move between
 * small blocks and large ones (a chunk of their own), and a randomized
 * trace of a million malloc/calloc/realloc/free calls over sizes from
 * 16 bytes to 1 MiB, checked against a shadow copy of every live block,
 * with grwst's bytes_live equal to the shadow's total at checkpoints; then
 * the same trace from two threads on one arena made with `lock`. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"

static int aligned16(const void *p) { return ((uintptr_t)p & 15) == 0; }

static size_t live_bytes(arn_grow g) {
    arn_grow_stats s;
    CHECK(grwst(g, &s) == 0);
    return s.bytes_live;
}

static void free_of_null_does_nothing(void) {
    arn_grow g = grwmk(NULL);
    arn_grow_stats before, after;
    CHECK(grwst(g, &before) == 0);
    CHECK(grwfe(g, NULL) == 0);
    CHECK(arner() == 0);
    CHECK(grwst(g, &after) == 0);
    CHECK(memcmp(&before, &after, sizeof before) == 0);
    CHECK(grwfr(g) == 0);
}

static void size_zero_gives_unique_minimal_blocks(void) {
    arn_grow g = grwmk(NULL);
    void *seen[64];
    for (int i = 0; i < 64; i++) {
        size_t align = i % 3 ? (size_t)1 << (i % 8) : 0; /* 0, 1 .. 128 */
        seen[i] = i % 2 ? grwaz(g, 0, align) : grwal(g, 0, align);
        CHECK(seen[i] != NULL && aligned16(seen[i]));
        CHECK(align == 0 || ((uintptr_t)seen[i] & (align - 1)) == 0);
        CHECK(grwsz(g, seen[i]) >= 1);
        for (int j = 0; j < i; j++)
            CHECK(seen[j] != seen[i]);
    }
    for (int i = 0; i < 64; i++)
        CHECK(grwfe(g, seen[i]) == 0);
    CHECK(live_bytes(g) == 0);
    CHECK(grwfr(g) == 0);
}

static void realloc_edges(void) {
    arn_grow g = grwmk(NULL);
    /* NULL allocates. */
    char *p = grwre(g, NULL, 40);
    CHECK(p != NULL && aligned16(p) && grwsz(g, p) >= 40);
    memset(p, 'x', grwsz(g, p));
    /* 0 frees, returns NULL and sets no error (lua_Alloc relies on it). */
    arnec();
    CHECK(grwre(g, p, 0) == NULL);
    CHECK(arner() == 0);
    CHECK(grwfe(g, p) == ARN_E_DOUBLE_FREE);
    arnec();
    CHECK(grwre(g, NULL, 0) == NULL);
    CHECK(arner() == 0);
    CHECK(live_bytes(g) == 0);
    /* A bad pointer is refused, and 0 does not hide it. */
    int local;
    CHECK(grwre(g, &local, 0) == NULL);
    CHECK_ERR(ARN_E_FOREIGN_POINTER, "grwre");
    CHECK(grwfr(g) == 0);
}

/* Every usable byte (grwsz) is kept by grwre, up to the new size, as the
 * block moves between sizes, in place or not, small or large. */
static void contents_kept_across_every_move(void) {
    static const size_t sizes[] = {24,     1000,   1008,    1009,    5000,   20000, 70000,
                                   300000, 1 << 20, 4 << 20, 100000,  16,     17000, 200,
                                   3000,   65536,  90000,   16,      8 << 20, 40};
    arn_grow_opts small_chunks = {0};
    small_chunks.chunk_size = 4096;
    small_chunks.retain = 1;
    for (int pass = 0; pass < 2; pass++) {
        arn_grow g = grwmk(pass ? &small_chunks : NULL);
        unsigned char *p = grwal(g, 1, 0);
        size_t have = grwsz(g, p);
        for (size_t i = 0; i < have; i++)
            p[i] = (unsigned char)(i * 7 + 1);
        unsigned char seed = 1;
        for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
            size_t n = sizes[k];
            /* A neighbour now and then, so that not every block is last. */
            void *other = k % 3 ? grwal(g, 64, 0) : NULL;
            unsigned char *q = grwre(g, p, n);
            CHECK(q != NULL && aligned16(q) && grwsz(g, q) >= n);
            size_t keep = have < n ? have : n;
            for (size_t i = 0; i < keep; i++)
                if (q[i] != (unsigned char)(i * 7 + seed)) {
                    CHECK(!"a byte was lost");
                    fprintf(stderr, "  pass %d, %zu -> %zu bytes: byte %zu\n", pass, have, n, i);
                    break;
                }
            seed++;
            have = grwsz(g, q);
            for (size_t i = 0; i < have; i++)
                q[i] = (unsigned char)(i * 7 + seed);
            p = q;
            if (other)
                CHECK(grwfe(g, other) == 0);
        }
        CHECK(grwfe(g, p) == 0);
        CHECK(live_bytes(g) == 0);
        CHECK(grwfr(g) == 0);
    }
}

static void calloc_is_zeroed_even_in_reused_memory(void) {
    arn_grow g = grwmk(NULL);
    for (int round = 0; round < 50; round++) {
        size_t n = 16 + (size_t)round * 97;
        unsigned char *p = grwal(g, n, 0);
        memset(p, 0xAB, grwsz(g, p));
        CHECK(grwfe(g, p) == 0);
        unsigned char *z = grwaz(g, n, 0);
        CHECK(z != NULL && all_zero(z, n));
        CHECK(grwfe(g, z) == 0);
    }
    CHECK(grwfr(g) == 0);
}

/* ---- the randomized trace ---------------------------------------------- */

#define SLOTS 1024
#define OPS 1000000
#define CHECKPOINT 10000

struct rng {
    uint64_t s;
};

static uint64_t next(struct rng *r) {
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

/* 16 B to 1 MiB, mostly small, as programs ask. */
static size_t trace_size(struct rng *r) {
    uint64_t k = next(r) % 1000;
    if (k < 900)
        return 16 + next(r) % 1009;
    if (k < 990)
        return 1024 + next(r) % (16 << 10);
    if (k < 999)
        return (16 << 10) + next(r) % (240 << 10);
    return (256 << 10) + next(r) % (768 << 10);
}

struct block {
    unsigned char *p;
    unsigned char *shadow; /* a copy of every usable byte */
    size_t len;            /* grwsz */
};

struct trace {
    arn_grow g;
    uint64_t seed;
    long ops, failures, checks;
    int solo; /* alone on the arena: bytes_live must match the shadow */
    struct block slot[SLOTS];
};

static void fail(struct trace *t, const char *what, long op) {
    if (t->failures++ < 5)
        fprintf(stderr, "  trace %llu, op %ld: %s\n", (unsigned long long)t->seed, op, what);
}

/* Fills a block's usable bytes with fresh data and copies them. */
static void fill(struct trace *t, struct block *b, struct rng *r) {
    uint64_t x = next(r);
    for (size_t i = 0; i < b->len; i += 8) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        size_t n = b->len - i < 8 ? b->len - i : 8;
        memcpy(b->p + i, &x, n);
    }
    free(b->shadow);
    b->shadow = malloc(b->len);
    if (!b->shadow) {
        fail(t, "out of memory for the shadow", -1);
        return;
    }
    memcpy(b->shadow, b->p, b->len);
}

static int intact(const struct block *b, size_t n) { return memcmp(b->p, b->shadow, n) == 0; }

static void got_block(struct trace *t, struct block *b, void *p, size_t asked, long op) {
    if (!p) {
        fail(t, arnem(), op);
        b->p = NULL;
        return;
    }
    if (!aligned16(p))
        fail(t, "a block not aligned to 16", op);
    b->p = p;
    b->len = grwsz(t->g, p);
    if (b->len < asked)
        fail(t, "grwsz below the size asked", op);
}

static void drop(struct block *b) {
    free(b->shadow);
    b->shadow = NULL;
    b->p = NULL;
    b->len = 0;
}

static void checkpoint(struct trace *t, long op, int full) {
    size_t total = 0;
    for (int i = 0; i < SLOTS; i++) {
        struct block *b = &t->slot[i];
        if (!b->p)
            continue;
        total += b->len;
        if (full && !intact(b, b->len))
            fail(t, "a live block changed", op);
        if (grwsz(t->g, b->p) != b->len)
            fail(t, "grwsz of a live block changed", op);
    }
    t->checks++;
    if (t->solo && live_bytes(t->g) != total)
        fail(t, "bytes_live differs from the shadow's total", op);
}

static void *run_trace(void *arg) {
    struct trace *t = arg;
    struct rng r = {t->seed};
    for (long op = 0; op < t->ops; op++) {
        struct block *b = &t->slot[next(&r) % SLOTS];
        uint64_t what = next(&r) % 100;
        if (!b->p) {
            size_t n = trace_size(&r);
            if (what < 60) { /* malloc */
                got_block(t, b, grwal(t->g, n, 0), n, op);
            } else if (what < 80) { /* calloc: count * size, checked */
                size_t count = 1 + next(&r) % 8, each = n / count;
                if (each == 0 || count > SIZE_MAX / each) {
                    fail(t, "calloc sizes overflow", op);
                    continue;
                }
                got_block(t, b, grwaz(t->g, count * each, 0), count * each, op);
                if (b->p && !all_zero(b->p, count * each))
                    fail(t, "calloc memory not zeroed", op);
            } else { /* realloc(NULL, n) */
                got_block(t, b, grwre(t->g, NULL, n), n, op);
            }
            if (b->p)
                fill(t, b, &r);
        } else if (what < 45) { /* free */
            if (!intact(b, b->len))
                fail(t, "a live block changed before its free", op);
            if (grwfe(t->g, b->p) != 0)
                fail(t, arnem(), op);
            drop(b);
            if (what < 2 && grwfe(t->g, NULL) != 0)
                fail(t, "free of NULL failed", op);
        } else if (what < 50) { /* realloc(p, 0) frees */
            if (grwre(t->g, b->p, 0) != NULL)
                fail(t, "realloc to 0 did not return NULL", op);
            drop(b);
        } else { /* realloc */
            size_t n = what < 75 ? trace_size(&r) : b->len / 2 + 1 + next(&r) % (b->len + 16);
            if (!intact(b, b->len))
                fail(t, "a live block changed before its realloc", op);
            unsigned char *q = grwre(t->g, b->p, n);
            if (!q) {
                fail(t, arnem(), op);
                continue;
            }
            size_t keep = b->len < n ? b->len : n;
            if (memcmp(q, b->shadow, keep) != 0)
                fail(t, "realloc lost bytes", op);
            got_block(t, b, q, n, op);
            fill(t, b, &r);
        }
        if (op % CHECKPOINT == 0)
            checkpoint(t, op, op % (10 * CHECKPOINT) == 0);
    }
    checkpoint(t, t->ops, 1);
    for (int i = 0; i < SLOTS; i++)
        if (t->slot[i].p) {
            if (grwfe(t->g, t->slot[i].p) != 0)
                fail(t, arnem(), t->ops);
            drop(&t->slot[i]);
        }
    return NULL;
}

/* ARN_TRACE_OPS shortens the trace (the valgrind run sets it). */
static long trace_ops(void) {
    const char *e = getenv("ARN_TRACE_OPS");
    long n = e ? atol(e) : OPS;
    return n > 0 ? n : OPS;
}

static void a_million_calls_against_a_shadow(void) {
    arn_grow g = grwmk(NULL);
    static struct trace t;
    memset(&t, 0, sizeof t);
    t.g = g;
    t.seed = 0x243F6A8885A308D3u;
    t.ops = trace_ops();
    t.solo = 1;
    run_trace(&t);
    CHECK(t.failures == 0);
    CHECK(t.checks > 0);
    arn_grow_stats s;
    CHECK(grwst(g, &s) == 0);
    CHECK(s.bytes_live == 0);
    CHECK(s.allocations == s.frees);
    /* Everything freed: a trim gives every chunk back. */
    CHECK(grwtm(g) == 0);
    CHECK(grwst(g, &s) == 0);
    CHECK(s.bytes_held == 0 && s.chunks == 0);
    CHECK(grwfr(g) == 0);
}

static void the_trace_from_two_threads_with_the_lock(void) {
    arn_grow_opts o = {0};
    o.lock = 1;
    o.retain = 1;
    arn_grow g = grwmk(&o);
    CHECK(g != 0);
    static struct trace t[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        memset(&t[i], 0, sizeof t[i]);
        t[i].g = g;
        t[i].seed = 0x13198A2E03707344u + (uint64_t)i * 0x9E3779B97F4A7C15u;
        t[i].ops = trace_ops() / 2;
        CHECK(pthread_create(&th[i], NULL, run_trace, &t[i]) == 0);
    }
    for (int i = 0; i < 2; i++) {
        CHECK(pthread_join(th[i], NULL) == 0);
        CHECK(t[i].failures == 0);
    }
    arn_grow_stats s;
    CHECK(grwst(g, &s) == 0);
    CHECK(s.bytes_live == 0 && s.allocations == s.frees);
    CHECK(grwfr(g) == 0);
}

int main(void) {
    RUN(free_of_null_does_nothing);
    RUN(size_zero_gives_unique_minimal_blocks);
    RUN(realloc_edges);
    RUN(contents_kept_across_every_move);
    RUN(calloc_is_zeroed_even_in_reused_memory);
    RUN(a_million_calls_against_a_shadow);
    RUN(the_trace_from_two_threads_with_the_lock);
    return finish();
}
