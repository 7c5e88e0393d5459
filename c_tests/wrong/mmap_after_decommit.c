/* Deliberate misuse: writes an mmap-arena page mmprs gave back to the system. */
// expect-asan: use-after-poison WRITE 1
// expect-memcheck: Invalid write of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_mmap m = mmpmk(1 << 20, NULL);
    volatile unsigned char *p = mmapl(m, 3 * 4096);
    p[8192] = 1;
    mmprs(m);
    fflush(NULL);
    p[8192] = 2; /* WRONG */
    mmpfr(m);
    return 0;
}
