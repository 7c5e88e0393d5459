//! Waiting for a byte arena to have room: the blocking allocate with a
//! timeout (C) and, with feature `async`, `allocate_async` (tokio).
//!
//! An arena is *armed* while anyone waits. A release that finds its arena
//! armed calls [`Waiters::wake`] after giving its memory back; a waiter
//! retries after arming, and sleeps under the waiters' lock, so that a
//! release either is seen by the retry or wakes the sleeper.

use std::time::{Duration, Instant};

use crate::sync::{Condvar, Mutex, lock};

/// Told of every release, with the order of the piece that became free (0
/// for a fixed arena): a pluggable wait policy's wake.
pub(crate) type WakeHook = Box<dyn Fn(usize) + Send + Sync>;

pub(crate) struct Waiters {
    /// How many callers wait (blocking and async).
    count: Mutex<usize>,
    cv: Condvar,
    #[cfg(feature = "async")]
    notify: tokio::sync::Notify,
    hook: Option<WakeHook>,
}

/// The longest single sleep; a longer timeout sleeps again.
const NAP: Duration = Duration::from_secs(3600);

impl Waiters {
    /// Waiters for an arena; one with a `hook` counts the hook as a
    /// waiter for good, so the arena is armed from the start and every
    /// release calls the hook.
    pub(crate) fn new(hook: Option<WakeHook>) -> Waiters {
        Waiters {
            count: Mutex::new(usize::from(hook.is_some())),
            cv: Condvar::new(),
            #[cfg(feature = "async")]
            notify: tokio::sync::Notify::new(),
            hook,
        }
    }

    /// Counts one more waiter; the first arms the arena.
    #[cfg(feature = "async")]
    fn enter(&self, arm: &dyn Fn(bool)) {
        let mut n = lock(&self.count);
        *n += 1;
        if *n == 1 {
            arm(true);
        }
    }

    /// Counts one waiter less; the last disarms the arena.
    #[cfg(feature = "async")]
    fn leave(&self, arm: &dyn Fn(bool)) {
        let mut n = lock(&self.count);
        *n -= 1;
        if *n == 0 {
            arm(false);
        }
    }

    /// Calls `take` until it returns a value or `timeout` has passed.
    /// `arm(true)` runs when the first waiter arrives and `arm(false)` when
    /// the last one leaves, both under the waiters' lock.
    pub(crate) fn block<T>(
        &self,
        timeout: Duration,
        arm: &dyn Fn(bool),
        take: &mut dyn FnMut() -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now().checked_add(timeout);
        let mut n = lock(&self.count);
        *n += 1;
        if *n == 1 {
            arm(true);
        }
        let got = loop {
            if let Some(t) = take() {
                break Some(t);
            }
            let left = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()),
                None => NAP,
            };
            if left.is_zero() {
                break None;
            }
            n = match self.cv.wait_timeout(n, left.min(NAP)) {
                Ok((g, _)) => g,
                Err(e) => e.into_inner().0,
            };
        };
        *n -= 1;
        if *n == 0 {
            arm(false);
        }
        got
    }

    /// Waits, without blocking the thread, until `take` returns a value.
    #[cfg(feature = "async")]
    pub(crate) async fn wait<T>(
        &self,
        arm: &(dyn Fn(bool) + Sync),
        take: &mut (dyn FnMut() -> Option<T> + Send),
    ) -> T {
        if let Some(t) = take() {
            return t;
        }
        let _waiting = Registered::new(self, arm);
        loop {
            let mut notified = std::pin::pin!(self.notify.notified());
            // Registered before the retry: a release after the retry wakes
            // this future.
            notified.as_mut().enable();
            if let Some(t) = take() {
                return t;
            }
            notified.await;
        }
    }

    /// Wakes every waiter, to retry, and tells the hook that a piece of
    /// `order` came free.
    pub(crate) fn wake(&self, order: usize) {
        {
            let _n = lock(&self.count);
            self.cv.notify_all();
            #[cfg(feature = "async")]
            self.notify.notify_waiters();
        }
        if let Some(hook) = &self.hook {
            hook(order);
        }
    }
}

/// An async waiter's place in the count, given up when the future
/// completes or is dropped.
#[cfg(feature = "async")]
struct Registered<'a> {
    waiters: &'a Waiters,
    arm: &'a (dyn Fn(bool) + Sync),
}

#[cfg(feature = "async")]
impl<'a> Registered<'a> {
    fn new(waiters: &'a Waiters, arm: &'a (dyn Fn(bool) + Sync)) -> Registered<'a> {
        waiters.enter(arm);
        Registered { waiters, arm }
    }
}

#[cfg(feature = "async")]
impl Drop for Registered<'_> {
    fn drop(&mut self) {
        self.waiters.leave(self.arm);
    }
}
