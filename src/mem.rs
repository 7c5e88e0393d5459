//! Zero-filled backing buffers shared by the arn family.
//!
//! A [`ZeroedBuf`] starts zeroed (from `calloc`, which gets fresh pages from
//! the kernel for large sizes without touching them) and is handed back to
//! zero by the allocator that owns it, one used range at a time, so that the
//! cost of zeroing follows the bytes used, never the capacity.

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::cell::Cell;
use std::ptr::NonNull;

use crate::error::{Error, Result};
use crate::track;

/// Alignment of every backing buffer: what `calloc` guarantees on 64-bit
/// targets, and so the cheapest alignment to ask of it.
pub(crate) const BUF_ALIGN: usize = 16;

/// The default alignment of the arn family.
pub(crate) const WORD: usize = 8;

/// The largest alignment an explicit-alignment call accepts.
pub const ARN_MAX_ALIGN: usize = 4096;

/// Rounds `n` up to a multiple of `align` (a power of two), or `None` on
/// overflow.
#[inline(always)]
pub(crate) const fn align_up(n: usize, align: usize) -> Option<usize> {
    match n.checked_add(align - 1) {
        Some(m) => Some(m & !(align - 1)),
        None => None,
    }
}

/// Whether `align` is an alignment an explicit-alignment call accepts: a
/// power of two no larger than [`ARN_MAX_ALIGN`].
#[inline(always)]
pub(crate) const fn is_align(align: usize) -> bool {
    align.is_power_of_two() && align <= ARN_MAX_ALIGN
}

/// Checks an explicit alignment (see [`is_align`]).
pub(crate) fn check_align(align: usize) -> Result<()> {
    if is_align(align) {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "alignment {align} is not a power of two up to {ARN_MAX_ALIGN}"
        )))
    }
}

/// `size` rounded up to `align`, which must be a power of two up to
/// [`ARN_MAX_ALIGN`] (C: `arnln`).
pub fn align_size(size: usize, align: usize) -> Result<usize> {
    check_align(align)?;
    align_up(size, align)
        .ok_or_else(|| Error::invalid(format!("size {size} aligned to {align} overflows")))
}

/// The test of every bump fast path (arena, scratch, mmap arena, bump,
/// stack, region): `bytes` rounded up to 8, when that is nonzero and at
/// most `room`. A size of 0, a size that overflows and one that does not
/// fit are all told apart by one compare: rounding wraps an overflowing
/// size to 0, and `size - 1` wraps 0 to the largest value.
#[inline(always)]
pub(crate) fn fit(bytes: usize, room: usize) -> Option<usize> {
    let size = bytes.wrapping_add(WORD - 1) & !(WORD - 1);
    if size.wrapping_sub(1) >= room {
        None
    } else {
        Some(size)
    }
}

/// The test of the upward bump fast paths for an alignment above 8 (stack,
/// mmap arena, region): the padding from address `at` up to the next
/// multiple of `align`, and `bytes` rounded up to 8, when both together
/// fit in `room`. Still one compare for the size: a padding larger than
/// the room leaves no room at all.
///
/// `align` is a power of two (checked by the caller).
#[inline(always)]
pub(crate) fn fit_aligned(
    at: usize,
    bytes: usize,
    align: usize,
    room: usize,
) -> Option<(usize, usize)> {
    let pad = at.wrapping_neg() & (align - 1);
    let size = fit(bytes, room.saturating_sub(pad))?;
    Some((pad, size))
}

/// The same for the downward bump (bump allocator): `bytes` rounded up to
/// 8 end at address `at` and start at a multiple of `align` below it;
/// returns how many bytes that takes (size plus padding) when they fit in
/// the `room` below `at`.
#[inline(always)]
pub(crate) fn fit_aligned_down(
    at: usize,
    bytes: usize,
    align: usize,
    room: usize,
) -> Option<usize> {
    let size = fit(bytes, room)?;
    // `size <= room <= at`: no wrap.
    let taken = at - ((at - size) & !(align - 1));
    (taken <= room).then_some(taken)
}

/// The fast path of the upward bump allocators (arena, scratch, mmap
/// arena): takes `bytes` rounded up to 8 from `offset` when they [`fit`]
/// below `limit`, counting the allocation in `count`. Returns the offset
/// of the allocation. The tracking build leaves a red zone after it
/// ([`track::pad`]).
///
/// `offset` stays a multiple of 8 as long as it starts as one.
#[inline(always)]
pub(crate) fn bump_up(
    offset: &Cell<usize>,
    count: &Cell<usize>,
    limit: usize,
    bytes: usize,
) -> Option<usize> {
    let off = offset.get();
    let size = fit(bytes, limit - off)?;
    offset.set(off + track::pad(size, limit - off));
    count.set(count.get() + 1);
    Some(off)
}

/// Defines `alloc(&self, bytes) -> Result<&mut [u8]>` over the type's
/// `alloc_ptr(&self, bytes) -> Result<NonNull<u8>>`, for the allocators
/// that hand out disjoint bytes from `&self` and take them back only
/// through `&mut self` (reset, restore, free) or when dropped. The doc
/// comment is the caller's.
macro_rules! alloc_slice {
    ($(#[$doc:meta])*) => {
        $(#[$doc])*
        #[inline]
        // Each call hands out bytes no other call hands out, and taking
        // them back needs `&mut self` or ownership, so none outlives that.
        #[allow(clippy::mut_from_ref)]
        pub fn alloc(&self, bytes: usize) -> $crate::error::Result<&mut [u8]> {
            let p = self.alloc_ptr(bytes)?;
            // SAFETY: `alloc_ptr` returned `bytes` bytes that no one else
            // refers to, valid for as long as `&self` lasts (see above).
            Ok(unsafe { std::slice::from_raw_parts_mut(p.as_ptr(), bytes) })
        }
    };
}
pub(crate) use alloc_slice;

/// Why a default-aligned request of `size` bytes is an invalid argument,
/// if it is: 0, or too large to round up to 8.
#[cold]
pub(crate) fn bad_size(size: usize) -> Option<Error> {
    if size == 0 {
        Some(Error::invalid("size 0"))
    } else if align_up(size, WORD).is_none() {
        Some(Error::invalid(format!(
            "size {size} overflows when rounded up to {WORD}"
        )))
    } else {
        None
    }
}

/// Zeroes the `n` bytes at `p` without a call for small `n`: up to 64
/// bytes with two to four 16-byte stores (overlapping when `n` is not a
/// multiple of 16) or two 8-byte ones, larger or tiny sizes with `memset`.
/// An allocator's block size is fixed, so the branches are always
/// predicted.
///
/// # Safety
///
/// `p` is valid for writing `n` bytes.
#[inline(always)]
pub(crate) unsafe fn zero_small(p: *mut u8, n: usize) {
    type Chunk = [u8; 16];
    track::open(p, n);
    // SAFETY (each store): it lies within `p..p + n`.
    unsafe {
        if !(8..=64).contains(&n) {
            p.write_bytes(0, n);
        } else if n >= 16 {
            p.cast::<Chunk>().write_unaligned([0; 16]);
            p.add(n - 16).cast::<Chunk>().write_unaligned([0; 16]);
            if n > 32 {
                p.add(16).cast::<Chunk>().write_unaligned([0; 16]);
                p.add(n - 32).cast::<Chunk>().write_unaligned([0; 16]);
            }
        } else {
            p.cast::<u64>().write_unaligned(0);
            p.add(n - 8).cast::<u64>().write_unaligned(0);
        }
    }
}

/// An owned, zero-initialised heap buffer.
pub(crate) struct ZeroedBuf {
    ptr: NonNull<u8>,
    len: usize,
    /// The alignment of `ptr`: [`BUF_ALIGN`] unless asked for more.
    align: usize,
}

// SAFETY: the buffer is plain owned memory with no thread affinity.
unsafe impl Send for ZeroedBuf {}

impl ZeroedBuf {
    /// Allocates `len` zeroed bytes. `what` names the allocator in errors.
    pub(crate) fn new(len: usize, what: &str) -> Result<ZeroedBuf> {
        ZeroedBuf::new_aligned(len, BUF_ALIGN, what)
    }

    /// Allocates `len` zeroed bytes aligned to `align` (a power of two up
    /// to [`ARN_MAX_ALIGN`]; below [`BUF_ALIGN`] means `BUF_ALIGN`).
    pub(crate) fn new_aligned(len: usize, align: usize, what: &str) -> Result<ZeroedBuf> {
        if len == 0 {
            return Err(Error::invalid(format!("{what} size 0")));
        }
        let align = align.max(BUF_ALIGN);
        let layout = Layout::from_size_align(len, align).map_err(|_| {
            Error::invalid(format!("{what} size {len} exceeds the largest allocation"))
        })?;
        // SAFETY: the layout has a nonzero size.
        let raw = unsafe { alloc_zeroed(layout) };
        let ptr = NonNull::new(raw).ok_or(Error::System { bytes: len })?;
        track::fresh(raw, len);
        Ok(ZeroedBuf { ptr, len, align })
    }

    #[inline(always)]
    pub(crate) fn base(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Zeroes `start..end` (clamped to the buffer).
    pub(crate) fn zero(&mut self, start: usize, end: usize) {
        let end = end.min(self.len);
        if start < end {
            // SAFETY: start..end lies inside the allocation, and `&mut self`
            // proves no reference into the buffer is alive.
            let p = unsafe { self.ptr.as_ptr().add(start) };
            track::open(p, end - start);
            // SAFETY: as above.
            unsafe { p.write_bytes(0, end - start) };
        }
    }

    /// True when `p` points into the first `used` bytes of the buffer.
    #[inline]
    pub(crate) fn contains(&self, p: *const u8, start: usize, end: usize) -> bool {
        let base = self.ptr.as_ptr() as usize;
        let a = p as usize;
        a >= base + start && a < base + end.min(self.len)
    }
}

impl Drop for ZeroedBuf {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this very layout.
        unsafe {
            dealloc(
                self.ptr.as_ptr(),
                Layout::from_size_align_unchecked(self.len, self.align),
            )
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn align_up_rounds_and_detects_overflow() {
        assert_eq!(align_up(0, 8), Some(0));
        assert_eq!(align_up(1, 8), Some(8));
        assert_eq!(align_up(8, 8), Some(8));
        assert_eq!(align_up(9, 4096), Some(4096));
        assert_eq!(align_up(usize::MAX, 8), None);
        assert_eq!(align_up(usize::MAX - 7, 8), Some(usize::MAX - 7));
    }

    #[test]
    fn check_align_accepts_powers_of_two_up_to_the_page() {
        for a in [1, 2, 4, 8, 16, 4096] {
            assert!(check_align(a).is_ok());
        }
        for a in [0, 3, 12, 8192, usize::MAX] {
            assert!(check_align(a).is_err());
        }
    }

    #[test]
    fn aligned_fits_pad_to_the_alignment_and_refuse_what_does_not_fit() {
        // Up: from address 0x1008, 64-aligned: 56 bytes of padding.
        assert_eq!(fit_aligned(0x1008, 1, 64, 64), Some((56, 8)));
        assert_eq!(fit_aligned(0x1008, 9, 64, 64), None);
        assert_eq!(fit_aligned(0x1000, 64, 64, 64), Some((0, 64)));
        assert_eq!(
            fit_aligned(0x1008, 8, 4096, 100),
            None,
            "padding past the room"
        );
        assert_eq!(fit_aligned(0x1000, 0, 64, 64), None);
        assert_eq!(fit_aligned(0x1000, usize::MAX, 64, 64), None);
        // Down: ending at 0x1030, 32-aligned start.
        assert_eq!(fit_aligned_down(0x1030, 8, 32, 0x30), Some(0x10));
        assert_eq!(fit_aligned_down(0x1030, 17, 32, 0x30), Some(0x30));
        assert_eq!(fit_aligned_down(0x1030, 17, 32, 0x2f), None);
        assert_eq!(fit_aligned_down(0x1030, 0x31, 16, 0x30), None);
        assert_eq!(fit_aligned_down(0x1030, 0, 16, 0x30), None);
    }

    #[test]
    fn zero_small_clears_exactly_its_bytes() {
        for n in 1..=80 {
            let mut b = [0xAAu8; 96];
            // SAFETY: 8 + n <= 96 bytes of `b`.
            unsafe { zero_small(b.as_mut_ptr().add(8), n) };
            assert!(b[..8].iter().all(|&x| x == 0xAA), "{n}");
            assert!(b[8..8 + n].iter().all(|&x| x == 0), "{n}");
            assert!(b[8 + n..].iter().all(|&x| x == 0xAA), "{n}");
        }
    }

    #[test]
    fn buffers_start_zeroed_and_refuse_nonsense() {
        let mut b = ZeroedBuf::new(100, "arena").unwrap();
        assert_eq!(b.base() as usize % BUF_ALIGN, 0);
        // SAFETY: 100 bytes were allocated.
        let s = unsafe { std::slice::from_raw_parts_mut(b.base(), 100) };
        assert!(s.iter().all(|&x| x == 0));
        s[10] = 7;
        b.zero(0, 1000);
        // SAFETY: as above.
        assert_eq!(unsafe { *b.base().add(10) }, 0);
        assert!(ZeroedBuf::new(0, "arena").is_err());
        assert!(matches!(
            ZeroedBuf::new(usize::MAX, "arena"),
            Err(Error::InvalidArgument(_))
        ));
    }
}
