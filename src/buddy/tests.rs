use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering as StdOrdering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes};
use proptest::prelude::*;

use super::*;

fn arena(total: usize, min: usize) -> BuddyArena {
    BuddyArena::builder(total, min).build().unwrap()
}

/// The offset of `p` in the arena's memory.
fn offset(a: &BuddyArena, p: *const u8) -> usize {
    p as usize - a.shared().base.as_ptr() as usize
}

fn buf_offset(a: &BuddyArena, b: &Buffer) -> usize {
    offset(a, b.written().as_ptr())
}

/// The first `n` bytes of the buffer's memory, written or not.
fn raw(b: &mut Buffer, n: usize) -> Vec<u8> {
    let p = b.chunk_mut().as_mut_ptr();
    // SAFETY: `n` is at most the buffer's capacity, all of it ours and
    // initialised (the mapping starts zeroed; earlier users wrote it).
    unsafe { std::slice::from_raw_parts(p, n).to_vec() }
}

/// The free blocks, as (order, index), of a region of `n` minimum blocks
/// with the blocks of `live` out and everything else coalesced: every
/// maximal free block of the initial decomposition's buddy trees.
fn canonical(n: usize, live: &[(usize, usize)]) -> BTreeSet<(usize, usize)> {
    fn walk(k: usize, i: usize, live: &[(usize, usize)], out: &mut BTreeSet<(usize, usize)>) {
        let (lo, hi) = (i << k, (i + 1) << k);
        if live.contains(&(k, i)) {
            return;
        }
        if !live
            .iter()
            .any(|&(lk, li)| li << lk < hi && lo < (li + 1) << lk)
        {
            out.insert((k, i));
            return;
        }
        assert!(k > 0, "a live block inside a minimum block it is not");
        walk(k - 1, 2 * i, live, out);
        walk(k - 1, 2 * i + 1, live, out);
    }
    let mut out = BTreeSet::new();
    for k in (0..=n.ilog2() as usize).rev() {
        if n >> k & 1 == 1 {
            walk(k, (n >> k) - 1, live, &mut out);
        }
    }
    out
}

/// The blocks the bitmaps of `f` hold free, checking on the way that every
/// summary bit and mask bit agrees with the level below it and that no bit
/// lies past its order's last position.
fn bitmap_blocks(f: &Free, n: usize) -> BTreeSet<(usize, usize)> {
    let mut out = BTreeSet::new();
    assert_eq!(f.maps.len(), n.ilog2() as usize + 1);
    for (k, map) in f.maps.iter().enumerate() {
        let level = |l: usize| f.levels[map.first + l];
        let mut words = (n >> k).div_ceil(64);
        for l in 0..map.count {
            let at = level(l);
            let above = words.div_ceil(64);
            for w in 0..words {
                let v = f.words[at + w];
                if l == 0 {
                    // Each set bit, lowest first.
                    let mut bits = v;
                    while bits != 0 {
                        let i = w * 64 + bits.trailing_zeros() as usize;
                        assert!(i < n >> k, "order {k}: bit {i} past the end");
                        out.insert((k, i));
                        bits &= bits - 1;
                    }
                }
                let flag = if l + 1 < map.count {
                    f.words[level(l + 1) + w / 64] >> (w % 64) & 1 == 1
                } else {
                    assert_eq!(words, 1, "order {k}: the top level has one word");
                    f.mask >> k & 1 == 1
                };
                assert_eq!(flag, v != 0, "order {k} level {l} word {w}: summary");
            }
            if l + 1 < map.count {
                // Summary bits past the words below are never set.
                let top = f.words[level(l + 1) + above - 1];
                let used = words - (above - 1) * 64;
                assert!(
                    used == 64 || top >> used == 0,
                    "order {k}: stray summary bit"
                );
            }
            words = above;
        }
    }
    assert_eq!(f.mask >> f.maps.len(), 0, "mask bits past the top order");
    out
}

/// The parked blocks of `f`.
fn parked_blocks(f: &Free) -> Vec<(usize, usize)> {
    (0..64)
        .filter(|k| f.parked_mask >> k & 1 == 1)
        .map(|k| (k, f.parked[k]))
        .collect()
}

#[test]
fn bitmap_levels_follow_the_positions() {
    let levels = |n: usize| {
        Free::new(n)
            .unwrap()
            .maps
            .iter()
            .map(|m| m.count)
            .collect::<Vec<_>>()
    };
    assert_eq!(levels(1), [1]);
    assert_eq!(levels(64), [1, 1, 1, 1, 1, 1, 1]);
    assert_eq!(levels(65)[..2], [2, 1]);
    let big = levels(1 << 18); // 64 MiB of 256-byte blocks
    assert_eq!(big[..6], [3; 6]); // 2^18 down to 2^13 positions
    assert_eq!(big[6..12], [2; 6]); // 4096 down to 128
    assert_eq!(big[12..], [1; 7]); // 64 down to 1
    // The last block of an odd count tests its buddy one bit past the end.
    let mut f = Free::new(63).unwrap();
    while f.take(0).is_some() {}
    f.give(0, 62);
    f.flush();
    assert_eq!(bitmap_blocks(&f, 63), BTreeSet::from([(0, 62)]));
}

#[test]
fn geometry_errors_are_build_errors() {
    let err = |b: BuddyArenaBuilder| b.build().err().unwrap();
    assert_eq!(
        err(BuddyArena::builder(4096, 0)),
        BuildError::Zero {
            what: "minimum block"
        }
    );
    assert_eq!(
        err(BuddyArena::builder(4096, 48)),
        BuildError::NotPowerOfTwo {
            what: "minimum block",
            value: 48
        }
    );
    assert_eq!(
        err(BuddyArena::builder(0, 256)),
        BuildError::Zero { what: "total size" }
    );
    let e = err(BuddyArena::builder(1000, 256));
    assert_eq!(
        e.to_string(),
        "total size 1000 is not a multiple of the minimum block of 256 bytes"
    );
    assert_eq!(
        err(BuddyArena::builder(4096, 256).alignment(24)),
        BuildError::NotPowerOfTwo {
            what: "alignment",
            value: 24
        }
    );
    assert_eq!(
        err(BuddyArena::builder(1 << 16, 8192).alignment(8192)),
        BuildError::Alignment { align: 8192 }
    );
    assert_eq!(
        err(BuddyArena::builder(4096, 256).alignment(512)).to_string(),
        "alignment 512 is above the minimum block of 256 bytes"
    );
    // A minimum block under 8 lowers the default alignment to itself.
    assert!(BuddyArena::builder(64, 4).build().is_ok());
    assert!(matches!(
        err(BuddyArena::builder(64, 4).alignment(8)),
        BuildError::Geometry(_)
    ));
    // Too many minimum blocks to track, refused before any memory is made.
    let e = err(BuddyArena::builder(1 << 60, 1));
    assert!(e.to_string().contains("minimum blocks"), "{e}");
    // The C error of a build error.
    assert_eq!(
        Error::from(BuildError::Zero { what: "total size" }).code(),
        crate::error::ARN_E_INVALID_ARGUMENT
    );
}

#[test]
fn sizes_round_up_to_a_power_of_two_block() {
    let a = arena(1 << 16, 256);
    assert_eq!((a.total_size(), a.min_block()), (1 << 16, 256));
    for (size, cap) in [
        (1, 256),
        (255, 256),
        (256, 256),
        (257, 512),
        (1000, 1024),
        (1024, 1024),
        (4097, 8192),
        (1 << 16, 1 << 16),
    ] {
        let b = a.allocate(size).unwrap();
        assert_eq!(b.capacity(), cap, "size {size}");
        assert_eq!(b.len(), 0);
        assert_eq!(
            buf_offset(&a, &b) % cap,
            0,
            "blocks are aligned to their size"
        );
        assert!(b.written().as_ptr() as usize % cap.min(4096) == 0);
    }
    let m = a.stats();
    assert_eq!(m.allocations, 8);
    assert_eq!(m.frees, 8);
    assert_eq!(m.bytes_live, 0);
    assert_eq!(m.largest_free_block, 1 << 16);
}

#[test]
fn bad_sizes_are_invalid_and_a_full_arena_says_no_block() {
    let a = arena(4096, 256);
    let e = a.allocate(0).unwrap_err();
    assert_eq!(e.code(), crate::error::ARN_E_INVALID_ARGUMENT);
    let e = a.allocate(4097).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid argument: request of 4097 bytes is above the arena's largest block of 4096 bytes"
    );
    assert!(a.allocate(usize::MAX).is_err());
    assert_eq!(a.stats().failures, 0, "invalid sizes are not failures");

    let big = a.allocate(2048).unwrap();
    let small = a.allocate(1024).unwrap();
    let e = a.allocate(2048).unwrap_err();
    assert_eq!(
        e,
        Error::NoBlock {
            asked: 2048,
            block: 2048,
            largest: 1024,
            capacity: 4096
        }
    );
    assert_eq!(e.code(), crate::error::ARN_E_CAPACITY);
    assert_eq!(a.stats().failures, 1);
    let rest = a.allocate(1024).unwrap();
    let e = a.allocate(1).unwrap_err();
    assert_eq!(
        e,
        Error::NoBlock {
            asked: 1,
            block: 256,
            largest: 0,
            capacity: 4096
        }
    );
    let m = a.stats();
    assert_eq!(
        (m.failures, m.bytes_live, m.largest_free_block),
        (2, 4096, 0)
    );
    drop((big, small, rest));
    assert_eq!(a.stats().largest_free_block, 4096);
    assert!(a.allocate(4096).is_ok());
}

#[test]
fn splits_and_coalesces_are_counted() {
    let a = arena(4096, 256); // orders 0..=4
    let b = a.allocate(256).unwrap();
    assert_eq!(buf_offset(&a, &b), 0, "the lowest address");
    let m = a.stats();
    assert_eq!((m.splits, m.coalesces), (4, 0));
    assert_eq!((m.bytes_live, m.largest_free_block), (256, 2048));
    let c = a.allocate(256).unwrap();
    assert_eq!(buf_offset(&a, &c), 256, "the buddy, no new split");
    let d = a.allocate(1024).unwrap();
    assert_eq!(buf_offset(&a, &d), 1024);
    let m = a.stats();
    assert_eq!((m.splits, m.coalesces, m.allocations), (4, 0, 3));
    assert_eq!(m.largest_free_block, 2048);
    drop(b);
    assert_eq!(a.stats().coalesces, 0, "its buddy is out");
    drop(c);
    let m = a.stats();
    assert_eq!(m.coalesces, 2, "256+256 and 512+512");
    assert_eq!(m.largest_free_block, 2048);
    drop(d);
    let m = a.stats();
    assert_eq!((m.splits, m.coalesces, m.frees), (4, 4, 3));
    assert_eq!((m.bytes_live, m.largest_free_block), (0, 4096));
}

#[test]
fn a_dropped_block_is_parked_and_reused_without_splitting() {
    let a = arena(1 << 20, 256);
    let first = a.allocate(256).unwrap();
    let at = buf_offset(&a, &first);
    drop(first);
    for _ in 0..10 {
        let b = a.allocate(200).unwrap();
        assert_eq!(buf_offset(&a, &b), at);
    }
    // Reading the metrics coalesces what was parked.
    let m = a.stats();
    assert_eq!((m.splits, m.coalesces), (12, 12));
    assert_eq!(m.largest_free_block, 1 << 20);
    // A parked block never makes an allocation fail: parked blocks are
    // flushed before giving up.
    let small = a.allocate(256).unwrap();
    drop(small); // parked at order 0
    let whole = a.allocate(1 << 20).unwrap();
    assert_eq!(whole.capacity(), 1 << 20);
    drop(whole);
    // A second drop at the same order sends the first one to the bitmaps.
    let x = a.allocate(256).unwrap();
    let y = a.allocate(256).unwrap();
    drop(x);
    drop(y);
    let f = &a.shared().state.lock().free;
    assert_eq!(parked_blocks(f).len(), 1);
}

#[test]
fn a_total_that_is_not_a_power_of_two_is_its_binary_digits() {
    let a = arena(7 * 256, 256); // 1024 @ 0, 512 @ 1024, 256 @ 1536
    let m = a.stats();
    assert_eq!(
        (m.total_size, m.largest_free_block, m.min_block),
        (1792, 1024, 256)
    );
    assert_eq!(m.bytes_reserved, 1792);
    let e = a.allocate(2048).unwrap_err();
    assert_eq!(e.code(), crate::error::ARN_E_INVALID_ARGUMENT);
    let b256 = a.allocate(256).unwrap();
    assert_eq!(buf_offset(&a, &b256), 1536, "the smallest order that fits");
    let b512 = a.allocate(512).unwrap();
    assert_eq!(buf_offset(&a, &b512), 1024);
    let b1024 = a.allocate(1024).unwrap();
    assert_eq!(buf_offset(&a, &b1024), 0);
    assert!(a.allocate(1).is_err());
    drop((b256, b512, b1024));
    let m = a.stats();
    assert_eq!(m.largest_free_block, 1024, "the pieces never coalesce");
    assert_eq!((m.splits, m.coalesces, m.bytes_live), (0, 0, 0));
    // Three blocks of 256: 512 @ 0 and 256 @ 512, whose buddy is past the end.
    let a = arena(3 * 256, 256);
    let x = a.allocate(256).unwrap();
    let y = a.allocate(256).unwrap();
    let z = a.allocate(256).unwrap();
    let mut at = [&x, &y, &z].map(|b| buf_offset(&a, b));
    at.sort();
    assert_eq!(at, [0, 256, 512]);
    drop((x, y, z));
    assert_eq!(a.stats().largest_free_block, 512);
}

#[test]
fn zero_policy_scrubs_what_the_last_user_could_write() {
    let a = BuddyArena::builder(1024, 256)
        .init_policy(InitPolicy::Zero)
        .build()
        .unwrap();
    let mut b = a.allocate(1024).unwrap();
    assert!(raw(&mut b, 1024).iter().all(|&x| x == 0));
    b.put_bytes(0xAB, 700);
    let bytes = b.freeze();
    drop(bytes);
    let mut b = a.allocate(1024).unwrap();
    assert!(
        raw(&mut b, 1024).iter().all(|&x| x == 0),
        "frozen, dropped, scrubbed"
    );
    // Bytes written through `chunk_mut` without advancing are scrubbed too.
    let p = b.chunk_mut().as_mut_ptr();
    // SAFETY: inside the buffer's capacity.
    unsafe { p.add(1000).write(0x55) };
    drop(b);
    let mut b = a.allocate(512).unwrap(); // a split of the same memory
    assert!(raw(&mut b, 512).iter().all(|&x| x == 0));
    b.put_slice(b"secret");
    drop(b);
    let mut b = a.allocate(1024).unwrap();
    assert!(raw(&mut b, 1024).iter().all(|&x| x == 0));

    // Uninit leaves the old bytes, which only the written part shows.
    let a = arena(1024, 1024);
    let mut b = a.allocate(10).unwrap();
    b.put_slice(b"old data");
    drop(b);
    let mut b = a.allocate(10).unwrap();
    assert_eq!(&raw(&mut b, 8), b"old data");
    assert!(b.written().is_empty());
}

#[test]
fn auto_spill_gives_the_block_back_at_once() {
    let a = BuddyArena::builder(512, 256).auto_spill().build().unwrap();
    let mut b = a.allocate(256).unwrap();
    assert!(b.auto_spills());
    b.put_bytes(1, 200);
    b.put_bytes(2, 100); // 300 > 256
    assert!(b.is_spilled());
    let m = a.stats();
    assert_eq!((m.spills, m.frees, m.bytes_live), (1, 1, 0));
    let again = a.allocate(512).unwrap();
    assert_eq!(again.capacity(), 512, "the block came back and coalesced");
    let bytes = b.freeze();
    assert_eq!(bytes.len(), 300);
    assert!(bytes[..200].iter().all(|&x| x == 1) && bytes[200..].iter().all(|&x| x == 2));
    drop(again);
    assert_eq!(a.stats().frees, 2);

    // Without auto-spill a write past the end is an error and writes nothing.
    let a = arena(512, 256);
    let mut b = a.allocate(256).unwrap();
    b.put_bytes(1, 250);
    let e = b.try_put_slice(&[0; 10]).unwrap_err();
    assert_eq!(
        e,
        Error::BufferFull {
            asked: 10,
            remaining: 6,
            capacity: 256
        }
    );
    assert_eq!(b.len(), 250);
}

#[test]
fn freezing_an_empty_buffer_gives_the_block_back() {
    let a = arena(256, 256);
    let b = a.allocate(1).unwrap();
    let bytes = b.freeze();
    assert!(bytes.is_empty());
    assert_eq!(a.stats().bytes_live, 0);
    let b = a.allocate(1).unwrap();
    b.abandon();
    assert_eq!(a.stats().frees, 2);
}

#[test]
fn bytes_outlive_their_arena() {
    let a = arena(4096, 256);
    let mut b = a.allocate(300).unwrap();
    b.put_slice(b"still here after the arena");
    let bytes = b.freeze();
    let part = bytes.slice(6..10);
    let other = a.allocate(10).unwrap();
    drop(a);
    assert_eq!(&bytes[..], b"still here after the arena");
    drop(bytes);
    assert_eq!(&part[..], b"here");
    drop(other);
    drop(part); // the last one frees the arena
}

#[test]
fn caller_memory_with_a_dealloc_hook_freed_once_at_the_end() {
    let mut mem = vec![0u64; 4096 / 8 + 8].into_boxed_slice();
    let len = mem.len() * 8;
    let ptr = NonNull::new(mem.as_mut_ptr().cast::<u8>()).unwrap();
    let calls = Arc::new(StdAtomicUsize::new(0));
    let seen = calls.clone();
    let addr = ptr.as_ptr() as usize;
    let hook: Dealloc = Box::new(move |p, n| {
        assert_eq!((p.as_ptr() as usize, n), (addr, len));
        seen.fetch_add(1, StdOrdering::SeqCst);
    });
    // SAFETY: `mem` outlives the arena and its bytes, and nothing else
    // uses it meanwhile.
    let a = unsafe { BuddyArena::from_raw(ptr, len, 512, Some(hook)) }
        .init_policy(InitPolicy::Zero)
        .build()
        .unwrap();
    // 4160 bytes hold 8 blocks of 512: 4096 @ 0 (the tail is unused).
    let m = a.stats();
    assert_eq!(
        (m.total_size, m.bytes_reserved, m.largest_free_block),
        (4096, len, 4096)
    );
    let mut b = a.allocate(4096).unwrap();
    assert_eq!(b.written().as_ptr(), ptr.as_ptr().cast_const());
    b.put_slice(b"caller memory");
    let bytes = b.freeze();
    drop(a);
    assert_eq!(calls.load(StdOrdering::SeqCst), 0, "a block is out");
    assert_eq!(&bytes[..], b"caller memory");
    drop(bytes);
    assert_eq!(calls.load(StdOrdering::SeqCst), 1);
    // Zero policy scrubbed the block on its way back.
    assert!(mem.iter().all(|&w| w == 0));

    // A misaligned pointer, or too little memory, is refused; the hook is
    // dropped without running.
    let ran = Arc::new(StdAtomicUsize::new(0));
    let r = ran.clone();
    let hook: Dealloc = Box::new(move |_, _| {
        r.fetch_add(1, StdOrdering::SeqCst);
    });
    let odd = NonNull::new(ptr.as_ptr().wrapping_add(4)).unwrap();
    // SAFETY: as above; the build fails before using the memory.
    let e = unsafe { BuddyArena::from_raw(odd, 256, 256, Some(hook)) }
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("is not aligned to 8"), "{e}");
    // SAFETY: as above.
    let e = unsafe { BuddyArena::from_raw(ptr, 100, 256, None) }
        .build()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "100 bytes of memory hold no block of 256 bytes"
    );
    assert_eq!(ran.load(StdOrdering::SeqCst), 0);
}

#[test]
fn unfaulted_prefaulted_and_huge_page_arenas_work() {
    let u = BuddyArena::builder(1 << 16, 4096)
        .build_unfaulted()
        .unwrap();
    let a = u.fault_pages();
    let mut b = a.allocate(4096).unwrap();
    b.put_slice(b"faulted");
    assert_eq!(&b.freeze()[..], b"faulted");
    let a = BuddyArena::builder(1 << 16, 4096)
        .build_unfaulted()
        .unwrap()
        .into_inner();
    assert!(a.allocate(1 << 16).is_ok());
    let a = BuddyArena::builder(1 << 16, 64)
        .prefault(true)
        .alignment(64)
        .build()
        .unwrap();
    let b = a.allocate(1).unwrap();
    assert_eq!(b.written().as_ptr() as usize % 64, 0);
    let a = BuddyArena::builder(3 << 20, 4096)
        .page_size(PageSize::Huge)
        .prefault(true)
        .build()
        .unwrap();
    let b = a.allocate(2 << 20).unwrap();
    if !cfg!(miri) {
        assert_eq!(b.written().as_ptr() as usize % (2 << 20), 0);
    }
    assert_eq!(
        format!("{a:?}"),
        "BuddyArena { total_size: 3145728, min_block: 4096 }"
    );
}

#[test]
#[cfg_attr(miri, ignore)]
fn allocate_timeout_waits_for_a_release() {
    let a = arena(1024, 256);
    let held = a.allocate(1024).unwrap();
    let start = Instant::now();
    std::thread::scope(|s| {
        s.spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            drop(held);
        });
        let b = a.allocate_timeout(512, Duration::from_secs(10)).unwrap();
        assert_eq!(b.capacity(), 512);
    });
    assert!(start.elapsed() >= Duration::from_millis(40));
    let m = a.stats();
    assert_eq!((m.failures, m.allocations), (0, 2));
    assert!(!a.shared().state.lock().armed, "the last waiter disarms");
}

#[test]
#[cfg_attr(miri, ignore)]
fn allocate_timeout_times_out_when_nothing_comes_back() {
    let a = arena(1024, 256);
    let _held = (a.allocate(300).unwrap(), a.allocate(256).unwrap());
    let start = Instant::now();
    let e = a
        .allocate_timeout(512, Duration::from_millis(30))
        .unwrap_err();
    assert!(start.elapsed() >= Duration::from_millis(30));
    assert_eq!(
        e,
        Error::Timeout {
            what: "buddy arena",
            ms: 30
        }
    );
    assert_eq!(e.code(), crate::error::ARN_E_TIMEOUT);
    assert_eq!(a.stats().failures, 1);
    // Sizes it can never serve fail at once, without waiting.
    let e = a
        .allocate_timeout(2048, Duration::from_secs(3600))
        .unwrap_err();
    assert_eq!(e.code(), crate::error::ARN_E_INVALID_ARGUMENT);
    // What is free now is served at once.
    assert!(a.allocate_timeout(256, Duration::ZERO).is_ok());
}

#[cfg(feature = "async")]
#[test]
fn allocate_async_waits_for_a_release() {
    let a = arena(1024, 256);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    fn send<T: Send>(_: &T) {}
    send(&a.allocate_async(1)); // spawnable on a multi-threaded runtime
    let held = a.allocate(1024).unwrap();
    let e = rt.block_on(a.allocate_async(0)).unwrap_err();
    assert_eq!(e.code(), crate::error::ARN_E_INVALID_ARGUMENT);
    std::thread::scope(|s| {
        s.spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            drop(held);
        });
        let b = rt.block_on(a.allocate_async(300)).unwrap();
        assert_eq!(b.capacity(), 512);
    });
    assert!(!a.shared().state.lock().armed);
}

/// Two threads allocate varied sizes, write a pattern per buffer, freeze,
/// and send the bytes to each other; each checks and drops what it gets.
#[test]
fn two_threads_trade_bytes() {
    let rounds = if cfg!(miri) { 40 } else { 20_000 };
    // Small enough to fill up now and then while bytes are on their way.
    let a = BuddyArena::builder(1 << 15, 64).build().unwrap();
    let (to_b, from_a) = mpsc::channel::<(u64, Bytes)>();
    let (to_a, from_b) = mpsc::channel::<(u64, Bytes)>();
    let pattern = |tag: u64, n: usize| -> Vec<u8> {
        (0..n)
            .map(|j| (tag.wrapping_mul(31).wrapping_add(j as u64 * 7) >> 3) as u8)
            .collect()
    };
    let check = |(tag, bytes): (u64, Bytes)| {
        assert_eq!(&bytes[..], &pattern(tag, bytes.len())[..], "bytes {tag:#x}");
    };
    let run = |me: u64, tx: mpsc::Sender<(u64, Bytes)>, rx: mpsc::Receiver<(u64, Bytes)>| {
        let mut seed = me.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        for r in 0..rounds {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let size = 1 + ((seed as usize % 8192) >> (seed >> 60));
            let tag = me << 32 | r;
            let mut b = loop {
                match a.allocate(size) {
                    Ok(b) => break b,
                    Err(e) => {
                        assert!(matches!(e, Error::NoBlock { .. }), "{e}");
                        if let Ok(got) = rx.recv_timeout(Duration::from_millis(1)) {
                            check(got);
                        }
                    }
                }
            };
            assert!(b.capacity() >= size);
            b.put_slice(&pattern(tag, size));
            tx.send((tag, b.freeze())).unwrap();
            while let Ok(got) = rx.try_recv() {
                check(got);
            }
        }
        drop(tx);
        for got in rx {
            check(got);
        }
    };
    std::thread::scope(|s| {
        let run = &run;
        s.spawn(move || run(1, to_b, from_b));
        s.spawn(move || run(2, to_a, from_a));
    });
    let m = a.stats();
    assert_eq!(m.allocations, 2 * rounds);
    assert_eq!(m.frees, m.allocations);
    assert_eq!(m.bytes_live, 0);
    assert_eq!(m.largest_free_block, 1 << 15);
    assert_eq!(m.splits, m.coalesces, "everything merged back");
}

#[derive(Debug, Clone)]
enum Op {
    /// Allocate this many bytes and write `fill` of them (a fraction of
    /// the capacity, in 256ths).
    Alloc(usize, u8),
    /// Drop the n-th buffer unfrozen.
    Drop(usize),
    /// Freeze the n-th buffer.
    Freeze(usize),
    /// Clone (and slice) the n-th frozen bytes.
    Clone(usize),
    /// Drop one handle of the n-th frozen bytes.
    DropBytes(usize),
    /// Read the metrics (which coalesces parked blocks) and check them.
    Metrics,
}

fn op(largest: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0..=largest + largest / 4, any::<u8>()).prop_map(|(s, f)| Op::Alloc(s, f)),
        3 => any::<usize>().prop_map(Op::Drop),
        3 => any::<usize>().prop_map(Op::Freeze),
        1 => any::<usize>().prop_map(Op::Clone),
        3 => any::<usize>().prop_map(Op::DropBytes),
        1 => Just(Op::Metrics),
    ]
}

/// A block out of the model arena: where, its order, and the byte it was
/// written with.
#[derive(Debug, Clone, Copy)]
struct Out {
    at: usize,
    order: usize,
    fill: u8,
}

fn geometry() -> impl Strategy<Value = (usize, usize)> {
    let blocks = if cfg!(miri) {
        1usize..=40
    } else {
        1usize..=300
    };
    (
        blocks,
        prop_oneof![Just(1usize), Just(8), Just(64), Just(256)],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn buddy_arena_follows_the_model(
        (n, min) in geometry(),
        zero in any::<bool>(),
        seed in any::<u8>(),
        ops in prop::collection::vec(op(4096), 1..80),
    ) {
        let total = n * min;
        let top = n.ilog2() as usize;
        let largest = min << top;
        let policy = if zero { InitPolicy::Zero } else { InitPolicy::Uninit };
        let a = BuddyArena::builder(total, min).init_policy(policy).build().unwrap();
        let mut bufs: Vec<(Buffer, Out)> = Vec::new();
        let mut frozen: Vec<(Vec<Bytes>, Out)> = Vec::new();
        let (mut allocations, mut frees, mut failures) = (0u64, 0u64, 0u64);
        let mut fill = seed;
        let live = |bufs: &Vec<(Buffer, Out)>, frozen: &Vec<(Vec<Bytes>, Out)>| -> Vec<(usize, usize)> {
            bufs.iter().map(|(_, o)| o).chain(frozen.iter().map(|(_, o)| o))
                .map(|o| (o.order, o.at / (min << o.order)))
                .collect()
        };
        for op in ops {
            match op {
                Op::Alloc(size, part) => {
                    let size = size % (largest + largest / 4 + 2);
                    match a.allocate(size) {
                        Ok(mut b) => {
                            prop_assert!(size > 0 && size <= largest);
                            let cap = b.capacity();
                            prop_assert!(cap >= size && cap >= min && cap.is_power_of_two());
                            prop_assert!(cap / 2 < size.max(min), "{} bytes got {}", size, cap);
                            let at = buf_offset(&a, &b);
                            prop_assert!(at + cap <= total, "block at {} of {} past {}", at, cap, total);
                            prop_assert_eq!(at % cap, 0, "aligned to its size");
                            let order = (cap / min).ilog2() as usize;
                            for o in bufs.iter().map(|(_, o)| o).chain(frozen.iter().map(|(_, o)| o)) {
                                let end = o.at + (min << o.order);
                                prop_assert!(at + cap <= o.at || end <= at, "overlaps a block out");
                            }
                            if zero {
                                prop_assert!(raw(&mut b, cap).iter().all(|&x| x == 0), "not scrubbed");
                            }
                            fill = fill.wrapping_add(1);
                            let len = cap * part as usize / 255;
                            b.put_bytes(fill, len);
                            allocations += 1;
                            bufs.push((b, Out { at, order, fill }));
                        }
                        Err(e) if size == 0 || size > largest => {
                            prop_assert_eq!(e.code(), crate::error::ARN_E_INVALID_ARGUMENT);
                        }
                        Err(e) => {
                            let want = size.max(min).next_power_of_two();
                            let free = canonical(n, &live(&bufs, &frozen));
                            let big = free.iter().map(|&(k, _)| min << k).max().unwrap_or(0);
                            prop_assert!(big < want, "refused {} with a free block of {}", size, big);
                            prop_assert_eq!(e, Error::NoBlock { asked: size, block: want, largest: big, capacity: total });
                            failures += 1;
                        }
                    }
                }
                Op::Drop(i) if !bufs.is_empty() => {
                    let (b, _) = bufs.swap_remove(i % bufs.len());
                    drop(b);
                    frees += 1;
                }
                Op::Freeze(i) if !bufs.is_empty() => {
                    let (b, o) = bufs.swap_remove(i % bufs.len());
                    let len = b.len();
                    let bytes = b.freeze();
                    prop_assert_eq!(bytes.len(), len);
                    if len == 0 {
                        frees += 1;
                    } else {
                        prop_assert_eq!(offset(&a, bytes.as_ptr()), o.at);
                        frozen.push((vec![bytes], o));
                    }
                }
                Op::Clone(i) if !frozen.is_empty() => {
                    let j = i % frozen.len();
                    let copies = &mut frozen[j].0;
                    let last = copies[copies.len() - 1].clone();
                    let cut = last.slice(i % last.len()..);
                    copies.push(cut);
                }
                Op::DropBytes(i) if !frozen.is_empty() => {
                    let j = i % frozen.len();
                    let copies = &mut frozen[j].0;
                    copies.swap_remove(i % copies.len());
                    if copies.is_empty() {
                        frozen.swap_remove(j);
                        frees += 1;
                    }
                }
                Op::Metrics => {
                    let m = a.stats();
                    let out = live(&bufs, &frozen);
                    let free = canonical(n, &out);
                    prop_assert_eq!(m.allocations, allocations);
                    prop_assert_eq!(m.frees, frees);
                    prop_assert_eq!(m.failures, failures);
                    prop_assert_eq!(m.bytes_live, out.iter().map(|&(k, _)| min << k).sum::<usize>());
                    prop_assert_eq!(m.largest_free_block, free.iter().map(|&(k, _)| min << k).max().unwrap_or(0));
                    // Every block, out or free, came from the first ones by
                    // splits and merges.
                    prop_assert_eq!(
                        n.count_ones() as u64 + m.splits - m.coalesces,
                        (free.len() + out.len()) as u64
                    );
                    let f = &a.shared().state.lock().free;
                    prop_assert!(parked_blocks(f).is_empty());
                    prop_assert_eq!(bitmap_blocks(f, n), free);
                }
                _ => {}
            }
            for (b, o) in &bufs {
                prop_assert!(b.written().iter().all(|&x| x == o.fill), "a buffer changed");
            }
            for (copies, o) in &frozen {
                for c in copies {
                    prop_assert!(c.iter().all(|&x| x == o.fill), "bytes changed");
                }
            }
        }
        drop(bufs);
        drop(frozen);
        let m = a.stats();
        prop_assert_eq!(m.frees, m.allocations);
        prop_assert_eq!(m.bytes_live, 0);
        prop_assert_eq!(m.largest_free_block, largest);
        if n.is_power_of_two() {
            prop_assert_eq!(m.largest_free_block, total);
        }
        prop_assert_eq!(bitmap_blocks(&a.shared().state.lock().free, n), canonical(n, &[]));
    }
}

#[derive(Debug, Clone)]
enum FreeOp {
    Take(usize),
    Give(usize),
    Flush,
}

fn free_op() -> impl Strategy<Value = FreeOp> {
    prop_oneof![
        6 => (0usize..64).prop_map(FreeOp::Take),
        5 => any::<usize>().prop_map(FreeOp::Give),
        1 => Just(FreeOp::Flush),
    ]
}

fn positions() -> impl Strategy<Value = usize> {
    if cfg!(miri) {
        prop_oneof![1usize..200, Just(4097)].boxed()
    } else {
        // Up to three bitmap levels at order 0, and odd sizes around the
        // word and summary boundaries.
        prop_oneof![
            1usize..300,
            4090usize..4110,
            (1usize << 16) - 3..(1 << 16) + 3,
            (1usize << 18) - 1..(1 << 18) + 2,
        ]
        .boxed()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 8 } else { 96 }))]

    /// The free map alone, on regions far larger than the arena test can
    /// afford memory for: best fit, lowest address when nothing is parked,
    /// summaries consistent after every step, and exactly the canonical
    /// free blocks once flushed.
    #[test]
    fn free_map_follows_the_model(n in positions(), ops in prop::collection::vec(free_op(), 1..120)) {
        let mut f = Free::new(n).unwrap();
        let top = n.ilog2() as usize;
        let mut out: Vec<(usize, usize)> = Vec::new();
        let mut given = BTreeMap::new();
        prop_assert_eq!(bitmap_blocks(&f, n), canonical(n, &[]));
        for op in ops {
            match op {
                FreeOp::Take(k) => {
                    let k = k % (top + 1);
                    let bitmaps = bitmap_blocks(&f, n);
                    let parked = parked_blocks(&f);
                    let splits = f.splits;
                    match f.take(k) {
                        Some(i) => {
                            prop_assert!((i + 1) << k <= n);
                            for &(lk, li) in &out {
                                prop_assert!((i + 1) << k <= li << lk || (li + 1) << lk <= i << k, "overlap");
                            }
                            // The smallest order with a free block, parked
                            // or not, that fits; after a flush when nothing
                            // fitted without one.
                            let fits = |o: &&(usize, usize)| o.0 >= k;
                            let (bitmaps, parked) = if bitmaps.iter().chain(&parked).any(|o| fits(&o)) {
                                (bitmaps, parked)
                            } else {
                                (canonical(n, &out), Vec::new())
                            };
                            let j = bitmaps.iter().chain(&parked).filter(fits).map(|&(o, _)| o).min().unwrap();
                            prop_assert_eq!(f.splits - splits, (j - k) as u64);
                            let from = i >> (j - k);
                            match parked.iter().find(|&&(o, _)| o == j) {
                                Some(&(_, p)) => prop_assert_eq!(from, p, "the parked block first"),
                                None => {
                                    let lowest = bitmaps.iter().filter(|&&(o, _)| o == j).map(|&(_, x)| x).min();
                                    prop_assert_eq!(Some(from), lowest, "the lowest address");
                                }
                            }
                            prop_assert_eq!(i, from << (j - k), "the left end of the block split");
                            out.push((k, i));
                        }
                        None => {
                            prop_assert!(parked_blocks(&f).is_empty(), "flushed before failing");
                            let free = canonical(n, &out);
                            prop_assert!(free.iter().all(|&(o, _)| o < k), "refused order {} with {:?}", k, free);
                        }
                    }
                }
                FreeOp::Give(x) if !out.is_empty() => {
                    let (k, i) = out.swap_remove(x % out.len());
                    f.give(k, i);
                    *given.entry(k).or_insert(0) += 1;
                }
                FreeOp::Flush => {
                    f.flush();
                    prop_assert_eq!(bitmap_blocks(&f, n), canonical(n, &out));
                }
                _ => {}
            }
            // Free, parked and taken blocks never overlap, and together
            // cover the region.
            let mut all: Vec<(usize, usize)> = bitmap_blocks(&f, n).into_iter().collect();
            all.extend(parked_blocks(&f));
            all.extend(out.iter().copied());
            all.sort_by_key(|&(k, i)| i << k);
            let mut at = 0;
            for (k, i) in all {
                prop_assert_eq!(i << k, at, "a gap or an overlap at {}", at);
                at = (i + 1) << k;
            }
            prop_assert_eq!(at, n);
        }
        for (k, i) in out.drain(..) {
            f.give(k, i);
        }
        f.flush();
        prop_assert_eq!(bitmap_blocks(&f, n), canonical(n, &[]));
        prop_assert_eq!(f.largest(), Some(top));
    }
}

#[test]
fn freezes_are_counted_when_they_happen() {
    let a = arena(4096, 512);
    let mut b = a.allocate(700).unwrap();
    b.put_slice(b"abc");
    let bytes = b.freeze();
    assert_eq!((a.stats().frozen, a.stats().frees), (1, 0));
    a.allocate(512).unwrap().abandon();
    assert_eq!(a.stats().frozen, 1);
    drop(bytes);
    assert_eq!((a.stats().frozen, a.stats().frees), (1, 2));
}

#[cfg(feature = "async-alloc")]
#[test]
fn a_wake_hook_arms_the_arena_and_hears_the_merged_order_of_every_release() {
    let told = Arc::new(std::sync::Mutex::new(Vec::new()));
    let t = Arc::clone(&told);
    let a = BuddyArena::builder(4096, 512)
        .wake_hook(Box::new(move |order| t.lock().unwrap().push(order)))
        .build()
        .unwrap();
    let left = a.allocate(2048).unwrap();
    let small = a.allocate(512).unwrap();
    // Its buddy is out: a free block of order 0, not parked.
    drop(a.allocate(512).unwrap());
    // Merges with that block and the free 1024 beside them: order 2.
    drop(small);
    // The left half merges with the right: the whole region, order 3.
    drop(left);
    assert_eq!(*told.lock().unwrap(), vec![0, 2, 3]);
    assert_eq!(a.stats().coalesces, 3);
    assert_eq!(a.allocate(4096).unwrap().capacity(), 4096);
}
