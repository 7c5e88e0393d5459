/* Deliberate misuse: reads a growing arena's block after grwfe. */
// expect-asan: use-after-poison READ 1
// expect-memcheck: Invalid read of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_grow a = grwmk(NULL);
    volatile unsigned char *p = grwal(a, 32, 0);
    p[0] = 1;
    grwfe(a, (void *)p);
    unsigned char x = p[0]; /* WRONG */
    (void)x;
    grwfr(a);
    return 0;
}
