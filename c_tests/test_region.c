/* The region: regin regnl rgnfr rgnst rgndl. */
#include <stdint.h>

#include "harness.h"

#define ARN 65536

static void grows_by_64k_arenas(void) {
    arn_region r = regin();
    CHECK(r != 0);
    arn_region_stats st;
    CHECK(rgnst(r, &st) == 0);
    CHECK(st.arns == 0 && st.total_allocated == 0 && st.current_arn_used == 0 &&
          st.current_arn_size == 0);
    unsigned char *p = regnl(r, 5);
    unsigned char *q = regnl(r, 16);
    CHECK(p && q && (uintptr_t)p % 8 == 0 && q - p == 8 + RED);
    CHECK(all_zero(p, 5) && all_zero(q, 16));
    CHECK(rgnst(r, &st) == 0);
    CHECK(st.arns == 1 && st.total_allocated == 24 + 2 * RED &&
          st.current_arn_used == 24 + 2 * RED && st.current_arn_size == ARN);
    /* The rest of the first arena, then a byte more: a second arena. */
    unsigned char *rest = regnl(r, ARN - 24 - 2 * RED);
    CHECK(rest == q + 16 + RED);
    memset(rest, 0xAB, ARN - 24 - 2 * RED);
    unsigned char *next = regnl(r, 1);
    CHECK(next != NULL && all_zero(next, 1));
    CHECK_INSIDE(all_zero(next, 8));
    CHECK(rgnst(r, &st) == 0);
    CHECK(st.arns == 2 && st.total_allocated == ARN + 8 + RED &&
          st.current_arn_used == 8 + RED);
    CHECK(rgndl(r) == 0);
}

static void large_requests_get_their_own_arena(void) {
    arn_region r = regin();
    unsigned char *small = regnl(r, 100);
    unsigned char *big = regnl(r, ARN + 1);
    CHECK(small && big && all_zero(big, ARN + 1));
    memset(big, 1, ARN + 1);
    unsigned char *after = regnl(r, 8);
    CHECK(after == small + 104 + RED); /* the current arena goes on */
    arn_region_stats st;
    CHECK(rgnst(r, &st) == 0);
    CHECK(st.arns == 2 && st.current_arn_used == 112 + 2 * RED &&
          st.total_allocated == 112 + 2 * RED + ARN + 8);
    CHECK(rgndl(r) == 0);
}

static void free_all_keeps_the_region(void) {
    arn_region r = regin();
    for (int i = 0; i < 100; i++) {
        unsigned char *p = regnl(r, 3000);
        CHECK(p != NULL);
        if (p)
            memset(p, 0x77, 3000);
    }
    arn_region_stats st;
    CHECK(rgnst(r, &st) == 0 && st.arns == 5);
    CHECK(rgnfr(r) == 0);
    CHECK(rgnst(r, &st) == 0);
    CHECK(st.arns == 0 && st.total_allocated == 0 && st.current_arn_size == 0);
    unsigned char *p = regnl(r, 64);
    CHECK(p != NULL && all_zero(p, 64));
    CHECK(rgnfr(r) == 0 && rgnfr(r) == 0); /* freeing an empty region is fine */
    CHECK(rgndl(r) == 0);
}

static void bad_input(void) {
    arn_region r = regin();
    CHECK(regnl(r, 8) != NULL);
    CHECK(regnl(r, 0) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "regnl");
    CHECK(regnl(r, SIZE_MAX) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "regnl");
    CHECK(regnl(r, SIZE_MAX - 7) == NULL); /* rounds fine; no heap has it */
    CHECK(arner() == ARN_E_INVALID_ARGUMENT || arner() == ARN_E_SYSTEM);
    arnec();
    CHECK(rgnst(r, NULL) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "rgnst");
    arn_region_stats st;
    CHECK(rgnst(r, &st) == 0 && st.arns == 1 && st.total_allocated == 8 + RED);
    CHECK(regnl(r, 8) != NULL);
    CHECK(rgndl(r) == 0);
}

static void handles(void) {
    arn_arena a = arnmk(64);
    arn_region_stats st;
    CHECK(regnl(a, 8) == NULL);
    CHECK_ERR(ARN_E_WRONG_KIND, "regnl");
    CHECK(rgnfr(a) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "rgnfr");
    CHECK(rgnst(a, &st) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "rgnst");
    CHECK(rgndl(a) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "rgndl");
    CHECK(regnl(0, 8) == NULL);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "regnl");
    arn_region r = regin();
    CHECK(regnl(r, 8) != NULL);
    CHECK(rgndl(r) == 0);
    CHECK(regnl(r, 8) == NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "regnl");
    CHECK(rgnfr(r) == ARN_E_STALE_HANDLE);
    CHECK_ERR(ARN_E_STALE_HANDLE, "rgnfr");
    CHECK(rgndl(r) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "rgndl");
    CHECK(arnal(a, 8) != NULL && arnfr(a) == 0);
}

int main(void) {
    RUN(grows_by_64k_arenas);
    RUN(large_requests_get_their_own_arena);
    RUN(free_all_keeps_the_region);
    RUN(bad_input);
    RUN(handles);
    return finish();
}
