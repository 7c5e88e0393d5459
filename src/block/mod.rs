//! The fixed-size block allocator (C: `blckm`, `blckl`, `blckf`, `blcks`,
//! as in the original arn API; `blckd`).
//!
//! A [`BlockPool`] is one zero-filled buffer cut into `count` blocks of one
//! size, with a bitmap of one bit per block (0 = free, 1 = in use). Blocks
//! are 8-byte aligned: they lie `stride` bytes apart, the block size rounded
//! up to 8 (and, in the tracking build, a red zone after it: see
//! `crate::track`).
//!
//! Finding a free block never looks at blocks one by one. A second bitmap,
//! the summary, has one bit per 64-bit word of the first (1 = that word is
//! full), and a hint names the word to try first:
//!
//! - allocation takes the lowest free bit of the hint word (one
//!   trailing-zero count); only when that word is full does it scan the
//!   summary, 4096 blocks per summary word, from the hint onwards;
//! - freeing a block moves the hint to its word, so an allocation after a
//!   free is O(1) however full the pool is.
//!
//! The bits past `count` in the last bitmap word, and past the last word in
//! the summary, are set from the start, so they are never handed out. All
//! three arrays come zeroed from the heap (`calloc`), so creating a pool
//! touches no page of it. Freeing a block zeroes its `stride` bytes.

pub(crate) mod ffi;

use std::cell::Cell;
use std::ptr::NonNull;

use crate::bitmap::{bit, set_tail, zeroed_words};
use crate::error::{Error, Result};
use crate::mem::{WORD, ZeroedBuf, align_up, zero_small};
use crate::track;

/// Counters of a block allocator (C: `arn_block_stats`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BlockStats {
    /// Number of blocks in the pool.
    pub total: usize,
    /// Blocks handed out and not yet freed.
    pub used: usize,
    /// Blocks free to hand out: `total - used`.
    pub free: usize,
    /// `used / total`, from 0.0 (empty) to 1.0 (full).
    pub utilization: f64,
}

/// A pool of `count` fixed-size, zero-filled blocks.
///
/// Allocation takes `&self` and hands out disjoint blocks; freeing takes
/// `&mut self`, so no block handed out as a reference outlives a free.
/// ```
/// # fn main() -> arn::Result<()> {
/// let mut pool = arn::BlockPool::new(48, 1000)?; // 1000 blocks of 48 bytes
/// let block = pool.alloc_ptr()?; // zeroed
/// assert!(pool.owns(block.as_ptr()));
/// pool.free_ptr(block.as_ptr())?; // back, zeroed again
/// assert!(pool.free_ptr(block.as_ptr()).is_err(), "a double free is caught");
/// let b = pool.alloc()?;
/// b[0] = 1;
/// assert_eq!(pool.stats().used, 1);
/// # Ok(()) }
/// ```
pub struct BlockPool {
    buf: ZeroedBuf,
    /// One bit per block, 1 = in use.
    bits: Box<[Cell<u64>]>,
    /// One bit per word of `bits`, 1 = that word is full.
    full: Box<[Cell<u64>]>,
    /// The word of `bits` to look in first; always below `bits.len()`.
    hint: Cell<usize>,
    used: Cell<usize>,
    count: usize,
    block_size: usize,
    stride: usize,
    /// Offset to index without dividing: `stride = odd << shift`, and
    /// `inverse` is the inverse of `odd` modulo 2^64 (see `index_of`).
    shift: u32,
    inverse: usize,
}

impl BlockPool {
    /// Creates a pool of `count` blocks of `block_size` bytes each.
    ///
    /// Fails with [`Error::InvalidArgument`] for a zero size or count or
    /// when `block_size` rounded up to 8 times `count` overflows or exceeds
    /// the largest allocation, and [`Error::System`] when the heap refuses.
    pub fn new(block_size: usize, count: usize) -> Result<BlockPool> {
        if block_size == 0 || count == 0 {
            return Err(Error::invalid(format!(
                "block allocator of {count} blocks of {block_size} bytes"
            )));
        }
        let too_big = || {
            Error::invalid(format!(
                "block allocator of {count} blocks of {block_size} bytes overflows"
            ))
        };
        let stride = align_up(block_size, WORD)
            .and_then(|s| s.checked_add(track::RED))
            .ok_or_else(too_big)?;
        let len = stride.checked_mul(count).ok_or_else(too_big)?;
        let buf = ZeroedBuf::new(len, "block allocator")?;
        let words = count.div_ceil(64);
        let bits = zeroed_words(words)?;
        let full = zeroed_words(words.div_ceil(64))?;
        set_tail(&bits, count);
        set_tail(&full, words);
        let shift = stride.trailing_zeros();
        let odd = stride >> shift;
        Ok(BlockPool {
            buf,
            bits,
            full,
            hint: Cell::new(0),
            used: Cell::new(0),
            count,
            block_size,
            stride,
            shift,
            inverse: inverse_mod_word(odd),
        })
    }

    /// Hands out a free block of `block_size` zeroed bytes, 8-byte aligned.
    // Each call hands out a block no other call hands out; a free needs
    // `&mut self`, so none outlives one.
    #[allow(clippy::mut_from_ref)]
    pub fn alloc(&self) -> Result<&mut [u8]> {
        let p = self.alloc_ptr()?;
        // SAFETY: a block of `block_size` bytes that no one else refers to;
        // it stays so as long as `&self` (freeing needs `&mut self`).
        Ok(unsafe { std::slice::from_raw_parts_mut(p.as_ptr(), self.block_size) })
    }

    /// Like [`BlockPool::alloc`], returning a raw pointer to the block,
    /// valid until it is freed with [`BlockPool::free_ptr`] or the pool is
    /// dropped. Fails with [`Error::Full`] when every block is in use.
    #[inline]
    pub fn alloc_ptr(&self) -> Result<NonNull<u8>> {
        self.try_alloc_ptr().ok_or_else(|| self.refuse())
    }

    /// Like [`BlockPool::alloc_ptr`], with `None` when the pool is full.
    #[inline(always)]
    pub fn try_alloc_ptr(&self) -> Option<NonNull<u8>> {
        let w = self.hint.get();
        // SAFETY: the hint is always a word of the bitmap.
        let word = unsafe { self.words(w) }.0.get();
        if word == !0 {
            return self.alloc_searching();
        }
        // SAFETY: as above; the word has a free bit.
        Some(unsafe { self.take(w, word) })
    }

    /// Word `w` of the bitmap and the summary word that covers it, without
    /// bounds checks (the hot paths derive `w` from the hint or a checked
    /// block index).
    ///
    /// # Safety
    ///
    /// `w < self.bits.len()`.
    #[inline(always)]
    unsafe fn words(&self, w: usize) -> (&Cell<u64>, &Cell<u64>) {
        debug_assert!(w < self.bits.len());
        // SAFETY: the caller's promise, and the summary has a bit for every
        // word of the bitmap, so `w / 64 < full.len()`.
        unsafe { (self.bits.get_unchecked(w), self.full.get_unchecked(w >> 6)) }
    }

    /// Marks the lowest free block of word `w` (whose bits are `word`) as
    /// used and returns it.
    ///
    /// # Safety
    ///
    /// `w < self.bits.len()` and `word`, its bits, are not all set.
    #[inline(always)]
    unsafe fn take(&self, w: usize, word: u64) -> NonNull<u8> {
        let bit = (!word).trailing_zeros() as usize;
        let word = word | (1 << bit);
        // SAFETY: the caller's promise.
        let (bits, full) = unsafe { self.words(w) };
        bits.set(word);
        if word == !0 {
            full.set(full.get() | 1 << (w & 63));
        }
        self.used.set(self.used.get() + 1);
        // A free bit lies below `count`, so the block lies inside the
        // buffer: index * stride < count * stride = len.
        let off = (w * 64 + bit) * self.stride;
        // SAFETY: off < len, so the pointer is inside the buffer.
        let p = unsafe { self.buf.base().add(off) };
        track::handed_out(p, self.block_size);
        // SAFETY: inside the buffer, whose base is not null.
        unsafe { NonNull::new_unchecked(p) }
    }

    /// The hint word is full: finds a word with a free block through the
    /// summary, starting at the hint's summary word and wrapping around.
    #[inline(never)]
    fn alloc_searching(&self) -> Option<NonNull<u8>> {
        if self.used.get() == self.count {
            return None;
        }
        let n = self.full.len();
        let mut i = self.hint.get() >> 6;
        // `used < count`, so some word has a free bit and its summary bit
        // is clear: one lap finds it.
        for _ in 0..n {
            let f = self.full[i].get();
            if f != !0 {
                // A clear summary bit names a word of the bitmap (the bits
                // past the last word are set) that has a free bit.
                let w = i * 64 + (!f).trailing_zeros() as usize;
                let word = self.bits[w].get();
                if word != !0 {
                    self.hint.set(w);
                    // SAFETY: `w` indexes the bitmap, and its word has a
                    // free bit.
                    return Some(unsafe { self.take(w, word) });
                }
            }
            i = if i + 1 == n { 0 } else { i + 1 };
        }
        None
    }

    /// Gives back the block at `p`: zeroes it and marks it free.
    ///
    /// Fails, leaving the pool unchanged, with [`Error::ForeignPointer`]
    /// when `p` is not the start of one of this pool's blocks (outside the
    /// buffer, NULL included, or inside a block but not at its start), and
    /// [`Error::DoubleFree`] when the block is already free.
    #[inline]
    pub fn free_ptr(&mut self, p: *const u8) -> Result<()> {
        if self.try_free_ptr(p) {
            Ok(())
        } else {
            Err(self.refuse_free(p))
        }
    }

    /// Like [`BlockPool::free_ptr`], with `false` for every failure.
    #[inline(always)]
    pub fn try_free_ptr(&mut self, p: *const u8) -> bool {
        let off = (p as usize).wrapping_sub(self.buf.base() as usize);
        let Some(index) = self.index_of(off) else {
            return false;
        };
        let w = index >> 6;
        let mask = 1u64 << (index & 63);
        // SAFETY: index < count, so its word is in the bitmap.
        let (bits, full) = unsafe { self.words(w) };
        let word = bits.get();
        if word & mask == 0 {
            return false;
        }
        bits.set(word & !mask);
        full.set(full.get() & !(1 << (w & 63)));
        self.hint.set(w);
        self.used.set(self.used.get() - 1);
        // SAFETY: the block `off..off + stride` lies inside the buffer
        // (index < count), and `&mut self` proves no reference into it is
        // alive.
        unsafe { zero_small(self.buf.base().add(off), self.stride) };
        track::taken_back(self.buf.base().wrapping_add(off), self.stride);
        true
    }

    /// The index of the block starting `off` bytes into the buffer, or
    /// `None` when no block starts there (`off` past the buffer or not a
    /// multiple of the stride).
    ///
    /// One rotate, one multiply and one compare instead of a division:
    /// with `stride = odd << shift`, rotating `off` right by `shift` gives
    /// `off / 2^shift` when its low bits are clear, and a number of at least
    /// 2^(64 - shift) otherwise, above every `odd * q` with `q < count`
    /// (those are below `len >> shift`, and `len` below 2^63).
    /// Multiplying by the inverse of `odd` modulo 2^64 is a bijection that
    /// maps `odd * q` to `q`; so it maps exactly the offsets of the blocks
    /// to `0..count`, and every other value to `count` or above.
    #[inline(always)]
    fn index_of(&self, off: usize) -> Option<usize> {
        let q = off.rotate_right(self.shift).wrapping_mul(self.inverse);
        (q < self.count).then_some(q)
    }

    /// True when `p` points into a block that is handed out.
    pub fn owns(&self, p: *const u8) -> bool {
        let off = (p as usize).wrapping_sub(self.buf.base() as usize);
        if off >= self.buf.len() {
            return false;
        }
        let index = off / self.stride;
        bit(&self.bits, index)
    }

    /// The counters.
    pub fn stats(&self) -> BlockStats {
        let used = self.used.get();
        BlockStats {
            total: self.count,
            used,
            free: self.count - used,
            utilization: used as f64 / self.count as f64,
        }
    }

    /// Blocks handed out and not yet freed.
    pub fn used(&self) -> usize {
        self.used.get()
    }

    /// Number of blocks in the pool.
    pub fn capacity(&self) -> usize {
        self.count
    }

    /// The block size asked for at creation.
    pub fn block_size(&self) -> usize {
        self.block_size
    }

    /// Distance between two blocks: the block size rounded up to 8 (and,
    /// in the tracking build, the red zone after each block).
    pub fn stride(&self) -> usize {
        self.stride
    }

    #[cold]
    #[inline(never)]
    fn refuse(&self) -> Error {
        Error::NoFreeBlocks {
            capacity: self.count,
        }
    }

    /// Why freeing `p` failed; the pool is unchanged.
    #[cold]
    #[inline(never)]
    fn refuse_free(&self, p: *const u8) -> Error {
        let addr = p as usize;
        let off = addr.wrapping_sub(self.buf.base() as usize);
        if off >= self.buf.len() {
            return Error::ForeignPointer {
                addr,
                what: "block allocator",
            };
        }
        match self.index_of(off) {
            None => Error::ForeignPointer {
                addr,
                what: "block allocator: it points inside a block, not at its start",
            },
            Some(index) => Error::DoubleFree(format!(
                "block {index} at {addr:#x} of the block allocator is already free"
            )),
        }
    }
}

/// The inverse of the odd number `odd` modulo 2^64 (2^32 on 32-bit
/// targets), by Newton's iteration: `odd` is its own inverse modulo 8, and
/// each step doubles the number of correct low bits (3, 6, 12, 24, 48, 96).
const fn inverse_mod_word(odd: usize) -> usize {
    let mut inv = odd;
    let mut i = 0;
    while i < 5 {
        inv = inv.wrapping_mul(2usize.wrapping_sub(odd.wrapping_mul(inv)));
        i += 1;
    }
    inv
}

#[cfg(test)]
mod tests;
