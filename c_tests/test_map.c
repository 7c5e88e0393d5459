/* The arena-native map (mapmk mappt mapgt maphs maprm mapln maprs mapad
 * mapit mapfr mapau) on growing arenas. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

static int has(arn_map m, const char *key, const char *val) {
    size_t n = 99;
    const void *p = mapgt(m, key, strlen(key), &n);
    return p != NULL && n == strlen(val) && memcmp(p, val, n) == 0;
}

static void put_get_replace_remove(void) {
    arn_grow g = grwmk(NULL);
    arn_map m = mapmk(g, 0);
    CHECK(m != 0);
    CHECK(mapln(m) == 0);
    CHECK(mappt(m, "alpha", 5, "one", 3) == 0);
    CHECK(mappt(m, "beta", 4, "two", 3) == 0);
    CHECK(mapln(m) == 2);
    CHECK(has(m, "alpha", "one") && has(m, "beta", "two"));
    size_t n = 99;
    const void *p = mapgt(m, "alpha", 5, &n);
    CHECK(grwow(g, p) == 1);
    /* Replacing frees the old value; the new one is a copy. */
    char buf[8] = "three";
    CHECK(mappt(m, "alpha", 5, buf, 5) == 0);
    buf[0] = 'X';
    CHECK(has(m, "alpha", "three"));
    CHECK(mapln(m) == 2);
    /* Absent: NULL, length 0, the last error untouched. */
    arnec();
    n = 99;
    CHECK(mapgt(m, "gamma", 5, &n) == NULL && n == 0 && arner() == 0);
    CHECK(mapgt(m, "alpha", 5, NULL) != NULL);
    CHECK(maphs(m, "alpha", 5) == 1 && maphs(m, "gamma", 5) == 0);
    CHECK(maprm(m, "alpha", 5) == 1);
    CHECK(maprm(m, "alpha", 5) == 0);
    CHECK(maphs(m, "alpha", 5) == 0 && mapln(m) == 1);
    /* A value put from the map's own memory. */
    p = mapgt(m, "beta", 4, &n);
    CHECK(mappt(m, "beta", 4, p, n) == 0);
    CHECK(has(m, "beta", "two"));
    CHECK(mapfr(m) == 0);
    CHECK(grwfr(g) == 0);
}

static void empty_keys_and_values(void) {
    arn_grow g = grwmk(NULL);
    arn_map m = mapmk(g, 4);
    CHECK(mappt(m, NULL, 0, "e", 1) == 0);
    CHECK(mappt(m, "k", 1, NULL, 0) == 0);
    size_t n = 99;
    const void *p = mapgt(m, "", 0, &n);
    CHECK(p != NULL && n == 1 && memcmp(p, "e", 1) == 0);
    p = mapgt(m, "k", 1, &n);
    CHECK(p != NULL && n == 0);
    CHECK(maphs(m, NULL, 0) == 1);
    CHECK(maprm(m, NULL, 0) == 1);
    CHECK(maphs(m, NULL, 0) == 0);
    CHECK(mapln(m) == 1);
    CHECK(mapfr(m) == 0);
    CHECK(grwfr(g) == 0);
}

static void growth_add_if_absent_and_clear(void) {
    arn_grow_opts o;
    memset(&o, 0, sizeof o);
    o.chunk_size = 4096;
    arn_grow g = grwmk(&o);
    arn_map m = mapmk(g, 2);
    char key[32], val[32];
    for (int i = 0; i < 5000; i++) {
        int kl = snprintf(key, sizeof key, "key-%d", i);
        int vl = snprintf(val, sizeof val, "value-%d", i * 3);
        CHECK(mapad(m, key, (size_t)kl, val, (size_t)vl) == 1);
    }
    CHECK(mapln(m) == 5000);
    CHECK(mapad(m, "key-17", 6, "x", 1) == 0);
    CHECK(has(m, "key-17", "value-51"));
    CHECK(has(m, "key-4999", "value-14997"));
    for (int i = 0; i < 5000; i += 2) {
        int kl = snprintf(key, sizeof key, "key-%d", i);
        CHECK(maprm(m, key, (size_t)kl) == 1);
    }
    CHECK(mapln(m) == 2500);
    CHECK(maphs(m, "key-2", 5) == 0 && maphs(m, "key-3", 5) == 1);
    CHECK(maprs(m) == 0);
    CHECK(mapln(m) == 0 && maphs(m, "key-3", 5) == 0);
    CHECK(mappt(m, "again", 5, "yes", 3) == 0 && has(m, "again", "yes"));
    CHECK(mapfr(m) == 0);
    CHECK(grwfr(g) == 0);
}

typedef struct {
    int calls;
    long sum;
    int stop_at;
    arn_map self;
    int inner;
} walk;

static int visit(void *ctx, const void *key, size_t klen, const void *val, size_t vlen) {
    walk *w = (walk *)ctx;
    CHECK(klen == 1 && vlen == sizeof(int));
    int v;
    memcpy(&v, val, sizeof v);
    CHECK(v == (*(const char *)key - 'a') * 10);
    w->calls++;
    w->sum += v;
    if (w->self != 0) {
        w->inner = mappt(w->self, "z", 1, "z", 1);
        arnec();
    }
    return w->calls == w->stop_at ? 9 : 0;
}

static void iterate(void) {
    arn_grow g = grwmk(NULL);
    arn_map m = mapmk(g, 0);
    for (int i = 0; i < 20; i++) {
        char k = (char)('a' + i);
        int v = i * 10;
        CHECK(mappt(m, &k, 1, &v, sizeof v) == 0);
    }
    walk w = {0, 0, 0, 0, 0};
    CHECK(mapit(m, visit, &w) == 0);
    CHECK(w.calls == 20 && w.sum == 1900);
    walk stop = {0, 0, 4, 0, 0};
    CHECK(mapit(m, visit, &stop) == 9 && stop.calls == 4);
    walk re = {0, 0, 1, m, 0};
    CHECK(mapit(m, visit, &re) == 9);
    CHECK(re.inner == ARN_E_BUSY);
    CHECK(mapln(m) == 20 && maphs(m, "z", 1) == 0);
    CHECK(mapit(m, NULL, NULL) == -1);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "mapit");
    CHECK(mapfr(m) == 0);
    CHECK(grwfr(g) == 0);
}

typedef struct {
    int id;
    void *ptr;
} record;

static void audit_finds_heap_pointers(void) {
    arn_grow g = grwmk(NULL);
    arn_map m = mapmk(g, 0);
    void *heap = malloc(8);
    CHECK(heap != NULL);
    record r = {1, grwal(g, 16, 8)};
    CHECK(mappt(m, "arena", 5, &r, sizeof r) == 0);
    r.ptr = heap;
    CHECK(mappt(m, "heap", 4, &r, sizeof r) == 0);
    r.ptr = NULL;
    CHECK(mappt(m, "null", 4, &r, sizeof r) == 0);
    CHECK(mappt(m, "short", 5, "abc", 3) == 0);
    size_t count = 99, klens[2] = {0, 0};
    const void *keys[2] = {NULL, NULL};
    CHECK(mapau(m, offsetof(record, ptr), &count, keys, klens, 2) == 0);
    CHECK(count == 1);
    CHECK(klens[0] == 4 && keys[0] != NULL && memcmp(keys[0], "heap", 4) == 0);
    CHECK(grwow(g, keys[0]) == 1);
    CHECK(mapau(m, offsetof(record, ptr), &count, NULL, NULL, 0) == 0 && count == 1);
    /* An offset past every value finds nothing. */
    CHECK(mapau(m, 1000, &count, keys, klens, 2) == 0 && count == 0);
    CHECK(mapau(m, SIZE_MAX, &count, keys, klens, 2) == 0 && count == 0);
    CHECK(mapau(m, 0, NULL, keys, klens, 2) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "mapau");
    CHECK(mapau(m, 0, &count, NULL, klens, 2) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "mapau");
    CHECK(mapln(m) == 4);
    free(heap);
    CHECK(mapfr(m) == 0);
    CHECK(grwfr(g) == 0);
}

static void bad_inputs_leave_the_map_alone(void) {
    arn_grow g = grwmk(NULL);
    CHECK(mapmk(0, 4) == 0);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "mapmk");
    CHECK(mapmk(g, SIZE_MAX) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "mapmk");
    arn_map m = mapmk(g, 0);
    CHECK(mappt(m, "k", 1, "v", 1) == 0);
    CHECK(mappt(m, NULL, 1, "v", 1) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "mappt");
    CHECK(mappt(m, "k", 1, NULL, 2) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "mappt");
    CHECK(mapad(m, NULL, 3, "v", 1) == -1);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "mapad");
    CHECK(mapgt(m, NULL, 1, NULL) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "mapgt");
    CHECK(maprm(m, NULL, 1) == -1);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "maprm");
    CHECK(maphs(m, NULL, 1) == -1);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "maphs");
    CHECK(mapln(m) == 1 && has(m, "k", "v"));
    CHECK(mapln(0) == 0);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "mapln");
    CHECK(mappt(g, "k", 1, "v", 1) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "mappt");
    arn_vector v = vecmk(g, 8, 0);
    CHECK(maprs(v) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "maprs");
    CHECK(vecfr(m) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "vecfr");
    CHECK(vecfr(v) == 0);
    CHECK(mapfr(m) == 0);
    CHECK(mapfr(m) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "mapfr");
    CHECK(mapgt(m, "k", 1, NULL) == NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "mapgt");
    CHECK(grwfr(g) == 0);
}

static void arena_reset_or_freed_under_the_map(void) {
    arn_grow g = grwmk(NULL);
    arn_map m = mapmk(g, 0);
    CHECK(mappt(m, "k", 1, "v", 1) == 0);
    CHECK(grwrs(g) == 0);
    CHECK(mappt(m, "k", 1, "v", 1) == ARN_E_STALE_HANDLE);
    CHECK(strstr(arnem(), "arena was reset") != NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "mappt");
    CHECK(mapgt(m, "k", 1, NULL) == NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "mapgt");
    CHECK(mapln(m) == 0);
    CHECK_ERR(ARN_E_STALE_HANDLE, "mapln");
    CHECK(maprs(m) == ARN_E_STALE_HANDLE);
    CHECK_ERR(ARN_E_STALE_HANDLE, "maprs");
    CHECK(mapfr(m) == 0);
    arn_map n = mapmk(g, 0);
    CHECK(mappt(n, "k", 1, "v", 1) == 0);
    CHECK(grwfr(g) == 0);
    CHECK(maphs(n, "k", 1) == -1);
    CHECK(strstr(arnem(), "growing arena") != NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "maphs");
    CHECK(mapfr(n) == 0);
}

static void on_a_locked_arena(void) {
    arn_grow_opts o;
    memset(&o, 0, sizeof o);
    o.lock = 1;
    arn_grow g = grwmk(&o);
    arn_map m = mapmk(g, 0);
    for (uint32_t i = 0; i < 1000; i++)
        CHECK(mappt(m, &i, sizeof i, &i, sizeof i) == 0);
    uint32_t k = 999, v = 0;
    size_t n = 0;
    const void *p = mapgt(m, &k, sizeof k, &n);
    CHECK(p != NULL && n == sizeof v);
    memcpy(&v, p, sizeof v);
    CHECK(v == 999 && mapln(m) == 1000);
    CHECK(mapfr(m) == 0);
    CHECK(grwfr(g) == 0);
}

int main(void) {
    RUN(put_get_replace_remove);
    RUN(empty_keys_and_values);
    RUN(growth_add_if_absent_and_clear);
    RUN(iterate);
    RUN(audit_finds_heap_pointers);
    RUN(bad_inputs_leave_the_map_alone);
    RUN(arena_reset_or_freed_under_the_map);
    RUN(on_a_locked_arena);
    return finish();
}
