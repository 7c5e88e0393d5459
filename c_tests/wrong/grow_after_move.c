/* Deliberate misuse: reads the old pointer after grwre moved the block. */
// expect-asan: use-after-poison READ 1
// expect-memcheck: Invalid read of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_grow a = grwmk(NULL);
    volatile unsigned char *p = grwal(a, 32, 0);
    unsigned char *next = grwal(a, 32, 0); /* so that p cannot grow in place */
    p[0] = 1;
    unsigned char *q = grwre(a, (void *)p, 512);
    if (q == NULL || q == p) {
        return 2;
    }
    unsigned char x = p[0]; /* WRONG */
    (void)x;
    (void)next;
    grwfr(a);
    return 0;
}
