/* The typed arena: arntm arnta arnti, and arnrs arnfr arnst arnow on it. */
#include <stdint.h>

#include "harness.h"

struct point {
    int x, y, z; /* 12 bytes: slots are 16 apart */
};

static void slots_are_indexed_aligned_and_zeroed(void) {
    arn_arena t = arntm(sizeof(struct point), 4);
    CHECK(t != 0);
    struct point *slots[4];
    for (size_t i = 0; i < 4; i++) {
        size_t index = 99;
        slots[i] = arnta(t, &index);
        CHECK(slots[i] != NULL);
        CHECK(index == i);
        CHECK((uintptr_t)slots[i] % 8 == 0);
        CHECK(all_zero(slots[i], sizeof(struct point)));
        slots[i]->x = (int)i;
    }
    CHECK((char *)slots[1] - (char *)slots[0] == 16);
    for (size_t i = 0; i < 4; i++) {
        struct point *p = arnti(t, i);
        CHECK(p == slots[i] && p->x == (int)i);
    }
    arn_arena_stats st;
    CHECK(arnst(t, &st) == 0);
    CHECK(st.size == 64 && st.offset == 64 && st.objects == 4);
    CHECK(st.type_size == 12 && st.count == 4);
    CHECK(arnow(t, slots[3]) == 1);
    CHECK(arnfr(t) == 0);
}

static void full_typed_arena(void) {
    arn_arena t = arntm(8, 2);
    CHECK(arnta(t, NULL) != NULL);
    CHECK(arnta(t, NULL) != NULL);
    size_t index = 77;
    CHECK(arnta(t, &index) == NULL);
    CHECK(index == 77);
    CHECK(arner() == ARN_E_CAPACITY);
    CHECK(strcmp(arnem(), "arnta: typed arena full: all 2 slots in use") == 0);
    CHECK_ERR(ARN_E_CAPACITY, "arnta");
    CHECK(arnti(t, 1) != NULL);
    CHECK(arnrs(t) == 0);
    CHECK(arnta(t, &index) != NULL && index == 0);
    CHECK(arnfr(t) == 0);
}

static void index_bounds(void) {
    arn_arena t = arntm(24, 8);
    CHECK(arnti(t, 0) == NULL); /* nothing handed out yet */
    CHECK_ERR(ARN_E_OUT_OF_BOUNDS, "arnti");
    CHECK(arnta(t, NULL) != NULL);
    CHECK(arnta(t, NULL) != NULL);
    CHECK(arnti(t, 1) != NULL);
    CHECK(arnti(t, 2) == NULL);
    CHECK(strcmp(arnem(), "arnti: index 2 out of bounds: 2 allocated") == 0);
    CHECK_ERR(ARN_E_OUT_OF_BOUNDS, "arnti");
    CHECK(arnti(t, SIZE_MAX) == NULL);
    CHECK_ERR(ARN_E_OUT_OF_BOUNDS, "arnti");
    arn_arena_stats st;
    CHECK(arnst(t, &st) == 0 && st.count == 2);
    CHECK(arnfr(t) == 0);
}

static void reset_zeroes_used_slots(void) {
    arn_arena t = arntm(32, 3);
    unsigned char *a = arnta(t, NULL);
    unsigned char *b = arnta(t, NULL);
    memset(a, 0xFF, 32);
    memset(b, 0xEE, 32);
    CHECK(arnrs(t) == 0);
    CHECK(arnti(t, 0) == NULL);
    CHECK_ERR(ARN_E_OUT_OF_BOUNDS, "arnti");
    CHECK(arnta(t, NULL) == a && all_zero(a, 32));
    CHECK(arnta(t, NULL) == b && all_zero(b, 32));
    CHECK(arnfr(t) == 0);
}

static void bad_creation(void) {
    CHECK(arntm(0, 4) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "arntm");
    CHECK(arntm(4, 0) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "arntm");
    CHECK(arntm(SIZE_MAX, 1) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "arntm");
    CHECK(arntm(SIZE_MAX / 4, 8) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "arntm");
    arn_arena t = arntm(4, 1);
    CHECK(t != 0 && arnta(t, NULL) != NULL);
    CHECK(arnfr(t) == 0);
}

static void handles(void) {
    arn_arena a = arnmk(64);
    arn_bump b = bmpmk(64);
    arn_arena t = arntm(8, 2);
    CHECK(arnta(a, NULL) == NULL);
    CHECK_ERR(ARN_E_WRONG_KIND, "arnta");
    CHECK(arnti(b, 0) == NULL);
    CHECK_ERR(ARN_E_WRONG_KIND, "arnti");
    CHECK(arnta(0, NULL) == NULL);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "arnta");
    _Alignas(8) unsigned char raw[16] = {0};
    CHECK(arnta(t, (size_t *)(void *)(raw + 3)) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "arnta");
    arn_arena_stats st;
    CHECK(arnst(t, &st) == 0 && st.count == 0); /* no slot was taken */
    CHECK(arnta(t, NULL) != NULL);
    CHECK(arnfr(t) == 0);
    CHECK(arnta(t, NULL) == NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "arnta");
    CHECK(arnti(t, 0) == NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "arnti");
    CHECK(arnfr(t) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "arnfr");
    CHECK(arnal(a, 8) != NULL && bumpl(b, 8) != NULL);
    CHECK(arnfr(a) == 0 && bmpfr(b) == 0);
}

int main(void) {
    RUN(slots_are_indexed_aligned_and_zeroed);
    RUN(full_typed_arena);
    RUN(index_bounds);
    RUN(reset_zeroes_used_slots);
    RUN(bad_creation);
    RUN(handles);
    return finish();
}
