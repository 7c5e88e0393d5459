use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;

use std::mem;

use super::raw::*;
use super::*;
use crate::error::Error;

/// Counts its drops in a shared counter (any thread).
#[derive(Debug)]
struct Counted {
    value: usize,
    drops: Arc<AtomicUsize>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

fn counted(drops: &Arc<AtomicUsize>) -> impl FnMut(usize) -> Counted + '_ {
    move |i| Counted {
        value: i,
        drops: drops.clone(),
    }
}

fn dropped(d: &Arc<AtomicUsize>) -> usize {
    d.load(Ordering::SeqCst)
}

#[test]
fn contents_and_clones_share_memory() {
    let mut a: ChunkAllocator<u64, 16> = ChunkAllocator::new();
    let s = a.alloc(5, |i| i as u64 * 10);
    assert_eq!(s.get(), &[0, 10, 20, 30, 40]);
    assert_eq!((s.len(), s.is_empty()), (5, false));
    let t = s.clone();
    assert_eq!(t.as_ptr(), s.as_ptr());
    assert!(ArcSlice::same_chunk(&s, &t));
    assert_eq!(s, t);
    assert_eq!(format!("{t:?}"), "[0, 10, 20, 30, 40]");
    let u = a.alloc(3, |i| i as u64);
    // Bumped right after the first slice, in the same chunk.
    assert_eq!(u.as_ptr(), s.as_ptr().wrapping_add(5));
    assert!(ArcSlice::same_chunk(&s, &u));
    let as_ref: &[u64] = u.as_ref();
    assert_eq!(as_ref, &[0, 1, 2]);
    assert_eq!(a.chunk_capacity(), 16);
}

#[test]
fn handles_are_small() {
    let word = mem::size_of::<usize>();
    assert_eq!(mem::size_of::<ArcSlice<u64>>(), 3 * word);
    assert_eq!(mem::size_of::<Option<ArcSlice<u64>>>(), 3 * word);
    assert_eq!(mem::size_of::<ArcSingle<u64>>(), 2 * word);
    assert_eq!(mem::size_of::<Option<ArcSingle<String>>>(), 2 * word);
}

#[test]
fn empty_slices_touch_no_chunk() {
    let mut a: ChunkAllocator<String, 4> = ChunkAllocator::new();
    let e = a.alloc(0, |_| unreachable!());
    let f = e.clone();
    assert!(e.is_empty() && f.get().is_empty());
    assert!(!ArcSlice::same_chunk(&e, &f));
    assert_eq!(
        a.stats(),
        ChunkStats {
            chunk_capacity: 4,
            element_size: mem::size_of::<String>(),
            ..ChunkStats::default()
        }
    );
    assert_eq!(ArcSlice::<u8>::default().len(), 0);
    let r: std::result::Result<_, ()> = a.try_alloc(0, |_| Err(()));
    assert!(r.unwrap().is_empty());
}

#[test]
fn rollover_and_dedicated_chunks() {
    let mut a: ChunkAllocator<u64, 4> = ChunkAllocator::new();
    let x = a.alloc(3, |i| i as u64);
    // 2 do not fit in the 1 left, and a new chunk keeps 2 free: roll over.
    let y = a.alloc(2, |i| 100 + i as u64);
    assert!(!ArcSlice::same_chunk(&x, &y));
    // Longer than a chunk: a dedicated chunk; the current chunk stays.
    let big = a.alloc(9, |i| 200 + i as u64);
    assert_eq!(big.len(), 9);
    assert_eq!(big[8], 208);
    let z = a.alloc(2, |i| 300 + i as u64);
    assert!(ArcSlice::same_chunk(&y, &z));
    assert_eq!(z.as_ptr(), y.as_ptr().wrapping_add(2));
    // The current chunk is full; a full-chunk request gains nothing from a
    // new shared chunk (it would be full too): dedicated.
    let w = a.alloc(4, |i| 400 + i as u64);
    let v = a.alloc(1, |_| 500);
    assert!(!ArcSlice::same_chunk(&w, &v));
    // 3 do not fit in 3 left... they do: the current chunk from `v`.
    let u = a.alloc(3, |i| 600 + i as u64);
    assert!(ArcSlice::same_chunk(&v, &u));
    // Left 0; 3 more roll over.
    let t = a.alloc(3, |i| 700 + i as u64);
    assert!(!ArcSlice::same_chunk(&u, &t));
    // With 1 left, a request of 3 (a new chunk would keep 1, no more than
    // now) goes to a dedicated chunk of 3.
    let s = a.alloc(3, |i| 800 + i as u64);
    assert!(!ArcSlice::same_chunk(&t, &s));
    let r = a.alloc(1, |_| 900);
    assert!(ArcSlice::same_chunk(&t, &r));
    assert_eq!(x.get(), &[0, 1, 2]);
    assert_eq!(y.get(), &[100, 101]);
    assert_eq!(z.get(), &[300, 301]);
    assert_eq!(w.get(), &[400, 401, 402, 403]);
    assert_eq!(u.get(), &[600, 601, 602]);
    assert_eq!(t.get(), &[700, 701, 702]);
    assert_eq!(s.get(), &[800, 801, 802]);
    assert_eq!(r.get(), &[900]);
    let st = a.stats();
    // Shared chunks: x, y+z, v+u, t+r; dedicated: big, w, s.
    assert_eq!((st.chunks_allocated, st.dedicated_chunks), (7, 3));
    assert_eq!(st.chunks_live, 7);
    assert_eq!(st.slices, 10);
    assert_eq!(st.elements, 3 + 2 + 9 + 2 + 4 + 1 + 3 + 3 + 3 + 1);
}

#[test]
fn elements_drop_once_when_the_chunks_last_handle_goes() {
    let d = counter();
    let mut a: ChunkAllocator<Counted, 4> = ChunkAllocator::new();
    let x = a.alloc(2, counted(&d));
    let y = a.alloc(2, counted(&d));
    let y2 = y.clone();
    drop(x);
    drop(y);
    drop(y2);
    // The allocator still holds its current chunk.
    assert_eq!(dropped(&d), 0);
    // Rolling over lets it go: nothing else holds it, so it is freed.
    let z = a.alloc(1, counted(&d));
    assert_eq!(dropped(&d), 4);
    // A handle keeps a chunk past the allocator's drop.
    let z2 = z.clone();
    drop(a);
    assert_eq!(dropped(&d), 4);
    assert_eq!(z2[0].value, 0);
    drop(z);
    assert_eq!(dropped(&d), 4);
    drop(z2);
    assert_eq!(dropped(&d), 5);
}

#[test]
fn dedicated_chunks_drop_their_elements_once() {
    let d = counter();
    let mut a: ChunkAllocator<Counted, 2> = ChunkAllocator::new();
    let big = a.alloc(7, counted(&d));
    let big2 = big.clone();
    drop(a);
    drop(big);
    assert_eq!(dropped(&d), 0);
    assert_eq!(big2[6].value, 6);
    drop(big2);
    assert_eq!(dropped(&d), 7);
}

#[test]
fn try_alloc_error_drops_the_built_prefix_and_gives_room_back() {
    let d = counter();
    let mut a: ChunkAllocator<Counted, 8> = ChunkAllocator::new();
    let mut make = counted(&d);
    let r = a.try_alloc(5, |i| if i == 3 { Err("no") } else { Ok(make(i)) });
    assert_eq!(r.unwrap_err(), "no");
    assert_eq!(dropped(&d), 3);
    let st = a.stats();
    assert_eq!((st.chunks_allocated, st.slices, st.elements), (1, 0, 0));
    assert_eq!(st.free_tail_bytes, 8 * mem::size_of::<Counted>());
    // The room is reused: the whole chunk still fits in it.
    let whole = a.alloc(8, counted(&d));
    assert_eq!(a.stats().chunks_allocated, 1);
    assert_eq!(whole[7].value, 7);
    // A dedicated chunk is given back whole.
    let r = a.try_alloc(20, |i| if i == 10 { Err(i) } else { Ok(make(i)) });
    assert_eq!(r.unwrap_err(), 10);
    assert_eq!(dropped(&d), 13);
    let st = a.stats();
    assert_eq!(
        (st.chunks_allocated, st.dedicated_chunks, st.chunks_live),
        (2, 1, 1)
    );
    assert_eq!(st.bytes_reserved, 8 * mem::size_of::<Counted>());
    drop((whole, a));
    assert_eq!(dropped(&d), 21);
}

#[test]
fn a_panicking_init_drops_the_built_prefix_and_leaves_the_allocator_usable() {
    let d = counter();
    let mut a: ChunkAllocator<Counted, 8> = ChunkAllocator::new();
    let keep = a.alloc(2, counted(&d));
    for (len, at) in [(4, 2), (30, 17), (1, 0)] {
        let before = dropped(&d);
        let r = catch_unwind(AssertUnwindSafe(|| {
            a.alloc(len, |i| {
                assert!(i != at, "init fails at {i}");
                Counted {
                    value: i,
                    drops: d.clone(),
                }
            })
        }));
        assert!(r.is_err());
        assert_eq!(dropped(&d) - before, at);
    }
    let r = catch_unwind(AssertUnwindSafe(|| a.alloc_single(|| panic!("single"))));
    assert!(r.is_err());
    let st = a.stats();
    assert_eq!((st.chunks_live, st.slices, st.elements), (1, 1, 2));
    // The room after `keep` is still free.
    let next = a.alloc(6, counted(&d));
    assert_eq!(next.as_ptr(), keep.as_ptr().wrapping_add(2));
    assert_eq!(a.stats().free_tail_bytes, 0);
    drop((keep, next, a));
    assert_eq!(dropped(&d), 2 + 17 + 2 + 6);
}

/// A zero-sized type with a `Drop`.
struct Zst;
static ZST_DROPS: AtomicUsize = AtomicUsize::new(0);
impl Drop for Zst {
    fn drop(&mut self) {
        ZST_DROPS.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn zero_sized_elements() {
    let mut a: ChunkAllocator<Zst, 4> = ChunkAllocator::new();
    let x = a.alloc(3, |_| Zst);
    let y = a.alloc(2, |_| Zst); // rolls over
    let big = a.alloc(100, |_| Zst); // dedicated
    let one = a.alloc_value(Zst);
    assert_eq!((x.len(), y.len(), big.len()), (3, 2, 100));
    let st = a.stats();
    assert_eq!((st.chunks_allocated, st.dedicated_chunks), (3, 1));
    assert_eq!(
        (st.elements, st.bytes_handed_out, st.bytes_reserved),
        (106, 0, 0)
    );
    assert_eq!(ZST_DROPS.load(Ordering::SeqCst), 0);
    drop((x, y, big, one, a));
    assert_eq!(ZST_DROPS.load(Ordering::SeqCst), 106);

    let mut units: ChunkAllocator<()> = ChunkAllocator::with_capacity(MAX_CHUNK_CAPACITY);
    let u = units.alloc(1 << 16, |_| ());
    assert_eq!(u.len(), 1 << 16);
    assert_eq!(units.stats().dedicated_chunks, 0);
}

#[test]
fn from_slice_clones_into_a_chunk() {
    let mut a: ChunkAllocator<String> = ChunkAllocator::with_capacity(3);
    let src = vec!["x".to_string(), "yy".to_string()];
    let s = a.from_slice(&src);
    assert_eq!(s.get(), &src[..]);
    assert_ne!(s.as_ptr(), src.as_ptr());
    let big = a.from_slice(&["a", "b", "c", "d"].map(String::from));
    assert_eq!(big.concat(), "abcd");
    assert!(a.from_slice(&[]).is_empty());
}

#[test]
fn singles_and_slices_convert() {
    let mut a: ChunkAllocator<u32, 8> = ChunkAllocator::new();
    let one = a.alloc(1, |_| 7);
    let single = ArcSingle::from_slice(one).unwrap();
    assert_eq!(*single, 7);
    let three = a.alloc(3, |i| i as u32);
    let back = ArcSingle::from_slice(three).unwrap_err();
    assert_eq!(back.get(), &[0, 1, 2]);
    let empty: ArcSlice<u32> = a.alloc(0, |_| 0);
    assert!(ArcSingle::try_from(empty).unwrap_err().is_empty());
    let again: ArcSlice<u32> = single.clone().into();
    assert_eq!(again.get(), &[7]);
    assert_eq!(again.as_ptr(), single.get() as *const u32);
    let v = a.alloc_value(9);
    assert_eq!((v.get(), v.as_ref()), (&9, &9));
    assert_eq!(format!("{v:?}"), "9");
    assert_eq!(v.clone(), v);
    let s = a.alloc_single(|| 11);
    assert_eq!(ArcSingle::try_from(ArcSlice::from(s)).unwrap().get(), &11);
}

#[test]
fn stats_count_dead_tails_and_retired_bytes() {
    let mut a: ChunkAllocator<u64, 4> = ChunkAllocator::new();
    let x = a.alloc(3, |i| i as u64);
    let st = a.stats();
    assert_eq!(
        st,
        ChunkStats {
            chunks_allocated: 1,
            dedicated_chunks: 0,
            chunks_live: 1,
            slices: 1,
            elements: 3,
            bytes_handed_out: 24,
            bytes_reserved: 32,
            bytes_used: 24,
            retired_bytes_used: 0,
            dead_tail_bytes: 0,
            free_tail_bytes: 8,
            chunk_capacity: 4,
            element_size: 8,
        }
    );
    // Roll over: the first chunk's last element is a dead tail while `x`
    // keeps that chunk.
    let y = a.alloc(2, |i| i as u64);
    let z = a.alloc(1, |i| i as u64);
    let st = a.stats();
    assert_eq!((st.chunks_allocated, st.chunks_live, st.slices), (2, 2, 3));
    assert_eq!((st.bytes_reserved, st.bytes_used), (64, 48));
    assert_eq!(
        (
            st.retired_bytes_used,
            st.dead_tail_bytes,
            st.free_tail_bytes
        ),
        (24, 8, 8)
    );
    // Dropping `y` (a zombie now: `z` keeps its chunk) changes nothing the
    // allocator can see.
    drop(y);
    assert_eq!(a.stats(), st);
    // Dropping `x` frees the first chunk: its tail and bytes go.
    drop(x);
    let st = a.stats();
    assert_eq!(
        (st.chunks_live, st.bytes_reserved, st.bytes_used),
        (1, 32, 24)
    );
    assert_eq!((st.retired_bytes_used, st.dead_tail_bytes), (0, 0));
    // A dedicated chunk counts as retired at once.
    let big = a.alloc(6, |i| i as u64);
    let st = a.stats();
    assert_eq!(
        (st.chunks_allocated, st.dedicated_chunks, st.chunks_live),
        (3, 1, 2)
    );
    assert_eq!(
        (st.bytes_reserved, st.bytes_used, st.retired_bytes_used),
        (80, 72, 48)
    );
    assert_eq!((st.slices, st.elements, st.bytes_handed_out), (4, 12, 96));
    // Roll over again with `z` alive: `y`'s 2 elements are zombies in a
    // retired chunk, 8 bytes of tail are dead.
    let w = a.alloc(2, |i| i as u64);
    let st = a.stats();
    assert_eq!(
        (st.chunks_live, st.bytes_reserved, st.bytes_used),
        (3, 112, 88)
    );
    assert_eq!(
        (
            st.retired_bytes_used,
            st.dead_tail_bytes,
            st.free_tail_bytes
        ),
        (72, 8, 16)
    );
    drop((z, big));
    let st = a.stats();
    assert_eq!(
        (st.chunks_live, st.bytes_reserved, st.bytes_used),
        (1, 32, 16)
    );
    assert_eq!((st.retired_bytes_used, st.dead_tail_bytes), (0, 0));
    assert_eq!((st.chunks_allocated, st.slices, st.elements), (4, 5, 14));
    drop(w);
}

#[test]
fn capacities_are_checked() {
    let e = ChunkAllocator::<u8>::try_with_capacity(0).unwrap_err();
    assert_eq!(e.to_string(), "invalid argument: chunk capacity is 0");
    let e = ChunkAllocator::<u8>::try_with_capacity(MAX_CHUNK_CAPACITY + 1).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
    let e = ChunkAllocator::<[u64; 1024]>::try_with_capacity(MAX_CHUNK_CAPACITY).unwrap_err();
    assert!(e.to_string().contains("overflow"), "{e}");
    let r = catch_unwind(|| ChunkAllocator::<u8>::with_capacity(0));
    assert!(r.is_err());
    let mut a: ChunkAllocator<u64, 4> = ChunkAllocator::new();
    let r = catch_unwind(AssertUnwindSafe(|| a.alloc(usize::MAX / 4, |_| 0)));
    assert!(r.is_err());
    assert_eq!(a.alloc(1, |_| 5).get(), &[5]);
}

#[test]
fn over_aligned_elements_are_aligned() {
    #[derive(Clone, Copy, Debug, PartialEq)]
    #[repr(align(64))]
    struct Line(u8);
    let mut a: ChunkAllocator<Line, 5> = ChunkAllocator::new();
    let v: Vec<_> = (0..7).map(|n| a.alloc(n, |i| Line(i as u8))).collect();
    for (n, s) in v.iter().enumerate() {
        assert_eq!(s.len(), n);
        if n > 0 {
            assert_eq!(s.as_ptr() as usize % 64, 0);
            assert_eq!(s[n - 1], Line(n as u8 - 1));
        }
    }
}

/// Whether `T: Send`, answered at compile time without failing to compile
/// (the inherent-then-autoref method lookup picks the `Send` impl when it
/// applies).
struct Probe<T>(PhantomData<T>);
trait IsSend {
    fn send(&self) -> bool {
        true
    }
}
impl<T: Send> IsSend for Probe<T> {}
trait NotSend {
    fn send(&self) -> bool {
        false
    }
}
impl<T> NotSend for &Probe<T> {}
trait IsSync {
    fn sync(&self) -> bool {
        true
    }
}
impl<T: Sync> IsSync for Probe<T> {}
trait NotSync {
    fn sync(&self) -> bool {
        false
    }
}
impl<T> NotSync for &Probe<T> {}

macro_rules! send_sync {
    ($t:ty) => {
        (
            (&Probe::<$t>(PhantomData)).send(),
            (&Probe::<$t>(PhantomData)).sync(),
        )
    };
}

#[test]
fn send_and_sync_exactly_when_elements_are() {
    fn both<T: Send + Sync>() {}
    both::<ArcSlice<u64>>();
    both::<ArcSingle<String>>();
    both::<ChunkAllocator<u64>>();
    assert_eq!(send_sync!(ArcSlice<u64>), (true, true));
    assert_eq!(send_sync!(ArcSlice<Rc<u8>>), (false, false));
    assert_eq!(send_sync!(ArcSingle<Rc<u8>>), (false, false));
    // `Cell` is `Send` but not `Sync`: sharing a chunk of cells across
    // threads would share the cells.
    assert_eq!(send_sync!(ArcSlice<std::cell::Cell<u8>>), (false, false));
    assert_eq!(
        send_sync!(ArcSingle<std::sync::MutexGuard<'static, u8>>),
        (false, false)
    );
    assert_eq!(send_sync!(ChunkAllocator<Rc<u8>>), (false, false));
    assert_eq!(
        send_sync!(ChunkAllocator<std::cell::Cell<u8>>),
        (true, false)
    );
}

#[test]
fn slices_cloned_and_dropped_on_other_threads() {
    // Miri (with its data-race detector) runs a few rounds.
    const ROUNDS: usize = if cfg!(miri) { 40 } else { 2000 };
    let d = counter();
    let mut a: ChunkAllocator<Counted, 64> = ChunkAllocator::new();
    let (tx0, rx0) = std::sync::mpsc::channel::<ArcSlice<Counted>>();
    let (tx1, rx1) = std::sync::mpsc::channel::<ArcSlice<Counted>>();
    let mut built = 0;
    std::thread::scope(|s| {
        for rx in [rx0, rx1] {
            s.spawn(move || {
                let mut held = Vec::new();
                for slice in rx {
                    let twin = slice.clone();
                    assert!(twin.iter().enumerate().all(|(i, c)| c.value == i));
                    held.push(twin);
                    drop(slice);
                    if held.len() > 8 {
                        held.swap_remove(0);
                    }
                }
            });
        }
        for r in 0..ROUNDS {
            let len = 1 + r % 80;
            built += len;
            let s = a.alloc(len, counted(&d));
            let t = s.clone();
            tx0.send(s).unwrap();
            tx1.send(t).unwrap();
        }
        drop((tx0, tx1));
    });
    assert!(dropped(&d) < built);
    drop(a);
    assert_eq!(dropped(&d), built);
}

#[test]
fn last_handles_race_on_two_threads() {
    for _ in 0..if cfg!(miri) { 10 } else { 200 } {
        let d = counter();
        let mut a: ChunkAllocator<Counted, 8> = ChunkAllocator::new();
        let x = a.alloc(4, counted(&d));
        let y = a.alloc(4, counted(&d));
        drop(a);
        let barrier = std::sync::Barrier::new(2);
        std::thread::scope(|s| {
            s.spawn(|| {
                barrier.wait();
                drop(x);
            });
            barrier.wait();
            drop(y);
        });
        assert_eq!(dropped(&d), 8);
    }
}

/// An element that logs its id when dropped.
struct Logged {
    id: u64,
    log: Rc<RefCell<Vec<u64>>>,
}

impl Drop for Logged {
    fn drop(&mut self) {
        self.log.borrow_mut().push(self.id);
    }
}

#[derive(Debug, Clone)]
enum Op {
    Alloc(usize),
    Single,
    Clone(usize),
    Drop(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..9).prop_map(Op::Alloc),
        1 => Just(Op::Single),
        2 => any::<usize>().prop_map(Op::Clone),
        3 => any::<usize>().prop_map(Op::Drop),
    ]
}

/// Ops per model run (fewer under Miri, which is ~1000x slower).
const MODEL_OPS: usize = if cfg!(miri) { 40 } else { 150 };

/// What the model expects of one handle: its element ids and its chunk.
struct Held {
    slice: ArcSlice<Logged>,
    ids: Vec<u64>,
    chunk: Option<usize>,
}

proptest! {
    /// Slices against a model of the chunk policy: contents are what was
    /// built, handles share a chunk exactly when the model says so, and a
    /// chunk's elements are dropped exactly once, exactly when the
    /// allocator has left it and its last handle is gone.
    #[test]
    fn model(ops in proptest::collection::vec(op(), 1..MODEL_OPS)) {
        const CAP: usize = 5;
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut a: ChunkAllocator<Logged, CAP> = ChunkAllocator::new();
        let mut held: Vec<Held> = Vec::new();
        // Model: ids per chunk, the current chunk and its room left.
        let mut chunks: Vec<Vec<u64>> = Vec::new();
        let mut current: Option<usize> = None;
        let mut left = 0usize;
        let mut next_id = 0u64;
        for op in ops {
            match op {
                Op::Alloc(_) | Op::Single => {
                    let (len, single) = match op {
                        Op::Alloc(len) => (len, false),
                        _ => (1, true),
                    };
                    let chunk = if len == 0 {
                        None
                    } else if len <= left {
                        left -= len;
                        current
                    } else if len > CAP || CAP - len <= left {
                        chunks.push(Vec::new());
                        Some(chunks.len() - 1)
                    } else {
                        chunks.push(Vec::new());
                        current = Some(chunks.len() - 1);
                        left = CAP - len;
                        current
                    };
                    let ids: Vec<u64> = (next_id..next_id + len as u64).collect();
                    next_id += len as u64;
                    if let Some(c) = chunk {
                        chunks[c].extend(&ids);
                    }
                    let slice = if single {
                        ArcSlice::from(a.alloc_value(Logged { id: ids[0], log: log.clone() }))
                    } else {
                        a.alloc(len, |i| Logged { id: ids[i], log: log.clone() })
                    };
                    held.push(Held { slice, ids, chunk });
                }
                Op::Clone(i) if !held.is_empty() => {
                    let h = &held[i % held.len()];
                    let twin = Held { slice: h.slice.clone(), ids: h.ids.clone(), chunk: h.chunk };
                    prop_assert_eq!(twin.slice.as_ptr(), h.slice.as_ptr());
                    held.push(twin);
                }
                Op::Drop(i) if !held.is_empty() => {
                    let n = held.len();
                    held.swap_remove(i % n);
                }
                _ => {}
            }
            // Contents, and chunk sharing as the model has it.
            for h in &held {
                let ids: Vec<u64> = h.slice.iter().map(|e| e.id).collect();
                prop_assert_eq!(&ids, &h.ids);
            }
            for (i, p) in held.iter().enumerate() {
                for q in &held[i + 1..] {
                    let same = p.chunk.is_some() && p.chunk == q.chunk;
                    prop_assert_eq!(ArcSlice::same_chunk(&p.slice, &q.slice), same);
                }
            }
            // Dropped: exactly the chunks that are neither current nor held.
            let alive: HashSet<usize> = held.iter().filter_map(|h| h.chunk).chain(current).collect();
            let mut expect: Vec<u64> = (0..chunks.len())
                .filter(|c| !alive.contains(c))
                .flat_map(|c| chunks[c].iter().copied())
                .collect();
            expect.sort_unstable();
            let mut got: Vec<u64> = RefCell::borrow(&log).clone();
            got.sort_unstable();
            prop_assert_eq!(got, expect);
            let st = a.stats();
            prop_assert_eq!(st.chunks_allocated as usize, chunks.len());
            prop_assert_eq!(st.chunks_live as usize, alive.len());
        }
        drop(held);
        drop(a);
        let mut counts: HashMap<u64, usize> = HashMap::new();
        for id in RefCell::borrow(&log).iter() {
            *counts.entry(*id).or_default() += 1;
        }
        prop_assert_eq!(counts.len() as u64, next_id);
        prop_assert!(counts.values().all(|&c| c == 1));
    }
}

/// Panics in its `Drop` when `boom` is set.
struct Grenade {
    boom: bool,
    drops: Arc<AtomicUsize>,
}

impl Drop for Grenade {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
        assert!(!self.boom, "grenade");
    }
}

#[test]
fn a_panicking_element_drop_still_frees_the_chunk() {
    let d = counter();
    let mut a: ChunkAllocator<Grenade, 4> = ChunkAllocator::new();
    let s = a.alloc(3, |i| Grenade {
        boom: i == 1,
        drops: d.clone(),
    });
    drop(a);
    // The panic comes out of the last drop; the other elements are still
    // dropped and the memory goes back (Miri checks for leaks).
    let r = catch_unwind(AssertUnwindSafe(move || drop(s)));
    assert!(r.is_err());
    assert_eq!(dropped(&d), 3);
}

#[test]
fn the_c_functions_on_the_byte_core() {
    use super::ffi::*;
    use crate::error::{ARN_E_DOUBLE_FREE, ARN_E_INVALID_ARGUMENT, ARN_E_WRONG_KIND};
    use crate::ffi::last_error::arner;

    let c = chkmk(2, 2, 3);
    assert_ne!(c, 0);
    let src = [1u8, 2, 3, 4];
    // SAFETY: `src` holds 2 elements of 2 bytes.
    let s = unsafe { chkal(c, 2, src.as_ptr().cast()) };
    // SAFETY: NULL asks for zeroes.
    let z = unsafe { chkal(c, 5, std::ptr::null()) };
    assert!(s != 0 && z != 0);
    assert_eq!((slcln(s), slcln(z)), (2, 5));
    // SAFETY: the slice handles are alive and hold 4 and 10 bytes.
    unsafe {
        assert_eq!(std::slice::from_raw_parts(slcdt(s).cast::<u8>(), 4), &src);
        assert!(
            std::slice::from_raw_parts(slcdt(z).cast::<u8>(), 10)
                .iter()
                .all(|&b| b == 0)
        );
    }
    let t = slccl(s);
    assert_eq!(slcdt(t), slcdt(s));
    let mut st = ChunkStats::default();
    // SAFETY: a valid `out`.
    assert_eq!(unsafe { chkst(c, &mut st) }, 0);
    assert_eq!(
        (st.chunks_allocated, st.dedicated_chunks, st.slices),
        (2, 1, 2)
    );
    assert_eq!((st.bytes_handed_out, st.free_tail_bytes), (14, 2));
    // SAFETY: NULL asks for zeroes.
    assert_eq!(unsafe { chkal(c, 0, std::ptr::null()) }, 0);
    assert_eq!(arner(), ARN_E_INVALID_ARGUMENT);
    assert_eq!(slcln(c), 0);
    assert_eq!(arner(), ARN_E_WRONG_KIND);
    assert_eq!(chkfr(c), 0);
    assert_eq!(slcdr(s), 0);
    assert_eq!(slcdr(s), ARN_E_DOUBLE_FREE);
    // SAFETY: `t` is alive.
    assert_eq!(unsafe { *slcdt(t).cast::<u8>().add(3) }, 4);
    assert_eq!((slcdr(t), slcdr(z)), (0, 0));
    assert_eq!(chkmk(2, 3, 3), 0);
    assert_eq!(arner(), ARN_E_INVALID_ARGUMENT);
}
