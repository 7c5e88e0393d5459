/* Deliberate misuse: reads a value mapgt gave after mappt replaced it. */
// expect-asan: use-after-poison READ 1
// expect-memcheck: Invalid read of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_grow g = grwmk(NULL);
    arn_map m = mapmk(g, 0);
    mappt(m, "key", 3, "old value", 9);
    size_t n = 0;
    const volatile char *val = mapgt(m, "key", 3, &n);
    mappt(m, "key", 3, "new value", 9);
    char c = val[0]; /* WRONG */
    (void)c;
    mapfr(m);
    grwfr(g);
    return 0;
}
