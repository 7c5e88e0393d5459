/* The buddy byte arena (bdymk bdyal bdywt bdymt bdyfr), with its buffers
 * and bytes. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "harness.h"

static arn_buddy_metrics metrics(arn_buddy b) {
    arn_buddy_metrics m;
    memset(&m, 0xFF, sizeof m);
    CHECK(bdymt(b, &m) == 0);
    return m;
}

static void sizes_round_up_to_blocks(void) {
    arn_buddy b = bdymk(4096, 256, NULL);
    CHECK(b != 0);
    arn_buddy_metrics m = metrics(b);
    CHECK(m.total_size == 4096 && m.min_block == 256 && m.largest_free_block == 4096);
    CHECK(m.bytes_reserved >= 4096 && m.bytes_live == 0);
    arn_buffer x = bdyal(b, 1);
    arn_buffer y = bdyal(b, 257);
    arn_buffer z = bdyal(b, 1024);
    CHECK(x && y && z);
    CHECK(bufcp(x) == 256 && bufcp(y) == 512 && bufcp(z) == 1024);
    m = metrics(b);
    CHECK(m.allocations == 3 && m.bytes_live == 256 + 512 + 1024);
    CHECK(m.splits > 0);
    CHECK(bufwr(y, "buddy", 5) == 0);
    arn_bytes yb = bufrz(y);
    CHECK(bytln(yb) == 5 && memcmp(bytdt(yb), "buddy", 5) == 0);
    /* A block is aligned to its size within the arena. */
    CHECK(bufdr(x) == 0 && bufdr(z) == 0 && bytdr(yb) == 0);
    m = metrics(b);
    CHECK(m.frees == 3 && m.bytes_live == 0 && m.largest_free_block == 4096);
    CHECK(m.coalesces > 0);
    CHECK(bdyfr(b) == 0);
}

static void full_arena_and_request_above_it(void) {
    arn_buddy b = bdymk(2048, 512, NULL);
    arn_buffer big = bdyal(b, 2048);
    CHECK(big != 0);
    CHECK(bdyal(b, 1) == 0);
    CHECK_ERR(ARN_E_CAPACITY, "bdyal");
    CHECK(bdyal(b, 4096) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bdyal");
    CHECK(bdyal(b, 0) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bdyal");
    CHECK(bdyal(b, SIZE_MAX) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bdyal");
    arn_buddy_metrics m = metrics(b);
    CHECK(m.failures >= 1 && m.allocations == 1 && m.largest_free_block == 0);
    CHECK(bufdr(big) == 0);
    /* Unchanged and usable after the errors. */
    arn_buffer parts[4];
    for (int i = 0; i < 4; i++) {
        parts[i] = bdyal(b, 512);
        CHECK(parts[i] != 0);
    }
    CHECK(bdyal(b, 512) == 0);
    CHECK_ERR(ARN_E_CAPACITY, "bdyal");
    for (int i = 0; i < 4; i++)
        CHECK(bufdr(parts[i]) == 0);
    CHECK(metrics(b).largest_free_block == 2048);
    CHECK(bdyfr(b) == 0);
}

static void bad_geometry(void) {
    CHECK(bdymk(0, 256, NULL) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bdymk");
    CHECK(bdymk(4096, 0, NULL) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bdymk");
    CHECK(bdymk(4096, 300, NULL) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bdymk");
    CHECK(bdymk(1000, 256, NULL) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bdymk");
    CHECK(bdymk(SIZE_MAX - 255, 256, NULL) == 0);
    CHECK(arner() != ARN_OK);
    arnec();
    arn_byte_opts o = {0};
    o.alignment = 12;
    CHECK(bdymk(4096, 256, &o) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bdymk");
    /* A total that is not a power of two: 3 blocks of 1024. */
    arn_buddy b = bdymk(3 * 1024, 1024, NULL);
    CHECK(b != 0);
    arn_buffer x = bdyal(b, 2048), y = bdyal(b, 1024);
    CHECK(x && y);
    CHECK(bdyal(b, 1) == 0);
    CHECK_ERR(ARN_E_CAPACITY, "bdyal");
    CHECK(bufdr(x) == 0 && bufdr(y) == 0);
    CHECK(metrics(b).largest_free_block == 2048);
    CHECK(bdyfr(b) == 0);
}

static void write_past_capacity_and_spill(void) {
    arn_buddy b = bdymk(4096, 256, NULL);
    arn_buffer x = bdyal(b, 200);
    static char data[600];
    memset(data, 'd', sizeof data);
    CHECK(bufwr(x, data, 300) == ARN_E_CAPACITY);
    CHECK_ERR(ARN_E_CAPACITY, "bufwr");
    CHECK(bufln(x) == 0 && bufsp(x) == 0);
    CHECK(bufdr(x) == 0);
    CHECK(bdyfr(b) == 0);

    arn_byte_opts o = {0};
    o.auto_spill = 1;
    o.zero_init = 1;
    b = bdymk(4096, 256, &o);
    x = bdyal(b, 256);
    CHECK(bufwr(x, data, 200) == 0);
    CHECK(bufwr(x, data, 400) == 0);
    CHECK(bufsp(x) == 1 && bufln(x) == 600);
    arn_buddy_metrics m = metrics(b);
    CHECK(m.spills == 1 && m.bytes_live == 0 && m.frees == 1);
    arn_bytes y = bufrz(x);
    CHECK(bytln(y) == 600 && ((const char *)bytdt(y))[599] == 'd');
    CHECK(bytdr(y) == 0);
    /* zero_init: the block written before the spill comes back zeroed. */
    arn_buffer again = bdyal(b, 256);
    arn_bytes z = bufrz(again);
    CHECK(bytln(z) == 0);
    CHECK(bytdr(z) == 0);
    CHECK(bdyfr(b) == 0);
}

static void freeze_twice_drop_twice_and_bad_handles(void) {
    arn_buddy b = bdymk(4096, 256, NULL);
    arn_buffer x = bdyal(b, 10);
    CHECK(bufwr(x, "0123456789", 10) == 0);
    arn_bytes y = bufrz(x);
    CHECK(bufrz(x) == 0);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "bufrz");
    arn_bytes c = bytcl(y);
    arn_bytes s = bytsl(y, 2, 3);
    CHECK(bytln(s) == 3 && memcmp(bytdt(s), "234", 3) == 0);
    CHECK(bytdr(y) == 0 && bytdr(c) == 0);
    CHECK(bytdr(y) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "bytdr");
    CHECK(metrics(b).bytes_live == 256); /* the slice keeps the block */
    char out[3];
    CHECK(bytcp(s, out, sizeof out) == 0 && memcmp(out, "234", 3) == 0);
    CHECK(bytdr(s) == 0);
    CHECK(metrics(b).bytes_live == 0);

    arn_arena other = arnmk(64);
    CHECK(bdyal(0, 8) == 0);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "bdyal");
    CHECK(bdyal(other, 8) == 0);
    CHECK_ERR(ARN_E_WRONG_KIND, "bdyal");
    arn_fixed f = fxdmk(1, 8, NULL);
    CHECK(bdymt(f, NULL) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "bdymt");
    CHECK(bdymt(b, NULL) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bdymt");
    CHECK(bdyfr(b) == 0);
    CHECK(bdyfr(b) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "bdyfr");
    CHECK(bdyal(b, 8) == 0);
    CHECK_ERR(ARN_E_STALE_HANDLE, "bdyal");
    CHECK(fxdfr(f) == 0 && arnfr(other) == 0);
}

static void bytes_outlive_the_arena(void) {
    arn_buddy b = bdymk(1 << 20, 4096, NULL);
    arn_buffer x = bdyal(b, 5000);
    CHECK(bufcp(x) == 8192);
    CHECK(bufwr(x, "kept", 4) == 0);
    arn_bytes y = bufrz(x);
    CHECK(bdyfr(b) == 0);
    CHECK(bytln(y) == 4 && memcmp(bytdt(y), "kept", 4) == 0);
    CHECK(bytdr(y) == 0);
}

static void *drop_later(void *arg) {
    struct timespec d = {0, 30 * 1000000};
    nanosleep(&d, NULL);
    CHECK(bufdr(*(arn_buffer *)arg) == 0);
    return NULL;
}

static void blocking_allocate(void) {
    arn_buddy b = bdymk(1024, 1024, NULL);
    arn_buffer x = bdywt(b, 1000, 0);
    CHECK(x != 0);
    CHECK(bdywt(b, 10, 30) == 0);
    CHECK(arner() == ARN_E_TIMEOUT);
    CHECK(strcmp(arnem(), "bdywt: timed out: buddy arena had nothing free within 30 ms") == 0);
    arnec();
    CHECK(bdywt(b, 4096, 10000) == 0); /* never fits: fails at once */
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bdywt");
    pthread_t t;
    CHECK(pthread_create(&t, NULL, drop_later, &x) == 0);
    arn_buffer y = bdywt(b, 512, 10000);
    CHECK(y != 0);
    pthread_join(t, NULL);
    CHECK(bufdr(y) == 0);
    CHECK(bdyfr(b) == 0);
}

/* Two threads allocate mixed sizes, write a pattern, freeze, and trade the
 * bytes through a shared ring; the taker checks and drops. */
enum { ROUNDS = 4000, RING = 32 };
static arn_bytes ring[RING];
static int ring_seq[RING];
static int head, tail, producers_done, bad;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static arn_buddy shared;

static size_t size_of(int seq) { return (size_t)(seq * 37 % 3000) + 1; }

static void *trader(void *arg) {
    int id = *(int *)arg;
    unsigned char local[3001];
    for (int i = 0; i < ROUNDS; i++) {
        int seq = id * ROUNDS + i;
        arn_buffer x = bdywt(shared, size_of(seq), 10000);
        pthread_mutex_lock(&lock);
        if (!x)
            bad++;
        pthread_mutex_unlock(&lock);
        if (!x)
            continue;
        memset(local, (unsigned char)seq, size_of(seq));
        if (bufwr(x, local, size_of(seq)) != 0) {
            pthread_mutex_lock(&lock);
            bad++;
            pthread_mutex_unlock(&lock);
        }
        arn_bytes y = bufrz(x);
        pthread_mutex_lock(&lock);
        while (head - tail == RING)
            pthread_cond_wait(&cv, &lock);
        ring[head % RING] = y;
        ring_seq[head % RING] = seq;
        head++;
        /* Take one made by anyone (often the other thread). */
        arn_bytes got = ring[tail % RING];
        int gseq = ring_seq[tail % RING];
        tail++;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&lock);
        const unsigned char *p = bytdt(got);
        int ok = bytln(got) == size_of(gseq);
        for (size_t k = 0; ok && k < bytln(got); k++)
            ok = p[k] == (unsigned char)gseq;
        if (bytdr(got) != 0)
            ok = 0;
        if (!ok) {
            pthread_mutex_lock(&lock);
            bad++;
            pthread_mutex_unlock(&lock);
        }
    }
    pthread_mutex_lock(&lock);
    producers_done++;
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void two_threads_trade_bytes(void) {
    shared = bdymk(1 << 20, 256, NULL);
    int ids[2] = {0, 1};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        CHECK(pthread_create(&t[i], NULL, trader, &ids[i]) == 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    CHECK(bad == 0 && producers_done == 2 && head == tail);
    arn_buddy_metrics m = metrics(shared);
    CHECK(m.allocations == 2 * ROUNDS && m.frees == 2 * ROUNDS);
    CHECK(m.bytes_live == 0 && m.largest_free_block == 1 << 20);
    CHECK(bdyfr(shared) == 0);
}

int main(void) {
    RUN(sizes_round_up_to_blocks);
    RUN(full_arena_and_request_above_it);
    RUN(bad_geometry);
    RUN(write_past_capacity_and_spill);
    RUN(freeze_twice_drop_twice_and_bad_handles);
    RUN(bytes_outlive_the_arena);
    RUN(blocking_allocate);
    RUN(two_threads_trade_bytes);
    return finish();
}
