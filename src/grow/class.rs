//! Sizes of the growing arena: the 16-byte granule every block is made of,
//! the 127 size classes that sort free blocks into bins, and the limits on
//! chunks and requests.

/// The unit of every block: sizes round up to it, and every block is
/// aligned to it.
pub const ARN_GROW_GRANULE: usize = 16;
pub(super) const GRANULE_SHIFT: u32 = 4;
/// Number of size classes, counting the unused class 0.
pub(super) const CLASSES: usize = 128;
/// Default chunk size.
pub const ARN_GROW_DEFAULT_CHUNK: usize = 64 * 1024;
/// Smallest chunk size accepted.
pub(super) const MIN_CHUNK: usize = 256;
/// Largest chunk size accepted (a side table indexes granules with 32 bits).
pub(super) const MAX_CHUNK: usize = 1 << 30;

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

/// The largest block the arena hands out.
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

/// Granules of a block of `size` bytes: at least one, so that a request
/// of 0 bytes gets a unique block too.
#[inline(always)]
pub(super) fn granules(size: usize) -> usize {
    (size.wrapping_add(ARN_GROW_GRANULE - 1) >> GRANULE_SHIFT).max(1)
}

/// The smallest class of at least `g` granules (`0 < g`, at most the
/// largest class).
#[inline(always)]
pub(super) fn fit_class(g: usize) -> usize {
    if g <= SMALL_GRANULES {
        SMALL_CLASS[g] as usize
    } else {
        let e = (usize::BITS - 1 - (g - 1).leading_zeros()) as usize;
        let k = ((g - 1 - (1 << e)) >> (e - 2)) + 1;
        9 + (e - 3) * 4 + (k - 1)
    }
}

/// The bin of a free block of `g` granules: the largest class of at most
/// `g`, so that every block in bin `c` holds at least `class_granules(c)`.
#[inline(always)]
pub(super) fn bin_of(g: usize) -> usize {
    let c = fit_class(g);
    if CLASS_GRANULES[c] == g { c } else { c - 1 }
}

/// Granules of class `c` (`c < CLASSES`).
#[inline(always)]
pub(super) fn class_granules(c: usize) -> usize {
    CLASS_GRANULES[c & (CLASSES - 1)]
}
