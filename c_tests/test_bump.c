/* The bump allocator: bmpmk bumpl bmprs bmpfr bmpst. */
#include <stdint.h>

#include "harness.h"

static void bumps_aligned_and_zeroed(void) {
    arn_bump b = bmpmk(100);
    CHECK(b != 0);
    unsigned char *p = bumpl(b, 5);
    unsigned char *q = bumpl(b, 16);
    CHECK(p && q);
    CHECK((uintptr_t)p % 8 == 0 && (uintptr_t)q % 8 == 0);
    CHECK(p - q == 16 + RED); /* downwards, 16 bytes for q */
    CHECK(all_zero(p, 5) && all_zero(q, 16));
    arn_bump_stats st;
    CHECK(bmpst(b, &st) == 0);
    CHECK(st.size == 100 && st.used == 24 + 2 * RED && st.allocations == 2);
    CHECK(bmpfr(b) == 0);
}

static void exhaustion_and_reset(void) {
    arn_bump b = bmpmk(36); /* usable: 32 */
    unsigned char *p = bumpl(b, 32);
    CHECK(p != NULL);
    memset(p, 0x5A, 32);
    CHECK(bumpl(b, 1) == NULL);
    CHECK(strcmp(arnem(), "bumpl: bump allocator out of memory: asked 1 bytes (8 with rounding and alignment), 0 left of 36") == 0);
    CHECK_ERR(ARN_E_CAPACITY, "bumpl");
    arn_bump_stats st;
    CHECK(bmpst(b, &st) == 0 && st.used == 32 && st.allocations == 1);
    CHECK(bmprs(b) == 0);
    CHECK(bmpst(b, &st) == 0 && st.used == 0 && st.allocations == 0);
    unsigned char *again = bumpl(b, 32);
    CHECK(again == p && all_zero(again, 32));
    CHECK(bmpfr(b) == 0);
}

static void bad_sizes(void) {
    arn_bump b = bmpmk(64);
    CHECK(bumpl(b, 0) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bumpl");
    CHECK(bumpl(b, SIZE_MAX) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bumpl");
    CHECK(bumpl(b, SIZE_MAX - 7) == NULL);
    CHECK_ERR(ARN_E_CAPACITY, "bumpl");
    CHECK(bmpmk(0) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bmpmk");
    CHECK(bmpmk(SIZE_MAX) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bmpmk");
    CHECK(bmpmk(7) == 0); /* no room for one 8-byte allocation */
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bmpmk");
    arn_bump tiny = bmpmk(8);
    CHECK(tiny != 0 && bumpl(tiny, 8) != NULL && bmpfr(tiny) == 0);
    CHECK(bmpst(b, NULL) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "bmpst");
    arn_bump_stats st;
    CHECK(bmpst(b, &st) == 0 && st.used == 0);
    CHECK(bumpl(b, 64) != NULL);
    CHECK(bmpfr(b) == 0);
}

static void handles(void) {
    arn_arena a = arnmk(64);
    arn_bump_stats st;
    CHECK(bumpl(a, 8) == NULL);
    CHECK_ERR(ARN_E_WRONG_KIND, "bumpl");
    CHECK(bmprs(a) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "bmprs");
    CHECK(bmpfr(a) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "bmpfr");
    CHECK(bmpst(a, &st) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "bmpst");
    CHECK(bumpl(0, 8) == NULL);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "bumpl");
    arn_bump b = bmpmk(64);
    CHECK(bmpfr(b) == 0);
    CHECK(bumpl(b, 8) == NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "bumpl");
    CHECK(bmprs(b) == ARN_E_STALE_HANDLE);
    CHECK_ERR(ARN_E_STALE_HANDLE, "bmprs");
    CHECK(bmpfr(b) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "bmpfr");
    arn_bump reused = bmpmk(32);
    CHECK((reused & 0xFFFFFF) == (b & 0xFFFFFF) && reused != b);
    CHECK(bumpl(b, 8) == NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "bumpl");
    CHECK(bumpl(reused, 8) != NULL);
    CHECK(arnal(a, 8) != NULL);
    CHECK(bmpfr(reused) == 0 && arnfr(a) == 0);
}

int main(void) {
    RUN(bumps_aligned_and_zeroed);
    RUN(exhaustion_and_reset);
    RUN(bad_sizes);
    RUN(handles);
    return finish();
}
