/* Deliberate misuse: writes one byte past an arnal block, towards the next block. */
// expect-asan: use-after-poison WRITE 1
// expect-memcheck: Invalid write of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_arena a = arnmk(1024);
    volatile unsigned char *p = arnal(a, 16);
    unsigned char *q = arnal(a, 16);
    q[0] = 2;
    p[16] = 1; /* WRONG */
    arnfr(a);
    return 0;
}
