/* Deliberate misuse: reads scratch memory after scrt2 restored the checkpoint. */
// expect-asan: use-after-poison READ 1
// expect-memcheck: Invalid read of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_scratch s = scrt1(1024);
    scrt3(s);
    volatile unsigned char *p = scrtc(s, 64);
    p[63] = 1;
    scrt2(s);
    unsigned char x = p[63]; /* WRONG */
    (void)x;
    scrt0(s);
    return 0;
}
