/* Deliberate misuse: reads a block after blckf. */
// expect-asan: use-after-poison READ 1
// expect-memcheck: Invalid read of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_block b = blckm(32, 8);
    volatile unsigned char *p = blckl(b);
    p[0] = 1;
    blckf(b, (void *)p);
    unsigned char x = p[0]; /* WRONG */
    (void)x;
    blckd(b);
    return 0;
}
