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
use crate::mem::{BUF_ALIGN, WORD, ZeroedBuf, bad_size, check_align, fit, fit_aligned};
use crate::track;

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
///
/// ```
/// # fn main() -> arn::Result<()> {
/// let mut region = arn::Region::new();
/// let small = region.alloc(100)?; // zeroed, from a 64 KiB arena made on demand
/// small[99] = 1;
/// let big = region.alloc(1 << 20)?; // over 64 KiB: an arena of its own
/// assert_eq!(big.len(), 1 << 20);
/// let name = region.alloc_str("region")?;
/// assert_eq!(name, "region");
/// assert_eq!(region.stats().arns, 2);
/// region.free_all(); // every arena at once; the region stays usable
/// assert_eq!(region.stats().arns, 0);
/// # Ok(()) }
/// ```
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
            None => self.grow(size, WORD),
        }
    }

    /// Hands out `size` zeroed bytes aligned to `align`, a power of two up
    /// to [`ARN_MAX_ALIGN`](crate::ARN_MAX_ALIGN); the padding before them
    /// counts as handed out. Fails as [`Region::alloc`], and with
    /// [`Error::InvalidArgument`] for a bad alignment.
    #[inline]
    pub fn alloc_aligned_ptr(&self, size: usize, align: usize) -> Result<NonNull<u8>> {
        check_align(align)?;
        if align <= WORD {
            return self.alloc_ptr(size);
        }
        let next = self.next.get();
        let room = self.end.get().addr() - next.addr();
        match fit_aligned(next.addr(), size, align, room) {
            Some((pad, rounded)) => {
                // SAFETY: next + pad + rounded <= end, inside the current
                // arena (a nonzero room means there is one).
                unsafe {
                    let p = next.add(pad);
                    track::handed_out(p, size);
                    self.next.set(p.add(track::pad(rounded, room - pad)));
                    Ok(NonNull::new_unchecked(p))
                }
            }
            None => self.grow(size, align),
        }
    }

    /// Serves `size` bytes from the current arena, or `None` when they do
    /// not fit there (or the size is 0 or overflows).
    #[inline(always)]
    pub fn try_alloc_ptr(&self, size: usize) -> Option<NonNull<u8>> {
        let next = self.next.get();
        let room = self.end.get().addr() - next.addr();
        let rounded = fit(size, room)?;
        // SAFETY: next + rounded <= end, inside the current arena.
        self.next
            .set(unsafe { next.add(track::pad(rounded, room)) });
        track::handed_out(next, size);
        // SAFETY: a nonzero room means `next` points into an arena.
        Some(unsafe { NonNull::new_unchecked(next) })
    }

    /// The slow path: a new arena, of its own for a large request.
    ///
    /// `align` is a power of two from 8 up to the maximum. A buffer starts
    /// 16-aligned, so an allocation needs at most `align - 16` bytes of
    /// padding in a new one.
    #[cold]
    #[inline(never)]
    fn grow(&self, size: usize, align: usize) -> Result<NonNull<u8>> {
        if let Some(e) = bad_size(size) {
            return Err(e);
        }
        let rounded = size.next_multiple_of(WORD);
        let need = rounded
            .checked_add(align.saturating_sub(BUF_ALIGN))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "size {size} overflows with the padding for alignment {align}"
                ))
            })?;
        let pad_in = |base: *mut u8| base.addr().wrapping_neg() & (align - 1);
        let mut arenas = self.arenas.borrow_mut();
        arenas.try_reserve(1).map_err(|_| Error::System {
            bytes: std::mem::size_of::<ZeroedBuf>() * (arenas.len() + 1),
        })?;
        if need > ARN_REGION_ARENA_SIZE {
            let buf = ZeroedBuf::new(need, "region arena")?;
            let pad = pad_in(buf.base());
            // SAFETY: pad + rounded <= need, the buffer's length.
            let p = unsafe { buf.base().add(pad) };
            track::handed_out(p, size);
            arenas.push(buf);
            self.done.set(self.done.get() + pad + rounded);
            // SAFETY: inside a buffer, whose base is never null.
            return Ok(unsafe { NonNull::new_unchecked(p) });
        }
        let buf = ZeroedBuf::new(ARN_REGION_ARENA_SIZE, "region arena")?;
        let base = buf.base();
        arenas.push(buf);
        self.done.set(self.done.get() + self.current_used());
        self.current.set(Some(arenas.len() - 1));
        // SAFETY: pad + rounded <= need <= ARN_REGION_ARENA_SIZE, the buffer's
        // length; a buffer's base is never null.
        unsafe {
            let p = base.add(pad_in(base));
            track::handed_out(p, size);
            let room = ARN_REGION_ARENA_SIZE - (p.addr() - base.addr());
            self.next.set(p.add(track::pad(rounded, room)));
            self.end.set(base.add(ARN_REGION_ARENA_SIZE));
            Ok(NonNull::new_unchecked(p))
        }
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
