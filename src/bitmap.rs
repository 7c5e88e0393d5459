//! Bitmaps of `Cell<u64>` words, shared by the block and stack allocators:
//! bit `i` is bit `i % 64` of word `i / 64`.

use std::alloc::{Layout, alloc_zeroed};
use std::cell::Cell;
use std::ptr;

use crate::error::{Error, Result};

/// `n` (nonzero) zeroed words from the heap, fallibly. They come from
/// `calloc`, which leaves large arrays as untouched fresh pages.
pub(crate) fn zeroed_words(n: usize) -> Result<Box<[Cell<u64>]>> {
    debug_assert!(n > 0);
    let layout = Layout::array::<Cell<u64>>(n)
        .map_err(|_| Error::invalid(format!("bitmap of {n} words is too large")))?;
    // SAFETY: the layout has a nonzero size.
    let p = unsafe { alloc_zeroed(layout) }.cast::<Cell<u64>>();
    if p.is_null() {
        return Err(Error::System {
            bytes: layout.size(),
        });
    }
    // SAFETY: `p` is a fresh global allocation with the layout of `n`
    // `Cell<u64>`s (the layout `Box<[Cell<u64>]>` frees with), and all-zero
    // bytes are a valid `Cell<u64>`.
    Ok(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(p, n)) })
}

/// Sets every bit of the last word past the first `n` bits, so that a
/// search for a clear bit never finds one at or beyond `n`.
pub(crate) fn set_tail(bits: &[Cell<u64>], n: usize) {
    if n % 64 != 0 {
        let w = &bits[n / 64];
        w.set(w.get() | !0 << (n % 64));
    }
}

#[inline]
pub(crate) fn bit(bits: &[Cell<u64>], i: usize) -> bool {
    bits[i / 64].get() >> (i % 64) & 1 == 1
}

#[inline]
pub(crate) fn set_bit(bits: &[Cell<u64>], i: usize) {
    let w = &bits[i / 64];
    w.set(w.get() | 1 << (i % 64));
}

/// Clears bits `from..to`, a word at a time.
pub(crate) fn clear_bits(bits: &[Cell<u64>], from: usize, to: usize) {
    if from >= to {
        return;
    }
    let (first, last) = (from / 64, (to - 1) / 64);
    // Bits at and above `from` in the first word, at and below `to - 1` in
    // the last.
    let low = !0u64 << (from % 64);
    let high = !0u64 >> (63 - (to - 1) % 64);
    if first == last {
        let w = &bits[first];
        w.set(w.get() & !(low & high));
        return;
    }
    bits[first].set(bits[first].get() & !low);
    for w in &bits[first + 1..last] {
        w.set(0);
    }
    bits[last].set(bits[last].get() & !high);
}
