/* Deliberate misuse: writes past a block towards the next block. */
// expect-asan: use-after-poison WRITE 8
// expect-memcheck: Invalid write of size 8
#include <stdio.h>
#include <stdint.h>

#include "arn.h"

int main(void) {
    arn_block b = blckm(32, 8);
    volatile uint64_t *p = blckl(b);
    uint64_t *next = blckl(b);
    next[0] = 1;
    p[4] = 1; /* WRONG */
    blckd(b);
    return 0;
}
