/* The arena: arnmk arnal arnaa arnln arnrs arnfr arnst arnow arncp arnsd. */
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"

static void alloc_is_aligned_zeroed_and_counted(void) {
    arn_arena a = arnmk(1024);
    CHECK(a != 0);
    unsigned char *p = arnal(a, 3);
    unsigned char *q = arnal(a, 16);
    CHECK(p && q);
    CHECK((uintptr_t)p % 8 == 0 && (uintptr_t)q % 8 == 0);
    CHECK(q - p == 8 + RED); /* 3 bytes round up to 8 */
    CHECK(all_zero(p, 3) && all_zero(q, 16));
    arn_arena_stats st;
    CHECK(arnst(a, &st) == 0);
    CHECK(st.size == 1024 && st.offset == 24 + 2 * RED && st.objects == 2);
    CHECK(st.type_size == 0 && st.count == 0);
    CHECK(arnfr(a) == 0);
}

static void reset_zeroes_what_was_used(void) {
    arn_arena a = arnmk(256);
    unsigned char *p = arnal(a, 100);
    memset(p, 0xAB, 100);
    CHECK(arnrs(a) == 0);
    arn_arena_stats st;
    CHECK(arnst(a, &st) == 0);
    CHECK(st.offset == 0 && st.objects == 0);
    unsigned char *again = arnal(a, 256);
    CHECK(again == p);
    CHECK(all_zero(again, 256));
    CHECK(arnfr(a) == 0);
}

static void full_arena_fails_and_stays_usable(void) {
    arn_arena a = arnmk(64);
    CHECK(arnal(a, 56) != NULL);
    arn_arena_stats before, after;
    CHECK(arnst(a, &before) == 0);
    CHECK(arnal(a, 9) == NULL);
    CHECK(arner() == ARN_E_CAPACITY);
    CHECK_INSIDE(strcmp(arnem(), "arnal: arena out of memory: asked 9 bytes (16 with rounding and alignment), 8 left of 64") == 0);
    CHECK_ERR(ARN_E_CAPACITY, "arnal");
    CHECK(arnst(a, &after) == 0);
    CHECK(memcmp(&before, &after, sizeof before) == 0);
    CHECK_INSIDE(arnal(a, 8) != NULL); /* exactly the rest still fits */
    CHECK(arnfr(a) == 0);
}

static void bad_sizes_are_invalid_arguments(void) {
    arn_arena a = arnmk(64);
    CHECK(arnal(a, 0) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "arnal");
    CHECK(arnal(a, SIZE_MAX) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "arnal");
    CHECK(arnal(a, SIZE_MAX - 3) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "arnal");
    CHECK(arnaa(a, SIZE_MAX, 16) == NULL);
    CHECK(arner() == ARN_E_CAPACITY || arner() == ARN_E_INVALID_ARGUMENT);
    arnec();
    CHECK(arnmk(0) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "arnmk");
    CHECK(arnmk(SIZE_MAX) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "arnmk");
    arn_arena_stats st;
    CHECK(arnst(a, &st) == 0 && st.offset == 0 && st.objects == 0);
    CHECK(arnal(a, 64) != NULL);
    CHECK(arnfr(a) == 0);
}

static void explicit_alignment(void) {
    arn_arena a = arnmk(3 * 4096);
    CHECK(arnal(a, 8) != NULL);
    size_t aligns[] = {1, 2, 8, 16, 64, 4096};
    for (size_t i = 0; i < sizeof aligns / sizeof aligns[0]; i++) {
        unsigned char *p = arnaa(a, 24, aligns[i]);
        CHECK(p != NULL);
        CHECK((uintptr_t)p % aligns[i] == 0);
        CHECK(all_zero(p, 24));
    }
    arn_arena_stats before, after;
    CHECK(arnst(a, &before) == 0);
    size_t bad[] = {0, 3, 24, 8192};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(arnaa(a, 8, bad[i]) == NULL);
        CHECK_ERR(ARN_E_INVALID_ARGUMENT, "arnaa");
    }
    CHECK(arnaa(a, 0, 16) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "arnaa");
    CHECK(arnst(a, &after) == 0);
    CHECK(memcmp(&before, &after, sizeof before) == 0);
    /* The next default allocation is 8-aligned again. */
    CHECK((uintptr_t)arnal(a, 1) % 8 == 0);
    CHECK(arnfr(a) == 0);
}

static void align_sizes(void) {
    CHECK(arnln(13, 8) == 16);
    CHECK(arnln(16, 8) == 16);
    CHECK(arnln(1, 4096) == 4096);
    CHECK(arnln(0, 8) == 0);
    CHECK(arnln(5, 1) == 5);
    CHECK(arner() == 0);
    CHECK(arnln(13, 3) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "arnln");
    CHECK(arnln(13, 0) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "arnln");
    CHECK(arnln(SIZE_MAX, 8) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "arnln");
    CHECK(arnln(SIZE_MAX - 7, 8) == SIZE_MAX - 7);
    CHECK(arnln(5, 8192) == 0); /* above ARN_MAX_ALIGN, as for arnaa */
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "arnln");
    CHECK(arnln(5, ARN_MAX_ALIGN) == ARN_MAX_ALIGN);
}

static void copies_may_overlap_the_arena(void) {
    if (TRACKED)
        return; /* it reads the arena's free tail, poisoned there */
    arn_arena a = arnmk(64);
    unsigned char *p = arnal(a, 8);
    memcpy(p, "abcdefg", 8);
    /* The source runs from p into the arena's free tail, which the copy
     * itself is about to take. */
    unsigned char *c = arncp(a, p, 16);
    CHECK(c == p + 8);
    CHECK(memcmp(c, "abcdefg\0\0\0\0\0\0\0\0", 16) == 0);
    /* A string that sits exactly where its copy goes. */
    char *s = arnsd(a, (const char *)p + 24);
    CHECK(s == (char *)p + 24 && s[0] == '\0');
    CHECK(arnfr(a) == 0);
}

static void copies_bytes_and_strings(void) {
    arn_arena a = arnmk(128);
    const char raw[5] = {1, 2, 0, 4, 5};
    char *c = arncp(a, raw, sizeof raw);
    CHECK(c != NULL && memcmp(c, raw, sizeof raw) == 0 && c != raw);
    char *s = arnsd(a, "hello, arena");
    CHECK(s != NULL && strcmp(s, "hello, arena") == 0);
    CHECK((uintptr_t)s % 8 == 0);
    CHECK(arncp(a, NULL, 4) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "arncp");
    CHECK(arncp(a, raw, 0) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "arncp");
    CHECK(arnsd(a, NULL) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "arnsd");
    char big[200];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    CHECK(arnsd(a, big) == NULL);
    CHECK_ERR(ARN_E_CAPACITY, "arnsd");
    CHECK(strcmp(s, "hello, arena") == 0);
    CHECK(arnfr(a) == 0);
}

static void ownership(void) {
    arn_arena a = arnmk(64);
    char *p = arnal(a, 16);
    int local = 0;
    CHECK(arnow(a, p) == 1);
    CHECK(arnow(a, p + 15) == 1);
    CHECK(arnow(a, p + 16 + RED) == 0); /* not handed out yet */
    CHECK(arnow(a, &local) == 0);
    CHECK(arnow(a, NULL) == 0);
    CHECK(arner() == 0);
    CHECK(arnrs(a) == 0);
    CHECK(arnow(a, p) == 0);
    CHECK(arnfr(a) == 0);
    CHECK(arnow(a, p) == 0);
    CHECK_ERR(ARN_E_STALE_HANDLE, "arnow");
}

static void stats_need_somewhere_to_go(void) {
    arn_arena a = arnmk(64);
    CHECK(arnst(a, NULL) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "arnst");
    _Alignas(8) unsigned char raw[sizeof(arn_arena_stats) + 8];
    memset(raw, 0x77, sizeof raw);
    CHECK(arnst(a, (arn_arena_stats *)(void *)(raw + 1)) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "arnst");
    CHECK(raw[1] == 0x77); /* untouched */
    CHECK(arnal(a, 8) != NULL);
    CHECK(arnfr(a) == 0);
}

static void bad_handles(void) {
    arn_arena_stats st;
    CHECK(arnal(0, 8) == NULL);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "arnal");
    CHECK(arnrs(0) == ARN_E_INVALID_HANDLE);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "arnrs");
    CHECK(arnfr(0) == ARN_E_INVALID_HANDLE);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "arnfr");
    CHECK(arnst(0, &st) == ARN_E_INVALID_HANDLE);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "arnst");
    CHECK(arnal(UINT64_MAX, 8) == NULL);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "arnal");
    arn_arena a = arnmk(64);
    /* The same slot with a generation never issued. */
    CHECK(arnal(a + ((uint64_t)7 << 24), 8) == NULL);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "arnal");
    /* The same slot and generation with the bump kind's bits: forged. */
    arn_bump forged = (a & ~((uint64_t)0xFF << 56)) | ((uint64_t)3 << 56);
    CHECK(bumpl(forged, 8) == NULL);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "bumpl");
    CHECK(arnal(a, 8) != NULL);
    CHECK(arnfr(a) == 0);
}

static void freed_handles_are_stale(void) {
    arn_arena a = arnmk(64);
    CHECK(arnfr(a) == 0);
    arn_arena_stats st;
    CHECK(arnal(a, 8) == NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "arnal");
    CHECK(arnrs(a) == ARN_E_STALE_HANDLE);
    CHECK_ERR(ARN_E_STALE_HANDLE, "arnrs");
    CHECK(arnst(a, &st) == ARN_E_STALE_HANDLE);
    CHECK_ERR(ARN_E_STALE_HANDLE, "arnst");
    CHECK(arnfr(a) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "arnfr");
}

static void stale_after_the_slot_is_reused(void) {
    arn_arena old = arnmk(64);
    CHECK(arnfr(old) == 0);
    arn_arena fresh = arnmk(128);
    /* The low 24 bits are the slot index: the new arena took the old slot. */
    CHECK((old & 0xFFFFFF) == (fresh & 0xFFFFFF));
    CHECK(old != fresh);
    CHECK(arnal(old, 8) == NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "arnal");
    CHECK(arnfr(old) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "arnfr");
    arn_arena_stats st;
    CHECK(arnst(fresh, &st) == 0 && st.size == 128 && st.objects == 0);
    CHECK(arnal(fresh, 8) != NULL);
    CHECK(arnfr(fresh) == 0);
}

static void handles_of_another_kind(void) {
    arn_bump b = bmpmk(64);
    arn_arena t = arntm(8, 4);
    CHECK(arnal(b, 8) == NULL);
    CHECK_ERR(ARN_E_WRONG_KIND, "arnal");
    CHECK(arnrs(b) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "arnrs");
    CHECK(arnfr(b) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "arnfr");
    CHECK(arnal(t, 8) == NULL); /* a typed arena hands out slots only */
    CHECK_ERR(ARN_E_WRONG_KIND, "arnal");
    CHECK(arncp(t, "x", 1) == NULL);
    CHECK_ERR(ARN_E_WRONG_KIND, "arncp");
    CHECK(bumpl(b, 8) != NULL);
    CHECK(arnta(t, NULL) != NULL);
    CHECK(bmpfr(b) == 0);
    CHECK(arnfr(t) == 0);
}

static void large_arena_costs_only_what_is_used(void) {
    /* 1 GiB: calloc maps it lazily, and a reset zeroes only what was used. */
    arn_arena a = arnmk((size_t)1 << 30);
    CHECK(a != 0);
    for (int round = 0; round < 1000; round++) {
        unsigned char *p = arnal(a, 4096);
        CHECK(p != NULL && p[4095] == 0);
        p[0] = 1;
        CHECK(arnrs(a) == 0);
    }
    CHECK(arnfr(a) == 0);
}

int main(void) {
    RUN(alloc_is_aligned_zeroed_and_counted);
    RUN(reset_zeroes_what_was_used);
    RUN(full_arena_fails_and_stays_usable);
    RUN(bad_sizes_are_invalid_arguments);
    RUN(explicit_alignment);
    RUN(align_sizes);
    RUN(copies_bytes_and_strings);
    RUN(copies_may_overlap_the_arena);
    RUN(ownership);
    RUN(stats_need_somewhere_to_go);
    RUN(bad_handles);
    RUN(freed_handles_are_stale);
    RUN(stale_after_the_slot_is_reused);
    RUN(handles_of_another_kind);
    RUN(large_arena_costs_only_what_is_used);
    return finish();
}
