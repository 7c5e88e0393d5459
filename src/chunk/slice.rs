//! The shared handles to what a chunk allocator built: [`ArcSlice`] and
//! [`ArcSingle`].

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::ptr::{self, NonNull};

use super::raw::ChunkRef;

/// A shared, read-only slice in a chunk: `Deref<Target = [T]>`, cloned with
/// one atomic increment and no copy. Three words: pointer, length, chunk.
/// The chunk (and the `Drop` of its elements) goes when its last handle
/// does.
pub struct ArcSlice<T> {
    pub(super) ptr: NonNull<T>,
    pub(super) len: usize,
    /// `None` for the empty slice, which belongs to no chunk.
    pub(super) chunk: Option<ChunkRef>,
    /// Dropping the handle may drop `T`s (for the drop checker).
    pub(super) _owns: PhantomData<T>,
}

// SAFETY: handles on several threads share `&T` (needs `Sync`), and the last
// one, on any thread, drops the `T`s (needs `Send`), as for `Arc<[T]>`.
unsafe impl<T: Send + Sync> Send for ArcSlice<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for ArcSlice<T> {}

impl<T> ArcSlice<T> {
    /// The empty slice; belongs to no chunk.
    pub const fn empty() -> Self {
        ArcSlice {
            ptr: NonNull::dangling(),
            len: 0,
            chunk: None,
            _owns: PhantomData,
        }
    }

    /// The elements (no copy).
    #[inline]
    pub fn get(&self) -> &[T] {
        // SAFETY: `len` built elements that live as long as the chunk, which
        // this handle keeps (or dangling and 0 for the empty slice).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// Whether two handles share one chunk (empty slices share none).
    pub fn same_chunk(a: &Self, b: &Self) -> bool {
        match (&a.chunk, &b.chunk) {
            (Some(x), Some(y)) => x.0 == y.0,
            _ => false,
        }
    }
}

impl<T> Clone for ArcSlice<T> {
    #[inline]
    fn clone(&self) -> Self {
        ArcSlice {
            ptr: self.ptr,
            len: self.len,
            chunk: self.chunk.clone(),
            _owns: PhantomData,
        }
    }
}

impl<T> Default for ArcSlice<T> {
    fn default() -> Self {
        Self::empty()
    }
}

impl<T> Deref for ArcSlice<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        self.get()
    }
}

impl<T> AsRef<[T]> for ArcSlice<T> {
    fn as_ref(&self) -> &[T] {
        self.get()
    }
}

impl<T> Borrow<[T]> for ArcSlice<T> {
    fn borrow(&self) -> &[T] {
        self.get()
    }
}

impl<T: fmt::Debug> fmt::Debug for ArcSlice<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

impl<T: PartialEq> PartialEq for ArcSlice<T> {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq> Eq for ArcSlice<T> {}

impl<T: Hash> Hash for ArcSlice<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.get().hash(state)
    }
}

impl<T> From<ArcSingle<T>> for ArcSlice<T> {
    fn from(one: ArcSingle<T>) -> Self {
        let one = ManuallyDrop::new(one);
        ArcSlice {
            ptr: one.ptr,
            len: 1,
            // SAFETY: the single's count moves into the slice; the single
            // is not dropped.
            chunk: Some(unsafe { ptr::read(&one.chunk) }),
            _owns: PhantomData,
        }
    }
}

/// A shared, read-only single element in a chunk: `Deref<Target = T>`,
/// two words (pointer, chunk).
pub struct ArcSingle<T> {
    pub(super) ptr: NonNull<T>,
    pub(super) chunk: ChunkRef,
    pub(super) _owns: PhantomData<T>,
}

// SAFETY: as for `ArcSlice`.
unsafe impl<T: Send + Sync> Send for ArcSingle<T> {}
// SAFETY: as for `ArcSlice`.
unsafe impl<T: Send + Sync> Sync for ArcSingle<T> {}

impl<T> ArcSingle<T> {
    /// The element (no copy).
    #[inline]
    pub fn get(&self) -> &T {
        // SAFETY: a built element kept alive by this handle's chunk count.
        unsafe { self.ptr.as_ref() }
    }

    /// The single element of `slice`; the slice itself back when its
    /// length is not 1.
    pub fn from_slice(slice: ArcSlice<T>) -> std::result::Result<Self, ArcSlice<T>> {
        if slice.len != 1 {
            return Err(slice);
        }
        let ArcSlice { ptr, chunk, .. } = slice;
        match chunk {
            Some(chunk) => Ok(ArcSingle {
                ptr,
                chunk,
                _owns: PhantomData,
            }),
            // A slice of length 1 always has a chunk.
            None => unreachable!("a non-empty slice without a chunk"),
        }
    }
}

impl<T> TryFrom<ArcSlice<T>> for ArcSingle<T> {
    type Error = ArcSlice<T>;
    fn try_from(slice: ArcSlice<T>) -> std::result::Result<Self, ArcSlice<T>> {
        Self::from_slice(slice)
    }
}

impl<T> Clone for ArcSingle<T> {
    #[inline]
    fn clone(&self) -> Self {
        ArcSingle {
            ptr: self.ptr,
            chunk: self.chunk.clone(),
            _owns: PhantomData,
        }
    }
}

impl<T> Deref for ArcSingle<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        self.get()
    }
}

impl<T> AsRef<T> for ArcSingle<T> {
    fn as_ref(&self) -> &T {
        self.get()
    }
}

impl<T: fmt::Debug> fmt::Debug for ArcSingle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

impl<T: PartialEq> PartialEq for ArcSingle<T> {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq> Eq for ArcSingle<T> {}
