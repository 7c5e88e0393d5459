/* The error model (arner arnem arnec), the version, and handles made and
 * freed from two threads at once. */
#include <pthread.h>
#include <stdint.h>

#include "harness.h"

static void last_error_survives_success(void) {
    CHECK(arner() == ARN_OK);
    CHECK(arnem() != NULL && arnem()[0] == '\0');
    arn_arena a = arnmk(16);
    CHECK(arnal(a, 32) == NULL);
    CHECK(arner() == ARN_E_CAPACITY);
    CHECK(strcmp(arnem(), "arnal: arena out of memory: asked 32 bytes, 16 left of 16") == 0);
    CHECK(arnal(a, 8) != NULL); /* success does not clear it */
    CHECK(arner() == ARN_E_CAPACITY);
    CHECK(strncmp(arnem(), "arnal: ", 7) == 0);
    arnec();
    CHECK(arner() == ARN_OK);
    CHECK(arnem()[0] == '\0');
    CHECK(arnfr(a) == 0);
}

static void the_latest_failure_wins(void) {
    CHECK(arnal(0, 8) == NULL);
    CHECK(arnmk(0) == 0);
    CHECK(arner() == ARN_E_INVALID_ARGUMENT);
    CHECK(strcmp(arnem(), "arnmk: invalid argument: arena size 0") == 0);
    arnec();
}

static void messages_name_the_handle(void) {
    arn_bump b = bmpmk(64);
    char want[128];
    CHECK(arnal(b, 8) == NULL);
    snprintf(want, sizeof want, "arnal: wrong kind of handle %#llx: expected arena, got bump allocator",
             (unsigned long long)b);
    CHECK(strcmp(arnem(), want) == 0);
    CHECK(bmpfr(b) == 0);
    CHECK(bumpl(b, 8) == NULL);
    snprintf(want, sizeof want, "bumpl: stale handle %#llx: its bump allocator was freed",
             (unsigned long long)b);
    CHECK(strcmp(arnem(), want) == 0);
    arnec();
}

static void codes_are_distinct(void) {
    int codes[] = {ARN_E_INVALID_HANDLE, ARN_E_STALE_HANDLE, ARN_E_WRONG_KIND,
                   ARN_E_INVALID_ARGUMENT, ARN_E_CAPACITY, ARN_E_SYSTEM,
                   ARN_E_OUT_OF_BOUNDS, ARN_E_FOREIGN_POINTER, ARN_E_DOUBLE_FREE,
                   ARN_E_STACK, ARN_E_NO_CHECKPOINT, ARN_E_PANIC, ARN_E_BUSY,
                   ARN_E_TIMEOUT};
    size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++) {
        CHECK(codes[i] != ARN_OK);
        for (size_t j = i + 1; j < n; j++)
            CHECK(codes[i] != codes[j]);
    }
}

static void version_matches_header(void) {
    CHECK(strcmp(arnvr(), ARN_VERSION_STRING) == 0);
    char built[32];
    snprintf(built, sizeof built, "%d.%d.%d", ARN_VERSION_MAJOR, ARN_VERSION_MINOR,
             ARN_VERSION_PATCH);
    CHECK(strcmp(built, ARN_VERSION_STRING) == 0);
}

static void *fail_on_another_thread(void *arg) {
    (void)arg;
    arnec();
    CHECK(arnal(0, 1) == NULL);
    return (void *)(intptr_t)arner();
}

static void last_error_is_per_thread(void) {
    arnec();
    pthread_t t;
    void *their_code = NULL;
    CHECK(pthread_create(&t, NULL, fail_on_another_thread, NULL) == 0);
    CHECK(pthread_join(t, &their_code) == 0);
    CHECK((intptr_t)their_code == ARN_E_INVALID_HANDLE);
    CHECK(arner() == ARN_OK);
}

#define ROUNDS 4000

struct churn {
    int failures;
    int seed;
};

/* Makes, uses, checks and frees arenas and bumps in a loop, keeping some
 * alive across rounds so the two threads interleave on the slot list. */
static void *churn(void *arg) {
    struct churn *c = arg;
    arn_arena kept[16] = {0};
    for (int i = 0; i < ROUNDS; i++) {
        int k = (i * 7 + c->seed) % 16;
        if (kept[k] != 0) {
            unsigned char *p = arnal(kept[k], 8);
            if (p == NULL || p[0] != 0 || arnfr(kept[k]) != 0)
                c->failures++;
            if (arnal(kept[k], 8) != NULL || arner() != ARN_E_STALE_HANDLE)
                c->failures++;
            kept[k] = 0;
        }
        kept[k] = arnmk(64 + (size_t)c->seed);
        arn_bump b = bmpmk(32);
        if (kept[k] == 0 || b == 0 || bumpl(b, 8) == NULL || bmpfr(b) != 0)
            c->failures++;
        if (bmpfr(b) != ARN_E_DOUBLE_FREE)
            c->failures++;
    }
    for (int k = 0; k < 16; k++) {
        arn_arena_stats st;
        if (kept[k] != 0 && (arnst(kept[k], &st) != 0 || st.size != 64 + (size_t)c->seed ||
                             arnfr(kept[k]) != 0))
            c->failures++;
    }
    return NULL;
}

static void two_threads_make_and_free_handles(void) {
    struct churn a = {0, 1}, b = {0, 2};
    pthread_t ta, tb;
    CHECK(pthread_create(&ta, NULL, churn, &a) == 0);
    CHECK(pthread_create(&tb, NULL, churn, &b) == 0);
    CHECK(pthread_join(ta, NULL) == 0);
    CHECK(pthread_join(tb, NULL) == 0);
    CHECK(a.failures == 0);
    CHECK(b.failures == 0);
}

int main(void) {
    RUN(last_error_survives_success);
    RUN(the_latest_failure_wins);
    RUN(messages_name_the_handle);
    RUN(codes_are_distinct);
    RUN(version_matches_header);
    RUN(last_error_is_per_thread);
    RUN(two_threads_make_and_free_handles);
    return finish();
}
