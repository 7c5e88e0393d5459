/* The fixed-size block allocator: blckm blckl blckf blcks blckd. */
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"

static int same_stats(const arn_block_stats *a, const arn_block_stats *b) {
    return a->total == b->total && a->used == b->used && a->free == b->free &&
           a->utilization == b->utilization;
}

static void blocks_are_aligned_zeroed_and_counted(void) {
    arn_block b = blckm(12, 4); /* 12 rounds up to a 16-byte stride */
    CHECK(b != 0);
    unsigned char *p = blckl(b);
    unsigned char *q = blckl(b);
    CHECK(p && q);
    CHECK((uintptr_t)p % 8 == 0 && (uintptr_t)q % 8 == 0);
    CHECK(q - p == 16 + RED);
    CHECK(all_zero(p, 12) && all_zero(q, 12));
    arn_block_stats st;
    CHECK(blcks(b, &st) == 0);
    CHECK(st.total == 4 && st.used == 2 && st.free == 2);
    CHECK(st.utilization == 0.5);
    CHECK(blckd(b) == 0);
}

/* The seed: the stats of a pool as it fills and empties, "no free blocks in
 * pool" when full. */
static void seed_fill_and_drain(void) {
    arn_block b = blckm(64, 4);
    void *ps[4];
    arn_block_stats st;
    for (int i = 0; i < 4; i++) {
        ps[i] = blckl(b);
        CHECK(ps[i] != NULL);
        memset(ps[i], 0xC0 + i, 64);
        CHECK(blcks(b, &st) == 0);
        CHECK(st.used == (size_t)i + 1 && st.free == 3 - (size_t)i);
        CHECK(st.utilization == (i + 1) / 4.0);
    }
    CHECK(blckl(b) == NULL);
    CHECK(arner() == ARN_E_CAPACITY);
    CHECK(strstr(arnem(), "no free blocks in pool") != NULL);
    CHECK(strcmp(arnem(), "blckl: no free blocks in pool: all 4 blocks in use") == 0);
    CHECK_ERR(ARN_E_CAPACITY, "blckl");
    CHECK(blcks(b, &st) == 0 && st.used == 4 && st.free == 0 && st.utilization == 1.0);
    /* Freed blocks are zeroed and come back. */
    CHECK(blckf(b, ps[2]) == 0);
    CHECK_INSIDE(all_zero(ps[2], 64));
    unsigned char *again = blckl(b);
    CHECK(again == ps[2] && all_zero(again, 64));
    for (int i = 0; i < 4; i++)
        CHECK(blckf(b, ps[i]) == 0);
    CHECK(blcks(b, &st) == 0);
    CHECK(st.total == 4 && st.used == 0 && st.free == 4 && st.utilization == 0.0);
    CHECK(blckd(b) == 0);
}

/* Many blocks, freed out of order: every block is handed out exactly once
 * while the pool fills, and exactly the freed ones come back. */
static void many_blocks_scattered_frees(void) {
    enum { COUNT = 10000, STRIDE = 8 + RED };
    arn_block b = blckm(8, COUNT);
    unsigned char **ps = malloc(COUNT * sizeof *ps);
    unsigned char *seen = calloc(COUNT, 1);
    CHECK(ps && seen);
    unsigned char *lo = NULL;
    for (int i = 0; i < COUNT; i++) {
        ps[i] = blckl(b);
        CHECK(ps[i] != NULL);
        if (!lo || ps[i] < lo)
            lo = ps[i];
    }
    CHECK(blckl(b) == NULL);
    CHECK_ERR(ARN_E_CAPACITY, "blckl");
    for (int i = 0; i < COUNT; i++) {
        size_t k = (size_t)(ps[i] - lo) / STRIDE;
        CHECK(k < COUNT && !seen[k]);
        seen[k] = 1;
    }
    int freed = 0;
    for (int i = 0; i < COUNT; i += 7) {
        memset(ps[i], 0xFF, 8);
        CHECK(blckf(b, ps[i]) == 0);
        freed++;
    }
    memset(seen, 0, COUNT);
    for (int i = 0; i < freed; i++) {
        unsigned char *p = blckl(b);
        CHECK(p != NULL && all_zero(p, 8));
        size_t k = (size_t)(p - lo) / STRIDE;
        CHECK(k % 7 == 0 && !seen[k]);
        seen[k] = 1;
    }
    CHECK(blckl(b) == NULL);
    CHECK_ERR(ARN_E_CAPACITY, "blckl");
    free(ps);
    free(seen);
    CHECK(blckd(b) == 0);
}

static void bad_frees_change_nothing(void) {
    arn_block b = blckm(16, 4);
    unsigned char *p = blckl(b);
    unsigned char *q = blckl(b);
    memset(p, 0x11, 16);
    memset(q, 0x22, 16);
    arn_block_stats before, after;
    CHECK(blcks(b, &before) == 0);
    int local;
    CHECK(blckf(b, NULL) == ARN_E_FOREIGN_POINTER);
    CHECK_ERR(ARN_E_FOREIGN_POINTER, "blckf");
    CHECK(blckf(b, &local) == ARN_E_FOREIGN_POINTER);
    CHECK_ERR(ARN_E_FOREIGN_POINTER, "blckf");
    CHECK(blckf(b, p + 4 * (16 + RED)) == ARN_E_FOREIGN_POINTER); /* one past the pool */
    CHECK_ERR(ARN_E_FOREIGN_POINTER, "blckf");
    CHECK(blckf(b, q + 8) == ARN_E_FOREIGN_POINTER); /* inside a block */
    CHECK(strstr(arnem(), "not at its start") != NULL);
    CHECK_ERR(ARN_E_FOREIGN_POINTER, "blckf");
    CHECK(blckf(b, p + 1) == ARN_E_FOREIGN_POINTER);
    CHECK_ERR(ARN_E_FOREIGN_POINTER, "blckf");
    CHECK(blckf(b, p + 2 * (16 + RED)) == ARN_E_DOUBLE_FREE); /* never handed out */
    CHECK_ERR(ARN_E_DOUBLE_FREE, "blckf");
    CHECK(blcks(b, &after) == 0);
    CHECK(same_stats(&before, &after));
    unsigned char want_p[16], want_q[16];
    memset(want_p, 0x11, 16);
    memset(want_q, 0x22, 16);
    CHECK(memcmp(p, want_p, 16) == 0 && memcmp(q, want_q, 16) == 0);
    CHECK(blckf(b, q) == 0);
    CHECK(blckf(b, q) == ARN_E_DOUBLE_FREE);
    CHECK(strstr(arnem(), "already free") != NULL);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "blckf");
    CHECK(blcks(b, &after) == 0 && after.used == 1);
    CHECK(blckl(b) == q);
    CHECK(blckd(b) == 0);
}

static void bad_sizes_are_invalid_arguments(void) {
    size_t bad[][2] = {{0, 1}, {1, 0}, {0, 0}, {SIZE_MAX, 1}, {8, SIZE_MAX},
                       {SIZE_MAX / 2, 3}, {(size_t)1 << 40, (size_t)1 << 30}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(blckm(bad[i][0], bad[i][1]) == 0);
        CHECK_ERR(ARN_E_INVALID_ARGUMENT, "blckm");
    }
    arn_block one = blckm(1, 1);
    CHECK(one != 0);
    unsigned char *p = blckl(one);
    CHECK(p != NULL && (uintptr_t)p % 8 == 0);
    CHECK(blckl(one) == NULL);
    CHECK_ERR(ARN_E_CAPACITY, "blckl");
    CHECK(blckd(one) == 0);
}

static void stats_need_somewhere_to_go(void) {
    arn_block b = blckm(8, 2);
    CHECK(blcks(b, NULL) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "blcks");
    _Alignas(8) unsigned char raw[sizeof(arn_block_stats) + 8];
    memset(raw, 0x77, sizeof raw);
    CHECK(blcks(b, (arn_block_stats *)(void *)(raw + 4)) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "blcks");
    CHECK(raw[4] == 0x77); /* untouched */
    CHECK(blckl(b) != NULL);
    CHECK(blckd(b) == 0);
}

static void handles(void) {
    arn_arena a = arnmk(64);
    arn_block_stats st;
    int x;
    CHECK(blckl(a) == NULL);
    CHECK_ERR(ARN_E_WRONG_KIND, "blckl");
    CHECK(blckf(a, &x) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "blckf");
    CHECK(blcks(a, &st) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "blcks");
    CHECK(blckd(a) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "blckd");
    CHECK(arnal(a, 8) != NULL); /* the arena is untouched */

    CHECK(blckl(0) == NULL);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "blckl");
    CHECK(blckf(0, &x) == ARN_E_INVALID_HANDLE);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "blckf");
    CHECK(blcks(0, &st) == ARN_E_INVALID_HANDLE);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "blcks");
    CHECK(blckd(0) == ARN_E_INVALID_HANDLE);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "blckd");

    arn_block b = blckm(8, 8);
    void *p = blckl(b);
    CHECK(p != NULL);
    CHECK(blckd(b) == 0);
    CHECK(blckl(b) == NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "blckl");
    CHECK(blckf(b, p) == ARN_E_STALE_HANDLE);
    CHECK_ERR(ARN_E_STALE_HANDLE, "blckf");
    CHECK(blcks(b, &st) == ARN_E_STALE_HANDLE);
    CHECK_ERR(ARN_E_STALE_HANDLE, "blcks");
    CHECK(blckd(b) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "blckd");
    /* The slot is reused; the old handle stays stale. */
    arn_block reused = blckm(8, 8);
    CHECK((reused & 0xFFFFFF) == (b & 0xFFFFFF) && reused != b);
    CHECK(blckl(b) == NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "blckl");
    CHECK(blckl(reused) != NULL);
    /* A block handle is not an arena. */
    CHECK(arnal(reused, 8) == NULL);
    CHECK_ERR(ARN_E_WRONG_KIND, "arnal");
    CHECK(blcks(reused, &st) == 0 && st.used == 1);
    CHECK(blckd(reused) == 0 && arnfr(a) == 0);
}

int main(void) {
    RUN(blocks_are_aligned_zeroed_and_counted);
    RUN(seed_fill_and_drain);
    RUN(many_blocks_scattered_frees);
    RUN(bad_frees_change_nothing);
    RUN(bad_sizes_are_invalid_arguments);
    RUN(stats_need_somewhere_to_go);
    RUN(handles);
    return finish();
}
