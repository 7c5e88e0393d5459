//! `allocator_api2::alloc::Allocator` for shared references to the arenas,
//! so that `allocator_api2`'s `Vec` and `Box` and hashbrown's maps can
//! live in them.
//!
//! The trait is the one hashbrown uses (allocator-api2 0.2): an arena
//! reference works for both. Memory stays valid until it is deallocated
//! or the arena is reset or dropped, and both of those need the arena
//! itself (`&mut` or by value), which the borrow checker refuses while a
//! collection borrows it.
//!
//! - The fixed-buffer family ([`Arena`], [`Scratch`], [`Bump`],
//!   [`Region`], [`Stack`], [`MmapArena`]) allocates through
//!   [`TypedAlloc::alloc_layout`]; deallocation does nothing (the memory
//!   comes back with the next reset, restore, pop or drop), and growing
//!   moves to a new allocation. Their memory is zeroed when handed out, so
//!   `allocate_zeroed` costs no more than `allocate`.
//! - The growing arenas ([`GrowArena`], [`SharedGrowArena`]) give blocks
//!   back on deallocation and grow or shrink through
//!   [`ArenaAlloc::realloc`] (in place when the arena can).
//!
//! Zero-sized requests never reach an arena: they get a dangling pointer
//! aligned as asked, and deallocating one does nothing.

use std::alloc::Layout;
use std::ptr::{self, NonNull};

use allocator_api2::alloc::{AllocError, Allocator};

use crate::grow::{ArenaAlloc, GrowArena, SharedGrowArena};
use crate::{Arena, Bump, MmapArena, Region, Scratch, Stack, TypedAlloc};

/// The answer to a zero-sized request: no memory, aligned as asked.
#[inline(always)]
pub(crate) fn dangling(layout: Layout) -> NonNull<[u8]> {
    // An alignment is never zero, so the address is not null.
    let p = NonNull::new(ptr::without_provenance_mut::<u8>(layout.align()))
        .expect("an alignment is not zero");
    NonNull::slice_from_raw_parts(p, 0)
}

/// `allocate` of every arena (the growing ones are `TypedAlloc` through
/// `ArenaAlloc::alloc`).
#[inline(always)]
fn allocate_in<A: TypedAlloc + ?Sized>(a: &A, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
    if layout.size() == 0 {
        return Ok(dangling(layout));
    }
    answer(a.alloc_layout(layout), layout.size())
}

/// An arena's answer as the trait wants it: `size` bytes at the pointer.
#[inline(always)]
fn answer(r: crate::Result<NonNull<u8>>, size: usize) -> Result<NonNull<[u8]>, AllocError> {
    match r {
        Ok(p) => Ok(NonNull::slice_from_raw_parts(p, size)),
        Err(_) => Err(AllocError),
    }
}

/// `Allocator for &$t` for each type: `allocate` through [`allocate_in`],
/// the family's other methods as given.
macro_rules! allocator {
    ($t:ty => { $($methods:tt)* }) => {
        // SAFETY: as said where the macro is used, for the family.
        unsafe impl Allocator for &$t {
            #[inline]
            fn allocate(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
                allocate_in(*self, layout)
            }

            $($methods)*
        }
    };
    ($t:ty, $($rest:ty),+ => { $($methods:tt)* }) => {
        allocator!($t => { $($methods)* });
        allocator!($($rest),+ => { $($methods)* });
    };
}

/// `grow` and `shrink` with one body, the function `$body`.
macro_rules! resize {
    ($($name:ident),+ => $body:ident) => {$(
        #[inline]
        unsafe fn $name(
            &self,
            ptr: NonNull<u8>,
            old: Layout,
            new: Layout,
        ) -> Result<NonNull<[u8]>, AllocError> {
            // SAFETY: the caller's promise.
            unsafe { $body(*self, ptr, old, new) }
        }
    )+};
}

/// `allocate_zeroed` and `deallocate` of the fixed-buffer family.
macro_rules! fixed_methods {
    () => {
        /// Handed-out memory is already zero.
        #[inline]
        fn allocate_zeroed(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
            allocate_in(*self, layout)
        }

        /// Nothing: the memory comes back with the allocator's next reset
        /// (or restore, pop, drop).
        #[inline]
        unsafe fn deallocate(&self, _ptr: NonNull<u8>, _layout: Layout) {}
    };
}

// SAFETY: `alloc_layout` hands out disjoint memory aligned as asked,
// valid until a reset, restore, pop or drop, each of which needs the
// allocator itself, not the `&` this is implemented on. Deallocating leaves
// it in place, so it stays valid until then.
allocator!(Bump, Region, Stack, MmapArena => {
    fixed_methods!();
});

// SAFETY: as above; `resize_last` moves the offset only over the caller's
// own allocation (the arena's last), and zeroes what it gives back.
allocator!(Arena, Scratch => {
    fixed_methods!();

    // In place when the block is the arena's last and the arena has room
    // (a `Vec` pushing into an arena it alone uses grows without moving);
    // shrinking stays in place (the last block gives its tail back). What
    // growth adds is zero in this family, so `grow_zeroed` is `grow`.
    resize!(grow, grow_zeroed, shrink => resize_fixed);
});

/// The arenas whose last allocation can change size in place.
trait Last {
    /// See `Arena::resize_last`.
    fn resize_last(&self, p: *const u8, old: usize, new: usize) -> bool;
}

impl Last for Arena {
    fn resize_last(&self, p: *const u8, old: usize, new: usize) -> bool {
        Arena::resize_last(self, p, old, new)
    }
}

impl Last for Scratch {
    fn resize_last(&self, p: *const u8, old: usize, new: usize) -> bool {
        Scratch::resize_last(self, p, old, new)
    }
}

/// `grow` and `shrink` of the arena and scratch space: in place through
/// `resize_last` when the block is the last one (or when shrinking keeps the
/// alignment), else a new allocation with a copy of the contents (the old
/// block stays until the reset, as any deallocation).
///
/// # Safety
///
/// As `Allocator::grow` / `shrink`.
#[inline]
unsafe fn resize_fixed<A: TypedAlloc + Last>(
    a: &A,
    ptr: NonNull<u8>,
    old: Layout,
    new: Layout,
) -> Result<NonNull<[u8]>, AllocError> {
    let aligned = ptr.as_ptr() as usize % new.align() == 0;
    if old.size() != 0
        && new.size() != 0
        && aligned
        && (a.resize_last(ptr.as_ptr(), old.size(), new.size()) || new.size() <= old.size())
    {
        return Ok(NonNull::slice_from_raw_parts(ptr, new.size()));
    }
    // SAFETY: the caller's promise.
    unsafe { moved(a, ptr, old, new) }
}

/// A new allocation for `new` with the first bytes of the old one.
///
/// # Safety
///
/// `ptr` is an allocation of layout `old` from `a`.
#[inline]
unsafe fn moved<A: TypedAlloc>(
    a: &A,
    ptr: NonNull<u8>,
    old: Layout,
    new: Layout,
) -> Result<NonNull<[u8]>, AllocError> {
    let q = allocate_in(a, new)?;
    // SAFETY: both are live and distinct; the copy fits in either.
    unsafe {
        ptr::copy_nonoverlapping(
            ptr.as_ptr(),
            q.cast::<u8>().as_ptr(),
            old.size().min(new.size()),
        )
    };
    Ok(q)
}

/// `deallocate` of the growing arenas.
///
/// # Safety
///
/// As `Allocator::deallocate`.
#[inline(always)]
unsafe fn grow_deallocate<A: ArenaAlloc + ?Sized>(a: &A, ptr: NonNull<u8>, layout: Layout) {
    if layout.size() != 0 {
        // SAFETY: the caller's promise: a live block of this arena.
        let freed = unsafe { a.free(ptr) };
        debug_assert!(freed.is_ok(), "block refused: {freed:?}");
    }
}

/// `grow` and `shrink` of the growing arenas: a resize through
/// `realloc`, which keeps the block when it can and otherwise moves the
/// contents to a new one.
///
/// # Safety
///
/// As `Allocator::grow` / `shrink`.
#[inline]
unsafe fn grow_resize<A: ArenaAlloc + ?Sized>(
    a: &A,
    ptr: NonNull<u8>,
    old: Layout,
    new: Layout,
) -> Result<NonNull<[u8]>, AllocError> {
    if old.size() == 0 {
        return allocate_in(a, new);
    }
    if new.size() == 0 {
        // SAFETY: the caller's promise.
        unsafe { grow_deallocate(a, ptr, old) };
        return Ok(dangling(new));
    }
    // SAFETY: the caller's promise: a live block of this arena, used only
    // through the returned pointer after success.
    answer(
        unsafe { a.realloc(ptr, new.align(), new.size()) },
        new.size(),
    )
}

// SAFETY: blocks are disjoint and valid until freed here, or until the
// arena is reset or dropped, which need the arena itself.
allocator!(GrowArena, SharedGrowArena => {
    #[inline]
    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: the caller's promise.
        unsafe { grow_deallocate(*self, ptr, layout) }
    }

    resize!(grow, shrink => grow_resize);

    unsafe fn grow_zeroed(
        &self,
        ptr: NonNull<u8>,
        old: Layout,
        new: Layout,
    ) -> Result<NonNull<[u8]>, AllocError> {
        // SAFETY: the caller's promise.
        let p = unsafe { grow_resize(*self, ptr, old, new) }?;
        // SAFETY: the block holds `new.size()` bytes, the first
        // `old.size()` of them kept.
        unsafe {
            p.cast::<u8>()
                .as_ptr()
                .add(old.size())
                .write_bytes(0, new.size() - old.size())
        };
        Ok(p)
    }
});

#[cfg(test)]
mod tests;
