/* Deliberate misuse: writes past the 64-byte block of a pool. */
// expect-asan: heap-buffer-overflow WRITE 1
// expect-memcheck: Invalid write of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_pool pool = polmk(NULL, NULL, 0);
    volatile unsigned char *obj = polgt(pool);
    obj[64] = 1; /* WRONG */
    polrt(pool, (void *)obj);
    polfr(pool);
    return 0;
}
