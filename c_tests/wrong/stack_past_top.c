/* Deliberate misuse: reads past the last push, above the top. */
// expect-asan: use-after-poison READ 1
// expect-memcheck: Invalid read of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_stack s = stckm(256);
    volatile unsigned char *p = stckl(s, "abc", 3);
    unsigned char x = p[3]; /* WRONG */
    (void)x;
    stckf(s);
    return 0;
}
