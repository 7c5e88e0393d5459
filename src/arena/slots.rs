//! [`SlotArena`]: the typed arena for Rust, slots of one `T` by index, over
//! the same core as the C typed arena (`arntm`, `arnta`, `arnti`).

use std::fmt;
use std::marker::PhantomData;
use std::mem;
use std::ops::{Index, IndexMut};

use super::{ArenaStats, TypedArena};
use crate::error::{Error, Result};

/// A fixed number of slots of `T` in one zero-filled buffer, addressed by
/// the index [`push`](Self::push) returns, like the C typed arena but
/// typed: slots are aligned for `T` (up to
/// [`ARN_MAX_ALIGN`](crate::ARN_MAX_ALIGN)) and hold initialised values.
///
/// Unlike the byte allocators' typed methods, a slot arena knows what it
/// holds: [`reset`](Self::reset) and drop run every value's `Drop`.
/// Pushing takes `&self` and hands out only an index, so values can be
/// read by index while others are pushed; changing one takes `&mut self`.
///
/// ```
/// # fn main() -> arn::Result<()> {
/// let nodes = arn::SlotArena::<(&str, Option<usize>)>::with_capacity(16)?;
/// let root = nodes.push(("root", None))?;
/// let leaf = nodes.push(("leaf", Some(root)))?;
/// let parent = nodes[leaf].1.unwrap();
/// assert_eq!(nodes[parent].0, "root");
/// assert_eq!(nodes.len(), 2);
/// # Ok(()) }
/// ```
pub struct SlotArena<T> {
    slots: TypedArena,
    _own: PhantomData<T>,
}

impl<T> SlotArena<T> {
    /// Room for `capacity` values. A zero-sized `T` takes 8 bytes a slot.
    ///
    /// Errors: [`Error::InvalidArgument`] for a capacity of 0, one whose
    /// size overflows, or an alignment of `T` above the maximum;
    /// [`Error::System`] when the heap refuses.
    pub fn with_capacity(capacity: usize) -> Result<SlotArena<T>> {
        Ok(SlotArena {
            slots: TypedArena::new_aligned(
                mem::size_of::<T>().max(1),
                mem::align_of::<T>(),
                capacity,
            )?,
            _own: PhantomData,
        })
    }

    /// Moves `value` into the next slot and returns its index.
    ///
    /// Errors: [`Error::Full`] when every slot is taken (`value` is
    /// dropped).
    ///
    /// ```
    /// # fn main() -> arn::Result<()> {
    /// let names = arn::SlotArena::with_capacity(1)?;
    /// assert_eq!(names.push(String::from("ada"))?, 0);
    /// assert!(matches!(names.push(String::new()), Err(arn::Error::Full { .. })));
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn push(&self, value: T) -> Result<usize> {
        let (index, p) = self.slots.alloc_ptr()?;
        // SAFETY: a fresh slot, aligned and large enough for a `T`, that no
        // reference points to (only pushed slots are ever lent out).
        unsafe { p.cast::<T>().as_ptr().write(value) };
        Ok(index)
    }

    /// The value at `index`, or `None` past [`len`](Self::len).
    #[inline]
    pub fn get(&self, index: usize) -> Option<&T> {
        let p = self.slots.slot_ptr(index).ok()?;
        // SAFETY: a pushed slot holds an initialised `T`; pushing never
        // touches it again and changing it needs `&mut self`.
        Some(unsafe { &*p.cast::<T>().as_ptr() })
    }

    /// The value at `index` to change, or `None` past [`len`](Self::len).
    ///
    /// ```
    /// # fn main() -> arn::Result<()> {
    /// let mut counts = arn::SlotArena::with_capacity(4)?;
    /// let i = counts.push(0u32)?;
    /// *counts.get_mut(i).unwrap() += 2;
    /// counts[i] += 1;
    /// assert_eq!(counts[i], 3);
    /// assert!(counts.get_mut(1).is_none());
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        let p = self.slots.slot_ptr(index).ok()?;
        // SAFETY: as in `get`; `&mut self` proves no other reference.
        Some(unsafe { &mut *p.cast::<T>().as_ptr() })
    }

    /// Values pushed since the last reset (valid indexes are `0..len`).
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no value was pushed since the last reset.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// How many values fit.
    pub fn capacity(&self) -> usize {
        self.slots.capacity()
    }

    /// Every value, in index order.
    ///
    /// ```
    /// # fn main() -> arn::Result<()> {
    /// let a = arn::SlotArena::with_capacity(8)?;
    /// for x in [3, 1, 2] {
    ///     a.push(x)?;
    /// }
    /// assert_eq!(a.iter().copied().collect::<Vec<i32>>(), [3, 1, 2]);
    /// # Ok(()) }
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        // `len` is read once: the iterator borrows `self`, and a push
        // through that shared borrow after it started is not visited.
        (0..self.len()).map(move |i| &self[i])
    }

    /// Every value, in index order, to change.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> + '_ {
        let (first, stride, len) = self.raw_parts();
        // SAFETY: the `len` pushed slots, `stride` bytes apart, each an
        // initialised `T`; `&mut self` proves no other reference, and each
        // slot is handed out once.
        (0..len).map(move |i| unsafe { &mut *first.byte_add(i * stride) })
    }

    /// Drops every value and zeroes the slots they used; the arena is
    /// empty again.
    ///
    /// ```
    /// # fn main() -> arn::Result<()> {
    /// let mut a = arn::SlotArena::with_capacity(2)?;
    /// a.push(vec![1, 2, 3])?;
    /// a.reset();
    /// assert!(a.is_empty());
    /// assert_eq!(a.push(vec![4])?, 0);
    /// # Ok(()) }
    /// ```
    pub fn reset(&mut self) {
        /// Resets the core on the way out, also when a value's `Drop`
        /// panics (the values after it leak, none is dropped twice).
        struct Reset<'a>(&'a mut TypedArena);
        impl Drop for Reset<'_> {
            fn drop(&mut self) {
                self.0.reset();
            }
        }
        let (first, stride, len) = self.raw_parts();
        let _reset = Reset(&mut self.slots);
        // SAFETY: the pushed values, dropped once: the core forgets them
        // when `_reset` goes, whichever way this returns.
        unsafe { drop_slots(first, stride, len) };
    }

    /// The counters of the core (C: `arn_arena_stats`): `count` is
    /// [`len`](Self::len), `type_size` the size of `T` (8-byte slots of a
    /// zero-sized `T` report 1).
    pub fn stats(&self) -> ArenaStats {
        self.slots.stats()
    }

    /// The first slot, the distance between slots and the count.
    fn raw_parts(&self) -> (*mut T, usize, usize) {
        let a = &self.slots.arena;
        (a.buf.base().cast(), a.stride, a.objects.get())
    }
}

/// Drops `len` values, `stride` bytes apart from `first`.
///
/// # Safety
///
/// They are initialised `T`s that nothing uses or drops again.
unsafe fn drop_slots<T>(first: *mut T, stride: usize, len: usize) {
    if mem::needs_drop::<T>() {
        for i in 0..len {
            // SAFETY: the caller's promise.
            unsafe { first.byte_add(i * stride).drop_in_place() };
        }
    }
}

impl<T> Index<usize> for SlotArena<T> {
    type Output = T;

    /// The value at `index`; panics past [`len`](SlotArena::len) (use
    /// [`get`](SlotArena::get) to ask).
    #[inline]
    fn index(&self, index: usize) -> &T {
        match self.get(index) {
            Some(v) => v,
            None => out_of_bounds(index, self.len()),
        }
    }
}

impl<T> IndexMut<usize> for SlotArena<T> {
    #[inline]
    fn index_mut(&mut self, index: usize) -> &mut T {
        let len = self.len();
        match self.get_mut(index) {
            Some(v) => v,
            None => out_of_bounds(index, len),
        }
    }
}

#[cold]
#[inline(never)]
#[track_caller]
fn out_of_bounds(index: usize, len: usize) -> ! {
    panic!("{}", Error::OutOfBounds { index, len })
}

impl<T> Drop for SlotArena<T> {
    fn drop(&mut self) {
        let (first, stride, len) = self.raw_parts();
        // SAFETY: the pushed values; the buffer goes with `self`.
        unsafe { drop_slots(first, stride, len) };
    }
}

impl<T: fmt::Debug> fmt::Debug for SlotArena<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use super::*;

    #[test]
    fn values_go_in_by_index_and_come_out_aligned() {
        #[derive(Debug, PartialEq)]
        #[repr(align(256))]
        struct Wide(u64);
        let a = SlotArena::with_capacity(3).unwrap();
        assert_eq!(a.push(Wide(1)).unwrap(), 0);
        assert_eq!(a.push(Wide(2)).unwrap(), 1);
        let first = &a[0];
        assert_eq!(a.push(Wide(3)).unwrap(), 2, "pushing while one is lent");
        assert_eq!(first, &Wide(1));
        for (i, w) in a.iter().enumerate() {
            assert_eq!(w as *const Wide as usize % 256, 0);
            assert_eq!(w.0, i as u64 + 1);
        }
        assert!(matches!(
            a.push(Wide(4)),
            Err(Error::Full { capacity: 3, .. })
        ));
        assert!(a.get(3).is_none());
        assert_eq!(a.stats().count, 3);
        assert_eq!(format!("{a:?}"), "[Wide(1), Wide(2), Wide(3)]");
    }

    #[test]
    fn reset_and_drop_run_every_drop_once() {
        struct D(Rc<Cell<u32>>);
        impl Drop for D {
            fn drop(&mut self) {
                self.0.set(self.0.get() + 1);
            }
        }
        let n = Rc::new(Cell::new(0));
        let mut a = SlotArena::with_capacity(4).unwrap();
        for _ in 0..3 {
            a.push(D(n.clone())).unwrap();
        }
        a.reset();
        assert_eq!(n.get(), 3);
        assert!(a.is_empty());
        a.push(D(n.clone())).unwrap();
        a.push(D(n.clone())).unwrap();
        drop(a);
        assert_eq!(n.get(), 5);
    }

    #[test]
    fn a_panicking_drop_in_reset_leaves_an_empty_arena() {
        struct Bomb(bool);
        impl Drop for Bomb {
            fn drop(&mut self) {
                if self.0 {
                    panic!("boom");
                }
            }
        }
        let mut a = SlotArena::with_capacity(3).unwrap();
        a.push(Bomb(false)).unwrap();
        a.push(Bomb(true)).unwrap();
        a.push(Bomb(false)).unwrap();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| a.reset()));
        assert!(r.is_err());
        assert!(a.is_empty());
        assert_eq!(a.stats().offset, 0);
        assert_eq!(a.push(Bomb(false)).unwrap(), 0);
    }

    #[test]
    fn changes_by_index_and_iteration() {
        let mut a = SlotArena::with_capacity(4).unwrap();
        for s in ["a", "b", "c"] {
            a.push(s.to_string()).unwrap();
        }
        a[1].push('!');
        a.get_mut(2).unwrap().push('?');
        for s in a.iter_mut() {
            s.insert(0, '>');
        }
        assert_eq!(a.iter().cloned().collect::<Vec<_>>(), [">a", ">b!", ">c?"]);
    }

    #[test]
    fn zero_sized_values_and_bad_capacities() {
        let a = SlotArena::<()>::with_capacity(2).unwrap();
        a.push(()).unwrap();
        a.push(()).unwrap();
        assert!(a.push(()).is_err());
        assert_eq!(a.len(), 2);
        assert!(matches!(
            SlotArena::<u8>::with_capacity(0),
            Err(Error::InvalidArgument(_))
        ));
        assert!(matches!(
            SlotArena::<u64>::with_capacity(usize::MAX / 4),
            Err(Error::InvalidArgument(_))
        ));
    }

    #[test]
    #[should_panic(expected = "index 1 out of bounds: 1 allocated")]
    fn indexing_past_the_end_panics_with_the_numbers() {
        let a = SlotArena::with_capacity(2).unwrap();
        a.push(1u8).unwrap();
        let _ = a[1];
    }
}
