/* Deliberate misuse: reads a region block after rgnfr freed its arenas. */
// expect-asan: heap-use-after-free READ 1
// expect-memcheck: Invalid read of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_region r = regin();
    volatile unsigned char *p = regnl(r, 40);
    p[0] = 1;
    rgnfr(r);
    unsigned char x = p[0]; /* WRONG */
    (void)x;
    rgndl(r);
    return 0;
}
