//! The table under both maps: hashbrown's `HashTable` (the SwissTable of
//! std's `HashMap`) whose one block lives in the arena, through
//! [`TableAlloc`], hashed by the crate's keyed [`MixHasher`].
//!
//! [`TableAlloc`] is the table's `allocator_api2` allocator. It reaches
//! the arena either through a reference ([`ArenaMap`](super::ArenaMap)) or
//! through a pointer bound for the length of one call ([`Bound`], for the
//! C maps, which hold no reference to their arena: the C layer checks the
//! arena before every call). It also remembers the table's current block,
//! for the pointer audit, and the arena's last error, so that a failed
//! growth reports what the arena said rather than hashbrown's bare
//! "allocation failed".

use std::alloc::Layout;
use std::cell::Cell;
use std::hash::{Hash, Hasher};
use std::ptr::NonNull;

use allocator_api2::alloc::{AllocError, Allocator};
use hashbrown::TryReserveError;

use crate::error::Error;
use crate::grow::ArenaAlloc;
use crate::hash::MixHasher;
pub(super) use crate::hash::new_seed;

/// `key`'s hash under the map seed `seed`.
#[inline(always)]
pub(super) fn hash_of<Q: Hash + ?Sized>(seed: u64, key: &Q) -> u64 {
    let mut h = MixHasher::new(seed);
    key.hash(&mut h);
    h.finish()
}

/// How many entries a table of `buckets` buckets holds before it grows,
/// tombstones aside: hashbrown's load factor, 7/8 (all but one bucket in
/// tables of up to 8). `HashTable::capacity` is less once removals leave
/// tombstones; this is the size the table rebuilds at.
pub(super) fn capacity_of(buckets: usize) -> usize {
    if buckets <= 8 {
        buckets.saturating_sub(1)
    } else {
        buckets / 8 * 7
    }
}

/// How a table's allocator reaches its arena.
pub(super) trait Reach {
    /// The arena's type.
    type Arena: ArenaAlloc + ?Sized;

    /// The arena. Called only while the table allocates or frees.
    fn arena(&self) -> &Self::Arena;
}

impl<A: ArenaAlloc + ?Sized> Reach for &A {
    type Arena = A;

    #[inline(always)]
    fn arena(&self) -> &A {
        self
    }
}

/// The arena of a C map, bound for the length of one call.
#[derive(Default)]
pub(super) struct Bound(Cell<Option<NonNull<dyn ArenaAlloc>>>);

// SAFETY: the pointer is only set, used and cleared within one call on
// the map, by the thread making it.
unsafe impl Send for Bound {}

impl Bound {
    /// Makes `arena` the one the table allocates from until [`unbind`].
    ///
    /// [`unbind`]: Bound::unbind
    pub(super) fn bind(&self, arena: &dyn ArenaAlloc) {
        let p: NonNull<dyn ArenaAlloc + '_> = NonNull::from(arena);
        // SAFETY: only the lifetime bound of the trait object changes; the
        // pointer is used only until `unbind`, within the borrow of
        // `arena` (the caller's call on the map).
        let p: NonNull<dyn ArenaAlloc> = unsafe { std::mem::transmute(p) };
        self.0.set(Some(p));
    }

    pub(super) fn unbind(&self) {
        self.0.set(None);
    }
}

impl Reach for Bound {
    type Arena = dyn ArenaAlloc;

    #[inline]
    fn arena(&self) -> &(dyn ArenaAlloc + 'static) {
        let p = self
            .0
            .get()
            .expect("a C map allocates only within a call that bound its arena");
        // SAFETY: bound by the running call, whose `&dyn ArenaAlloc` is
        // still borrowed.
        unsafe { p.as_ref() }
    }
}

/// The allocator of a map's table: the arena, the table's block and the
/// arena's last refusal.
pub(super) struct TableAlloc<R> {
    pub(super) reach: R,
    /// The table's block, and the one before it while a resize moves the
    /// entries (so that freeing either leaves the other known).
    block: Cell<Option<NonNull<u8>>>,
    previous: Cell<Option<NonNull<u8>>>,
    /// Why the arena last refused a block, for the map's error.
    refusal: Cell<Option<Error>>,
}

// SAFETY: the block pointers are addresses of the table's own blocks,
// owned with the table by whoever owns the map.
unsafe impl<R: Send> Send for TableAlloc<R> {}

impl<R: Reach> TableAlloc<R> {
    pub(super) fn new(reach: R) -> Self {
        TableAlloc {
            reach,
            block: Cell::new(None),
            previous: Cell::new(None),
            refusal: Cell::new(None),
        }
    }

    /// The table's block, if it has one.
    pub(super) fn block(&self) -> Option<NonNull<u8>> {
        self.block.get()
    }

    /// The error for a failed reservation of room for `n` entries.
    #[cold]
    #[inline(never)]
    pub(super) fn error(&self, e: TryReserveError, n: usize) -> Error {
        match (e, self.refusal.take()) {
            (TryReserveError::AllocError { .. }, Some(e)) => e,
            (TryReserveError::AllocError { layout }, None) => Error::System {
                bytes: layout.size(),
            },
            (TryReserveError::CapacityOverflow, _) => {
                Error::invalid(format!("map of {n} entries overflows the address space"))
            }
        }
    }
}

// SAFETY: blocks come from the arena, which keeps live blocks valid and
// disjoint until they are freed here or the arena is reset or dropped;
// neither happens while a map (which borrows the arena, or is checked
// against its epoch before every call) uses the table. A zero-sized
// request gets a dangling, aligned pointer and is never freed.
unsafe impl<R: Reach> Allocator for TableAlloc<R> {
    #[inline]
    fn allocate(&self, layout: Layout) -> std::result::Result<NonNull<[u8]>, AllocError> {
        if layout.size() == 0 {
            return Ok(crate::alloc_api::dangling(layout));
        }
        match self.reach.arena().alloc(layout) {
            Ok(p) => {
                // The growing arena does not unpoison what it hands out
                // yet; a reset with containers alive leaves their poison
                // behind. The table is written by arn itself: open it.
                crate::track::open(p.as_ptr(), layout.size());
                self.previous.set(self.block.replace(Some(p)));
                Ok(NonNull::slice_from_raw_parts(p, layout.size()))
            }
            Err(e) => {
                self.refusal.set(Some(e));
                Err(AllocError)
            }
        }
    }

    #[inline]
    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        if layout.size() == 0 {
            return;
        }
        if self.block.get() == Some(ptr) {
            self.block.set(self.previous.take());
        } else if self.previous.get() == Some(ptr) {
            self.previous.set(None);
        }
        // SAFETY: a block this allocator took from the arena (hashbrown
        // frees only what it allocated), not used any more.
        let freed = unsafe { self.reach.arena().free(ptr) };
        debug_assert!(freed.is_ok(), "map storage refused: {freed:?}");
    }
}
