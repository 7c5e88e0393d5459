use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes};
use proptest::prelude::*;

use super::*;
use crate::buffer::{BuildError, InitPolicy, PageSize};

fn arena(slots: usize, size: usize) -> FixedArena {
    FixedArena::builder(slots, size).build().unwrap()
}

#[test]
fn every_slot_once_then_full() {
    for n in [1, 61, 62, 63, 124, 496, 497, 1000] {
        let a = arena(n, 32);
        let mut held = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..n {
            let b = a.allocate().unwrap();
            assert!(seen.insert(b.written().as_ptr() as usize));
            held.push(b);
        }
        let e = a.allocate().unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("fixed arena full: all {n} slots in use")
        );
        let m = a.stats();
        assert_eq!((m.allocations, m.failures, m.slots_free), (n as u64, 1, 0));
        assert_eq!(m.bytes_live, n * 32);
        held.clear();
        let m = a.stats();
        assert_eq!((m.frees, m.slots_free, m.bytes_live), (n as u64, n, 0));
        assert_eq!(seen.len(), n);
    }
}

#[test]
fn slots_are_inside_the_mapping_aligned_and_disjoint() {
    let a = FixedArena::builder(100, 40).alignment(64).build().unwrap();
    let bufs: Vec<_> = (0..100).map(|_| a.allocate().unwrap()).collect();
    let mut addrs: Vec<usize> = bufs.iter().map(|b| b.written().as_ptr() as usize).collect();
    addrs.sort_unstable();
    assert!(addrs.iter().all(|p| p % 64 == 0));
    assert!(addrs.windows(2).all(|w| w[1] - w[0] >= 64));
    assert_eq!(a.stats().bytes_reserved, 100 * 64);
    assert_eq!((a.slot_count(), a.slot_size()), (100, 64));
    assert!(format!("{a:?}").contains("slots: 100"));
}

#[test]
fn alignment_padding_is_the_buffers_capacity() {
    // One byte asked, 512 reserved per slot: the whole 512 are usable.
    let a = FixedArena::builder(1, 1).alignment(512).build().unwrap();
    assert_eq!(a.slot_size(), 512);
    let mut buf = a.allocate().unwrap();
    assert_eq!(buf.capacity(), 512);
    buf.try_put_slice(&[0xAB; 512]).unwrap();
    assert!(matches!(
        buf.try_put_slice(b"x"),
        Err(crate::Error::BufferFull { remaining: 0, .. })
    ));
    let m = a.stats();
    assert_eq!(
        (m.slot_size, m.bytes_live, m.bytes_reserved),
        (512, 512, 512)
    );
    let bytes = buf.freeze();
    assert_eq!(bytes.len(), 512);
    assert!(bytes.iter().all(|&b| b == 0xAB));
    // A size already a multiple of the alignment is unchanged.
    assert_eq!(
        FixedArena::builder(2, 128)
            .alignment(64)
            .build()
            .unwrap()
            .slot_size(),
        128
    );
}

#[test]
fn freezes_are_counted_when_they_happen() {
    let a = FixedArena::builder(2, 8).auto_spill().build().unwrap();
    let mut b = a.allocate().unwrap();
    b.put_slice(b"abc");
    let bytes = b.freeze();
    // Counted while the bytes live, not when they come back.
    assert_eq!((a.stats().frozen, a.stats().frees), (1, 0));
    let empty = a.allocate().unwrap().freeze();
    assert!(empty.is_empty());
    assert_eq!(a.stats().frozen, 2);
    // A spilled buffer's bytes are on the heap: not an arena freeze.
    let mut s = a.allocate().unwrap();
    s.put_slice(&[1; 9]);
    assert!(s.is_spilled());
    drop(s.freeze());
    // Abandoned buffers are not frozen either.
    a.allocate().unwrap().abandon();
    let m = a.stats();
    assert_eq!((m.frozen, m.allocations, m.spills), (2, 4, 1));
    drop(bytes);
}

#[cfg(feature = "async-alloc")]
#[test]
fn a_wake_hook_hears_every_release() {
    let told = Arc::new(AtomicUsize::new(0));
    let t = Arc::clone(&told);
    let a = FixedArena::builder(2, 8)
        .wake_hook(Box::new(move |order| {
            assert_eq!(order, 0);
            t.fetch_add(1, Ordering::Relaxed);
        }))
        .build()
        .unwrap();
    let b = a.allocate().unwrap();
    drop(a.allocate().unwrap());
    assert_eq!(told.load(Ordering::Relaxed), 1);
    drop(b.freeze());
    assert_eq!(told.load(Ordering::Relaxed), 2);
    assert_eq!(a.stats().slots_free, 2);
}

#[test]
fn bad_configurations_are_build_errors() {
    let err = |b: FixedArenaBuilder| b.build().unwrap_err();
    assert_eq!(
        err(FixedArena::builder(0, 8)),
        BuildError::Zero { what: "slot count" }
    );
    assert_eq!(
        err(FixedArena::builder(8, 0)),
        BuildError::Zero { what: "slot size" }
    );
    assert_eq!(
        err(FixedArena::builder(8, 8).alignment(3)),
        BuildError::NotPowerOfTwo {
            what: "alignment",
            value: 3
        }
    );
    assert_eq!(
        err(FixedArena::builder(8, 8).alignment(8192)),
        BuildError::Alignment { align: 8192 }
    );
    assert!(matches!(
        err(FixedArena::builder(usize::MAX / 2, 64)),
        BuildError::Overflow { .. }
    ));
    assert!(matches!(
        err(FixedArena::builder(1, usize::MAX)),
        BuildError::Overflow { .. }
    ));
    let e: Error = err(FixedArena::builder(0, 8)).into();
    assert_eq!(e.code(), crate::error::ARN_E_INVALID_ARGUMENT);
}

#[test]
fn zero_policy_scrubs_what_the_last_user_wrote() {
    let a = FixedArena::builder(1, 64)
        .init_policy(InitPolicy::Zero)
        .build()
        .unwrap();
    let mut b = a.allocate().unwrap();
    b.put_slice(&[0xAB; 40]);
    drop(b.freeze());
    let mut b = a.allocate().unwrap();
    // Bytes past what was written, reached through chunk_mut, count too.
    let chunk = b.chunk_mut();
    assert_eq!(chunk.len(), 64);
    chunk.write_byte(63, 0xCD);
    drop(b);
    let mut b = a.allocate().unwrap();
    let chunk = b.chunk_mut();
    // SAFETY: the slot is initialised memory (zeroed by the mapping and
    // scrubbed since); reading it as bytes is what the test checks.
    let all = unsafe { std::slice::from_raw_parts(chunk.as_mut_ptr(), 64) };
    assert!(all.iter().all(|&x| x == 0));
}

#[test]
fn uninit_policy_leaves_memory_as_it_was() {
    let a = arena(1, 16);
    let mut b = a.allocate().unwrap();
    b.put_slice(b"old data");
    drop(b);
    let b = a.allocate().unwrap();
    // Nothing is visible through the buffer until written.
    assert!(b.is_empty());
}

#[test]
fn bytes_outlive_their_arena_and_the_memory_goes_with_the_last() {
    let released = Arc::new(AtomicUsize::new(0));
    let mut mem = vec![0u64; 64].into_boxed_slice();
    let ptr = NonNull::new(mem.as_mut_ptr().cast::<u8>()).unwrap();
    let r = released.clone();
    let addr = ptr.as_ptr() as usize;
    let hook: crate::buffer::Dealloc = Box::new(move |p, len| {
        assert_eq!((p.as_ptr() as usize, len), (addr, 512));
        r.fetch_add(1, Ordering::SeqCst);
    });
    // SAFETY: `mem` outlives the arena and nothing else uses it.
    let a = unsafe { FixedArena::from_raw(ptr, 512, 100, Some(hook)) }
        .build()
        .unwrap();
    assert_eq!(a.slot_count(), 4, "512 bytes hold 4 slots of 104");
    let mut b = a.allocate().unwrap();
    b.put_slice(b"survivor");
    let bytes = b.freeze();
    let other = a.allocate().unwrap();
    drop(a);
    assert_eq!(released.load(Ordering::SeqCst), 0);
    assert_eq!(&bytes.clone()[..], b"survivor");
    drop(bytes);
    assert_eq!(released.load(Ordering::SeqCst), 0);
    drop(other);
    assert_eq!(released.load(Ordering::SeqCst), 1);
    drop(mem);
}

#[test]
fn an_arena_with_nothing_out_frees_at_once() {
    let released = Arc::new(AtomicUsize::new(0));
    let mut mem = vec![0u64; 8].into_boxed_slice();
    let ptr = NonNull::new(mem.as_mut_ptr().cast::<u8>()).unwrap();
    let r = released.clone();
    // SAFETY: as above.
    let a = unsafe {
        FixedArena::from_raw(
            ptr,
            64,
            8,
            Some(Box::new(move |_, _| {
                r.fetch_add(1, Ordering::SeqCst);
            })),
        )
    }
    .init_policy(InitPolicy::Zero)
    .build()
    .unwrap();
    drop(a.allocate().unwrap());
    drop(a);
    assert_eq!(released.load(Ordering::SeqCst), 1);
    drop(mem);
}

#[test]
fn caller_memory_is_checked() {
    let mut mem = [0u64; 4];
    let ptr = NonNull::new(mem.as_mut_ptr().cast::<u8>()).unwrap();
    // SAFETY: `mem` outlives every arena built here.
    let misaligned = unsafe { FixedArena::from_raw(ptr.add(1), 16, 8, None) }.build();
    assert!(matches!(misaligned, Err(BuildError::Geometry(m)) if m.contains("not aligned to 8")));
    // SAFETY: as above.
    let small = unsafe { FixedArena::from_raw(ptr, 16, 32, None) }.build();
    assert!(matches!(small, Err(BuildError::Geometry(m)) if m.contains("hold no slot of 32")));
}

#[test]
fn unfaulted_prefaulted_and_huge_arenas_work() {
    let u = FixedArena::builder(64, 4096).build_unfaulted().unwrap();
    let a = u.fault_pages();
    a.allocate().unwrap().put_slice(b"x");
    let a = FixedArena::builder(64, 4096)
        .build_unfaulted()
        .unwrap()
        .into_inner();
    assert!(a.allocate().is_ok());
    let a = FixedArena::builder(64, 4096)
        .prefault(true)
        .build()
        .unwrap();
    assert!(a.allocate().is_ok());
    let a = FixedArena::builder(8, 1 << 20)
        .page_size(PageSize::Huge)
        .prefault(true)
        .build()
        .unwrap();
    let mut b = a.allocate().unwrap();
    b.put_bytes(7, 1 << 20);
    assert_eq!(b.freeze().len(), 1 << 20);
}

#[test]
#[cfg_attr(miri, ignore)]
fn allocate_timeout_waits_for_a_slot_or_gives_up() {
    let a = Arc::new(arena(1, 8));
    let held = a.allocate().unwrap();
    let t = Instant::now();
    let e = a.allocate_timeout(Duration::from_millis(30)).unwrap_err();
    assert!(t.elapsed() >= Duration::from_millis(30));
    assert_eq!(
        e,
        Error::Timeout {
            what: "fixed arena",
            ms: 30
        }
    );
    assert_eq!(a.stats().failures, 1);
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(20));
        drop(held);
    });
    let b = a.allocate_timeout(Duration::from_secs(10)).unwrap();
    releaser.join().unwrap();
    drop(b);
    // No one waits any more: the flags are gone and releases are fast.
    let s = a.shared();
    assert!((0..s.words).all(|w| s.word(w).load(Ordering::Relaxed) & FLAGS == 0));
}

#[test]
#[cfg_attr(miri, ignore)]
fn many_waiters_each_get_a_slot() {
    let a = Arc::new(arena(2, 8));
    let held: Vec<_> = (0..2).map(|_| a.allocate().unwrap()).collect();
    let waiters: Vec<_> = (0..4)
        .map(|_| {
            let a = a.clone();
            std::thread::spawn(move || {
                let b = a.allocate_timeout(Duration::from_secs(20)).unwrap();
                std::thread::sleep(Duration::from_millis(2));
                drop(b);
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(20));
    drop(held);
    for w in waiters {
        w.join().unwrap();
    }
    assert_eq!(a.stats().slots_free, 2);
    assert_eq!(a.stats().allocations, 6);
}

#[cfg(feature = "async")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allocate_async_waits_for_a_slot() {
    let a = Arc::new(arena(1, 8));
    let held = a.allocate().unwrap();
    let a2 = a.clone();
    let waiter = tokio::spawn(async move {
        let mut b = a2.allocate_async().await;
        b.put_slice(b"async");
        b.freeze()
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(!waiter.is_finished());
    drop(held);
    let bytes = waiter.await.unwrap();
    assert_eq!(&bytes[..], b"async");
    drop(bytes);
    // A cancelled wait leaves no flag behind.
    let held = a.allocate().unwrap();
    let pending = tokio::time::timeout(Duration::from_millis(10), a.allocate_async()).await;
    assert!(pending.is_err());
    let s = a.shared();
    assert!((0..s.words).all(|w| s.word(w).load(Ordering::Relaxed) & WAIT == 0));
    drop(held);
}

/// The stress test: two threads write a per-buffer pattern, freeze,
/// send the bytes to the other thread, which verifies and drops them.
#[test]
#[cfg_attr(miri, ignore)]
fn two_threads_trade_bytes_and_everything_comes_back() {
    const PER_THREAD: usize = 20_000;
    let a = Arc::new(FixedArena::builder(256, 128).build().unwrap());
    let (tx0, rx0) = mpsc::sync_channel::<(u64, Bytes)>(64);
    let (tx1, rx1) = mpsc::sync_channel::<(u64, Bytes)>(64);
    let worker = |id: u64, tx: mpsc::SyncSender<(u64, Bytes)>, rx: mpsc::Receiver<(u64, Bytes)>| {
        let a = a.clone();
        std::thread::spawn(move || {
            let check = std::thread::spawn(move || {
                let mut n = 0;
                for (seq, bytes) in rx {
                    assert_eq!(bytes.len(), 1 + (seq % 127) as usize);
                    assert!(
                        bytes.iter().all(|&x| x == pattern(seq)),
                        "bytes {seq} corrupted"
                    );
                    n += 1;
                }
                n
            });
            for i in 0..PER_THREAD as u64 {
                let seq = id << 32 | i;
                let mut b = loop {
                    match a.allocate() {
                        Ok(b) => break b,
                        Err(_) => std::thread::yield_now(),
                    }
                };
                b.put_bytes(pattern(seq), 1 + (seq % 127) as usize);
                tx.send((seq, b.freeze())).unwrap();
            }
            drop(tx);
            check.join().unwrap()
        })
    };
    // Thread 0 sends to thread 1's checker and the other way round.
    let t0 = worker(0, tx1, rx0);
    let t1 = worker(1, tx0, rx1);
    assert_eq!(t0.join().unwrap() + t1.join().unwrap(), 2 * PER_THREAD);
    let m = a.stats();
    assert_eq!(m.bytes_live, 0);
    assert_eq!(m.slots_free, 256);
    assert_eq!(m.allocations, 2 * PER_THREAD as u64);
    assert_eq!(m.frees, m.allocations);
}

fn pattern(seq: u64) -> u8 {
    (seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8
}

#[derive(Debug, Clone)]
enum Op {
    Alloc,
    Write(usize, u8, usize),
    Freeze(usize),
    Clone(usize),
    Slice(usize, usize),
    DropBuf(usize),
    DropBytes(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Alloc),
        3 => (any::<usize>(), any::<u8>(), 0usize..40).prop_map(|(i, b, n)| Op::Write(i, b, n)),
        2 => any::<usize>().prop_map(Op::Freeze),
        1 => any::<usize>().prop_map(Op::Clone),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(i, n)| Op::Slice(i, n)),
        1 => any::<usize>().prop_map(Op::DropBuf),
        2 => any::<usize>().prop_map(Op::DropBytes),
    ]
}

proptest! {
    /// Buffers and bytes against a model: what was written is what is
    /// read, slots never overlap, and a slot is free exactly when nothing
    /// refers to it.
    #[test]
    fn model(ops in proptest::collection::vec(op(), 1..120), zero in any::<bool>()) {
        const SLOTS: usize = 5;
        const SIZE: usize = 32;
        let policy = if zero { InitPolicy::Zero } else { InitPolicy::Uninit };
        let a = FixedArena::builder(SLOTS, SIZE).init_policy(policy).build().unwrap();
        // (buffer, what it should hold)
        let mut bufs: Vec<(Buffer, Vec<u8>)> = Vec::new();
        // (bytes, expected content, slot address)
        let mut frozen: Vec<(Bytes, Vec<u8>, usize)> = Vec::new();
        for op in ops {
            match op {
                Op::Alloc => {
                    let out: std::collections::HashSet<usize> = bufs
                        .iter()
                        .map(|(b, _)| b.written().as_ptr() as usize)
                        .chain(frozen.iter().map(|f| f.2))
                        .collect();
                    match a.allocate() {
                        Ok(b) => {
                            prop_assert!(!out.contains(&(b.written().as_ptr() as usize)));
                            prop_assert!(out.len() < SLOTS);
                            bufs.push((b, Vec::new()));
                        }
                        Err(e) => {
                            prop_assert_eq!(out.len(), SLOTS);
                            let full = matches!(e, Error::Full { .. });
                            prop_assert!(full);
                        }
                    }
                }
                Op::Write(i, byte, n) if !bufs.is_empty() => {
                    let k = i % bufs.len();
                    let (b, model) = &mut bufs[k];
                    let fits = model.len() + n <= SIZE;
                    prop_assert_eq!(b.try_put_bytes(byte, n).is_ok(), fits);
                    if fits {
                        model.extend(std::iter::repeat_n(byte, n));
                    }
                    prop_assert_eq!(b.written(), &model[..]);
                }
                Op::Freeze(i) if !bufs.is_empty() => {
                    let (b, model) = bufs.swap_remove(i % bufs.len());
                    let addr = b.written().as_ptr() as usize;
                    let bytes = b.freeze();
                    prop_assert_eq!(&bytes[..], &model[..]);
                    if !model.is_empty() {
                        frozen.push((bytes, model, addr));
                    }
                }
                Op::Clone(i) if !frozen.is_empty() => {
                    let f = frozen[i % frozen.len()].clone();
                    frozen.push(f);
                }
                Op::Slice(i, n) if !frozen.is_empty() => {
                    let (bytes, model, addr) = &frozen[i % frozen.len()];
                    let cut = n % (model.len() + 1);
                    let part = (bytes.slice(cut..), model[cut..].to_vec(), *addr);
                    // An empty slice of `Bytes` refers to nothing.
                    if !part.1.is_empty() {
                        frozen.push(part);
                    }
                }
                Op::DropBuf(i) if !bufs.is_empty() => {
                    bufs.swap_remove(i % bufs.len());
                }
                Op::DropBytes(i) if !frozen.is_empty() => {
                    frozen.swap_remove(i % frozen.len());
                }
                _ => {}
            }
            for (bytes, model, _) in &frozen {
                prop_assert_eq!(&bytes[..], &model[..]);
            }
            let out: std::collections::HashSet<usize> = bufs
                .iter()
                .map(|(b, _)| b.written().as_ptr() as usize)
                .chain(frozen.iter().map(|f| f.2))
                .collect();
            prop_assert_eq!(a.stats().slots_free, SLOTS - out.len());
        }
        drop(bufs);
        drop(frozen);
        let m = a.stats();
        prop_assert_eq!(m.slots_free, SLOTS);
        prop_assert_eq!(m.frees, m.allocations);
    }
}
