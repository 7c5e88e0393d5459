//! loom models of the buddy arena (`make loom`): concurrent split and
//! coalesce, the arena dropped while its last bytes drop elsewhere, and a
//! waiter woken by a release. Each model is small: loom explores every
//! interleaving of the lock, the lifetime decision and the waiters.

use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering as StdOrdering};
use std::time::Duration;

use bytes::BufMut;
use loom::thread;

use super::*;

/// Runs `f` under loom with at most `bound` preemptions per execution
/// (`LOOM_MAX_PREEMPTIONS` overrides it, for a deeper run): the models with
/// a waiter (the waiters' mutex and condition variable, the arena's spin
/// lock and its lifetime decision) grow with every retry of the spin lock
/// that loom may interleave. Unbounded, the pinned release below takes over
/// 20 minutes and the plain wake-up about a minute (357 816 executions,
/// most of them spin-lock retries). Five preemptions cover every ordering
/// of the release's steps (free the block, see the waiter, wake, unpin)
/// against the waiter's (arm, retry, sleep) and the arena's drop with room
/// to spare, in seconds.
fn bounded(bound: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound.get_or_insert(bound);
    b.check(f);
}

/// Four blocks of 64 bytes: two threads allocate blocks of different
/// orders (each a split of the same region), write, freeze, check and
/// drop; afterwards everything has merged back into one block.
#[test]
fn concurrent_split_and_coalesce() {
    loom::model(|| {
        let a = Arc::new(BuddyArena::builder(256, 64).build().unwrap());
        let spawn = |size: usize, byte: u8| {
            let a = a.clone();
            thread::spawn(move || {
                let mut b = a.allocate(size).unwrap();
                b.put_bytes(byte, size);
                let bytes = b.freeze();
                assert!(bytes.iter().all(|&x| x == byte));
            })
        };
        let t1 = spawn(64, 1);
        let t2 = spawn(128, 2);
        t1.join().unwrap();
        t2.join().unwrap();
        let m = a.stats();
        assert_eq!((m.allocations, m.frees, m.bytes_live), (2, 2, 0));
        assert_eq!(m.largest_free_block, 256);
        assert_eq!(m.splits, m.coalesces);
    });
}

/// Two threads allocate at once from an arena with room for exactly two
/// blocks: both succeed, on different blocks.
#[test]
fn two_claims_get_different_blocks() {
    loom::model(|| {
        let a = Arc::new(BuddyArena::builder(128, 64).build().unwrap());
        let spawn = || {
            let a = a.clone();
            thread::spawn(move || {
                let b = a.allocate(64).unwrap();
                let at = b.written().as_ptr() as usize;
                // Hold the block until both threads have one.
                (at, b)
            })
        };
        let t1 = spawn();
        let t2 = spawn();
        let (x, bx) = t1.join().unwrap();
        let (y, by) = t2.join().unwrap();
        assert_ne!(x, y);
        assert!(a.allocate(1).is_err());
        drop((bx, by));
        assert_eq!(a.stats().largest_free_block, 128);
    });
}

/// The arena handle drops on one thread while the last bytes from it drop
/// on another: the memory goes back exactly once, after both.
#[test]
fn arena_and_last_bytes_drop_on_different_threads() {
    loom::model(|| {
        let mem = Box::leak(vec![0u64; 16].into_boxed_slice());
        let ptr = NonNull::new(mem.as_mut_ptr().cast::<u8>()).unwrap();
        let freed = Arc::new(StdAtomicUsize::new(0));
        let seen = freed.clone();
        let hook: Dealloc = Box::new(move |p, len| {
            seen.fetch_add(1, StdOrdering::SeqCst);
            // SAFETY: the memory leaked above, handed back once.
            drop(unsafe {
                Box::from_raw(std::ptr::slice_from_raw_parts_mut(
                    p.as_ptr().cast::<u64>(),
                    len / 8,
                ))
            });
        });
        // SAFETY: the leaked memory is the arena's alone until the hook.
        let a = unsafe { BuddyArena::from_raw(ptr, 128, 64, Some(hook)) }
            .build()
            .unwrap();
        let mut b = a.allocate(64).unwrap();
        b.put_slice(b"last");
        let bytes = b.freeze();
        let other = a.allocate(64).unwrap();
        let t = thread::spawn(move || {
            assert_eq!(&bytes[..], b"last");
            drop(bytes);
        });
        drop(other);
        drop(a);
        t.join().unwrap();
        assert_eq!(freed.load(StdOrdering::SeqCst), 1);
    });
}

/// A blocking allocation waits while the arena is full; a release on
/// another thread wakes it (loom's condition variable never times out, so
/// a lost wake-up is reported as a deadlock).
#[test]
fn a_release_wakes_a_waiter() {
    bounded(5, || {
        let a = Arc::new(BuddyArena::builder(128, 64).build().unwrap());
        let held = a.allocate(128).unwrap();
        let t = thread::spawn(move || drop(held));
        let b = a.allocate_timeout(64, Duration::from_secs(3600)).unwrap();
        assert_eq!(b.capacity(), 64);
        t.join().unwrap();
        drop(b);
        let m = a.stats();
        assert_eq!((m.failures, m.bytes_live), (0, 0));
        assert!(!a.shared().state.lock().armed);
    });
}

/// The last release pins the state to wake a waiter while the arena handle
/// drops: the state is freed once, by whichever lets go last.
#[test]
fn a_pinned_release_and_the_arena_drop_race() {
    bounded(5, || {
        let a = Arc::new(BuddyArena::builder(128, 64).build().unwrap());
        let held = a.allocate(128).unwrap();
        let t = thread::spawn(move || drop(held));
        let b = a.allocate_timeout(128, Duration::from_secs(3600)).unwrap();
        let bytes = b.freeze(); // empty: given back at once
        assert!(bytes.is_empty());
        drop(a);
        t.join().unwrap();
    });
}
