/* Deliberate misuse: writes an element after vecrs emptied the vector. */
// expect-asan: use-after-poison WRITE 8
// expect-memcheck: Invalid write of size 8
#include <stdint.h>
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_grow g = grwmk(NULL);
    arn_vector v = vecmk(g, sizeof(uint64_t), 0);
    for (uint64_t i = 0; i < 3; i++)
        vecps(v, &i);
    volatile uint64_t *e = vecat(v, 2);
    vecrs(v);
    *e = 1; /* WRONG */
    vecfr(v);
    grwfr(g);
    return 0;
}
