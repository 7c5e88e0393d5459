//! The region (C: `regin`, `regnl`, `rgnfr`, `rgnst`, as in the original
//! arn API; `rgndl`).
//!
//! A [`Region`] grows by 64 KiB arenas made on demand and bumps through the
//! current one. A request larger than 64 KiB gets an arena of its own, and
//! the current arena stays current, so its free tail is not lost. Freeing
//! the region's memory ([`Region::free_all`]) drops every arena at once;
//! the region itself stays usable.

pub(crate) mod ffi;

use std::cell::{Cell, RefCell};
use std::ptr::{self, NonNull};

use crate::error::{Error, Result};
use crate::mem::{WORD, ZeroedBuf, bad_size, fit};

/// Size of the arenas a region makes on demand.
pub const ARN_REGION_ARENA_SIZE: usize = 64 * 1024;

/// The old name of `ARN_REGION_ARENA_SIZE`, kept for one release.
#[deprecated(note = "renamed ARN_REGION_ARENA_SIZE")]
pub const REGION_ARENA_SIZE: usize = ARN_REGION_ARENA_SIZE;

/// Counters of a region (C: `arn_region_stats`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegionStats {
    /// Arenas the region holds, the ones of single large requests included.
    pub arns: usize,
    /// Bytes handed out since the region was made or last freed, rounding
    /// included.
    pub total_allocated: usize,
    /// Bytes handed out from the current 64 KiB arena.
    pub current_arn_used: usize,
    /// Size of the current arena: 65536, or 0 before the first one.
    pub current_arn_size: usize,
}

/// A growing allocator of 64 KiB zero-filled arenas.
///
/// Allocation takes `&self` and hands out disjoint `&mut [u8]`; freeing
/// everything takes `&mut self`, so no allocation outlives it.
pub struct Region {
    /// Next free byte and end of the current arena; both null before the
    /// first arena, so that the fast path fails without a separate check.
    next: Cell<*mut u8>,
    end: Cell<*mut u8>,
    /// Every arena, in the order made. Touched only on the slow path; no
    /// reference into the list outlives a call.
    arenas: RefCell<Vec<ZeroedBuf>>,
    /// Index in `arenas` of the current arena, if any.
    current: Cell<Option<usize>>,
    /// Bytes handed out from arenas other than the current one.
    done: Cell<usize>,
}

// SAFETY: the raw pointers point into buffers the region owns; nothing in
// it is tied to a thread.
unsafe impl Send for Region {}

impl Default for Region {
    fn default() -> Region {
        Region::new()
    }
}

impl Region {
    /// Creates an empty region; the first allocation makes its first arena.
    pub fn new() -> Region {
        Region {
            next: Cell::new(ptr::null_mut()),
            end: Cell::new(ptr::null_mut()),
            arenas: RefCell::new(Vec::new()),
            current: Cell::new(None),
            done: Cell::new(0),
        }
    }

    crate::mem::alloc_slice! {
        /// Hands out `bytes` zeroed bytes, 8-byte aligned.
    }

    /// Like [`Region::alloc`], returning a raw pointer.
    #[inline]
    pub fn alloc_ptr(&self, size: usize) -> Result<NonNull<u8>> {
        match self.try_alloc_ptr(size) {
            Some(p) => Ok(p),
            None => self.grow(size),
        }
    }

    /// Serves `size` bytes from the current arena, or `None` when they do
    /// not fit there (or the size is 0 or overflows).
    #[inline(always)]
    pub fn try_alloc_ptr(&self, size: usize) -> Option<NonNull<u8>> {
        let next = self.next.get();
        let rounded = fit(size, self.end.get().addr() - next.addr())?;
        // SAFETY: next + rounded <= end, inside the current arena.
        self.next.set(unsafe { next.add(rounded) });
        // SAFETY: a nonzero room means `next` points into an arena.
        Some(unsafe { NonNull::new_unchecked(next) })
    }

    /// The slow path: a new arena, of its own for a large request.
    #[cold]
    #[inline(never)]
    fn grow(&self, size: usize) -> Result<NonNull<u8>> {
        if let Some(e) = bad_size(size) {
            return Err(e);
        }
        let rounded = size.next_multiple_of(WORD);
        let mut arenas = self.arenas.borrow_mut();
        arenas.try_reserve(1).map_err(|_| Error::System {
            bytes: std::mem::size_of::<ZeroedBuf>() * (arenas.len() + 1),
        })?;
        if rounded > ARN_REGION_ARENA_SIZE {
            let buf = ZeroedBuf::new(rounded, "region arena")?;
            let p = buf.base();
            arenas.push(buf);
            self.done.set(self.done.get() + rounded);
            // SAFETY: a buffer's base is never null.
            return Ok(unsafe { NonNull::new_unchecked(p) });
        }
        let buf = ZeroedBuf::new(ARN_REGION_ARENA_SIZE, "region arena")?;
        let base = buf.base();
        arenas.push(buf);
        self.done.set(self.done.get() + self.current_used());
        self.current.set(Some(arenas.len() - 1));
        // SAFETY: rounded <= ARN_REGION_ARENA_SIZE, the buffer's length.
        unsafe {
            self.next.set(base.add(rounded));
            self.end.set(base.add(ARN_REGION_ARENA_SIZE));
        }
        // SAFETY: a buffer's base is never null.
        Ok(unsafe { NonNull::new_unchecked(base) })
    }

    fn current_used(&self) -> usize {
        match self.current.get() {
            Some(_) => ARN_REGION_ARENA_SIZE - (self.end.get().addr() - self.next.get().addr()),
            None => 0,
        }
    }

    /// Frees every arena; the region starts over, empty and usable.
    pub fn free_all(&mut self) {
        self.arenas.get_mut().clear();
        self.next.set(ptr::null_mut());
        self.end.set(ptr::null_mut());
        self.current.set(None);
        self.done.set(0);
    }

    /// The region's counters.
    pub fn stats(&self) -> RegionStats {
        let current = self.current_used();
        RegionStats {
            arns: self.arenas.borrow().len(),
            total_allocated: self.done.get() + current,
            current_arn_used: current,
            current_arn_size: if self.current.get().is_some() {
                ARN_REGION_ARENA_SIZE
            } else {
                0
            },
        }
    }

    /// True when `p` points into one of the region's arenas.
    pub fn owns(&self, p: *const u8) -> bool {
        self.arenas
            .borrow()
            .iter()
            .any(|b| b.contains(p, 0, b.len()))
    }
}

#[cfg(test)]
mod tests;
