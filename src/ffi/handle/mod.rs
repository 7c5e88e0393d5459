//! The generational handle table behind every C handle.
//!
//! A handle is a `u64`:
//!
//! ```text
//!  63      56 55                         24 23                 0
//! +----------+-----------------------------+--------------------+
//! |   kind   |         generation          |     slot index     |
//! +----------+-----------------------------+--------------------+
//! ```
//!
//! Kinds start at 1, so no handle is 0. Each slot keeps a tag: the handle
//! of the object living in it, or, while it is free, the generation its next
//! object will get (with kind 0, so a free tag never equals a handle).
//! Freeing bumps the generation, so a handle outlives its object only as a
//! stale handle, also after the slot is reused; a slot whose generations
//! run out is retired for good, so no handle ever comes back to life.
//!
//! # Where objects live
//!
//! A slot is 128 bytes: its tag, two links for the free lists, and 112
//! bytes of room. An object that fits there (every buffer, bytes, slice and
//! most allocators) lives in the slot itself; a bigger one lives in a box
//! whose pointer the slot holds. Slots come in pages of 1024 that are never
//! moved or freed, found through a flat array of page pointers (a page not
//! made yet is one blank page of slots that are never live, so no pointer
//! is null), so resolving a handle is a few shifts and masks, two loads and
//! two compares, with no lock.
//!
//! # Who may take which slot
//!
//! Freeing is decided by one compare-and-swap of the tag from the handle to
//! the next free tag, so of two threads freeing the same handle exactly one
//! wins. The winner owns the slot until it hands it on, and hands it first
//! to its own thread's cache of free slots (at most 64, no atomics); a full
//! cache gives 32 back at once, as one batch, to a lock-free global list of
//! batches (a Treiber stack whose head carries a count against ABA). An
//! empty cache takes a batch from that list, or carves 32 never-used slots.
//! So creating and freeing take no lock and allocate nothing (for objects
//! that fit in their slot), and touch shared memory once per 32 calls. A
//! thread gives its cache back when it exits; a slot freed on a thread
//! that is exiting goes straight to the global list. The table holds
//! 2^24 slots; each thread's cache may keep up to 64 of the free ones to
//! itself while it runs.
//!
//! The algorithm is in [`table`]; this module holds the handle layout, the
//! kinds, and the one table every C handle lives in.

mod table;

#[cfg(all(test, arn_loom))]
mod loom_tests;
#[cfg(all(test, not(arn_loom)))]
mod tests;

use std::ptr::NonNull;

use crate::error::{Error, Result};
use table::{Cache, Morph, Table};

const INDEX_BITS: u32 = 24;
const GEN_BITS: u32 = 32;
const KIND_SHIFT: u32 = INDEX_BITS + GEN_BITS;
const INDEX_MASK: u64 = (1 << INDEX_BITS) - 1;
const GEN_MASK: u64 = (1 << GEN_BITS) - 1;

/// What a handle names. The numbers are part of the handle value; they are
/// stable so that a handle printed in one build means the same in another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Kind {
    Arena = 1,
    TypedArena = 2,
    Bump = 3,
    Pool = 4,
    Block = 5,
    Stack = 6,
    Mmap = 7,
    Region = 8,
    Scratch = 9,
    Fixed = 10,
    Buddy = 11,
    Buffer = 12,
    Bytes = 13,
    Chunks = 14,
    Slice = 15,
    Grow = 16,
    Vector = 17,
    Map = 18,
}

impl Kind {
    fn from_bits(bits: u8) -> Option<Kind> {
        match bits {
            1 => Some(Kind::Arena),
            2 => Some(Kind::TypedArena),
            3 => Some(Kind::Bump),
            4 => Some(Kind::Pool),
            5 => Some(Kind::Block),
            6 => Some(Kind::Stack),
            7 => Some(Kind::Mmap),
            8 => Some(Kind::Region),
            9 => Some(Kind::Scratch),
            10 => Some(Kind::Fixed),
            11 => Some(Kind::Buddy),
            12 => Some(Kind::Buffer),
            13 => Some(Kind::Bytes),
            14 => Some(Kind::Chunks),
            15 => Some(Kind::Slice),
            16 => Some(Kind::Grow),
            17 => Some(Kind::Vector),
            18 => Some(Kind::Map),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Arena => "arena",
            Kind::TypedArena => "typed arena",
            Kind::Bump => "bump allocator",
            Kind::Pool => "object pool",
            Kind::Block => "block allocator",
            Kind::Stack => "stack allocator",
            Kind::Mmap => "mmap arena",
            Kind::Region => "region",
            Kind::Scratch => "scratch space",
            Kind::Fixed => "fixed arena",
            Kind::Buddy => "buddy arena",
            Kind::Buffer => "buffer",
            Kind::Bytes => "bytes",
            Kind::Chunks => "chunk allocator",
            Kind::Slice => "slice",
            Kind::Grow => "growing arena",
            Kind::Vector => "vector",
            Kind::Map => "map",
        }
    }
}

/// A Rust type that lives in the handle table.
///
/// # Safety
///
/// An object inserted as `KIND` is stored as a `Self`, in its slot or in a
/// box (the table decides by size and alignment). `ALSO` names a second
/// kind whose stored type may be used as `Self`: the implementor promises
/// that type has the layout of `Self` and no `Drop` of its own, so it may
/// be read, written, moved out and dropped as a `Self`.
pub(crate) unsafe trait Object: Send + 'static {
    const KIND: Kind;
    const ALSO: Option<Kind> = None;

    /// The name used in error messages for what this call expects.
    fn expected() -> &'static str {
        Self::KIND.name()
    }
}

#[inline(always)]
fn kind_bits(h: u64) -> u8 {
    (h >> KIND_SHIFT) as u8
}

#[inline(always)]
fn generation(tag: u64) -> u64 {
    (tag >> INDEX_BITS) & GEN_MASK
}

#[inline(always)]
fn accepts<T: Object>(bits: u8) -> bool {
    bits == T::KIND as u8 || T::ALSO.is_some_and(|k| k as u8 == bits)
}

/// The table of every C handle: 2^14 pages of 2^10 slots, free slots
/// moving between threads in batches of 32.
#[cfg(not(miri))]
type Handles = Table<10, { 1 << 14 }, 32>;

/// Under Miri, 64 pages: its race detector spends seconds on the first
/// atomic write to a 128 KiB array of page pointers. Same code, a smaller
/// geometry.
#[cfg(miri)]
type Handles = Table<10, 64, 32>;

/// How many objects can be alive at once.
#[cfg(all(test, not(arn_loom)))]
const MAX_SLOTS: u64 = Handles::MAX_SLOTS;

#[cfg(not(arn_loom))]
static TABLE: Handles = Handles::new();

#[cfg(not(arn_loom))]
#[inline(always)]
fn table() -> &'static Handles {
    &TABLE
}

// Loom's atomics cannot be built in a constant; the loom models build
// tables of their own and never reach this one.
#[cfg(arn_loom)]
fn table() -> &'static Handles {
    static TABLE: std::sync::LazyLock<Handles> = std::sync::LazyLock::new(Handles::new);
    &TABLE
}

/// Gives the thread's cache back to the table when the thread exits; made
/// the first time the cache takes a slot.
struct GiveBack;

impl Drop for GiveBack {
    fn drop(&mut self) {
        CACHE.with(|c| table().close(c));
    }
}

thread_local! {
    // No `Drop`, so reaching it is a plain thread-local access, also while
    // the thread's destructors run (after `GiveBack`, it sends every slot
    // straight to the global list).
    static CACHE: Cache = const { Cache::new(arm_give_back) };
    static GIVE_BACK: GiveBack = const { GiveBack };
}

/// This thread's cache, reached with no closure for the compiler to keep
/// out of line (as it may `LocalKey::with`'s, moving the object to insert
/// through the stack).
///
/// # Safety
///
/// The reference is used by the calling thread, within the call: the
/// cache has no destructor, so it lives as long as its thread.
#[inline(always)]
unsafe fn cache<'a>() -> &'a Cache {
    let c: *const Cache = CACHE.with(|c| c as *const Cache);
    // SAFETY: the caller's promise; only this thread reaches the cache,
    // which is made of cells that may change through `&`.
    unsafe { &*c }
}

/// Arranges for `GiveBack` to run when this thread exits; false when the
/// thread is already past that point.
fn arm_give_back() -> bool {
    GIVE_BACK.try_with(|_| ()).is_ok()
}

/// Stores `obj` and returns its new handle.
///
/// Fails with [`Error::Full`] when every slot is in use, and with
/// [`Error::System`] when the heap refuses a new page of slots; `obj` is
/// dropped then.
#[inline(always)]
pub(crate) fn insert<T: Object>(obj: T) -> Result<u64> {
    // SAFETY: used by this thread, within this call.
    table().insert(unsafe { cache() }, obj)
}

/// Takes a free slot, then stores what `make` makes in it (so the object
/// is made where it lives) and returns its handle; `Ok(None)` when `make`
/// makes nothing.
#[inline(always)]
pub(crate) fn insert_with<T: Object>(make: impl FnOnce() -> Option<T>) -> Result<Option<u64>> {
    // SAFETY: used by this thread, within this call.
    table().insert_with(unsafe { cache() }, make)
}

/// The object behind `h`, which must be of kind `T::KIND` or `T::ALSO`.
///
/// The pointer stays valid until the handle is freed; the caller must not
/// use it concurrently with a free (the C contract of every handle).
#[inline(always)]
pub(crate) fn get<T: Object>(h: u64) -> Result<NonNull<T>> {
    find::<T>(h).ok_or_else(|| table().classify::<T>(h))
}

/// [`get`] without the explanation: `None` for any bad handle.
#[inline(always)]
pub(crate) fn find<T: Object>(h: u64) -> Option<NonNull<T>> {
    table().find::<T>(h)
}

/// Drops the object behind `h` where it lies, without moving it; `h`
/// becomes stale. `false` for any bad handle, a handle already freed
/// included (then nothing changed).
#[inline(always)]
pub(crate) fn try_free<T: Object>(h: u64) -> bool {
    // SAFETY: used by this thread, within this call.
    table().free::<T>(unsafe { cache() }, h)
}

/// Takes the object behind `h` out of the table, boxed; `h` becomes stale.
///
/// Freeing a handle that was already freed fails with
/// [`Error::DoubleFree`]; of two threads freeing the same handle at once,
/// exactly one gets the object.
pub(crate) fn remove<T: Object>(h: u64) -> Result<Box<T>> {
    // SAFETY: used by this thread, within this call.
    match table().take_box(unsafe { cache() }, h) {
        Some(obj) => Ok(obj),
        None => Err(free_error::<T>(h)),
    }
}

/// Replaces the object behind `h` by what `f` makes of it (a buffer by
/// its frozen bytes), in the same slot under a new handle of `B`'s kind,
/// which it returns; `h` becomes stale, and replacing or freeing it again
/// is a double free.
#[inline(always)]
pub(crate) fn replace<A: Object, B: Object>(h: u64, f: impl FnOnce(A) -> B) -> Result<u64> {
    match table().morph::<A, B>(h, f) {
        Morph::Done(new) => Ok(new),
        Morph::Retired(b) => insert(b),
        Morph::Refused => Err(free_error::<A>(h)),
    }
}

/// Explains why freeing `h` failed: a handle that was freed before is a
/// double free.
#[cold]
#[inline(never)]
pub(crate) fn free_error<T: Object>(h: u64) -> Error {
    match table().classify::<T>(h) {
        Error::StaleHandle { handle, kind } => {
            Error::DoubleFree(format!("{kind} handle {handle:#x} was already freed"))
        }
        e => e,
    }
}
