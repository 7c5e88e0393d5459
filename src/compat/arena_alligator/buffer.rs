//! [`Buffer`]: arn's buffer under arena-alligator's method names and error
//! type.

use std::fmt;

use bytes::buf::UninitSlice;
use bytes::{BufMut, Bytes};

use super::error::BufferFullError;

/// A writable buffer over arena memory, from `FixedArena::allocate` or
/// `BuddyArena::allocate`.
///
/// Write through [`BufMut`], then [`freeze`](Buffer::freeze) it into
/// `Bytes` over the same memory. Dropping it unfrozen gives the memory
/// back. Without auto-spill, a `BufMut` write past the capacity panics
/// (use [`try_put_slice`](Buffer::try_put_slice) to get an error instead).
#[repr(transparent)]
pub struct Buffer {
    core: crate::buffer::Buffer,
}

impl Buffer {
    #[inline(always)]
    pub(crate) fn new(core: crate::buffer::Buffer) -> Buffer {
        Buffer { core }
    }

    /// Bytes the buffer holds before it is full (once spilled: its heap
    /// storage's capacity).
    #[inline]
    pub fn capacity(&self) -> usize {
        self.core.capacity()
    }

    /// Bytes written so far.
    #[inline]
    pub fn len(&self) -> usize {
        self.core.len()
    }

    /// Whether nothing was written yet.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.core.is_empty()
    }

    /// Whether the buffer moved to the heap.
    #[inline]
    pub fn is_spilled(&self) -> bool {
        self.core.is_spilled()
    }

    /// Appends `data`, or fails with the room left when it does not fit
    /// (never with auto-spill, which moves the buffer to the heap instead).
    #[inline]
    pub fn try_put_slice(&mut self, data: &[u8]) -> Result<(), BufferFullError> {
        match self.core.try_put_slice(data) {
            Ok(()) => Ok(()),
            Err(_) => Err(self.full(data.len())),
        }
    }

    #[cold]
    #[inline(never)]
    fn full(&self, requested: usize) -> BufferFullError {
        BufferFullError {
            remaining: self.core.capacity() - self.core.len(),
            requested,
        }
    }

    /// Whether `len` more bytes can be written (always, with auto-spill).
    #[inline]
    pub fn will_fit(&self, len: usize) -> bool {
        self.core.auto_spills() || self.core.will_fit(len)
    }

    /// Turns the bytes written into `Bytes` over the same memory, which
    /// goes back to the arena when the last clone or slice drops (a
    /// spilled buffer's `Bytes` are on the heap).
    #[inline]
    pub fn freeze(self) -> Bytes {
        self.core.freeze()
    }

    /// Drops the buffer unfrozen; its memory goes back to the arena.
    pub fn abandon(self) {}

    /// arn's buffer inside.
    #[cfg(feature = "hazmat-raw-access")]
    pub(crate) fn into_core(self) -> crate::buffer::Buffer {
        self.core
    }
}

impl fmt::Debug for Buffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.fmt(f)
    }
}

/// The panic of a `BufMut` write past the capacity, in `bytes`' words.
#[cold]
#[inline(never)]
#[track_caller]
fn overflow(remaining: usize, asked: usize) -> ! {
    panic!("advance out of bounds: the len is {remaining} but advancing by {asked}")
}

// SAFETY: every method forwards to arn's buffer, whose `BufMut` is sound;
// `remaining_mut` only reports more room where arn's buffer spills to the
// heap to provide it.
unsafe impl BufMut for Buffer {
    #[inline]
    fn remaining_mut(&self) -> usize {
        if self.core.auto_spills() {
            usize::MAX - self.core.len()
        } else {
            self.core.remaining_mut()
        }
    }

    #[inline]
    unsafe fn advance_mut(&mut self, cnt: usize) {
        // SAFETY: the caller's promise, forwarded.
        unsafe { self.core.advance_mut(cnt) }
    }

    #[inline]
    fn chunk_mut(&mut self) -> &mut UninitSlice {
        self.core.chunk_mut()
    }

    #[inline]
    fn put_slice(&mut self, src: &[u8]) {
        if self.core.try_put_slice(src).is_err() {
            overflow(self.core.capacity() - self.core.len(), src.len());
        }
    }

    #[inline]
    fn put_bytes(&mut self, val: u8, cnt: usize) {
        if self.core.try_put_bytes(val, cnt).is_err() {
            overflow(self.core.capacity() - self.core.len(), cnt);
        }
    }
}
