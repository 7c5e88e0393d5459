/* The growing arena (grwmk grwal grwaz grwfe grwre grwsz grwtm grwcp grwsd
 * grwow grwrs grwst grwfr): reuse, in-place growth and shrinking, copies,
 * is-managed, memory coming back, reset with retained chunks, memory
 * callbacks, the lock, bad inputs. The malloc edges are in
 * test_malloc_compat.c. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"

static arn_grow_stats stats(arn_grow g) {
    arn_grow_stats s;
    memset(&s, 0xFF, sizeof s);
    CHECK(grwst(g, &s) == 0);
    return s;
}

static void allocate_free_and_reuse(void) {
    arn_grow g = grwmk(NULL);
    CHECK(g != 0);
    unsigned char *a = grwal(g, 40, 0);
    unsigned char *b = grwal(g, 100, 0);
    CHECK(a != NULL && b != NULL && a != b);
    CHECK((uintptr_t)a % 16 == 0 && (uintptr_t)b % 16 == 0);
    memset(a, 1, 40);
    memset(b, 2, 100);
    arn_grow_stats s = stats(g);
    CHECK(s.allocations == 2 && s.bytes_live == 48 + 112 && s.chunks == 1);
    CHECK(s.chunk_size == 65536 && s.chunk_bytes == 65536 && s.bytes_held == 65536);
    CHECK(s.bytes_free == 65536 - 48 - 112);
    CHECK(grwsz(g, a) == 48 && grwsz(g, b) == 112);
    CHECK(grwfe(g, a) == 0);
    s = stats(g);
    CHECK(s.frees == 1 && s.bytes_free == 65536 - 112 && s.bytes_live == 112);
    /* The same granules (33..48 bytes): the freed block comes back. */
    unsigned char *c = grwal(g, 33, 8);
    CHECK(c == a);
    CHECK(stats(g).reused == 1);
    unsigned char *z = grwaz(g, 64, 0);
    CHECK(z != NULL && all_zero(z, 64));
    unsigned char *big = grwal(g, 100, 4096);
    CHECK(big != NULL && (uintptr_t)big % 4096 == 0);
    CHECK(grwfr(g) == 0);
}

static void the_last_block_grows_in_place(void) {
    arn_grow g = grwmk(NULL);
    char *p = grwal(g, 16, 0);
    memcpy(p, "0123456789abcdef", 16);
    char *q = grwre(g, p, 1000);
    CHECK(q == p);
    CHECK(memcmp(q, "0123456789abcdef", 16) == 0);
    CHECK(stats(g).grown_in_place == 1);
    char *other = grwal(g, 8, 0);
    CHECK(other != NULL);
    /* No longer the last: moves, copies, frees the old block. */
    char *r = grwre(g, q, 2000);
    CHECK(r != NULL && r != q);
    CHECK(memcmp(r, "0123456789abcdef", 16) == 0);
    CHECK(grwfe(g, q) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "grwfe");
    /* NULL allocates, like realloc. */
    char *n = grwre(g, NULL, 24);
    CHECK(n != NULL && grwow(g, n) == 1);
    /* Errors leave the block as it was. */
    CHECK(grwre(g, r, SIZE_MAX) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "grwre");
    CHECK(memcmp(r, "0123456789abcdef", 16) == 0);
    /* Shrinking stays put and gives the tail back. */
    size_t free_before = stats(g).bytes_free;
    CHECK(grwre(g, r, 16) == r && grwsz(g, r) == 16);
    CHECK(stats(g).bytes_free == free_before + 2000 - 16);
    CHECK(stats(g).shrunk_in_place == 1);
    CHECK(grwfe(g, r) == 0);
    CHECK(grwfr(g) == 0);
}

static void copies_and_is_managed(void) {
    arn_grow g = grwmk(NULL);
    const char *s = grwsd(g, "hello, arena");
    CHECK(s != NULL && strcmp(s, "hello, arena") == 0);
    const unsigned char raw[5] = {0, 1, 2, 0, 3};
    unsigned char *c = grwcp(g, raw, sizeof raw);
    CHECK(c != NULL && memcmp(c, raw, sizeof raw) == 0);
    CHECK(grwow(g, s) == 1 && grwow(g, s + 5) == 1 && grwow(g, c) == 1);
    int local = 0;
    void *heap = malloc(16);
    CHECK(grwow(g, &local) == 0 && grwow(g, heap) == 0 && grwow(g, NULL) == 0);
    free(heap);
    CHECK(grwsd(g, NULL) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "grwsd");
    CHECK(grwcp(g, NULL, 4) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "grwcp");
    CHECK(grwcp(g, raw, 0) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "grwcp");
    CHECK(grwfr(g) == 0);
}

static void many_chunks_and_dedicated_blocks(void) {
    arn_grow_opts o = {0};
    o.chunk_size = 1024;
    o.retain = 1;
    arn_grow g = grwmk(&o);
    CHECK(g != 0);
    void *ptrs[300];
    for (int i = 0; i < 300; i++) {
        ptrs[i] = grwal(g, 24 + (size_t)(i % 7) * 16, 0);
        CHECK(ptrs[i] != NULL);
        memset(ptrs[i], i & 0xFF, 24);
    }
    CHECK(stats(g).chunks > 10);
    for (int i = 0; i < 300; i++)
        CHECK(grwow(g, ptrs[i]) == 1);
    /* Above a quarter of the chunk: a chunk of its own, gone when freed. */
    char *big = grwal(g, 5000, 0);
    CHECK(big != NULL && grwow(g, big + 4999) == 1 && grwsz(g, big) >= 5000);
    size_t before = stats(g).chunks;
    CHECK(grwfe(g, big) == 0);
    CHECK(stats(g).chunks == before - 1);
    CHECK(grwow(g, big) == 0);
    /* Its address is remembered: a second free is still a double free. */
    CHECK(grwfe(g, big) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "grwfe");
    CHECK(grwfr(g) == 0);
}

/* Freed memory serves any size, whole free chunks go back beyond retain,
 * and grwtm gives back every entirely free chunk. */
static void memory_comes_back(void) {
    arn_grow_opts o = {0};
    o.chunk_size = 4096;
    o.retain = 1;
    arn_grow g = grwmk(&o);
    void *p[2000];
    for (int i = 0; i < 2000; i++)
        CHECK((p[i] = grwal(g, 48, 0)) != NULL);
    size_t held = stats(g).bytes_held;
    for (int i = 0; i < 2000; i++)
        CHECK(grwfe(g, p[i]) == 0);
    arn_grow_stats s = stats(g);
    CHECK(s.bytes_live == 0 && s.chunks == 1 && s.spare_chunks == 1);
    CHECK(s.bytes_held == 2 * 4096 && s.chunks_returned > 0);
    /* 64-byte blocks in the memory the 48-byte ones had. */
    for (int i = 0; i < 1500; i++)
        CHECK((p[i] = grwal(g, 64, 0)) != NULL);
    CHECK(stats(g).bytes_held <= held);
    for (int i = 0; i < 1500; i++)
        CHECK(grwfe(g, p[i]) == 0);
    CHECK(grwtm(g) == 0);
    s = stats(g);
    CHECK(s.chunks == 0 && s.spare_chunks == 0 && s.bytes_held == 0);
    CHECK(grwal(g, 10, 0) != NULL);
    CHECK(grwfr(g) == 0);
}

static void bad_pointers_leave_the_arena_unchanged(void) {
    arn_grow g = grwmk(NULL);
    char *a = grwal(g, 64, 0);
    char *b = grwal(g, 64, 0);
    arn_grow_stats before = stats(g);
    int local;
    CHECK(grwfe(g, &local) == ARN_E_FOREIGN_POINTER);
    CHECK_ERR(ARN_E_FOREIGN_POINTER, "grwfe");
    CHECK(grwfe(g, a + 16) == ARN_E_FOREIGN_POINTER);
    CHECK_ERR(ARN_E_FOREIGN_POINTER, "grwfe");
    CHECK(grwfe(g, a + 1) == ARN_E_FOREIGN_POINTER);
    CHECK_ERR(ARN_E_FOREIGN_POINTER, "grwfe");
    CHECK(grwre(g, &local, 8) == NULL);
    CHECK_ERR(ARN_E_FOREIGN_POINTER, "grwre");
    CHECK(grwsz(g, &local) == 0);
    CHECK_ERR(ARN_E_FOREIGN_POINTER, "grwsz");
    CHECK(grwsz(g, a + 16) == 0);
    CHECK_ERR(ARN_E_FOREIGN_POINTER, "grwsz");
    arn_grow_stats after = stats(g);
    CHECK(memcmp(&before, &after, sizeof before) == 0);
    CHECK(grwfe(g, a) == 0);
    CHECK(grwfe(g, a) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "grwfe");
    CHECK(grwsz(g, a) == 0);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "grwsz");
    CHECK(grwfe(g, b) == 0);
    CHECK(grwfe(g, b) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "grwfe");
    CHECK(grwfr(g) == 0);
}

static void bad_arguments_and_handles(void) {
    arn_grow g = grwmk(NULL);
    CHECK(grwal(g, 8, 3) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "grwal");
    CHECK(grwal(g, 8, 8192) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "grwal");
    CHECK(grwal(g, SIZE_MAX, 0) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "grwal");
    CHECK(grwst(g, NULL) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "grwst");
    CHECK(grwsz(0, NULL) == 0);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "grwsz");
    CHECK(grwtm(0) == ARN_E_INVALID_HANDLE);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "grwtm");
    arn_grow_opts o = {0};
    o.chunk_size = 100;
    CHECK(grwmk(&o) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "grwmk");
    CHECK(grwal(0, 8, 0) == NULL);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "grwal");
    arn_arena other = arnmk(1024);
    CHECK(grwal(other, 8, 0) == NULL);
    CHECK_ERR(ARN_E_WRONG_KIND, "grwal");
    CHECK(arnfr(other) == 0);
    CHECK(grwal(g, 8, 0) != NULL);
    CHECK(grwfr(g) == 0);
    CHECK(grwal(g, 8, 0) == NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "grwal");
    CHECK(grwow(g, NULL) == -1);
    CHECK_ERR(ARN_E_STALE_HANDLE, "grwow");
    CHECK(grwfr(g) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "grwfr");
}

/* A memory source that counts its chunks and can be told to refuse. */
struct source {
    int out, calls, refuse;
    arn_grow self;
    int nested;
};

static void *src_alloc(void *ctx, size_t size) {
    struct source *s = ctx;
    s->calls++;
    if (s->nested) {
        /* Callbacks may not reset or free their own arena. */
        CHECK(grwrs(s->self) == ARN_E_BUSY);
        CHECK_ERR(ARN_E_BUSY, "grwrs");
        CHECK(grwfr(s->self) == ARN_E_BUSY);
        CHECK_ERR(ARN_E_BUSY, "grwfr");
    }
    if (s->refuse)
        return NULL;
    void *p = NULL;
    if (posix_memalign(&p, 64, size) != 0)
        return NULL;
    s->out++;
    return p;
}

static void src_free(void *ctx, void *p, size_t size) {
    struct source *s = ctx;
    (void)size;
    s->out--;
    free(p);
}

static void memory_callbacks_and_retained_chunks(void) {
    struct source src = {0};
    arn_grow_opts o = {0};
    o.chunk_size = 512;
    o.retain = 2;
    o.alloc = src_alloc;
    o.free = src_free;
    o.ctx = &src;
    arn_grow g = grwmk(&o);
    CHECK(g != 0);
    src.self = g;
    for (int i = 0; i < 50; i++)
        CHECK(grwal(g, 100, 0) != NULL);
    CHECK(src.out >= 10 && src.out == (int)stats(g).chunks);
    src.nested = 1;
    CHECK(grwal(g, 1000, 0) != NULL); /* dedicated: calls the source */
    src.nested = 0;
    CHECK(grwrs(g) == 0);
    arn_grow_stats s = stats(g);
    CHECK(s.chunks == 0 && s.spare_chunks == 2 && s.resets == 1 && s.bytes_live == 0);
    CHECK(src.out == 2);
    int calls = src.calls;
    for (int i = 0; i < 8; i++)
        CHECK(grwal(g, 100, 0) != NULL);
    CHECK(src.calls == calls); /* the spares served */
    src.refuse = 1;
    void *p = NULL;
    for (int i = 0; i < 20 && (p = grwal(g, 100, 0)) != NULL; i++)
        ;
    CHECK(p == NULL);
    CHECK_ERR(ARN_E_SYSTEM, "grwal");
    src.refuse = 0;
    CHECK(grwal(g, 100, 0) != NULL);
    CHECK(grwfr(g) == 0);
    CHECK(src.out == 0);
    o.free = NULL;
    CHECK(grwmk(&o) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "grwmk");
}

struct worker {
    arn_grow g;
    int id, ok;
};

static void *work(void *arg) {
    struct worker *w = arg;
    unsigned char *mine[64] = {0};
    w->ok = 1;
    for (int i = 0; i < 4000; i++) {
        int k = i % 64;
        if (mine[k]) {
            for (int j = 0; j < 24; j++)
                if (mine[k][j] != (unsigned char)w->id)
                    w->ok = 0;
            if (grwfe(w->g, mine[k]) != 0)
                w->ok = 0;
        }
        mine[k] = grwal(w->g, 24 + (size_t)(i % 5) * 40, 0);
        if (!mine[k]) {
            w->ok = 0;
            break;
        }
        memset(mine[k], w->id, 24);
    }
    for (int k = 0; k < 64; k++)
        if (mine[k] && grwfe(w->g, mine[k]) != 0)
            w->ok = 0;
    return NULL;
}

static void the_lock_makes_it_safe_from_threads(void) {
    arn_grow_opts o = {0};
    o.chunk_size = 4096;
    o.lock = 1;
    arn_grow g = grwmk(&o);
    CHECK(g != 0);
    pthread_t t[3];
    struct worker w[3];
    for (int i = 0; i < 3; i++) {
        w[i] = (struct worker){g, i + 1, 0};
        CHECK(pthread_create(&t[i], NULL, work, &w[i]) == 0);
    }
    for (int i = 0; i < 3; i++) {
        CHECK(pthread_join(t[i], NULL) == 0);
        CHECK(w[i].ok);
    }
    arn_grow_stats s = stats(g);
    CHECK(s.bytes_live == 0 && s.allocations == s.frees);
    CHECK(grwfr(g) == 0);
}

int main(void) {
    RUN(allocate_free_and_reuse);
    RUN(the_last_block_grows_in_place);
    RUN(copies_and_is_managed);
    RUN(many_chunks_and_dedicated_blocks);
    RUN(memory_comes_back);
    RUN(bad_pointers_leave_the_arena_unchanged);
    RUN(bad_arguments_and_handles);
    RUN(memory_callbacks_and_retained_chunks);
    RUN(the_lock_makes_it_safe_from_threads);
    return finish();
}
