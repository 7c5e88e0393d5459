/* The object pool: polmk polmx polgt polrt polst polsh polfr. */
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"

/* What the callbacks of a test pool count. Objects are malloc'd, so a
 * leak or a double destroy shows under ASan and valgrind. */
struct counts {
    size_t made, reset, destroyed;
    size_t fail_after; /* the constructor returns NULL after this many (0: never) */
};

struct thing {
    int value;
    int magic;
};

#define MAGIC 0x5eed

static void *make_thing(void *ctx) {
    struct counts *c = ctx;
    if (c->fail_after && c->made == c->fail_after)
        return NULL;
    struct thing *t = malloc(sizeof *t);
    if (!t)
        return NULL;
    t->value = 1;
    t->magic = MAGIC;
    c->made++;
    return t;
}

static void reset_thing(void *obj, void *ctx) {
    struct counts *c = ctx;
    struct thing *t = obj;
    t->value = 1;
    c->reset++;
}

static void destroy_thing(void *obj, void *ctx) {
    struct counts *c = ctx;
    struct thing *t = obj;
    t->magic = 0;
    c->destroyed++;
    free(t);
}

static arn_pool thing_pool(struct counts *c, size_t cap) {
    arn_pool_opts o = {make_thing, reset_thing, destroy_thing, c, 0, cap};
    return polmx(&o);
}

static int stats_are(arn_pool p, size_t available, size_t in_use, size_t total,
                     size_t capacity) {
    arn_pool_stats st;
    if (polst(p, &st) != 0)
        return 0;
    return st.available == available && st.in_use == in_use &&
           st.total_allocated == total && st.capacity == capacity;
}

/* polmk: the callbacks get a NULL context, so they count in globals. */
static size_t g_made, g_reset;

static void *make_int(void *ctx) {
    CHECK(ctx == NULL);
    int *x = malloc(sizeof *x);
    if (x)
        *x = 0;
    g_made++;
    return x;
}

static void reset_int(void *obj, void *ctx) {
    CHECK(ctx == NULL);
    *(int *)obj = 0;
    g_reset++;
}

static void zeroed_blocks_of_64_bytes(void) {
    arn_pool p = polmk(NULL, NULL, 2);
    CHECK(p != 0);
    CHECK(stats_are(p, 2, 0, 2, 2));
    unsigned char *b[3];
    for (int i = 0; i < 3; i++) {
        b[i] = polgt(p);
        CHECK(b[i] != NULL);
        CHECK((uintptr_t)b[i] % ARN_POOL_BLOCK_ALIGN == 0);
        CHECK(all_zero(b[i], ARN_POOL_DEFAULT_SIZE));
        memset(b[i], 0xA5, ARN_POOL_DEFAULT_SIZE);
    }
    CHECK(b[0] != b[1] && b[1] != b[2] && b[0] != b[2]);
    CHECK(stats_are(p, 0, 3, 3, 2));
    CHECK(polrt(p, b[1]) == 0);
    unsigned char *again = polgt(p);
    CHECK(again == b[1]); /* the last one back is the first one out */
    CHECK(all_zero(again, ARN_POOL_DEFAULT_SIZE));
    for (int i = 0; i < 3; i++)
        CHECK(polrt(p, b[i]) == 0);
    CHECK(stats_are(p, 3, 0, 3, 2));
    CHECK(polsh(p) == 0);
    CHECK(stats_are(p, 2, 0, 3, 2));
    CHECK(polfr(p) == 0);
}

static void zeroed_blocks_of_a_chosen_size(void) {
    arn_pool_opts o = {NULL, NULL, NULL, NULL, 1000, 1};
    arn_pool p = polmx(&o);
    CHECK(p != 0);
    unsigned char *a = polgt(p), *b = polgt(p);
    CHECK(a && b && a != b);
    CHECK((uintptr_t)a % 16 == 0 && (uintptr_t)b % 16 == 0);
    CHECK(all_zero(a, 1000) && all_zero(b, 1000));
    memset(a, 0xFF, 1000);
    memset(b, 0x11, 1000);
    CHECK(polrt(p, a) == 0 && polrt(p, b) == 0);
    CHECK(polgt(p) == b && all_zero(b, 1000));
    CHECK(polgt(p) == a && all_zero(a, 1000));
    CHECK(polfr(p) == 0); /* frees both blocks though they are in use */

    /* object_size 0 means the default 64. */
    arn_pool_opts d = {NULL, NULL, NULL, NULL, 0, 0};
    p = polmx(&d);
    unsigned char *c = polgt(p);
    CHECK(c && all_zero(c, ARN_POOL_DEFAULT_SIZE));
    CHECK(stats_are(p, 0, 1, 1, 0));
    CHECK(polfr(p) == 0);
}

static void reset_runs_on_reuse_and_ctor_only_when_empty(void) {
    g_made = g_reset = 0;
    arn_pool p = polmk(make_int, reset_int, 2);
    CHECK(p != 0 && g_made == 2);
    int *a = polgt(p), *b = polgt(p);
    CHECK(a && b && g_made == 2 && g_reset == 0); /* fresh: no reset */
    int *c = polgt(p);
    CHECK(c && g_made == 3);
    *a = 11;
    *c = 33;
    CHECK(polrt(p, a) == 0 && polrt(p, c) == 0);
    CHECK(g_reset == 0); /* not on return */
    int *again = polgt(p);
    CHECK(again == c && *again == 0 && g_reset == 1);
    CHECK(polgt(p) == a && *a == 0 && g_reset == 2);
    CHECK(g_made == 3);
    CHECK(stats_are(p, 0, 3, 3, 2));
    CHECK(polrt(p, a) == 0 && polrt(p, b) == 0 && polrt(p, c) == 0);
    CHECK(polsh(p) == 0); /* no destructor: polmk objects are the caller's */
    CHECK(stats_are(p, 2, 0, 3, 2));
    CHECK(polfr(p) == 0);
    /* The pool ran no destructor, so the objects are still ours. */
    free(a);
    free(b);
    free(c);
}

static void shrink_and_free_destroy_each_object_once(void) {
    struct counts c = {0};
    arn_pool p = thing_pool(&c, 2);
    CHECK(p != 0 && c.made == 2);
    struct thing *t[5];
    for (int i = 0; i < 5; i++) {
        t[i] = polgt(p);
        CHECK(t[i] && t[i]->magic == MAGIC);
        t[i]->value = 100 + i;
    }
    CHECK(c.made == 5 && c.reset == 0);
    for (int i = 0; i < 4; i++)
        CHECK(polrt(p, t[i]) == 0);
    CHECK(stats_are(p, 4, 1, 5, 2));
    CHECK(polsh(p) == 0);
    CHECK(c.destroyed == 2);
    CHECK(stats_are(p, 2, 1, 5, 2));
    CHECK(polsh(p) == 0 && c.destroyed == 2); /* already at capacity */
    struct thing *x = polgt(p);
    CHECK(x && x->value == 1 && c.reset == 1);
    CHECK(stats_are(p, 1, 2, 5, 2));
    CHECK(polfr(p) == 0); /* two in use, one available */
    CHECK(c.destroyed == 5 && c.made == 5);
}

static void a_failing_ctor_leaks_nothing(void) {
    struct counts c = {0};
    c.fail_after = 3;
    CHECK(thing_pool(&c, 5) == 0);
    CHECK(strcmp(arnem(), "polmx: invalid argument: the constructor returned NULL") == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "polmx");
    CHECK(c.made == 3 && c.destroyed == 3);

    struct counts d = {0};
    d.fail_after = 2;
    arn_pool p = thing_pool(&d, 1);
    void *a = polgt(p), *b = polgt(p);
    CHECK(a && b);
    CHECK(polgt(p) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "polgt");
    CHECK(stats_are(p, 0, 2, 2, 1));
    CHECK(polrt(p, a) == 0);
    CHECK(polgt(p) == a); /* still usable */
    CHECK(polfr(p) == 0);
    CHECK(d.made == 2 && d.destroyed == 2);
}

static void bad_returns_change_nothing(void) {
    struct counts c = {0};
    arn_pool p = thing_pool(&c, 1);
    arn_pool other = polmk(NULL, NULL, 1);
    struct thing *a = polgt(p), *b = polgt(p);
    CHECK(polrt(p, b) == 0);
    void *theirs = polgt(other);
    void *heap = malloc(16);
    char msg[128];
    arn_pool_stats before, after;
    CHECK(polst(p, &before) == 0);

    CHECK(polrt(p, heap) == ARN_E_FOREIGN_POINTER);
    snprintf(msg, sizeof msg, "polrt: pointer %#lx was not handed out by this object pool",
             (unsigned long)(uintptr_t)heap);
    CHECK(strcmp(arnem(), msg) == 0);
    CHECK_ERR(ARN_E_FOREIGN_POINTER, "polrt");
    CHECK(polrt(p, (char *)a + 4) == ARN_E_FOREIGN_POINTER);
    CHECK_ERR(ARN_E_FOREIGN_POINTER, "polrt");
    CHECK(polrt(p, theirs) == ARN_E_FOREIGN_POINTER);
    CHECK_ERR(ARN_E_FOREIGN_POINTER, "polrt");
    CHECK(polrt(other, a) == ARN_E_FOREIGN_POINTER);
    CHECK_ERR(ARN_E_FOREIGN_POINTER, "polrt");
    CHECK(polrt(p, b) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "polrt");
    CHECK(polrt(p, NULL) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "polrt");

    CHECK(polst(p, &after) == 0);
    CHECK(memcmp(&before, &after, sizeof before) == 0);
    CHECK(a->magic == MAGIC && b->magic == MAGIC);
    CHECK(polrt(p, a) == 0);
    CHECK(polgt(p) == a && polgt(p) == b);
    CHECK(polrt(other, theirs) == 0);
    CHECK(polfr(other) == 0 && polfr(p) == 0);
    CHECK(c.made == 2 && c.destroyed == 2);
    free(heap);
}

static void bad_arguments(void) {
    CHECK(polmx(NULL) == 0);
    CHECK(strcmp(arnem(), "polmx: invalid argument: opts is NULL") == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "polmx");
    arn_pool_opts huge = {NULL, NULL, NULL, NULL, SIZE_MAX, 0};
    CHECK(polmx(&huge) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "polmx");
    arn_pool_opts many = {NULL, NULL, NULL, NULL, 64, SIZE_MAX};
    CHECK(polmx(&many) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "polmx");
    arn_pool_opts overflow = {NULL, NULL, NULL, NULL, SIZE_MAX / 2, 3};
    CHECK(polmx(&overflow) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "polmx");
    CHECK(polmk(NULL, NULL, SIZE_MAX) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "polmk");
    g_made = 0;
    CHECK(polmk(make_int, NULL, SIZE_MAX) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "polmk");
    CHECK(g_made == 0);

    arn_pool p = polmk(NULL, NULL, 0);
    CHECK(p != 0 && stats_are(p, 0, 0, 0, 0));
    CHECK(polst(p, NULL) == ARN_E_INVALID_ARGUMENT);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "polst");
    CHECK(polsh(p) == 0 && stats_are(p, 0, 0, 0, 0));
    void *x = polgt(p);
    CHECK(x != NULL && stats_are(p, 0, 1, 1, 0));
    CHECK(polrt(p, x) == 0 && polsh(p) == 0);
    CHECK(stats_are(p, 0, 0, 1, 0)); /* capacity 0 keeps nothing */
    CHECK(polfr(p) == 0);
}

static void handles(void) {
    arn_arena a = arnmk(64);
    arn_pool_stats st;
    int local = 0;
    CHECK(polgt(a) == NULL);
    CHECK_ERR(ARN_E_WRONG_KIND, "polgt");
    CHECK(polrt(a, &local) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "polrt");
    CHECK(polst(a, &st) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "polst");
    CHECK(polsh(a) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "polsh");
    CHECK(polfr(a) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "polfr");
    CHECK(arnal(a, 8) != NULL); /* the arena is untouched */

    CHECK(polgt(0) == NULL);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "polgt");
    CHECK(polrt(0, &local) == ARN_E_INVALID_HANDLE);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "polrt");
    CHECK(polst(0, &st) == ARN_E_INVALID_HANDLE);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "polst");
    CHECK(polsh(0) == ARN_E_INVALID_HANDLE);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "polsh");
    CHECK(polfr(0) == ARN_E_INVALID_HANDLE);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "polfr");

    arn_pool p = polmk(NULL, NULL, 1);
    void *held = polgt(p);
    CHECK(held != NULL);
    CHECK(polfr(p) == 0);
    CHECK(polgt(p) == NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "polgt");
    CHECK(polrt(p, held) == ARN_E_STALE_HANDLE);
    CHECK_ERR(ARN_E_STALE_HANDLE, "polrt");
    CHECK(polst(p, &st) == ARN_E_STALE_HANDLE);
    CHECK_ERR(ARN_E_STALE_HANDLE, "polst");
    CHECK(polsh(p) == ARN_E_STALE_HANDLE);
    CHECK_ERR(ARN_E_STALE_HANDLE, "polsh");
    CHECK(polfr(p) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "polfr");
    arn_pool reused = polmk(NULL, NULL, 0);
    CHECK((reused & 0xFFFFFF) == (p & 0xFFFFFF) && reused != p);
    CHECK(polgt(p) == NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "polgt");
    CHECK(polgt(reused) != NULL);
    CHECK(polfr(reused) == 0 && arnfr(a) == 0);
}

/* Re-entrancy: callbacks that call back into their own pool through a
 * global handle, and record what they got. */
static arn_pool g_pool;
static int g_log[4];
static struct counts g_counts;

static void *reentrant_make(void *ctx) {
    if (g_pool) {
        arn_pool_stats st;
        g_log[0] = polst(g_pool, &st);
        g_log[1] = polfr(g_pool);
        g_log[2] = (int)st.in_use;
    }
    return make_thing(ctx);
}

static void reentrant_reset(void *obj, void *ctx) {
    void *other = polgt(g_pool); /* reset in turn if it came back */
    g_log[0] = polrt(g_pool, other);
    g_log[1] = polrt(g_pool, obj);
    g_log[2] = polfr(g_pool);
    g_log[3] = other == NULL;
    reset_thing(obj, ctx);
}

static void reentrant_destroy(void *obj, void *ctx) {
    arn_pool_stats st;
    g_log[0] = polst(g_pool, &st);
    g_log[1] = polfr(g_pool);
    g_log[2] = polrt(g_pool, obj);
    destroy_thing(obj, ctx);
}

static void callbacks_may_call_back_into_their_pool(void) {
    memset(&g_counts, 0, sizeof g_counts);
    g_pool = 0;
    arn_pool_opts o = {reentrant_make, reentrant_reset, reentrant_destroy, &g_counts, 0, 1};
    arn_pool p = polmx(&o);
    CHECK(p != 0);
    g_pool = p;

    void *a = polgt(p); /* the fresh one */
    void *b = polgt(p); /* made: the ctor reads the stats, cannot free */
    CHECK(a && b);
    CHECK(g_log[0] == 0 && g_log[1] == ARN_E_BUSY && g_log[2] == 1);
    CHECK(polrt(p, a) == 0 && polrt(p, b) == 0);

    /* b's reset gets a (whose reset gets a new one and returns it), gives
     * a back, cannot return b itself, and cannot free the pool. */
    void *again = polgt(p);
    CHECK(again == b);
    CHECK(g_log[0] == 0 && g_log[1] == ARN_E_BUSY && g_log[2] == ARN_E_BUSY && g_log[3] == 0);
    CHECK(g_counts.reset == 2 && g_counts.made == 3);
    CHECK(stats_are(p, 2, 1, 3, 1));
    arnec();

    /* A destructor run by polsh reads the stats, finds its object already
     * gone from the pool, and cannot free the pool. */
    CHECK(polsh(p) == 0);
    CHECK(g_log[0] == 0 && g_log[1] == ARN_E_BUSY && g_log[2] == ARN_E_FOREIGN_POINTER);
    CHECK(g_counts.destroyed == 1);
    CHECK(stats_are(p, 1, 1, 3, 1));

    /* A destructor run by polfr finds the handle already freed. */
    CHECK(polfr(p) == 0);
    CHECK(g_log[0] == ARN_E_STALE_HANDLE && g_log[1] == ARN_E_DOUBLE_FREE &&
          g_log[2] == ARN_E_STALE_HANDLE);
    CHECK(g_counts.destroyed == 3 && g_counts.made == 3);
    g_pool = 0;
    arnec();
}

int main(void) {
    RUN(zeroed_blocks_of_64_bytes);
    RUN(zeroed_blocks_of_a_chosen_size);
    RUN(reset_runs_on_reuse_and_ctor_only_when_empty);
    RUN(shrink_and_free_destroy_each_object_once);
    RUN(a_failing_ctor_leaks_nothing);
    RUN(bad_returns_change_nothing);
    RUN(bad_arguments);
    RUN(handles);
    RUN(callbacks_may_call_back_into_their_pool);
    return finish();
}
