/* Deliberate misuse: reads a chunk slice after its last handle dropped, its chunk still alive. */
// expect-asan: use-after-poison READ 8
// expect-memcheck: Invalid read of size 8
#include <stdio.h>
#include <stdint.h>

#include "arn.h"

int main(void) {
    arn_chunks c = chkmk(sizeof(uint64_t), 0, 64);
    uint64_t init[4] = {1, 2, 3, 4};
    arn_slice s = chkal(c, 4, init);
    arn_slice neighbour = chkal(c, 4, init); /* keeps the chunk alive */
    arn_slice twin = slccl(s);
    const volatile uint64_t *p = slcdt(s);
    slcdr(s);
    uint64_t ok = p[3]; /* the twin still holds the slice */
    (void)ok;
    slcdr(twin);
    uint64_t x = p[3]; /* WRONG */
    (void)x;
    slcdr(neighbour);
    chkfr(c);
    return 0;
}
