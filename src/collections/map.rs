//! `ArenaMap`: a hash map whose table (hashbrown's `HashTable`: control
//! bytes, keys and values) lives in one arena block; and `ByteMap`, the
//! map of byte strings behind the C functions.
//!
//! Both keep their entries in a table of [`super::table`].
use std::alloc::Layout;
use std::borrow::Borrow;
use std::fmt;
use std::hash::Hash;
use std::mem::{self, ManuallyDrop};
use std::ptr::{self, NonNull};

use hashbrown::HashTable;

use crate::error::{Error, Result};
use crate::grow::{ArenaAlloc, GrowArena};

use super::hold::{Hold, room};
use super::table::{Bound, TableAlloc, capacity_of, hash_of, new_seed};

/// A hash map whose table lives in one block of an arena.
///
/// The table is hashbrown's `HashTable` (the SwissTable behind std's
/// `HashMap`), allocating from the arena: growing takes a new block and
/// frees the old one; drop drops the entries and frees the block. Each map
/// hashes with its own seed, so two maps do not share iteration orders or
/// collisions.
///
/// Fallible operations return [`Error`] instead of panicking or aborting:
/// the arena's memory source may refuse a chunk.
///
/// ```
/// # fn main() -> arn::Result<()> {
/// let arena = arn::GrowArena::new();
/// let mut ages = arn::ArenaMap::new_in(&arena);
/// ages.insert("ada", 36)?;
/// ages.insert("alan", 41)?;
/// assert_eq!(ages.get("ada"), Some(&36));
/// assert_eq!(ages.insert("ada", 37)?, Some(36));
/// assert_eq!(ages.len(), 2);
/// # Ok(()) }
/// ```
pub struct ArenaMap<'a, K, V, A: ArenaAlloc + ?Sized = GrowArena> {
    table: HashTable<(K, V), TableAlloc<&'a A>>,
    seed: u64,
}

// SAFETY: the map owns its entries; the arena is reached from the thread
// holding the map, so it must be `Sync`. The allocator's cells change only
// in calls that take `&mut self`.
unsafe impl<K: Send, V: Send, A: ArenaAlloc + Sync + ?Sized> Send for ArenaMap<'_, K, V, A> {}
// SAFETY: `&ArenaMap` gives only shared references, and no call through
// it allocates or frees.
unsafe impl<K: Sync, V: Sync, A: ArenaAlloc + Sync + ?Sized> Sync for ArenaMap<'_, K, V, A> {}

impl<'a, K: Hash + Eq, V, A: ArenaAlloc + ?Sized> ArenaMap<'a, K, V, A> {
    /// An empty map in `arena`; nothing is allocated until the first
    /// insert.
    pub fn new_in(arena: &'a A) -> Self {
        let addr = arena as *const A as *const u8 as usize;
        ArenaMap {
            table: HashTable::new_in(TableAlloc::new(arena)),
            seed: new_seed(addr),
        }
    }

    /// An empty map with room for `capacity` entries before it grows.
    ///
    /// Errors: [`Error::InvalidArgument`] when the size overflows; the
    /// arena's errors.
    ///
    /// ```
    /// # fn main() -> arn::Result<()> {
    /// let arena = arn::GrowArena::new();
    /// let m = arn::ArenaMap::<u64, u64>::with_capacity_in(1000, &arena)?;
    /// assert!(m.capacity() >= 1000);
    /// # Ok(()) }
    /// ```
    pub fn with_capacity_in(capacity: usize, arena: &'a A) -> Result<Self> {
        let mut m = Self::new_in(arena);
        let seed = m.seed;
        m.table
            .try_reserve(capacity, |(k, _)| hash_of(seed, k))
            .map_err(|e| m.table.allocator().error(e, capacity))?;
        Ok(m)
    }

    /// The arena the storage lives in.
    pub fn arena(&self) -> &'a A {
        self.table.allocator().reach
    }

    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether there are no entries.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// How many entries the table holds before it grows (removals may
    /// make it rebuild at this size sooner).
    pub fn capacity(&self) -> usize {
        capacity_of(self.table.num_buckets())
    }

    /// Room for one more entry. On error nothing changed.
    #[inline(always)]
    fn reserve_one(&mut self) -> Result<()> {
        let seed = self.seed;
        match self.table.try_reserve(1, |(k, _)| hash_of(seed, k)) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.table.allocator().error(e, self.table.len() + 1)),
        }
    }

    /// Puts `value` under `key`, returning the value it replaces. On error
    /// (no memory to grow) the map is unchanged and `key`, `value` are
    /// dropped; replacing the value of a present key never fails.
    #[inline]
    pub fn insert(&mut self, key: K, value: V) -> Result<Option<V>> {
        let seed = self.seed;
        let hash = hash_of(seed, &key);
        if let Err(e) = self.reserve_one() {
            return match self.table.find_mut(hash, |(k, _)| *k == key) {
                Some((_, v)) => Ok(Some(mem::replace(v, value))),
                None => Err(e),
            };
        }
        match self
            .table
            .entry(hash, |(k, _)| *k == key, |(k, _)| hash_of(seed, k))
        {
            hashbrown::hash_table::Entry::Occupied(mut e) => {
                Ok(Some(mem::replace(&mut e.get_mut().1, value)))
            }
            hashbrown::hash_table::Entry::Vacant(e) => {
                e.insert((key, value));
                Ok(None)
            }
        }
    }

    /// Puts `value` under `key` only when `key` is absent: `Ok(true)` when
    /// it was added, `Ok(false)` (dropping `key` and `value`) when present.
    ///
    /// ```
    /// # fn main() -> arn::Result<()> {
    /// let arena = arn::GrowArena::new();
    /// let mut m = arn::ArenaMap::new_in(&arena);
    /// assert!(m.add_if_absent(1, "one")?);
    /// assert!(!m.add_if_absent(1, "uno")?);
    /// assert_eq!(m[&1], "one");
    /// # Ok(()) }
    /// ```
    pub fn add_if_absent(&mut self, key: K, value: V) -> Result<bool> {
        let seed = self.seed;
        let hash = hash_of(seed, &key);
        if self.table.find(hash, |(k, _)| *k == key).is_some() {
            return Ok(false);
        }
        self.reserve_one()?;
        self.table
            .insert_unique(hash, (key, value), |(k, _)| hash_of(seed, k));
        Ok(true)
    }

    /// The value under `key`.
    #[inline]
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get_key_value(key).map(|(_, v)| v)
    }

    /// The value under `key`, to change.
    ///
    /// ```
    /// # fn main() -> arn::Result<()> {
    /// let arena = arn::GrowArena::new();
    /// let mut m = arn::ArenaMap::new_in(&arena);
    /// m.insert("hits", 1)?;
    /// *m.get_mut("hits").unwrap() += 1;
    /// assert_eq!(m.get("hits"), Some(&2));
    /// # Ok(()) }
    /// ```
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = hash_of(self.seed, key);
        self.table
            .find_mut(hash, |(k, _)| k.borrow() == key)
            .map(|(_, v)| v)
    }

    /// The stored key and value under `key`.
    #[inline]
    pub fn get_key_value<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = hash_of(self.seed, key);
        self.table
            .find(hash, |(k, _)| k.borrow() == key)
            .map(|(k, v)| (k, v))
    }

    /// Whether `key` has a value.
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get_key_value(key).is_some()
    }

    /// Removes `key`, returning its value.
    ///
    /// ```
    /// # fn main() -> arn::Result<()> {
    /// let arena = arn::GrowArena::new();
    /// let mut m = arn::ArenaMap::new_in(&arena);
    /// m.insert(String::from("k"), 1)?;
    /// assert_eq!(m.remove("k"), Some(1));
    /// assert_eq!(m.remove("k"), None);
    /// # Ok(()) }
    /// ```
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = hash_of(self.seed, key);
        let entry = self.table.find_entry(hash, |(k, _)| k.borrow() == key);
        entry.ok().map(|e| e.remove().0.1)
    }

    /// Drops every entry; the storage stays for reuse.
    pub fn clear(&mut self) {
        self.table.clear();
    }

    /// Every entry, in an order that depends on the map's seed.
    ///
    /// ```
    /// # fn main() -> arn::Result<()> {
    /// let arena = arn::GrowArena::new();
    /// let mut m = arn::ArenaMap::new_in(&arena);
    /// for i in 0..10u32 {
    ///     m.insert(i, i * i)?;
    /// }
    /// let sum: u32 = m.iter().map(|(_, v)| v).sum();
    /// assert_eq!(sum, 285);
    /// # Ok(()) }
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        self.table.iter().map(|(k, v)| (k, v))
    }

    /// The storage block, if any (for the audit).
    pub(crate) fn storage(&self) -> Option<NonNull<u8>> {
        self.table.allocator().block()
    }
}

impl<K, V, Q, A> std::ops::Index<&Q> for ArenaMap<'_, K, V, A>
where
    K: Hash + Eq + Borrow<Q>,
    Q: Hash + Eq + ?Sized,
    A: ArenaAlloc + ?Sized,
{
    type Output = V;

    /// The value under `key`; panics when there is none (use
    /// [`get`](ArenaMap::get) to ask).
    fn index(&self, key: &Q) -> &V {
        self.get(key).expect("no entry for the key in the ArenaMap")
    }
}

impl<K: Hash + Eq + fmt::Debug, V: fmt::Debug, A: ArenaAlloc + ?Sized> fmt::Debug
    for ArenaMap<'_, K, V, A>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// A byte string copied into an arena block (or, when empty, no block).
/// It does not free itself: [`ByteMap`] frees its blocks.
#[derive(Clone, Copy)]
pub(crate) struct ByteStr {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: plain bytes owned by the map that holds this.
unsafe impl Send for ByteStr {}

impl ByteStr {
    /// # Safety
    ///
    /// `src` is valid for reading `len` bytes (or `len` is 0).
    unsafe fn copy_in(arena: &dyn ArenaAlloc, src: *const u8, len: usize) -> Result<ByteStr> {
        if len == 0 {
            return Ok(ByteStr {
                ptr: NonNull::dangling(),
                len: 0,
            });
        }
        let layout =
            Layout::from_size_align(len, 1).map_err(|_| Error::invalid(format!("{len} bytes")))?;
        let ptr = arena.alloc(layout)?;
        crate::track::handed_out(ptr.as_ptr(), len);
        // The rest of the arena's block: a read past the value is reported.
        // SAFETY: `len` is inside the block.
        let tail = unsafe { ptr.as_ptr().add(len) };
        crate::track::taken_back(tail, room(arena, ptr.as_ptr(), len) - len);
        // SAFETY: the caller's promise; the new block cannot overlap a
        // source the caller still owns.
        unsafe { ptr::copy_nonoverlapping(src, ptr.as_ptr(), len) };
        Ok(ByteStr { ptr, len })
    }

    /// Gives the block back through the map's `hold`.
    ///
    /// # Safety
    ///
    /// The block was not freed, `arena` is the one it came from.
    unsafe fn free(self, arena: &dyn ArenaAlloc, hold: &mut Hold) {
        if self.len > 0 {
            // SAFETY: the caller's promise.
            let freed = unsafe { hold.free(arena, self.ptr, self.len) };
            debug_assert!(freed.is_ok(), "map bytes refused: {freed:?}");
        }
    }

    pub(crate) fn as_ptr(&self) -> *const u8 {
        self.ptr.as_ptr()
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: a live block of `len` bytes, or dangling with `len` 0
        // (the map keeps its blocks alive while it is used).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

/// Whether two byte strings are equal; keys of 8 to 16 bytes (integers,
/// pointers, short names) with two loads each instead of a `memcmp` call.
#[inline(always)]
pub(super) fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if (8..=16).contains(&n) {
        // The first 8 and the last 8 bytes (overlapping below 16) cover
        // all `n`.
        let word =
            |s: &[u8], at: usize| u64::from_ne_bytes(s[at..at + 8].try_into().expect("8 bytes"));
        return word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8);
    }
    a == b
}

/// The table of a C map.
type ByteTable = HashTable<(ByteStr, ByteStr), TableAlloc<Bound>>;

/// The map behind the C functions: byte-string keys and values, each
/// copied into its own arena block. Like [`ByteVec`](super::vec::ByteVec)
/// it holds no reference to its arena; every call gets it passed in and
/// binds the table's allocator to it for that call only.
///
/// The table is never dropped implicitly: once the arena is reset or
/// freed the C layer drops the map without calling [`ByteMap::free`], and
/// the table (and its entries' blocks) must go with the arena untouched.
pub(crate) struct ByteMap {
    table: ManuallyDrop<ByteTable>,
    seed: u64,
    /// Key and value blocks given up (the tracking build keeps them
    /// poisoned for a while).
    old: Hold,
}

impl ByteMap {
    /// An empty map with room for `capacity` entries.
    pub(crate) fn new(arena: &dyn ArenaAlloc, capacity: usize) -> Result<ByteMap> {
        let mut m = ByteMap {
            table: ManuallyDrop::new(HashTable::new_in(TableAlloc::new(Bound::default()))),
            seed: new_seed(arena as *const dyn ArenaAlloc as *const u8 as usize),
            old: Hold::default(),
        };
        let seed = m.seed;
        m.with(arena, |t| {
            t.try_reserve(capacity, |(k, _)| hash_of(seed, k.bytes()))
                .map_err(|e| t.allocator().error(e, capacity))
        })?;
        Ok(m)
    }

    /// Runs `f` on the table with its allocator bound to `arena`.
    #[inline]
    fn with<R>(&mut self, arena: &dyn ArenaAlloc, f: impl FnOnce(&mut ByteTable) -> R) -> R {
        self.table.allocator().reach.bind(arena);
        let r = f(&mut self.table);
        self.table.allocator().reach.unbind();
        r
    }

    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    /// Puts a copy of `val` under a copy of `key`; the value it replaces
    /// is freed. On error the map is unchanged.
    ///
    /// # Safety
    ///
    /// `key`, `val` are readable for their lengths; `arena` is the map's.
    pub(crate) unsafe fn put(
        &mut self,
        arena: &dyn ArenaAlloc,
        key: &[u8],
        val: &[u8],
    ) -> Result<()> {
        let seed = self.seed;
        let hash = hash_of(seed, key);
        if let Some((_, old)) = self.table.find_mut(hash, |(k, _)| same(k.bytes(), key)) {
            // The same length: overwritten in place, unless the tracking
            // build is to catch reads through the old value's pointer.
            if !crate::track::ON && old.len == val.len() {
                // SAFETY: the old value's live block holds `len` bytes;
                // `val` (the caller's promise) may be that very block,
                // which `copy` allows.
                unsafe { ptr::copy(val.as_ptr(), old.ptr.as_ptr(), val.len()) };
                return Ok(());
            }
            // The value is copied first: `val` may lie in the block it
            // replaces. SAFETY: the caller's promise.
            let v = unsafe { ByteStr::copy_in(arena, val.as_ptr(), val.len()) }?;
            let old = mem::replace(old, v);
            // SAFETY: the replaced value's block, no longer referenced.
            unsafe { old.free(arena, &mut self.old) };
            return Ok(());
        }
        // SAFETY: the caller's promise.
        let v = unsafe { ByteStr::copy_in(arena, val.as_ptr(), val.len()) }?;
        // SAFETY: as above.
        let k = match unsafe { ByteStr::copy_in(arena, key.as_ptr(), key.len()) } {
            Ok(k) => k,
            Err(e) => {
                // SAFETY: the value block made above, referenced nowhere.
                unsafe { v.free(arena, &mut self.old) };
                return Err(e);
            }
        };
        let added = self.with(arena, |t| {
            t.try_reserve(1, |(k, _)| hash_of(seed, k.bytes()))
                .map_err(|e| t.allocator().error(e, t.len() + 1))?;
            t.insert_unique(hash, (k, v), |(k, _)| hash_of(seed, k.bytes()));
            Ok(())
        });
        if added.is_err() {
            // SAFETY: both blocks made above, referenced nowhere.
            unsafe {
                k.free(arena, &mut self.old);
                v.free(arena, &mut self.old);
            }
        }
        added
    }

    /// Puts copies of `key`, `val` only when `key` is absent; whether they
    /// were added.
    ///
    /// # Safety
    ///
    /// As for [`ByteMap::put`].
    pub(crate) unsafe fn add_if_absent(
        &mut self,
        arena: &dyn ArenaAlloc,
        key: &[u8],
        val: &[u8],
    ) -> Result<bool> {
        if self.get(key).is_some() {
            return Ok(false);
        }
        // SAFETY: the caller's promise.
        unsafe { self.put(arena, key, val) }?;
        Ok(true)
    }

    /// The value under `key`.
    pub(crate) fn get(&self, key: &[u8]) -> Option<ByteStr> {
        let hash = hash_of(self.seed, key);
        self.table
            .find(hash, |(k, _)| same(k.bytes(), key))
            .map(|&(_, v)| v)
    }

    /// Removes `key` and frees its blocks; whether it was there.
    ///
    /// # Safety
    ///
    /// `arena` is the map's.
    pub(crate) unsafe fn remove(&mut self, arena: &dyn ArenaAlloc, key: &[u8]) -> bool {
        let hash = hash_of(self.seed, key);
        let Ok(entry) = self.table.find_entry(hash, |(k, _)| same(k.bytes(), key)) else {
            return false;
        };
        let ((k, v), _) = entry.remove();
        // SAFETY: the removed entry's blocks.
        unsafe {
            k.free(arena, &mut self.old);
            v.free(arena, &mut self.old);
        }
        true
    }

    /// Removes every entry and frees its blocks; the table stays.
    ///
    /// # Safety
    ///
    /// `arena` is the map's.
    pub(crate) unsafe fn clear(&mut self, arena: &dyn ArenaAlloc) {
        for &(k, v) in self.table.iter() {
            // SAFETY: each entry's blocks, forgotten by the clear below.
            unsafe {
                k.free(arena, &mut self.old);
                v.free(arena, &mut self.old);
            }
        }
        self.table.clear();
    }

    /// Every entry (key, value), in table order.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (ByteStr, ByteStr)> + '_ {
        self.table.iter().copied()
    }

    /// Keys of the entries whose value holds, at byte `offset`, a pointer
    /// that is neither NULL nor managed by `arena` (values shorter than
    /// `offset` + pointer size are skipped) or whose own key or value block
    /// `arena` does not manage (never expected); plus `None` when the
    /// table's block is not managed (never expected either).
    pub(crate) fn audit(&self, arena: &dyn ArenaAlloc, offset: usize) -> Vec<Option<ByteStr>> {
        let width = mem::size_of::<usize>();
        let mut found = Vec::new();
        if let Some(p) = self.table.allocator().block()
            && !arena.is_managed(p.as_ptr())
        {
            found.push(None);
        }
        let foreign = |p: *const u8| !p.is_null() && !arena.is_managed(p);
        for (k, v) in self.entries() {
            let own = [k, v].iter().any(|b| b.len > 0 && foreign(b.as_ptr()));
            let field = offset
                .checked_add(width)
                .filter(|&end| end <= v.len)
                .is_some_and(|end| {
                    let bytes = &v.bytes()[offset..end];
                    let addr = usize::from_ne_bytes(bytes.try_into().expect("pointer width"));
                    foreign(ptr::without_provenance(addr))
                });
            if own || field {
                found.push(Some(k));
            }
        }
        found
    }

    /// How many given-up key and value blocks the map holds (tracking
    /// build).
    #[cfg(all(test, not(arn_loom)))]
    pub(super) fn held(&self) -> usize {
        self.old.len()
    }

    /// Frees every block of the map.
    ///
    /// # Safety
    ///
    /// `arena` is the map's, not reset since the map was made.
    pub(crate) unsafe fn free(mut self, arena: &dyn ArenaAlloc) {
        // SAFETY: the caller's promise.
        unsafe {
            self.clear(arena);
            let released = self.old.release(arena);
            debug_assert!(released.is_ok(), "map bytes refused: {released:?}");
        }
        // SAFETY: the table is taken once, here, and dropped with its
        // allocator bound to its own arena, so its block goes back there.
        let table = unsafe { ManuallyDrop::take(&mut self.table) };
        table.allocator().reach.bind(arena);
        drop(table);
    }
}
