/* Deliberate misuse: writes past an mmapl block towards the next one. */
// expect-asan: use-after-poison WRITE 1
// expect-memcheck: Invalid write of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_mmap m = mmpmk(1 << 20, NULL);
    volatile unsigned char *p = mmapl(m, 24);
    unsigned char *q = mmapl(m, 24);
    q[0] = 1;
    p[24] = 1; /* WRONG */
    mmpfr(m);
    return 0;
}
