/* A first tour of libarn: an arena, a typed arena and a bump allocator,
 * with their stats and one error. Build and run it with `make example`. */
#include <stdio.h>
#include <string.h>

#include "arn.h"

struct particle {
    float x, y, vx, vy;
};

int main(void) {
    printf("libarn %s\n\n", arnvr());

    /* Arena: one buffer, bump-allocated, zero-filled, reset in one call. */
    arn_arena arena = arnmk(1 << 20);
    if (arena == 0) {
        fprintf(stderr, "arnmk: %s\n", arnem());
        return 1;
    }
    char *greeting = arnsd(arena, "hello from the arena");
    double *numbers = arnal(arena, 16 * sizeof(double));
    void *page = arnaa(arena, 4096, 4096);
    for (int i = 0; i < 16; i++)
        numbers[i] = i * 0.5;
    arn_arena_stats as;
    arnst(arena, &as);
    printf("arena:       \"%s\", numbers[15] = %.1f, page aligned: %s\n", greeting,
           numbers[15], ((size_t)page % 4096 == 0) ? "yes" : "no");
    printf("             size %zu, offset %zu, objects %zu, owns greeting: %d\n",
           as.size, as.offset, as.objects, arnow(arena, greeting));

    /* Asking for more than is left fails cleanly and says why. */
    if (arnal(arena, 2 << 20) == NULL)
        printf("             expected failure (code %d): %s\n", arner(), arnem());
    arnec();

    /* Typed arena: fixed-size slots addressed by index. */
    arn_arena particles = arntm(sizeof(struct particle), 1000);
    for (int i = 0; i < 10; i++) {
        size_t index;
        struct particle *p = arnta(particles, &index);
        p->x = (float)index;
        p->vx = 1.0f;
    }
    struct particle *seventh = arnti(particles, 7);
    arn_arena_stats ts;
    arnst(particles, &ts);
    printf("typed arena: slot 7 x = %.1f; size %zu, offset %zu, type_size %zu, count %zu\n",
           seventh->x, ts.size, ts.offset, ts.type_size, ts.count);

    /* Bump: the fastest path, for short-lived scratch data. */
    arn_bump bump = bmpmk(64 * 1024);
    for (int i = 0; i < 100; i++) {
        char *line = bumpl(bump, 32);
        snprintf(line, 32, "line %d", i);
    }
    arn_bump_stats bs;
    bmpst(bump, &bs);
    printf("bump:        size %zu, used %zu, allocations %zu\n", bs.size, bs.used,
           bs.allocations);
    bmprs(bump);
    bmpst(bump, &bs);
    printf("             after reset: used %zu, allocations %zu\n", bs.used, bs.allocations);

    arnfr(arena);
    arnfr(particles);
    bmpfr(bump);

    /* A freed handle is detected, never a crash. */
    if (arnal(arena, 8) == NULL)
        printf("\nafter free:  %s\n", arnem());
    return 0;
}
