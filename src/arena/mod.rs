//! The arena and the typed arena (C: `arnmk`, `arnal`, `arnrs`, `arnfr`,
//! as in the original arn API).
//!
//! An [`Arena`] is one fixed, zero-filled buffer with an offset that moves
//! up. Every allocation is 8-byte aligned and its size is rounded up to 8, so
//! the offset stays 8-aligned. The bytes at and past the offset are always
//! zero; [`Arena::reset`] zeroes only `0..offset`.
//!
//! A [`TypedArena`] is an arena cut into `capacity` slots of one element
//! size, addressed by index.

pub(crate) mod ffi;

use std::cell::Cell;
use std::ffi::CStr;
use std::ptr::NonNull;

use crate::error::{Error, Result};
use crate::mem::{WORD, ZeroedBuf, align_up, bad_size, bump_up, check_align};
use crate::track;

/// Counters of an arena or typed arena (C: `arn_arena_stats`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArenaStats {
    /// Capacity in bytes.
    pub size: usize,
    /// Bytes handed out since the last reset, padding included.
    pub offset: usize,
    /// Allocations since the last reset.
    pub objects: usize,
    /// Element size of a typed arena as asked for; 0 for a plain arena.
    pub type_size: usize,
    /// Slots handed out by a typed arena (valid indexes are `0..count`); 0
    /// for a plain arena.
    pub count: usize,
}

/// A point in an arena's fill, from [`Arena::mark`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    offset: usize,
    objects: usize,
}

impl Mark {
    /// The offset the mark was taken at.
    pub fn offset(&self) -> usize {
        self.offset
    }
}

/// A fixed-capacity, zero-filled bump arena.
///
/// Allocation takes `&self` and hands out disjoint `&mut [u8]`; resetting
/// takes `&mut self`, so no allocation can outlive a reset.
///
/// ```
/// # fn main() -> arn::Result<()> {
/// let mut arena = arn::Arena::new(4096)?;
/// let bytes = arena.alloc(10)?; // zeroed, 8-aligned
/// bytes[0] = 1;
/// let page = arena.alloc_aligned(64, 4096)?; // any power of two up to 4096
/// assert_eq!(page.as_ptr() as usize % 4096, 0);
/// let n = arena.alloc_value(42u64)?; // typed values, slices and strings too
/// let s = arena.alloc_str("in the arena")?;
/// assert_eq!((*n, &*s), (42, "in the arena"));
/// let mark = arena.mark();
/// arena.copy(b"scratch")?;
/// arena.rewind(mark)?; // back to the mark, zeroing what came after
/// arena.reset(); // everything back; needs `&mut`, so no reference survives
/// assert_eq!(arena.stats().offset, 0);
/// # Ok(()) }
/// ```
pub struct Arena {
    buf: ZeroedBuf,
    offset: Cell<usize>,
    objects: Cell<usize>,
    /// Element size of a typed arena, 0 for a plain one.
    type_size: usize,
    /// Distance between the slots of a typed arena, 0 for a plain one.
    stride: usize,
}

impl Arena {
    /// Creates an arena of `size` bytes.
    ///
    /// Fails with [`Error::InvalidArgument`] for a size of 0 or one beyond
    /// the largest allocation, and [`Error::System`] when the heap refuses.
    pub fn new(size: usize) -> Result<Arena> {
        Ok(Arena::with_buf(ZeroedBuf::new(size, "arena")?))
    }

    fn with_buf(buf: ZeroedBuf) -> Arena {
        Arena {
            buf,
            offset: Cell::new(0),
            objects: Cell::new(0),
            type_size: 0,
            stride: 0,
        }
    }

    crate::mem::alloc_slice! {
        /// Hands out `bytes` zeroed bytes, 8-byte aligned.
    }

    /// Like [`Arena::alloc`], returning a raw pointer.
    #[inline]
    pub fn alloc_ptr(&self, bytes: usize) -> Result<NonNull<u8>> {
        self.try_alloc_ptr(bytes)
            .ok_or_else(|| self.refuse(bytes, align_up(bytes, WORD).unwrap_or(bytes)))
    }

    /// Like [`Arena::alloc_ptr`], with `None` for every failure.
    #[inline(always)]
    pub fn try_alloc_ptr(&self, bytes: usize) -> Option<NonNull<u8>> {
        let off = bump_up(&self.offset, &self.objects, self.buf.len(), bytes)?;
        // SAFETY: the allocation ends within the buffer, so its start lies
        // inside it.
        let p = unsafe { self.buf.base().add(off) };
        track::handed_out(p, bytes);
        // SAFETY: inside the buffer, whose base is not null.
        Some(unsafe { NonNull::new_unchecked(p) })
    }

    /// Hands out `bytes` zeroed bytes aligned to `align`, a power of two up
    /// to [`ARN_MAX_ALIGN`](crate::ARN_MAX_ALIGN).
    // Each call hands out bytes no other call hands out; a reset needs
    // `&mut self`, so none outlives one.
    #[allow(clippy::mut_from_ref)]
    pub fn alloc_aligned(&self, bytes: usize, align: usize) -> Result<&mut [u8]> {
        let p = self.alloc_aligned_ptr(bytes, align)?;
        // SAFETY: as in `alloc` (`mem::alloc_slice`).
        Ok(unsafe { std::slice::from_raw_parts_mut(p.as_ptr(), bytes) })
    }

    /// Like [`Arena::alloc_aligned`], returning a raw pointer.
    pub fn alloc_aligned_ptr(&self, bytes: usize, align: usize) -> Result<NonNull<u8>> {
        check_align(align)?;
        if align <= WORD {
            return self.alloc_ptr(bytes);
        }
        if bytes == 0 {
            return Err(self.refuse(0, 0));
        }
        let off = self.offset.get();
        let base = self.buf.base() as usize;
        // Addresses fit in usize, so base + off + align cannot overflow.
        let start = ((base + off + align - 1) & !(align - 1)) - base;
        let end = start.checked_add(bytes).filter(|&e| e <= self.buf.len());
        let Some(end) = end else {
            return Err(self.refuse(bytes, (start - off).saturating_add(bytes)));
        };
        // Rounding up keeps the offset 8-aligned, except when the allocation
        // ends within the last 7 bytes: then the offset is the length, and
        // nothing fits after it anyway.
        let end = track::pad(end, self.buf.len());
        self.offset
            .set(align_up(end, WORD).map_or(end, |e| e.min(self.buf.len())));
        self.objects.set(self.objects.get() + 1);
        // SAFETY: start + bytes <= len.
        let p = unsafe { self.buf.base().add(start) };
        track::handed_out(p, bytes);
        // SAFETY: inside the buffer, whose base is not null.
        Ok(unsafe { NonNull::new_unchecked(p) })
    }

    /// Copies `src` into the arena and returns the copy.
    // Each call hands out bytes no other call hands out; a reset needs
    // `&mut self`, so none outlives one.
    #[allow(clippy::mut_from_ref)]
    pub fn copy(&self, src: &[u8]) -> Result<&mut [u8]> {
        let dst = self.alloc(src.len())?;
        dst.copy_from_slice(src);
        Ok(dst)
    }

    /// Copies `len` bytes from `src` into the arena, like [`Arena::copy`];
    /// `src` may lie anywhere, inside this arena included.
    ///
    /// # Safety
    ///
    /// `src` is valid for reading `len` bytes.
    pub unsafe fn copy_from_ptr(&self, src: *const u8, len: usize) -> Result<NonNull<u8>> {
        let dst = self.alloc_ptr(len)?;
        // SAFETY: `dst` has room for `len` bytes, the caller promises `src`
        // is readable, and `copy` allows the two to overlap.
        unsafe { std::ptr::copy(src, dst.as_ptr(), len) };
        Ok(dst)
    }

    /// Copies a C string, terminator included, into the arena.
    pub fn copy_cstr(&self, s: &CStr) -> Result<&CStr> {
        let dst = self.copy(s.to_bytes_with_nul())?;
        // SAFETY: a copy of a C string with its one terminating NUL.
        Ok(unsafe { CStr::from_bytes_with_nul_unchecked(dst) })
    }

    /// Resizes the allocation of `old` bytes at `p` to `new` bytes (both
    /// nonzero) in place when it is the arena's last: the offset moves,
    /// and bytes given back are zeroed. False, changing nothing, when it is
    /// not the last allocation or `new` bytes do not fit.
    ///
    /// The caller owns the allocation (`p` and `old` as handed out), so
    /// nothing else refers to the bytes given back.
    pub(crate) fn resize_last(&self, p: *const u8, old: usize, new: usize) -> bool {
        let len = self.buf.len();
        let start = (p as usize).wrapping_sub(self.buf.base() as usize);
        // Where an allocation of `n` bytes at `start` leaves the offset:
        // rounded up to 8, or the end of the buffer (as both paths do).
        let end = |n: usize| {
            let e = start.checked_add(n).filter(|&e| e <= len)?;
            let e = track::pad(e, len);
            Some(align_up(e, WORD).map_or(len, |r| r.min(len)))
        };
        let off = self.offset.get();
        let (Some(now), Some(then)) = (end(old), end(new)) else {
            return false;
        };
        if start >= len || now != off {
            return false;
        }
        if then < off {
            // SAFETY: then..off lies in the buffer and belonged to the
            // caller's allocation, which gives it back.
            let gone = unsafe { self.buf.base().add(then) };
            track::open(gone, off - then);
            // SAFETY: as above.
            unsafe { gone.write_bytes(0, off - then) };
        }
        self.offset.set(then);
        // The bytes past the new size, up to the farther of the two ends,
        // are the caller's no more (or a red zone).
        track::taken_back(p.wrapping_add(new), then.max(now) - (start + new));
        track::handed_out(p, new);
        true
    }

    /// True when `p` points into the bytes handed out since the last reset.
    pub fn owns(&self, p: *const u8) -> bool {
        self.buf.contains(p, 0, self.offset.get())
    }

    /// Sets the offset back to 0 and zeroes the bytes that were in use.
    pub fn reset(&mut self) {
        self.buf.zero(0, self.offset.get());
        track::taken_back(self.buf.base(), self.offset.get());
        self.offset.set(0);
        self.objects.set(0);
    }

    /// The arena's current fill, to come back to with [`Arena::rewind`].
    pub fn mark(&self) -> Mark {
        Mark {
            offset: self.offset.get(),
            objects: self.objects.get(),
        }
    }

    /// Goes back to `mark`, zeroing what was handed out since it was taken.
    ///
    /// Fails with [`Error::InvalidArgument`], changing nothing, when the
    /// arena is already below the mark (it was reset or rewound past it
    /// since, or the mark is from another arena).
    pub fn rewind(&mut self, mark: Mark) -> Result<()> {
        let off = self.offset.get();
        if mark.offset > off || mark.objects > self.objects.get() {
            return Err(Error::invalid(format!(
                "mark at offset {} is past the arena's offset {off}",
                mark.offset
            )));
        }
        self.buf.zero(mark.offset, off);
        track::taken_back(self.buf.base().wrapping_add(mark.offset), off - mark.offset);
        self.offset.set(mark.offset);
        self.objects.set(mark.objects);
        Ok(())
    }

    /// Capacity in bytes.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// The whole buffer, for tests that check what is zero.
    ///
    /// # Safety
    ///
    /// No slice handed out by the arena is alive.
    #[cfg(test)]
    pub(crate) unsafe fn all_bytes(&self) -> &[u8] {
        // SAFETY: the buffer is initialised (zeroed at creation) and the
        // caller promises no `&mut` into it is alive.
        unsafe { std::slice::from_raw_parts(self.buf.base(), self.buf.len()) }
    }

    /// Bytes handed out since the last reset, padding included.
    pub fn offset(&self) -> usize {
        self.offset.get()
    }

    /// The arena's counters.
    pub fn stats(&self) -> ArenaStats {
        ArenaStats {
            size: self.buf.len(),
            offset: self.offset.get(),
            objects: self.objects.get(),
            type_size: self.type_size,
            // A typed arena only hands out slots, one object each.
            count: if self.stride == 0 {
                0
            } else {
                self.objects.get()
            },
        }
    }

    #[cold]
    #[inline(never)]
    fn refuse(&self, bytes: usize, needed: usize) -> Error {
        if let Some(e) = bad_size(bytes) {
            return e;
        }
        let off = self.offset.get();
        Error::OutOfMemory {
            what: "arena",
            asked: bytes,
            needed,
            left: self.buf.len() - off,
            capacity: self.buf.len(),
        }
    }
}

/// An arena of `capacity` slots of one element size, addressed by index.
///
/// Slots are 8-byte aligned and zero-filled; they are `stride` bytes apart,
/// the element size rounded up to 8.
///
/// The C typed arena's Rust face; for values of a Rust type use
/// [`SlotArena`], which is typed, aligned and drops what it holds.
///
/// ```
/// # fn main() -> arn::Result<()> {
/// let mut t = arn::TypedArena::new(12, 100)?; // 100 slots of 12 bytes
/// let (index, slot) = t.alloc()?;
/// slot[..4].copy_from_slice(&7u32.to_ne_bytes());
/// assert_eq!(index, 0);
/// assert_eq!(t.get_mut(0)?[..4], 7u32.to_ne_bytes());
/// assert_eq!((t.len(), t.capacity()), (1, 100));
/// t.reset();
/// assert!(t.is_empty());
/// # Ok(()) }
/// ```
// `repr(transparent)` lets the C layer treat a typed arena as an arena for
// `arnrs`, `arnfr` and `arnst`.
// Keep it a bare wrapper: no other field and no `Drop` (checked at compile
// time in ffi.rs).
#[repr(transparent)]
pub struct TypedArena {
    arena: Arena,
}

impl TypedArena {
    /// Creates room for `capacity` elements of `type_size` bytes.
    pub fn new(type_size: usize, capacity: usize) -> Result<TypedArena> {
        TypedArena::new_aligned(type_size, WORD, capacity)
    }

    /// Creates room for `capacity` elements of `type_size` bytes whose
    /// slots are aligned to `align` (a power of two up to the maximum; 8
    /// at least): the stride is `type_size` rounded up to it.
    pub(crate) fn new_aligned(
        type_size: usize,
        align: usize,
        capacity: usize,
    ) -> Result<TypedArena> {
        check_align(align)?;
        let align = align.max(WORD);
        if type_size == 0 || capacity == 0 {
            return Err(Error::invalid(format!(
                "typed arena of {capacity} elements of {type_size} bytes"
            )));
        }
        let too_big = || {
            Error::invalid(format!(
                "typed arena of {capacity} elements of {type_size} bytes overflows"
            ))
        };
        let stride = align_up(type_size, align).ok_or_else(too_big)?;
        let size = stride.checked_mul(capacity).ok_or_else(too_big)?;
        let mut arena = Arena::with_buf(ZeroedBuf::new_aligned(size, align, "arena")?);
        arena.type_size = type_size;
        arena.stride = stride;
        Ok(TypedArena { arena })
    }

    /// Hands out the next slot and its index.
    // Each call hands out bytes no other call hands out; a reset needs
    // `&mut self`, so none outlives one.
    #[allow(clippy::mut_from_ref)]
    pub fn alloc(&self) -> Result<(usize, &mut [u8])> {
        let (index, p) = self.alloc_ptr()?;
        // SAFETY: a fresh slot of `type_size` bytes no one refers to yet.
        let slot = unsafe { std::slice::from_raw_parts_mut(p.as_ptr(), self.arena.type_size) };
        Ok((index, slot))
    }

    /// Like [`TypedArena::alloc`], returning a raw pointer.
    #[inline]
    pub fn alloc_ptr(&self) -> Result<(usize, NonNull<u8>)> {
        let a = &self.arena;
        let off = a.offset.get();
        if a.buf.len() - off < a.stride {
            return Err(Error::Full {
                what: "typed arena",
                capacity: self.capacity(),
            });
        }
        let index = a.objects.get();
        a.offset.set(off + a.stride);
        a.objects.set(index + 1);
        // SAFETY: off + stride <= len.
        let p = unsafe { a.buf.base().add(off) };
        track::handed_out(p, a.type_size);
        // SAFETY: inside the buffer, whose base is not null.
        Ok((index, unsafe { NonNull::new_unchecked(p) }))
    }

    /// The slot at `index`; an index at or past [`TypedArena::len`] fails.
    pub fn get_mut(&mut self, index: usize) -> Result<&mut [u8]> {
        let p = self.slot_ptr(index)?;
        // SAFETY: `&mut self` proves no other reference to the slot is alive.
        Ok(unsafe { std::slice::from_raw_parts_mut(p.as_ptr(), self.arena.type_size) })
    }

    /// A raw pointer to the slot at `index`.
    pub fn slot_ptr(&self, index: usize) -> Result<NonNull<u8>> {
        let len = self.len();
        if index >= len {
            return Err(Error::OutOfBounds { index, len });
        }
        // SAFETY: index < len, so the slot lies inside the used part.
        Ok(unsafe { NonNull::new_unchecked(self.arena.buf.base().add(index * self.arena.stride)) })
    }

    /// Slots handed out since the last reset.
    pub fn len(&self) -> usize {
        self.arena.objects.get()
    }

    /// True when no slot is handed out.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many slots the arena holds.
    pub fn capacity(&self) -> usize {
        self.arena.buf.len() / self.arena.stride
    }

    /// The element size asked for at creation.
    pub fn type_size(&self) -> usize {
        self.arena.type_size
    }

    /// Drops every slot and zeroes the slots that were in use.
    pub fn reset(&mut self) {
        self.arena.reset();
    }

    /// The arena's counters; `count` is [`TypedArena::len`].
    pub fn stats(&self) -> ArenaStats {
        self.arena.stats()
    }

    /// True when `p` points into a slot handed out since the last reset.
    pub fn owns(&self, p: *const u8) -> bool {
        self.arena.owns(p)
    }
}

mod slots;
pub use slots::SlotArena;

#[cfg(test)]
mod tests;
