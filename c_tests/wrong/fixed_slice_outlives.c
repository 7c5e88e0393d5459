/* Deliberate misuse: reads through a slice's pointer after the slice, the last reference, dropped. */
// expect-asan: use-after-poison READ 1
// expect-memcheck: Invalid read of size 1
#include <stdio.h>

#include "arn.h"

int main(void) {
    arn_fixed f = fxdmk(4, 256, NULL);
    arn_buffer b = fxdal(f);
    bufwr(b, "hello, world", 12);
    arn_bytes whole = bufrz(b);
    arn_bytes part = bytsl(whole, 7, 5);
    bytdr(whole); /* the slice still holds the slot */
    const volatile unsigned char *p = bytdt(part);
    unsigned char ok = p[0];
    (void)ok;
    bytdr(part);
    unsigned char x = p[0]; /* WRONG */
    (void)x;
    fxdfr(f);
    return 0;
}
