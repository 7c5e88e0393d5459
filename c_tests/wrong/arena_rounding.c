/* Deliberate misuse: writes into the rounding after a 5-byte arnal block. */
// expect-asan: use-after-poison WRITE 1
// expect-memcheck: Invalid write of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_arena a = arnmk(1024);
    volatile unsigned char *p = arnal(a, 5);
    p[4] = 1;
    p[5] = 1; /* WRONG */
    arnfr(a);
    return 0;
}
