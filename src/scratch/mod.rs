//! Scratch space (C: `scrt1`, `scrt3`, `scrtc`, `scrt2`, `scrt0`, as in the
//! original arn API).
//!
//! A [`Scratch`] is an [`Arena`] with a stack of checkpoints: take a
//! checkpoint, allocate freely, restore, and everything allocated since the
//! checkpoint is zeroed and handed back. Checkpoints nest.

pub(crate) mod ffi;

use std::ptr::NonNull;

use crate::arena::{Arena, Mark};
use crate::error::{Error, Result};

/// Counters of a [`Scratch`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScratchStats {
    /// Capacity in bytes.
    pub size: usize,
    /// Bytes in use, padding included.
    pub used: usize,
    /// Allocations since creation, less those reclaimed by restores.
    pub allocations: usize,
    /// Checkpoints taken and not yet restored.
    pub checkpoints: usize,
}

/// An arena with nested checkpoints.
///
/// Allocation takes `&self`; taking and restoring checkpoints take
/// `&mut self`, so no allocation outlives the restore that reclaims it.
/// ```
/// # fn main() -> arn::Result<()> {
/// let mut scratch = arn::Scratch::new(4096)?;
/// let keep = scratch.alloc_str("kept")?.len();
/// scratch.checkpoint()?;
/// scratch.alloc(1000)?; // temporary
/// scratch.restore()?; // gone, zeroed
/// assert_eq!(scratch.used(), 8);
/// // The same as a scope: whatever the closure allocates is reclaimed.
/// let sum = scratch.scope(|s| {
///     let xs = s.alloc_slice_fill_with(100, |i| i as u64).unwrap();
///     xs.iter().sum::<u64>()
/// })?;
/// assert_eq!((keep, sum, scratch.used()), (4, 4950, 8));
/// # Ok(()) }
/// ```
pub struct Scratch {
    arena: Arena,
    checkpoints: Vec<Mark>,
}

impl Scratch {
    /// Creates scratch space of `size` bytes, zero-filled.
    pub fn new(size: usize) -> Result<Scratch> {
        Ok(Scratch {
            arena: Arena::new(size)?,
            checkpoints: Vec::new(),
        })
    }

    /// Hands out `bytes` zeroed bytes, 8-byte aligned.
    // Each call hands out bytes no other call hands out; restoring needs
    // `&mut self`, so none outlives one.
    #[allow(clippy::mut_from_ref)]
    #[inline]
    pub fn alloc(&self, bytes: usize) -> Result<&mut [u8]> {
        self.arena.alloc(bytes)
    }

    /// Like [`Scratch::alloc`], returning a raw pointer.
    #[inline]
    pub fn alloc_ptr(&self, bytes: usize) -> Result<NonNull<u8>> {
        self.arena.alloc_ptr(bytes)
    }

    /// Like [`Scratch::alloc_ptr`], with `None` for every failure.
    #[inline(always)]
    pub fn try_alloc_ptr(&self, bytes: usize) -> Option<NonNull<u8>> {
        self.arena.try_alloc_ptr(bytes)
    }

    /// Hands out `bytes` zeroed bytes aligned to `align`, a power of two up
    /// to [`ARN_MAX_ALIGN`](crate::ARN_MAX_ALIGN), as
    /// [`Arena::alloc_aligned_ptr`].
    #[inline]
    pub fn alloc_aligned_ptr(&self, bytes: usize, align: usize) -> Result<NonNull<u8>> {
        self.arena.alloc_aligned_ptr(bytes, align)
    }

    /// See `Arena::resize_last`.
    pub(crate) fn resize_last(&self, p: *const u8, old: usize, new: usize) -> bool {
        self.arena.resize_last(p, old, new)
    }

    /// Saves the current fill as a checkpoint on top of the others.
    ///
    /// Fails with [`Error::System`] only when the heap refuses room for the
    /// checkpoint.
    pub fn checkpoint(&mut self) -> Result<()> {
        self.checkpoints.try_reserve(1).map_err(|_| Error::System {
            bytes: std::mem::size_of::<Mark>() * (self.checkpoints.len() + 1),
        })?;
        self.checkpoints.push(self.arena.mark());
        Ok(())
    }

    /// Goes back to the last checkpoint and drops it, zeroing everything
    /// allocated since it was taken.
    ///
    /// Fails with [`Error::NoCheckpoint`], changing nothing, when there is
    /// none.
    pub fn restore(&mut self) -> Result<()> {
        let mark = *self.checkpoints.last().ok_or(Error::NoCheckpoint)?;
        // Checkpoints only ever sit at or below the current fill: allocation
        // moves it up, and only `restore` moves it down, to the top one.
        self.arena.rewind(mark)?;
        self.checkpoints.pop();
        Ok(())
    }

    /// Runs `f` between a checkpoint and its restore: whatever `f`
    /// allocates is reclaimed when it returns.
    ///
    /// Fails only when the checkpoint cannot be taken, without running `f`.
    pub fn scope<R>(&mut self, f: impl FnOnce(&Scratch) -> R) -> Result<R> {
        self.checkpoint()?;
        let r = f(self);
        // `f` had only `&Scratch`, so the checkpoint is still on top.
        self.restore()?;
        Ok(r)
    }

    /// Checkpoints taken and not yet restored.
    pub fn depth(&self) -> usize {
        self.checkpoints.len()
    }

    /// Bytes in use, padding included.
    pub fn used(&self) -> usize {
        self.arena.offset()
    }

    /// Capacity in bytes.
    pub fn capacity(&self) -> usize {
        self.arena.capacity()
    }

    /// The scratch space's counters.
    pub fn stats(&self) -> ScratchStats {
        let a = self.arena.stats();
        ScratchStats {
            size: a.size,
            used: a.offset,
            allocations: a.objects,
            checkpoints: self.checkpoints.len(),
        }
    }
}

#[cfg(test)]
mod tests;
