//! arena-arc 0.1's API over arn's chunk allocator: replace
//! `use arena_arc::…` with `use arn::compat::arena_arc::…`.
//!
//! [`Allocator<T, L, N>`](Allocator) builds slices of `T` in chunks of `N`
//! elements and hands them out as [`ArcSlice`] / [`ArcSingle`], cheap to
//! clone and read from any thread; a chunk and its elements go with the
//! last handle (the allocator holds one on its current chunk). `L` is the
//! integer type lengths are given in.
//!
//! ```
//! use arn::compat::arena_arc::Allocator;
//!
//! let mut allocator: Allocator<u32, u32, 16> = Allocator::new();
//! let evens = allocator.alloc(4, |i| (i * 2) as u32);
//! let shared = evens.clone(); // one atomic increment, no copy
//! assert_eq!(shared.get(), &[0, 2, 4, 6]);
//! ```

use std::fmt::{self, Debug};
use std::marker::PhantomData;
use std::ops::Deref;

use crate::chunk::ChunkAllocator;

/// An integer type slice lengths are given in: `u16`, `u32`, `u64`,
/// `u128` or `usize`.
pub trait IndexType:
    Copy + TryFrom<usize, Error: Debug> + TryInto<usize, Error: Debug> + PartialEq + Eq + Debug
{
}

impl IndexType for u16 {}
impl IndexType for u32 {}
impl IndexType for u64 {}
impl IndexType for u128 {}
impl IndexType for usize {}

/// `len` as a `usize`.
#[inline(always)]
fn to_usize<L: IndexType>(len: L) -> usize {
    len.try_into().expect("Length exceeds index type capacity")
}

/// A shared, read-only slice built by an [`Allocator`]; `Deref<Target =
/// [T]>`. Cloning is one atomic increment and copies nothing.
pub struct ArcSlice<T, L: IndexType = u32> {
    core: crate::ArcSlice<T>,
    _len: PhantomData<L>,
}

impl<T, L: IndexType> ArcSlice<T, L> {
    fn new(core: crate::ArcSlice<T>) -> Self {
        ArcSlice {
            core,
            _len: PhantomData,
        }
    }

    /// The elements (no copy).
    #[inline]
    pub fn get(&self) -> &[T] {
        self.core.get()
    }

    /// The empty slice, which belongs to no chunk.
    pub fn empty() -> Self {
        Self::new(crate::ArcSlice::empty())
    }
}

impl<T, L: IndexType> Clone for ArcSlice<T, L> {
    #[inline]
    fn clone(&self) -> Self {
        Self::new(self.core.clone())
    }
}

impl<T, L: IndexType> Deref for ArcSlice<T, L> {
    type Target = [T];

    #[inline]
    fn deref(&self) -> &[T] {
        self.get()
    }
}

impl<T: Debug, L: IndexType> Debug for ArcSlice<T, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.fmt(f)
    }
}

/// A shared, read-only single element built by an [`Allocator`];
/// `Deref<Target = T>`.
pub struct ArcSingle<T, L: IndexType = u32> {
    core: crate::ArcSingle<T>,
    _len: PhantomData<L>,
}

impl<T, L: IndexType> ArcSingle<T, L> {
    fn new(core: crate::ArcSingle<T>) -> Self {
        ArcSingle {
            core,
            _len: PhantomData,
        }
    }

    /// The element (no copy).
    #[inline]
    pub fn get(&self) -> &T {
        self.core.get()
    }

    /// The element of a slice of length 1.
    ///
    /// # Panics
    ///
    /// When the slice's length is not 1.
    pub fn from_slice(handle: ArcSlice<T, L>) -> Self {
        match Self::try_from(handle) {
            Ok(one) => one,
            Err(e) => panic!("{e}"),
        }
    }
}

impl<T, L: IndexType> Clone for ArcSingle<T, L> {
    #[inline]
    fn clone(&self) -> Self {
        Self::new(self.core.clone())
    }
}

impl<T, L: IndexType> Deref for ArcSingle<T, L> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        self.get()
    }
}

impl<T: Debug, L: IndexType> Debug for ArcSingle<T, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.core.fmt(f)
    }
}

impl<T, L: IndexType> TryFrom<ArcSlice<T, L>> for ArcSingle<T, L> {
    type Error = &'static str;

    fn try_from(slice: ArcSlice<T, L>) -> Result<Self, Self::Error> {
        crate::ArcSingle::from_slice(slice.core)
            .map(Self::new)
            .map_err(|_| "ArcSingle can only be created from a slice of length 1")
    }
}

impl<T, L: IndexType> From<ArcSingle<T, L>> for ArcSlice<T, L> {
    fn from(one: ArcSingle<T, L>) -> Self {
        Self::new(one.core.into())
    }
}

/// A chunk allocator of slices of `T`: chunks of `N` elements, lengths in
/// `L`. Allocation takes `&mut self`; the handles are independent of the
/// allocator and may outlive it.
pub struct Allocator<T, L: IndexType = u32, const N: usize = 256> {
    core: ChunkAllocator<T, N>,
    _len: PhantomData<L>,
}

impl<T, L: IndexType, const N: usize> Debug for Allocator<T, L, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Allocator<T={}, L={}, N={}>",
            std::any::type_name::<T>(),
            std::any::type_name::<L>(),
            N
        )
    }
}

impl<T, L: IndexType, const N: usize> Default for Allocator<T, L, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, L: IndexType, const N: usize> Allocator<T, L, N> {
    /// An allocator with its first chunk of `N` elements.
    ///
    /// # Panics
    ///
    /// When a chunk of `N` elements overflows the address space (`N == 0`
    /// gives chunks of one element).
    pub fn new() -> Self {
        let mut core = ChunkAllocator::with_capacity(N.max(1));
        core.open_chunk();
        Allocator {
            core,
            _len: PhantomData,
        }
    }

    /// A slice of `len` elements, element `i` built by `init(i)`. A slice
    /// longer than a chunk gets a chunk of its own; `len == 0` touches no
    /// chunk.
    #[inline]
    pub fn alloc<F>(&mut self, len: L, init: F) -> ArcSlice<T, L>
    where
        F: FnMut(usize) -> T,
    {
        ArcSlice::new(self.core.alloc(to_usize(len), init))
    }

    /// [`alloc`](Self::alloc) with a fallible `init`: on its first error the
    /// elements built so far are dropped and the error returned.
    #[inline]
    pub fn try_alloc<F, E>(&mut self, len: L, init: F) -> Result<ArcSlice<T, L>, E>
    where
        F: FnMut(usize) -> Result<T, E>,
    {
        self.core.try_alloc(to_usize(len), init).map(ArcSlice::new)
    }

    /// One element built by `init`.
    #[inline]
    pub fn alloc_single<F>(&mut self, init: F) -> ArcSingle<T, L>
    where
        F: FnOnce() -> T,
    {
        ArcSingle::new(self.core.alloc_single(init))
    }

    /// One element built by a fallible `init`.
    pub fn try_alloc_single<F, E>(&mut self, init: F) -> Result<ArcSingle<T, L>, E>
    where
        F: FnOnce() -> Result<T, E>,
    {
        let mut init = Some(init);
        let one = self.core.try_alloc(1, |_| match init.take() {
            Some(f) => f(),
            None => unreachable!("one element, one call"),
        })?;
        match crate::ArcSingle::from_slice(one) {
            Ok(one) => Ok(ArcSingle::new(one)),
            Err(_) => unreachable!("a slice of one element"),
        }
    }

    /// `value`, moved into a chunk.
    #[inline]
    pub fn alloc_value(&mut self, value: T) -> ArcSingle<T, L> {
        ArcSingle::new(self.core.alloc_value(value))
    }

    /// The empty slice, which belongs to no chunk.
    pub fn alloc_empty() -> ArcSlice<T, L> {
        ArcSlice::empty()
    }
}
