/* Deliberate misuse: reads past the new end after grwre shrank a block in
 * place (the tail went back to the arena). */
// expect-asan: use-after-poison READ 1
// expect-memcheck: Invalid read of size 1
#include <stdio.h>
#include <string.h>

#include "arn.h"

int main(void) {
    arn_grow a = grwmk(NULL);
    volatile unsigned char *p = grwal(a, 256, 0);
    memset((void *)p, 1, 256);
    unsigned char *q = grwre(a, (void *)p, 32);
    if (q != p) {
        return 2;
    }
    unsigned char x = p[200]; /* WRONG */
    (void)x;
    grwfr(a);
    return 0;
}
