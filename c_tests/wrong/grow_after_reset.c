/* Deliberate misuse: reads a growing arena's block after grwrs. */
// expect-asan: use-after-poison READ 1
// expect-memcheck: Invalid read of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_grow a = grwmk(NULL);
    volatile unsigned char *p = grwal(a, 64, 0);
    p[0] = 1;
    grwrs(a);
    unsigned char x = p[0]; /* WRONG */
    (void)x;
    grwfr(a);
    return 0;
}
