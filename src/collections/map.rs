//! `ArenaMap`: an open-addressing hash map whose control bytes, keys and
//! values all live in one arena block; and `ByteMap`, the map of byte
//! strings behind the C functions.
//!
//! Both keep their entries in the table of [`super::table`].
use std::alloc::Layout;
use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::mem;
use std::ptr::{self, NonNull};

use crate::error::{Error, Result};
use crate::grow::{ArenaAlloc, GrowArena};

use super::table::{RawTable, capacity_of, new_seed};

/// A hash map whose control bytes, keys and values live in one arena
/// block; see the module documentation for the layout.
///
/// Growing allocates a new block in the arena and frees the old one; drop
/// drops the entries and frees the block. Each map has its own hash seed,
/// so two maps do not share iteration orders or collisions.
pub struct ArenaMap<'a, K, V, A: ArenaAlloc + ?Sized = GrowArena> {
    table: RawTable<K, V>,
    arena: &'a A,
}

// SAFETY: the map owns its entries; the arena is reached from the thread
// holding the map, so it must be `Sync`.
unsafe impl<K: Send, V: Send, A: ArenaAlloc + Sync + ?Sized> Send for ArenaMap<'_, K, V, A> {}
// SAFETY: `&ArenaMap` gives only shared references.
unsafe impl<K: Sync, V: Sync, A: ArenaAlloc + Sync + ?Sized> Sync for ArenaMap<'_, K, V, A> {}

impl<'a, K: Hash + Eq, V, A: ArenaAlloc + ?Sized> ArenaMap<'a, K, V, A> {
    /// An empty map in `arena`; nothing is allocated until the first
    /// insert.
    pub fn new_in(arena: &'a A) -> Self {
        let addr = arena as *const A as *const u8 as usize;
        ArenaMap {
            table: RawTable::new(new_seed(addr)),
            arena,
        }
    }

    /// An empty map with room for `capacity` entries before it grows.
    ///
    /// Errors: [`Error::InvalidArgument`] when the size overflows; the
    /// arena's errors.
    pub fn with_capacity_in(capacity: usize, arena: &'a A) -> Result<Self> {
        let mut m = Self::new_in(arena);
        if capacity > 0 {
            m.table.rebuild(arena, capacity)?;
        }
        Ok(m)
    }

    /// The arena the storage lives in.
    pub fn arena(&self) -> &'a A {
        self.arena
    }

    /// Number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.table.items
    }

    /// Whether there are no entries.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.table.items == 0
    }

    /// How many entries the table holds before it grows (removals may
    /// make it rebuild at this size sooner).
    pub fn capacity(&self) -> usize {
        if self.table.buckets == 0 {
            0
        } else {
            capacity_of(self.table.buckets)
        }
    }

    /// Puts `value` under `key`, returning the value it replaces. On error
    /// (no memory to grow) the map is unchanged and `key`, `value` are
    /// dropped.
    #[inline(always)]
    pub fn insert(&mut self, key: K, value: V) -> Result<Option<V>> {
        match self.table.insert_new(self.arena, key, value)? {
            None => Ok(None),
            Some((i, _key, value)) => {
                // SAFETY: a present entry's bucket is full.
                let slot = unsafe { &mut (*self.table.slot(i)).1 };
                Ok(Some(mem::replace(slot, value)))
            }
        }
    }

    /// Puts `value` under `key` only when `key` is absent: `Ok(true)` when
    /// it was added, `Ok(false)` (dropping `key` and `value`) when present.
    pub fn add_if_absent(&mut self, key: K, value: V) -> Result<bool> {
        Ok(self.table.insert_new(self.arena, key, value)?.is_none())
    }

    /// The value under `key`.
    #[inline]
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.table.get(key).map(|(_, v)| v)
    }

    /// The value under `key`, to change.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.table.get_mut(key).map(|(_, v)| v)
    }

    /// The stored key and value under `key`.
    pub fn get_key_value<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.table.get(key).map(|(k, v)| (k, v))
    }

    /// Whether `key` has a value.
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.table.get(key).is_some()
    }

    /// Removes `key`, returning its value.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.table.remove(key).map(|(_, v)| v)
    }

    /// Drops every entry; the storage stays for reuse.
    pub fn clear(&mut self) {
        self.table.clear();
    }

    /// Every entry, in an order that depends on the map's seed.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        self.table.iter().map(|(k, v)| (k, v))
    }

    /// The storage block, if any (for the audit).
    pub(crate) fn storage(&self) -> Option<NonNull<u8>> {
        self.table.storage()
    }
}

impl<K, V, A: ArenaAlloc + ?Sized> Drop for ArenaMap<'_, K, V, A> {
    fn drop(&mut self) {
        self.table.free(self.arena);
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
        // SAFETY: the caller's promise; the new block cannot overlap a
        // source the caller still owns.
        unsafe { ptr::copy_nonoverlapping(src, ptr.as_ptr(), len) };
        Ok(ByteStr { ptr, len })
    }

    /// # Safety
    ///
    /// The block was not freed, `arena` is the one it came from.
    unsafe fn free(self, arena: &dyn ArenaAlloc) {
        if self.len > 0 {
            // SAFETY: the caller's promise.
            let freed = unsafe { arena.free(self.ptr) };
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

impl Borrow<[u8]> for ByteStr {
    fn borrow(&self) -> &[u8] {
        self.bytes()
    }
}

impl Hash for ByteStr {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.bytes().hash(h);
    }
}

impl PartialEq for ByteStr {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for ByteStr {}

/// The map behind the C functions: byte-string keys and values, each
/// copied into its own arena block. Like [`ByteVec`](super::vec::ByteVec)
/// it holds no reference to its arena; every call gets it passed in.
pub(crate) struct ByteMap {
    table: RawTable<ByteStr, ByteStr>,
}

impl ByteMap {
    /// An empty map with room for `capacity` entries.
    pub(crate) fn new(arena: &dyn ArenaAlloc, capacity: usize) -> Result<ByteMap> {
        let mut table = RawTable::new(new_seed(
            arena as *const dyn ArenaAlloc as *const u8 as usize,
        ));
        if capacity > 0 {
            table.rebuild(arena, capacity)?;
        }
        Ok(ByteMap { table })
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
        // SAFETY: the caller's promise.
        let v = unsafe { ByteStr::copy_in(arena, val.as_ptr(), val.len()) }?;
        if let Some((_, old)) = self.table.get_mut(key) {
            let old = mem::replace(old, v);
            // SAFETY: the replaced value's block, no longer referenced.
            unsafe { old.free(arena) };
            return Ok(());
        }
        // SAFETY: as above.
        let k = match unsafe { ByteStr::copy_in(arena, key.as_ptr(), key.len()) } {
            Ok(k) => k,
            Err(e) => {
                // SAFETY: the value block made above, referenced nowhere.
                unsafe { v.free(arena) };
                return Err(e);
            }
        };
        match self.table.insert_new(arena, k, v) {
            Ok(_) => Ok(()),
            Err(e) => {
                // SAFETY: both blocks made above, referenced nowhere.
                unsafe {
                    k.free(arena);
                    v.free(arena);
                }
                Err(e)
            }
        }
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
        if self.table.get(key).is_some() {
            return Ok(false);
        }
        // SAFETY: the caller's promise.
        unsafe { self.put(arena, key, val) }?;
        Ok(true)
    }

    /// The value under `key`.
    pub(crate) fn get(&self, key: &[u8]) -> Option<ByteStr> {
        self.table.get(key).map(|&(_, v)| v)
    }

    /// Removes `key` and frees its blocks; whether it was there.
    ///
    /// # Safety
    ///
    /// `arena` is the map's.
    pub(crate) unsafe fn remove(&mut self, arena: &dyn ArenaAlloc, key: &[u8]) -> bool {
        match self.table.remove(key) {
            Some((k, v)) => {
                // SAFETY: the removed entry's blocks.
                unsafe {
                    k.free(arena);
                    v.free(arena);
                }
                true
            }
            None => false,
        }
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
                k.free(arena);
                v.free(arena);
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
        if let Some(p) = self.table.storage()
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

    /// Frees every block of the map.
    ///
    /// # Safety
    ///
    /// `arena` is the map's, not reset since the map was made.
    pub(crate) unsafe fn free(mut self, arena: &dyn ArenaAlloc) {
        // SAFETY: the caller's promise.
        unsafe { self.clear(arena) };
        self.table.free(arena);
    }
}
