//! Sizes of the growing arena: the 16-byte granule, the 127 size classes
//! every block is rounded up to, and the limits on chunks and requests.

/// The unit of every block: sizes round up to it, and every block is
/// aligned to it.
pub const ARN_GROW_GRANULE: usize = 16;
pub(super) const GRANULE_SHIFT: u32 = 4;
/// Side-table bit of a freed block.
pub(super) const FREED: u8 = 0x80;
/// Number of size classes, counting the unused class 0.
pub(super) const CLASSES: usize = 128;
/// Default chunk size.
pub const ARN_GROW_DEFAULT_CHUNK: usize = 64 * 1024;
/// Smallest chunk size accepted.
pub(super) const MIN_CHUNK: usize = 256;

/// The old name of `ARN_GROW_GRANULE`, kept for one release.
#[deprecated(note = "renamed ARN_GROW_GRANULE")]
pub const GROW_GRANULE: usize = ARN_GROW_GRANULE;
/// The old name of `ARN_GROW_DEFAULT_CHUNK`, kept for one release.
#[deprecated(note = "renamed ARN_GROW_DEFAULT_CHUNK")]
pub const GROW_DEFAULT_CHUNK: usize = ARN_GROW_DEFAULT_CHUNK;

/// Granules of each class: classes 1..=8 are 1..=8 granules, then four
/// classes per doubling (10, 12, 14, 16, 20, 24, ...).
pub(super) const CLASS_GRANULES: [usize; CLASSES] = {
    let mut t = [0usize; CLASSES];
    let mut c = 1;
    while c < CLASSES {
        t[c] = if c <= 8 {
            c
        } else {
            let e = 3 + (c - 9) / 4;
            let k = (c - 9) % 4 + 1;
            (1 << e) + k * (1 << (e - 2))
        };
        c += 1;
    }
    t
};

/// The largest block a size class can hold.
pub(super) const MAX_BLOCK: usize = CLASS_GRANULES[CLASSES - 1] << GRANULE_SHIFT;

/// Granule counts up to this are classed by table lookup.
const SMALL_GRANULES: usize = 64;

/// The class of every granule count up to [`SMALL_GRANULES`].
const SMALL_CLASS: [u8; SMALL_GRANULES + 1] = {
    let mut t = [0u8; SMALL_GRANULES + 1];
    let mut g = 1;
    let mut c = 1;
    while g <= SMALL_GRANULES {
        while CLASS_GRANULES[c] < g {
            c += 1;
        }
        t[g] = c as u8;
        g += 1;
    }
    t
};

/// The size class of a block of `size` bytes (`0 < size <= MAX_BLOCK`).
#[inline(always)]
pub(super) fn class_of(size: usize) -> usize {
    let g = (size + ARN_GROW_GRANULE - 1) >> GRANULE_SHIFT;
    if g <= SMALL_GRANULES {
        SMALL_CLASS[g] as usize
    } else {
        let e = (usize::BITS - 1 - (g - 1).leading_zeros()) as usize;
        let k = ((g - 1 - (1 << e)) >> (e - 2)) + 1;
        9 + (e - 3) * 4 + (k - 1)
    }
}

/// Bytes of class `c` (`c < CLASSES`).
#[inline(always)]
pub(super) fn class_size(c: usize) -> usize {
    CLASS_GRANULES[c & (CLASSES - 1)] << GRANULE_SHIFT
}
