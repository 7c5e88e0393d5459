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

// SAFETY: `alloc_layout` hands out disjoint memory aligned as asked,
// valid until a reset, restore, pop or drop, each of which needs the
// allocator itself, not the `&` this is implemented on. Deallocating leaves
// it in place, so it stays valid until then.
allocator!(Arena, Scratch, Bump, Region, Stack, MmapArena => {
    /// Handed-out memory is already zero.
    #[inline]
    fn allocate_zeroed(&self, layout: Layout) -> Result<NonNull<[u8]>, AllocError> {
        allocate_in(*self, layout)
    }

    /// Nothing: the memory comes back with the allocator's next reset (or
    /// restore, pop, drop).
    #[inline]
    unsafe fn deallocate(&self, _ptr: NonNull<u8>, _layout: Layout) {}
});

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

/// `grow` and `shrink` of the growing arenas: one body, [`grow_resize`].
macro_rules! resize {
    ($($name:ident),+) => {$(
        #[inline]
        unsafe fn $name(
            &self,
            ptr: NonNull<u8>,
            old: Layout,
            new: Layout,
        ) -> Result<NonNull<[u8]>, AllocError> {
            // SAFETY: the caller's promise.
            unsafe { grow_resize(*self, ptr, old, new) }
        }
    )+};
}

// SAFETY: blocks are disjoint and valid until freed here, or until the
// arena is reset or dropped, which need the arena itself.
allocator!(GrowArena, SharedGrowArena => {
    #[inline]
    unsafe fn deallocate(&self, ptr: NonNull<u8>, layout: Layout) {
        // SAFETY: the caller's promise.
        unsafe { grow_deallocate(*self, ptr, layout) }
    }

    resize!(grow, shrink);

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
