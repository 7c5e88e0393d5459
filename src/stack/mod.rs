//! The stack allocator (C: `stckm`, `stckl`, `stckp`, `stckr`, as in the
//! original arn API, whose `stckm(stack)` for a marker C calls `stckt`).
//!
//! A [`Stack`] is one zero-filled buffer with a top that moves up on a push
//! and down on a pop. Each push occupies its size rounded up to 8, so the
//! top, and every pushed block, stays 8-byte aligned; a pop of `n` bytes
//! removes `n` rounded up to 8. The bytes at and above the top are always
//! zero: a pop or a restore zeroes what it removes (cost proportional to the
//! bytes removed), so pushing zeroes costs nothing but moving the top.
//!
//! A marker is the top at the time it was taken (an offset in bytes). The
//! stack keeps the set of live markers: taking one at the top makes it live
//! (taking it twice at the same top keeps one), and a marker dies when the
//! top goes below it, by a pop or a restore. Restoring to a live marker sets
//! the top back to it; the marker stays live, so a frame can be restored to
//! the same marker again and again. Restoring to a marker that is not live
//! is an error that says whether it was never taken or was discarded.
//!
//! Markers live in two bitmaps of one bit per 8-byte offset (live, and ever
//! taken), allocated zeroed with the stack: taking or checking a marker is
//! O(1), and discarding the markers above a new top costs one bit per 8
//! bytes removed.

pub(crate) mod ffi;

use std::cell::Cell;
use std::ptr::{self, NonNull};

use crate::bitmap::{bit, clear_bits, set_bit, zeroed_words};
use crate::error::{Error, Result};
use crate::mem::{WORD, ZeroedBuf, align_up, bad_size, check_align, fit, fit_aligned};
use crate::track;

/// Counters of a [`Stack`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StackStats {
    /// Capacity in bytes, as asked for at creation.
    pub size: usize,
    /// Bytes on the stack, padding included (the top).
    pub used: usize,
    /// Live markers: taken and not yet discarded.
    pub markers: usize,
}

/// A fixed-capacity, zero-filled stack of bytes with markers.
///
/// Pushing and taking markers take `&self` and hand out disjoint
/// `&mut [u8]`; popping and restoring take `&mut self`, so nothing pushed
/// outlives its pop.
///
/// ```
/// # fn main() -> arn::Result<()> {
/// let mut stack = arn::Stack::new(4096)?;
/// let frame = stack.mark();
/// let header = stack.push(b"head")?; // a copy, 8-aligned
/// assert_eq!(header, b"head");
/// let body = stack.push_zeroed(100)?;
/// body[0] = 9;
/// let x = stack.alloc_value(1.5f64)?; // typed values are pushes too
/// assert_eq!(*x, 1.5);
/// stack.pop(8)?; // the f64, zeroed again
/// stack.restore(frame)?; // back to the marker; it stays live
/// assert_eq!(stack.top(), 0);
/// # Ok(()) }
/// ```
pub struct Stack {
    buf: ZeroedBuf,
    /// Bytes on the stack, padding included; a multiple of 8.
    top: Cell<usize>,
    /// Bit `i`: a live marker at offset `8 * i`. No bit above `top / 8`.
    live: Box<[Cell<u64>]>,
    /// Bit `i`: a marker was taken at offset `8 * i` at some time.
    taken: Box<[Cell<u64>]>,
}

impl Stack {
    /// Creates a stack of `size` bytes. Pushes fit while the top, rounded
    /// up to 8 per push, stays within `size`, so sizes below 8 hold nothing
    /// and are an invalid argument.
    ///
    /// Fails with [`Error::InvalidArgument`] for such a size or one beyond
    /// the largest allocation, and [`Error::System`] when the heap refuses.
    pub fn new(size: usize) -> Result<Stack> {
        if size < WORD {
            return Err(Error::invalid(format!(
                "stack allocator size {size} is below {WORD}"
            )));
        }
        let buf = ZeroedBuf::new(size, "stack allocator")?;
        // Offsets 0, 8, ..., size rounded down to 8.
        let words = (size / WORD + 1).div_ceil(64);
        Ok(Stack {
            buf,
            top: Cell::new(0),
            live: zeroed_words(words)?,
            taken: zeroed_words(words)?,
        })
    }

    /// Pushes a copy of `data` and returns it. Fails as
    /// [`Stack::push_zeroed`].
    // Each push hands out bytes no other push hands out; a pop or restore
    // needs `&mut self`, so none outlives one.
    #[allow(clippy::mut_from_ref)]
    pub fn push(&self, data: &[u8]) -> Result<&mut [u8]> {
        // SAFETY: `data` is readable for its length.
        let p = unsafe { self.push_ptr(data.as_ptr(), data.len()) }?;
        // SAFETY: `data.len()` fresh bytes that no one else refers to, alive
        // as long as `&self` (pop and restore need `&mut self`).
        Ok(unsafe { std::slice::from_raw_parts_mut(p.as_ptr(), data.len()) })
    }

    /// Pushes `n` zeroed bytes and returns them.
    ///
    /// Fails with [`Error::InvalidArgument`] for 0 or an `n` that overflows
    /// when rounded up to 8, and [`Error::OutOfMemory`] when it does not
    /// fit; the stack is unchanged then.
    // As in `push`.
    #[allow(clippy::mut_from_ref)]
    pub fn push_zeroed(&self, n: usize) -> Result<&mut [u8]> {
        // SAFETY: a NULL source reads nothing.
        let p = unsafe { self.push_ptr(ptr::null(), n) }?;
        // SAFETY: as in `push`.
        Ok(unsafe { std::slice::from_raw_parts_mut(p.as_ptr(), n) })
    }

    /// Pushes `n` bytes copied from `src`, or zeroes when `src` is NULL,
    /// and returns a pointer to them, valid until they are popped. `src`
    /// may lie anywhere, inside this stack included. Fails as
    /// [`Stack::push_zeroed`], before reading `src`.
    ///
    /// # Safety
    ///
    /// `src` is NULL or valid for reading `n` bytes.
    #[inline]
    pub unsafe fn push_ptr(&self, src: *const u8, n: usize) -> Result<NonNull<u8>> {
        // SAFETY: the caller's promise.
        unsafe { self.try_push_ptr(src, n) }.ok_or_else(|| self.refuse(n))
    }

    /// Like [`Stack::push_ptr`], with `None` for every failure.
    ///
    /// # Safety
    ///
    /// As [`Stack::push_ptr`].
    #[inline(always)]
    pub unsafe fn try_push_ptr(&self, src: *const u8, n: usize) -> Option<NonNull<u8>> {
        let top = self.top.get();
        let rounded = fit(n, self.buf.len() - top)?;
        // SAFETY: top + rounded <= len, so the pointer is inside the buffer.
        let dst = unsafe { self.buf.base().add(top) };
        track::handed_out(dst, n);
        if !src.is_null() {
            // SAFETY: `dst` has room for `n` bytes that no one refers to,
            // the caller promises `src` is readable, and `copy` allows the
            // two to overlap.
            unsafe { ptr::copy(src, dst, n) };
        }
        self.top.set(top + rounded);
        // SAFETY: inside the buffer, whose base is not null.
        Some(unsafe { NonNull::new_unchecked(dst) })
    }

    /// Pushes `n` zeroed bytes aligned to `align`, a power of two up to
    /// [`ARN_MAX_ALIGN`](crate::ARN_MAX_ALIGN), and returns a pointer to
    /// them, valid until they are popped. For an alignment above 8 the
    /// zero padding below them is pushed too: it stays on the stack until
    /// a pop or restore goes below it. Fails as [`Stack::push_zeroed`],
    /// and with [`Error::InvalidArgument`] for a bad alignment.
    #[inline]
    pub fn push_aligned_ptr(&self, n: usize, align: usize) -> Result<NonNull<u8>> {
        check_align(align)?;
        if align <= WORD {
            // SAFETY: a NULL source reads nothing.
            return unsafe { self.push_ptr(ptr::null(), n) };
        }
        let top = self.top.get();
        let at = self.buf.base() as usize + top;
        let Some((pad, size)) = fit_aligned(at, n, align, self.buf.len() - top) else {
            return Err(self.refuse_aligned(n, align));
        };
        self.top.set(top + pad + size);
        // SAFETY: top + pad + size <= len, inside the buffer; the bytes
        // above the old top are zero.
        let p = unsafe { self.buf.base().add(top + pad) };
        track::handed_out(p, n);
        // SAFETY: inside the buffer, whose base is not null.
        Ok(unsafe { NonNull::new_unchecked(p) })
    }

    /// Pops `n` bytes, rounded up to 8, and zeroes them; markers above the
    /// new top are discarded.
    ///
    /// Fails, leaving the stack unchanged, with [`Error::InvalidArgument`]
    /// for 0 or an `n` that overflows when rounded up to 8, and
    /// [`Error::Stack`] (underflow) when fewer bytes are on the stack.
    pub fn pop(&mut self, n: usize) -> Result<()> {
        if let Some(e) = bad_size(n) {
            return Err(e);
        }
        let top = self.top.get();
        let rounded = align_up(n, WORD).unwrap_or(usize::MAX);
        if rounded > top {
            let note = if rounded > n {
                format!(" ({rounded} with rounding)")
            } else {
                String::new()
            };
            return Err(Error::Stack(format!(
                "underflow: popping {n} bytes{note} from a stack holding {top}"
            )));
        }
        self.cut(top - rounded);
        Ok(())
    }

    /// Takes a marker at the current top and returns it (the top, in
    /// bytes); [`Stack::restore`] goes back to it.
    pub fn mark(&self) -> usize {
        let top = self.top.get();
        set_bit(&self.live, top / WORD);
        set_bit(&self.taken, top / WORD);
        top
    }

    /// Sets the top back to `marker`, zeroing everything above it, and
    /// discards the markers above it; `marker` itself stays live.
    ///
    /// Fails, leaving the stack unchanged, with [`Error::Stack`] when
    /// `marker` is not a live marker: never taken, or discarded by a pop or
    /// restore below it.
    pub fn restore(&mut self, marker: usize) -> Result<()> {
        if !self.is_marker(marker) {
            return Err(self.bad_marker(marker));
        }
        self.cut(marker);
        Ok(())
    }

    /// True when `marker` is a live marker: taken and not yet discarded.
    pub fn is_marker(&self, marker: usize) -> bool {
        marker % WORD == 0 && marker <= self.top.get() && bit(&self.live, marker / WORD)
    }

    /// Bytes on the stack, padding included.
    pub fn top(&self) -> usize {
        self.top.get()
    }

    /// Capacity in bytes, as asked for at creation.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// The stack's counters. Counting the markers reads one bit per 8 bytes
    /// of capacity.
    pub fn stats(&self) -> StackStats {
        StackStats {
            size: self.buf.len(),
            used: self.top.get(),
            markers: self
                .live
                .iter()
                .map(|w| w.get().count_ones() as usize)
                .sum(),
        }
    }

    /// True when `p` points into the bytes on the stack.
    pub fn owns(&self, p: *const u8) -> bool {
        self.buf.contains(p, 0, self.top.get())
    }

    /// Lowers the top to `new_top` (a multiple of 8, at most the top),
    /// zeroing what is removed and discarding the markers above it.
    fn cut(&mut self, new_top: usize) {
        let top = self.top.get();
        self.buf.zero(new_top, top);
        track::taken_back(self.buf.base().wrapping_add(new_top), top - new_top);
        clear_bits(&self.live, new_top / WORD + 1, top / WORD + 1);
        self.top.set(new_top);
    }

    #[cold]
    #[inline(never)]
    fn refuse(&self, n: usize) -> Error {
        if let Some(e) = bad_size(n) {
            return e;
        }
        Error::OutOfMemory {
            what: "stack allocator",
            asked: n,
            needed: align_up(n, WORD).unwrap_or(n),
            left: self.buf.len() - self.top.get(),
            capacity: self.buf.len(),
        }
    }

    #[cold]
    #[inline(never)]
    fn refuse_aligned(&self, n: usize, align: usize) -> Error {
        match self.refuse(n) {
            Error::OutOfMemory { needed, .. } => Error::OutOfMemory {
                what: "stack allocator",
                asked: n,
                needed: needed.saturating_add(align - WORD),
                left: self.buf.len() - self.top.get(),
                capacity: self.buf.len(),
            },
            e => e,
        }
    }

    #[cold]
    #[inline(never)]
    fn bad_marker(&self, marker: usize) -> Error {
        let top = self.top.get();
        let index = marker / WORD;
        let was_taken =
            marker % WORD == 0 && index < self.taken.len() * 64 && bit(&self.taken, index);
        Error::Stack(if was_taken {
            format!("marker {marker} was discarded: the stack went below it (top is {top})")
        } else {
            format!("marker {marker} was never taken (top is {top})")
        })
    }
}

#[cfg(test)]
mod tests;
