//! The side table of a chunk of small blocks: what the arena knows about
//! each of the chunk's granules, kept on the heap and never in the chunk,
//! so that no write into arena memory can change it.
//!
//! One zeroed array holds a count and three parts:
//!
//! - **live**, one word: how many live blocks the chunk holds;
//! - **starts**, a bit per granule, set where a block (live, cached or
//!   free) or the chunk's free extent begins, plus one bit past the last
//!   granule that is always set: a block runs from its start bit to the
//!   next one;
//! - **summary**, a bit per word of `starts`, set while that word is not
//!   zero, so that finding the next or the previous start skips a long
//!   free run 4096 granules (64 KiB) per summary word;
//! - **states**, a byte per granule: [`USED`] (the block starting here is
//!   live, or waiting in a quick list), [`FREED`] (a block starting here
//!   was freed by its owner and the address not handed out since), and,
//!   for a used block of up to [`CODED`] granules, its size in the low six
//!   bits, so that a free finds the size and checks the state with one
//!   load. A used block's state is [`LIVE`] or [`CACHED`] with its size; a
//!   free block's start is [`FREED`] or 0 (a split-off remainder never
//!   handed out from there). Granules inside blocks keep only their
//!   `FREED` bit, which remembers a block that started there before it was
//!   merged into a neighbour, so a second free of it is still told from a
//!   pointer that never was a block.

use std::cell::Cell;
use std::ptr::NonNull;

use crate::bitmap::zeroed_words;
use crate::error::Result;

/// The state bit of a used block: live, or cached in a quick list.
pub(super) const USED: u8 = 0x80;
/// The state bit of a block freed by its owner (a merged-away start too).
pub(super) const FREED: u8 = 0x40;
/// A free block's start never handed out (a split-off remainder).
pub(super) const FREE: u8 = 0;
/// A live block, with its size when coded.
pub(super) const LIVE: u8 = USED;
/// A freed block waiting, unmerged, in a quick list, with its size.
pub(super) const CACHED: u8 = USED | FREED;
/// The size bits of a state.
pub(super) const SIZE: u8 = 0x3f;
/// The largest size (in granules) a state holds; larger blocks hold 0.
pub(super) const CODED: usize = 63;

/// The size code of a used block of `n` granules.
#[inline(always)]
pub(super) fn code(n: usize) -> u8 {
    if n <= CODED { n as u8 } else { 0 }
}

/// The side table of a chunk of `n` granules (or of none, for a chunk
/// holding one large block).
pub(super) struct Side {
    /// `len` words from `zeroed_words`, owned; dangling when `len` is 0.
    words: NonNull<u64>,
    len: usize,
    /// Granules covered.
    pub(super) n: usize,
    /// The parts of `words` after the live count.
    starts: *mut u64,
    sum: *mut u64,
    states: *mut u8,
    /// The highest start ever set below `n`: the words above it are clean.
    high: Cell<usize>,
}

// SAFETY: the words are owned (freed in `Drop`) and reached only through
// the side table, which the arena keeps behind `&mut` or its lock.
unsafe impl Send for Side {}

impl Side {
    /// The table of a chunk with no granules to track.
    pub(super) fn none() -> Side {
        Side {
            words: NonNull::dangling(),
            len: 0,
            n: 0,
            starts: std::ptr::null_mut(),
            sum: std::ptr::null_mut(),
            states: std::ptr::null_mut(),
            high: Cell::new(0),
        }
    }

    /// A clean table for `n` granules (`n > 0`): one free run from 0 to `n`.
    pub(super) fn new(n: usize) -> Result<Side> {
        let state_words = n.div_ceil(8);
        let start_words = n / 64 + 1;
        let sum_words = start_words / 64 + 1;
        let len = 1 + state_words + start_words + sum_words;
        let words = Box::into_raw(zeroed_words(len)?).cast::<u64>();
        let side = Side {
            // SAFETY: from a `Box`, never null; `Cell<u64>` has the layout
            // of `u64`.
            words: unsafe { NonNull::new_unchecked(words) },
            len,
            n,
            states: words.wrapping_add(1).cast(),
            starts: words.wrapping_add(1 + state_words),
            sum: words.wrapping_add(1 + state_words + start_words),
            high: Cell::new(0),
        };
        side.mark(0);
        side.mark(n);
        Ok(side)
    }

    /// Word `i` of one of the three parts.
    #[inline(always)]
    fn get(part: *mut u64, i: usize) -> u64 {
        // SAFETY: every caller indexes inside its part (granules below or
        // at `n`, as the arena's callers guarantee); the words are ours.
        unsafe { *part.add(i) }
    }

    #[inline(always)]
    fn put(part: *mut u64, i: usize, v: u64) {
        // SAFETY: as in `get`; nothing else references the word.
        unsafe { *part.add(i) = v }
    }

    /// The table's words, for [`Raw`]: null for a table of no granules.
    pub(super) fn raw(&self) -> Raw {
        Raw(if self.len == 0 {
            std::ptr::null_mut()
        } else {
            self.words.as_ptr()
        })
    }

    /// The live blocks of the chunk.
    pub(super) fn live(&self) -> u64 {
        // SAFETY: a table with granules starts with the count.
        unsafe { *self.words.as_ptr() }
    }

    /// The state at granule `g < n`.
    #[inline(always)]
    pub(super) fn state(&self, g: usize) -> u8 {
        // SAFETY: one of our `n` state bytes (the callers check `g < n`).
        unsafe { *self.states.add(g) }
    }

    /// Sets the state at granule `g < n`.
    #[inline(always)]
    pub(super) fn set_state(&self, g: usize, state: u8) {
        // SAFETY: as in `state`; nothing else references the byte.
        unsafe { *self.states.add(g) = state }
    }

    #[inline(always)]
    pub(super) fn is_start(&self, g: usize) -> bool {
        Self::get(self.starts, g / 64) >> (g % 64) & 1 == 1
    }

    /// Marks granule `g < n` as a start.
    #[inline(always)]
    pub(super) fn set_start(&self, g: usize) {
        if g > self.high.get() {
            self.high.set(g);
        }
        self.mark(g);
    }

    #[inline(always)]
    fn mark(&self, g: usize) {
        let w = g / 64;
        Self::put(self.starts, w, Self::get(self.starts, w) | 1 << (g % 64));
        Self::put(
            self.sum,
            w / 64,
            Self::get(self.sum, w / 64) | 1 << (w % 64),
        );
    }

    /// Unmarks granule `g < n` as a start.
    #[inline(always)]
    pub(super) fn clear_start(&self, g: usize) {
        let w = g / 64;
        let v = Self::get(self.starts, w) & !(1 << (g % 64));
        Self::put(self.starts, w, v);
        if v == 0 {
            Self::put(
                self.sum,
                w / 64,
                Self::get(self.sum, w / 64) & !(1 << (w % 64)),
            );
        }
    }

    /// The first start after granule `g < n` (at most `n`): where the
    /// block starting at `g` ends. Blocks of up to 64 granules end in the
    /// word of their start or the next, found without a call.
    #[inline(always)]
    pub(super) fn next_start(&self, g: usize) -> usize {
        let w = g / 64;
        let above = Self::get(self.starts, w) & (!1u64 << (g % 64));
        if above != 0 {
            return w * 64 + above.trailing_zeros() as usize;
        }
        // Word `w` holds granule `g < n`, so word `w + 1` exists.
        let after = Self::get(self.starts, w + 1);
        if after != 0 {
            return (w + 1) * 64 + after.trailing_zeros() as usize;
        }
        self.next_start_far(w + 1)
    }

    /// The first start in a word after word `w`, found through the summary.
    #[cold]
    #[inline(never)]
    fn next_start_far(&self, w: usize) -> usize {
        let mut s = w / 64;
        let mut bits = Self::get(self.sum, s) & (!1u64 << (w % 64));
        // The bit at `n` is always set, so the search ends.
        while bits == 0 {
            s += 1;
            bits = Self::get(self.sum, s);
        }
        let w = s * 64 + bits.trailing_zeros() as usize;
        w * 64 + Self::get(self.starts, w).trailing_zeros() as usize
    }

    /// The last start before granule `g` (`0 < g <= n`): where the block
    /// before `g` begins.
    #[inline(always)]
    pub(super) fn prev_start(&self, g: usize) -> usize {
        let w = g / 64;
        let below = Self::get(self.starts, w) & ((1u64 << (g % 64)) - 1);
        if below != 0 {
            return w * 64 + 63 - below.leading_zeros() as usize;
        }
        self.prev_start_far(w)
    }

    /// The last start in a word before word `w` (granule 0 is always
    /// inside a block that starts at or before it, so one exists).
    #[cold]
    #[inline(never)]
    fn prev_start_far(&self, w: usize) -> usize {
        let mut s = w / 64;
        let mut bits = Self::get(self.sum, s) & ((1u64 << (w % 64)) - 1);
        while bits == 0 {
            s -= 1;
            bits = Self::get(self.sum, s);
        }
        let w = s * 64 + 63 - bits.leading_zeros() as usize;
        w * 64 + 63 - Self::get(self.starts, w).leading_zeros() as usize
    }

    /// Makes the table clean again (one free run), touching only the words
    /// up to the highest start ever set.
    pub(super) fn clear(&self) {
        let high = self.high.replace(0);
        let start_words = high / 64 + 1;
        for w in 0..start_words {
            Self::put(self.starts, w, 0);
        }
        for s in 0..start_words / 64 + 1 {
            Self::put(self.sum, s, 0);
        }
        let bytes = (high + 1).min(self.n);
        // SAFETY: the first `bytes <= n` state bytes are ours, and the
        // live count.
        unsafe {
            self.states.write_bytes(0, bytes);
            *self.words.as_ptr() = 0;
        }
        self.mark(0);
        self.mark(self.n);
    }
}

/// The words of a side table as the fast paths reach them, without the
/// chunk table: the live count, then the states.
#[derive(Clone, Copy)]
pub(super) struct Raw(pub(super) *mut u64);

impl Raw {
    /// The state byte of granule `g`.
    ///
    /// # Safety
    ///
    /// The table is not null and `g` is below its granule count.
    #[inline(always)]
    pub(super) unsafe fn state(self, g: usize) -> *mut u8 {
        // SAFETY: the caller's promise: inside the states after the count.
        unsafe { self.0.add(1).cast::<u8>().add(g) }
    }

    /// The live count.
    ///
    /// # Safety
    ///
    /// The table is not null.
    #[inline(always)]
    pub(super) unsafe fn live(self) -> *mut u64 {
        self.0
    }
}

impl Drop for Side {
    fn drop(&mut self) {
        if self.len > 0 {
            let words = std::ptr::slice_from_raw_parts_mut(
                self.words.as_ptr().cast::<Cell<u64>>(),
                self.len,
            );
            // SAFETY: the box `new` leaked, given back once.
            drop(unsafe { Box::from_raw(words) });
        }
    }
}
