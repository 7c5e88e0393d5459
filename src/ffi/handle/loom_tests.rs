//! Loom models of the handle table: creating, resolving and freeing from
//! two threads, a free racing a stale resolve, racing frees, and the
//! global list's pops racing pushes (ABA). `make loom`
//! (`RUSTFLAGS="--cfg arn_loom"`).
//!
//! The tables are tiny (pages of 2 slots, batches of 1, caches of 2) so
//! that every cache overflow, refill, carve and page race happens within
//! a few operations. Each thread has its own cache and closes it at the
//! end, as the global table's threads do when they exit. Uses of an
//! object go through `touch`, which loom checks against the table's own
//! writes of the slot.

use loom::sync::Arc;
use loom::sync::atomic::{AtomicU64, Ordering};
use loom::thread;

use super::table::{Cache, Table};
use super::*;

type Tiny = Table<1, 4, 1>;

struct Thing(u32);
// SAFETY: no `ALSO` kind.
unsafe impl Object for Thing {
    const KIND: Kind = Kind::Bump;
}

/// A cache that arms (a running thread's).
fn armed() -> Cache {
    Cache::new(|| true)
}

/// A cache that never arms (an exiting thread's): every slot goes
/// through the global list.
fn closed() -> Cache {
    Cache::new(|| false)
}

/// The value behind a live handle, read as a C call would.
fn value(t: &Tiny, h: u64) -> u32 {
    let p = t.find::<Thing>(h).expect("a live handle resolves");
    t.touch(h);
    // SAFETY: the handle is live and nobody frees it meanwhile (the C
    // contract); loom checked the access just now.
    unsafe { p.as_ref() }.0
}

/// Every slot carved is back on the global list: none lost, none twice
/// (a slot listed twice would make the walk count it twice).
fn all_listed(t: &Tiny) {
    assert_eq!(t.listed() as u64, t.carved());
}

/// Two threads each create, resolve and free two objects: every handle
/// resolves to its own object, the two threads race to carve slots and
/// make the first page, and their caches overflow into the global list.
#[test]
fn two_threads_create_resolve_and_free() {
    // Some twenty atomic steps a thread: bounded preemptions keep the
    // search to minutes (races that need more than two are covered by the
    // smaller models).
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(2);
    builder.check(|| {
        let t = Arc::new(Tiny::new());
        let run = |t: Arc<Tiny>, base: u32| {
            move || {
                let c = armed();
                let a = t.insert(&c, Thing(base)).unwrap();
                let b = t.insert(&c, Thing(base + 1)).unwrap();
                assert_eq!(value(&t, a), base);
                assert_eq!(value(&t, b), base + 1);
                assert!(t.free::<Thing>(&c, a));
                assert!(t.find::<Thing>(a).is_none());
                assert!(t.free::<Thing>(&c, b));
                t.close(&c);
            }
        };
        let other = thread::spawn(run(t.clone(), 10));
        run(t.clone(), 20)();
        other.join().unwrap();
        all_listed(&t);
    });
}

/// A handle freed (and its slot reused) while another thread resolves
/// it: the resolver finds the old object or nothing, never the new one,
/// and afterwards the handle is stale.
#[test]
fn a_free_racing_a_stale_resolve() {
    loom::model(|| {
        let t = Arc::new(Tiny::new());
        let c = armed();
        let h = t.insert(&c, Thing(1)).unwrap();
        let freer = {
            let t = t.clone();
            thread::spawn(move || {
                let c = armed();
                assert!(t.free::<Thing>(&c, h));
                // The slot comes straight back from this thread's cache.
                let new = t.insert(&c, Thing(2)).unwrap();
                t.close(&c);
                new
            })
        };
        // Only compared: the C contract allows no use of an object while
        // it is freed.
        let seen = t.find::<Thing>(h);
        let new = freer.join().unwrap();
        assert_eq!(new & INDEX_MASK, h & INDEX_MASK);
        assert_ne!(new, h);
        if let Some(p) = seen {
            assert_eq!(Some(p), t.find::<Thing>(new), "the same room");
        }
        assert!(t.find::<Thing>(h).is_none());
        assert!(matches!(t.classify::<Thing>(h), Error::StaleHandle { .. }));
        assert_eq!(value(&t, new), 2);
        assert!(t.free::<Thing>(&c, new));
        t.close(&c);
        all_listed(&t);
    });
}

/// Two threads free one handle at once: exactly one wins, and the slot is
/// listed once.
#[test]
fn racing_frees_free_once() {
    loom::model(|| {
        let t = Arc::new(Tiny::new());
        let c = armed();
        let h = t.insert(&c, Thing(1)).unwrap();
        t.close(&c);
        let racer = |t: Arc<Tiny>| {
            move || {
                let c = armed();
                let won = t.free::<Thing>(&c, h);
                t.close(&c);
                won
            }
        };
        let other = thread::spawn(racer(t.clone()));
        let mine = racer(t.clone())();
        let theirs = other.join().unwrap();
        assert!(mine ^ theirs, "exactly one free wins");
        all_listed(&t);
    });
}

/// A handle reaches another thread by a relaxed store, with no order of
/// its own: the tag's release and acquire alone make the object visible
/// to whoever resolves it.
#[test]
fn a_resolved_object_is_fully_visible() {
    loom::model(|| {
        let t = Arc::new(Tiny::new());
        let shared = Arc::new(AtomicU64::new(0));
        let maker = {
            let (t, shared) = (t.clone(), shared.clone());
            thread::spawn(move || {
                let c = armed();
                let h = t.insert(&c, Thing(7)).unwrap();
                shared.store(h, Ordering::Relaxed);
                t.close(&c);
                h
            })
        };
        let h = shared.load(Ordering::Relaxed);
        if h != 0 && t.find::<Thing>(h).is_some() {
            assert_eq!(value(&t, h), 7);
        }
        let h = maker.join().unwrap();
        let c = armed();
        assert!(t.free::<Thing>(&c, h));
        t.close(&c);
        all_listed(&t);
    });
}

/// Pops of the global list racing pops and pushes by another thread, with
/// no caches: one thread's pop may read a batch's link, lose the batch to
/// the other thread, and see it pushed back with another link below (the
/// ABA case). The count in the head makes that pop fail and retry: no two
/// threads ever own one slot, and every slot comes back.
#[test]
fn the_global_list_survives_aba() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(|| {
        let t = Arc::new(Tiny::new());
        let c = closed();
        let hs: Vec<u64> = (0..3).map(|i| t.insert(&c, Thing(i)).unwrap()).collect();
        for h in hs {
            assert!(t.free::<Thing>(&c, h));
        }
        let one = {
            let t = t.clone();
            thread::spawn(move || {
                let c = closed();
                let a = t.insert(&c, Thing(10)).unwrap();
                assert_eq!(value(&t, a), 10);
                assert!(t.free::<Thing>(&c, a));
            })
        };
        let c = closed();
        let b = t.insert(&c, Thing(20)).unwrap();
        let d = t.insert(&c, Thing(21)).unwrap();
        assert!(t.free::<Thing>(&c, b));
        assert_eq!(value(&t, d), 21);
        assert!(t.free::<Thing>(&c, d));
        one.join().unwrap();
        assert_eq!(t.carved(), 3, "every slot was reused, none carved anew");
        all_listed(&t);
    });
}
