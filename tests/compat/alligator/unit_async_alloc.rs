// Copied from arena-alligator 0.7.0 (src/async_alloc.rs, its unit tests), MIT licence: see LICENSE-arena-alligator
// in this folder. Changed: only the crate path (see README.md).

use core::num::NonZeroUsize;
use core::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::Arc;
use std::vec::Vec;

use bytes::BufMut;
use tokio::time::{Duration, timeout};

use arn::compat::arena_alligator::BuddyArena;
use arn::compat::arena_alligator::BuddyGeometry;
use arn::compat::arena_alligator::FixedArena;

use arn::compat::arena_alligator::async_alloc::*;
// What the parent module imported and the tests use through `super::*`:
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

// -- CountingWaiters: implements Waiter (fixed) and BuddyWaiter (buddy) --

#[derive(Clone)]
struct CountingWaiters {
    inner: NotifyWaiters,
    registrations: Arc<AtomicUsize>,
    wakes: Arc<AtomicUsize>,
}

impl CountingWaiters {
    fn new(num_orders: usize) -> Self {
        Self {
            inner: NotifyWaiters::new(num_orders),
            registrations: Arc::new(AtomicUsize::new(0)),
            wakes: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn registrations(&self) -> usize {
        self.registrations.load(AtomicOrdering::Relaxed)
    }

    fn wakes(&self) -> usize {
        self.wakes.load(AtomicOrdering::Relaxed)
    }

    async fn wait_for_registrations(&self, n: usize) {
        while self.registrations() < n {
            tokio::task::yield_now().await;
        }
    }
}

// Wrapper to project through to the correct inner registration type
struct CountingFixedRegistration {
    inner: NotifyRegistration,
}

struct CountingBuddyRegistration {
    inner: BuddyRegistration,
}

impl Waiter for CountingWaiters {
    type Registration = CountingFixedRegistration;

    fn register(&self) -> Self::Registration {
        self.registrations.fetch_add(1, AtomicOrdering::Relaxed);
        CountingFixedRegistration {
            inner: Waiter::register(&self.inner),
        }
    }

    fn wake(&self) {
        self.wakes.fetch_add(1, AtomicOrdering::Relaxed);
        Waiter::wake(&self.inner);
    }
}

impl BuddyWaiter for CountingWaiters {
    type Registration = CountingBuddyRegistration;

    fn register(&self, order: usize) -> Self::Registration {
        self.registrations.fetch_add(1, AtomicOrdering::Relaxed);
        CountingBuddyRegistration {
            inner: BuddyWaiter::register(&self.inner, order),
        }
    }

    fn wake(&self, freed_order: usize) {
        self.wakes.fetch_add(1, AtomicOrdering::Relaxed);
        BuddyWaiter::wake(&self.inner, freed_order);
    }
}

impl WaitRegistration for CountingFixedRegistration {
    fn prepare(self: Pin<&mut Self>) {
        unsafe { self.map_unchecked_mut(|this| &mut this.inner) }.prepare();
    }

    fn revoke(self: Pin<&mut Self>) {
        unsafe { self.map_unchecked_mut(|this| &mut this.inner) }.revoke();
    }
}

impl Future for CountingFixedRegistration {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        unsafe { self.map_unchecked_mut(|this| &mut this.inner) }.poll(cx)
    }
}

impl WaitRegistration for CountingBuddyRegistration {
    fn prepare(self: Pin<&mut Self>) {
        unsafe { self.map_unchecked_mut(|this| &mut this.inner) }.prepare();
    }

    fn revoke(self: Pin<&mut Self>) {
        unsafe { self.map_unchecked_mut(|this| &mut this.inner) }.revoke();
    }
}

impl Future for CountingBuddyRegistration {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        unsafe { self.map_unchecked_mut(|this| &mut this.inner) }.poll(cx)
    }
}

// -- Fixed arena tests --

#[tokio::test]
async fn allocate_async_basic() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(32).unwrap(),
    )
    .build_async()
    .unwrap();
    let mut buf = arena.allocate_async().await;
    buf.put_slice(b"data");
    let bytes = buf.freeze();
    drop(bytes);
    let _buf2 = arena.allocate_async().await;
}

#[tokio::test]
async fn allocate_async_waits_then_succeeds() {
    let waiters = CountingWaiters::new(1);
    let arena = Arc::new(
        FixedArena::with_slot_capacity(
            NonZeroUsize::new(1).unwrap(),
            NonZeroUsize::new(32).unwrap(),
        )
        .build_async_with(waiters.clone())
        .unwrap(),
    );
    let mut buf = arena.allocate_async().await;
    buf.put_slice(b"blocking");
    let bytes = buf.freeze();
    let baseline = waiters.registrations();
    let arena2 = Arc::clone(&arena);
    let handle = tokio::spawn(async move {
        let buf = arena2.allocate_async().await;
        buf.capacity()
    });
    waiters.wait_for_registrations(baseline + 1).await;
    drop(bytes);
    let cap = timeout(Duration::from_secs(2), handle)
        .await
        .expect("should not timeout")
        .expect("task should not panic");
    assert_eq!(cap, 32);
}

#[tokio::test]
async fn sync_allocate_still_fast_fails() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(32).unwrap(),
    )
    .build_async()
    .unwrap();
    let _buf = arena.allocate().unwrap();
    let err = arena.allocate().unwrap_err();
    assert_eq!(err, arn::compat::arena_alligator::AllocError::ArenaFull);
}

#[tokio::test]
async fn multiple_waiters_all_served() {
    let waiters = CountingWaiters::new(1);
    let arena = Arc::new(
        FixedArena::with_slot_capacity(
            NonZeroUsize::new(2).unwrap(),
            NonZeroUsize::new(32).unwrap(),
        )
        .build_async_with(waiters.clone())
        .unwrap(),
    );
    let buf1 = arena.allocate().unwrap();
    let buf2 = arena.allocate().unwrap();
    let baseline = waiters.registrations();
    let a1 = Arc::clone(&arena);
    let h1 = tokio::spawn(async move { a1.allocate_async().await.capacity() });
    let a2 = Arc::clone(&arena);
    let h2 = tokio::spawn(async move { a2.allocate_async().await.capacity() });
    waiters.wait_for_registrations(baseline + 2).await;
    drop(buf1);
    drop(buf2);
    let (r1, r2) = tokio::join!(
        timeout(Duration::from_secs(2), h1),
        timeout(Duration::from_secs(2), h2),
    );
    assert_eq!(r1.unwrap().unwrap(), 32);
    assert_eq!(r2.unwrap().unwrap(), 32);
}

#[tokio::test]
async fn deref_exposes_sync_methods() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(4).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .build_async()
    .unwrap();
    assert_eq!(arena.slot_count(), 4);
    assert_eq!(arena.slot_capacity(), 64);
}

#[tokio::test]
async fn fixed_cancellation_no_leak() {
    let waiters = CountingWaiters::new(1);
    let arena = Arc::new(
        FixedArena::with_slot_capacity(
            NonZeroUsize::new(1).unwrap(),
            NonZeroUsize::new(32).unwrap(),
        )
        .build_async_with(waiters.clone())
        .unwrap(),
    );
    let buf = arena.allocate().unwrap();

    let baseline = waiters.registrations();
    let arena2 = Arc::clone(&arena);
    let handle = tokio::spawn(async move { arena2.allocate_async().await });
    waiters.wait_for_registrations(baseline + 1).await;
    handle.abort();
    let _ = handle.await;

    drop(buf);
    let _buf2 = arena.allocate().unwrap();
}

/// A woken registration that is dropped without allocating must propagate
/// the wake to the next waiter. Without this, the Notify permit is consumed
/// and the second waiter stalls forever.
#[tokio::test(flavor = "current_thread")]
async fn fixed_woken_drop_propagates_to_next_waiter() {
    let waiters = Arc::new(NotifyWaiters::new(1));

    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<()>();

    // Task A: registers, gets woken, then drops registration without
    // allocating — simulates a cancelled task that consumed the permit.
    let w = Arc::clone(&waiters);
    let h_a = tokio::spawn(async move {
        let reg = Waiter::register(&*w);
        tokio::pin!(reg);
        reg.as_mut().prepare();
        ready_tx.send(()).ok();
        reg.await;
        // Drop reg without doing anything — permit consumed, no allocation
    });

    // Wait for task A to register
    ready_rx.await.ok();

    // Task B: registers after A
    let (b_ready_tx, b_ready_rx) = tokio::sync::oneshot::channel::<()>();
    let w2 = Arc::clone(&waiters);
    let h_b = tokio::spawn(async move {
        let reg = Waiter::register(&*w2);
        tokio::pin!(reg);
        reg.as_mut().prepare();
        b_ready_tx.send(()).ok();
        reg.await;
    });

    // Wait for task B to register and prepare
    b_ready_rx.await.ok();

    // One wake — task A gets the permit (first in Notify queue)
    Waiter::wake(&*waiters);

    // Let task A run to completion (consumes permit, drops registration)
    let _ = h_a.await;

    // Task B must complete — propagation from A's drop must re-notify
    timeout(Duration::from_secs(2), h_b)
        .await
        .expect("task B must not stall when A drops after wake")
        .expect("task B should not panic");
}

/// When the woken waiter is the last waiter (count == 0), dropping it
/// must NOT store a stale permit. A stale permit would cause the next
/// registrant to immediately wake, fail allocation, drop, re-notify —
/// creating a hot retry loop.
#[tokio::test(flavor = "current_thread")]
async fn fixed_last_waiter_woken_drop_no_stale_permit() {
    let waiters = Arc::new(NotifyWaiters::new(1));

    // Single waiter — no peers
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<()>();
    let w = Arc::clone(&waiters);
    let h = tokio::spawn(async move {
        let reg = Waiter::register(&*w);
        tokio::pin!(reg);
        reg.as_mut().prepare();
        ready_tx.send(()).ok();
        reg.await;
    });

    ready_rx.await.ok();

    // Wake the sole waiter
    Waiter::wake(&*waiters);
    let _ = h.await;

    // No waiters remain. If a stale permit was stored, the next
    // registration would resolve immediately (spurious wake).
    let (ready_tx2, ready_rx2) = tokio::sync::oneshot::channel::<()>();
    let w2 = Arc::clone(&waiters);
    let h2 = tokio::spawn(async move {
        let reg = Waiter::register(&*w2);
        tokio::pin!(reg);
        reg.as_mut().prepare();
        ready_tx2.send(()).ok();
        // This must NOT resolve immediately — no real wake happened
        reg.await;
    });

    ready_rx2.await.ok();

    // h2 should still be pending (no stale permit)
    assert!(!h2.is_finished(), "stale permit caused spurious wake");

    // Clean up: wake h2 so it completes
    Waiter::wake(&*waiters);
    timeout(Duration::from_secs(1), h2)
        .await
        .expect("cleanup wake should work")
        .expect("no panic");
}

#[tokio::test]
async fn fixed_custom_waiter_supported() {
    let waiters = CountingWaiters::new(1);
    let arena = Arc::new(
        FixedArena::with_slot_capacity(
            NonZeroUsize::new(1).unwrap(),
            NonZeroUsize::new(32).unwrap(),
        )
        .build_async_with(waiters.clone())
        .unwrap(),
    );
    let buf = arena.allocate().unwrap();

    let baseline = waiters.registrations();
    let arena2 = Arc::clone(&arena);
    let handle = tokio::spawn(async move { arena2.allocate_async().await.capacity() });
    waiters.wait_for_registrations(baseline + 1).await;
    drop(buf);

    let cap = timeout(Duration::from_secs(2), handle)
        .await
        .expect("should not timeout")
        .expect("task should not panic");
    assert_eq!(cap, 32);
    assert!(waiters.registrations() > baseline);
    assert!(waiters.wakes() >= 1);
}

// -- Buddy arena tests --

#[tokio::test]
async fn buddy_allocate_async_waits_then_succeeds() {
    let waiters = CountingWaiters::new(4);
    let arena = Arc::new(
        BuddyArena::builder(
            BuddyGeometry::exact(
                NonZeroUsize::new(4096).unwrap(),
                NonZeroUsize::new(512).unwrap(),
            )
            .unwrap(),
        )
        .build_async_with(waiters.clone())
        .unwrap(),
    );
    let buf = arena.allocate(NonZeroUsize::new(2048).unwrap()).unwrap();

    let baseline = waiters.registrations();
    let arena2 = Arc::clone(&arena);
    let handle = tokio::spawn(async move {
        let buf = arena2
            .allocate_async(NonZeroUsize::new(2048).unwrap())
            .await
            .unwrap();
        buf.capacity()
    });

    waiters.wait_for_registrations(baseline + 1).await;
    drop(buf);

    let cap = timeout(Duration::from_secs(2), handle)
        .await
        .expect("should not timeout")
        .expect("task should not panic");
    assert_eq!(cap, 2048);
}

#[tokio::test]
async fn buddy_allocate_async_oversized_fails_fast() {
    let arena = BuddyArena::builder(
        BuddyGeometry::exact(
            NonZeroUsize::new(4096).unwrap(),
            NonZeroUsize::new(512).unwrap(),
        )
        .unwrap(),
    )
    .build_async()
    .unwrap();

    // A request larger than the whole arena can never be satisfied by any
    // free or coalesce, so it must return immediately rather than park.
    let err = timeout(
        Duration::from_secs(1),
        arena.allocate_async(NonZeroUsize::new(8192).unwrap()),
    )
    .await
    .expect("oversized request must not hang")
    .unwrap_err();
    assert_eq!(
        err,
        arn::compat::arena_alligator::AllocError::RequestTooLarge
    );
}

#[tokio::test]
async fn buddy_multiple_waiters_all_served() {
    let waiters = CountingWaiters::new(4);
    let arena = Arc::new(
        BuddyArena::builder(
            BuddyGeometry::exact(
                NonZeroUsize::new(4096).unwrap(),
                NonZeroUsize::new(512).unwrap(),
            )
            .unwrap(),
        )
        .build_async_with(waiters.clone())
        .unwrap(),
    );
    let buf1 = arena.allocate(NonZeroUsize::new(2048).unwrap()).unwrap();
    let buf2 = arena.allocate(NonZeroUsize::new(2048).unwrap()).unwrap();

    let baseline = waiters.registrations();
    let a1 = Arc::clone(&arena);
    let h1 = tokio::spawn(async move {
        a1.allocate_async(NonZeroUsize::new(2048).unwrap())
            .await
            .unwrap()
            .capacity()
    });
    let a2 = Arc::clone(&arena);
    let h2 = tokio::spawn(async move {
        a2.allocate_async(NonZeroUsize::new(2048).unwrap())
            .await
            .unwrap()
            .capacity()
    });

    waiters.wait_for_registrations(baseline + 2).await;
    drop(buf1);
    drop(buf2);

    let (r1, r2) = tokio::join!(
        timeout(Duration::from_secs(2), h1),
        timeout(Duration::from_secs(2), h2),
    );
    assert_eq!(r1.unwrap().unwrap(), 2048);
    assert_eq!(r2.unwrap().unwrap(), 2048);
}

/// Per-order wake prevents the starvation scenario where a large waiter
/// is starved because a small waiter steals the coalesced block.
#[tokio::test]
async fn buddy_large_waiter_not_starved_by_small() {
    let waiters = CountingWaiters::new(4);
    let arena = Arc::new(
        BuddyArena::builder(
            BuddyGeometry::exact(
                NonZeroUsize::new(4096).unwrap(),
                NonZeroUsize::new(512).unwrap(),
            )
            .unwrap(),
        )
        .build_async_with(waiters.clone())
        .unwrap(),
    );
    let buf1 = arena.allocate(NonZeroUsize::new(2048).unwrap()).unwrap();
    let buf2 = arena.allocate(NonZeroUsize::new(2048).unwrap()).unwrap();

    let (small_tx, small_rx) = tokio::sync::oneshot::channel::<()>();
    let (small_ready_tx, small_ready_rx) = tokio::sync::oneshot::channel::<()>();

    let baseline = waiters.registrations();
    let arena_large = Arc::clone(&arena);
    let large = tokio::spawn(async move {
        arena_large
            .allocate_async(NonZeroUsize::new(4096).unwrap())
            .await
            .unwrap()
            .capacity()
    });
    waiters.wait_for_registrations(baseline + 1).await;

    let arena_small = Arc::clone(&arena);
    let small = tokio::spawn(async move {
        let buf = arena_small
            .allocate_async(NonZeroUsize::new(512).unwrap())
            .await
            .unwrap();
        let cap = buf.capacity();
        small_ready_tx.send(()).ok();
        small_rx.await.ok();
        drop(buf);
        cap
    });
    waiters.wait_for_registrations(baseline + 2).await;

    drop(buf1);
    // Small waiter is woken (freed order 2 satisfies order 0) and allocates.
    small_ready_rx.await.ok();

    drop(buf2);

    small_tx.send(()).ok();

    let large_cap = timeout(Duration::from_secs(2), large)
        .await
        .expect("large waiter should not starve")
        .expect("task should not panic");
    assert_eq!(large_cap, 4096);

    let small_cap = timeout(Duration::from_secs(2), small)
        .await
        .expect("small waiter should complete")
        .expect("task should not panic");
    assert_eq!(small_cap, 512);
}

#[tokio::test(flavor = "current_thread")]
async fn buddy_large_request_unblocks_after_coalesce() {
    let waiters = CountingWaiters::new(4);
    let arena = Arc::new(
        BuddyArena::builder(
            BuddyGeometry::exact(
                NonZeroUsize::new(4096).unwrap(),
                NonZeroUsize::new(512).unwrap(),
            )
            .unwrap(),
        )
        .build_async_with(waiters.clone())
        .unwrap(),
    );
    let buf1 = arena.allocate(NonZeroUsize::new(2048).unwrap()).unwrap();
    let buf2 = arena.allocate(NonZeroUsize::new(2048).unwrap()).unwrap();

    let baseline = waiters.registrations();
    let arena2 = Arc::clone(&arena);
    let handle = tokio::spawn(async move {
        let buf = arena2
            .allocate_async(NonZeroUsize::new(4096).unwrap())
            .await
            .unwrap();
        buf.capacity()
    });

    waiters.wait_for_registrations(baseline + 1).await;
    drop(buf1);
    // Freed order 2 only wakes orders 0..=2; the order-3 waiter is not
    // woken, so it remains registered and the handle stays pending.
    tokio::task::yield_now().await;
    assert!(!handle.is_finished());
    drop(buf2);

    let cap = timeout(Duration::from_secs(2), handle)
        .await
        .expect("should not timeout")
        .expect("task should not panic");
    assert_eq!(cap, 4096);
}

#[tokio::test]
async fn buddy_cancellation_does_not_leak() {
    let waiters = CountingWaiters::new(4);
    let arena = Arc::new(
        BuddyArena::builder(
            BuddyGeometry::exact(
                NonZeroUsize::new(4096).unwrap(),
                NonZeroUsize::new(512).unwrap(),
            )
            .unwrap(),
        )
        .build_async_with(waiters.clone())
        .unwrap(),
    );
    let buf = arena.allocate(NonZeroUsize::new(4096).unwrap()).unwrap();

    let baseline = waiters.registrations();
    let arena2 = Arc::clone(&arena);
    let handle =
        tokio::spawn(async move { arena2.allocate_async(NonZeroUsize::new(512).unwrap()).await });
    waiters.wait_for_registrations(baseline + 1).await;
    handle.abort();
    let _ = handle.await;

    drop(buf);
    let _buf2 = arena.allocate(NonZeroUsize::new(4096).unwrap()).unwrap();
}

#[tokio::test]
async fn buddy_custom_waiter_supported() {
    let waiters = CountingWaiters::new(4);
    let arena = Arc::new(
        BuddyArena::builder(
            BuddyGeometry::exact(
                NonZeroUsize::new(4096).unwrap(),
                NonZeroUsize::new(512).unwrap(),
            )
            .unwrap(),
        )
        .build_async_with(waiters.clone())
        .unwrap(),
    );
    let buf = arena.allocate(NonZeroUsize::new(2048).unwrap()).unwrap();

    let baseline = waiters.registrations();
    let arena2 = Arc::clone(&arena);
    let handle = tokio::spawn(async move {
        arena2
            .allocate_async(NonZeroUsize::new(2048).unwrap())
            .await
            .unwrap()
            .capacity()
    });
    waiters.wait_for_registrations(baseline + 1).await;
    drop(buf);

    let cap = timeout(Duration::from_secs(2), handle)
        .await
        .expect("should not timeout")
        .expect("task should not panic");
    assert_eq!(cap, 2048);
    assert!(waiters.registrations() > baseline);
    assert!(waiters.wakes() >= 1);
}

/// Multiple waiters at different orders are all served from one freed block
/// via buddy splitting.
#[tokio::test]
async fn buddy_multi_order_waiters_served_via_split() {
    let waiters = CountingWaiters::new(4);
    let arena = Arc::new(
        BuddyArena::builder(
            BuddyGeometry::exact(
                NonZeroUsize::new(4096).unwrap(),
                NonZeroUsize::new(512).unwrap(),
            )
            .unwrap(),
        )
        .build_async_with(waiters.clone())
        .unwrap(),
    );
    let buf = arena.allocate(NonZeroUsize::new(4096).unwrap()).unwrap();

    let baseline = waiters.registrations();
    let a1 = Arc::clone(&arena);
    let h1 = tokio::spawn(async move {
        a1.allocate_async(NonZeroUsize::new(2048).unwrap())
            .await
            .unwrap()
            .capacity()
    });

    let a2 = Arc::clone(&arena);
    let h2 = tokio::spawn(async move {
        a2.allocate_async(NonZeroUsize::new(512).unwrap())
            .await
            .unwrap()
            .capacity()
    });

    waiters.wait_for_registrations(baseline + 2).await;

    drop(buf);

    let (r1, r2) = tokio::join!(
        timeout(Duration::from_secs(2), h1),
        timeout(Duration::from_secs(2), h2),
    );
    assert_eq!(r1.unwrap().unwrap(), 2048);
    assert_eq!(r2.unwrap().unwrap(), 512);
}

// -- Race-heavy cancellation/wake interleaving tests --

/// Many concurrent cancellations interleaved with wakes must not corrupt
/// the count invariant or double-take tx.
#[tokio::test]
async fn buddy_cancel_wake_interleaving_count_invariant() {
    let waiters = CountingWaiters::new(5);
    let arena = Arc::new(
        BuddyArena::builder(
            BuddyGeometry::exact(
                NonZeroUsize::new(8192).unwrap(),
                NonZeroUsize::new(512).unwrap(),
            )
            .unwrap(),
        )
        .build_async_with(waiters.clone())
        .unwrap(),
    );

    for _ in 0..20 {
        // Allocate individual blocks so each free wakes one waiter
        let mut bufs = Vec::new();
        while let Ok(buf) = arena.allocate(NonZeroUsize::new(512).unwrap()) {
            bufs.push(buf);
        }

        let waiter_count = 4;
        let cancel_count = 2;
        let baseline = waiters.registrations();
        let mut handles = Vec::new();
        for _ in 0..waiter_count {
            let a = Arc::clone(&arena);
            handles.push(tokio::spawn(async move {
                a.allocate_async(NonZeroUsize::new(512).unwrap())
                    .await
                    .unwrap()
            }));
        }
        waiters
            .wait_for_registrations(baseline + waiter_count)
            .await;

        // Cancel some waiters (h.await ensures abort completes)
        for h in handles.drain(..cancel_count) {
            h.abort();
            let _ = h.await;
        }

        // Free enough blocks for remaining waiters
        let remaining = waiter_count - cancel_count;
        for buf in bufs.drain(..remaining) {
            drop(buf);
        }

        for h in handles {
            let buf = timeout(Duration::from_secs(2), h)
                .await
                .expect("waiter should complete")
                .expect("task should not panic");
            drop(buf);
        }

        // Free remaining blocks
        drop(bufs);
    }
}

/// Teardown while waiters are live must not panic or leak.
#[tokio::test]
async fn buddy_teardown_with_live_waiters() {
    let waiters = CountingWaiters::new(4);
    for _ in 0..20 {
        let arena = Arc::new(
            BuddyArena::builder(
                BuddyGeometry::exact(
                    NonZeroUsize::new(4096).unwrap(),
                    NonZeroUsize::new(512).unwrap(),
                )
                .unwrap(),
            )
            .build_async_with(waiters.clone())
            .unwrap(),
        );
        let _buf = arena.allocate(NonZeroUsize::new(4096).unwrap()).unwrap();

        let baseline = waiters.registrations();
        let mut handles = Vec::new();
        for _ in 0..4 {
            let a = Arc::clone(&arena);
            handles.push(tokio::spawn(async move {
                a.allocate_async(NonZeroUsize::new(512).unwrap())
                    .await
                    .unwrap()
            }));
        }
        waiters.wait_for_registrations(baseline + 4).await;

        // Drop arena while waiters are still registered — they hold Arc clones
        // so no UB, but the waiters will never complete
        drop(arena);
        drop(_buf);

        // Abort all waiters — this exercises the Drop path with Live state
        for h in handles {
            h.abort();
            let _ = h.await;
        }
    }
}

// -- Wake propagation regression tests --

// -- Fairness regression tests --

/// Under repeated small frees, a large waiter must eventually be served
/// (not starved indefinitely). This tests the scoring system's time-based
/// priority escalation.
#[tokio::test(flavor = "current_thread")]
async fn buddy_fairness_large_not_starved_by_repeated_small() {
    let waiters = CountingWaiters::new(5);
    let arena = Arc::new(
        BuddyArena::builder(
            BuddyGeometry::exact(
                NonZeroUsize::new(8192).unwrap(),
                NonZeroUsize::new(512).unwrap(),
            )
            .unwrap(),
        )
        .build_async_with(waiters.clone())
        .unwrap(),
    );

    // Fill the arena with small blocks
    let mut bufs = Vec::new();
    while let Ok(buf) = arena.allocate(NonZeroUsize::new(512).unwrap()) {
        bufs.push(buf);
    }

    // Large waiter wants 4096
    let base = waiters.registrations();
    let arena_large = Arc::clone(&arena);
    let large_handle = tokio::spawn(async move {
        arena_large
            .allocate_async(NonZeroUsize::new(4096).unwrap())
            .await
            .unwrap()
            .capacity()
    });
    waiters.wait_for_registrations(base + 1).await;

    // Small waiter wants 512
    let arena_small = Arc::clone(&arena);
    let (small_done_tx, small_done_rx) = tokio::sync::oneshot::channel::<()>();
    let small_handle = tokio::spawn(async move {
        let buf = arena_small
            .allocate_async(NonZeroUsize::new(512).unwrap())
            .await
            .unwrap();
        let cap = buf.capacity();
        // Hold until signaled
        small_done_rx.await.ok();
        drop(buf);
        cap
    });
    waiters.wait_for_registrations(base + 2).await;

    // Free blocks one at a time. On current_thread, yield_now() is
    // deterministic: each yield gives the woken task exactly one poll
    // cycle to process its allocation attempt before the next free.
    for buf in bufs.drain(..) {
        drop(buf);
        tokio::task::yield_now().await;
    }

    // Signal small to release its buffer
    small_done_tx.send(()).ok();

    let large_cap = timeout(Duration::from_secs(5), large_handle)
        .await
        .expect("large waiter must not starve")
        .expect("task should not panic");
    assert_eq!(large_cap, 4096);

    let small_cap = timeout(Duration::from_secs(2), small_handle)
        .await
        .expect("small waiter should complete")
        .expect("task should not panic");
    assert_eq!(small_cap, 512);
}

/// Mixed small/large free patterns over many iterations should serve
/// all waiters without deadlock.
#[tokio::test]
async fn buddy_fairness_mixed_sizes_no_deadlock() {
    let waiters = CountingWaiters::new(5);
    let arena = Arc::new(
        BuddyArena::builder(
            BuddyGeometry::exact(
                NonZeroUsize::new(8192).unwrap(),
                NonZeroUsize::new(512).unwrap(),
            )
            .unwrap(),
        )
        .build_async_with(waiters.clone())
        .unwrap(),
    );

    for round in 0..10 {
        let size = if round % 2 == 0 { 2048 } else { 512 };
        let buf = arena.allocate(NonZeroUsize::new(size).unwrap()).unwrap();

        let baseline = waiters.registrations();
        let a = Arc::clone(&arena);
        let handle = tokio::spawn(async move {
            a.allocate_async(NonZeroUsize::new(size).unwrap())
                .await
                .unwrap()
                .capacity()
        });

        waiters.wait_for_registrations(baseline + 1).await;
        drop(buf);

        let cap = timeout(Duration::from_secs(2), handle)
            .await
            .expect("waiter should not deadlock")
            .expect("task should not panic");
        assert_eq!(cap, size);
    }
}
