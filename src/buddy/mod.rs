//! The buddy byte arena: power-of-two blocks from one region, split on
//! demand and coalesced on release, handed out as [`Buffer`]s that freeze
//! into [`bytes::Bytes`].
//!
//! # Design
//!
//! The region is `n` minimum blocks of `min_block` bytes. A block of order
//! `k` is `min_block << k` bytes and lies at a multiple of its size, so
//! its buddy is found by flipping one bit of its index. A total that is
//! not a power of two starts as the binary digits of `n`: one aligned
//! block per set bit, largest first; a block whose buddy would lie past
//! the end never coalesces.
//!
//! Each order keeps a bitmap of its free blocks, one bit per position,
//! with summary levels above it (one bit per non-zero word of the level
//! below) up to a level of one word; whether that word is non-zero is the
//! order's bit in a single `u64` mask of orders with a free block. So:
//!
//! - the smallest order with a free block big enough is one trailing-zero
//!   count of the mask;
//! - the lowest free block of an order is one trailing-zero count per
//!   level (three levels cover 262 144 positions);
//! - freeing or taking a block changes one bit and walks up only while a
//!   word turns empty or non-empty.
//!
//! An allocation takes a free block of the smallest order that fits and
//! splits it down, marking each right half free; giving a block to the
//! bitmaps test-and-clears its buddy's bit and climbs while the buddy was
//! free. Both cost O(number of orders), and no metadata lives in the arena
//! memory (free blocks are never written).
//!
//! Eager coalescing alone makes the commonest pattern, allocate and drop
//! one buffer at a time, cost a split and a merge per order on every
//! call, growing with the region (18 of each for 256 bytes of 64 MiB).
//! So each order *parks* the block freed last instead of coalescing it:
//! the next allocation of that order takes it back in O(1), and the block
//! parked before it goes to the bitmaps, coalescing. Parked blocks are
//! flushed into the bitmaps when an allocation finds nothing big enough
//! otherwise and when metrics are read, so neither a failure nor a
//! reported largest free block ever depends on parking: at most one block
//! per order waits to coalesce. An allocation takes the parked block of
//! the smallest order that has a free block, else that order's lowest
//! free block.
//!
//! The bitmaps and counters sit behind one lock whose critical sections
//! only flip bits (zeroing, building buffers and waking waiters happen
//! outside); it is taken with one compare-and-swap and given back with a
//! plain store. The same lock decides the arena's lifetime: the arena's
//! shared state is freed by the last of the arena handle and the blocks
//! out, so `Bytes` may outlive their arena. A release that finds waiters
//! pins the state, wakes them outside the lock, and unpins.

pub(crate) mod ffi;

use crate::buffer::PieceOps;
use crate::buffer::kit::*;
use crate::sync::{AtomicU64, Ordering, SpinLock};

/// Bits of a token that hold the block's order; the index sits above.
const ORDER_BITS: u32 = 6;
const ORDER_MASK: usize = (1 << ORDER_BITS) - 1;
/// The most minimum blocks an arena may have: indexes fit beside the order
/// in a token, and orders fit in the mask.
const MAX_BLOCKS: usize = 1 << (usize::BITS - ORDER_BITS - 1);

/// Where one order's bitmap lives: its levels are
/// `Free::levels[first..first + count]`, leaves first.
#[derive(Debug, Clone, Copy)]
struct OrderMap {
    first: usize,
    count: usize,
}

/// The free blocks of every order.
///
/// Invariants: the bit of block `i` of order `k` is set iff that block is
/// free as a whole; the bit of a summary word is set iff the word below it
/// is non-zero; bit `k` of `mask` is set iff order `k`'s top word is
/// non-zero. Bits past an order's last position are never set, which is
/// how a block whose buddy lies past the end never coalesces.
struct Free {
    /// Per order, the block freed last, kept out of the bitmaps (not
    /// coalesced) while its bit in `parked_mask` is set, so that freeing
    /// and reallocating a block of the same order costs no splits and no
    /// merges. A parked block is free; its buddy may be free too.
    parked: [usize; 64],
    parked_mask: u64,
    /// Blocks split in two, and pairs of buddies merged, so far.
    splits: u64,
    merges: u64,
    words: Box<[u64]>,
    /// The first word of every level of every order.
    levels: Box<[usize]>,
    maps: Box<[OrderMap]>,
    /// Bit `k`: order `k` has a free block.
    mask: u64,
}

impl Free {
    /// The free map of a region of `n` minimum blocks, all free.
    fn new(n: usize) -> std::result::Result<Free, BuildError> {
        let top = n.ilog2() as usize;
        let mut maps = Vec::with_capacity(top + 1);
        let mut levels = Vec::new();
        let mut len = 0usize;
        for k in 0..=top {
            let first = levels.len();
            // A buddy test may look one bit past the last position, when
            // their number is odd: that bit lies in the last word (an odd
            // number is no multiple of 64), and is never set.
            let mut bits = n >> k;
            loop {
                let words = bits.div_ceil(64);
                levels.push(len);
                len += words;
                if words == 1 {
                    break;
                }
                bits = words;
            }
            maps.push(OrderMap {
                first,
                count: levels.len() - first,
            });
        }
        let mut words = Vec::new();
        words
            .try_reserve_exact(len)
            .map_err(|_| BuildError::System {
                bytes: len.saturating_mul(8),
                reason: "the heap refused the arena's free bitmaps".into(),
            })?;
        words.resize(len, 0);
        let mut free = Free {
            parked: [0; 64],
            parked_mask: 0,
            splits: 0,
            merges: 0,
            words: words.into_boxed_slice(),
            levels: levels.into_boxed_slice(),
            maps: maps.into_boxed_slice(),
            mask: 0,
        };
        // The binary digits of `n`, largest first: the block of order `k`
        // is the last position of its order.
        for k in 0..=top {
            if n >> k & 1 == 1 {
                free.set(k, (n >> k) - 1);
            }
        }
        Ok(free)
    }

    /// Where order `k`'s bitmap lives; `k` is at most the top order.
    #[inline(always)]
    fn map(&self, k: usize) -> OrderMap {
        debug_assert!(k < self.maps.len());
        // SAFETY: every caller passes an order of this arena.
        unsafe { *self.maps.get_unchecked(k) }
    }

    /// The first word of level `l` of `map`, which has that many levels.
    #[inline(always)]
    fn level(&self, map: OrderMap, l: usize) -> usize {
        debug_assert!(l < map.count && map.first + l < self.levels.len());
        // SAFETY: `l < map.count`, and the order's levels lie inside
        // `levels` (`Free::new`).
        unsafe { *self.levels.get_unchecked(map.first + l) }
    }

    /// Word `w` of the bitmaps.
    #[inline(always)]
    fn word(&mut self, w: usize) -> &mut u64 {
        debug_assert!(w < self.words.len());
        // SAFETY: callers compute `w` as a level's first word plus a block
        // index of its order (or, for a buddy test, one past the last block
        // when their number is odd) shifted down six bits per level, which
        // `Free::new` sized every level to hold.
        unsafe { self.words.get_unchecked_mut(w) }
    }

    /// Marks block `i` of order `k` free.
    #[inline(always)]
    fn set(&mut self, k: usize, i: usize) {
        let map = self.map(k);
        let mut i = i;
        for l in 0..map.count {
            let at = self.level(map, l);
            let w = self.word(at + (i >> 6));
            let old = *w;
            *w = old | 1 << (i & 63);
            if old != 0 {
                return;
            }
            i >>= 6;
        }
        self.mask |= 1 << k;
    }

    /// Takes free block `i` of order `k` off the map, starting at level
    /// `from` (the levels below it were cleared already and turned empty).
    #[inline(always)]
    fn clear_from(&mut self, map: OrderMap, k: usize, i: usize, from: usize) {
        let mut i = i >> (6 * from);
        for l in from..map.count {
            let at = self.level(map, l);
            let w = self.word(at + (i >> 6));
            let new = *w & !(1 << (i & 63));
            *w = new;
            if new != 0 {
                return;
            }
            i >>= 6;
        }
        self.mask &= !(1 << k);
    }

    /// The lowest free block of the order of `map`, which has one.
    #[inline(always)]
    fn lowest(&mut self, map: OrderMap) -> usize {
        let mut i = 0;
        for l in (0..map.count).rev() {
            let at = self.level(map, l);
            let w = *self.word(at + i);
            debug_assert!(w != 0, "a summary bit names an empty word");
            i = i << 6 | w.trailing_zeros() as usize;
        }
        i
    }

    /// Takes a block of order `k` for an allocation: the block parked at
    /// the smallest order `>= k` that has a free block, else the lowest
    /// free block of that order, split down to order `k`. Parked blocks are
    /// flushed first when nothing fits otherwise. Returns the block's index.
    #[inline]
    fn take(&mut self, k: usize) -> Option<usize> {
        let fits = (self.mask | self.parked_mask) >> k;
        if fits == 0 {
            return self.take_flushed(k);
        }
        let j = k + fits.trailing_zeros() as usize;
        let mut i = if self.parked_mask >> j & 1 == 1 {
            self.parked_mask &= !(1 << j);
            self.parked[j]
        } else {
            let map = self.map(j);
            let i = self.lowest(map);
            self.clear_from(map, j, i, 0);
            i
        };
        for t in (k..j).rev() {
            i <<= 1;
            self.set(t, i | 1);
        }
        self.splits += (j - k) as u64;
        Some(i)
    }

    /// [`Free::take`] when nothing fits without the parked blocks.
    #[cold]
    #[inline(never)]
    fn take_flushed(&mut self, k: usize) -> Option<usize> {
        if self.parked_mask == 0 {
            return None;
        }
        self.flush();
        self.take(k)
    }

    /// Gives block `i` of order `k` back: it is parked, and the block
    /// parked at its order before (if any) goes back to the bitmaps,
    /// coalescing.
    #[inline]
    fn give(&mut self, k: usize, i: usize) {
        let bit = 1u64 << k;
        let older = std::mem::replace(&mut self.parked[k], i);
        if self.parked_mask & bit == 0 {
            self.parked_mask |= bit;
            return;
        }
        self.coalesce(k, older);
    }

    /// Gives every parked block back to the bitmaps.
    fn flush(&mut self) {
        while self.parked_mask != 0 {
            let k = self.parked_mask.trailing_zeros() as usize;
            self.parked_mask &= !(1 << k);
            self.coalesce(k, self.parked[k]);
        }
    }

    /// Gives block `i` of order `k` back at once, merged with every free
    /// buddy (parked ones first go back to the bitmaps); returns the order
    /// of the free block it ended in. Used while someone waits: the wait
    /// policy learns the largest block the release made.
    fn give_merged(&mut self, k: usize, i: usize) -> usize {
        self.flush();
        self.coalesce(k, i)
    }

    /// Marks block `i` of order `k` free, merged with its free buddies;
    /// returns the order of the block it ended in.
    #[inline]
    fn coalesce(&mut self, k: usize, i: usize) -> usize {
        let (mut k, mut i) = (k, i);
        loop {
            let map = self.map(k);
            let at = self.level(map, 0);
            let w = self.word(at + (i >> 6));
            debug_assert!(
                *w & 1 << (i & 63) == 0,
                "block {i} of order {k} freed twice"
            );
            let buddy = 1u64 << ((i ^ 1) & 63);
            if *w & buddy == 0 {
                break;
            }
            *w &= !buddy;
            if *w == 0 {
                self.clear_from(map, k, i ^ 1, 1);
            }
            i >>= 1;
            k += 1;
            self.merges += 1;
        }
        self.set(k, i);
        k
    }

    /// The order of the largest free block, if any (after a flush: parked
    /// blocks may hide bigger ones).
    #[inline]
    fn largest(&self) -> Option<usize> {
        (self.mask | self.parked_mask)
            .checked_ilog2()
            .map(|k| k as usize)
    }
}

/// The arena's mutable state, behind its lock.
struct State {
    free: Free,
    allocations: u64,
    failures: u64,
    frees: u64,
    spills: u64,
    bytes_live: usize,
    /// Blocks out.
    live: usize,
    /// Releases between waking waiters and letting the state go.
    pins: usize,
    /// The arena handle was dropped.
    closed: bool,
    /// Someone waits for a block: releases wake them.
    armed: bool,
    /// Releases between giving their block back and their last touch of
    /// the state (loom models check that the state is never freed under
    /// one; `pins` is what keeps it alive).
    #[cfg(arn_loom)]
    waking: usize,
}

impl State {
    /// Whether nothing refers to the shared state any more.
    #[inline]
    fn unreferenced(&self) -> bool {
        self.closed && self.live == 0 && self.pins == 0
    }
}

/// What every buffer of the arena points at; freed by the last of the
/// arena and its outstanding blocks.
struct Shared {
    state: SpinLock<State>,
    /// Buffers frozen over their block (counted outside the lock, by the
    /// block's owner).
    frozen: AtomicU64,
    base: NonNull<u8>,
    /// `min_block == 1 << min_shift`.
    min_shift: u32,
    /// The largest order a block can have.
    top: usize,
    /// Bytes the blocks cover (a multiple of the minimum block).
    total: usize,
    zero: bool,
    auto_spill: bool,
    backing: Backing,
    waiters: Waiters,
}

// SAFETY: blocks are handed out disjointly under the lock; everything else
// is immutable or behind the waiters' lock.
unsafe impl Send for Shared {}
// SAFETY: as above.
unsafe impl Sync for Shared {}

impl Shared {
    #[inline(always)]
    fn min_block(&self) -> usize {
        1 << self.min_shift
    }

    /// The largest block the arena can have.
    #[inline(always)]
    fn largest_block(&self) -> usize {
        self.min_block() << self.top
    }

    /// The order of the smallest block that holds `size` bytes; `None` for
    /// 0 and for sizes above the largest block.
    #[inline(always)]
    fn order_of(&self, size: usize) -> Option<usize> {
        if size.wrapping_sub(1) >= self.largest_block() {
            return None;
        }
        Some((usize::BITS - ((size - 1) >> self.min_shift).leading_zeros()) as usize)
    }

    /// Why `size` can never be allocated.
    #[cold]
    #[inline(never)]
    fn bad_size(&self, size: usize) -> Error {
        if size == 0 {
            Error::invalid("a buddy arena cannot allocate 0 bytes")
        } else {
            Error::invalid(format!(
                "request of {size} bytes is above the arena's largest block of {} bytes",
                self.largest_block()
            ))
        }
    }

    /// Takes a block of order `k`: its index, or the order of the largest
    /// free block (if any) when none is big enough.
    #[inline]
    fn take(&self, k: usize) -> std::result::Result<usize, Option<usize>> {
        let mut st = self.state.lock();
        match st.free.take(k) {
            Some(i) => {
                st.allocations += 1;
                st.live += 1;
                st.bytes_live += self.min_block() << k;
                Ok(i)
            }
            None => Err(st.free.largest()),
        }
    }

    #[inline(always)]
    fn block_ptr(&self, i: usize, k: usize) -> NonNull<u8> {
        // SAFETY: block `i` of order `k` lies inside the region, so its
        // offset is below `total`.
        unsafe { self.base.add(i << (k + self.min_shift as usize)) }
    }

    /// Sets or clears the waiting flag (the `arm` of [`Waiters`]).
    fn arm(&self, on: bool) {
        self.state.lock().armed = on;
    }

    /// Frees the shared state.
    ///
    /// # Safety
    ///
    /// `p` is the arena's `Shared`, and nothing refers to it any more (its
    /// state was seen [`State::unreferenced`] under the lock).
    unsafe fn free(p: NonNull<Shared>) {
        #[cfg(arn_loom)]
        // SAFETY: the caller's promise: still alive, ours alone.
        assert_eq!(
            unsafe { p.as_ref() }.state.lock().waking,
            0,
            "freed under a release"
        );
        // SAFETY: the caller's promise; `Shared` was leaked from a box.
        drop(unsafe { Box::from_raw(p.as_ptr()) });
    }
}

/// How every buddy-arena [`Home`] gives its block back and counts a freeze.
static OPS: PieceOps = PieceOps {
    release,
    freeze: count_freeze,
};

/// Counts a freeze (the `freeze` of [`OPS`]).
///
/// # Safety
///
/// `store` is a live arena's `Shared`, and the caller owns a block of it.
unsafe fn count_freeze(store: NonNull<()>, _token: usize) {
    // SAFETY: our block is still out, so the arena is alive.
    let s = unsafe { store.cast::<Shared>().as_ref() };
    s.frozen.fetch_add(1, Ordering::Relaxed);
}

/// Gives a block back (the `release` of [`OPS`]).
///
/// # Safety
///
/// `store` is a live arena's `Shared` and `token` a block taken from it,
/// released once, after the last use of its memory.
unsafe fn release(store: NonNull<()>, token: usize, how: Release) {
    let p = store.cast::<Shared>();
    // SAFETY: our block is still out, so the arena is alive.
    let s = unsafe { p.as_ref() };
    let k = token & ORDER_MASK;
    let i = token >> ORDER_BITS;
    let size = s.min_block() << k;
    if s.zero {
        let block = s.block_ptr(i, k).as_ptr();
        crate::track::open(block, how.scrub.min(size));
        // SAFETY: our own block, no longer used by anyone.
        unsafe { block.write_bytes(0, how.scrub.min(size)) };
    }
    crate::track::taken_back(s.block_ptr(i, k).as_ptr(), size);
    let mut st = s.state.lock();
    let pinned = st.armed;
    let order = if pinned {
        st.free.give_merged(k, i)
    } else {
        st.free.give(k, i);
        k
    };
    st.frees += 1;
    st.spills += u64::from(how.spilled);
    st.live -= 1;
    st.bytes_live -= size;
    st.pins += usize::from(pinned);
    #[cfg(arn_loom)]
    {
        st.waking += usize::from(pinned);
    }
    let last = st.unreferenced();
    drop(st);
    // From here on the state may be freed by another thread unless we are
    // the last or pinned it.
    if pinned {
        // SAFETY: the pin keeps the state alive.
        unsafe { wake(p, order) };
    } else if last {
        // SAFETY: the arena is closed and nothing else is out.
        unsafe { Shared::free(p) };
    }
}

/// Wakes the waiters of a release that pinned the state (a block of
/// `order` came free), then unpins it.
///
/// # Safety
///
/// `p` is the arena's `Shared`, pinned by the caller.
#[cold]
#[inline(never)]
unsafe fn wake(p: NonNull<Shared>, order: usize) {
    // SAFETY: the caller's pin keeps the state alive.
    let s = unsafe { p.as_ref() };
    s.waiters.wake(order);
    let mut st = s.state.lock();
    st.pins -= 1;
    #[cfg(arn_loom)]
    {
        st.waking -= 1;
    }
    let last = st.unreferenced();
    drop(st);
    if last {
        // SAFETY: the arena is closed, no block is out, no pin is left.
        unsafe { Shared::free(p) };
    }
}

/// Counters of a buddy arena, a snapshot taken under its lock.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BuddyStats {
    /// Blocks handed out since the arena was made.
    pub allocations: u64,
    /// Allocations refused because no free block was big enough
    /// (timeouts included).
    pub failures: u64,
    /// Blocks given back (dropped, frozen bytes dropped, or spilled).
    pub frees: u64,
    /// Buffers that moved to the heap.
    pub spills: u64,
    /// Blocks split in two to serve an allocation.
    pub splits: u64,
    /// Pairs of free buddies merged on release.
    pub coalesces: u64,
    /// Bytes of blocks out now (block sizes, not bytes written).
    pub bytes_live: usize,
    /// Bytes of memory under the arena.
    pub bytes_reserved: usize,
    /// Bytes of the largest free block now; 0 when none is free.
    pub largest_free_block: usize,
    /// The smallest block, a power of two.
    pub min_block: usize,
    /// Bytes the blocks cover.
    pub total_size: usize,
    /// Buffers frozen into `Bytes` over their block (spilled ones
    /// excluded).
    pub frozen: u64,
}

/// The old name of `BuddyStats`, kept for one release (in C,
/// `arn_buddy_metrics`, the old name of `arn_buddy_stats`).
#[deprecated(note = "renamed BuddyStats")]
pub type BuddyMetrics = BuddyStats;

/// A buddy byte arena: blocks of `min_block << k` bytes from one region of
/// `total_size`, split on demand and coalesced on release, from any thread.
///
/// ```
/// use arn::BuddyArena;
/// use bytes::BufMut;
///
/// let arena = BuddyArena::builder(1 << 20, 256).build().unwrap();
/// let mut buf = arena.allocate(1000).unwrap(); // a 1024-byte block
/// assert_eq!(buf.capacity(), 1024);
/// buf.put_slice(b"hello");
/// let bytes = buf.freeze(); // no copy: `bytes` points into the arena
/// assert_eq!(&bytes[..], b"hello");
/// drop(bytes); // the block goes back and coalesces
/// assert_eq!(arena.stats().largest_free_block, 1 << 20);
/// ```
pub struct BuddyArena {
    shared: NonNull<Shared>,
}

byte_arena_handle!(BuddyArena);

impl BuddyArena {
    /// A builder for a region of `total_size` bytes (a non-zero multiple
    /// of `min_block`) cut into blocks of at least `min_block` bytes (a
    /// power of two).
    pub fn builder(total_size: usize, min_block: usize) -> BuddyArenaBuilder {
        BuddyArenaBuilder {
            opts: Options::default(),
            total: total_size,
            min_block,
        }
    }

    /// A builder over `len` bytes of caller memory at `ptr`; the region is
    /// the largest multiple of `min_block` that fits. `dealloc` runs when
    /// the arena and every block are gone, on the thread that lets the last
    /// one go; if building fails, it is dropped without running and the
    /// memory stays the caller's.
    ///
    /// # Safety
    ///
    /// `ptr..ptr + len` is valid for reads and writes and used by nothing
    /// else until `dealloc` runs (without a hook: until the arena and every
    /// buffer and `Bytes` from it are gone).
    pub unsafe fn from_raw(
        ptr: NonNull<u8>,
        len: usize,
        min_block: usize,
        dealloc: Option<Dealloc>,
    ) -> BuddyArenaBuilder {
        BuddyArena::builder(len, min_block).memory(ptr, len, dealloc)
    }

    /// A buffer over the smallest block that holds `size` bytes (a power
    /// of two, at least the minimum block: the buffer's capacity).
    ///
    /// Fails with [`Error::InvalidArgument`] for 0 or a size above the
    /// largest block the arena can have, and with [`Error::NoBlock`] when
    /// no free block is big enough now.
    #[inline]
    pub fn allocate(&self, size: usize) -> Result<Buffer> {
        let s = self.shared();
        let Some(k) = s.order_of(size) else {
            return Err(s.bad_size(size));
        };
        match s.take(k) {
            Ok(i) => Ok(self.buffer(i, k)),
            Err(largest) => Err(self.no_block(size, k, largest)),
        }
    }

    /// Like [`BuddyArena::allocate`], with `None` for any refusal (not
    /// counted as a failure: the caller reports it, or retries).
    #[inline]
    pub(crate) fn try_allocate(&self, size: usize) -> Option<Buffer> {
        let s = self.shared();
        let k = s.order_of(size)?;
        s.take(k).ok().map(|i| self.buffer(i, k))
    }

    /// [`BuddyArena::allocate`] without the error value: `Err(true)` when
    /// `size` is 0 or above the largest block, `Err(false)` (counted as a
    /// failure) when no free block is big enough now. The result has the
    /// buffer's own layout, so a caller that wraps it (arn::compat) does
    /// not copy it between layouts.
    #[inline]
    pub(crate) fn allocate_or_refuse(&self, size: usize) -> std::result::Result<Buffer, bool> {
        let s = self.shared();
        let Some(k) = s.order_of(size) else {
            return Err(true);
        };
        match s.take(k) {
            Ok(i) => Ok(self.buffer(i, k)),
            Err(_) => {
                self.count_failure();
                Err(false)
            }
        }
    }

    #[cold]
    #[inline(never)]
    fn count_failure(&self) {
        self.shared().state.lock().failures += 1;
    }

    /// Like [`BuddyArena::allocate`], but waits up to `timeout` for a big
    /// enough block to come back; [`Error::Timeout`] when none did. Sizes
    /// the arena can never serve fail at once.
    pub fn allocate_timeout(&self, size: usize, timeout: Duration) -> Result<Buffer> {
        let s = self.shared();
        let Some(k) = s.order_of(size) else {
            return Err(s.bad_size(size));
        };
        if let Ok(i) = s.take(k) {
            return Ok(self.buffer(i, k));
        }
        match s
            .waiters
            .block(timeout, &|on| s.arm(on), &mut || s.take(k).ok())
        {
            Some(i) => Ok(self.buffer(i, k)),
            None => {
                s.state.lock().failures += 1;
                Err(Error::timeout("buddy arena", timeout))
            }
        }
    }

    /// Waits, without blocking the thread, until a big enough block is
    /// free. Sizes the arena can never serve fail at once.
    #[cfg(feature = "async")]
    pub async fn allocate_async(&self, size: usize) -> Result<Buffer> {
        let s = self.shared();
        let Some(k) = s.order_of(size) else {
            return Err(s.bad_size(size));
        };
        let i = s
            .waiters
            .wait(&|on| s.arm(on), &mut || s.take(k).ok())
            .await;
        Ok(self.buffer(i, k))
    }

    #[inline(always)]
    fn buffer(&self, i: usize, k: usize) -> Buffer {
        let s = self.shared();
        let home = Home {
            store: self.shared.cast(),
            ops: &OPS,
            token: i << ORDER_BITS | k,
        };
        Buffer::new(s.block_ptr(i, k), s.min_block() << k, home, s.auto_spill)
    }

    #[cold]
    #[inline(never)]
    fn no_block(&self, size: usize, k: usize, largest: Option<usize>) -> Error {
        let s = self.shared();
        s.state.lock().failures += 1;
        Error::NoBlock {
            asked: size,
            block: s.min_block() << k,
            largest: largest.map_or(0, |l| s.min_block() << l),
            capacity: s.total,
        }
    }

    /// Bytes the blocks cover.
    pub fn total_size(&self) -> usize {
        self.shared().total
    }

    /// The smallest block: every buffer's capacity is this times a power
    /// of two.
    pub fn min_block(&self) -> usize {
        self.shared().min_block()
    }

    /// A snapshot of the arena's counters. Parked blocks are coalesced
    /// first, so the largest free block is exact.
    pub fn stats(&self) -> BuddyStats {
        let s = self.shared();
        let mut st = s.state.lock();
        st.free.flush();
        BuddyStats {
            allocations: st.allocations,
            failures: st.failures,
            frees: st.frees,
            spills: st.spills,
            splits: st.free.splits,
            coalesces: st.free.merges,
            bytes_live: st.bytes_live,
            bytes_reserved: s.backing.len(),
            largest_free_block: st.free.largest().map_or(0, |k| s.min_block() << k),
            min_block: s.min_block(),
            total_size: s.total,
            frozen: s.frozen.load(Ordering::Relaxed),
        }
    }

    /// Faults every page in on the calling thread.
    pub(crate) fn fault_in(&self) {
        self.shared().backing.fault_in();
    }

    /// The old name of [`BuddyArena::stats`], kept for one release.
    #[deprecated(note = "renamed stats")]
    pub fn metrics(&self) -> BuddyStats {
        self.stats()
    }
}

impl Drop for BuddyArena {
    fn drop(&mut self) {
        let mut st = self.shared().state.lock();
        st.closed = true;
        let last = st.unreferenced();
        drop(st);
        if last {
            // SAFETY: no block is out and no release is in progress.
            unsafe { Shared::free(self.shared) };
        }
    }
}

impl std::fmt::Debug for BuddyArena {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuddyArena")
            .field("total_size", &self.total_size())
            .field("min_block", &self.min_block())
            .finish()
    }
}

/// Configures a [`BuddyArena`]; see [`BuddyArena::builder`].
pub struct BuddyArenaBuilder {
    total: usize,
    min_block: usize,
    opts: Options,
}

impl BuddyArenaBuilder {
    /// Aligns every block to `align`: a power of two up to 4096 and no
    /// larger than the minimum block (default: 8, or the minimum block when
    /// that is smaller). Blocks in the arena's own mapping are also aligned
    /// to their size, up to the page size; for caller memory, the pointer
    /// must be aligned to `align`.
    pub fn alignment(mut self, align: usize) -> Self {
        self.opts.align = Some(align);
        self
    }

    byte_arena_builder!(BuddyArena, "block");

    fn make(self, prefault: bool) -> std::result::Result<BuddyArena, BuildError> {
        let min = self.min_block;
        if min == 0 {
            return Err(BuildError::Zero {
                what: "minimum block",
            });
        }
        if !min.is_power_of_two() {
            return Err(BuildError::NotPowerOfTwo {
                what: "minimum block",
                value: min,
            });
        }
        let align = self.opts.alignment(min.min(8))?;
        if align > min {
            return Err(BuildError::Geometry(format!(
                "alignment {align} is above the minimum block of {min} bytes"
            )));
        }
        let total = match self.opts.caller_len(align)? {
            None => {
                if self.total == 0 {
                    return Err(BuildError::Zero { what: "total size" });
                }
                if self.total % min != 0 {
                    return Err(BuildError::Geometry(format!(
                        "total size {} is not a multiple of the minimum block of {min} bytes",
                        self.total
                    )));
                }
                self.total
            }
            Some(len) => {
                let total = len - len % min;
                if total == 0 {
                    return Err(BuildError::Geometry(format!(
                        "{len} bytes of memory hold no block of {min} bytes"
                    )));
                }
                total
            }
        };
        let n = total / min;
        if n > MAX_BLOCKS {
            return Err(BuildError::Geometry(format!(
                "{n} minimum blocks of {min} bytes are more than the {MAX_BLOCKS} an arena can track"
            )));
        }
        let (zero, auto_spill) = (self.opts.zero(), self.opts.auto_spill);
        let mut opts = self.opts;
        let wake_hook = opts.wake_hook.take();
        // The memory first: a size the system refuses fails here, before
        // the bookkeeping for it is allocated.
        let backing = opts.backing(total, prefault)?;
        let free = Free::new(n)?;
        let top = free.maps.len() - 1;
        Ok(BuddyArena::from_shared(Shared {
            frozen: AtomicU64::new(0),
            state: SpinLock::new(State {
                free,
                allocations: 0,
                failures: 0,
                frees: 0,
                spills: 0,
                bytes_live: 0,
                live: 0,
                pins: 0,
                closed: false,
                // A wake hook listens to every release: armed for good.
                armed: wake_hook.is_some(),
                #[cfg(arn_loom)]
                waking: 0,
            }),
            base: backing.base(),
            min_shift: min.trailing_zeros(),
            top,
            total,
            zero,
            auto_spill,
            waiters: Waiters::new(wake_hook),
            backing,
        }))
    }
}

#[cfg(all(test, arn_loom))]
mod loom_tests;
#[cfg(all(test, not(arn_loom)))]
mod tests;
