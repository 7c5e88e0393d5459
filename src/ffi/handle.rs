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
//! stale handle, also after the slot is reused.
//!
//! Slots live in pages of 4096 that are never moved or freed, found through
//! a flat array of page pointers, so resolving a handle is a few shifts and
//! masks, three loads and two compares, with no lock. Creating and freeing take a mutex around the list
//! of free slots; freeing is decided by one compare-and-swap on the tag, so
//! of two threads freeing the same handle exactly one succeeds.

use std::ptr::{self, NonNull};
use std::sync::Mutex;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use crate::error::{Error, Result};

const INDEX_BITS: u32 = 24;
const GEN_BITS: u32 = 32;
const KIND_SHIFT: u32 = INDEX_BITS + GEN_BITS;
const INDEX_MASK: u64 = (1 << INDEX_BITS) - 1;
const GEN_MASK: u64 = (1 << GEN_BITS) - 1;

/// Slots live in pages of `PAGE_SLOTS`, found through one flat array of
/// page pointers that covers every index.
const PAGE_BITS: u32 = 12;
const PAGE_SLOTS: usize = 1 << PAGE_BITS;
const PAGES: usize = 1 << (INDEX_BITS - PAGE_BITS);
/// How many objects can be alive at once.
const MAX_SLOTS: u64 = 1 << INDEX_BITS;

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
/// An object inserted as `KIND` is stored as `Box<Self>`. `ALSO` names a
/// second kind whose stored type may be used as `Self`: the implementor
/// promises that type has the layout of `Self` and no `Drop` of its own, so
/// a pointer to it may be read, written and dropped as a `Box<Self>`.
pub(crate) unsafe trait Object: Send + 'static {
    const KIND: Kind;
    const ALSO: Option<Kind> = None;

    /// The name used in error messages for what this call expects.
    fn expected() -> &'static str {
        Self::KIND.name()
    }
}

struct Slot {
    tag: AtomicU64,
    obj: AtomicPtr<()>,
}

static PAGE: [AtomicPtr<Slot>; PAGES] = [const { AtomicPtr::new(ptr::null_mut()) }; PAGES];

/// Who may take which slot: guarded by a mutex, touched only on create and
/// free.
struct Alloc {
    next: u64,
    free: Vec<u32>,
}

static ALLOC: Mutex<Alloc> = Mutex::new(Alloc {
    next: 0,
    free: Vec::new(),
});

#[inline(always)]
fn slot(index: u64) -> Option<&'static Slot> {
    let page = PAGE[(index >> PAGE_BITS) as usize & (PAGES - 1)].load(Ordering::Acquire);
    if page.is_null() {
        return None;
    }
    // SAFETY: a published page holds `PAGE_SLOTS` slots and is never freed.
    Some(unsafe { &*page.add(index as usize & (PAGE_SLOTS - 1)) })
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

/// Stores `obj` and returns its new handle.
pub(crate) fn insert<T: Object>(obj: T) -> Result<u64> {
    let mut alloc = ALLOC.lock().unwrap_or_else(|e| e.into_inner());
    let index = match alloc.free.pop() {
        Some(i) => u64::from(i),
        None => {
            if alloc.next == MAX_SLOTS {
                return Err(Error::Full {
                    what: "handle table",
                    capacity: MAX_SLOTS as usize,
                });
            }
            let page = (alloc.next >> PAGE_BITS) as usize;
            if PAGE[page].load(Ordering::Relaxed).is_null() {
                let slots: Box<[Slot]> = (0..PAGE_SLOTS)
                    .map(|_| Slot {
                        tag: AtomicU64::new(0),
                        obj: AtomicPtr::new(ptr::null_mut()),
                    })
                    .collect();
                PAGE[page].store(Box::leak(slots).as_mut_ptr(), Ordering::Release);
            }
            alloc.next += 1;
            alloc.next - 1
        }
    };
    let s = slot(index).expect("a slot below `next` has a page");
    let h = ((T::KIND as u64) << KIND_SHIFT)
        | (generation(s.tag.load(Ordering::Relaxed)) << INDEX_BITS)
        | index;
    s.obj
        .store(Box::into_raw(Box::new(obj)).cast(), Ordering::Relaxed);
    s.tag.store(h, Ordering::Release);
    Ok(h)
}

/// The object behind `h`, which must be of kind `T::KIND` or `T::ALSO`.
///
/// The pointer stays valid until the handle is removed; the caller must not
/// use it concurrently with a removal (the C contract of single-threaded
/// objects).
#[inline(always)]
pub(crate) fn get<T: Object>(h: u64) -> Result<NonNull<T>> {
    find::<T>(h).ok_or_else(|| classify::<T>(h))
}

/// [`get`] without the explanation: `None` for any bad handle.
#[inline(always)]
pub(crate) fn find<T: Object>(h: u64) -> Option<NonNull<T>> {
    // A live tag means `obj` holds the object it names; `obj` is null only
    // while a racing `remove` takes the object out.
    NonNull::new(live::<T>(h)?.obj.load(Ordering::Relaxed).cast::<T>())
}

/// The slot of `h` when `h` is live and of a kind `T` accepts.
#[inline(always)]
fn live<T: Object>(h: u64) -> Option<&'static Slot> {
    if !accepts::<T>(kind_bits(h)) {
        return None;
    }
    let s = slot(h & INDEX_MASK)?;
    (s.tag.load(Ordering::Acquire) == h).then_some(s)
}

/// Takes the object behind `h` out of the table; `h` becomes stale.
///
/// Removing a handle that was already removed fails with
/// [`Error::DoubleFree`]; of two threads removing the same handle at once,
/// exactly one gets the object.
pub(crate) fn remove<T: Object>(h: u64) -> Result<Box<T>> {
    let index = h & INDEX_MASK;
    let Some(s) = live::<T>(h) else {
        return Err(match classify::<T>(h) {
            Error::StaleHandle { handle, kind } => {
                Error::DoubleFree(format!("{kind} handle {handle:#x} was already freed"))
            }
            e => e,
        });
    };
    // A slot whose generations are used up is retired rather than wrapped,
    // so that no handle it ever issued can come back to life.
    let next_gen = generation(h) + 1;
    let retire = next_gen == GEN_MASK;
    if s.tag
        .compare_exchange(
            h,
            next_gen << INDEX_BITS,
            Ordering::AcqRel,
            Ordering::Acquire,
        )
        .is_err()
    {
        return Err(Error::DoubleFree(format!(
            "handle {h:#x} was freed by another thread"
        )));
    }
    // The winning compare-and-swap made this thread the only one that may
    // take the object; no insert can reuse the slot before the push below.
    let p = s.obj.swap(ptr::null_mut(), Ordering::Relaxed).cast::<T>();
    if !retire {
        let mut alloc = ALLOC.lock().unwrap_or_else(|e| e.into_inner());
        alloc.free.push(index as u32);
    }
    // SAFETY: `p` was stored by `insert` as a `Box<T>` (or a layout-equal
    // type, see `Object`) and this thread alone took it out.
    Ok(unsafe { Box::from_raw(p) })
}

/// Explains why `h` did not resolve to a `T`.
#[cold]
#[inline(never)]
fn classify<T: Object>(h: u64) -> Error {
    let invalid = Error::InvalidHandle { handle: h };
    let Some(kind) = Kind::from_bits(kind_bits(h)) else {
        return invalid;
    };
    let Some(s) = slot(h & INDEX_MASK) else {
        return invalid;
    };
    let tag = s.tag.load(Ordering::Acquire);
    if tag == h {
        return Error::WrongKind {
            handle: h,
            expected: T::expected(),
            found: kind.name(),
        };
    }
    // Each (slot, generation) pair is issued once, with one kind. A handle
    // from a generation the slot has moved past was issued and freed; one
    // from the slot's current generation that does not match its tag has
    // forged kind bits, and one from a later generation never existed.
    if generation(h) < generation(tag) {
        Error::StaleHandle {
            handle: h,
            kind: kind.name(),
        }
    } else {
        invalid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Thing(u32);
    // SAFETY: no `ALSO` kind.
    unsafe impl Object for Thing {
        const KIND: Kind = Kind::Bump;
    }
    struct Other;
    // SAFETY: no `ALSO` kind.
    unsafe impl Object for Other {
        const KIND: Kind = Kind::Arena;
    }

    #[test]
    fn lifecycle_and_error_classes() {
        let h = insert(Thing(7)).unwrap();
        assert_ne!(h, 0);
        // SAFETY: this test is the only user of `h`.
        assert_eq!(unsafe { get::<Thing>(h).unwrap().as_ref() }.0, 7);
        assert!(matches!(get::<Other>(h), Err(Error::WrongKind { .. })));
        assert!(matches!(get::<Thing>(0), Err(Error::InvalidHandle { .. })));
        // A generation that was never issued.
        let forged = h + (5 << INDEX_BITS);
        assert!(matches!(
            get::<Thing>(forged),
            Err(Error::InvalidHandle { .. })
        ));
        // The right slot and generation with another kind's bits.
        let recoloured = (h & !(0xFF << KIND_SHIFT)) | ((Kind::Arena as u64) << KIND_SHIFT);
        assert!(matches!(
            get::<Other>(recoloured),
            Err(Error::InvalidHandle { .. })
        ));
        // An index far past anything allocated.
        let far = (h & !INDEX_MASK) | (MAX_SLOTS - 1);
        assert!(matches!(
            get::<Thing>(far),
            Err(Error::InvalidHandle { .. })
        ));

        assert_eq!(remove::<Thing>(h).unwrap().0, 7);
        assert!(matches!(get::<Thing>(h), Err(Error::StaleHandle { .. })));
        assert!(matches!(remove::<Thing>(h), Err(Error::DoubleFree(_))));
    }

    #[test]
    fn a_slot_with_no_generations_left_is_retired() {
        let h = insert(Thing(1)).unwrap();
        let index = h & INDEX_MASK;
        let s = slot(index).unwrap();
        // Pretend the slot has been reused until its last generation.
        let last = (h & !(GEN_MASK << INDEX_BITS)) | ((GEN_MASK - 1) << INDEX_BITS);
        s.tag.store(last, Ordering::Release);
        assert_eq!(remove::<Thing>(last).unwrap().0, 1);
        assert!(matches!(get::<Thing>(last), Err(Error::StaleHandle { .. })));
        assert!(matches!(get::<Thing>(h), Err(Error::StaleHandle { .. })));
        assert!(matches!(remove::<Thing>(last), Err(Error::DoubleFree(_))));
        // The slot is never handed out again.
        let others: Vec<u64> = (0..64).map(|i| insert(Thing(i)).unwrap()).collect();
        assert!(others.iter().all(|&o| o & INDEX_MASK != index));
        for o in others {
            remove::<Thing>(o).unwrap();
        }
    }

    #[test]
    fn concurrent_create_and_free() {
        let threads: Vec<_> = (0..4)
            .map(|t| {
                std::thread::spawn(move || {
                    let mut held = Vec::new();
                    for i in 0..2000u32 {
                        held.push((insert(Thing(t * 10_000 + i)).unwrap(), t * 10_000 + i));
                        if i % 3 == 0 {
                            let (h, v) = held.swap_remove(0);
                            assert_eq!(remove::<Thing>(h).unwrap().0, v);
                            assert!(get::<Thing>(h).is_err());
                        }
                    }
                    for (h, v) in held {
                        // SAFETY: only this thread uses its handles.
                        assert_eq!(unsafe { get::<Thing>(h).unwrap().as_ref() }.0, v);
                        assert_eq!(remove::<Thing>(h).unwrap().0, v);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }

    #[test]
    fn racing_frees_of_one_handle_free_it_once() {
        for _ in 0..200 {
            let h = insert(Thing(1)).unwrap();
            let racers: Vec<_> = (0..2)
                .map(|_| std::thread::spawn(move || remove::<Thing>(h).is_ok()))
                .collect();
            let wins = racers
                .into_iter()
                .map(|t| t.join().unwrap())
                .filter(|&ok| ok)
                .count();
            assert_eq!(wins, 1);
        }
    }
}
