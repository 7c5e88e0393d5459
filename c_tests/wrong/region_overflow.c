/* Deliberate misuse: writes past a region block towards the next one. */
// expect-asan: use-after-poison WRITE 1
// expect-memcheck: Invalid write of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_region r = regin();
    volatile unsigned char *p = regnl(r, 40);
    unsigned char *q = regnl(r, 40);
    q[0] = 1;
    p[40] = 1; /* WRONG */
    rgndl(r);
    return 0;
}
