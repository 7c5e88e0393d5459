//! [`ChunkAllocator`]: the typed allocator that builds slices of `T` in
//! chunks and hands them out as [`ArcSlice`] / [`ArcSingle`].

use std::convert::Infallible;
use std::fmt;
use std::marker::PhantomData;
use std::mem::{self, ManuallyDrop};
use std::ptr::{self, NonNull};

use super::raw::*;
use super::slice::{ArcSingle, ArcSlice};
use crate::error::Result;

/// Owns `T`s and is invariant in `T` (see [`ChunkAllocator`]'s field).
type Owns<T> = (T, fn(T) -> T);

/// A chunk allocator: builds slices of `T` in chunks of `N` elements (or a
/// capacity chosen at run time) and hands them out as shared handles.
///
/// Allocation takes `&mut self` (one producer at a time); the handles are
/// independent of the allocator and may outlive it. See the [module
/// docs](crate::chunk) for the design and its overheads.
///
/// ```
/// use arn::{ArcSingle, ChunkAllocator};
///
/// let mut chunks = ChunkAllocator::<String, 64>::new();
/// let words = chunks.from_slice(&["a".to_string(), "b".to_string()]);
/// let one = chunks.alloc_value("c".to_string());
/// drop(chunks); // the handles keep their chunk
/// assert_eq!(words.len(), 2);
/// assert_eq!(*one, "c");
/// ```
///
/// The allocator is invariant in `T`, so its chunks never mix lifetimes:
///
/// ```compile_fail
/// fn shorten<'a>(a: arn::ChunkAllocator<&'static str>) -> arn::ChunkAllocator<&'a str> {
///     a
/// }
/// ```
pub struct ChunkAllocator<T, const N: usize = 1024> {
    raw: RawChunks,
    /// Owns `T`s (for the drop checker), and is invariant in `T`: a chunk
    /// shared by earlier slices must not receive elements of a shorter
    /// lifetime, which the earlier slices' last drop would drop too late.
    _owns: PhantomData<Owns<T>>,
}

// SAFETY: moving the allocator moves the right to build `T`s and, when it
// leaves a chunk last, to drop them on its new thread: `T: Send` covers
// both. Slices it already handed out stay where they are.
unsafe impl<T: Send, const N: usize> Send for ChunkAllocator<T, N> {}
// SAFETY: `&ChunkAllocator` reads counters only, never a `T`.
unsafe impl<T: Sync, const N: usize> Sync for ChunkAllocator<T, N> {}

impl<T, const N: usize> Default for ChunkAllocator<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const N: usize> fmt::Debug for ChunkAllocator<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkAllocator")
            .field("element", &std::any::type_name::<T>())
            .field("stats", &self.stats())
            .finish()
    }
}

impl<T, const N: usize> ChunkAllocator<T, N> {
    /// An allocator with chunks of `N` elements. Makes no chunk until the
    /// first allocation.
    ///
    /// # Panics
    ///
    /// When `N` is 0 (at compile time), above [`MAX_CHUNK_CAPACITY`], or a
    /// chunk of `N` elements overflows the address space.
    pub fn new() -> Self {
        const { assert!(N > 0, "a chunk holds at least one element") };
        Self::with_capacity(N)
    }

    /// An allocator with chunks of `chunk_capacity` elements (instead of
    /// `N`).
    ///
    /// # Panics
    ///
    /// Where [`try_with_capacity`](Self::try_with_capacity) fails.
    pub fn with_capacity(chunk_capacity: usize) -> Self {
        match Self::try_with_capacity(chunk_capacity) {
            Ok(a) => a,
            Err(e) => panic!("ChunkAllocator::with_capacity: {e}"),
        }
    }

    /// An allocator with chunks of `chunk_capacity` elements.
    ///
    /// Fails with [`Error::InvalidArgument`](crate::Error::InvalidArgument) when the capacity is 0, above
    /// [`MAX_CHUNK_CAPACITY`], or its chunk would overflow the address space.
    pub fn try_with_capacity(chunk_capacity: usize) -> Result<Self> {
        let drop_elems = mem::needs_drop::<T>().then_some(drop_elems::<T> as DropElems);
        Ok(ChunkAllocator {
            raw: RawChunks::new(
                chunk_capacity,
                mem::size_of::<T>(),
                mem::align_of::<T>(),
                drop_elems,
            )?,
            _owns: PhantomData,
        })
    }

    /// Makes the first chunk now rather than at the first allocation.
    ///
    /// # Panics
    ///
    /// As [`alloc`](Self::alloc), when the chunk cannot be made.
    pub(crate) fn open_chunk(&mut self) {
        if let Err(g) = self.raw.open() {
            g.raise()
        }
    }

    /// Elements per chunk.
    pub fn chunk_capacity(&self) -> usize {
        self.raw.cap
    }

    /// A slice of `len` elements, element `i` built by `init(i)` in order.
    /// Moves to a new chunk when they do not fit in the current one; a
    /// request longer than a chunk gets a dedicated chunk of exactly `len`.
    /// `len == 0` gives an empty slice and touches no chunk.
    ///
    /// If `init` panics, the elements it built are dropped and their room
    /// is given back; the allocator stays usable.
    ///
    /// # Panics
    ///
    /// When `init` does, or `len` elements overflow the address space; the
    /// global allocator's error handler runs when memory is refused.
    #[inline]
    pub fn alloc(&mut self, len: usize, mut init: impl FnMut(usize) -> T) -> ArcSlice<T> {
        match self.try_alloc(len, |i| Ok::<T, Infallible>(init(i))) {
            Ok(s) => s,
            Err(never) => match never {},
        }
    }

    /// [`alloc`](Self::alloc) with a fallible `init`: on its first `Err`,
    /// the elements built so far are dropped, their room is given back and
    /// the error is returned.
    #[inline]
    pub fn try_alloc<E>(
        &mut self,
        len: usize,
        mut init: impl FnMut(usize) -> std::result::Result<T, E>,
    ) -> std::result::Result<ArcSlice<T>, E> {
        if len == 0 {
            return Ok(ArcSlice::empty());
        }
        let spot = match self.raw.reserve(len) {
            Ok(s) => s,
            Err(g) => g.raise(),
        };
        crate::track::handed_out(spot.ptr.as_ptr(), len * mem::size_of::<T>());
        let mut fill = Fill::<T>::new(spot);
        while fill.built < len {
            let v = init(fill.built)?;
            // SAFETY: element `built` of the `len` reserved.
            unsafe { fill.base.add(fill.built).write(v) };
            fill.built += 1;
        }
        let base = fill.finish();
        // SAFETY: `len` elements built at the reservation just made.
        let chunk = unsafe { self.raw.commit(spot, len, mem::size_of::<T>()) };
        Ok(ArcSlice {
            ptr: base,
            len,
            chunk: Some(chunk),
            _owns: PhantomData,
        })
    }

    /// One element built by `init`, as an [`ArcSingle`] (2 words).
    ///
    /// # Panics
    ///
    /// As [`alloc`](Self::alloc).
    #[inline]
    pub fn alloc_single(&mut self, init: impl FnOnce() -> T) -> ArcSingle<T> {
        let spot = match self.raw.reserve(1) {
            Ok(s) => s,
            Err(g) => g.raise(),
        };
        crate::track::handed_out(spot.ptr.as_ptr(), mem::size_of::<T>());
        let fill = Fill::<T>::new(spot);
        // SAFETY: room for one element; if `init` panics, `fill` gives a
        // dedicated chunk back (it has built nothing to drop).
        unsafe { fill.base.write(init()) };
        let base = fill.finish();
        // SAFETY: one element built at the reservation just made.
        let chunk = unsafe { self.raw.commit(spot, 1, mem::size_of::<T>()) };
        ArcSingle {
            ptr: base,
            chunk,
            _owns: PhantomData,
        }
    }

    /// `value`, moved into a chunk, as an [`ArcSingle`].
    #[inline]
    pub fn alloc_value(&mut self, value: T) -> ArcSingle<T> {
        self.alloc_single(|| value)
    }

    /// A copy of `src` in a chunk (each element cloned).
    #[inline]
    pub fn from_slice(&mut self, src: &[T]) -> ArcSlice<T>
    where
        T: Clone,
    {
        let mut it = src.iter();
        self.alloc(src.len(), |_| {
            it.next()
                .expect("from_slice: one element per index")
                .clone()
        })
    }

    /// A snapshot of the allocator's counters (see [`ChunkStats`]).
    pub fn stats(&self) -> ChunkStats {
        self.raw.stats()
    }
}

/// The elements being built at a reservation: if building stops (an `Err`
/// or a panic), drops those built and gives a dedicated chunk back. Room in
/// the current chunk needs no giving back: it was never booked.
struct Fill<T> {
    base: NonNull<T>,
    built: usize,
    dedicated: Option<NonNull<Header>>,
}

impl<T> Fill<T> {
    #[inline(always)]
    fn new(spot: Spot) -> Self {
        Fill {
            base: spot.ptr.cast(),
            built: 0,
            dedicated: spot.dedicated.then_some(spot.chunk),
        }
    }

    /// Building succeeded: keep the elements.
    #[inline(always)]
    fn finish(self) -> NonNull<T> {
        ManuallyDrop::new(self).base
    }
}

impl<T> Drop for Fill<T> {
    fn drop(&mut self) {
        /// Frees the dedicated chunk even when an element's `Drop` panics.
        struct GiveBack(Option<NonNull<Header>>);
        impl Drop for GiveBack {
            fn drop(&mut self) {
                if let Some(h) = self.0 {
                    // SAFETY: a chunk made for this request, unknown to
                    // anyone else, with nothing built (`used` is 0).
                    unsafe { free_chunk(h) };
                }
            }
        }
        let _give_back = GiveBack(self.dedicated);
        // SAFETY: the first `built` elements were built and are not handed
        // out.
        unsafe {
            ptr::drop_in_place(ptr::slice_from_raw_parts_mut(
                self.base.as_ptr(),
                self.built,
            ))
        };
    }
}
