//! [`Pool<T>`]: a pool of Rust values with a guard that puts them back.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};

use super::PoolStats;
use crate::error::{Error, Result};

type ResetFn<T> = Box<dyn FnMut(&mut T)>;

/// A pool of `T` made by a constructor closure and reset on reuse by an
/// optional reset closure.
///
/// [`Pool::get`] hands out a [`PoolGuard`] that derefs to the object and
/// puts it back when dropped. The pool is for one thread (`!Sync`) and its
/// methods take `&self`. The closures must not call back into the pool
/// they belong to: a constructor or reset that does panics.
///
/// A panic in a closure leaves the pool consistent: a panicking constructor
/// changes nothing, and an object whose reset panics is dropped (it counts
/// as neither available nor in use from then on).
///
/// ```
/// # fn main() -> arn::Result<()> {
/// let pool = arn::Pool::new(2, || Vec::<u8>::with_capacity(4096))?
///     .with_reset(|v| v.clear());
/// {
///     let mut buf = pool.get(); // a guard: derefs to the Vec
///     buf.extend_from_slice(b"frame");
/// } // back in the pool here, reset on its next use
/// assert_eq!(pool.get().len(), 0);
/// assert_eq!(pool.stats().in_use, 0);
/// # Ok(()) }
/// ```
pub struct Pool<T> {
    available: RefCell<Vec<T>>,
    /// The first `fresh` available objects were made up front and never
    /// handed out: they need no reset. Returned objects go on top of them.
    fresh: Cell<usize>,
    ctor: RefCell<Box<dyn FnMut() -> T>>,
    reset: Option<RefCell<ResetFn<T>>>,
    capacity: usize,
    in_use: Cell<usize>,
    total: Cell<usize>,
}

impl<T> Pool<T> {
    /// Creates a pool and makes `capacity` objects with `ctor` up front.
    /// A shrink keeps `capacity` available objects.
    ///
    /// Fails with [`Error::InvalidArgument`] when `capacity` objects cannot
    /// be stored, and [`Error::System`] when the heap refuses the room.
    pub fn new(capacity: usize, ctor: impl FnMut() -> T + 'static) -> Result<Pool<T>> {
        let mut available = Vec::new();
        if capacity
            .checked_mul(std::mem::size_of::<T>())
            .is_none_or(|b| b > isize::MAX as usize)
        {
            return Err(Error::invalid(format!(
                "pool capacity {capacity} is too large"
            )));
        }
        available
            .try_reserve_exact(capacity)
            .map_err(|_| Error::System {
                bytes: capacity * std::mem::size_of::<T>(),
            })?;
        let mut ctor: Box<dyn FnMut() -> T> = Box::new(ctor);
        for _ in 0..capacity {
            available.push(ctor());
        }
        Ok(Pool {
            available: RefCell::new(available),
            fresh: Cell::new(capacity),
            ctor: RefCell::new(ctor),
            reset: None,
            capacity,
            in_use: Cell::new(0),
            total: Cell::new(capacity),
        })
    }

    /// Sets the closure that runs on an object handed out again after it
    /// came back (never on a fresh one).
    pub fn with_reset(mut self, reset: impl FnMut(&mut T) + 'static) -> Pool<T> {
        self.reset = Some(RefCell::new(Box::new(reset)));
        self
    }

    /// Hands out the most recently returned object, reset, or a fresh one
    /// made up front, or else a new one from the constructor.
    ///
    /// # Panics
    ///
    /// When the constructor or the reset calls back into this pool and needs
    /// itself again, and when one of them panics.
    pub fn get(&self) -> PoolGuard<'_, T> {
        let popped = {
            let mut available = self.available.borrow_mut();
            available.pop().map(|obj| {
                let left = available.len();
                let fresh = left < self.fresh.get();
                if fresh {
                    self.fresh.set(left);
                }
                (obj, fresh)
            })
        };
        let obj = match popped {
            Some((mut obj, fresh)) => {
                if let (false, Some(reset)) = (fresh, &self.reset) {
                    let mut reset = reset
                        .try_borrow_mut()
                        .expect("Pool: the reset closure called back into its own pool");
                    reset(&mut obj);
                }
                obj
            }
            None => self.make(),
        };
        self.in_use.set(self.in_use.get() + 1);
        PoolGuard {
            pool: self,
            obj: ManuallyDrop::new(obj),
        }
    }

    #[cold]
    #[inline(never)]
    fn make(&self) -> T {
        let mut ctor = self
            .ctor
            .try_borrow_mut()
            .expect("Pool: the constructor called back into its own pool");
        let obj = ctor();
        self.total.set(self.total.get() + 1);
        obj
    }

    /// Drops the available objects beyond the capacity given at creation,
    /// the most recently returned first.
    pub fn shrink(&self) {
        let dropped = {
            let mut available = self.available.borrow_mut();
            if available.len() <= self.capacity {
                return;
            }
            self.fresh.set(self.fresh.get().min(self.capacity));
            available.split_off(self.capacity)
        };
        // Dropped outside the borrow: a `Drop` may use the pool.
        drop(dropped);
    }

    /// The pool's counters: `total_allocated` counts constructor calls.
    pub fn stats(&self) -> PoolStats {
        PoolStats {
            available: self.available.borrow().len(),
            in_use: self.in_use.get(),
            total_allocated: self.total.get(),
            capacity: self.capacity,
        }
    }

    fn put_back(&self, obj: T) {
        self.available.borrow_mut().push(obj);
        self.in_use.set(self.in_use.get() - 1);
    }
}

impl<T> fmt::Debug for Pool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("stats", &self.stats())
            .finish()
    }
}

/// An object out of a [`Pool`]; dropping the guard puts it back.
pub struct PoolGuard<'a, T> {
    pool: &'a Pool<T>,
    obj: ManuallyDrop<T>,
}

impl<T> PoolGuard<'_, T> {
    /// Takes the object out of the pool for good: it no longer counts as in
    /// use, and the pool will not see it again. An associated function, so
    /// that it does not hide a method of `T`.
    pub fn detach(this: PoolGuard<'_, T>) -> T {
        let mut this = ManuallyDrop::new(this);
        this.pool.in_use.set(this.pool.in_use.get() - 1);
        // SAFETY: the guard is never dropped (it is in a `ManuallyDrop`), so
        // the object is taken out once.
        unsafe { ManuallyDrop::take(&mut this.obj) }
    }
}

impl<T> Deref for PoolGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.obj
    }
}

impl<T> DerefMut for PoolGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.obj
    }
}

impl<T: fmt::Debug> fmt::Debug for PoolGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PoolGuard").field(&*self.obj).finish()
    }
}

impl<T> Drop for PoolGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: `drop` runs once, and the object is not used after this.
        let obj = unsafe { ManuallyDrop::take(&mut self.obj) };
        self.pool.put_back(obj);
    }
}
