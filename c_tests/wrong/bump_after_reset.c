/* Deliberate misuse: reads a bump block after bmprs. */
// expect-asan: use-after-poison READ 1
// expect-memcheck: Invalid read of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_bump b = bmpmk(256);
    volatile unsigned char *p = bumpl(b, 32);
    p[31] = 1;
    bmprs(b);
    unsigned char x = p[31]; /* WRONG */
    (void)x;
    bmpfr(b);
    return 0;
}
