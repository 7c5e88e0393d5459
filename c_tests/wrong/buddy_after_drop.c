/* Deliberate misuse: reads a buddy block after its last bytes handle dropped. */
// expect-asan: use-after-poison READ 1
// expect-memcheck: Invalid read of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_buddy d = bdymk(4096, 64, NULL);
    arn_buffer b = bdyal(d, 100);
    bufwr(b, "buddy", 5);
    arn_bytes y = bufrz(b);
    arn_bytes twin = bytcl(y);
    const volatile unsigned char *p = bytdt(y);
    bytdr(y);
    unsigned char ok = p[4]; /* the twin still holds the block */
    (void)ok;
    bytdr(twin);
    unsigned char x = p[4]; /* WRONG */
    (void)x;
    bdyfr(d);
    return 0;
}
