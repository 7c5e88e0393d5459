//! The bump allocator (C: `bmpmk`, `bumpl`, `bmprs`, `bmpfr`, as in the
//! original arn API; `bmpst`).
//!
//! A [`Bump`] hands out memory from the top of one zero-filled buffer
//! downwards: the head only ever moves down by the rounded size, which
//! keeps the fast path to a subtraction and one compare. Allocations are
//! 8-byte aligned; the usable capacity is the size rounded down to 8.

pub(crate) mod ffi;

use std::cell::Cell;
use std::ptr::NonNull;

use crate::error::{Error, Result};
use crate::mem::{WORD, ZeroedBuf, align_up, bad_size, check_align, fit, fit_aligned_down};
use crate::track;

/// Counters of a bump allocator (C: `arn_bump_stats`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BumpStats {
    /// Capacity in bytes, as asked for at creation.
    pub size: usize,
    /// Bytes handed out since the last reset, rounding included.
    pub used: usize,
    /// Allocations since the last reset.
    pub allocations: usize,
}

/// A fixed-capacity, zero-filled, downward bump allocator.
///
/// ```
/// # fn main() -> arn::Result<()> {
/// let mut bump = arn::Bump::new(1024)?;
/// let a = bump.alloc(24)?; // zeroed, 8-aligned, taken from the top down
/// a.fill(1);
/// let wide = bump.alloc_aligned_ptr(100, 64)?;
/// assert_eq!(wide.as_ptr() as usize % 64, 0);
/// let xs = bump.alloc_slice_copy(&[1u16, 2, 3])?;
/// assert_eq!(xs, &[1, 2, 3]);
/// assert_eq!(bump.stats().allocations, 3);
/// bump.reset(); // zeroes what was handed out
/// assert_eq!(bump.used(), 0);
/// # Ok(()) }
/// ```
pub struct Bump {
    buf: ZeroedBuf,
    /// Offset of the lowest handed-out byte; starts at the usable top.
    head: Cell<usize>,
    allocations: Cell<usize>,
}

impl Bump {
    /// Creates a bump allocator of `size` bytes; sizes below 8 leave no
    /// room for an allocation and are an invalid argument.
    pub fn new(size: usize) -> Result<Bump> {
        if size < WORD {
            return Err(Error::invalid(format!(
                "bump allocator size {size} is below {WORD}"
            )));
        }
        let buf = ZeroedBuf::new(size, "bump allocator")?;
        let top = buf.len() & !(WORD - 1);
        Ok(Bump {
            buf,
            head: Cell::new(top),
            allocations: Cell::new(0),
        })
    }

    crate::mem::alloc_slice! {
        /// Hands out `bytes` zeroed bytes, 8-byte aligned.
    }

    /// Like [`Bump::alloc`], returning a raw pointer.
    #[inline]
    pub fn alloc_ptr(&self, size: usize) -> Result<NonNull<u8>> {
        self.try_alloc_ptr(size).ok_or_else(|| self.refuse(size))
    }

    /// Like [`Bump::alloc_ptr`], with `None` for every failure.
    #[inline(always)]
    pub fn try_alloc_ptr(&self, size: usize) -> Option<NonNull<u8>> {
        let head = self.head.get();
        let head = head - track::pad(fit(size, head)?, head);
        self.head.set(head);
        self.allocations.set(self.allocations.get() + 1);
        // SAFETY: head < top <= len.
        let p = unsafe { self.buf.base().add(head) };
        track::handed_out(p, size);
        // SAFETY: inside the buffer, whose base is not null.
        Some(unsafe { NonNull::new_unchecked(p) })
    }

    /// Hands out `size` zeroed bytes aligned to `align`, a power of two up
    /// to [`ARN_MAX_ALIGN`](crate::ARN_MAX_ALIGN); the padding below them
    /// counts as used. Fails as [`Bump::alloc`], and with
    /// [`Error::InvalidArgument`] for a bad alignment.
    #[inline]
    pub fn alloc_aligned_ptr(&self, size: usize, align: usize) -> Result<NonNull<u8>> {
        check_align(align)?;
        if align <= WORD {
            return self.alloc_ptr(size);
        }
        let head = self.head.get();
        let at = self.buf.base() as usize + head;
        // The tracking build keeps a red zone between the block and the
        // one above it.
        let want = if track::ON && size != 0 {
            size.saturating_add(track::RED)
        } else {
            size
        };
        let Some(taken) = fit_aligned_down(at, want, align, head) else {
            return Err(self.refuse_aligned(size, align));
        };
        self.head.set(head - taken);
        self.allocations.set(self.allocations.get() + 1);
        // SAFETY: taken <= head, so the start lies inside the buffer.
        let p = unsafe { self.buf.base().add(head - taken) };
        track::handed_out(p, size);
        // SAFETY: inside the buffer, whose base is not null.
        Ok(unsafe { NonNull::new_unchecked(p) })
    }

    /// Moves the head back to the top and zeroes what was handed out.
    pub fn reset(&mut self) {
        let (head, top) = (self.head.get(), self.top());
        self.buf.zero(head, top);
        track::taken_back(self.buf.base().wrapping_add(head), top - head);
        self.head.set(top);
        self.allocations.set(0);
    }

    /// Bytes handed out since the last reset.
    pub fn used(&self) -> usize {
        self.top() - self.head.get()
    }

    /// The counters.
    pub fn stats(&self) -> BumpStats {
        BumpStats {
            size: self.buf.len(),
            used: self.used(),
            allocations: self.allocations.get(),
        }
    }

    fn top(&self) -> usize {
        self.buf.len() & !(WORD - 1)
    }

    #[cold]
    #[inline(never)]
    fn refuse_aligned(&self, size: usize, align: usize) -> Error {
        match self.refuse(size) {
            Error::OutOfMemory { needed, .. } => Error::OutOfMemory {
                what: "bump allocator",
                asked: size,
                needed: needed.saturating_add(align - WORD),
                left: self.head.get(),
                capacity: self.buf.len(),
            },
            e => e,
        }
    }

    #[cold]
    #[inline(never)]
    fn refuse(&self, size: usize) -> Error {
        if let Some(e) = bad_size(size) {
            return e;
        }
        Error::OutOfMemory {
            what: "bump allocator",
            asked: size,
            needed: align_up(size, WORD).unwrap_or(size),
            left: self.head.get(),
            capacity: self.buf.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bumps_down_aligned_and_zeroed() {
        let b = Bump::new(64).unwrap();
        let first = b.alloc_ptr(3).unwrap().as_ptr() as usize;
        let second = b.alloc_ptr(8).unwrap().as_ptr() as usize;
        assert_eq!(first % 8, 0);
        assert_eq!(first - second, 8);
        assert_eq!(
            b.stats(),
            BumpStats {
                size: 64,
                used: 16,
                allocations: 2
            }
        );
        assert!(b.alloc(8).unwrap().iter().all(|&x| x == 0));
    }

    #[test]
    fn aligned_allocations_pad_downwards() {
        let b = Bump::new(4096 * 3).unwrap();
        for align in [16, 64, 256, 4096] {
            let p = b.alloc_aligned_ptr(24, align).unwrap().as_ptr() as usize;
            assert_eq!(p % align, 0);
            assert!(b.buf.contains(p as *const u8, 0, b.buf.len()));
        }
        let before = b.stats();
        assert!(matches!(
            b.alloc_aligned_ptr(8, 3),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            b.alloc_aligned_ptr(0, 64),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            b.alloc_aligned_ptr(8, 8192),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            b.alloc_aligned_ptr(4096 * 3, 4096),
            Err(Error::OutOfMemory { .. })
        ));
        assert_eq!(b.stats(), before);
        // Small alignments take the plain path.
        let p = b.alloc_aligned_ptr(3, 4).unwrap().as_ptr() as usize;
        assert_eq!(p % 8, 0);
    }

    #[test]
    fn full_and_bad_sizes_leave_it_unchanged() {
        let mut b = Bump::new(20).unwrap();
        assert_eq!(b.stats().size, 20);
        b.alloc(16).unwrap().fill(0xAB);
        let before = b.stats();
        assert!(matches!(
            b.alloc(1),
            Err(Error::OutOfMemory { left: 0, .. })
        ));
        assert!(matches!(b.alloc(0), Err(Error::InvalidArgument(_))));
        assert!(matches!(
            b.alloc(usize::MAX),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            b.alloc(usize::MAX - 6),
            Err(Error::InvalidArgument(_))
        ));
        assert_eq!(b.stats(), before);
        b.reset();
        assert_eq!(
            b.stats(),
            BumpStats {
                size: 20,
                used: 0,
                allocations: 0
            }
        );
        assert!(b.alloc(16).unwrap().iter().all(|&x| x == 0));
    }
}
