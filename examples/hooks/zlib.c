/* zlib on a growing arena: zalloc and zfree, with the arena as `opaque`.
 * Build: make examples-hooks (needs the zlib development package). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "arn.h"

static voidpf z_alloc(voidpf opaque, uInt items, uInt size) {
    return grwal(*(arn_grow *)opaque, (size_t)items * size, 0); /* no overflow: both < 2^32 */
}
static void z_free(voidpf opaque, voidpf p) { grwfe(*(arn_grow *)opaque, p); }

int main(void) {
    arn_grow arena = grwmk(NULL);
    static unsigned char text[1 << 16], packed[1 << 17], back[1 << 16];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (unsigned char)("arena hooks "[i % 12] ^ (i / 4096));

    z_stream z;
    memset(&z, 0, sizeof z);
    z.zalloc = z_alloc;
    z.zfree = z_free;
    z.opaque = &arena;
    int ok = deflateInit(&z, Z_BEST_COMPRESSION) == Z_OK;
    z.next_in = text;
    z.avail_in = sizeof text;
    z.next_out = packed;
    z.avail_out = sizeof packed;
    ok = ok && deflate(&z, Z_FINISH) == Z_STREAM_END;
    size_t packed_len = z.total_out;
    deflateEnd(&z);

    memset(&z, 0, sizeof z);
    z.zalloc = z_alloc;
    z.zfree = z_free;
    z.opaque = &arena;
    ok = ok && inflateInit(&z) == Z_OK;
    z.next_in = packed;
    z.avail_in = (uInt)packed_len;
    z.next_out = back;
    z.avail_out = sizeof back;
    ok = ok && inflate(&z, Z_FINISH) == Z_STREAM_END;
    inflateEnd(&z);

    arn_grow_stats s;
    grwst(arena, &s);
    ok = ok && memcmp(text, back, sizeof text) == 0 && s.bytes_live == 0;
    printf("zlib: %zu bytes packed to %zu and back; arena: %llu allocations\n", sizeof text,
           packed_len, (unsigned long long)s.allocations);
    grwfr(arena);
    return ok ? 0 : 1;
}
