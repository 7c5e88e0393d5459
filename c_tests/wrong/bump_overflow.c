/* Deliberate misuse: writes past a bump block into the gap before the block above it. */
// expect-asan: use-after-poison WRITE 1
// expect-memcheck: Invalid write of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_bump b = bmpmk(256);
    unsigned char *above = bumpl(b, 16);
    volatile unsigned char *p = bumpl(b, 16); /* below `above` */
    above[0] = 1;
    p[16] = 1; /* WRONG */
    bmpfr(b);
    return 0;
}
