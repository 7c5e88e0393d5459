/* Deliberate misuse: reads an arena block after arnrs gave it back. */
// expect-asan: use-after-poison READ 1
// expect-memcheck: Invalid read of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_arena a = arnmk(1024);
    volatile unsigned char *p = arnal(a, 16);
    p[0] = 1;
    arnrs(a);
    unsigned char x = p[0]; /* WRONG */
    (void)x;
    arnfr(a);
    return 0;
}
