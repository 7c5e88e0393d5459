/* The arena-native vector (vecmk vecps vecat vecpt vecrm vecri vecix vecln
 * vecca vecrs vecit vecfr vecau) on growing arenas. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"

typedef struct {
    uint32_t id;
    uint32_t tag;
    void *ptr;
} item;

static item mk(uint32_t id) {
    item it;
    memset(&it, 0, sizeof it);
    it.id = id;
    it.tag = id * 7u;
    return it;
}

static void push_read_and_grow(void) {
    arn_grow g = grwmk(NULL);
    CHECK(g != 0);
    arn_vector v = vecmk(g, sizeof(item), 2);
    CHECK(v != 0);
    CHECK(vecln(v) == 0 && vecca(v) == 2);
    for (uint32_t i = 0; i < 1000; i++) {
        item it = mk(i);
        CHECK(vecps(v, &it) == 0);
    }
    CHECK(vecln(v) == 1000);
    CHECK(vecca(v) >= 1000);
    int ok = 1;
    for (size_t i = 0; i < 1000; i++) {
        item *p = (item *)vecat(v, i);
        ok &= p != NULL && p->id == i && p->tag == i * 7u;
        ok &= grwow(g, p) == 1;
    }
    CHECK(ok);
    /* The storage is aligned for any scalar. */
    CHECK(((uintptr_t)vecat(v, 0) & 15u) == 0);
    /* Pushing an element of the vector itself, across growth. */
    CHECK(vecln(v) == 1000);
    while (vecln(v) < vecca(v))
        CHECK(vecps(v, vecat(v, 0)) == 0);
    CHECK(vecps(v, vecat(v, 3)) == 0);
    item *last = (item *)vecat(v, vecln(v) - 1);
    CHECK(last != NULL && last->id == 3);
    CHECK(vecfr(v) == 0);
    CHECK(grwfr(g) == 0);
}

static void set_remove_index_clear(void) {
    arn_grow g = grwmk(NULL);
    arn_vector v = vecmk(g, sizeof(uint64_t), 0);
    CHECK(v != 0 && vecca(v) == 0);
    for (uint64_t i = 0; i < 10; i++)
        CHECK(vecps(v, &i) == 0);
    uint64_t x = 42;
    CHECK(vecpt(v, 4, &x) == 0);
    CHECK(*(uint64_t *)vecat(v, 4) == 42);
    CHECK(vecix(v, &x) == 4);
    uint64_t absent = 99;
    CHECK(vecix(v, &absent) == -1);
    CHECK(vecrm(v, &absent) == 0);
    CHECK(vecrm(v, &x) == 1);
    CHECK(vecln(v) == 9);
    CHECK(*(uint64_t *)vecat(v, 4) == 5);
    CHECK(vecix(v, &x) == -1);
    CHECK(vecri(v, 0) == 0);
    CHECK(vecln(v) == 8);
    CHECK(*(uint64_t *)vecat(v, 0) == 1);
    CHECK(*(uint64_t *)vecat(v, 7) == 9);
    /* Duplicates: the first goes. */
    uint64_t one = 1;
    CHECK(vecps(v, &one) == 0);
    CHECK(vecix(v, &one) == 0);
    CHECK(vecrm(v, &one) == 1);
    CHECK(vecix(v, &one) == 7);
    size_t cap = vecca(v);
    CHECK(vecrs(v) == 0);
    CHECK(vecln(v) == 0 && vecca(v) == cap);
    CHECK(vecat(v, 0) == NULL);
    CHECK_ERR(ARN_E_OUT_OF_BOUNDS, "vecat");
    CHECK(vecfr(v) == 0);
    CHECK(grwfr(g) == 0);
}

typedef struct {
    size_t calls;
    uint64_t sum;
    size_t stop_at;
    arn_vector self;
    int inner;
} walk;

static int visit(void *ctx, size_t index, void *elem) {
    walk *w = (walk *)ctx;
    uint64_t *p = (uint64_t *)elem;
    w->calls++;
    w->sum += *p;
    *p += 100; /* elements are writable */
    if (w->self != 0) {
        w->inner = vecln(w->self) == 0 ? arner() : 0;
        arnec();
    }
    return index + 1 == w->stop_at ? 5 : 0;
}

static void iterate(void) {
    arn_grow g = grwmk(NULL);
    arn_vector v = vecmk(g, sizeof(uint64_t), 4);
    for (uint64_t i = 1; i <= 10; i++)
        CHECK(vecps(v, &i) == 0);
    walk w = {0, 0, 0, 0, 0};
    CHECK(vecit(v, visit, &w) == 0);
    CHECK(w.calls == 10 && w.sum == 55);
    CHECK(*(uint64_t *)vecat(v, 9) == 110);
    walk stop = {0, 0, 3, 0, 0};
    CHECK(vecit(v, visit, &stop) == 5);
    CHECK(stop.calls == 3);
    /* Re-entry is refused, and the vector stays usable. */
    walk re = {0, 0, 1, v, 0};
    CHECK(vecit(v, visit, &re) == 5);
    CHECK(re.inner == ARN_E_BUSY);
    CHECK(vecln(v) == 10);
    CHECK(vecit(v, NULL, NULL) == -1);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "vecit");
    arn_vector empty = vecmk(g, 8, 0);
    walk none = {0, 0, 0, 0, 0};
    CHECK(vecit(empty, visit, &none) == 0 && none.calls == 0);
    CHECK(vecfr(empty) == 0);
    CHECK(vecfr(v) == 0);
    CHECK(grwfr(g) == 0);
}

static void audit_finds_heap_pointers(void) {
    arn_grow g = grwmk(NULL);
    arn_vector v = vecmk(g, sizeof(item), 0);
    void *heap = malloc(16);
    CHECK(heap != NULL);
    for (uint32_t i = 0; i < 8; i++) {
        item it = mk(i);
        if (i == 2 || i == 6)
            it.ptr = heap;
        else if (i % 2 == 1)
            it.ptr = grwal(g, 24, 8);
        CHECK(vecps(v, &it) == 0);
    }
    size_t count = 99, idx[4] = {0, 0, 0, 0};
    CHECK(vecau(v, offsetof(item, ptr), &count, idx, 4) == 0);
    CHECK(count == 2 && idx[0] == 2 && idx[1] == 6 && idx[2] == 0);
    /* Counting only, and a short output. */
    CHECK(vecau(v, offsetof(item, ptr), &count, NULL, 0) == 0 && count == 2);
    CHECK(vecau(v, offsetof(item, ptr), &count, idx, 1) == 0 && count == 2);
    /* The offset must leave room for a pointer. */
    CHECK(vecau(v, sizeof(item) - sizeof(void *) + 1, &count, idx, 4) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "vecau");
    CHECK(vecau(v, SIZE_MAX, &count, idx, 4) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "vecau");
    CHECK(vecau(v, 0, NULL, idx, 4) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "vecau");
    CHECK(vecau(v, 0, &count, NULL, 4) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "vecau");
    CHECK(vecln(v) == 8);
    free(heap);
    CHECK(vecfr(v) == 0);
    CHECK(grwfr(g) == 0);
}

static void bad_inputs_leave_the_vector_alone(void) {
    arn_grow g = grwmk(NULL);
    CHECK(vecmk(g, 0, 4) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "vecmk");
    CHECK(vecmk(g, SIZE_MAX / 2, 4) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "vecmk");
    CHECK(vecmk(0, 8, 4) == 0);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "vecmk");
    arn_vector v = vecmk(g, sizeof(uint32_t), 1);
    uint32_t x = 7;
    CHECK(vecps(v, &x) == 0);
    CHECK(vecps(v, NULL) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "vecps");
    CHECK(vecpt(v, 0, NULL) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "vecpt");
    CHECK(vecpt(v, 1, &x) == ARN_E_OUT_OF_BOUNDS);
    CHECK_ERR(ARN_E_OUT_OF_BOUNDS, "vecpt");
    CHECK(vecri(v, 1) == ARN_E_OUT_OF_BOUNDS);
    CHECK_ERR(ARN_E_OUT_OF_BOUNDS, "vecri");
    CHECK(vecat(v, SIZE_MAX) == NULL);
    CHECK_ERR(ARN_E_OUT_OF_BOUNDS, "vecat");
    CHECK(vecrm(v, NULL) == -1);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "vecrm");
    CHECK(vecix(v, NULL) == -2);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "vecix");
    CHECK(vecln(v) == 1 && *(uint32_t *)vecat(v, 0) == 7);
    /* Zero, wrong-kind and forged handles. */
    CHECK(vecln(0) == 0);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "vecln");
    CHECK(vecca(g) == 0);
    CHECK_ERR(ARN_E_WRONG_KIND, "vecca");
    CHECK(vecps(g, &x) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "vecps");
    CHECK(vecfr(g) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "vecfr");
    CHECK(vecrs(v + 1) != 0);
    arnec();
    CHECK(vecln(v) == 1);
    /* Freed twice; then every call is stale. */
    CHECK(vecfr(v) == 0);
    CHECK(vecfr(v) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "vecfr");
    CHECK(vecps(v, &x) == ARN_E_STALE_HANDLE);
    CHECK_ERR(ARN_E_STALE_HANDLE, "vecps");
    CHECK(vecat(v, 0) == NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "vecat");
    CHECK(grwfr(g) == 0);
}

static void arena_reset_or_freed_under_the_vector(void) {
    arn_grow g = grwmk(NULL);
    arn_vector v = vecmk(g, sizeof(uint64_t), 8);
    uint64_t x = 1;
    CHECK(vecps(v, &x) == 0);
    CHECK(grwrs(g) == 0);
    CHECK(vecps(v, &x) == ARN_E_STALE_HANDLE);
    CHECK(strstr(arnem(), "arena was reset") != NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "vecps");
    CHECK(vecln(v) == 0);
    CHECK_ERR(ARN_E_STALE_HANDLE, "vecln");
    CHECK(vecat(v, 0) == NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "vecat");
    CHECK(vecit(v, visit, NULL) == -1);
    CHECK_ERR(ARN_E_STALE_HANDLE, "vecit");
    size_t count;
    CHECK(vecau(v, 0, &count, NULL, 0) == ARN_E_STALE_HANDLE);
    CHECK_ERR(ARN_E_STALE_HANDLE, "vecau");
    /* A vector made after the reset works. */
    arn_vector w = vecmk(g, sizeof(uint64_t), 0);
    CHECK(vecps(w, &x) == 0 && vecln(w) == 1);
    CHECK(vecfr(v) == 0);
    CHECK(grwfr(g) == 0);
    CHECK(vecps(w, &x) == ARN_E_STALE_HANDLE);
    CHECK(strstr(arnem(), "growing arena") != NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "vecps");
    CHECK(vecfr(w) == 0);
    CHECK(vecfr(w) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "vecfr");
}

static int reset_arena(void *ctx, size_t index, void *elem) {
    (void)index;
    (void)elem;
    CHECK(grwrs(*(arn_grow *)ctx) == 0);
    return 0;
}

static void a_reset_inside_the_walk_stops_it(void) {
    arn_grow g = grwmk(NULL);
    arn_vector v = vecmk(g, 8, 0);
    uint64_t x = 3;
    CHECK(vecps(v, &x) == 0 && vecps(v, &x) == 0);
    CHECK(vecit(v, reset_arena, &g) == -1);
    CHECK_ERR(ARN_E_STALE_HANDLE, "vecit");
    CHECK(vecfr(v) == 0);
    CHECK(grwfr(g) == 0);
}

static void on_a_locked_arena(void) {
    arn_grow_opts o;
    memset(&o, 0, sizeof o);
    o.lock = 1;
    o.chunk_size = 1024;
    arn_grow g = grwmk(&o);
    CHECK(g != 0);
    arn_vector v = vecmk(g, 24, 0);
    char e[24];
    for (int i = 0; i < 500; i++) {
        memset(e, i & 0xFF, sizeof e);
        CHECK(vecps(v, e) == 0);
    }
    memset(e, 77, sizeof e);
    CHECK(vecix(v, e) == 77);
    CHECK(vecln(v) == 500);
    CHECK(vecfr(v) == 0);
    CHECK(grwfr(g) == 0);
}

int main(void) {
    RUN(push_read_and_grow);
    RUN(set_remove_index_clear);
    RUN(iterate);
    RUN(audit_finds_heap_pointers);
    RUN(bad_inputs_leave_the_vector_alone);
    RUN(arena_reset_or_freed_under_the_vector);
    RUN(a_reset_inside_the_walk_stops_it);
    RUN(on_a_locked_arena);
    return finish();
}
