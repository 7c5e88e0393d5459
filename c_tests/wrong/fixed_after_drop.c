/* Deliberate misuse: reads a fixed-arena slot after its last bytes handle dropped. */
// expect-asan: use-after-poison READ 1
// expect-memcheck: Invalid read of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_fixed f = fxdmk(4, 256, NULL);
    arn_buffer b = fxdal(f);
    bufwr(b, "hello", 5);
    arn_bytes y = bufrz(b);
    const volatile unsigned char *p = bytdt(y);
    bytdr(y);
    unsigned char x = p[0]; /* WRONG */
    (void)x;
    fxdfr(f);
    return 0;
}
