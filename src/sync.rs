//! The synchronisation types of the byte arenas and the handle table, from
//! `std` or, when the crate is built with `RUSTFLAGS="--cfg arn_loom"`, from
//! loom, whose models (`make loom`) explore every interleaving of the
//! lock-free paths.

#[cfg(arn_loom)]
pub(crate) use loom::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence,
};
#[cfg(arn_loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};

#[cfg(not(arn_loom))]
pub(crate) use std::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence,
};
#[cfg(not(arn_loom))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};

/// Locks `m`, ignoring poisoning: every critical section of the byte arenas
/// leaves its state consistent before anything in it can panic.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A lock for data that threads seldom contend for (a C buffer, which one
/// thread writes at a time as a rule): one compare-and-swap takes it and
/// one store gives it back, with no poisoning to check; a thread that
/// finds it taken spins a little, then yields until it is free. A panic
/// inside gives it back.
pub(crate) struct SpinLock<T> {
    taken: AtomicBool,
    value: std::cell::UnsafeCell<T>,
}

// SAFETY: the value is reached only by the one thread that took the lock.
unsafe impl<T: Send> Sync for SpinLock<T> {}

impl<T> SpinLock<T> {
    pub(crate) fn new(value: T) -> Self {
        SpinLock {
            taken: AtomicBool::new(false),
            value: std::cell::UnsafeCell::new(value),
        }
    }

    /// Runs `f` on the value with the lock taken. `f` must not take it
    /// again.
    #[inline(always)]
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        if self
            .taken
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.wait();
        }
        /// Gives the lock back when dropped, also on a panic in `f`.
        struct GiveBack<'a>(&'a AtomicBool);
        impl Drop for GiveBack<'_> {
            #[inline(always)]
            fn drop(&mut self) {
                self.0.store(false, Ordering::Release);
            }
        }
        let _give_back = GiveBack(&self.taken);
        // SAFETY: the lock is ours until `_give_back` drops, and `f` gets
        // the only reference to the value meanwhile.
        f(unsafe { &mut *self.value.get() })
    }

    /// Takes the lock once it is free.
    #[cold]
    #[inline(never)]
    fn wait(&self) {
        let mut spins = 0u32;
        loop {
            if !self.taken.load(Ordering::Relaxed)
                && self
                    .taken
                    .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                return;
            }
            if spins < 100 {
                spins += 1;
                std::hint::spin_loop();
            } else {
                #[cfg(arn_loom)]
                loom::thread::yield_now();
                #[cfg(not(arn_loom))]
                std::thread::yield_now();
            }
        }
    }

    /// The value, the lock gone.
    pub(crate) fn into_inner(self) -> T {
        self.value.into_inner()
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
