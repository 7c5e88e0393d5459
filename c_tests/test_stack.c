/* The stack allocator: stckm stckt stckl stckp stckr stckf. */
#include <stdint.h>

#include "harness.h"

/* The top, read by taking a marker (a marker at the top is harmless). */
static size_t top_of(arn_stack s) {
    size_t m = SIZE_MAX;
    CHECK(stckt(s, &m) == 0);
    return m;
}

static void pushes_copy_align_and_zero(void) {
    arn_stack s = stckm(128);
    CHECK(s != 0);
    char *a = stckl(s, "abc", 3);
    CHECK(a != NULL && memcmp(a, "abc", 3) == 0);
    CHECK_INSIDE(all_zero(a + 3, 5)); /* the padding up to 8 is zero */
    unsigned char *z = stckl(s, NULL, 20); /* NULL pushes zeroes */
    CHECK(z != NULL && all_zero(z, 20));
    CHECK((uintptr_t)a % 8 == 0 && (uintptr_t)z % 8 == 0);
    CHECK(z - (unsigned char *)a == 8);
    CHECK(top_of(s) == 32);
    CHECK(stckf(s) == 0);
}

/* The seed: push, pop, markers that nest, restore discards what came
 * after. */
static void seed_markers_nest(void) {
    arn_stack s = stckm(256);
    size_t outer, inner;
    CHECK(stckt(s, &outer) == 0 && outer == 0);
    int *frame1 = stckl(s, NULL, 4 * sizeof(int));
    frame1[0] = 1;
    CHECK(stckt(s, &inner) == 0 && inner == 16);
    unsigned char *frame2 = stckl(s, "deeper", 7);
    CHECK(frame2 != NULL);
    /* A frame loop: restore to the same marker again and again. */
    for (int i = 0; i < 3; i++) {
        unsigned char *tmp = stckl(s, NULL, 40);
        CHECK(tmp != NULL && all_zero(tmp, 40));
        memset(tmp, 0xAA, 40);
        CHECK(stckr(s, inner) == 0);
        CHECK(top_of(s) == 16);
        CHECK_INSIDE(all_zero(frame2, 48)); /* what was popped is zero */
    }
    CHECK(frame1[0] == 1);
    CHECK(stckr(s, outer) == 0);
    CHECK_INSIDE(all_zero(frame1, 16));
    /* inner is gone now: the stack went below it. */
    CHECK(stckr(s, inner) == ARN_E_STACK);
    CHECK(strcmp(arnem(), "stckr: stack: marker 16 was discarded: the stack went below it (top is 0)") == 0);
    CHECK_ERR(ARN_E_STACK, "stckr");
    CHECK(stckr(s, outer) == 0); /* outer is still live */
    CHECK(stckf(s) == 0);
}

static void pop_rounds_zeroes_and_underflows(void) {
    arn_stack s = stckm(64);
    unsigned char *p = stckl(s, "0123456789", 10); /* occupies 16 */
    CHECK(p != NULL);
    CHECK(stckl(s, "x", 1) != NULL); /* 8 more: top 24 */
    CHECK(stckp(s, 25) == ARN_E_STACK);
    CHECK(strcmp(arnem(), "stckp: stack: underflow: popping 25 bytes (32 with rounding) from a stack holding 24") == 0);
    CHECK_ERR(ARN_E_STACK, "stckp");
    CHECK(top_of(s) == 24 && memcmp(p, "0123456789", 10) == 0);
    CHECK(stckp(s, 1) == 0); /* pops 8 */
    CHECK(top_of(s) == 16);
    CHECK_INSIDE(all_zero(p + 16, 8));
    CHECK(stckp(s, 0) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "stckp");
    CHECK(stckp(s, SIZE_MAX) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "stckp");
    CHECK(stckp(s, SIZE_MAX - 7) == ARN_E_STACK);
    CHECK_ERR(ARN_E_STACK, "stckp");
    CHECK(top_of(s) == 16 && memcmp(p, "0123456789", 10) == 0);
    CHECK(stckp(s, 16) == 0);
    CHECK_INSIDE(all_zero(p, 24));
    CHECK(stckp(s, 8) == ARN_E_STACK);
    CHECK_ERR(ARN_E_STACK, "stckp");
    CHECK(stckf(s) == 0);
}

static void overflow_reports_the_numbers(void) {
    arn_stack s = stckm(20); /* holds 16: pushes round up to 8 */
    CHECK(stckl(s, NULL, 16) != NULL);
    CHECK(stckl(s, "y", 1) == NULL);
    CHECK(strcmp(arnem(), "stckl: stack allocator out of memory: asked 1 bytes (8 with rounding and alignment), 4 left of 20") == 0);
    CHECK_ERR(ARN_E_CAPACITY, "stckl");
    CHECK(stckl(s, NULL, 0) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "stckl");
    CHECK(stckl(s, "y", 0) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "stckl");
    CHECK(stckl(s, NULL, SIZE_MAX) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "stckl");
    CHECK(stckl(s, "y", SIZE_MAX - 7) == NULL); /* fails before reading */
    CHECK_ERR(ARN_E_CAPACITY, "stckl");
    CHECK(top_of(s) == 16);
    CHECK(stckp(s, 8) == 0);
    CHECK(stckl(s, "y", 1) != NULL);
    CHECK(stckf(s) == 0);
    CHECK(stckm(0) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "stckm");
    CHECK(stckm(7) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "stckm");
    CHECK(stckm(SIZE_MAX) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "stckm");
}

static void bad_markers_change_nothing(void) {
    arn_stack s = stckm(64);
    unsigned char *p = stckl(s, "abcdefgh", 8);
    size_t m;
    CHECK(stckt(s, &m) == 0 && m == 8);
    CHECK(stckl(s, "ijklmnop", 8) != NULL);
    size_t bogus[] = {16, 3, 12, 64, 4096, SIZE_MAX};
    for (size_t i = 0; i < sizeof bogus / sizeof bogus[0]; i++) {
        CHECK(stckr(s, bogus[i]) == ARN_E_STACK);
        CHECK(strstr(arnem(), "was never taken") != NULL);
        CHECK_ERR(ARN_E_STACK, "stckr");
    }
    CHECK(memcmp(p, "abcdefghijklmnop", 16) == 0);
    /* A pop below the marker discards it; a pop down to it keeps it. */
    CHECK(stckp(s, 8) == 0);
    CHECK(stckr(s, m) == 0);
    CHECK(stckp(s, 8) == 0);
    CHECK(stckr(s, m) == ARN_E_STACK);
    CHECK(strstr(arnem(), "was discarded") != NULL);
    CHECK_ERR(ARN_E_STACK, "stckr");
    CHECK(top_of(s) == 0);
    /* Taken again, it is live again. */
    CHECK(stckl(s, NULL, 8) != NULL);
    CHECK(stckt(s, &m) == 0 && m == 8);
    CHECK(stckr(s, m) == 0);
    /* A NULL out pointer takes no marker. */
    CHECK(stckt(s, NULL) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "stckt");
    _Alignas(8) unsigned char raw[16];
    memset(raw, 0x77, sizeof raw);
    CHECK(stckt(s, (size_t *)(void *)(raw + 2)) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "stckt");
    CHECK(raw[2] == 0x77);
    CHECK(stckl(s, NULL, 8) != NULL);
    CHECK(stckr(s, 16) == ARN_E_STACK); /* the failed stckt took none */
    CHECK_ERR(ARN_E_STACK, "stckr");
    CHECK(stckf(s) == 0);
}

static void push_from_the_stack_itself(void) {
    arn_stack s = stckm(64);
    char *p = stckl(s, "abcdefgh", 8);
    /* The source runs from p into the zero bytes the copy is about to
     * take. */
    char *q = stckl(s, p, 16);
    CHECK(q == p + 8);
    CHECK(memcmp(p, "abcdefghabcdefgh\0\0\0\0\0\0\0\0", 24) == 0);
    CHECK(stckf(s) == 0);
}

static void handles(void) {
    arn_arena a = arnmk(64);
    size_t m;
    CHECK(stckl(a, NULL, 8) == NULL);
    CHECK_ERR(ARN_E_WRONG_KIND, "stckl");
    CHECK(stckt(a, &m) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "stckt");
    CHECK(stckp(a, 8) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "stckp");
    CHECK(stckr(a, 0) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "stckr");
    CHECK(stckf(a) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "stckf");
    CHECK(arnal(a, 64) != NULL); /* the arena is untouched */

    CHECK(stckl(0, NULL, 8) == NULL);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "stckl");
    CHECK(stckt(0, &m) == ARN_E_INVALID_HANDLE);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "stckt");
    CHECK(stckp(0, 8) == ARN_E_INVALID_HANDLE);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "stckp");
    CHECK(stckr(0, 0) == ARN_E_INVALID_HANDLE);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "stckr");
    CHECK(stckf(0) == ARN_E_INVALID_HANDLE);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "stckf");

    arn_stack s = stckm(64);
    CHECK(stckt(s, &m) == 0);
    CHECK(stckf(s) == 0);
    CHECK(stckl(s, NULL, 8) == NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "stckl");
    CHECK(stckt(s, &m) == ARN_E_STALE_HANDLE);
    CHECK_ERR(ARN_E_STALE_HANDLE, "stckt");
    CHECK(stckp(s, 8) == ARN_E_STALE_HANDLE);
    CHECK_ERR(ARN_E_STALE_HANDLE, "stckp");
    CHECK(stckr(s, m) == ARN_E_STALE_HANDLE);
    CHECK_ERR(ARN_E_STALE_HANDLE, "stckr");
    CHECK(stckf(s) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "stckf");
    arn_stack reused = stckm(64);
    CHECK((reused & 0xFFFFFF) == (s & 0xFFFFFF) && reused != s);
    CHECK(stckl(s, NULL, 8) == NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "stckl");
    CHECK(stckl(reused, NULL, 8) != NULL);
    CHECK(stckf(reused) == 0 && arnfr(a) == 0);
}

int main(void) {
    RUN(pushes_copy_align_and_zero);
    RUN(seed_markers_nest);
    RUN(pop_rounds_zeroes_and_underflows);
    RUN(overflow_reports_the_numbers);
    RUN(bad_markers_change_nothing);
    RUN(push_from_the_stack_itself);
    RUN(handles);
    return finish();
}
