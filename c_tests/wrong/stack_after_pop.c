/* Deliberate misuse: reads pushed bytes after stckp popped them. */
// expect-asan: use-after-poison READ 1
// expect-memcheck: Invalid read of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_stack s = stckm(256);
    volatile unsigned char *p = stckl(s, "abcdefgh", 8);
    stckp(s, 8);
    unsigned char x = p[0]; /* WRONG */
    (void)x;
    stckf(s);
    return 0;
}
