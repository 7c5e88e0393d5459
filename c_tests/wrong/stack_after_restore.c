/* Deliberate misuse: writes a frame after stckr went back below it. */
// expect-asan: use-after-poison WRITE 1
// expect-memcheck: Invalid write of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_stack s = stckm(256);
    size_t mark;
    stckt(s, &mark);
    volatile unsigned char *frame = stckl(s, NULL, 40);
    frame[39] = 1;
    stckr(s, mark);
    frame[39] = 2; /* WRONG */
    stckf(s);
    return 0;
}
