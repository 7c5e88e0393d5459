//! Loom models of the slot claim and release, the arena's end of life, and
//! waiting: `make loom` (`RUSTFLAGS="--cfg arn_loom"`).

use std::ptr::NonNull;

use bytes::BufMut;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

use super::*;

/// Two threads claim, write, freeze and drop on a two-slot arena: each gets
/// its own slot, and both come back.
#[test]
fn two_threads_claim_and_release() {
    loom::model(|| {
        let a = Arc::new(FixedArena::builder(2, 8).build().unwrap());
        let holders = Arc::new(AtomicUsize::new(0));
        let run = |a: Arc<FixedArena>, holders: Arc<AtomicUsize>, byte: u8| {
            move || {
                let mut b = a.allocate().unwrap();
                assert!(holders.fetch_add(1, Ordering::SeqCst) < 2);
                b.put_bytes(byte, 8);
                let bytes = b.freeze();
                assert!(bytes.iter().all(|&x| x == byte));
                holders.fetch_sub(1, Ordering::SeqCst);
            }
        };
        let t = thread::spawn(run(a.clone(), holders.clone(), 1));
        run(a.clone(), holders, 2)();
        t.join().unwrap();
        let m = a.stats();
        assert_eq!((m.slots_free, m.allocations, m.frees), (2, 2, 2));
    });
}

/// Two threads fight over one slot: never both hold it, and whoever lost
/// saw the arena full.
#[test]
fn one_slot_is_held_by_one_thread_at_a_time() {
    loom::model(|| {
        let a = Arc::new(FixedArena::builder(1, 8).build().unwrap());
        let holders = Arc::new(AtomicUsize::new(0));
        let run = |a: Arc<FixedArena>, holders: Arc<AtomicUsize>| {
            move || {
                if let Ok(b) = a.allocate() {
                    assert_eq!(holders.fetch_add(1, Ordering::SeqCst), 0);
                    holders.fetch_sub(1, Ordering::SeqCst);
                    drop(b);
                }
            }
        };
        let t = thread::spawn(run(a.clone(), holders.clone()));
        run(a.clone(), holders)();
        t.join().unwrap();
        assert_eq!(a.stats().slots_free, 1);
    });
}

/// The arena is dropped on one thread while the last bytes from it drop on
/// another: the memory goes back exactly once, after both.
#[test]
fn arena_drop_races_the_last_release() {
    loom::model(|| {
        let freed = Arc::new(AtomicUsize::new(0));
        let mem = Box::leak(vec![0u64; 2].into_boxed_slice());
        let ptr = NonNull::new(mem.as_mut_ptr().cast::<u8>()).unwrap();
        let f = freed.clone();
        let hook: crate::buffer::Dealloc = Box::new(move |p, _| {
            assert_eq!(f.fetch_add(1, Ordering::SeqCst), 0);
            // SAFETY: the leaked block above, handed back exactly once.
            drop(unsafe {
                Box::from_raw(std::ptr::slice_from_raw_parts_mut(
                    p.as_ptr().cast::<u64>(),
                    2,
                ))
            });
        });
        // SAFETY: the leaked block is ours until the hook runs.
        let a = unsafe { FixedArena::from_raw(ptr, 16, 8, Some(hook)) }
            .build()
            .unwrap();
        let mut b = a.allocate().unwrap();
        b.put_bytes(7, 8);
        let bytes = b.freeze();
        let t = thread::spawn(move || {
            assert_eq!(bytes[0], 7);
            drop(bytes);
        });
        drop(a);
        t.join().unwrap();
        assert_eq!(freed.load(Ordering::SeqCst), 1);
    });
}

/// A waiter and a release race: the waiter never sleeps through the
/// release that would have served it (loom reports a deadlock if it does).
#[test]
fn a_waiter_is_woken_by_the_release() {
    loom::model(|| {
        let a = Arc::new(FixedArena::builder(1, 8).build().unwrap());
        let held = a.allocate().unwrap();
        let t = thread::spawn(move || drop(held));
        let b = a.allocate_timeout(Duration::from_secs(3600)).unwrap();
        t.join().unwrap();
        drop(b);
        assert_eq!(a.stats().slots_free, 1);
        let s = a.shared();
        assert_eq!(s.word(0).load(Ordering::SeqCst) & FLAGS, 0);
    });
}
