/* Deliberate misuse: reads past a one-element chunk slice, into room not handed out. */
// expect-asan: use-after-poison READ 8
// expect-memcheck: Invalid read of size 8
#include <stdio.h>
#include <stdint.h>

#include "arn.h"

int main(void) {
    arn_chunks c = chkmk(sizeof(uint64_t), 0, 64);
    arn_slice s = chkal(c, 1, NULL);
    const volatile uint64_t *p = slcdt(s);
    uint64_t x = p[1]; /* WRONG */
    (void)x;
    slcdr(s);
    chkfr(c);
    return 0;
}
