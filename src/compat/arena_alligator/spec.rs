//! How caller memory is cut up: [`SlotSpec`] for a fixed arena,
//! [`BuddyHint`] for a buddy arena.

use std::num::NonZeroUsize;

use super::error::BuildError;

/// How `FixedArena::from_raw` cuts the caller's memory into slots.
pub enum SlotSpec {
    /// This many slots, each the memory's length divided by the count,
    /// rounded down to the alignment; the tail left over goes unused.
    Count(NonZeroUsize),
    /// Slots of this size, rounded down to the alignment, as many as fit;
    /// the tail left over goes unused.
    Size(NonZeroUsize),
}

impl SlotSpec {
    /// `(slot count, slot size)` in `len` bytes of memory with slots
    /// aligned to `align` (a power of two).
    pub(crate) fn resolve(&self, len: usize, align: usize) -> Result<(usize, usize), BuildError> {
        let down = |n: usize| n & !(align - 1);
        match *self {
            SlotSpec::Count(count) => {
                let size = down(len / count.get());
                if size == 0 {
                    return Err(BuildError::ZeroUsableSlots);
                }
                Ok((count.get(), size))
            }
            SlotSpec::Size(size) => {
                let size = down(size.get());
                if size == 0 {
                    return Err(BuildError::ZeroUsableSlots);
                }
                if size > len {
                    return Err(BuildError::SlotSizeExceedsBacking);
                }
                Ok((len / size, size))
            }
        }
    }
}

/// How `BuddyArena::from_raw` derives its geometry from the caller's
/// memory.
pub enum BuddyHint {
    /// The smallest block to hand out: rounded up to a power of two (down,
    /// when the rounded size does not fit the memory); the region is the
    /// largest power-of-two multiple of it that fits.
    MinAlloc(NonZeroUsize),
}

impl BuddyHint {
    /// A hint for a smallest block of `size` bytes.
    pub fn min_alloc(size: NonZeroUsize) -> Self {
        BuddyHint::MinAlloc(size)
    }

    /// `(minimum block, top order)` of the region in `len` bytes.
    pub(crate) fn resolve(&self, len: usize) -> Result<(usize, usize), BuildError> {
        let BuddyHint::MinAlloc(min) = *self;
        let min = min.get();
        let up = min.checked_next_power_of_two().filter(|&b| b <= len);
        let block = match up {
            Some(b) => b,
            None => {
                // The largest power of two not above `min`.
                let down = 1usize << min.ilog2();
                if down > len {
                    return Err(BuildError::ZeroUsableSlots);
                }
                down
            }
        };
        // The top order: the largest k with block << k <= len.
        let top = (len / block).ilog2() as usize;
        Ok((block, top))
    }
}
