//! Raw access to arena memory (feature `hazmat-raw-access`): regions
//! written through pointers, frozen by range.
//!
//! A [`RawRegion`] is a slot or block with no length tracking, no
//! `BufMut` and no spilling: the caller writes through
//! [`as_mut_ptr`](RawRegion::as_mut_ptr) or
//! [`as_uninit_slice_mut`](RawRegion::as_uninit_slice_mut), then freezes
//! the range it initialised. The `Bytes` keep the memory as a buffer's do.

use std::fmt;
use std::mem::MaybeUninit;
use std::num::NonZeroUsize;
use std::ops::{Deref, Range};

use bytes::Bytes;

use super::error::AllocError;
use super::{BuddyArena, FixedArena};

/// A [`FixedArena`] with [`raw_alloc`](Self::raw_alloc); its other methods
/// through `Deref`.
#[derive(Clone)]
pub struct RawFixedArena(pub(crate) FixedArena);

impl Deref for RawFixedArena {
    type Target = FixedArena;

    fn deref(&self) -> &FixedArena {
        &self.0
    }
}

impl fmt::Debug for RawFixedArena {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RawFixedArena").field(&self.0).finish()
    }
}

impl RawFixedArena {
    /// A free slot as a raw region of the slot's capacity (zeroed under
    /// `InitPolicy::Zero`); [`AllocError::ArenaFull`] when none is free.
    pub fn raw_alloc(&self) -> Result<RawRegion, AllocError> {
        self.0.allocate().map(|b| RawRegion { buf: b.into_core() })
    }
}

/// A [`BuddyArena`] with [`raw_alloc`](Self::raw_alloc); its other methods
/// through `Deref`.
#[derive(Clone)]
pub struct RawBuddyArena(pub(crate) BuddyArena);

impl Deref for RawBuddyArena {
    type Target = BuddyArena;

    fn deref(&self) -> &BuddyArena {
        &self.0
    }
}

impl fmt::Debug for RawBuddyArena {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RawBuddyArena").field(&self.0).finish()
    }
}

impl RawBuddyArena {
    /// A block of at least `len` bytes as a raw region: the whole block
    /// with an exact geometry, `len` bytes of it with a nearest one.
    pub fn raw_alloc(&self, len: NonZeroUsize) -> Result<RawRegion, AllocError> {
        self.0
            .allocate(len)
            .map(|b| RawRegion { buf: b.into_core() })
    }
}

/// A range given to [`RawRegion::freeze`] that is reversed or past the
/// capacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFreezeError {
    start: usize,
    end: usize,
    capacity: usize,
}

impl RawFreezeError {
    /// The range asked for.
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }

    /// The region's capacity.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

impl fmt::Display for RawFreezeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start > self.end {
            write!(
                f,
                "invalid freeze range: {}..{} (start > end)",
                self.start, self.end
            )
        } else {
            write!(
                f,
                "freeze range {}..{} exceeds capacity {}",
                self.start, self.end, self.capacity
            )
        }
    }
}

impl std::error::Error for RawFreezeError {}

/// A slot or block written through raw pointers; dropping it unfrozen gives
/// the memory back.
pub struct RawRegion {
    /// arn's buffer over the memory; its length stays 0.
    buf: crate::buffer::Buffer,
}

impl RawRegion {
    /// Bytes the region may be written.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// The first byte, for reading.
    pub fn as_ptr(&self) -> *const u8 {
        self.buf.base().as_ptr()
    }

    /// The first byte, for writing `capacity()` bytes.
    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        self.buf.base_mut().as_ptr()
    }

    /// The whole region, for writing.
    pub fn as_uninit_slice_mut(&mut self) -> &mut [MaybeUninit<u8>] {
        let cap = self.buf.capacity();
        let p = self.buf.base_mut().cast::<MaybeUninit<u8>>();
        // SAFETY: the region's `cap` bytes are ours alone while `self` is
        // mutably borrowed; `MaybeUninit` asks nothing of their contents.
        unsafe { std::slice::from_raw_parts_mut(p.as_ptr(), cap) }
    }

    /// The whole region, for reading.
    pub fn as_uninit_slice(&self) -> &[MaybeUninit<u8>] {
        let p = self.buf.base().cast::<MaybeUninit<u8>>();
        // SAFETY: the region's bytes, not written through `&self`;
        // `MaybeUninit` asks nothing of their contents.
        unsafe { std::slice::from_raw_parts(p.as_ptr(), self.buf.capacity()) }
    }

    /// `Bytes` over `range` of the region, which goes back to the arena
    /// when the last clone or slice drops.
    ///
    /// # Safety
    ///
    /// Every byte in `range` is initialised.
    ///
    /// # Errors
    ///
    /// [`RawFreezeError`] when `range` is reversed or ends past the
    /// capacity; the region is dropped (its memory goes back).
    pub unsafe fn freeze(self, range: Range<usize>) -> Result<Bytes, RawFreezeError> {
        let capacity = self.buf.capacity();
        if range.start > range.end || range.end > capacity {
            return Err(RawFreezeError {
                start: range.start,
                end: range.end,
                capacity,
            });
        }
        // SAFETY: the range lies in the region (checked) and is initialised
        // (the caller's promise); a raw region never spills.
        Ok(unsafe { self.buf.freeze_range(range.start, range.end) })
    }
}

impl fmt::Debug for RawRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawRegion")
            .field("capacity", &self.capacity())
            .finish()
    }
}
