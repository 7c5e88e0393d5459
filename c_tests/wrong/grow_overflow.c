/* Deliberate misuse: writes one byte past a grwal block (past its usable
 * size, grwsz), towards the next block. */
// expect-asan: use-after-poison WRITE 1
// expect-memcheck: Invalid write of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_grow a = grwmk(NULL);
    volatile unsigned char *p = grwal(a, 32, 0);
    unsigned char *q = grwal(a, 32, 0);
    q[0] = 2;
    p[grwsz(a, (void *)p) - 1] = 1;
    p[32] = 1; /* WRONG */
    grwfr(a);
    return 0;
}
