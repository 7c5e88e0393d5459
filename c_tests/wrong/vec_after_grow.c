/* Deliberate misuse: keeps an element pointer across a push that grew
 * (and so moved) the vector, and reads through it. */
// expect-asan: use-after-poison READ 4
// expect-memcheck: Invalid read of size 4
#include <stdint.h>
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_grow g = grwmk(NULL);
    arn_vector v = vecmk(g, sizeof(uint32_t), 4);
    uint32_t x = 7;
    vecps(v, &x);
    volatile uint32_t *first = vecat(v, 0);
    for (int i = 0; i < 16; i++)
        vecps(v, &x);
    uint32_t y = first[0]; /* WRONG */
    (void)y;
    vecfr(v);
    grwfr(g);
    return 0;
}
