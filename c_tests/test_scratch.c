/* Scratch space: scrt1 (create) scrt3 (checkpoint) scrtc (allocate)
 * scrt2 (restore) scrt0 (free). */
#include <stdint.h>

#include "harness.h"

static void checkpoints_nest(void) {
    arn_scratch s = scrt1(256);
    CHECK(s != 0);
    unsigned char *keep = scrtc(s, 8);
    CHECK(keep && (uintptr_t)keep % 8 == 0 && all_zero(keep, 8));
    memset(keep, 1, 8);
    CHECK(scrt3(s) == 0);
    unsigned char *a = scrtc(s, 16);
    memset(a, 2, 16);
    CHECK(scrt3(s) == 0);
    unsigned char *b = scrtc(s, 30);
    CHECK(b == a + 16 + RED);
    memset(b, 3, 30);
    CHECK(scrt2(s) == 0); /* back to after `a` */
    unsigned char *b2 = scrtc(s, 32);
    CHECK(b2 == b && all_zero(b2, 32));
    CHECK(a[0] == 2 && a[15] == 2);
    CHECK(scrt2(s) == 0); /* back to after `keep` */
    unsigned char *a2 = scrtc(s, 48);
    CHECK(a2 == a && all_zero(a2, 48));
    CHECK(keep[0] == 1 && keep[7] == 1);
    CHECK(scrt2(s) == ARN_E_NO_CHECKPOINT);
    CHECK_ERR(ARN_E_NO_CHECKPOINT, "scrt2");
    /* The failed restore changed nothing. */
    CHECK(scrtc(s, 8) == a2 + 48 + RED);
    CHECK(scrt0(s) == 0);
}

static void a_frame_loop(void) {
    arn_scratch s = scrt1(1024);
    unsigned char *first = NULL;
    for (int frame = 0; frame < 100; frame++) {
        CHECK(scrt3(s) == 0);
        unsigned char *p = scrtc(s, 1000);
        CHECK(p != NULL && all_zero(p, 1000));
        if (frame == 0)
            first = p;
        CHECK(p == first);
        memset(p, frame + 1, 1000);
        CHECK(scrt2(s) == 0);
    }
    CHECK(scrt0(s) == 0);
}

static void full_and_bad_sizes(void) {
    arn_scratch s = scrt1(64);
    CHECK(scrt3(s) == 0);
    CHECK(scrtc(s, 48) != NULL);
    CHECK(scrtc(s, 24) == NULL);
    CHECK_INSIDE(strcmp(arnem(), "scrtc: arena out of memory: asked 24 bytes, 16 left of 64") == 0);
    CHECK_ERR(ARN_E_CAPACITY, "scrtc");
    CHECK(scrtc(s, 0) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "scrtc");
    CHECK(scrtc(s, SIZE_MAX) == NULL);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "scrtc");
    CHECK_INSIDE(scrtc(s, 16) != NULL); /* still usable: exactly full now */
    CHECK(scrt2(s) == 0);
    CHECK(scrtc(s, 64) != NULL);
    CHECK(scrt0(s) == 0);
    CHECK(scrt1(0) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "scrt1");
    CHECK(scrt1(SIZE_MAX) == 0);
    CHECK_ERR(ARN_E_INVALID_ARGUMENT, "scrt1");
}

static void handles(void) {
    arn_bump b = bmpmk(64);
    CHECK(scrt3(b) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "scrt3");
    CHECK(scrtc(b, 8) == NULL);
    CHECK_ERR(ARN_E_WRONG_KIND, "scrtc");
    CHECK(scrt2(b) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "scrt2");
    CHECK(scrt0(b) == ARN_E_WRONG_KIND);
    CHECK_ERR(ARN_E_WRONG_KIND, "scrt0");
    CHECK(scrtc(0, 8) == NULL);
    CHECK_ERR(ARN_E_INVALID_HANDLE, "scrtc");
    arn_scratch s = scrt1(64);
    CHECK(scrt0(s) == 0);
    CHECK(scrtc(s, 8) == NULL);
    CHECK_ERR(ARN_E_STALE_HANDLE, "scrtc");
    CHECK(scrt3(s) == ARN_E_STALE_HANDLE);
    CHECK_ERR(ARN_E_STALE_HANDLE, "scrt3");
    CHECK(scrt2(s) == ARN_E_STALE_HANDLE);
    CHECK_ERR(ARN_E_STALE_HANDLE, "scrt2");
    CHECK(scrt0(s) == ARN_E_DOUBLE_FREE);
    CHECK_ERR(ARN_E_DOUBLE_FREE, "scrt0");
    CHECK(bumpl(b, 8) != NULL && bmpfr(b) == 0);
}

int main(void) {
    RUN(checkpoints_nest);
    RUN(a_frame_loop);
    RUN(full_and_bad_sizes);
    RUN(handles);
    return finish();
}
