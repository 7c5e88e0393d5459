//! The fixed-slot byte arena: uniform slots, claimed and released from any
//! thread without a lock, handed out as [`Buffer`]s that freeze into
//! [`bytes::Bytes`].
//!
//! # Design
//!
//! One bit per slot, 62 slots to a 64-bit word; the word's two high bits
//! are flags (`WAIT`: someone waits for a slot; `CLOSED`: the arena was
//! dropped). Eight words make a cache line, and each thread starts its
//! search in its own line (threads are numbered on first use), so two
//! threads allocating at once do not fight over one line. Claiming is one
//! compare-and-swap; so is releasing, which fails over to a slow path when
//! it sees a flag. The flags ride in the words a release writes anyway, so
//! the fast path pays for neither waiting nor the arena's lifetime:
//!
//! - `WAIT` is set on every word while a blocking or async allocation
//!   waits; a release that sees it wakes the waiters.
//! - Dropping the arena sets `CLOSED` on every word and counts the words
//!   that still have slots out. The release that empties such a word
//!   takes it off the count; whoever brings the count to zero frees the
//!   arena's memory. So `Bytes` may outlive their arena, and nothing on
//!   the fast path touches a shared counter.
//!
//! Allocation and freeze counts are kept per slot by the slot's owner (a
//! plain store, no atomic read-modify-write); frees are allocations minus
//! slots out.

pub(crate) mod ffi;
#[cfg(all(test, arn_loom))]
mod loom_tests;
#[cfg(all(test, not(arn_loom)))]
mod tests;

use crate::buffer::PieceOps;
use crate::buffer::kit::*;
use crate::sync::{AtomicU64, AtomicUsize, Ordering, fence};

/// Slots per bitmap word.
const PER_WORD: usize = 62;
/// Someone waits for a slot: releases take the slow path and wake them.
const WAIT: u64 = 1 << 62;
/// The arena was dropped: the release that empties the word counts it.
const CLOSED: u64 = 1 << 63;
const FLAGS: u64 = WAIT | CLOSED;
const SLOTS: u64 = !FLAGS;
/// Words per cache line.
const LINE_WORDS: usize = 8;

#[repr(align(64))]
struct Line([AtomicU64; LINE_WORDS]);

/// A slot's counters, written by the slot's owner only (so a plain store
/// after a load: no read-modify-write), read by `metrics`.
struct SlotCounts {
    /// Allocations of this slot.
    claims: AtomicU64,
    /// Freezes of this slot's buffers.
    frozen: AtomicU64,
}

impl SlotCounts {
    /// One more, by the slot's owner.
    #[inline(always)]
    fn bump(c: &AtomicU64) {
        c.store(c.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }
}

/// What every buffer of the arena points at; freed by the last of the
/// arena and its outstanding slots.
struct Shared {
    lines: Box<[Line]>,
    /// Words that hold real slots (the rest of the last line is filler,
    /// all taken).
    words: usize,
    /// The bits of the last word past the last slot, set for good.
    tail: u64,
    /// Allocations and freezes per slot.
    counts: Box<[SlotCounts]>,
    base: NonNull<u8>,
    /// Bytes per slot, the alignment padding included: slots lie this far
    /// apart, and it is every buffer's capacity.
    slot_size: usize,
    count: usize,
    zero: bool,
    auto_spill: bool,
    /// The arena handle, plus one per closed word with slots out, plus one
    /// per slow-path release in progress.
    refs: AtomicUsize,
    failures: AtomicU64,
    spills: AtomicU64,
    waiters: Waiters,
    backing: Backing,
}

// SAFETY: the slots are handed out disjointly through the atomic bitmap;
// everything else is atomic, immutable, or behind the waiters' lock.
unsafe impl Send for Shared {}
// SAFETY: as above.
unsafe impl Sync for Shared {}

impl Shared {
    #[inline(always)]
    fn word(&self, w: usize) -> &AtomicU64 {
        &self.lines[w / LINE_WORDS].0[w % LINE_WORDS]
    }

    /// The permanently set bits of word `w`.
    #[inline(always)]
    fn fill(&self, w: usize) -> u64 {
        if w + 1 == self.words { self.tail } else { 0 }
    }

    /// Claims a free slot; its token is `word << 6 | bit`.
    #[inline]
    fn claim(&self) -> Option<usize> {
        let n = self.lines.len();
        // The thread's number scaled onto the lines (no division).
        let start = if n == 1 {
            0
        } else {
            ((home() as u64 * n as u64) >> 32) as usize
        };
        let mut l = start;
        loop {
            for (i, w) in self.lines[l].0.iter().enumerate() {
                let mut cur = w.load(Ordering::Relaxed);
                while cur | FLAGS != u64::MAX {
                    let bit = (!(cur | FLAGS)).trailing_zeros();
                    match w.compare_exchange_weak(
                        cur,
                        cur | 1 << bit,
                        Ordering::Acquire,
                        Ordering::Relaxed,
                    ) {
                        Ok(_) => return Some((l * LINE_WORDS + i) << 6 | bit as usize),
                        Err(now) => cur = now,
                    }
                }
            }
            l += 1;
            if l == n {
                l = 0;
            }
            if l == start {
                return None;
            }
        }
    }

    #[inline(always)]
    fn slot_of(token: usize) -> usize {
        (token >> 6) * PER_WORD + (token & 63)
    }

    #[inline(always)]
    fn slot_ptr(&self, slot: usize) -> NonNull<u8> {
        // SAFETY: `slot < count`, so the slot lies inside the backing.
        unsafe { self.base.add(slot * self.slot_size) }
    }

    /// Sets or clears `WAIT` on every word.
    fn arm(&self, on: bool) {
        for w in 0..self.words {
            if on {
                self.word(w).fetch_or(WAIT, Ordering::AcqRel);
            } else {
                self.word(w).fetch_and(!WAIT, Ordering::AcqRel);
            }
        }
    }

    /// Slots out now.
    fn live(&self) -> usize {
        (0..self.words)
            .map(|w| {
                (self.word(w).load(Ordering::Acquire) & SLOTS & !self.fill(w)).count_ones() as usize
            })
            .sum()
    }

    /// Drops one reference; the last frees the arena.
    ///
    /// # Safety
    ///
    /// `p` is the arena's `Shared`, and the caller holds one reference.
    unsafe fn unref(p: NonNull<Shared>) {
        // SAFETY: the caller's reference keeps `p` alive until this.
        if unsafe { p.as_ref() }.refs.fetch_sub(1, Ordering::Release) == 1 {
            fence(Ordering::Acquire);
            // SAFETY: that was the last reference: no slot is out, the arena
            // handle is gone, and no release is in progress.
            drop(unsafe { Box::from_raw(p.as_ptr()) });
        }
    }
}

/// A 32-bit number of the calling thread, spread evenly over `0..2^32` for
/// the first threads (multiples of the golden ratio), so that scaling it
/// onto the lines puts two threads on different lines.
#[cfg(not(arn_loom))]
#[inline(always)]
fn home() -> usize {
    use std::cell::Cell;
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local!(static HOME: Cell<usize> = const { Cell::new(usize::MAX) });
    HOME.with(|h| {
        let v = h.get();
        if v != usize::MAX {
            return v;
        }
        let n = NEXT.fetch_add(1, Ordering::Relaxed) as u32;
        let v = n.wrapping_add(1).wrapping_mul(0x9E37_79B9) as usize;
        h.set(v);
        v
    })
}

#[cfg(arn_loom)]
fn home() -> usize {
    0
}

/// How every fixed-arena [`Home`] gives its slot back and counts a freeze.
static OPS: PieceOps = PieceOps {
    release,
    freeze: count_freeze,
};

/// Counts a freeze of slot `token` (the `freeze` of [`OPS`]).
///
/// # Safety
///
/// `store` is a live arena's `Shared`, and the caller owns slot `token`.
unsafe fn count_freeze(store: NonNull<()>, token: usize) {
    // SAFETY: our slot is still out, so the arena is alive.
    let s = unsafe { store.cast::<Shared>().as_ref() };
    SlotCounts::bump(&s.counts[Shared::slot_of(token)].frozen);
}

/// Gives a slot back (the `release` of [`OPS`]).
///
/// # Safety
///
/// `store` is a live arena's `Shared` and `token` a slot claimed from it,
/// released once, after the last use of its memory.
unsafe fn release(store: NonNull<()>, token: usize, how: Release) {
    let p = store.cast::<Shared>();
    // SAFETY: our slot is still out, so the arena is alive.
    let s = unsafe { p.as_ref() };
    if how.spilled {
        s.spills.fetch_add(1, Ordering::Relaxed);
    }
    if s.zero {
        let n = how.scrub.min(s.slot_size);
        let slot = s.slot_ptr(Shared::slot_of(token)).as_ptr();
        crate::track::open(slot, n);
        // SAFETY: our own slot, no longer used by anyone.
        unsafe { slot.write_bytes(0, n) };
    }
    crate::track::taken_back(s.slot_ptr(Shared::slot_of(token)).as_ptr(), s.slot_size);
    let w = token >> 6;
    let bit = 1u64 << (token & 63);
    let word = s.word(w);
    let mut cur = word.load(Ordering::Relaxed);
    loop {
        if cur & FLAGS != 0 {
            // SAFETY: forwarded from the caller; the slot is still ours.
            return unsafe { release_slow(p, w, bit) };
        }
        // After this succeeds, the arena may be freed at any moment: nothing
        // below may touch it.
        match word.compare_exchange_weak(cur, cur & !bit, Ordering::Release, Ordering::Relaxed) {
            Ok(_) => return,
            Err(now) => cur = now,
        }
    }
}

/// A release that found a flag on its word.
///
/// # Safety
///
/// As for [`release`].
#[cold]
#[inline(never)]
unsafe fn release_slow(p: NonNull<Shared>, w: usize, bit: u64) {
    // SAFETY: our slot is still out, so the arena is alive.
    let s = unsafe { p.as_ref() };
    // Pinned, the arena outlives this call even if our slot was the last.
    s.refs.fetch_add(1, Ordering::Relaxed);
    let prev = s.word(w).fetch_and(!bit, Ordering::AcqRel);
    if prev & CLOSED != 0 && prev & SLOTS & !bit == s.fill(w) {
        // We emptied a word of a dropped arena; the pin keeps refs > 0.
        s.refs.fetch_sub(1, Ordering::Release);
    }
    if prev & WAIT != 0 {
        s.waiters.wake(0);
    }
    // SAFETY: the pin taken above.
    unsafe { Shared::unref(p) };
}

/// Counters of a fixed arena, a snapshot (exact when no call runs at the
/// same time).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FixedStats {
    /// Slots handed out since the arena was made.
    pub allocations: u64,
    /// Allocations refused because every slot was out (timeouts included).
    pub failures: u64,
    /// Slots given back (dropped, frozen bytes dropped, or spilled).
    pub frees: u64,
    /// Buffers that moved to the heap.
    pub spills: u64,
    /// Bytes of slots out now (`slots - slots_free` times `slot_size`).
    pub bytes_live: usize,
    /// Bytes of memory under the arena.
    pub bytes_reserved: usize,
    /// Slots in the arena.
    pub slots: usize,
    /// Slots free now.
    pub slots_free: usize,
    /// Bytes per slot, rounded up to the alignment (a buffer's capacity).
    pub slot_size: usize,
    /// Buffers frozen into `Bytes` over their slot (spilled ones excluded).
    pub frozen: u64,
}

/// The old name of `FixedStats`, kept for one release (in C,
/// `arn_fixed_metrics`, the old name of `arn_fixed_stats`).
#[deprecated(note = "renamed FixedStats")]
pub type FixedMetrics = FixedStats;

/// A fixed-slot byte arena: `slot_count` slots of `slot_size` bytes in one
/// mapping, allocated and released from any thread without a lock.
///
/// ```
/// use arn::FixedArena;
/// use bytes::BufMut;
///
/// let arena = FixedArena::builder(1024, 4096).build().unwrap();
/// let mut buf = arena.allocate().unwrap();
/// buf.put_slice(b"hello");
/// let bytes = buf.freeze(); // no copy: `bytes` points into the arena
/// assert_eq!(&bytes[..], b"hello");
/// drop(bytes); // the slot goes back
/// ```
pub struct FixedArena {
    shared: NonNull<Shared>,
}

byte_arena_handle!(FixedArena);

impl FixedArena {
    /// A builder for `slot_count` slots of `slot_size` bytes.
    pub fn builder(slot_count: usize, slot_size: usize) -> FixedArenaBuilder {
        FixedArenaBuilder {
            slots: slot_count,
            slot_size,
            opts: Options::default(),
        }
    }

    /// A builder over `len` bytes of caller memory at `ptr`, cut into as
    /// many slots of `slot_size` as fit; `dealloc` runs when the arena and
    /// every slot are gone, on the thread that lets the last one go.
    ///
    /// # Safety
    ///
    /// `ptr..ptr + len` is valid for reads and writes and used by nothing
    /// else until `dealloc` runs (without a hook: until the arena and every
    /// buffer and `Bytes` from it are gone).
    pub unsafe fn from_raw(
        ptr: NonNull<u8>,
        len: usize,
        slot_size: usize,
        dealloc: Option<Dealloc>,
    ) -> FixedArenaBuilder {
        FixedArena::builder(0, slot_size).memory(ptr, len, dealloc)
    }

    /// A buffer over a free slot; [`Error::Full`] when every slot is out.
    #[inline]
    pub fn allocate(&self) -> Result<Buffer> {
        match self.shared().claim() {
            Some(token) => Ok(self.buffer(token)),
            None => Err(self.full()),
        }
    }

    /// Like [`FixedArena::allocate`], with `None` when every slot is out
    /// (not counted as a failure: the caller reports it, or retries).
    #[inline]
    pub(crate) fn try_allocate(&self) -> Option<Buffer> {
        self.shared().claim().map(|token| self.buffer(token))
    }

    /// [`FixedArena::allocate`] without the error value: `None` (counted as
    /// a failure) when every slot is out. The buffer comes back in an
    /// `Option`, which has the buffer's own layout, so a caller that wraps
    /// it (arn::compat) does not copy it between layouts.
    #[inline]
    pub(crate) fn allocate_or_none(&self) -> Option<Buffer> {
        let buf = self.try_allocate();
        if buf.is_none() {
            self.count_failure();
        }
        buf
    }

    #[cold]
    #[inline(never)]
    fn count_failure(&self) {
        self.shared().failures.fetch_add(1, Ordering::Relaxed);
    }

    /// Like [`FixedArena::allocate`], but waits up to `timeout` for a slot
    /// to come back; [`Error::Timeout`] when none did.
    pub fn allocate_timeout(&self, timeout: Duration) -> Result<Buffer> {
        let s = self.shared();
        if let Some(token) = s.claim() {
            return Ok(self.buffer(token));
        }
        match s.waiters.block(timeout, &|on| s.arm(on), &mut || s.claim()) {
            Some(token) => Ok(self.buffer(token)),
            None => {
                s.failures.fetch_add(1, Ordering::Relaxed);
                Err(Error::timeout("fixed arena", timeout))
            }
        }
    }

    /// Waits, without blocking the thread, until a slot is free.
    #[cfg(feature = "async")]
    pub async fn allocate_async(&self) -> Buffer {
        let s = self.shared();
        let token = s.waiters.wait(&|on| s.arm(on), &mut || s.claim()).await;
        self.buffer(token)
    }

    #[inline(always)]
    fn buffer(&self, token: usize) -> Buffer {
        let s = self.shared();
        let slot = Shared::slot_of(token);
        SlotCounts::bump(&s.counts[slot].claims);
        let home = Home {
            store: self.shared.cast(),
            ops: &OPS,
            token,
        };
        Buffer::new(s.slot_ptr(slot), s.slot_size, home, s.auto_spill)
    }

    #[cold]
    #[inline(never)]
    fn full(&self) -> Error {
        let s = self.shared();
        s.failures.fetch_add(1, Ordering::Relaxed);
        Error::Full {
            what: "fixed arena",
            capacity: s.count,
        }
    }

    /// Slots in the arena.
    pub fn slot_count(&self) -> usize {
        self.shared().count
    }

    /// Bytes per slot, rounded up to the alignment: every buffer's capacity.
    pub fn slot_size(&self) -> usize {
        self.shared().slot_size
    }

    /// A snapshot of the arena's counters.
    pub fn stats(&self) -> FixedStats {
        let s = self.shared();
        let live = s.live();
        let allocations: u64 = s
            .counts
            .iter()
            .map(|c| c.claims.load(Ordering::Relaxed))
            .sum();
        FixedStats {
            allocations,
            failures: s.failures.load(Ordering::Relaxed),
            frees: allocations.saturating_sub(live as u64),
            spills: s.spills.load(Ordering::Relaxed),
            bytes_live: live * s.slot_size,
            bytes_reserved: s.backing.len(),
            slots: s.count,
            slots_free: s.count - live,
            slot_size: s.slot_size,
            frozen: s
                .counts
                .iter()
                .map(|c| c.frozen.load(Ordering::Relaxed))
                .sum(),
        }
    }

    /// Faults every page in on the calling thread.
    pub(crate) fn fault_in(&self) {
        self.shared().backing.fault_in();
    }

    /// The old name of [`FixedArena::stats`], kept for one release.
    #[deprecated(note = "renamed stats")]
    pub fn metrics(&self) -> FixedStats {
        self.stats()
    }
}

impl Drop for FixedArena {
    fn drop(&mut self) {
        let s = self.shared();
        // One reference per word up front, so that a release emptying a
        // word never takes the handle's own reference.
        s.refs.fetch_add(s.words, Ordering::Relaxed);
        for w in 0..s.words {
            let prev = s.word(w).fetch_or(CLOSED, Ordering::AcqRel);
            if prev & SLOTS == s.fill(w) {
                s.refs.fetch_sub(1, Ordering::Relaxed);
            }
        }
        // SAFETY: the handle's reference.
        unsafe { Shared::unref(self.shared) };
    }
}

impl std::fmt::Debug for FixedArena {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixedArena")
            .field("slots", &self.slot_count())
            .field("slot_size", &self.slot_size())
            .finish()
    }
}

/// Configures a [`FixedArena`]; see [`FixedArena::builder`].
pub struct FixedArenaBuilder {
    slots: usize,
    slot_size: usize,
    opts: Options,
}

impl FixedArenaBuilder {
    /// Aligns every slot to `align` (a power of two up to 4096; default 8).
    /// The slot size is rounded up to a multiple of it, and the rounded
    /// size is every buffer's capacity.
    pub fn alignment(mut self, align: usize) -> Self {
        self.opts.align = Some(align);
        self
    }

    byte_arena_builder!(FixedArena, "slot");

    fn make(self, prefault: bool) -> std::result::Result<FixedArena, BuildError> {
        if self.slot_size == 0 {
            return Err(BuildError::Zero { what: "slot size" });
        }
        let align = self.opts.alignment(8)?;
        let overflow = |what| BuildError::Overflow { what };
        let stride = self
            .slot_size
            .checked_next_multiple_of(align)
            .ok_or(overflow("slot size"))?;
        let (len, count) = match self.opts.caller_len(align)? {
            None => {
                if self.slots == 0 {
                    return Err(BuildError::Zero { what: "slot count" });
                }
                let len = self
                    .slots
                    .checked_mul(stride)
                    .ok_or(overflow("slot count times slot size"))?;
                (len, self.slots)
            }
            Some(len) => {
                let count = len / stride;
                if count == 0 {
                    return Err(BuildError::Geometry(format!(
                        "{len} bytes of memory hold no slot of {stride} bytes"
                    )));
                }
                (len, count)
            }
        };
        let (zero, auto_spill) = (self.opts.zero(), self.opts.auto_spill);
        let mut opts = self.opts;
        let wake_hook = opts.wake_hook.take();
        let armed = wake_hook.is_some();
        let backing = opts.backing(len, prefault)?;
        let words = count.div_ceil(PER_WORD);
        let used_in_last = count - (words - 1) * PER_WORD;
        let tail = SLOTS & !((1u64 << used_in_last) - 1);
        let lines: Box<[Line]> = (0..words.div_ceil(LINE_WORDS))
            .map(|l| {
                Line(std::array::from_fn(|i| {
                    let w = l * LINE_WORDS + i;
                    let v = if w + 1 < words {
                        0
                    } else if w + 1 == words {
                        tail
                    } else {
                        SLOTS
                    };
                    // A wake hook listens to every release: armed for good.
                    AtomicU64::new(if armed { v | WAIT } else { v })
                }))
            })
            .collect();
        Ok(FixedArena::from_shared(Shared {
            lines,
            words,
            tail,
            counts: (0..count)
                .map(|_| SlotCounts {
                    claims: AtomicU64::new(0),
                    frozen: AtomicU64::new(0),
                })
                .collect(),
            base: backing.base(),
            slot_size: stride,
            count,
            zero,
            auto_spill,
            refs: AtomicUsize::new(1),
            failures: AtomicU64::new(0),
            spills: AtomicU64::new(0),
            waiters: Waiters::new(wake_hook),
            backing,
        }))
    }
}
