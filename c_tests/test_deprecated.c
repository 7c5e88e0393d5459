/* The deprecated spellings kept for one release (CHANGELOG.md): each old
 * name still links and behaves as the new one. This file goes with them. */
#include <stddef.h>
#include <stdint.h>

/* The old names are marked deprecated in the header; using them is the
 * point here. */
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif

#include "harness.h"

static void bufcp_is_bufca(void) {
    arn_fixed f = fxdmk(2, 128, NULL);
    arn_buffer b = fxdal(f);
    CHECK(bufcp(b) == 128 && bufcp(b) == bufca(b));
    CHECK(bufcp(0) == 0);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "bufca");
    CHECK(bufdr(b) == 0 && fxdfr(f) == 0);
}

static void fxdmt_is_fxdst(void) {
    arn_fixed f = fxdmk(4, 64, NULL);
    arn_buffer b = fxdal(f);
    arn_fixed_stats now;
    arn_fixed_metrics old; /* the old type name */
    memset(&old, 0xff, sizeof old);
    CHECK(fxdst(f, &now) == 0 && fxdmt(f, &old) == 0);
    CHECK(memcmp(&now, &old, sizeof now) == 0);
    CHECK(old.slots == 4 && old.slots_free == 3 && old.allocations == 1);
    CHECK(fxdmt(f, NULL) == ARN_E_INVALID_ARGUMENT);
    arnec();
    CHECK(bufdr(b) == 0 && fxdfr(f) == 0);
}

static void bdymt_is_bdyst(void) {
    arn_buddy d = bdymk(4096, 256, NULL);
    arn_buffer b = bdyal(d, 1000);
    arn_buddy_stats now;
    arn_buddy_metrics old; /* the old type name */
    memset(&old, 0xff, sizeof old);
    CHECK(bdyst(d, &now) == 0 && bdymt(d, &old) == 0);
    CHECK(memcmp(&now, &old, sizeof now) == 0);
    CHECK(old.bytes_live == 1024 && old.total_size == 4096);
    CHECK(bufdr(b) == 0 && bdyfr(d) == 0);
}

static void grwim_is_grwow(void) {
    arn_grow g = grwmk(NULL);
    int local = 0;
    void *p = grwal(g, 24, 0);
    CHECK(grwim(g, p) == 1 && grwim(g, &local) == 0);
    CHECK(grwim(0, p) == -1);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "grwow");
    CHECK(grwfr(g) == 0);
}

static void vector_old_names(void) {
    arn_grow g = grwmk(NULL);
    arn_vector v = vecmk(g, sizeof(uint32_t), 4);
    CHECK(veccp(v) == 4 && veccp(v) == vecca(v));
    for (uint32_t i = 0; i < 3; i++)
        CHECK(vecps(v, &i) == 0);
    uint32_t x = 42;
    CHECK(vecst(v, 1, &x) == 0); /* vecpt */
    CHECK(*(uint32_t *)vecat(v, 1) == 42);
    CHECK(vecst(v, 3, &x) == ARN_E_OUT_OF_BOUNDS);
    arnec();
    CHECK(veccl(v) == 0); /* vecrs */
    CHECK(vecln(v) == 0 && vecca(v) == 4);
    CHECK(vecfr(v) == 0 && grwfr(g) == 0);
}

static void mapcl_is_maprs(void) {
    arn_grow g = grwmk(NULL);
    arn_map m = mapmk(g, 0);
    CHECK(mappt(m, "k", 1, "v", 1) == 0 && mapln(m) == 1);
    CHECK(mapcl(m) == 0);
    CHECK(mapln(m) == 0 && maphs(m, "k", 1) == 0);
    CHECK(mapfr(m) == 0 && grwfr(g) == 0);
}

static void old_macros(void) {
    CHECK(GROW_GRANULE == ARN_GROW_GRANULE && GROW_GRANULE == 16);
    CHECK(GROW_DEFAULT_CHUNK == ARN_GROW_DEFAULT_CHUNK);
    CHECK(REGION_ARENA_SIZE == ARN_REGION_ARENA_SIZE && REGION_ARENA_SIZE == 65536);
}

int main(void) {
    RUN(bufcp_is_bufca);
    RUN(fxdmt_is_fxdst);
    RUN(bdymt_is_bdyst);
    RUN(grwim_is_grwow);
    RUN(vector_old_names);
    RUN(mapcl_is_maprs);
    RUN(old_macros);
    return finish();
}
