//! Waiting for room (feature `async-alloc`): [`AsyncFixedArena`] and
//! [`AsyncBuddyArena`], the pluggable wait policies ([`Waiter`],
//! [`BuddyWaiter`], [`WaitRegistration`]) and the default one,
//! [`NotifyWaiters`].
//!
//! An async arena is *armed* for good: every release calls the policy's
//! `wake` (a buddy release coalesces at once and passes the order of the
//! free block it made). Each round of `allocate_async` registers with the
//! policy, prepares the registration, tries to allocate, and sleeps on the
//! registration when that fails: a release after the preparation is either
//! seen by the try or wakes the registration.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::num::NonZeroUsize;
use std::ops::Deref;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use super::buffer::Buffer;
use super::error::AllocError;
use super::{BuddyArena, FixedArena};

/// A wait policy for [`AsyncFixedArena`]: all slots are alike, so waiters
/// need no size.
pub trait Waiter: Send + Sync + 'static {
    /// The future a waiting task sleeps on.
    type Registration: WaitRegistration;

    /// A registration for a task about to wait.
    fn register(&self) -> Self::Registration;

    /// A slot came back: wake a waiter.
    fn wake(&self);
}

/// A wait policy for [`AsyncBuddyArena`]: waiters wait for a block of an
/// order, and a release names the order of the free block it made.
pub trait BuddyWaiter: Send + Sync + 'static {
    /// The future a waiting task sleeps on.
    type Registration: WaitRegistration;

    /// A registration for a task about to wait for a block of `order`.
    fn register(&self, order: usize) -> Self::Registration;

    /// A free block of `freed_order` appeared: wake waiters it can serve.
    fn wake(&self, freed_order: usize);
}

/// A waiting task's registration: armed before the task retries its
/// allocation, revoked when the retry succeeds, awaited when it fails.
pub trait WaitRegistration: Future<Output = ()> {
    /// Starts receiving wakes (before the retry).
    fn prepare(self: Pin<&mut Self>);

    /// Stops receiving wakes (the retry succeeded).
    fn revoke(self: Pin<&mut Self>);
}

// ---------------------------------------------------------------------------
// NotifyWaiters: a FIFO queue of tickets per order.
// ---------------------------------------------------------------------------

/// A ticket waits for a wake.
const WAITING: u8 = 0;
/// A wake was handed to it.
const WOKEN: u8 = 1;
/// Its registration went away without one.
const GONE: u8 = 2;

/// One registration's place in a queue (a ticket); the queue and the registration
/// share it, and exactly one of them moves it out of `WAITING`.
struct Entry {
    state: AtomicU8,
    /// The order the wake named (buddy arenas), set before `WOKEN`.
    freed: AtomicUsize,
    waker: Mutex<Option<Waker>>,
}

/// The waiters of one order, oldest first.
struct Queue {
    tickets: Mutex<VecDeque<Arc<Entry>>>,
    /// Tickets still `WAITING` in it.
    waiting: AtomicUsize,
}

struct Queues {
    orders: Box<[Queue]>,
}

impl Queues {
    /// Hands a wake naming `freed` to the oldest waiting ticket of queue
    /// `order`; whether one took it.
    fn wake_one(&self, order: usize, freed: usize) -> bool {
        let q = &self.orders[order];
        if q.waiting.load(Ordering::Acquire) == 0 {
            return false;
        }
        let mut tickets = q.tickets.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some(t) = tickets.pop_front() {
            t.freed.store(freed, Ordering::Relaxed);
            if t.state
                .compare_exchange(WAITING, WOKEN, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                q.waiting.fetch_sub(1, Ordering::AcqRel);
                drop(tickets);
                let waker = t
                    .waker
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                if let Some(w) = waker {
                    w.wake();
                }
                return true;
            }
            // A ticket whose registration went: dropped from the queue here.
        }
        false
    }

    /// A free block of `freed` can serve a waiter of every order up to it:
    /// one wake for the oldest waiter of each, largest order first.
    fn wake_orders(&self, freed: usize) {
        let top = freed.min(self.orders.len() - 1);
        for order in (0..=top).rev() {
            self.wake_one(order, freed);
        }
    }
}

/// The default wait policy: a first-come first-served queue per order.
///
/// For a fixed arena (one queue), each release wakes the oldest waiter; a
/// woken waiter that goes away passes the wake to the next one, so no wake
/// is lost, and with nobody waiting a wake is not stored. For a buddy
/// arena, a release wakes the oldest waiter of every order its free block
/// can serve; a waiter that goes away before it saw its wake passes it on.
#[derive(Clone)]
pub struct NotifyWaiters {
    queues: Arc<Queues>,
}

impl fmt::Debug for NotifyWaiters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotifyWaiters")
            .field("orders", &self.queues.orders.len())
            .finish()
    }
}

impl NotifyWaiters {
    /// Queues for `num_orders` orders: 1 for a fixed arena, the top order
    /// plus one for a buddy arena.
    ///
    /// # Panics
    ///
    /// When `num_orders` is 0.
    pub fn new(num_orders: usize) -> Self {
        assert!(num_orders > 0, "must have at least one order");
        let orders = (0..num_orders)
            .map(|_| Queue {
                tickets: Mutex::new(VecDeque::new()),
                waiting: AtomicUsize::new(0),
            })
            .collect();
        NotifyWaiters {
            queues: Arc::new(Queues { orders }),
        }
    }

    fn ticket(&self, order: usize, fixed: bool) -> Registration {
        Registration {
            queues: Arc::clone(&self.queues),
            order: order.min(self.queues.orders.len() - 1),
            ticket: Arc::new(Entry {
                state: AtomicU8::new(WAITING),
                freed: AtomicUsize::new(0),
                waker: Mutex::new(None),
            }),
            queued: false,
            seen: false,
            fixed,
        }
    }
}

impl Waiter for NotifyWaiters {
    type Registration = NotifyRegistration;

    fn register(&self) -> NotifyRegistration {
        NotifyRegistration(self.ticket(0, true))
    }

    fn wake(&self) {
        self.queues.wake_one(0, 0);
    }
}

impl BuddyWaiter for NotifyWaiters {
    type Registration = BuddyRegistration;

    fn register(&self, order: usize) -> BuddyRegistration {
        BuddyRegistration(self.ticket(order, false))
    }

    fn wake(&self, freed_order: usize) {
        self.queues.wake_orders(freed_order);
    }
}

/// A registration with [`NotifyWaiters`], either kind.
struct Registration {
    queues: Arc<Queues>,
    order: usize,
    ticket: Arc<Entry>,
    /// In its queue (prepared, not revoked).
    queued: bool,
    /// The task saw its wake (the future returned ready).
    seen: bool,
    /// A fixed-arena registration: a wake it saw but did not use is passed
    /// on too.
    fixed: bool,
}

impl Registration {
    fn prepare(&mut self) {
        if self.queued || self.ticket.state.load(Ordering::Acquire) != WAITING {
            return;
        }
        let q = &self.queues.orders[self.order];
        let mut tickets = q.tickets.lock().unwrap_or_else(PoisonError::into_inner);
        // Tickets whose registration went, at the front, go now rather
        // than on the next wake.
        while tickets
            .front()
            .is_some_and(|t| t.state.load(Ordering::Acquire) != WAITING)
        {
            tickets.pop_front();
        }
        tickets.push_back(Arc::clone(&self.ticket));
        q.waiting.fetch_add(1, Ordering::AcqRel);
        self.queued = true;
    }

    /// Leaves the queue if still waiting; a wake handed over meanwhile
    /// stays, to be passed on when the registration goes.
    fn withdraw(&mut self) {
        if self.queued
            && self
                .ticket
                .state
                .compare_exchange(WAITING, GONE, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            self.queues.orders[self.order]
                .waiting
                .fetch_sub(1, Ordering::AcqRel);
        }
        self.queued = false;
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if !self.queued && self.ticket.state.load(Ordering::Acquire) != WOKEN {
            // Never prepared, or revoked: nothing to wait for.
            return Poll::Ready(());
        }
        if self.ticket.state.load(Ordering::Acquire) == WOKEN {
            self.seen = true;
            return Poll::Ready(());
        }
        *self
            .ticket
            .waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(cx.waker().clone());
        // A wake between the check and storing the waker found no waker
        // to call: look again.
        if self.ticket.state.load(Ordering::Acquire) == WOKEN {
            self.seen = true;
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.withdraw();
        if self.ticket.state.load(Ordering::Acquire) != WOKEN {
            return;
        }
        if !self.seen {
            // Handed a wake the task never saw (cancelled, or its retry
            // succeeded first): pass it on.
            let freed = self.ticket.freed.load(Ordering::Relaxed);
            if self.fixed {
                self.queues.wake_one(0, 0);
            } else {
                self.queues.wake_orders(freed);
            }
        } else if self.fixed {
            // A fixed-arena waiter that saw its wake goes before retrying:
            // the next waiter gets a turn too.
            self.queues.wake_one(0, 0);
        }
    }
}

/// [`NotifyWaiters`]' registration for a fixed arena.
pub struct NotifyRegistration(Registration);

/// [`NotifyWaiters`]' registration for a buddy arena.
pub struct BuddyRegistration(Registration);

macro_rules! registration {
    ($t:ty) => {
        impl WaitRegistration for $t {
            fn prepare(self: Pin<&mut Self>) {
                self.get_mut().0.prepare();
            }

            fn revoke(self: Pin<&mut Self>) {
                self.get_mut().0.withdraw();
            }
        }

        impl Future for $t {
            type Output = ();

            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
                self.get_mut().0.poll(cx)
            }
        }

        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($t))
                    .field("order", &self.0.order)
                    .field("queued", &self.0.queued)
                    .finish()
            }
        }
    };
}

registration!(NotifyRegistration);
registration!(BuddyRegistration);

// ---------------------------------------------------------------------------
// The async arenas.
// ---------------------------------------------------------------------------

/// Registers with the wait policy and tries `take`, until it returns a
/// value.
async fn wait_for<R, T>(register: impl Fn() -> R, mut take: impl FnMut() -> Option<T>) -> T
where
    R: WaitRegistration,
{
    loop {
        let mut registration = pin!(register());
        registration.as_mut().prepare();
        if let Some(v) = take() {
            registration.as_mut().revoke();
            return v;
        }
        registration.await;
    }
}

/// A [`FixedArena`] whose [`allocate_async`](Self::allocate_async) waits
/// for a slot; the arena's other methods through `Deref`. Cloning shares
/// the arena and its waiters.
pub struct AsyncFixedArena<W = NotifyWaiters> {
    inner: FixedArena,
    waiters: Arc<W>,
}

impl<W> Clone for AsyncFixedArena<W> {
    fn clone(&self) -> Self {
        AsyncFixedArena {
            inner: self.inner.clone(),
            waiters: Arc::clone(&self.waiters),
        }
    }
}

impl<W> AsyncFixedArena<W> {
    pub(crate) fn new(inner: FixedArena, waiters: Arc<W>) -> Self {
        AsyncFixedArena { inner, waiters }
    }
}

impl<W: Waiter> AsyncFixedArena<W> {
    /// A buffer over a slot, waiting (without blocking the thread) until
    /// one is free.
    pub async fn allocate_async(&self) -> Buffer {
        wait_for(|| self.waiters.register(), || self.inner.allocate().ok()).await
    }
}

impl<W> Deref for AsyncFixedArena<W> {
    type Target = FixedArena;

    fn deref(&self) -> &FixedArena {
        &self.inner
    }
}

impl<W> fmt::Debug for AsyncFixedArena<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFixedArena")
            .field("inner", &self.inner)
            .finish()
    }
}

/// A [`BuddyArena`] whose [`allocate_async`](Self::allocate_async) waits
/// for a block; the arena's other methods through `Deref`. Cloning shares
/// the arena and its waiters.
pub struct AsyncBuddyArena<W = NotifyWaiters> {
    inner: BuddyArena,
    waiters: Arc<W>,
}

impl<W> Clone for AsyncBuddyArena<W> {
    fn clone(&self) -> Self {
        AsyncBuddyArena {
            inner: self.inner.clone(),
            waiters: Arc::clone(&self.waiters),
        }
    }
}

impl<W> AsyncBuddyArena<W> {
    pub(crate) fn new(inner: BuddyArena, waiters: Arc<W>) -> Self {
        AsyncBuddyArena { inner, waiters }
    }
}

impl<W: BuddyWaiter> AsyncBuddyArena<W> {
    /// A buffer over a block of at least `len` bytes, waiting (without
    /// blocking the thread) until one is free. A request larger than the
    /// arena fails at once with [`AllocError::RequestTooLarge`].
    pub async fn allocate_async(&self, len: NonZeroUsize) -> Result<Buffer, AllocError> {
        let Some(order) = self.inner.order_for(len.get()) else {
            // No release could ever serve it: the sync path's error (and
            // its count as a failure).
            return self.inner.allocate(len);
        };
        Ok(wait_for(
            || self.waiters.register(order),
            || self.inner.allocate(len).ok(),
        )
        .await)
    }
}

impl<W> Deref for AsyncBuddyArena<W> {
    type Target = BuddyArena;

    fn deref(&self) -> &BuddyArena {
        &self.inner
    }
}

impl<W> fmt::Debug for AsyncBuddyArena<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncBuddyArena")
            .field("inner", &self.inner)
            .finish()
    }
}
