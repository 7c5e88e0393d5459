/* The buddy byte arena (bdymk bdyal bdywt bdyst bdyfr), its buffers
 * (bufwr bufln bufca bufsp bufrz bufdr) and frozen bytes (bytdt bytln bytcl
 * bytsl bytdr bytcp). */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "harness.h"

static arn_buddy_stats metrics(arn_buddy a) {
    arn_buddy_stats m;
    memset(&m, 0xFF, sizeof m);
    CHECK(bdyst(a, &m) == 0);
    return m;
}

static int same_metrics(const arn_buddy_stats *x, const arn_buddy_stats *y) {
    return x->allocations == y->allocations && x->failures == y->failures &&
           x->frees == y->frees && x->spills == y->spills && x->splits == y->splits &&
           x->coalesces == y->coalesces && x->bytes_live == y->bytes_live &&
           x->bytes_reserved == y->bytes_reserved &&
           x->largest_free_block == y->largest_free_block && x->min_block == y->min_block &&
           x->total_size == y->total_size;
}

static void write_freeze_read_drop(void) {
    arn_buddy a = bdymk(4096, 64, NULL);
    CHECK(a != 0);
    arn_buffer b = bdyal(a, 100);
    CHECK(b != 0);
    CHECK(bufln(b) == 0 && bufca(b) == 128 && bufsp(b) == 0);
    CHECK(bufwr(b, "hello ", 6) == 0);
    CHECK(bufwr(b, "buddy", 5) == 0);
    CHECK(bufwr(b, NULL, 0) == 0);
    CHECK(bufln(b) == 11);
    arn_bytes y = bufrz(b);
    CHECK(y != 0);
    CHECK(bytln(y) == 11);
    CHECK(memcmp(bytdt(y), "hello buddy", 11) == 0);
    CHECK((uintptr_t)bytdt(y) % 128 == 0);
    char out[16] = {0};
    CHECK(bytcp(y, out, sizeof out) == 0);
    CHECK(strcmp(out, "hello buddy") == 0);
    arn_buddy_stats m = metrics(a);
    CHECK(m.allocations == 1 && m.frees == 0 && m.failures == 0 && m.spills == 0);
    CHECK(m.splits == 5 && m.coalesces == 0); /* 4096 -> 2048 -> ... -> 128 */
    CHECK(m.bytes_live == 128 && m.bytes_reserved == 4096 && m.largest_free_block == 2048);
    CHECK(m.min_block == 64 && m.total_size == 4096);
    CHECK(bytdr(y) == 0);
    m = metrics(a);
    CHECK(m.frees == 1 && m.bytes_live == 0 && m.coalesces == 5);
    CHECK(m.largest_free_block == 4096);
    CHECK(bdyfr(a) == 0);
}

/* Blocks of every size come out aligned to their size, split and merge back,
 * and the metrics follow a whole sequence. */
static void sizes_splits_and_coalesces(void) {
    arn_buddy a = bdymk(1024, 64, NULL);
    size_t sizes[] = {1, 64, 65, 200, 256, 512};
    size_t caps[] = {64, 64, 128, 256, 256, 512};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        arn_buffer b = bdyal(a, sizes[i]);
        CHECK(b != 0 && bufca(b) == caps[i]);
        CHECK(bufdr(b) == 0);
    }
    arn_buffer x = bdyal(a, 64);  /* 64 @ 0 */
    arn_buffer y = bdyal(a, 64);  /* 64 @ 64, its buddy */
    arn_buffer z = bdyal(a, 300); /* 512 @ 512 */
    arn_bytes fx = bufrz(x), fy = bufrz(y), fz = bufrz(z);
    CHECK(fx && fy && fz); /* empty: each block went back at the freeze */
    arn_buddy_stats m = metrics(a);
    CHECK(m.allocations == 9 && m.frees == 9 && m.bytes_live == 0);
    CHECK(m.largest_free_block == 1024 && m.splits == m.coalesces);
    CHECK(bytdr(fx) == 0 && bytdr(fy) == 0 && bytdr(fz) == 0);

    x = bdyal(a, 64);
    y = bdyal(a, 64);
    z = bdyal(a, 512);
    CHECK(bufwr(x, "x", 1) == 0 && bufwr(y, "y", 1) == 0 && bufwr(z, "z", 1) == 0);
    fx = bufrz(x);
    fy = bufrz(y);
    fz = bufrz(z);
    const char *px = bytdt(fx), *py = bytdt(fy), *pz = bytdt(fz);
    CHECK(py - px == 64 && pz - px == 512);
    m = metrics(a);
    CHECK(m.bytes_live == 640 && m.largest_free_block == 256);
    CHECK(bdyal(a, 512) == 0);
    CHECK(arner() == ARN_E_CAPACITY);
    CHECK(strcmp(arnem(), "bdyal: buddy arena has no free block of 512 bytes for 512 asked: "
                          "largest free block 256 of 1024") == 0);
    arnec();
    CHECK(metrics(a).failures == 1);
    CHECK(bytdr(fx) == 0);
    CHECK(metrics(a).largest_free_block == 256); /* its buddy is still out */
    CHECK(bytdr(fy) == 0);
    CHECK(metrics(a).largest_free_block == 512);
    CHECK(bytdr(fz) == 0);
    m = metrics(a);
    CHECK(m.allocations == 12 && m.frees == 12 && m.failures == 1 && m.bytes_live == 0);
    CHECK(m.largest_free_block == 1024 && m.splits == m.coalesces);
    CHECK(bdyfr(a) == 0);
}

static void a_total_that_is_not_a_power_of_two(void) {
    arn_buddy a = bdymk(3 * 256, 256, NULL); /* 512 @ 0, 256 @ 512 */
    CHECK(a != 0);
    arn_buddy_stats m = metrics(a);
    CHECK(m.total_size == 768 && m.largest_free_block == 512);
    CHECK(bdyal(a, 1024) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bdyal");
    arn_buffer s = bdyal(a, 256);
    arn_buffer l = bdyal(a, 512);
    CHECK(s && l && bufca(s) == 256 && bufca(l) == 512);
    CHECK(bdyal(a, 1) == 0);
    CHECK_ERR(ARN_E_CAPACITY, "bdyal");
    CHECK(bufdr(s) == 0 && bufdr(l) == 0);
    m = metrics(a);
    CHECK(m.largest_free_block == 512 && m.splits == 0 && m.coalesces == 0);
    CHECK(bdyfr(a) == 0);
}

static void clones_and_slices_share_the_block(void) {
    arn_buddy a = bdymk(256, 128, NULL);
    arn_buffer b = bdyal(a, 200);
    CHECK(bufwr(b, "0123456789", 10) == 0);
    arn_bytes whole = bufrz(b);
    arn_bytes twin = bytcl(whole);
    arn_bytes part = bytsl(whole, 3, 4);
    CHECK(twin != 0 && part != 0 && twin != whole);
    CHECK(bytdt(twin) == bytdt(whole));
    CHECK(bytln(part) == 4 && memcmp(bytdt(part), "3456", 4) == 0);
    CHECK((const char *)bytdt(part) == (const char *)bytdt(whole) + 3);
    CHECK(bytdr(whole) == 0 && bytdr(twin) == 0);
    /* The slice alone keeps the block. */
    CHECK(bdyal(a, 1) == 0);
    CHECK_ERR(ARN_E_CAPACITY, "bdyal");
    CHECK(metrics(a).bytes_live == 256);
    char out[4];
    CHECK(bytcp(part, out, sizeof out) == 0 && memcmp(out, "3456", 4) == 0);
    CHECK(bytdr(part) == 0);
    CHECK(metrics(a).bytes_live == 0);
    CHECK(bdyfr(a) == 0);
}

static void write_past_capacity_without_spill_fails(void) {
    arn_buddy a = bdymk(64, 8, NULL);
    arn_buffer b = bdyal(a, 5);
    CHECK(bufca(b) == 8);
    CHECK(bufwr(b, "12345", 5) == 0);
    CHECK(bufwr(b, "6789", 4) == ARN_E_CAPACITY);
    CHECK(strcmp(arnem(), "bufwr: buffer full: writing 4 bytes, 3 left of 8 (no auto-spill)") == 0);
    arnec();
    CHECK(bufln(b) == 5 && bufsp(b) == 0);
    CHECK(bufwr(b, "678", 3) == 0);
    arn_bytes y = bufrz(b);
    CHECK(bytln(y) == 8 && memcmp(bytdt(y), "12345678", 8) == 0);
    CHECK(bytdr(y) == 0);
    CHECK(bdyfr(a) == 0);
}

static void auto_spill_moves_to_the_heap(void) {
    arn_byte_opts o = {0};
    o.auto_spill = 1;
    arn_buddy a = bdymk(16, 8, &o);
    CHECK(a != 0);
    arn_buffer b = bdyal(a, 16);
    CHECK(bufwr(b, "1234", 4) == 0);
    CHECK(bufwr(b, "56789abcdefghijk", 16) == 0);
    CHECK(bufsp(b) == 1 && bufln(b) == 20 && bufca(b) >= 20);
    /* The block came back at the spill. */
    arn_buddy_stats m = metrics(a);
    CHECK(m.spills == 1 && m.frees == 1 && m.bytes_live == 0 && m.largest_free_block == 16);
    arn_buffer other = bdyal(a, 16);
    CHECK(other != 0);
    arn_bytes y = bufrz(b);
    CHECK(bytln(y) == 20 && memcmp(bytdt(y), "123456789abcdefghijk", 20) == 0);
    CHECK(bytdr(y) == 0 && bufdr(other) == 0);
    CHECK(metrics(a).spills == 1);
    CHECK(bdyfr(a) == 0);
}

static void zero_init_scrubs_returned_blocks(void) {
    arn_byte_opts o = {0};
    o.zero_init = 1;
    o.alignment = 64;
    o.prefault = 1;
    arn_buddy a = bdymk(256, 64, &o);
    CHECK(a != 0);
    arn_buffer b = bdyal(a, 256);
    CHECK(bufwr(b, "secret secret secret", 20) == 0);
    arn_bytes y = bufrz(b);
    const unsigned char *p = bytdt(y);
    CHECK((uintptr_t)p % 64 == 0);
    CHECK(bytdr(y) == 0);
    /* The same memory, split now, comes back zero. */
    b = bdyal(a, 64);
    CHECK(bufwr(b, "x", 1) == 0);
    y = bufrz(b);
    CHECK(bytdt(y) == p);
    CHECK(p[0] == 'x');
    CHECK_INSIDE(all_zero(p + 1, 255)); /* past the 64-byte block */
    CHECK(bytdr(y) == 0);
    CHECK(bdyfr(a) == 0);
}

static void huge_pages_and_odd_alignment(void) {
    arn_byte_opts o = {0};
    o.huge_pages = 1;
    arn_buddy a = bdymk(4 << 20, 4096, &o);
    CHECK(a != 0);
    arn_buffer b = bdyal(a, 1 << 20);
    static char big[1 << 20];
    memset(big, 'h', sizeof big);
    CHECK(bufwr(b, big, sizeof big) == 0);
    arn_bytes y = bufrz(b);
    CHECK(bytln(y) == sizeof big && ((const char *)bytdt(y))[12345] == 'h');
    CHECK((uintptr_t)bytdt(y) % (1 << 20) == 0);
    CHECK(bytdr(y) == 0);
    CHECK(bdyfr(a) == 0);
    /* A minimum block below 8 lowers the default alignment to itself. */
    a = bdymk(16, 2, NULL);
    CHECK(a != 0);
    b = bdyal(a, 1);
    CHECK(bufca(b) == 2 && bufdr(b) == 0);
    CHECK(bdyfr(a) == 0);
}

static void freeze_twice_and_drop_twice_are_errors(void) {
    arn_buddy a = bdymk(128, 64, NULL);
    arn_buffer b = bdyal(a, 64);
    CHECK(bufwr(b, "abc", 3) == 0);
    arn_bytes y = bufrz(b);
    CHECK(y != 0 && bytln(y) == 3);
    arn_buddy_stats before = metrics(a);
    CHECK(bufrz(b) == 0);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "bufrz");
    CHECK(bufdr(b) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "bufdr");
    CHECK(bufwr(b, "x", 1) == ARN_E_STALE_HANDLE);
    CHECK_ERR(ARN_E_STALE_HANDLE, "bufwr");
    CHECK(bufca(b) == 0);
    CHECK_ERR(ARN_E_STALE_HANDLE, "bufca");
    CHECK(bufsp(b) == -1);
    CHECK_ERR(ARN_E_STALE_HANDLE, "bufsp");
    arn_buddy_stats after = metrics(a);
    CHECK(same_metrics(&before, &after));
    CHECK(bytdr(y) == 0);
    CHECK(bytdr(y) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "bytdr");
    CHECK(bytdt(y) == NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "bytdt");
    CHECK(bytsl(y, 0, 1) == 0);
    CHECK_ERR(ARN_E_STALE_HANDLE, "bytsl");
    b = bdyal(a, 64);
    CHECK(bufdr(b) == 0);
    CHECK(bufdr(b) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "bufdr");
    arn_buddy_stats m = metrics(a);
    CHECK(m.allocations == 2 && m.frees == 2 && m.bytes_live == 0);
    CHECK(bdyfr(a) == 0);
    CHECK(bdyfr(a) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "bdyfr");
    CHECK(bdyal(a, 1) == 0);
    CHECK_ERR(ARN_E_STALE_HANDLE, "bdyal");
    CHECK(bdywt(a, 1, 0) == 0);
    CHECK_ERR(ARN_E_STALE_HANDLE, "bdywt");
    CHECK(bdyst(a, &m) == ARN_E_STALE_HANDLE);
    CHECK_ERR(ARN_E_STALE_HANDLE, "bdyst");
}

static void bad_geometry_is_refused(void) {
    struct {
        size_t total, min;
    } bad[] = {{0, 64},         {1024, 0},          {0, 0},   {1024, 48},
               {1000, 64},      {64, 128},          {SIZE_MAX, 1}, {SIZE_MAX - 63, 64},
               {(size_t)1 << 62, 1}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(bdymk(bad[i].total, bad[i].min, NULL) == 0);
        CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bdymk");
    }
    CHECK(bdymk(1024, 48, NULL) == 0);
    CHECK(strcmp(arnem(), "bdymk: invalid argument: minimum block must be a power of two, not 48") == 0);
    arnec();
    CHECK(bdymk(1000, 64, NULL) == 0);
    CHECK(strcmp(arnem(), "bdymk: invalid argument: total size 1000 is not a multiple of the "
                          "minimum block of 64 bytes") == 0);
    arnec();
    arn_byte_opts o = {0};
    size_t aligns[] = {3, 8192, 128};
    for (size_t i = 0; i < 3; i++) {
        o.alignment = aligns[i];
        CHECK(bdymk(1024, 64, &o) == 0);
        CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bdymk");
    }
    o.alignment = 64;
    arn_buddy a = bdymk(1024, 64, &o);
    CHECK(a != 0 && bdyfr(a) == 0);
}

static void bad_sizes_and_handles_change_nothing(void) {
    arn_buddy a = bdymk(1024, 64, NULL);
    arn_buffer held = bdyal(a, 100);
    CHECK(bufwr(held, "kept", 4) == 0);
    arn_buddy_stats before = metrics(a);
    arn_arena other = arnmk(64);
    CHECK(bdyal(a, 0) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bdyal");
    CHECK(bdyal(a, 1025) == 0);
    CHECK(strcmp(arnem(), "bdyal: invalid argument: request of 1025 bytes is above the arena's "
                          "largest block of 1024 bytes") == 0);
    arnec();
    CHECK(bdyal(a, SIZE_MAX) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bdyal");
    CHECK(bdywt(a, 0, 1000) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bdywt");
    CHECK(bdywt(a, 4096, 100000) == 0); /* at once, no wait */
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bdywt");
    CHECK(bdyal(0, 64) == 0);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "bdyal");
    CHECK(bdyal(other, 64) == 0);
    CHECK_ERR(ARN_E_WRONG_KIND, "bdyal");
    CHECK(bdywt(other, 64, 1) == 0);
    CHECK_ERR(ARN_E_WRONG_KIND, "bdywt");
    CHECK(bdyst(0, NULL) == ARN_E_INVALID_HANDLE);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "bdyst");
    arn_buddy_stats m;
    CHECK(bdyst(other, &m) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "bdyst");
    CHECK(bdyst(a, NULL) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bdyst");
    CHECK(bdyfr(0) == ARN_E_INVALID_HANDLE);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "bdyfr");
    CHECK(bdyfr(other) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "bdyfr");
    CHECK(bdyfr(held) == ARN_E_WRONG_KIND); /* a buffer is not an arena */
    CHECK_ERR(ARN_E_WRONG_KIND, "bdyfr");
    /* Nothing changed, and the arena still works. */
    arn_buddy_stats after = metrics(a);
    CHECK(same_metrics(&before, &after));
    CHECK(bufln(held) == 4);
    arn_buffer b = bdyal(a, 512);
    CHECK(b != 0 && bufca(b) == 512);
    CHECK(bufdr(b) == 0 && bufdr(held) == 0);
    CHECK(arnfr(other) == 0);
    CHECK(bdyfr(a) == 0);
}

static void bytes_outlive_their_arena(void) {
    arn_buddy a = bdymk(1024, 64, NULL);
    arn_buffer b = bdyal(a, 64);
    CHECK(bufwr(b, "still here", 10) == 0);
    arn_bytes y = bufrz(b);
    arn_buffer open = bdyal(a, 500);
    CHECK(bdyfr(a) == 0);
    CHECK(memcmp(bytdt(y), "still here", 10) == 0);
    CHECK(bufwr(open, "ok", 2) == 0);
    arn_bytes z = bufrz(open);
    CHECK(bytln(z) == 2);
    arn_bytes w = bytcl(y);
    CHECK(bytdr(y) == 0 && bytdr(z) == 0);
    CHECK(memcmp(bytdt(w), "still here", 10) == 0);
    CHECK(bytdr(w) == 0); /* the last one frees the arena */
}

static long long elapsed_ms(const struct timespec *t0) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000LL + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void *drop_later(void *arg) {
    struct timespec d = {0, 30 * 1000000};
    nanosleep(&d, NULL);
    CHECK(bytdr(*(arn_bytes *)arg) == 0);
    return NULL;
}

static void blocking_allocate_times_out_or_gets_a_block(void) {
    arn_buddy a = bdymk(1024, 256, NULL);
    arn_buffer b = bdywt(a, 1024, 0);
    CHECK(b != 0 && bufca(b) == 1024);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(bdywt(a, 256, 40) == 0);
    CHECK(elapsed_ms(&t0) >= 40);
    CHECK(arner() == ARN_E_TIMEOUT);
    CHECK(strcmp(arnem(), "bdywt: timed out: buddy arena had nothing free within 40 ms") == 0);
    arnec();
    CHECK(metrics(a).failures == 1);
    /* Another thread drops the bytes holding the region: the waiter gets a
     * block of it. */
    CHECK(bufwr(b, "x", 1) == 0);
    arn_bytes y = bufrz(b);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, drop_later, &y) == 0);
    arn_buffer c = bdywt(a, 300, 10000);
    CHECK(c != 0 && bufca(c) == 512);
    pthread_join(t, NULL);
    arn_buddy_stats m = metrics(a);
    CHECK(m.failures == 1 && m.allocations == 2 && m.bytes_live == 512);
    CHECK(bufdr(c) == 0);
    CHECK(bdyfr(a) == 0);
}

/* Two threads allocate varied sizes from one arena, write a per-buffer
 * pattern, freeze, and hand the bytes to the other thread, which checks
 * and drops them. */
enum { ROUNDS = 5000, RING = 16 };
struct lane {
    arn_buddy a;
    arn_bytes ring[RING];
    int seq[RING];
    pthread_mutex_t lock;
    pthread_cond_t cv;
    int head, tail, done, bad;
};
struct worker {
    struct lane *out;
    int id, bad;
};

static size_t size_of(int seq) {
    return (size_t)(seq * 37 % 3000) + 1;
}

static void put(struct lane *l, arn_bytes y, int seq) {
    pthread_mutex_lock(&l->lock);
    while (l->head - l->tail == RING)
        pthread_cond_wait(&l->cv, &l->lock);
    l->ring[l->head % RING] = y;
    l->seq[l->head % RING] = seq;
    l->head++;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->lock);
}

static int take(struct lane *l, arn_bytes *y, int *seq) {
    pthread_mutex_lock(&l->lock);
    while (l->head == l->tail && !l->done)
        pthread_cond_wait(&l->cv, &l->lock);
    int got = l->head != l->tail;
    if (got) {
        *y = l->ring[l->tail % RING];
        *seq = l->seq[l->tail % RING];
        l->tail++;
        pthread_cond_broadcast(&l->cv);
    }
    pthread_mutex_unlock(&l->lock);
    return got;
}

static void *checker(void *arg) {
    struct lane *in = arg;
    arn_bytes y;
    int seq;
    while (take(in, &y, &seq)) {
        const unsigned char *p = bytdt(y);
        size_t n = bytln(y);
        if (n != size_of(seq))
            in->bad++;
        for (size_t i = 0; i < n; i++)
            if (p[i] != (unsigned char)(seq * 7 + i))
                in->bad++;
        if (bytdr(y) != 0)
            in->bad++;
    }
    return NULL;
}

static void *producer(void *arg) {
    struct worker *w = arg;
    unsigned char data[3000];
    for (int i = 0; i < ROUNDS; i++) {
        int seq = w->id * ROUNDS + i;
        size_t n = size_of(seq);
        arn_buffer b = bdywt(w->out->a, n, 10000);
        if (!b) {
            w->bad++;
            continue;
        }
        for (size_t j = 0; j < n; j++)
            data[j] = (unsigned char)(seq * 7 + j);
        if (bufwr(b, data, n) != 0)
            w->bad++;
        put(w->out, bufrz(b), seq);
    }
    pthread_mutex_lock(&w->out->lock);
    w->out->done = 1;
    pthread_cond_broadcast(&w->out->cv);
    pthread_mutex_unlock(&w->out->lock);
    return NULL;
}

static void two_threads_trade_bytes(void) {
    /* Room for about a dozen buffers: the producers wait on each other. */
    arn_buddy a = bdymk(1 << 15, 64, NULL);
    struct lane lanes[2];
    memset(lanes, 0, sizeof lanes);
    for (int i = 0; i < 2; i++) {
        lanes[i].a = a;
        pthread_mutex_init(&lanes[i].lock, NULL);
        pthread_cond_init(&lanes[i].cv, NULL);
    }
    struct worker w[2] = {{&lanes[0], 0, 0}, {&lanes[1], 1, 0}};
    pthread_t prod[2], chk[2];
    for (int i = 0; i < 2; i++) {
        CHECK(pthread_create(&prod[i], NULL, producer, &w[i]) == 0);
        CHECK(pthread_create(&chk[i], NULL, checker, &lanes[i]) == 0);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(prod[i], NULL);
        pthread_join(chk[i], NULL);
    }
    CHECK(lanes[0].bad == 0 && lanes[1].bad == 0 && w[0].bad == 0 && w[1].bad == 0);
    arn_buddy_stats m = metrics(a);
    CHECK(m.allocations == 2 * ROUNDS && m.frees == 2 * ROUNDS);
    CHECK(m.bytes_live == 0 && m.largest_free_block == 1 << 15);
    CHECK(m.splits == m.coalesces);
    for (int i = 0; i < 2; i++) {
        pthread_mutex_destroy(&lanes[i].lock);
        pthread_cond_destroy(&lanes[i].cv);
    }
    CHECK(bdyfr(a) == 0);
}

int main(void) {
    RUN(write_freeze_read_drop);
    RUN(sizes_splits_and_coalesces);
    RUN(a_total_that_is_not_a_power_of_two);
    RUN(clones_and_slices_share_the_block);
    RUN(write_past_capacity_without_spill_fails);
    RUN(auto_spill_moves_to_the_heap);
    RUN(zero_init_scrubs_returned_blocks);
    RUN(huge_pages_and_odd_alignment);
    RUN(freeze_twice_and_drop_twice_are_errors);
    RUN(bad_geometry_is_refused);
    RUN(bad_sizes_and_handles_change_nothing);
    RUN(bytes_outlive_their_arena);
    RUN(blocking_allocate_times_out_or_gets_a_block);
    RUN(two_threads_trade_bytes);
    return finish();
}
