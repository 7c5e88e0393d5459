//! Typed allocation, written once for every allocator that hands out
//! memory by size.
//!
//! Each allocator provides one primitive, [`TypedAlloc::alloc_layout`]
//! (memory for a [`Layout`] from its own core, aligned as asked), and gets
//! the typed methods from the trait: [`alloc_value`], [`alloc_slice_copy`],
//! [`alloc_slice_fill_with`] and [`alloc_str`]. A macro gives each allocator
//! the same four as inherent methods, so they work without importing the
//! trait; the trait is for code generic over allocators (and is in
//! [`crate::prelude`]).
//!
//! Zero-sized values and empty slices take no memory: they get a dangling,
//! well-aligned pointer, as `Box` and `Vec` do.
//!
//! [`alloc_value`]: TypedAlloc::alloc_value
//! [`alloc_slice_copy`]: TypedAlloc::alloc_slice_copy
//! [`alloc_slice_fill_with`]: TypedAlloc::alloc_slice_fill_with
//! [`alloc_str`]: TypedAlloc::alloc_str

use std::alloc::Layout;
use std::ptr::{self, NonNull};

use crate::error::{Error, Result};
use crate::grow::{ArenaAlloc, GrowArena, SharedGrowArena};
use crate::{Arena, Bump, MmapArena, Region, Scratch, Stack};

/// Values, slices and strings moved or copied into an allocator.
///
/// The allocator never drops what it holds: it reclaims its memory in bulk
/// (reset, restore, pop, drop) without knowing what lies there, as bumpalo
/// does. A value that owns other memory (a `String`, a `Vec`, an `Rc`)
/// leaks it unless you drop it in place yourself. Allocation takes `&self`
/// and whatever reclaims memory takes `&mut self` or the allocator itself,
/// so the borrow checker keeps every reference handed out from outliving
/// its memory.
///
/// Every allocator of the crate that hands out memory by size implements
/// it, and has the four typed methods as inherent methods too.
///
/// # Safety
///
/// [`alloc_layout`](Self::alloc_layout) returns memory valid for reading
/// and writing `layout.size()` bytes, aligned to `layout.align()`, that no
/// other live allocation overlaps, and that stays valid as long as `self`
/// is borrowed shared: nothing reclaims it without `&mut self` or
/// ownership of the allocator.
pub unsafe trait TypedAlloc {
    /// Memory for `layout`, whose size is not zero (the typed methods
    /// never ask for zero bytes). Not zeroed unless the allocator zeroes
    /// everything it hands out (the fixed-buffer family does).
    ///
    /// Errors: [`Error::InvalidArgument`] for an alignment above
    /// [`ARN_MAX_ALIGN`](crate::ARN_MAX_ALIGN); the allocator's own errors
    /// when it has no room.
    fn alloc_layout(&self, layout: Layout) -> Result<NonNull<u8>>;

    /// Moves `value` into the allocator and returns it, aligned for `T`.
    /// Its `Drop` never runs (see the trait documentation).
    ///
    /// On error `value` is dropped.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    fn alloc_value<T>(&self, value: T) -> Result<&mut T> {
        let p = uninit::<T, Self>(self, 1)?;
        // SAFETY: `p` is fresh memory for one `T` (or dangling and aligned
        // for a zero-sized one), ours as long as `self` is borrowed.
        unsafe {
            p.as_ptr().write(value);
            Ok(&mut *p.as_ptr())
        }
    }

    /// Copies `src` into the allocator.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    fn alloc_slice_copy<T: Copy>(&self, src: &[T]) -> Result<&mut [T]> {
        let p = uninit::<T, Self>(self, src.len())?;
        // SAFETY: fresh memory for `src.len()` elements, which cannot
        // overlap `src` (borrowed, so not in a fresh allocation).
        unsafe {
            ptr::copy_nonoverlapping(src.as_ptr(), p.as_ptr(), src.len());
            Ok(std::slice::from_raw_parts_mut(p.as_ptr(), src.len()))
        }
    }

    /// A slice of `len` elements, element `i` being `f(i)`, as bumpalo's
    /// method of the same name. Should `f` panic, the elements it made
    /// are leaked with their memory (never dropped, like everything in the
    /// allocator).
    #[allow(clippy::mut_from_ref)]
    fn alloc_slice_fill_with<T>(
        &self,
        len: usize,
        mut f: impl FnMut(usize) -> T,
    ) -> Result<&mut [T]> {
        let p = uninit::<T, Self>(self, len)?;
        for i in 0..len {
            // SAFETY: `i < len`: inside the fresh memory.
            unsafe { p.as_ptr().add(i).write(f(i)) };
        }
        // SAFETY: all `len` elements were written above.
        Ok(unsafe { std::slice::from_raw_parts_mut(p.as_ptr(), len) })
    }

    /// Copies `s` into the allocator.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    fn alloc_str(&self, s: &str) -> Result<&mut str> {
        let bytes = self.alloc_slice_copy(s.as_bytes())?;
        // SAFETY: a byte-for-byte copy of a `str`.
        Ok(unsafe { std::str::from_utf8_unchecked_mut(bytes) })
    }
}

/// Memory for `n` `T`s from `a`, or a dangling aligned pointer when that
/// is zero bytes.
#[inline(always)]
fn uninit<T, A: TypedAlloc + ?Sized>(a: &A, n: usize) -> Result<NonNull<T>> {
    let layout = Layout::array::<T>(n).map_err(|_| too_large::<T>(n))?;
    if layout.size() == 0 {
        return Ok(NonNull::dangling());
    }
    Ok(a.alloc_layout(layout)?.cast())
}

#[cold]
#[inline(never)]
fn too_large<T>(n: usize) -> Error {
    Error::invalid(format!(
        "{n} elements of {} bytes overflow the address space",
        std::mem::size_of::<T>()
    ))
}

// SAFETY: the growing arenas hand out disjoint blocks, valid until freed,
// reset (`&mut self`) or dropped; the typed methods never free them.
unsafe impl<A: ArenaAlloc + ?Sized> TypedAlloc for A {
    #[inline]
    fn alloc_layout(&self, layout: Layout) -> Result<NonNull<u8>> {
        self.alloc(layout)
    }
}

/// Implements [`TypedAlloc`] over an aligned allocation method of the core.
macro_rules! typed_alloc {
    ($($t:ty => $method:ident;)+) => {$(
        // SAFETY: the core hands out disjoint memory aligned as asked,
        // reclaimed only by methods taking `&mut self` or by drop.
        unsafe impl TypedAlloc for $t {
            #[inline]
            fn alloc_layout(&self, layout: Layout) -> Result<NonNull<u8>> {
                self.$method(layout.size(), layout.align())
            }
        }
    )+};
}

typed_alloc! {
    Arena => alloc_aligned_ptr;
    Bump => alloc_aligned_ptr;
    Region => alloc_aligned_ptr;
    Scratch => alloc_aligned_ptr;
    Stack => push_aligned_ptr;
    MmapArena => alloc_aligned_ptr;
}

/// The four typed methods as inherent methods of `$t`, forwarding to
/// [`TypedAlloc`]; `$make` is the doc examples' line making one.
macro_rules! typed_methods {
    ($($t:ty, $name:literal, $make:literal;)+) => {$(
        impl $t {
            #[doc = concat!("Moves `value` into the ", $name, " and returns it, aligned for `T`")]
            /// (up to [`ARN_MAX_ALIGN`](crate::ARN_MAX_ALIGN)). Its `Drop`
            /// never runs: see [`TypedAlloc`]. On error `value` is dropped.
            ///
            /// ```
            /// # fn main() -> arn::Result<()> {
            #[doc = $make]
            /// let p = a.alloc_value((3u32, 4u32))?;
            /// p.1 = 5;
            /// assert_eq!(*p, (3, 5));
            /// #[repr(align(64))]
            /// struct Line([u8; 64]);
            /// let line = a.alloc_value(Line([7; 64]))?;
            /// assert_eq!(line as *mut Line as usize % 64, 0);
            /// # Ok(()) }
            /// ```
            #[inline]
            #[allow(clippy::mut_from_ref)]
            pub fn alloc_value<T>(&self, value: T) -> Result<&mut T> {
                TypedAlloc::alloc_value(self, value)
            }

            #[doc = concat!("Copies `src` into the ", $name, ".")]
            ///
            /// ```
            /// # fn main() -> arn::Result<()> {
            #[doc = $make]
            /// let xs = a.alloc_slice_copy(&[1.5f64, 2.5, 4.0])?;
            /// xs[0] = 0.5;
            /// assert_eq!(xs, &[0.5, 2.5, 4.0]);
            /// # Ok(()) }
            /// ```
            #[inline]
            #[allow(clippy::mut_from_ref)]
            pub fn alloc_slice_copy<T: Copy>(&self, src: &[T]) -> Result<&mut [T]> {
                TypedAlloc::alloc_slice_copy(self, src)
            }

            #[doc = concat!("A slice of `len` elements made by `f(index)`, in the ", $name, ".")]
            /// See [`TypedAlloc::alloc_slice_fill_with`].
            ///
            /// ```
            /// # fn main() -> arn::Result<()> {
            #[doc = $make]
            /// let squares = a.alloc_slice_fill_with(5, |i| i * i)?;
            /// assert_eq!(squares, &[0, 1, 4, 9, 16]);
            /// # Ok(()) }
            /// ```
            #[inline]
            #[allow(clippy::mut_from_ref)]
            pub fn alloc_slice_fill_with<T>(
                &self,
                len: usize,
                f: impl FnMut(usize) -> T,
            ) -> Result<&mut [T]> {
                TypedAlloc::alloc_slice_fill_with(self, len, f)
            }

            #[doc = concat!("Copies `s` into the ", $name, ".")]
            ///
            /// ```
            /// # fn main() -> arn::Result<()> {
            #[doc = $make]
            /// let s = a.alloc_str("grüße")?;
            /// s.make_ascii_uppercase();
            /// assert_eq!(s, "GRüßE");
            /// # Ok(()) }
            /// ```
            #[inline]
            #[allow(clippy::mut_from_ref)]
            pub fn alloc_str(&self, s: &str) -> Result<&mut str> {
                TypedAlloc::alloc_str(self, s)
            }
        }
    )+};
}

typed_methods! {
    Arena, "arena", "let a = arn::Arena::new(4096)?;";
    Bump, "bump allocator", "let a = arn::Bump::new(4096)?;";
    Region, "region", "let a = arn::Region::new();";
    Scratch, "scratch space", "let a = arn::Scratch::new(4096)?;";
    Stack, "stack", "let a = arn::Stack::new(4096)?;";
    MmapArena, "mmap arena", "let a = arn::MmapArena::new(1 << 20)?;";
    GrowArena, "growing arena", "let a = arn::GrowArena::new();";
    SharedGrowArena, "growing arena", "let a = arn::GrowArena::builder().build_shared()?;";
}

#[cfg(test)]
mod tests;
