/* Deliberate misuse: reads the last element's slot after vecri removed an
 * element (the tail moved down; the last slot is spare capacity again). */
// expect-asan: use-after-poison READ 2
// expect-memcheck: Invalid read of size 2
#include <stdint.h>
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_grow g = grwmk(NULL);
    arn_vector v = vecmk(g, sizeof(uint16_t), 0);
    for (uint16_t i = 0; i < 5; i++)
        vecps(v, &i);
    volatile uint16_t *last = vecat(v, 4);
    vecri(v, 0);
    uint16_t y = *last; /* WRONG */
    (void)y;
    vecfr(v);
    grwfr(g);
    return 0;
}
