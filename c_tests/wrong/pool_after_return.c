/* Deliberate misuse: reads a pool block after polrt took it back. */
// expect-asan: use-after-poison READ 1
// expect-memcheck: Invalid read of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_pool pool = polmk(NULL, NULL, 0);
    volatile unsigned char *obj = polgt(pool);
    obj[0] = 1;
    polrt(pool, (void *)obj);
    unsigned char x = obj[0]; /* WRONG */
    (void)x;
    polfr(pool);
    return 0;
}
