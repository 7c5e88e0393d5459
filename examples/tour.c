/* A first tour of libarn: one of each allocator, with their stats and a
 * few errors. Build and run it with `make example`. */
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

    /* Object pool: objects kept for reuse and known by address. With no
     * constructor it hands out 64-byte blocks, zeroed again on return. */
    arn_pool pool = polmk(NULL, NULL, 4);
    if (pool == 0) {
        fprintf(stderr, "polmk: %s\n", arnem());
        return 1;
    }
    struct particle *qa = polgt(pool);
    qa->x = 1.0f;
    polrt(pool, qa);
    struct particle *qb = polgt(pool); /* the same block, zero-filled */
    arn_pool_stats ps;
    polst(pool, &ps);
    printf("pool:        reused: %s, x = %.1f; available %zu, in_use %zu, total_allocated %zu, "
           "capacity %zu\n",
           qb == qa ? "yes" : "no", qb->x, ps.available, ps.in_use, ps.total_allocated,
           ps.capacity);
    if (polrt(pool, qb + 1) != 0) /* inside a block, not a block */
        printf("             expected failure (code %d): %s\n", arner(), arnem());
    arnec();
    polrt(pool, qb);
    polfr(pool);

    /* Block allocator: fixed-size blocks from a bitmap, freed one by one. */
    arn_block blocks = blckm(sizeof(struct particle), 1024);
    struct particle *pa = blckl(blocks), *pb = blckl(blocks);
    if (!pa || !pb) {
        fprintf(stderr, "blckl: %s\n", arnem());
        return 1;
    }
    blckf(blocks, pa);                   /* zeroed, free again */
    struct particle *pc = blckl(blocks); /* the same block back */
    arn_block_stats ks;
    blcks(blocks, &ks);
    printf("block:       reused: %s; total %zu, used %zu, free %zu, utilization %.4f\n",
           pc == pa ? "yes" : "no", ks.total, ks.used, ks.free, ks.utilization);
    if (blckf(blocks, (char *)pb + 1) != 0)
        printf("             expected failure (code %d): %s\n", arner(), arnem());
    arnec();
    blckd(blocks);

    /* Stack: push and pop, or take a marker and restore to it. */
    arn_stack stack = stckm(4096);
    size_t mark;
    char *name = stckl(stack, "outer", 6);
    if (!name || stckt(stack, &mark) != 0) {
        fprintf(stderr, "stack: %s\n", arnem());
        return 1;
    }
    for (int i = 0; i < 3; i++) {
        double *tmp = stckl(stack, NULL, 100 * sizeof(double)); /* zeroed */
        tmp[99] = i;
        stckr(stack, mark); /* drops tmp and zeroes it */
    }
    printf("stack:       \"%s\" still below the marker at offset %zu\n", name, mark);
    if (stckp(stack, 64) != 0)
        printf("             expected failure (code %d): %s\n", arner(), arnem());
    arnec();
    stckf(stack);

    /* mmap arena: reserve 64 GiB of address space, pay only for what is used. */
    arn_mmap_opts mo = {0}; /* {0} = the defaults: guard page, no prefault */
    mo.retain = 1 << 20;    /* keep 1 MiB committed across resets */
    arn_mmap huge = mmpmk((size_t)64 << 30, &mo);
    if (huge == 0) {
        fprintf(stderr, "mmpmk: %s\n", arnem());
        return 1;
    }
    char *rows = mmapl(huge, 10 << 20);
    if (rows == NULL) {
        fprintf(stderr, "mmapl: %s\n", arnem());
        return 1;
    }
    memset(rows, 'x', 10 << 20);
    arn_mmap_stats ms;
    mmpst(huge, &ms);
    printf("mmap arena:  reserved %zu, committed %zu, used %zu\n", ms.reserved, ms.committed,
           ms.used);
    mmprs(huge);
    mmpst(huge, &ms);
    printf("             after reset: committed %zu (retained)\n", ms.committed);
    mmpfr(huge);

    /* Region: 64 KiB arenas made on demand, all freed in one call. */
    arn_region region = regin();
    for (int i = 0; i < 1000; i++)
        regnl(region, 100);
    void *big = regnl(region, 200000); /* larger than 64 KiB: its own arena */
    arn_region_stats rs;
    rgnst(region, &rs);
    printf("region:      %zu arenas, %zu bytes handed out, current arena %zu of %zu used%s\n",
           rs.arns, rs.total_allocated, rs.current_arn_used, rs.current_arn_size,
           big ? "" : " (large request failed)");
    rgnfr(region);
    rgnst(region, &rs);
    printf("             after rgnfr: %zu arenas, still usable: %s\n", rs.arns,
           regnl(region, 8) ? "yes" : "no");
    rgndl(region);

    /* Scratch: nested checkpoints; restoring reclaims and zeroes. */
    arn_scratch scratch = scrt1(4096);
    scrt3(scratch); /* checkpoint */
    char *frame = scrtc(scratch, 256);
    strcpy(frame, "per-frame data");
    scrt3(scratch); /* nested checkpoint */
    char *inner = scrtc(scratch, 512);
    strcpy(inner, "temporary");
    scrt2(scratch); /* back to after `frame` */
    char *again = scrtc(scratch, 512);
    printf("scratch:     \"%s\" kept, inner space reused: %s, zeroed: %s\n", frame,
           again == inner ? "yes" : "no", again[0] == 0 ? "yes" : "no");
    scrt2(scratch); /* back to empty */
    if (scrt2(scratch) != 0)
        printf("             expected failure (code %d): %s\n", arner(), arnem());
    arnec();
    scrt0(scratch);

    /* Fixed-slot byte arena: lock-free slots from any thread; a buffer
     * freezes into reference-counted bytes without copying, and the slot
     * comes back when the last handle over it is dropped. */
    arn_byte_opts bo = {0};
    bo.auto_spill = 1;
    arn_fixed fixed = fxdmk(1024, 64, &bo);
    if (!fixed) {
        fprintf(stderr, "%s\n", arnem());
        return 1;
    }
    arn_buffer buf = fxdal(fixed);
    bufwr(buf, "GET /index.html", 15);
    arn_bytes msg = bufrz(buf);
    arn_bytes path = bytsl(msg, 4, 11);
    printf("fixed:       \"%.*s\" shares the slot of \"%.*s\"\n", (int)bytln(path),
           (const char *)bytdt(path), (int)bytln(msg), (const char *)bytdt(msg));
    arn_buffer grown = fxdal(fixed);
    char line[100];
    memset(line, '=', sizeof line);
    bufwr(grown, line, sizeof line); /* past the 64-byte slot: spills to the heap */
    arn_fixed_stats fm;
    fxdst(fixed, &fm);
    printf("             %zu of %zu slots out, spilled: %d, spills %llu\n", fm.slots - fm.slots_free,
           fm.slots, bufsp(grown), (unsigned long long)fm.spills);
    bufdr(grown);
    bytdr(msg);
    bytdr(path); /* the last handle: the slot goes back */
    fxdfr(fixed);

    /* Buddy byte arena: power-of-two blocks of one region, split on demand
     * and merged again when they come back. */
    arn_buddy buddy = bdymk(1 << 20, 256, NULL);
    arn_buffer small = bdyal(buddy, 300); /* a 512-byte block */
    arn_buffer large = bdyal(buddy, 40000); /* a 64 KiB block */
    if (!buddy || !small || !large) {
        fprintf(stderr, "%s\n", arnem());
        return 1;
    }
    printf("buddy:       capacities %zu and %zu bytes", bufca(small), bufca(large));
    bufdr(small);
    bufdr(large);
    arn_buddy_stats bm;
    bdyst(buddy, &bm);
    printf("; after both came back, largest free block %zu of %zu\n", bm.largest_free_block,
           bm.total_size);
    bdyfr(buddy);

    /* Growing arena: chunks as needed, blocks freed one by one and reused
     * by size class, the last allocation grown in place. */
    arn_grow grow = grwmk(NULL);
    char *hello = grow ? grwsd(grow, "hello") : NULL;
    if (!hello) {
        fprintf(stderr, "%s\n", arnem());
        return 1;
    }
    char *longer = grwre(grow, hello, 64); /* the last block: grows in place */
    strcat(longer, ", growing arena");
    void *scratch_block = grwal(grow, 40, 0);
    grwfe(grow, scratch_block);
    void *reused = grwal(grow, 48, 0); /* same size class: the freed block */
    printf("grow:        \"%s\" (in place: %s), freed block reused: %s, managed: %d\n", longer,
           longer == hello ? "yes" : "no", reused == scratch_block ? "yes" : "no", grwow(grow, longer));
    arn_vector vec = vecmk(grow, sizeof(int), 4);
    arn_map map = mapmk(grow, 8);
    for (int i = 0; i < 10; i++)
        vecps(vec, &i);
    mappt(map, "answer", 6, "42", 2);
    size_t vlen = 0;
    const char *answer = mapgt(map, "answer", 6, &vlen);
    printf("             vector of %zu ints in the arena, map[\"answer\"] = %.*s\n", vecln(vec),
           (int)vlen, answer ? answer : "");
    vecfr(vec);
    mapfr(map);
    grwfr(grow);

    /* Chunk slices: many slices carved from one chunk, shared by handle;
     * the chunk goes when its last slice does. */
    arn_chunks chunks = chkmk(sizeof(double), 0, 256);
    double xs[3] = {1.5, 2.5, 3.5};
    arn_slice sl = chunks ? chkal(chunks, 3, xs) : 0;
    if (!sl) {
        fprintf(stderr, "%s\n", arnem());
        return 1;
    }
    arn_slice twin = slccl(sl);
    slcdr(sl);
    chkfr(chunks); /* the slice keeps its chunk */
    printf("chunks:      shared slice of %zu doubles, last %.1f\n", slcln(twin),
           ((const double *)slcdt(twin))[2]);
    slcdr(twin);

    arnfr(arena);
    arnfr(particles);
    bmpfr(bump);

    /* A freed handle is detected, never a crash. */
    if (arnal(arena, 8) == NULL)
        printf("\nafter free:  %s\n", arnem());
    return 0;
}
