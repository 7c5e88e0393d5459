/* Deliberate misuse: writes a typed-arena slot after arnrs. */
// expect-asan: use-after-poison WRITE 4
// expect-memcheck: Invalid write of size 4
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_arena t = arntm(sizeof(int), 16);
    volatile int *slot = arnta(t, NULL);
    *slot = 7;
    arnrs(t);
    *slot = 8; /* WRONG */
    arnfr(t);
    return 0;
}
