//! The hash table under both maps: an open-addressing table whose
//! control bytes, keys and values all live in one arena block.
//!
//! Layout: `buckets` (a power of two, at least [`GROUP`]) control bytes,
//! then [`GROUP`] more that mirror the first ones so a group can be read
//! at any bucket without wrapping, then the `(K, V)` slots. A control byte
//! is [`EMPTY`], [`DELETED`] (a tombstone) or the top 7 bits of a full
//! slot's hash. A lookup reads 8 control bytes at once as a `u64` and
//! compares all of them in a few word operations, then compares keys only
//! where the 7 bits matched; it probes groups in triangular steps and
//! stops at the first group with an empty byte.
//!
//! The table grows at 7/8 full. A removal leaves a tombstone only when a
//! probe may have passed the slot (its window of 8 was ever full); when
//! tombstones eat the room for growth, the table is rebuilt at the same
//! size if at most half of it is live, else at double the size.

use std::alloc::Layout;
use std::borrow::Borrow;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::mem;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};
use crate::grow::ArenaAlloc;
use crate::hash::{K0, K1, MixHasher, fold};

const GROUP: usize = 8;
const EMPTY: u8 = 0xFF;
const DELETED: u8 = 0x80;
const HI: u64 = 0x8080_8080_8080_8080;
const LO: u64 = 0x0101_0101_0101_0101;

/// A fresh seed for each map: a global counter and an address, mixed.
pub(super) fn new_seed(addr: usize) -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let here = &COUNTER as *const AtomicU64 as u64;
    fold(n.wrapping_add(K0) ^ here, (addr as u64) ^ K1) | 1
}

/// One group of 8 control bytes, read as a little-endian word.
#[derive(Clone, Copy)]
struct Group(u64);

impl Group {
    /// # Safety
    ///
    /// `p` is valid for reading 8 bytes.
    #[inline(always)]
    unsafe fn load(p: *const u8) -> Group {
        // SAFETY: the caller's promise.
        Group(u64::from_le(unsafe { p.cast::<u64>().read_unaligned() }))
    }

    /// Bytes equal to `b` (may report a false match next to a real one;
    /// keys are compared anyway).
    #[inline(always)]
    fn matching(self, b: u8) -> Bits {
        let x = self.0 ^ (LO * u64::from(b));
        Bits(x.wrapping_sub(LO) & !x & HI)
    }

    #[inline(always)]
    fn empty(self) -> Bits {
        Bits(self.0 & (self.0 << 1) & HI)
    }

    #[inline(always)]
    fn empty_or_deleted(self) -> Bits {
        Bits(self.0 & HI)
    }

    #[inline(always)]
    fn full(self) -> Bits {
        Bits(!self.0 & HI)
    }
}

/// The high bit of each selected byte of a group.
#[derive(Clone, Copy)]
struct Bits(u64);

impl Bits {
    #[inline(always)]
    fn any(self) -> bool {
        self.0 != 0
    }

    #[inline(always)]
    fn first(self) -> usize {
        self.0.trailing_zeros() as usize / 8
    }

    /// Selected bytes before the first unselected one, from the top.
    #[inline(always)]
    fn leading_unset(self) -> usize {
        self.0.leading_zeros() as usize / 8
    }
}

impl Iterator for Bits {
    type Item = usize;

    #[inline(always)]
    fn next(&mut self) -> Option<usize> {
        if self.0 == 0 {
            return None;
        }
        let i = self.first();
        self.0 &= self.0 - 1;
        Some(i)
    }
}

/// How many entries `buckets` buckets hold before growing (7/8).
#[inline]
pub(super) fn capacity_of(buckets: usize) -> usize {
    buckets - buckets / 8
}

/// The bucket count for `n` entries.
pub(super) fn buckets_for(n: usize) -> Option<usize> {
    let min = n.checked_mul(8)?.div_ceil(7).max(GROUP);
    min.checked_next_power_of_two()
}

/// The table: the hash-and-probe machinery shared by both maps. It owns
/// its entries but not its arena: each call that allocates or frees gets
/// the arena, which must always be the same one.
pub(super) struct RawTable<K, V> {
    /// Control bytes, followed by the slots at `slots_offset`; dangling
    /// while `buckets == 0`.
    ctrl: NonNull<u8>,
    pub(super) buckets: usize,
    pub(super) items: usize,
    /// Entries that may still go into empty (not deleted) buckets.
    growth_left: usize,
    seed: u64,
    _own: PhantomData<(K, V)>,
}

// SAFETY: the table owns its `K`s and `V`s, like a `HashMap`.
unsafe impl<K: Send, V: Send> Send for RawTable<K, V> {}
// SAFETY: `&RawTable` gives only shared references to entries.
unsafe impl<K: Sync, V: Sync> Sync for RawTable<K, V> {}

impl<K, V> RawTable<K, V> {
    pub(super) fn new(seed: u64) -> Self {
        RawTable {
            ctrl: NonNull::dangling(),
            buckets: 0,
            items: 0,
            growth_left: 0,
            seed,
            _own: PhantomData,
        }
    }

    /// Byte offset of the slots from the start of the block, and the
    /// block's layout, for `buckets` buckets.
    fn layout(buckets: usize) -> Option<(usize, Layout)> {
        let ctrl = Layout::array::<u8>(buckets.checked_add(GROUP)?).ok()?;
        let slots = Layout::array::<(K, V)>(buckets).ok()?;
        let (all, offset) = ctrl.extend(slots).ok()?;
        Some((offset, all))
    }

    #[inline(always)]
    fn mask(&self) -> usize {
        self.buckets.wrapping_sub(1)
    }

    #[inline(always)]
    fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
        let mut h = MixHasher::new(self.seed);
        key.hash(&mut h);
        h.finish()
    }

    #[inline(always)]
    fn h2(hash: u64) -> u8 {
        (hash >> 57) as u8
    }

    #[inline(always)]
    fn ctrl_at(&self, i: usize) -> u8 {
        // SAFETY: `i < buckets + GROUP`, inside the control bytes.
        unsafe { *self.ctrl.as_ptr().add(i) }
    }

    #[inline(always)]
    fn group(&self, pos: usize) -> Group {
        // SAFETY: `pos < buckets`, and `GROUP` mirror bytes follow.
        unsafe { Group::load(self.ctrl.as_ptr().add(pos)) }
    }

    /// Sets bucket `i`'s control byte and its mirror.
    #[inline(always)]
    fn set_ctrl(&mut self, i: usize, b: u8) {
        let mirror = (i.wrapping_sub(GROUP) & self.mask()) + GROUP;
        // SAFETY: both indexes are below `buckets + GROUP`.
        unsafe {
            *self.ctrl.as_ptr().add(i) = b;
            *self.ctrl.as_ptr().add(mirror) = b;
        }
    }

    #[inline(always)]
    pub(super) fn slot(&self, i: usize) -> *mut (K, V) {
        // SAFETY: `i < buckets`: inside the slots.
        unsafe {
            self.ctrl
                .as_ptr()
                .add(self.slots_offset_fast())
                .cast::<(K, V)>()
                .add(i)
        }
    }

    /// The slots' offset without the overflow checks of `layout` (the
    /// table exists, so they passed when it was made).
    #[inline(always)]
    fn slots_offset_fast(&self) -> usize {
        let align = mem::align_of::<(K, V)>();
        (self.buckets + GROUP + align - 1) & !(align - 1)
    }

    /// The bucket holding `key`.
    #[inline]
    fn find<Q>(&self, hash: u64, key: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        if self.items == 0 {
            return None;
        }
        let h2 = Self::h2(hash);
        let mask = self.mask();
        let mut pos = hash as usize & mask;
        let mut stride = 0;
        loop {
            let g = self.group(pos);
            for bit in g.matching(h2) {
                let i = (pos + bit) & mask;
                // SAFETY: a matching control byte marks a full slot.
                if unsafe { (*self.slot(i)).0.borrow() } == key {
                    return Some(i);
                }
            }
            if g.empty().any() {
                return None;
            }
            stride += GROUP;
            pos = (pos + stride) & mask;
        }
    }

    /// The first empty or deleted bucket on `hash`'s probe sequence.
    #[inline]
    fn find_free(&self, hash: u64) -> usize {
        let mask = self.mask();
        let mut pos = hash as usize & mask;
        let mut stride = 0;
        loop {
            let free = self.group(pos).empty_or_deleted();
            if free.any() {
                return (pos + free.first()) & mask;
            }
            stride += GROUP;
            pos = (pos + stride) & mask;
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.items
    }

    /// Total bytes of the table's block (0 while it has none).
    pub(crate) fn storage(&self) -> Option<NonNull<u8>> {
        (self.buckets > 0).then_some(self.ctrl)
    }

    pub(crate) fn get<Q>(&self, key: &Q) -> Option<&(K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let i = self.find(self.hash(key), key)?;
        // SAFETY: a found bucket is full.
        Some(unsafe { &*self.slot(i) })
    }

    pub(crate) fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut (K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let i = self.find(self.hash(key), key)?;
        // SAFETY: a found bucket is full; `&mut self` is unique.
        Some(unsafe { &mut *self.slot(i) })
    }

    /// The bucket holding `key` (`Ok`), or else the first empty or deleted
    /// bucket on its probe sequence (`Err`), in one walk.
    #[inline(always)]
    fn find_or_free<Q>(&self, hash: u64, key: &Q) -> std::result::Result<usize, usize>
    where
        K: Borrow<Q>,
        Q: Eq + ?Sized,
    {
        let h2 = Self::h2(hash);
        let mask = self.mask();
        let mut pos = hash as usize & mask;
        let mut stride = 0;
        let mut free = None;
        loop {
            let g = self.group(pos);
            for bit in g.matching(h2) {
                let i = (pos + bit) & mask;
                // SAFETY: a matching control byte marks a full slot.
                if unsafe { (*self.slot(i)).0.borrow() } == key {
                    return Ok(i);
                }
            }
            if free.is_none() {
                let f = g.empty_or_deleted();
                if f.any() {
                    free = Some((pos + f.first()) & mask);
                }
            }
            if g.empty().any() {
                return Err(free.expect("a group with an empty byte has a free one"));
            }
            stride += GROUP;
            pos = (pos + stride) & mask;
        }
    }

    /// Inserts `(key, value)` when `key` is absent: `Ok(None)`. When it is
    /// present, returns the pair unused and leaves the table alone:
    /// `Ok(Some(i, key, value))`, `i` being the present entry's bucket.
    #[inline(always)]
    pub(super) fn insert_new<A: ArenaAlloc + ?Sized>(
        &mut self,
        arena: &A,
        key: K,
        value: V,
    ) -> Result<Option<(usize, K, V)>>
    where
        K: Hash + Eq,
    {
        let hash = self.hash(&key);
        let mut i = if self.buckets == 0 {
            usize::MAX
        } else {
            match self.find_or_free(hash, &key) {
                Ok(i) => return Ok(Some((i, key, value))),
                Err(i) => i,
            }
        };
        if i == usize::MAX || (self.growth_left == 0 && self.ctrl_at(i) == EMPTY) {
            self.make_room(arena)?;
            i = self.find_free(hash);
        }
        self.growth_left -= usize::from(self.ctrl_at(i) == EMPTY);
        self.set_ctrl(i, Self::h2(hash));
        // SAFETY: bucket `i` was free and is now marked full.
        unsafe { self.slot(i).write((key, value)) };
        self.items += 1;
        Ok(None)
    }

    /// Rebuilds the table with room for one more entry: at the same size
    /// when at most half of it is live (dropping the tombstones), else
    /// doubled.
    #[cold]
    #[inline(never)]
    fn make_room<A: ArenaAlloc + ?Sized>(&mut self, arena: &A) -> Result<()>
    where
        K: Hash,
    {
        let full = if self.buckets == 0 {
            0
        } else {
            capacity_of(self.buckets)
        };
        let want = if self.items < full / 2 {
            full
        } else {
            (self.items + 1).max(full + 1)
        };
        self.rebuild(arena, want)
    }

    /// Moves every entry into a new block with room for `n` entries.
    /// On error the table is unchanged.
    pub(super) fn rebuild<A: ArenaAlloc + ?Sized>(&mut self, arena: &A, n: usize) -> Result<()>
    where
        K: Hash,
    {
        let overflow = || Error::invalid(format!("map of {n} entries overflows the address space"));
        let buckets = buckets_for(n.max(self.items)).ok_or_else(overflow)?;
        let (_, layout) = Self::layout(buckets).ok_or_else(overflow)?;
        let block = arena.alloc(layout)?;
        // SAFETY: the control bytes lie at the start of the new block.
        unsafe { ptr::write_bytes(block.as_ptr(), EMPTY, buckets + GROUP) };
        let mut new = RawTable::<K, V> {
            ctrl: block,
            buckets,
            items: self.items,
            growth_left: capacity_of(buckets) - self.items,
            seed: self.seed,
            _own: PhantomData,
        };
        for i in self.full_buckets() {
            let src = self.slot(i);
            // SAFETY: a full slot; moved bitwise, the old block is freed
            // below without dropping.
            let hash = new.hash(unsafe { &(*src).0 });
            let j = new.find_free(hash);
            new.set_ctrl(j, Self::h2(hash));
            // SAFETY: `j` is a free bucket of the new table.
            unsafe { ptr::copy_nonoverlapping(src, new.slot(j), 1) };
        }
        // The old table has no `Drop`: replacing it only forgets its entries,
        // which now live in the new block.
        let old = mem::replace(self, new);
        if let Some(p) = old.storage() {
            // SAFETY: the old block, whose entries were moved out.
            let freed = unsafe { arena.free(p) };
            debug_assert!(freed.is_ok(), "map storage refused: {freed:?}");
        }
        Ok(())
    }

    /// The full buckets, in table order.
    fn full_buckets(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.buckets)
            .step_by(GROUP)
            .flat_map(move |pos| self.group(pos).full().map(move |b| pos + b))
            .filter(move |&i| i < self.buckets)
    }

    /// Takes the entry in bucket `i` out, leaving it empty or deleted.
    fn take(&mut self, i: usize) -> (K, V) {
        let mask = self.mask();
        let before = self.group(i.wrapping_sub(GROUP) & mask).empty();
        let after = self.group(i).empty();
        // A probe passed this bucket only if some window of 8 around it was
        // ever all full; when no such window exists it can be empty again.
        let b = if before.leading_unset() + after.first_unset() >= GROUP {
            DELETED
        } else {
            self.growth_left += 1;
            EMPTY
        };
        self.set_ctrl(i, b);
        self.items -= 1;
        // SAFETY: the bucket was full and is now marked free.
        unsafe { self.slot(i).read() }
    }

    pub(crate) fn remove<Q>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let i = self.find(self.hash(key), key)?;
        Some(self.take(i))
    }

    /// Drops every entry; the block stays.
    pub(crate) fn clear(&mut self) {
        if self.buckets == 0 {
            return;
        }
        if mem::needs_drop::<(K, V)>() {
            let full: Vec<usize> = self.full_buckets().collect();
            for i in full {
                // Mark the bucket free before dropping, so a panicking drop
                // cannot drop it twice.
                self.set_ctrl(i, EMPTY);
                self.items -= 1;
                // SAFETY: the bucket was full.
                unsafe { ptr::drop_in_place(self.slot(i)) };
            }
        }
        // SAFETY: the control bytes of the block.
        unsafe { ptr::write_bytes(self.ctrl.as_ptr(), EMPTY, self.buckets + GROUP) };
        self.items = 0;
        self.growth_left = capacity_of(self.buckets);
    }

    /// Every entry, in table order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &(K, V)> + '_ {
        // SAFETY: full buckets hold entries.
        self.full_buckets().map(move |i| unsafe { &*self.slot(i) })
    }

    /// Drops the entries and gives the block back.
    pub(super) fn free<A: ArenaAlloc + ?Sized>(&mut self, arena: &A) {
        self.clear();
        if let Some(p) = self.storage() {
            // SAFETY: the table's own block, no longer used.
            let freed = unsafe { arena.free(p) };
            debug_assert!(freed.is_ok(), "map storage refused: {freed:?}");
        }
        self.buckets = 0;
        self.growth_left = 0;
        self.ctrl = NonNull::dangling();
    }
}

impl Bits {
    /// Unselected bytes from the bottom before the first selected one.
    #[inline(always)]
    fn first_unset(self) -> usize {
        self.0.trailing_zeros() as usize / 8
    }
}
