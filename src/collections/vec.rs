//! `ArenaVec`: a growable vector whose storage lives in an arena, and
//! `ByteVec`, the vector of fixed-size byte elements behind the C functions.

use std::alloc::Layout;
use std::fmt;
use std::marker::PhantomData;
use std::mem;
use std::ops::{Deref, DerefMut};
use std::ptr::{self, NonNull};

use super::hold::{Hold, room};
use crate::error::{Error, Result};
use crate::grow::{ArenaAlloc, GrowArena};
use crate::track;

/// A block of `bytes` bytes aligned to `align`: a new one when `old` is
/// `None`, else `old` grown (in place when the arena can, else moved).
/// On error `old` is untouched.
#[inline]
fn block<A: ArenaAlloc + ?Sized>(
    arena: &A,
    old: Option<NonNull<u8>>,
    align: usize,
    bytes: usize,
) -> Result<NonNull<u8>> {
    match old {
        None => {
            let layout = Layout::from_size_align(bytes, align)
                .map_err(|_| Error::invalid(format!("{bytes} bytes aligned to {align}")))?;
            arena.alloc(layout)
        }
        // SAFETY: `p` is this container's live block; the caller forgets it
        // when this succeeds.
        Some(p) => unsafe { arena.realloc(p, align, bytes) },
    }
}

/// A vector's storage grown to `bytes` bytes of which the first `used`
/// hold elements; `old` is the storage so far (`None` before the first
/// growth), `old_bytes` long. In the normal build this is [`block`]
/// (growing in place when the arena can). In the tracking build growth
/// always moves, so that the old storage stays poisoned in `hold` for a
/// while and a pointer kept across the growth is reported; the spare
/// capacity past `used` is poisoned, to the end of the arena's block.
/// On error `old` is untouched.
///
/// # Safety
///
/// `old`, when given, is the container's live block of `arena` with
/// `used <= old_bytes` initialised bytes; the caller forgets it when this
/// succeeds.
#[inline]
unsafe fn regrow<A: ArenaAlloc + ?Sized>(
    arena: &A,
    hold: &mut Hold,
    old: Option<NonNull<u8>>,
    old_bytes: usize,
    used: usize,
    align: usize,
    bytes: usize,
) -> Result<NonNull<u8>> {
    if !track::ON {
        let _ = (hold, old_bytes, used);
        return block(arena, old, align, bytes);
    }
    let p = block(arena, None, align, bytes)?;
    track::open(p.as_ptr(), bytes);
    if let Some(old) = old {
        // SAFETY: both blocks are live and distinct; `used` initialised
        // bytes of the old one fit in the new one (`bytes` only grows).
        unsafe { ptr::copy_nonoverlapping(old.as_ptr(), p.as_ptr(), used) };
        // SAFETY: the caller's promise; the old block is used no more.
        let held = unsafe { hold.free(arena, old, old_bytes) };
        debug_assert!(held.is_ok(), "old vector storage refused: {held:?}");
    }
    // SAFETY: `used <= bytes`, inside the new block.
    let spare = unsafe { p.as_ptr().add(used) };
    track::taken_back(spare, room(arena, p.as_ptr(), bytes) - used);
    Ok(p)
}

/// The capacity to grow to for `needed` elements with `cap` now: at least
/// double, at least 4.
#[inline]
fn grown(cap: usize, needed: usize) -> usize {
    needed.max(cap.saturating_mul(2)).max(4)
}

#[cold]
fn too_large(what: &str, n: usize, size: usize) -> Error {
    Error::invalid(format!(
        "{what}: {n} elements of {size} bytes overflow the address space"
    ))
}

/// A vector whose elements live in an arena: growth reallocates there
/// (in place when the storage is the arena's last allocation), and
/// dropping the vector drops its elements and gives the storage back.
///
/// Fallible operations return [`Error`] instead of panicking: the arena's
/// memory source may refuse a chunk. Zero-sized `T` never allocates.
///
/// ```
/// # fn main() -> arn::Result<()> {
/// let arena = arn::GrowArena::new();
/// let mut v = arn::ArenaVec::new_in(&arena);
/// for i in 0..100u32 {
///     v.push(i)?;
/// }
/// v.extend_from_slice(&[7, 7])?;
/// assert_eq!(v.index_of(&7), Some(7));
/// assert_eq!(v.remove(0)?, 0);
/// assert_eq!(v.pop(), Some(7));
/// assert_eq!(v[..3], [1, 2, 3]); // derefs to a slice
/// assert!(arena.stats().bytes_live >= 101 * 4); // its storage
/// # Ok(()) }
/// ```
pub struct ArenaVec<'a, T, A: ArenaAlloc + ?Sized = GrowArena> {
    ptr: NonNull<T>,
    len: usize,
    cap: usize,
    arena: &'a A,
    old: Hold,
    _own: PhantomData<T>,
}

// SAFETY: the vector owns its `T`s like a `Vec`; the arena is reached from
// whichever thread holds the vector, so it must be `Sync`.
unsafe impl<T: Send, A: ArenaAlloc + Sync + ?Sized> Send for ArenaVec<'_, T, A> {}
// SAFETY: `&ArenaVec` gives only `&T` and `&A`.
unsafe impl<T: Sync, A: ArenaAlloc + Sync + ?Sized> Sync for ArenaVec<'_, T, A> {}

impl<'a, T, A: ArenaAlloc + ?Sized> ArenaVec<'a, T, A> {
    const ZST: bool = mem::size_of::<T>() == 0;

    /// An empty vector in `arena`; nothing is allocated until the first
    /// push.
    pub fn new_in(arena: &'a A) -> Self {
        ArenaVec {
            ptr: NonNull::dangling(),
            len: 0,
            cap: if Self::ZST { usize::MAX } else { 0 },
            arena,
            old: Hold::default(),
            _own: PhantomData,
        }
    }

    /// An empty vector with room for `capacity` elements.
    ///
    /// Errors: [`Error::InvalidArgument`] when the size overflows, the
    /// arena's errors when it has no memory.
    pub fn with_capacity_in(capacity: usize, arena: &'a A) -> Result<Self> {
        let mut v = Self::new_in(arena);
        v.reserve(capacity)?;
        Ok(v)
    }

    /// The arena the storage lives in.
    pub fn arena(&self) -> &'a A {
        self.arena
    }

    /// Number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no elements.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many elements fit before the storage must grow (`usize::MAX`
    /// for zero-sized `T`).
    #[inline]
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Makes room for at least `additional` more elements.
    pub fn reserve(&mut self, additional: usize) -> Result<()> {
        let needed = self
            .len
            .checked_add(additional)
            .ok_or_else(|| too_large("ArenaVec", usize::MAX, mem::size_of::<T>()))?;
        if needed > self.cap {
            self.grow_to(grown(self.cap, needed).max(needed))?;
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn grow_to(&mut self, cap: usize) -> Result<()> {
        let size = mem::size_of::<T>();
        let bytes = cap
            .checked_mul(size)
            .filter(|&b| b <= isize::MAX as usize)
            .ok_or_else(|| too_large("ArenaVec", cap, size))?;
        let old = (self.cap > 0).then(|| self.ptr.cast());
        let (old_bytes, used) = (self.cap * size, self.len * size);
        let align = mem::align_of::<T>();
        // SAFETY: the vector's own block with `len` elements; replaced
        // below when this succeeds.
        let p = unsafe {
            regrow(
                self.arena,
                &mut self.old,
                old,
                old_bytes,
                used,
                align,
                bytes,
            )
        }?;
        self.ptr = p.cast();
        self.cap = cap;
        Ok(())
    }

    /// Appends `value`; on error (no memory) the vector is unchanged and
    /// `value` is dropped.
    #[inline]
    pub fn push(&mut self, value: T) -> Result<()> {
        if self.len == self.cap {
            self.reserve(1)?;
        }
        // SAFETY: `len < cap`, so the slot is inside the storage.
        unsafe {
            let slot = self.ptr.as_ptr().add(self.len);
            track::handed_out(slot.cast(), mem::size_of::<T>());
            slot.write(value);
        }
        self.len += 1;
        Ok(())
    }

    /// Removes and returns the last element.
    pub fn pop(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        // SAFETY: the element at the old `len - 1` was initialised and is
        // now outside the vector.
        unsafe {
            let slot = self.ptr.as_ptr().add(self.len);
            let value = slot.read();
            track::taken_back(slot.cast(), mem::size_of::<T>());
            Some(value)
        }
    }

    /// Replaces the element at `index`, returning the old one.
    ///
    /// Errors: [`Error::OutOfBounds`].
    pub fn set(&mut self, index: usize, value: T) -> Result<T> {
        let len = self.len;
        match self.get_mut(index) {
            Some(slot) => Ok(mem::replace(slot, value)),
            None => Err(Error::OutOfBounds { index, len }),
        }
    }

    /// Removes the element at `index`, shifting the later ones down.
    ///
    /// Errors: [`Error::OutOfBounds`].
    pub fn remove(&mut self, index: usize) -> Result<T> {
        if index >= self.len {
            return Err(Error::OutOfBounds {
                index,
                len: self.len,
            });
        }
        // SAFETY: `index < len`: read the element out, then close the gap.
        unsafe {
            let p = self.ptr.as_ptr().add(index);
            let value = p.read();
            ptr::copy(p.add(1), p, self.len - index - 1);
            self.len -= 1;
            track::taken_back(self.ptr.as_ptr().add(self.len).cast(), mem::size_of::<T>());
            Ok(value)
        }
    }

    /// Removes the first element equal to `value`; whether there was one.
    pub fn remove_value(&mut self, value: &T) -> bool
    where
        T: PartialEq,
    {
        match self.index_of(value) {
            Some(i) => {
                drop(self.remove(i));
                true
            }
            None => false,
        }
    }

    /// Index of the first element equal to `value`.
    pub fn index_of(&self, value: &T) -> Option<usize>
    where
        T: PartialEq,
    {
        self.iter().position(|x| x == value)
    }

    /// Index of the last element equal to `value`.
    pub fn last_index_of(&self, value: &T) -> Option<usize>
    where
        T: PartialEq,
    {
        self.iter().rposition(|x| x == value)
    }

    /// Drops every element; the storage stays for reuse.
    pub fn clear(&mut self) {
        let len = self.len;
        // Forget the elements first, so a panicking `Drop` cannot lead to
        // a second drop.
        self.len = 0;
        // SAFETY: the first `len` elements were initialised.
        unsafe { ptr::drop_in_place(ptr::slice_from_raw_parts_mut(self.ptr.as_ptr(), len)) };
        track::taken_back(self.ptr.as_ptr().cast(), len * mem::size_of::<T>());
    }

    /// Appends clones of `items`; on error (no memory) nothing is added.
    pub fn extend_from_slice(&mut self, items: &[T]) -> Result<()>
    where
        T: Clone,
    {
        self.reserve(items.len())?;
        // SAFETY: reserved: the slots are inside the storage.
        let slots = unsafe { self.ptr.as_ptr().add(self.len) };
        track::handed_out(slots.cast(), mem::size_of_val(items));
        for x in items {
            // SAFETY: reserved above; `len` moves after each write, so a
            // panicking `clone` leaves a valid vector.
            unsafe { self.ptr.as_ptr().add(self.len).write(x.clone()) };
            self.len += 1;
        }
        Ok(())
    }

    /// The storage pointer (dangling while nothing is allocated).
    pub fn as_ptr(&self) -> *const T {
        self.ptr.as_ptr()
    }

    /// Whether the vector holds an arena block (`false` for an empty
    /// vector that never grew and for zero-sized `T`).
    pub(crate) fn has_storage(&self) -> bool {
        !Self::ZST && self.cap > 0
    }
}

impl<T, A: ArenaAlloc + ?Sized> Deref for ArenaVec<'_, T, A> {
    type Target = [T];

    #[inline]
    fn deref(&self) -> &[T] {
        // SAFETY: `ptr` is aligned and non-null, the first `len` elements
        // are initialised.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T, A: ArenaAlloc + ?Sized> DerefMut for ArenaVec<'_, T, A> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`, and `&mut self` is unique.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<T, A: ArenaAlloc + ?Sized> Drop for ArenaVec<'_, T, A> {
    fn drop(&mut self) {
        self.clear();
        // SAFETY: the vector's old blocks, from its arena.
        let released = unsafe { self.old.release(self.arena) };
        debug_assert!(
            released.is_ok(),
            "ArenaVec old storage refused: {released:?}"
        );
        if self.has_storage() {
            // The arena may write into the block it gets back.
            let p = self.ptr.as_ptr().cast();
            track::open(p, room(self.arena, p, self.cap * mem::size_of::<T>()));
            // SAFETY: the vector's own block, used no more. A failure can
            // only mean the arena no longer knows the block; there is
            // nothing better to do in a drop than to leave it.
            let freed = unsafe { self.arena.free(self.ptr.cast()) };
            debug_assert!(freed.is_ok(), "ArenaVec storage refused: {freed:?}");
        }
    }
}

impl<T: fmt::Debug, A: ArenaAlloc + ?Sized> fmt::Debug for ArenaVec<'_, T, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'v, T, A: ArenaAlloc + ?Sized> IntoIterator for &'v ArenaVec<'_, T, A> {
    type Item = &'v T;
    type IntoIter = std::slice::Iter<'v, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'v, T, A: ArenaAlloc + ?Sized> IntoIterator for &'v mut ArenaVec<'_, T, A> {
    type Item = &'v mut T;
    type IntoIter = std::slice::IterMut<'v, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

/// The vector behind the C functions: `len` elements of `elem` bytes each,
/// aligned to [`ByteVec::ALIGN`] (as malloc would), in one arena block.
///
/// It holds no reference to its arena: every call that touches storage
/// gets the arena passed in, and the C layer makes sure it is the same,
/// live, not-reset arena the storage came from.
pub(crate) struct ByteVec {
    ptr: Option<NonNull<u8>>,
    len: usize,
    cap: usize,
    elem: usize,
    old: Hold,
}

// SAFETY: the storage is plain bytes owned by this vector.
unsafe impl Send for ByteVec {}

impl ByteVec {
    /// Alignment of the storage, the most any C scalar needs.
    pub(crate) const ALIGN: usize = 16;

    /// An empty vector of `elem`-byte elements with room for `capacity`.
    ///
    /// Errors: [`Error::InvalidArgument`] for a zero `elem` or an
    /// overflowing size; the arena's errors.
    pub(crate) fn new(arena: &dyn ArenaAlloc, elem: usize, capacity: usize) -> Result<ByteVec> {
        if elem == 0 {
            return Err(Error::invalid("element size is 0"));
        }
        let mut v = ByteVec {
            ptr: None,
            len: 0,
            cap: 0,
            elem,
            old: Hold::default(),
        };
        if capacity > 0 {
            v.grow_to(arena, capacity)?;
        }
        Ok(v)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn capacity(&self) -> usize {
        self.cap
    }

    pub(crate) fn elem_size(&self) -> usize {
        self.elem
    }

    #[cold]
    #[inline(never)]
    fn grow_to(&mut self, arena: &dyn ArenaAlloc, cap: usize) -> Result<()> {
        let bytes = cap
            .checked_mul(self.elem)
            .filter(|&b| b <= isize::MAX as usize)
            .ok_or_else(|| too_large("vector", cap, self.elem))?;
        let (old_bytes, used) = (self.cap * self.elem, self.len * self.elem);
        // SAFETY: the vector's own block with `len` elements; replaced
        // below when this succeeds.
        let p = unsafe {
            regrow(
                arena,
                &mut self.old,
                self.ptr,
                old_bytes,
                used,
                Self::ALIGN,
                bytes,
            )
        }?;
        self.ptr = Some(p);
        self.cap = cap;
        Ok(())
    }

    /// Appends a copy of `elem` (exactly `elem_size` bytes). On error the
    /// vector is unchanged.
    ///
    /// # Safety
    ///
    /// `elem` is valid for reading `elem_size` bytes; it may point into
    /// this vector's own storage.
    pub(crate) unsafe fn push(&mut self, arena: &dyn ArenaAlloc, elem: *const u8) -> Result<()> {
        // SAFETY: the caller's promise.
        if unsafe { self.push_in_place(elem) } {
            return Ok(());
        }
        let needed = self
            .len
            .checked_add(1)
            .ok_or_else(|| too_large("vector", usize::MAX, self.elem))?;
        // The source may be an element of this vector, which growing
        // can move: copy it aside first when it is.
        let mut aside = Vec::new();
        let src = if self.contains(elem) {
            // SAFETY: inside this vector's live storage.
            aside.extend_from_slice(unsafe { std::slice::from_raw_parts(elem, self.elem) });
            aside.as_ptr()
        } else {
            elem
        };
        self.grow_to(arena, grown(self.cap, needed))?;
        // SAFETY: the caller's promise, or the copy; the slot is inside
        // the grown storage.
        unsafe { self.write(self.len, src) };
        self.len += 1;
        Ok(())
    }

    /// Appends a copy of the element at `elem` when there is room, without
    /// growing; `false` (nothing changed) when the storage is full.
    ///
    /// # Safety
    ///
    /// As for [`ByteVec::push`].
    #[inline(always)]
    pub(crate) unsafe fn push_in_place(&mut self, elem: *const u8) -> bool {
        if self.len == self.cap {
            return false;
        }
        // SAFETY: `len < cap`; the caller's promise for `elem`, which may
        // be an element of this vector (`write` allows overlap).
        unsafe { self.write(self.len, elem) };
        self.len += 1;
        true
    }

    fn contains(&self, p: *const u8) -> bool {
        match self.ptr {
            Some(base) => {
                let start = base.as_ptr() as usize;
                (start..start + self.cap * self.elem).contains(&(p as usize))
            }
            None => false,
        }
    }

    /// # Safety
    ///
    /// `index < cap`, `src` readable for `elem` bytes.
    #[inline(always)]
    unsafe fn write(&mut self, index: usize, src: *const u8) {
        let base = self.ptr.expect("a vector with capacity has storage");
        // SAFETY: the caller's promise. The common small sizes are one load
        // and one store (the load done before the store, so overlap is
        // fine, as it is for `ptr::copy`).
        unsafe {
            let dst = base.as_ptr().add(index * self.elem);
            track::handed_out(dst, self.elem);
            match self.elem {
                4 => dst
                    .cast::<u32>()
                    .write_unaligned(src.cast::<u32>().read_unaligned()),
                8 => dst
                    .cast::<u64>()
                    .write_unaligned(src.cast::<u64>().read_unaligned()),
                16 => dst
                    .cast::<u128>()
                    .write_unaligned(src.cast::<u128>().read_unaligned()),
                n => ptr::copy(src, dst, n),
            }
        }
    }

    /// Pointer to the element at `index`.
    ///
    /// Errors: [`Error::OutOfBounds`].
    pub(crate) fn at(&self, index: usize) -> Result<NonNull<u8>> {
        if index >= self.len {
            return Err(Error::OutOfBounds {
                index,
                len: self.len,
            });
        }
        let base = self.ptr.expect("a non-empty vector has storage");
        // SAFETY: `index < len <= cap`, inside the storage.
        Ok(unsafe { base.add(index * self.elem) })
    }

    /// Overwrites the element at `index` with `elem_size` bytes from `elem`.
    ///
    /// # Safety
    ///
    /// As for [`ByteVec::push`].
    pub(crate) unsafe fn set(&mut self, index: usize, elem: *const u8) -> Result<()> {
        self.at(index)?;
        // SAFETY: in bounds; the caller's promise for `elem`.
        unsafe { self.write(index, elem) };
        Ok(())
    }

    /// Removes the element at `index`, shifting the later ones down.
    ///
    /// Errors: [`Error::OutOfBounds`].
    pub(crate) fn remove(&mut self, index: usize) -> Result<()> {
        let p = self.at(index)?.as_ptr();
        // SAFETY: the elements after `index` are inside the storage.
        unsafe { ptr::copy(p.add(self.elem), p, (self.len - index - 1) * self.elem) };
        self.len -= 1;
        // SAFETY: the last slot, inside the storage.
        track::taken_back(unsafe { p.add((self.len - index) * self.elem) }, self.elem);
        Ok(())
    }

    /// Index of the first element equal byte-wise to `elem`.
    ///
    /// # Safety
    ///
    /// `elem` is valid for reading `elem_size` bytes.
    pub(crate) unsafe fn index_of(&self, elem: *const u8) -> Option<usize> {
        // SAFETY: the caller's promise; it may overlap the storage, which
        // is only read here.
        let want = unsafe { std::slice::from_raw_parts(elem, self.elem) };
        (0..self.len).find(|&i| self.bytes(i) == want)
    }

    fn bytes(&self, index: usize) -> &[u8] {
        let p = self.at(index).expect("index below len");
        // SAFETY: an element inside the storage.
        unsafe { std::slice::from_raw_parts(p.as_ptr(), self.elem) }
    }

    /// Removes the first element equal byte-wise to `elem`; whether there
    /// was one.
    ///
    /// # Safety
    ///
    /// As for [`ByteVec::index_of`].
    pub(crate) unsafe fn remove_value(&mut self, elem: *const u8) -> bool {
        // SAFETY: the caller's promise.
        match unsafe { self.index_of(elem) } {
            Some(i) => self.remove(i).is_ok(),
            None => false,
        }
    }

    /// Forgets every element; the storage stays.
    pub(crate) fn clear(&mut self) {
        if let Some(p) = self.ptr {
            track::taken_back(p.as_ptr(), self.len * self.elem);
        }
        self.len = 0;
    }

    /// Indices of the elements whose pointer-sized field at byte `offset`
    /// is neither NULL nor managed by `arena`.
    ///
    /// Errors: [`Error::InvalidArgument`] when the field does not fit in an
    /// element.
    pub(crate) fn audit(&self, arena: &dyn ArenaAlloc, offset: usize) -> Result<Vec<usize>> {
        let width = mem::size_of::<usize>();
        if offset.checked_add(width).is_none_or(|end| end > self.elem) {
            return Err(Error::invalid(format!(
                "offset {offset} + {width} pointer bytes past the {}-byte element",
                self.elem
            )));
        }
        Ok((0..self.len)
            .filter(|&i| {
                let field = &self.bytes(i)[offset..offset + width];
                let addr = usize::from_ne_bytes(field.try_into().expect("pointer width"));
                addr != 0 && !arena.is_managed(ptr::without_provenance(addr))
            })
            .collect())
    }

    /// How many old blocks the vector holds (tracking build).
    #[cfg(all(test, not(arn_loom)))]
    pub(super) fn held(&self) -> usize {
        self.old.len()
    }

    /// Gives the storage back to `arena`.
    ///
    /// # Safety
    ///
    /// `arena` is the one the storage came from, not reset since.
    pub(crate) unsafe fn free(mut self, arena: &dyn ArenaAlloc) -> Result<()> {
        // SAFETY: the caller's promise.
        unsafe { self.old.release(arena) }?;
        match self.ptr {
            Some(p) => {
                // The arena may write into the block it gets back.
                track::open(p.as_ptr(), room(arena, p.as_ptr(), self.cap * self.elem));
                // SAFETY: the caller's promise; `self` is consumed.
                unsafe { arena.free(p) }
            }
            None => Ok(()),
        }
    }
}
