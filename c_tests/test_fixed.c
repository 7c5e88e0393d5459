/* The fixed-slot byte arena (fxdmk fxdal fxdwt fxdst fxdfr), its buffers
 * (bufwr bufln bufca bufsp bufrz bufdr) and frozen bytes (bytdt bytln bytcl
 * bytsl bytdr bytcp). */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "harness.h"

static arn_fixed_stats metrics(arn_fixed f) {
    arn_fixed_stats m;
    memset(&m, 0xFF, sizeof m);
    CHECK(fxdst(f, &m) == 0);
    return m;
}

static void write_freeze_read_drop(void) {
    arn_fixed f = fxdmk(4, 64, NULL);
    CHECK(f != 0);
    arn_buffer b = fxdal(f);
    CHECK(b != 0);
    CHECK(bufln(b) == 0 && bufca(b) == 64 && bufsp(b) == 0);
    CHECK(bufwr(b, "hello ", 6) == 0);
    CHECK(bufwr(b, "world", 5) == 0);
    CHECK(bufwr(b, NULL, 0) == 0);
    CHECK(bufln(b) == 11);
    arn_bytes y = bufrz(b);
    CHECK(y != 0);
    CHECK(bytln(y) == 11);
    CHECK(memcmp(bytdt(y), "hello world", 11) == 0);
    char out[16] = {0};
    CHECK(bytcp(y, out, sizeof out) == 0);
    CHECK(strcmp(out, "hello world") == 0);
    arn_fixed_stats m = metrics(f);
    CHECK(m.allocations == 1 && m.frees == 0 && m.slots == 4 && m.slots_free == 3);
    CHECK(m.bytes_live == 64 && m.bytes_reserved == 4 * 64 && m.slot_size == 64);
    CHECK(bytdr(y) == 0);
    m = metrics(f);
    CHECK(m.frees == 1 && m.slots_free == 4 && m.bytes_live == 0);
    CHECK(fxdfr(f) == 0);
}

static void clones_and_slices_share_the_slot(void) {
    arn_fixed f = fxdmk(1, 32, NULL);
    arn_buffer b = fxdal(f);
    CHECK(bufwr(b, "0123456789", 10) == 0);
    arn_bytes whole = bufrz(b);
    arn_bytes twin = bytcl(whole);
    arn_bytes part = bytsl(whole, 3, 4);
    CHECK(twin != 0 && part != 0 && twin != whole);
    CHECK(bytdt(twin) == bytdt(whole));
    CHECK(bytln(part) == 4 && memcmp(bytdt(part), "3456", 4) == 0);
    CHECK((const char *)bytdt(part) == (const char *)bytdt(whole) + 3);
    arn_bytes tail = bytsl(whole, 10, 0);
    CHECK(tail != 0 && bytln(tail) == 0 && bytdt(tail) != NULL);
    CHECK(bytdr(tail) == 0);
    CHECK(bytdr(whole) == 0);
    CHECK(bytdr(twin) == 0);
    /* The slice alone keeps the slot. */
    CHECK(fxdal(f) == 0);
    CHECK_ERR(ARN_E_CAPACITY, "fxdal");
    CHECK(metrics(f).slots_free == 0);
    CHECK(bytdr(part) == 0);
    CHECK(metrics(f).slots_free == 1);
    CHECK(fxdfr(f) == 0);
}

static void full_arena_and_slots_coming_back(void) {
    arn_fixed f = fxdmk(3, 16, NULL);
    arn_buffer bs[3];
    for (int i = 0; i < 3; i++) {
        bs[i] = fxdal(f);
        CHECK(bs[i] != 0);
    }
    CHECK(fxdal(f) == 0);
    CHECK(arner() == ARN_E_CAPACITY);
    CHECK(strcmp(arnem(), "fxdal: fixed arena full: all 3 slots in use") == 0);
    arnec();
    arn_fixed_stats m = metrics(f);
    CHECK(m.failures == 1 && m.slots_free == 0);
    CHECK(bufdr(bs[1]) == 0);
    arn_buffer again = fxdal(f);
    CHECK(again != 0);
    CHECK(bufdr(bs[0]) == 0 && bufdr(bs[2]) == 0 && bufdr(again) == 0);
    m = metrics(f);
    CHECK(m.allocations == 4 && m.frees == 4 && m.slots_free == 3);
    CHECK(fxdfr(f) == 0);
}

static void write_past_capacity_without_spill_fails(void) {
    arn_fixed f = fxdmk(1, 8, NULL);
    arn_buffer b = fxdal(f);
    CHECK(bufwr(b, "12345", 5) == 0);
    CHECK(bufwr(b, "6789", 4) == ARN_E_CAPACITY);
    CHECK(strcmp(arnem(), "bufwr: buffer full: writing 4 bytes, 3 left of 8 (no auto-spill)") == 0);
    arnec();
    CHECK(bufln(b) == 5 && bufsp(b) == 0);
    CHECK(bufwr(b, "678", 3) == 0);
    arn_bytes y = bufrz(b);
    CHECK(bytln(y) == 8 && memcmp(bytdt(y), "12345678", 8) == 0);
    CHECK(bytdr(y) == 0);
    CHECK(fxdfr(f) == 0);
}

static void auto_spill_moves_to_the_heap(void) {
    arn_byte_opts o = {0};
    o.auto_spill = 1;
    arn_fixed f = fxdmk(1, 8, &o);
    CHECK(f != 0);
    arn_buffer b = fxdal(f);
    CHECK(bufwr(b, "1234", 4) == 0);
    CHECK(bufwr(b, "56789abcdef", 11) == 0);
    CHECK(bufsp(b) == 1 && bufln(b) == 15 && bufca(b) >= 15);
    /* The slot came back at the spill. */
    arn_fixed_stats m = metrics(f);
    CHECK(m.spills == 1 && m.slots_free == 1 && m.frees == 1);
    arn_buffer other = fxdal(f);
    CHECK(other != 0);
    arn_bytes y = bufrz(b);
    CHECK(bytln(y) == 15 && memcmp(bytdt(y), "123456789abcdef", 15) == 0);
    /* The heap copy is shared like arena memory, and freed with the last. */
    arn_bytes part = bytsl(y, 9, 6);
    arn_bytes twin = bytcl(y);
    CHECK(bytdr(y) == 0);
    CHECK(bytln(part) == 6 && memcmp(bytdt(part), "abcdef", 6) == 0);
    CHECK(bytdt(twin) != NULL && bytdr(twin) == 0);
    CHECK(memcmp(bytdt(part), "abcdef", 6) == 0);
    CHECK(bytdr(part) == 0 && bufdr(other) == 0);
    CHECK(fxdfr(f) == 0);
}

/* Two threads clone and slice one bytes handle at once (the first share
 * may be made by either) and drop their handles; the slot comes back once,
 * when the last handle over it goes. */
enum { SHARES = 2000 };
static void *share_and_drop(void *arg) {
    arn_bytes y = *(arn_bytes *)arg;
    for (int i = 0; i < SHARES; i++) {
        arn_bytes c = (i & 1) ? bytcl(y) : bytsl(y, 2, 3);
        CHECK(c != 0);
        CHECK(memcmp(bytdt(c), (i & 1) ? "shared" : "are", bytln(c)) == 0);
        CHECK(bytdr(c) == 0);
    }
    return NULL;
}

static void clones_race_on_two_threads(void) {
    arn_fixed f = fxdmk(1, 16, NULL);
    arn_buffer b = fxdal(f);
    CHECK(bufwr(b, "shared", 6) == 0);
    arn_bytes y = bufrz(b);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        CHECK(pthread_create(&t[i], NULL, share_and_drop, &y) == 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    CHECK(metrics(f).slots_free == 0);
    CHECK(bytdr(y) == 0);
    arn_fixed_stats m = metrics(f);
    CHECK(m.slots_free == 1 && m.frees == 1);
    CHECK(bytdr(y) == ARN_E_DOUBLE_FREE);
    arnec();
    CHECK(fxdfr(f) == 0);
}

static void zero_init_scrubs_returned_slots(void) {
    arn_byte_opts o = {0};
    o.zero_init = 1;
    o.alignment = 64;
    o.prefault = 1;
    arn_fixed f = fxdmk(1, 48, &o);
    CHECK(f != 0);
    arn_buffer b = fxdal(f);
    /* The slot is padded to the alignment, and the padding is usable. */
    CHECK(bufca(b) == 64);
    arn_fixed_stats m = metrics(f);
    CHECK(m.slot_size == 64 && m.bytes_reserved == 64);
    CHECK(bufwr(b, "secret secret secret", 20) == 0);
    arn_bytes y = bufrz(b);
    const unsigned char *p = bytdt(y);
    CHECK((uintptr_t)p % 64 == 0);
    CHECK(bytdr(y) == 0);
    /* Slot reuse is last-in first-out: the same slot, now zero. */
    b = fxdal(f);
    CHECK(bufwr(b, "x", 1) == 0);
    y = bufrz(b);
    CHECK(bytdt(y) == p);
    CHECK(p[0] == 'x' && all_zero(p + 1, 63));
    CHECK(bytdr(y) == 0);
    CHECK(fxdfr(f) == 0);
}

static void huge_pages_work(void) {
    arn_byte_opts o = {0};
    o.huge_pages = 1;
    arn_fixed f = fxdmk(4, 1 << 20, &o);
    CHECK(f != 0);
    arn_buffer b = fxdal(f);
    static char big[1 << 20];
    memset(big, 'h', sizeof big);
    CHECK(bufwr(b, big, sizeof big) == 0);
    arn_bytes y = bufrz(b);
    CHECK(bytln(y) == sizeof big && ((const char *)bytdt(y))[12345] == 'h');
    CHECK(bytdr(y) == 0);
    CHECK(fxdfr(f) == 0);
}

static void freeze_twice_and_drop_twice_are_errors(void) {
    arn_fixed f = fxdmk(2, 16, NULL);
    arn_buffer b = fxdal(f);
    arn_bytes y = bufrz(b);
    CHECK(y != 0 && bytln(y) == 0);
    CHECK(bufrz(b) == 0);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "bufrz");
    CHECK(bufdr(b) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "bufdr");
    CHECK(bufwr(b, "x", 1) == ARN_E_STALE_HANDLE);
    CHECK_ERR(ARN_E_STALE_HANDLE, "bufwr");
    CHECK(bufln(b) == 0);
    CHECK_ERR(ARN_E_STALE_HANDLE, "bufln");
    CHECK(bufsp(b) == -1);
    CHECK_ERR(ARN_E_STALE_HANDLE, "bufsp");
    CHECK(bytdr(y) == 0);
    CHECK(bytdr(y) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "bytdr");
    CHECK(bytdt(y) == NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "bytdt");
    CHECK(bytcl(y) == 0);
    CHECK_ERR(ARN_E_STALE_HANDLE, "bytcl");
    b = fxdal(f);
    CHECK(bufdr(b) == 0);
    CHECK(bufdr(b) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "bufdr");
    CHECK(metrics(f).slots_free == 2);
    CHECK(fxdfr(f) == 0);
    CHECK(fxdfr(f) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "fxdfr");
    CHECK(fxdal(f) == 0);
    CHECK_ERR(ARN_E_STALE_HANDLE, "fxdal");
}

static void bad_arguments_and_handles(void) {
    CHECK(fxdmk(0, 8, NULL) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "fxdmk");
    CHECK(fxdmk(8, 0, NULL) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "fxdmk");
    CHECK(fxdmk(SIZE_MAX, 64, NULL) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "fxdmk");
    arn_byte_opts o = {0};
    o.alignment = 3;
    CHECK(fxdmk(8, 8, &o) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "fxdmk");
    o.alignment = 8192;
    CHECK(fxdmk(8, 8, &o) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "fxdmk");

    arn_fixed f = fxdmk(2, 16, NULL);
    arn_arena other = arnmk(64);
    CHECK(fxdal(0) == 0);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "fxdal");
    CHECK(fxdal(other) == 0);
    CHECK_ERR(ARN_E_WRONG_KIND, "fxdal");
    CHECK(fxdwt(other, 1) == 0);
    CHECK_ERR(ARN_E_WRONG_KIND, "fxdwt");
    CHECK(fxdst(f, NULL) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "fxdst");
    CHECK(fxdst(other, NULL) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "fxdst");
    CHECK(bufwr(other, "x", 1) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "bufwr");
    CHECK(bytln(other) == 0);
    CHECK_ERR(ARN_E_WRONG_KIND, "bytln");

    arn_buffer b = fxdal(f);
    CHECK(bufwr(b, NULL, 3) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bufwr");
    CHECK(bufln(b) == 0);
    /* A buffer handle is not a bytes handle, nor the other way round. */
    CHECK(bytln(b) == 0);
    CHECK_ERR(ARN_E_WRONG_KIND, "bytln");
    CHECK(bufwr(b, "abcdef", 6) == 0);
    arn_bytes y = bufrz(b);
    CHECK(bufln(y) == 0);
    CHECK_ERR(ARN_E_WRONG_KIND, "bufln");
    CHECK(bytsl(y, 4, 3) == 0);
    CHECK_ERR(ARN_E_OUT_OF_BOUNDS, "bytsl");
    CHECK(bytsl(y, SIZE_MAX, 2) == 0);
    CHECK_ERR(ARN_E_OUT_OF_BOUNDS, "bytsl");
    char small[4];
    CHECK(bytcp(y, small, sizeof small) == ARN_E_INVALID_ARGUMENT);
    CHECK(strcmp(arnem(), "bytcp: invalid argument: destination of 4 bytes is too small for 6 bytes") == 0);
    arnec();
    CHECK(bytcp(y, NULL, 64) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bytcp");
    /* Nothing changed. */
    CHECK(bytln(y) == 6 && memcmp(bytdt(y), "abcdef", 6) == 0);
    CHECK(bytdr(y) == 0);
    arn_fixed_stats m = metrics(f);
    CHECK(m.allocations == 1 && m.frees == 1 && m.slots_free == 2 && m.failures == 0);
    CHECK(arnfr(other) == 0);
    CHECK(fxdfr(f) == 0);
}

static void bytes_outlive_their_arena(void) {
    arn_fixed f = fxdmk(2, 16, NULL);
    arn_buffer b = fxdal(f);
    CHECK(bufwr(b, "still here", 10) == 0);
    arn_bytes y = bufrz(b);
    arn_buffer open = fxdal(f);
    CHECK(fxdfr(f) == 0);
    CHECK(memcmp(bytdt(y), "still here", 10) == 0);
    CHECK(bufwr(open, "ok", 2) == 0);
    arn_bytes z = bufrz(open);
    CHECK(bytln(z) == 2);
    CHECK(bytdr(y) == 0 && bytdr(z) == 0);
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

static void blocking_allocate_times_out_or_gets_a_slot(void) {
    arn_fixed f = fxdmk(1, 16, NULL);
    arn_buffer b = fxdwt(f, 0);
    CHECK(b != 0);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(fxdwt(f, 40) == 0);
    CHECK(elapsed_ms(&t0) >= 40);
    CHECK(arner() == ARN_E_TIMEOUT);
    CHECK(strcmp(arnem(), "fxdwt: timed out: fixed arena had nothing free within 40 ms") == 0);
    arnec();
    CHECK(metrics(f).failures == 1);
    /* Another thread drops the bytes holding the slot: the waiter gets it. */
    CHECK(bufwr(b, "x", 1) == 0);
    arn_bytes y = bufrz(b);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, drop_later, &y) == 0);
    arn_buffer c = fxdwt(f, 10000);
    CHECK(c != 0);
    pthread_join(t, NULL);
    CHECK(bufdr(c) == 0);
    CHECK(fxdfr(f) == 0);
}

/* Two threads allocate from one arena, write a per-buffer pattern, freeze,
 * and hand the bytes to the other thread, which checks and drops them. */
enum { ROUNDS = 5000, RING = 16 };
struct lane {
    arn_fixed f;
    arn_bytes ring[RING];
    int seq[RING];
    pthread_mutex_t lock;
    pthread_cond_t cv;
    int head, tail, done, bad;
};
struct worker {
    struct lane *out, *in;
    int id, bad;
};

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

static void check_bytes(struct lane *in) {
    arn_bytes y;
    int seq;
    while (take(in, &y, &seq)) {
        const unsigned char *p = bytdt(y);
        size_t n = bytln(y);
        if (n != (size_t)(seq % 60) + 1)
            in->bad++;
        for (size_t i = 0; i < n; i++)
            if (p[i] != (unsigned char)(seq * 7))
                in->bad++;
        if (bytdr(y) != 0)
            in->bad++;
    }
}

static void *checker(void *arg) {
    check_bytes(arg);
    return NULL;
}

static void *producer(void *arg) {
    struct worker *w = arg;
    unsigned char data[64];
    for (int i = 0; i < ROUNDS; i++) {
        int seq = w->id * ROUNDS + i;
        arn_buffer b = fxdwt(w->out->f, 10000);
        if (!b) {
            w->bad++;
            continue;
        }
        memset(data, (unsigned char)(seq * 7), sizeof data);
        if (bufwr(b, data, (size_t)(seq % 60) + 1) != 0)
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
    arn_fixed f = fxdmk(24, 64, NULL);
    struct lane lanes[2];
    memset(lanes, 0, sizeof lanes);
    for (int i = 0; i < 2; i++) {
        lanes[i].f = f;
        pthread_mutex_init(&lanes[i].lock, NULL);
        pthread_cond_init(&lanes[i].cv, NULL);
    }
    struct worker w[2] = {{&lanes[0], &lanes[1], 0, 0}, {&lanes[1], &lanes[0], 1, 0}};
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
    arn_fixed_stats m = metrics(f);
    CHECK(m.allocations == 2 * ROUNDS && m.frees == 2 * ROUNDS);
    CHECK(m.bytes_live == 0 && m.slots_free == 24);
    for (int i = 0; i < 2; i++) {
        pthread_mutex_destroy(&lanes[i].lock);
        pthread_cond_destroy(&lanes[i].cv);
    }
    CHECK(fxdfr(f) == 0);
}

int main(void) {
    RUN(write_freeze_read_drop);
    RUN(clones_and_slices_share_the_slot);
    RUN(full_arena_and_slots_coming_back);
    RUN(write_past_capacity_without_spill_fails);
    RUN(auto_spill_moves_to_the_heap);
    RUN(zero_init_scrubs_returned_slots);
    RUN(huge_pages_work);
    RUN(freeze_twice_and_drop_twice_are_errors);
    RUN(bad_arguments_and_handles);
    RUN(bytes_outlive_their_arena);
    RUN(blocking_allocate_times_out_or_gets_a_slot);
    RUN(clones_race_on_two_threads);
    RUN(two_threads_trade_bytes);
    return finish();
}
