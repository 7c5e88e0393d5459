/* The chunk allocator (chkmk chkal chkst chkfr) and its reference-counted
 * slices (slcdt slcln slccl slcdr). */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"

static arn_chunk_stats stats(arn_chunks c) {
    arn_chunk_stats s;
    memset(&s, 0xFF, sizeof s);
    CHECK(chkst(c, &s) == 0);
    return s;
}

static int same_stats(arn_chunks c, const arn_chunk_stats *before) {
    arn_chunk_stats now = stats(c);
    return memcmp(&now, before, sizeof now) == 0;
}

static void copied_and_zeroed_slices(void) {
    arn_chunks c = chkmk(sizeof(uint64_t), 0, 8);
    CHECK(c != 0);
    uint64_t vals[3] = {7, 8, 9};
    arn_slice s = chkal(c, 3, vals);
    CHECK(s != 0);
    CHECK(slcln(s) == 3);
    const uint64_t *p = slcdt(s);
    CHECK(p != NULL && p[0] == 7 && p[1] == 8 && p[2] == 9);
    CHECK((uintptr_t)p % 8 == 0);
    arn_slice z = chkal(c, 2, NULL);
    CHECK(z != 0 && slcln(z) == 2);
    const uint64_t *q = slcdt(z);
    CHECK(all_zero(q, 2 * sizeof(uint64_t)));
    /* Bumped right after the first slice, in the same chunk. */
    CHECK(q == p + 3);
    vals[0] = 99; /* a copy, not a view of the caller's memory */
    CHECK(p[0] == 7);
    CHECK(slcdr(s) == 0);
    CHECK(slcdr(z) == 0);
    CHECK(chkfr(c) == 0);
}

static void rollover_and_dedicated_chunks(void) {
    arn_chunks c = chkmk(4, 4, 4);
    uint32_t v[10];
    for (uint32_t i = 0; i < 10; i++)
        v[i] = 100 + i;
    arn_slice a = chkal(c, 3, v);
    /* 2 do not fit in the 1 left: a new chunk; the old tail is dead. */
    arn_slice b = chkal(c, 2, v + 3);
    /* Longer than a chunk: a chunk of its own; the current one stays. */
    arn_slice big = chkal(c, 10, v);
    arn_slice d = chkal(c, 2, v + 5);
    CHECK(a && b && big && d);
    CHECK((const uint32_t *)slcdt(d) == (const uint32_t *)slcdt(b) + 2);
    CHECK(memcmp(slcdt(a), v, 12) == 0);
    CHECK(memcmp(slcdt(b), v + 3, 8) == 0);
    CHECK(memcmp(slcdt(big), v, 40) == 0 && slcln(big) == 10);
    CHECK(memcmp(slcdt(d), v + 5, 8) == 0);
    arn_chunk_stats s = stats(c);
    CHECK(s.chunks_allocated == 3 && s.dedicated_chunks == 1 && s.chunks_live == 3);
    CHECK(s.slices == 4 && s.elements == 17 && s.bytes_handed_out == 68);
    CHECK(s.bytes_reserved == 16 + 16 + 40 && s.bytes_used == 12 + 16 + 40);
    CHECK(s.retired_bytes_used == 12 + 40 && s.dead_tail_bytes == 4);
    CHECK(s.free_tail_bytes == 0 && s.chunk_capacity == 4 && s.element_size == 4);
    /* The first chunk goes with its only slice; its dead tail with it. */
    CHECK(slcdr(a) == 0);
    s = stats(c);
    CHECK(s.chunks_live == 2 && s.dead_tail_bytes == 0 && s.bytes_reserved == 56);
    CHECK(slcdr(big) == 0);
    s = stats(c);
    CHECK(s.chunks_live == 1 && s.bytes_reserved == 16 && s.retired_bytes_used == 0);
    /* Zombie-free only when the allocator lets go: b and d keep nothing
     * extra, the current chunk is the allocator's. */
    CHECK(slcdr(b) == 0);
    CHECK(slcdr(d) == 0);
    s = stats(c);
    CHECK(s.chunks_live == 1 && s.bytes_used == 16);
    CHECK(chkfr(c) == 0);
}

static void clones_outlive_the_original_and_the_allocator(void) {
    arn_chunks c = chkmk(1, 1, 64);
    arn_slice s = chkal(c, 6, "hello");
    arn_slice t = slccl(s);
    CHECK(t != 0 && t != s);
    CHECK(slcdt(t) == slcdt(s) && slcln(t) == 6);
    arn_chunk_stats before = stats(c);
    CHECK(before.slices == 1); /* a clone is not a new slice */
    CHECK(slcdr(s) == 0);
    CHECK(chkfr(c) == 0);
    CHECK(strcmp(slcdt(t), "hello") == 0);
    arn_slice u = slccl(t);
    CHECK(slcdr(t) == 0);
    CHECK(strcmp(slcdt(u), "hello") == 0);
    CHECK(slcdr(u) == 0);
}

static void odd_sizes_and_alignments(void) {
    /* 12-byte elements, 8-aligned: elements are packed 12 bytes apart in a
     * slice, and a slice takes its bytes rounded up to 8. A chunk of 4
     * elements has 48 bytes of room. */
    arn_chunks c = chkmk(12, 0, 4);
    unsigned char src[48];
    for (int i = 0; i < 48; i++)
        src[i] = (unsigned char)i;
    arn_slice a = chkal(c, 1, src);      /* 12 bytes, 16 of room */
    arn_slice b = chkal(c, 2, src + 12); /* 24 bytes, right after */
    CHECK((uintptr_t)slcdt(a) % 8 == 0 && (uintptr_t)slcdt(b) % 8 == 0);
    CHECK((const unsigned char *)slcdt(b) == (const unsigned char *)slcdt(a) + 16);
    CHECK(memcmp(slcdt(a), src, 12) == 0 && memcmp(slcdt(b), src + 12, 24) == 0);
    arn_chunk_stats s = stats(c);
    CHECK(s.element_size == 12 && s.chunk_capacity == 4 && s.elements == 3);
    CHECK(s.bytes_handed_out == 40 && s.bytes_reserved == 48 && s.free_tail_bytes == 8);
    /* A whole chunk's worth does not fit in the 8 left: a chunk of its own. */
    arn_slice d = chkal(c, 4, src);
    CHECK(slcln(d) == 4 && memcmp(slcdt(d), src, 48) == 0);
    s = stats(c);
    CHECK(s.dedicated_chunks == 1 && s.free_tail_bytes == 8 && s.elements == 7);
    CHECK(slcdr(a) == 0 && slcdr(b) == 0 && slcdr(d) == 0 && chkfr(c) == 0);

    arn_chunks w = chkmk(3, 4096, 2);
    CHECK(w != 0);
    arn_slice x = chkal(w, 1, "ab");
    arn_slice y = chkal(w, 1, "cd");
    arn_slice z = chkal(w, 5, NULL); /* dedicated */
    CHECK((uintptr_t)slcdt(x) % 4096 == 0 && (uintptr_t)slcdt(y) % 4096 == 0);
    CHECK((uintptr_t)slcdt(z) % 4096 == 0 && all_zero(slcdt(z), 15));
    CHECK(strcmp(slcdt(y), "cd") == 0);
    CHECK(slcdr(x) == 0 && slcdr(y) == 0 && slcdr(z) == 0 && chkfr(w) == 0);
}

static void bad_arguments_and_handles(void) {
    CHECK(chkmk(0, 0, 4) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "chkmk");
    CHECK(chkmk(8, 0, 0) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "chkmk");
    CHECK(chkmk(8, 3, 4) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "chkmk");
    CHECK(chkmk(8, 8192, 4) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "chkmk");
    CHECK(chkmk(SIZE_MAX, 0, 1) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "chkmk");
    CHECK(chkmk((size_t)1 << 40, 0, (size_t)1 << 40) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "chkmk");

    arn_chunks c = chkmk(8, 0, 4);
    arn_slice s = chkal(c, 2, NULL);
    CHECK(s != 0);
    arn_chunk_stats before = stats(c);

    CHECK(chkal(c, 0, NULL) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "chkal");
    CHECK(chkal(c, SIZE_MAX / 4, NULL) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "chkal");
    CHECK(same_stats(c, &before));
    CHECK(chkal(0, 1, NULL) == 0);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "chkal");
    CHECK(chkst(c, NULL) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "chkst");

    /* Wrong kinds both ways, and an arena. */
    arn_arena arena = arnmk(64);
    CHECK(chkal(arena, 1, NULL) == 0);
    CHECK_ERR(ARN_E_WRONG_KIND, "chkal");
    CHECK(chkal(s, 1, NULL) == 0);
    CHECK_ERR(ARN_E_WRONG_KIND, "chkal");
    arn_chunk_stats junk;
    CHECK(chkst(s, &junk) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "chkst");
    CHECK(chkfr(s) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "chkfr");
    CHECK(slcln(c) == 0);
    CHECK_ERR(ARN_E_WRONG_KIND, "slcln");
    CHECK(slcdt(arena) == NULL);
    CHECK_ERR(ARN_E_WRONG_KIND, "slcdt");
    CHECK(slccl(c) == 0);
    CHECK_ERR(ARN_E_WRONG_KIND, "slccl");
    CHECK(slcdr(c) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "slcdr");
    CHECK(slcln(0) == 0);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "slcln");
    CHECK(arnfr(arena) == 0);
    CHECK(same_stats(c, &before));

    /* The allocator still works after all that. */
    arn_slice t = chkal(c, 2, NULL);
    CHECK(t != 0 && (const uint64_t *)slcdt(t) == (const uint64_t *)slcdt(s) + 2);

    /* Stale handles and double drops. */
    CHECK(slcdr(s) == 0);
    CHECK(slcdr(s) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "slcdr");
    CHECK(slcdt(s) == NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "slcdt");
    CHECK(slcln(s) == 0);
    CHECK_ERR(ARN_E_STALE_HANDLE, "slcln");
    CHECK(slccl(s) == 0);
    CHECK_ERR(ARN_E_STALE_HANDLE, "slccl");
    CHECK(chkfr(c) == 0);
    CHECK(chkfr(c) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "chkfr");
    CHECK(chkal(c, 1, NULL) == 0);
    CHECK_ERR(ARN_E_STALE_HANDLE, "chkal");
    CHECK(chkst(c, &junk) == ARN_E_STALE_HANDLE);
    CHECK_ERR(ARN_E_STALE_HANDLE, "chkst");
    CHECK(((const uint64_t *)slcdt(t))[1] == 0);
    CHECK(slcdr(t) == 0);
}

enum { PER_THREAD = 400, LEN = 5 };

struct reader {
    arn_slice slices[PER_THREAD];
    int bad;
};

/* Checks each slice's pattern, clones it, drops both. */
static void *read_and_drop(void *arg) {
    struct reader *r = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        arn_slice twin = slccl(r->slices[i]);
        const uint32_t *p = slcdt(twin);
        if (!p || slcln(twin) != LEN)
            r->bad++;
        else
            for (uint32_t k = 0; k < LEN; k++)
                if (p[k] != (uint32_t)i * 10 + k)
                    r->bad++;
        if (slcdr(r->slices[i]) != 0 || slcdr(twin) != 0)
            r->bad++;
    }
    return NULL;
}

static void slices_read_and_dropped_on_two_threads(void) {
    arn_chunks c = chkmk(sizeof(uint32_t), _Alignof(uint32_t), 64);
    static struct reader readers[2];
    for (int i = 0; i < PER_THREAD; i++) {
        uint32_t v[LEN];
        for (uint32_t k = 0; k < LEN; k++)
            v[k] = (uint32_t)i * 10 + k;
        readers[0].slices[i] = chkal(c, LEN, v);
        readers[1].slices[i] = slccl(readers[0].slices[i]);
    }
    /* Freed before the readers start: the slices keep their chunks. */
    arn_chunk_stats s = stats(c);
    CHECK(chkfr(c) == 0);
    /* 12 slices of 5 to a chunk of 64, the last 4 elements dead. */
    CHECK(s.chunks_allocated == (PER_THREAD + 11) / 12);
    CHECK(s.dead_tail_bytes == ((PER_THREAD + 11) / 12 - 1) * 4 * sizeof(uint32_t));
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        readers[i].bad = 0;
        CHECK(pthread_create(&t[i], NULL, read_and_drop, &readers[i]) == 0);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        CHECK(readers[i].bad == 0);
    }
}

int main(void) {
    RUN(copied_and_zeroed_slices);
    RUN(rollover_and_dedicated_chunks);
    RUN(clones_outlive_the_original_and_the_allocator);
    RUN(odd_sizes_and_alignments);
    RUN(bad_arguments_and_handles);
    RUN(slices_read_and_dropped_on_two_threads);
    return finish();
}
