/* Deliberate misuse: reads an mmap-arena block after mmprs (pages retained). */
// expect-asan: use-after-poison READ 1
// expect-memcheck: Invalid read of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_mmap_opts o = {0};
    o.retain = 1 << 20;
    arn_mmap m = mmpmk(1 << 20, &o);
    volatile unsigned char *p = mmapl(m, 100);
    p[99] = 1;
    mmprs(m);
    unsigned char x = p[99]; /* WRONG */
    (void)x;
    mmpfr(m);
    return 0;
}
