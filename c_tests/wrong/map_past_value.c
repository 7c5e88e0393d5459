/* Deliberate misuse: reads one byte past the value mapgt gave. */
// expect-asan: use-after-poison READ 1
// expect-memcheck: Invalid read of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_grow g = grwmk(NULL);
    arn_map m = mapmk(g, 0);
    mappt(m, "name", 4, "arn", 3);
    size_t n = 0;
    const volatile char *val = mapgt(m, "name", 4, &n);
    char c = val[n]; /* WRONG */
    (void)c;
    mapfr(m);
    grwfr(g);
    return 0;
}
