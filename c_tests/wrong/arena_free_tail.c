/* Deliberate misuse: reads arena memory never handed out. */
// expect-asan: use-after-poison READ 8
// expect-memcheck: Invalid read of size 8
#include <stdio.h>
#include <stdint.h>

#include "arn.h"

int main(void) {
    arn_arena a = arnmk(1024);
    volatile uint64_t *p = arnal(a, 8);
    uint64_t x = p[64]; /* WRONG */
    (void)x;
    arnfr(a);
    return 0;
}
