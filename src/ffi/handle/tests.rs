//! The handle table, as C callers use it (the global table) and on tables
//! of its own (small geometry, explicit caches). Sized to run under Miri,
//! whose race detector then checks the hand-over of slots between threads.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::table::{Cache, Table};
use super::*;

struct Thing(u32);
// SAFETY: no `ALSO` kind.
unsafe impl Object for Thing {
    const KIND: Kind = Kind::Bump;
}
struct Other;
// SAFETY: no `ALSO` kind.
unsafe impl Object for Other {
    const KIND: Kind = Kind::Arena;
}

/// Too big for a slot's room: lives in a box.
struct Big([u64; 40], u32);
// SAFETY: no `ALSO` kind.
unsafe impl Object for Big {
    const KIND: Kind = Kind::Pool;
}

/// Counts its drops, to show that every object is dropped exactly once.
struct Counted(Arc<AtomicU64>);
// SAFETY: no `ALSO` kind.
unsafe impl Object for Counted {
    const KIND: Kind = Kind::Bytes;
}
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Rounds for the threaded tests: fewer under Miri.
const ROUNDS: u32 = if cfg!(miri) { 40 } else { 2000 };

#[test]
fn lifecycle_and_error_classes() {
    let h = insert(Thing(7)).unwrap();
    assert_ne!(h, 0);
    // SAFETY: this test is the only user of `h`.
    assert_eq!(unsafe { get::<Thing>(h).unwrap().as_ref() }.0, 7);
    assert!(matches!(get::<Other>(h), Err(Error::WrongKind { .. })));
    assert!(matches!(get::<Thing>(0), Err(Error::InvalidHandle { .. })));
    // A generation that was never issued.
    let forged = h + (5 << INDEX_BITS);
    assert!(matches!(
        get::<Thing>(forged),
        Err(Error::InvalidHandle { .. })
    ));
    // The right slot and generation with another kind's bits.
    let recoloured = (h & !(0xFF << KIND_SHIFT)) | ((Kind::Arena as u64) << KIND_SHIFT);
    assert!(matches!(
        get::<Other>(recoloured),
        Err(Error::InvalidHandle { .. })
    ));
    // An index far past anything allocated.
    let far = (h & !INDEX_MASK) | (MAX_SLOTS - 1);
    assert!(matches!(
        get::<Thing>(far),
        Err(Error::InvalidHandle { .. })
    ));
    // Kind bits no kind has.
    assert!(matches!(
        get::<Thing>(h | (0xFF << KIND_SHIFT)),
        Err(Error::InvalidHandle { .. })
    ));

    assert_eq!(remove::<Thing>(h).unwrap().0, 7);
    assert!(matches!(get::<Thing>(h), Err(Error::StaleHandle { .. })));
    assert!(matches!(remove::<Thing>(h), Err(Error::DoubleFree(_))));
    assert!(matches!(remove::<Thing>(h), Err(Error::DoubleFree(_))));
    // A wrong kind is refused by a free too, and frees nothing.
    let h = insert(Thing(8)).unwrap();
    assert!(matches!(remove::<Other>(h), Err(Error::WrongKind { .. })));
    assert_eq!(remove::<Thing>(h).unwrap().0, 8);
}

#[test]
fn stale_after_reuse() {
    // On one thread, a freed slot is the next one reused.
    let old = insert(Thing(1)).unwrap();
    remove::<Thing>(old).unwrap();
    let new = insert(Thing(2)).unwrap();
    assert_eq!(new & INDEX_MASK, old & INDEX_MASK, "the slot is reused");
    assert_ne!(new, old);
    assert!(matches!(get::<Thing>(old), Err(Error::StaleHandle { .. })));
    assert!(matches!(remove::<Thing>(old), Err(Error::DoubleFree(_))));
    // SAFETY: this test is the only user of `new`.
    assert_eq!(unsafe { get::<Thing>(new).unwrap().as_ref() }.0, 2);
    remove::<Thing>(new).unwrap();
}

#[test]
fn big_objects_live_in_boxes() {
    let h = insert(Big([3; 40], 9)).unwrap();
    // SAFETY: this test is the only user of `h`.
    let big = unsafe { get::<Big>(h).unwrap().as_ref() };
    assert_eq!((big.0[39], big.1), (3, 9));
    let b = remove::<Big>(h).unwrap();
    assert_eq!(b.1, 9);
    let h = insert(Big([4; 40], 10)).unwrap();
    assert_eq!(remove::<Big>(h).unwrap().1, 10);
    assert!(matches!(remove::<Big>(h), Err(Error::DoubleFree(_))));
}

#[test]
fn every_object_is_dropped_once() {
    let drops = Arc::new(AtomicU64::new(0));
    let hs: Vec<u64> = (0..100)
        .map(|_| insert(Counted(drops.clone())).unwrap())
        .collect();
    assert_eq!(drops.load(Ordering::Relaxed), 0);
    for (i, &h) in hs.iter().enumerate() {
        if i % 2 == 0 {
            drop(remove::<Counted>(h).unwrap());
        } else {
            // Dropped where it lies.
            assert!(try_free::<Counted>(h));
        }
        assert_eq!(drops.load(Ordering::Relaxed), i as u64 + 1);
        assert!(!try_free::<Counted>(h));
        assert!(matches!(remove::<Counted>(h), Err(Error::DoubleFree(_))));
    }
    assert_eq!(drops.load(Ordering::Relaxed), 100);
    // A wrong kind frees nothing.
    let h = insert(Counted(drops.clone())).unwrap();
    assert!(!try_free::<Thing>(h));
    assert!(try_free::<Counted>(h));
    assert_eq!(drops.load(Ordering::Relaxed), 101);
}

#[test]
fn insert_with_makes_the_object_in_its_slot_or_nothing() {
    let h = insert_with(|| Some(Thing(3))).unwrap().unwrap();
    // SAFETY: this test is the only user of `h`.
    assert_eq!(unsafe { get::<Thing>(h).unwrap().as_ref() }.0, 3);
    // Making nothing hands the slot back: the next insert on this thread
    // gets it.
    assert_eq!(insert_with::<Thing>(|| None).unwrap(), None);
    let next = insert(Thing(4)).unwrap();
    assert_eq!(remove::<Thing>(next).unwrap().0, 4);
    assert_eq!(remove::<Thing>(h).unwrap().0, 3);
}

#[test]
fn replace_keeps_the_slot_and_makes_the_old_handle_stale() {
    let drops = Arc::new(AtomicU64::new(0));
    let h = insert(Thing(5)).unwrap();
    let d = drops.clone();
    let new = replace(h, |t: Thing| {
        assert_eq!(t.0, 5);
        Counted(d)
    })
    .unwrap();
    assert_eq!(new & INDEX_MASK, h & INDEX_MASK, "same slot");
    assert_eq!(kind_bits(new), Kind::Bytes as u8);
    assert!(matches!(get::<Thing>(h), Err(Error::StaleHandle { .. })));
    // Replacing or freeing the old handle again is a double free.
    let again = replace(h, |t: Thing| {
        Counted(Arc::new(AtomicU64::new(u64::from(t.0))))
    });
    assert!(matches!(again, Err(Error::DoubleFree(_))));
    assert!(matches!(remove::<Thing>(h), Err(Error::DoubleFree(_))));
    // A wrong kind replaces nothing.
    assert!(matches!(
        replace(new, |t: Thing| t),
        Err(Error::WrongKind { .. })
    ));
    assert!(try_free::<Counted>(new));
    assert_eq!(drops.load(Ordering::Relaxed), 1);

    // A slot on its last generation retires, and the new object moves to
    // a slot of its own.
    let h = insert(Thing(6)).unwrap();
    let index = h & INDEX_MASK;
    let last = (h & !(GEN_MASK << INDEX_BITS)) | ((GEN_MASK - 1) << INDEX_BITS);
    table().tag(index).unwrap().store(last, Ordering::Release);
    let moved = replace(last, |t: Thing| Thing(t.0 + 1)).unwrap();
    assert_ne!(moved & INDEX_MASK, index);
    assert!(matches!(get::<Thing>(last), Err(Error::StaleHandle { .. })));
    assert_eq!(remove::<Thing>(moved).unwrap().0, 7);
}

#[test]
fn a_slot_with_no_generations_left_is_retired() {
    let h = insert(Thing(1)).unwrap();
    let index = h & INDEX_MASK;
    let tag = table().tag(index).unwrap();
    // Pretend the slot has been reused until its last generation.
    let last = (h & !(GEN_MASK << INDEX_BITS)) | ((GEN_MASK - 1) << INDEX_BITS);
    tag.store(last, Ordering::Release);
    assert_eq!(remove::<Thing>(last).unwrap().0, 1);
    assert!(matches!(get::<Thing>(last), Err(Error::StaleHandle { .. })));
    assert!(matches!(get::<Thing>(h), Err(Error::StaleHandle { .. })));
    assert!(matches!(remove::<Thing>(last), Err(Error::DoubleFree(_))));
    // The slot is never handed out again, not even to this thread, whose
    // cache would have offered it first.
    let others: Vec<u64> = (0..200).map(|i| insert(Thing(i)).unwrap()).collect();
    assert!(others.iter().all(|&o| o & INDEX_MASK != index));
    for o in others {
        remove::<Thing>(o).unwrap();
    }
}

#[test]
fn concurrent_create_resolve_and_free() {
    let threads: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                let mut held = Vec::new();
                for i in 0..ROUNDS {
                    let v = t * 100_000 + i;
                    held.push((insert(Thing(v)).unwrap(), v));
                    if i % 3 == 0 {
                        let (h, v) = held.swap_remove(0);
                        assert_eq!(remove::<Thing>(h).unwrap().0, v);
                        assert!(get::<Thing>(h).is_err());
                    }
                    if let Some(&(h, v)) = held.last() {
                        // SAFETY: only this thread uses its handles.
                        assert_eq!(unsafe { get::<Thing>(h).unwrap().as_ref() }.0, v);
                    }
                }
                for (h, v) in held {
                    // SAFETY: only this thread uses its handles.
                    assert_eq!(unsafe { get::<Thing>(h).unwrap().as_ref() }.0, v);
                    assert_eq!(remove::<Thing>(h).unwrap().0, v);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn handles_made_on_one_thread_are_freed_on_another() {
    // A producer fills its cache from the global list; the consumer's
    // cache overflows back into it, batch by batch.
    let (tx, rx) = std::sync::mpsc::sync_channel::<(u64, u32)>(64);
    let consumer = std::thread::spawn(move || {
        let mut n = 0;
        for (h, v) in rx {
            // SAFETY: the producer no longer uses `h`.
            assert_eq!(unsafe { get::<Thing>(h).unwrap().as_ref() }.0, v);
            assert_eq!(remove::<Thing>(h).unwrap().0, v);
            n += 1;
        }
        n
    });
    let producer = std::thread::spawn(move || {
        for v in 0..ROUNDS {
            tx.send((insert(Thing(v)).unwrap(), v)).unwrap();
        }
    });
    producer.join().unwrap();
    assert_eq!(consumer.join().unwrap(), ROUNDS);
}

#[test]
fn racing_frees_of_one_handle_free_it_once() {
    let rounds = if cfg!(miri) { 10 } else { 200 };
    for _ in 0..rounds {
        let h = insert(Thing(1)).unwrap();
        let racers: Vec<_> = (0..2)
            .map(|_| std::thread::spawn(move || remove::<Thing>(h).is_ok()))
            .collect();
        let wins = racers
            .into_iter()
            .map(|t| t.join().unwrap())
            .filter(|&ok| ok)
            .count();
        assert_eq!(wins, 1);
    }
}

#[test]
fn a_stale_resolve_racing_a_free_and_reuse_sees_nothing_new() {
    let rounds = if cfg!(miri) { 10 } else { 200 };
    for _ in 0..rounds {
        let h = insert(Thing(1)).unwrap();
        let freer = std::thread::spawn(move || {
            remove::<Thing>(h).unwrap();
            // Likely the same slot, next generation.
            insert(Thing(2)).unwrap()
        });
        // Racing the free: the old object or nothing, never the new one.
        // The pointer is only compared, as the C contract allows no use of
        // an object while it is freed.
        let seen = find::<Thing>(h);
        let new = freer.join().unwrap();
        assert!(find::<Thing>(h).is_none());
        assert!(matches!(get::<Thing>(h), Err(Error::StaleHandle { .. })));
        if let Some(p) = seen {
            let now = find::<Thing>(new).unwrap();
            assert!(new & INDEX_MASK != h & INDEX_MASK || p == now);
        }
        remove::<Thing>(new).unwrap();
    }
}

type Small = Table<2, 4, 2>;

fn own_cache() -> Cache {
    Cache::new(|| true)
}

#[test]
fn a_small_table_fills_up_and_every_slot_comes_back() {
    let t = Small::new();
    let c = own_cache();
    let hs: Vec<u64> = (0..Small::MAX_SLOTS as u32)
        .map(|i| t.insert(&c, Thing(i)).unwrap())
        .collect();
    assert!(matches!(
        t.insert(&c, Thing(99)),
        Err(Error::Full { capacity: 16, .. })
    ));
    for (i, &h) in hs.iter().enumerate() {
        assert_eq!(t.take_box::<Thing>(&c, h).unwrap().0, i as u32);
    }
    // The cache keeps at most 2 * BATCH; the rest went to the global list.
    assert_eq!(c.len(), 4);
    assert_eq!(t.listed(), 12);
    t.close(&c);
    assert_eq!(c.len(), 0);
    assert_eq!(t.listed(), 16);
    // A closed cache still works, through the global list.
    let hs: Vec<u64> = (0..16).map(|i| t.insert(&c, Thing(i)).unwrap()).collect();
    assert_eq!(t.listed(), 0);
    for h in hs {
        t.take_box::<Thing>(&c, h).unwrap();
    }
    assert_eq!((c.len(), t.listed(), t.carved()), (0, 16, 16));
}

#[test]
fn a_thread_that_exits_gives_its_cache_back() {
    let t = Arc::new(Small::new());
    let worker = {
        let t = t.clone();
        std::thread::spawn(move || {
            // As the global table's thread-local cache does on exit.
            let c = own_cache();
            let hs: Vec<u64> = (0..3).map(|i| t.insert(&c, Thing(i)).unwrap()).collect();
            for h in hs {
                t.take_box::<Thing>(&c, h).unwrap();
            }
            // Two batches of 2 carved: 3 slots freed, 1 never used.
            assert_eq!(c.len(), 4);
            t.close(&c);
        })
    };
    worker.join().unwrap();
    assert_eq!(t.listed(), t.carved() as usize);
    let c = own_cache();
    let h = t.insert(&c, Thing(5)).unwrap();
    assert!(h & INDEX_MASK < 4, "a slot of the exited thread is reused");
    assert_eq!(t.carved(), 4);
    t.take_box::<Thing>(&c, h).unwrap();
}

/// Sends what it finds of the thread's cache when the thread's
/// destructors run it: registered before the cache is first used, it runs
/// after the cache's own give-back (glibc runs thread-local destructors
/// last registered, first run).
struct Probe(std::sync::mpsc::Sender<(usize, bool)>);

impl Drop for Probe {
    fn drop(&mut self) {
        // A free on an exiting thread goes straight to the global list.
        let h = insert(Thing(1)).unwrap();
        remove::<Thing>(h).unwrap();
        let state = CACHE.with(|c| (c.len(), c.is_closed()));
        let _ = self.0.send(state);
    }
}

thread_local! {
    static PROBE: std::cell::RefCell<Option<Probe>> = const { std::cell::RefCell::new(None) };
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn the_global_cache_is_given_back_on_thread_exit() {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        PROBE.with(|p| *p.borrow_mut() = Some(Probe(tx)));
        let hs: Vec<u64> = (0..10).map(|i| insert(Thing(i)).unwrap()).collect();
        for h in hs {
            remove::<Thing>(h).unwrap();
        }
        // The ten freed slots, and whatever the refills brought besides.
        let (len, closed) = CACHE.with(|c| (c.len(), c.is_closed()));
        assert!(len >= 10 && !closed, "{len} cached, closed: {closed}");
    })
    .join()
    .unwrap();
    assert_eq!(rx.recv().unwrap(), (0, true));
}

/// The real table, filled: 2^24 live objects in 2 GB of slots. The next
/// insert fails with the table's `Full` error, and a C call that makes a
/// handle fails cleanly with `ARN_E_CAPACITY` and a message; one free
/// later both work again, every object comes back with its own value, and
/// the table serves as before. Too heavy for `make test`: `make stress`
/// runs it alone, in release.
#[test]
#[ignore = "fills the global table (2 GB); `make stress` runs it alone"]
fn the_global_table_fills_up_cleanly_and_works_afterwards() {
    use crate::bump::ffi::{bmpfr, bmpmk};
    use crate::ffi::last_error::{arnec, arnem, arner};

    let start = std::time::Instant::now();
    let mut hs = Vec::with_capacity(MAX_SLOTS as usize);
    let full = loop {
        match insert(Thing(hs.len() as u32)) {
            Ok(h) => hs.push(h),
            Err(e) => break e,
        }
    };
    eprintln!("{} live objects in {:?}: {full}", hs.len(), start.elapsed());
    assert!(
        matches!(full, Error::Full { capacity, .. } if capacity as u64 == MAX_SLOTS),
        "{full:?}"
    );
    // Run alone, nothing else holds a slot.
    assert_eq!(hs.len() as u64, MAX_SLOTS);
    assert_eq!(bmpmk(64), 0, "a handle past the last slot");
    assert_eq!(arner(), crate::error::ARN_E_CAPACITY);
    // SAFETY: a NUL-terminated string, valid until the next failed call.
    let msg = unsafe { std::ffi::CStr::from_ptr(arnem()) }
        .to_string_lossy()
        .into_owned();
    eprintln!("bmpmk on a full table: {msg}");
    assert!(
        msg.contains("bmpmk") && msg.contains("handle table"),
        "{msg}"
    );
    arnec();
    // One slot back: C calls work again.
    let last = hs.pop().unwrap();
    assert_eq!(remove::<Thing>(last).unwrap().0, hs.len() as u32);
    let b = bmpmk(64);
    assert_ne!(b, 0);
    assert_eq!(bmpfr(b), 0);
    for (i, h) in hs.into_iter().enumerate() {
        assert_eq!(remove::<Thing>(h).unwrap().0, i as u32);
    }
    let h = insert(Thing(7)).unwrap();
    // SAFETY: the object lives until the remove below.
    assert_eq!(unsafe { get::<Thing>(h).unwrap().as_ref() }.0, 7);
    assert_eq!(remove::<Thing>(h).unwrap().0, 7);
    eprintln!("filled, checked and emptied in {:?}", start.elapsed());
}
