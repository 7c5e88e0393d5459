//! The synchronisation types of the thread-safe parts (the byte arenas,
//! the handle table, the shared growing arena), from `std` or, when the
//! crate is built with `RUSTFLAGS="--cfg arn_loom"`, from loom, whose
//! models (`make loom`) explore every interleaving of the lock-free paths;
//! and the one spin lock they share.

use std::cell::UnsafeCell;

#[cfg(arn_loom)]
pub(crate) use loom::sync::atomic::{
    AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence,
};
#[cfg(arn_loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};

#[cfg(not(arn_loom))]
pub(crate) use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence};
#[cfg(not(arn_loom))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};

/// Locks `m`, ignoring poisoning: every critical section of the byte arenas
/// leaves its state consistent before anything in it can panic.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A lock for critical sections of a few dozen instructions that threads
/// seldom contend for (the buddy arena's state, the shared growing arena's
/// core, a C buffer): taken with one
/// compare-and-swap and given back with a plain store (`std::sync::Mutex`
/// gives back with a swap, to learn whether it must wake a sleeper: a
/// second locked instruction per call, a quarter of a byte-arena
/// roundtrip's time). A thread that finds it taken spins briefly, then
/// yields its time slice until it is free.
pub(crate) struct SpinLock<T> {
    held: AtomicUsize,
    value: UnsafeCell<T>,
}

// SAFETY: the value is reached only through a guard, and one guard exists
// at a time (the compare-and-swap on `held`).
unsafe impl<T: Send> Sync for SpinLock<T> {}

impl<T> SpinLock<T> {
    pub(crate) fn new(value: T) -> SpinLock<T> {
        SpinLock {
            held: AtomicUsize::new(0),
            value: UnsafeCell::new(value),
        }
    }

    #[inline(always)]
    pub(crate) fn lock(&self) -> SpinGuard<'_, T> {
        if self
            .held
            .compare_exchange_weak(0, 1, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_slow();
        }
        SpinGuard { lock: self }
    }

    /// Runs `f` with the lock held (given back also when `f` panics). `f`
    /// must not take the lock again.
    #[inline(always)]
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut self.lock())
    }

    /// The value, the lock gone.
    pub(crate) fn into_inner(self) -> T {
        self.value.into_inner()
    }

    #[cold]
    #[inline(never)]
    fn lock_slow(&self) {
        let mut spins = 0u32;
        loop {
            while self.held.load(Ordering::Relaxed) != 0 {
                if cfg!(arn_loom) || spins >= 64 {
                    yield_now();
                } else {
                    std::hint::spin_loop();
                    spins += 1;
                }
            }
            if self
                .held
                .compare_exchange_weak(0, 1, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
        }
    }
}

#[cfg(not(arn_loom))]
fn yield_now() {
    std::thread::yield_now();
}

#[cfg(arn_loom)]
fn yield_now() {
    loom::thread::yield_now();
}

/// The holder of a [`SpinLock`]; dropping it (also while unwinding) gives
/// the lock back.
pub(crate) struct SpinGuard<'a, T> {
    lock: &'a SpinLock<T>,
}

impl<T> std::ops::Deref for SpinGuard<'_, T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock, so nothing else reaches the
        // value.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T> std::ops::DerefMut for SpinGuard<'_, T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and the guard is borrowed mutably.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T> Drop for SpinGuard<'_, T> {
    #[inline(always)]
    fn drop(&mut self) {
        self.lock.held.store(0, Ordering::Release);
    }
}

#[cfg(all(test, not(arn_loom)))]
mod tests {
    use super::SpinLock;

    #[test]
    fn threads_take_turns() {
        let rounds = if cfg!(miri) { 50 } else { 20_000 };
        let lock = SpinLock::new(0u64);
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    for _ in 0..rounds {
                        // A read and a write that a second holder would
                        // interleave with.
                        lock.with(|n| {
                            let v = *n;
                            std::hint::black_box(());
                            *n = v + 1;
                        });
                    }
                });
            }
        });
        assert_eq!(lock.into_inner(), 2 * rounds);
    }

    #[test]
    fn a_panic_inside_gives_the_lock_back() {
        let lock = SpinLock::new(vec![1]);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            lock.with(|v| {
                v.push(2);
                panic!("inside");
            })
        }));
        assert!(caught.is_err());
        assert_eq!(lock.with(|v| v.len()), 2);
    }
}
