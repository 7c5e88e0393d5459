/* Deliberate misuse: reads a vector's spare capacity, past its length. */
// expect-asan: use-after-poison READ 4
// expect-memcheck: Invalid read of size 4
#include <stdint.h>
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_grow g = grwmk(NULL);
    arn_vector v = vecmk(g, sizeof(uint32_t), 8);
    uint32_t x = 7;
    vecps(v, &x);
    vecps(v, &x);
    volatile uint32_t *e = vecat(v, 1);
    uint32_t y = e[1]; /* WRONG */
    (void)y;
    vecfr(v);
    grwfr(g);
    return 0;
}
