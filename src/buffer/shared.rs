//! Frozen bytes as the C handles hold them: [`SharedBytes`].
//!
//! `Bytes::from_owner` boxes its owner beside a reference count on every
//! freeze, so that clones can share it. Most frozen bytes are never cloned:
//! they are read and dropped. `SharedBytes` holds the piece of arena memory
//! alone until the first clone (or slice), which moves it into a counted
//! box that the original and every clone then point to. Freezing and
//! dropping bytes that are never shared allocates nothing.
//!
//! The first clone may race with other clones of the same bytes (any
//! thread may clone, read or slice them at once): each makes a box and
//! offers it with one compare-and-swap; the losers free theirs and count
//! themselves on the winner's. Dropping must not race with other calls on
//! the same `SharedBytes` (it takes `self`), as for every C handle.

use std::ptr::{self, NonNull};

use super::{Buffer, Frozen, Piece};
use crate::error::{Error, Result};
use crate::sync::{AtomicPtr, AtomicUsize, Ordering, fence};

/// Immutable bytes over arena memory (or a spilled buffer's heap copy)
/// that clones and slices share; the memory goes back when the last of
/// them drops.
///
/// What keeps the bytes alive, by the fields that are set:
///
/// | `piece` | `shared` | holds                                   |
/// |---------|----------|-----------------------------------------|
/// | none    | null     | nothing: empty bytes (`ptr` dangles)    |
/// | some    | null     | the piece, alone                        |
/// | some    | box      | a count on the box that took the piece  |
/// | none    | box      | a count on the box (a clone or slice)   |
///
/// A spilled buffer's heap copy is a piece too, whose way back frees it.
/// Only `shared` changes once the value is made: from null to a box, when
/// the first clone or slice of a value holding its piece alone is made.
pub(crate) struct SharedBytes {
    ptr: NonNull<u8>,
    len: usize,
    piece: Option<Piece>,
    shared: AtomicPtr<Counted>,
}

/// A shared piece and the number of `SharedBytes` that hold it.
struct Counted {
    refs: AtomicUsize,
    piece: Piece,
}

// SAFETY: the bytes are immutable; the piece's arena is `Sync`, and the
// only state that changes (`shared`, the counts) is atomic.
unsafe impl Send for SharedBytes {}
// SAFETY: as above; `&SharedBytes` reads, or clones through the atomics.
unsafe impl Sync for SharedBytes {}

impl Buffer {
    /// Freezes the buffer into [`SharedBytes`] over the same memory,
    /// allocating nothing.
    #[inline(always)]
    pub(crate) fn freeze_shared(self) -> SharedBytes {
        match self.into_frozen() {
            Frozen::Empty => SharedBytes::alone(NonNull::dangling(), 0, None),
            Frozen::Heap(v) => {
                let (ptr, len, piece) = Piece::heap(v);
                SharedBytes::alone(ptr, len, Some(piece))
            }
            Frozen::Piece { ptr, len, piece } => SharedBytes::alone(ptr, len, Some(piece)),
        }
    }
}

impl SharedBytes {
    /// A value not shared yet.
    #[inline(always)]
    fn alone(ptr: NonNull<u8>, len: usize, piece: Option<Piece>) -> Self {
        SharedBytes {
            ptr,
            len,
            piece,
            shared: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// The first byte; dangling (not NULL) for empty bytes.
    #[inline(always)]
    pub(crate) fn as_ptr(&self) -> *const u8 {
        self.ptr.as_ptr()
    }

    /// The number of bytes.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The bytes.
    #[inline]
    pub(crate) fn as_slice(&self) -> &[u8] {
        // SAFETY: `len` immutable bytes at `ptr`, held alive by `self`
        // (or none, with a dangling, aligned `ptr`).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// A second value over the same bytes.
    #[inline]
    pub(crate) fn share(&self) -> SharedBytes {
        self.share_range(self.ptr, self.len)
    }

    /// `len` bytes from `offset`, sharing the memory;
    /// [`Error::OutOfBounds`] past the end.
    pub(crate) fn slice(&self, offset: usize, len: usize) -> Result<SharedBytes> {
        match offset.checked_add(len) {
            Some(end) if end <= self.len => {
                // SAFETY: `offset <= self.len`, inside (or one past) the
                // bytes.
                let ptr = unsafe { self.ptr.add(offset) };
                Ok(self.share_range(ptr, len))
            }
            _ => Err(Error::OutOfBounds {
                index: offset.saturating_add(len),
                len: self.len,
            }),
        }
    }

    /// A value over `len` bytes at `ptr`, a part of ours, held as ours are.
    #[inline]
    fn share_range(&self, ptr: NonNull<u8>, len: usize) -> SharedBytes {
        // Acquire: a box published by another clone was written first.
        let c = match NonNull::new(self.shared.load(Ordering::Acquire)) {
            Some(c) => {
                // SAFETY: we hold a count on the box, which keeps it alive.
                count_one_more(unsafe { c.as_ref() });
                c.as_ptr()
            }
            None => match &self.piece {
                Some(piece) => share_piece(piece, &self.shared).as_ptr(),
                None => ptr::null_mut(),
            },
        };
        SharedBytes {
            ptr,
            len,
            piece: None,
            shared: AtomicPtr::new(c),
        }
    }
}

/// One more count on a box that a count we hold keeps alive. Relaxed, as
/// in `Arc::clone`: the new count is made from one we hold.
#[inline]
fn count_one_more(c: &Counted) {
    c.refs.fetch_add(1, Ordering::Relaxed);
}

/// The box of a piece held alone, made now on the first share; counts one
/// more on it for the caller.
#[cold]
fn share_piece(piece: &Piece, shared: &AtomicPtr<Counted>) -> NonNull<Counted> {
    // Acquire: the winner's box was written before it was published.
    if let Some(c) = NonNull::new(shared.load(Ordering::Acquire)) {
        // SAFETY: the value that published the box holds a count on it and
        // outlives this call.
        count_one_more(unsafe { c.as_ref() });
        return c;
    }
    // Two counts: the piece's first holder's and the caller's.
    let mine = NonNull::from(Box::leak(Box::new(Counted {
        refs: AtomicUsize::new(2),
        piece: *piece,
    })));
    match shared.compare_exchange(
        ptr::null_mut(),
        mine.as_ptr(),
        Ordering::AcqRel,
        Ordering::Acquire,
    ) {
        Ok(_) => mine,
        Err(theirs) => {
            // SAFETY: ours, never published.
            drop(unsafe { Box::from_raw(mine.as_ptr()) });
            // SAFETY: the winner's box, non-null, alive as above.
            let c = unsafe { NonNull::new_unchecked(theirs) };
            // SAFETY: as above.
            count_one_more(unsafe { c.as_ref() });
            c
        }
    }
}

/// Drops one count on a box; the last gives the piece back and frees it.
///
/// # Safety
///
/// The caller holds a count on `c`, and gives it up.
unsafe fn uncount(c: NonNull<Counted>) {
    // Release, then Acquire on the last, as in `Arc`'s drop: every use of
    // the bytes through any count happens before the piece goes back.
    // SAFETY: our count keeps the box alive until this.
    if unsafe { c.as_ref() }.refs.fetch_sub(1, Ordering::Release) != 1 {
        return;
    }
    fence(Ordering::Acquire);
    // SAFETY: that was the last count: nobody else refers to the box.
    let counted = unsafe { Box::from_raw(c.as_ptr()) };
    // SAFETY: the box held the piece; its bytes are no longer used.
    unsafe { counted.piece.give_back() };
}

impl std::fmt::Debug for SharedBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedBytes")
            .field("len", &self.len)
            .field("shared", &!self.shared.load(Ordering::Relaxed).is_null())
            .finish()
    }
}

impl Drop for SharedBytes {
    #[inline]
    fn drop(&mut self) {
        // Acquire: a box another thread published while we were shared.
        match NonNull::new(self.shared.load(Ordering::Acquire)) {
            // SAFETY: we hold a count on the box.
            Some(c) => unsafe { uncount(c) },
            None => {
                if let Some(piece) = self.piece {
                    // SAFETY: never shared: the piece is ours alone, and
                    // this is the last use of its bytes.
                    unsafe { piece.give_back() };
                }
            }
        }
    }
}
