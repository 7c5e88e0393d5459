//! [`BuddyGeometry`]: a buddy arena's sizes, checked once.

use std::num::NonZeroUsize;

use super::error::BuildError;

/// A buddy arena's total size, minimum block and alignment, validated.
///
/// [`exact`](Self::exact) takes sizes that must already be valid;
/// [`nearest`](Self::nearest) rounds them up to the nearest valid ones,
/// and its arenas give each buffer the capacity asked for rather than the
/// whole block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuddyGeometry {
    total_size: usize,
    min_block_size: usize,
    max_order: usize,
    alignment: usize,
    cap_capacity: bool,
}

/// The top order of `total` bytes of `min` blocks, when `min` is a power of
/// two and `total` a power-of-two multiple of it.
fn top_order(total: usize, min: usize) -> Option<usize> {
    if !min.is_power_of_two() || total < min || total % min != 0 {
        return None;
    }
    let blocks = total / min;
    blocks
        .is_power_of_two()
        .then(|| blocks.trailing_zeros() as usize)
}

/// `(total, top order)`: `total` rounded up to a power-of-two multiple of
/// `min` (a power of two), at least one block.
fn round_up(total: usize, min: usize) -> Result<(usize, usize), BuildError> {
    let blocks = total.max(min).div_ceil(min);
    let blocks = blocks
        .checked_next_power_of_two()
        .ok_or(BuildError::SizeOverflow)?;
    let total = blocks.checked_mul(min).ok_or(BuildError::SizeOverflow)?;
    Ok((total, blocks.trailing_zeros() as usize))
}

impl BuddyGeometry {
    /// `total_size` bytes of blocks of at least `min_block_size`: the
    /// minimum block must be a power of two and the total a power-of-two
    /// multiple of it, else [`BuildError::InvalidGeometry`].
    pub fn exact(
        total_size: NonZeroUsize,
        min_block_size: NonZeroUsize,
    ) -> Result<Self, BuildError> {
        let (total, min) = (total_size.get(), min_block_size.get());
        let max_order = top_order(total, min).ok_or(BuildError::InvalidGeometry)?;
        Ok(BuddyGeometry {
            total_size: total,
            min_block_size: min,
            max_order,
            alignment: 1,
            cap_capacity: false,
        })
    }

    /// The nearest valid geometry at or above the sizes given: the minimum
    /// block rounded up to a power of two, the total up to a power-of-two
    /// multiple of it. [`BuildError::SizeOverflow`] when that overflows.
    /// Buffers of its arenas have the capacity asked for, not the block's.
    pub fn nearest(
        total_size: NonZeroUsize,
        min_block_size: NonZeroUsize,
    ) -> Result<Self, BuildError> {
        let min = min_block_size
            .get()
            .checked_next_power_of_two()
            .ok_or(BuildError::SizeOverflow)?;
        let (total, max_order) = round_up(total_size.get(), min)?;
        Ok(BuddyGeometry {
            total_size: total,
            min_block_size: min,
            max_order,
            alignment: 1,
            cap_capacity: true,
        })
    }

    /// Aligns the arena's memory and blocks to `alignment`, a power of two
    /// ([`BuildError::InvalidAlignment`] otherwise). Above the minimum
    /// block, an exact geometry fails with [`BuildError::InvalidGeometry`]
    /// and a nearest one raises its minimum block to the alignment.
    pub fn with_alignment(self, alignment: NonZeroUsize) -> Result<Self, BuildError> {
        let a = alignment.get();
        if !a.is_power_of_two() {
            return Err(BuildError::InvalidAlignment);
        }
        if a <= self.min_block_size {
            return Ok(BuddyGeometry {
                alignment: a,
                ..self
            });
        }
        if !self.cap_capacity {
            return Err(BuildError::InvalidGeometry);
        }
        let (total, max_order) = round_up(self.total_size, a)?;
        Ok(BuddyGeometry {
            total_size: total,
            min_block_size: a,
            max_order,
            alignment: a,
            cap_capacity: true,
        })
    }

    /// Bytes the blocks cover.
    pub fn total_size(&self) -> usize {
        self.total_size
    }

    /// The smallest block.
    pub fn min_block_size(&self) -> usize {
        self.min_block_size
    }

    /// The order of the whole region: `total_size == min_block_size <<
    /// max_order`.
    pub fn max_order(&self) -> usize {
        self.max_order
    }

    /// Alignment of the arena's memory.
    pub fn alignment(&self) -> usize {
        self.alignment
    }

    /// Whether buffers get the capacity asked for rather than the block's.
    pub(crate) fn cap_capacity(&self) -> bool {
        self.cap_capacity
    }
}
