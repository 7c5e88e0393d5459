use std::alloc::Layout;
use std::collections::BTreeMap;
use std::ffi::CStr;
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::class::{CLASSES, MAX_BLOCK, bin_of, class_granules, fit_class, granules};
use super::*;
use crate::error::Error;

fn lay(size: usize) -> Layout {
    Layout::from_size_align(size, 8).unwrap()
}

fn small() -> GrowArena {
    GrowArena::builder().chunk_size(1024).build().unwrap()
}

#[test]
fn classes_cover_every_size_and_grow_by_a_quarter() {
    assert_eq!(class_granules(1), 1);
    assert_eq!(class_granules(8), 8);
    assert_eq!(class_granules(9), 10);
    assert_eq!(class_granules(12), 16);
    assert_eq!(class_granules(13), 20);
    for c in 1..CLASSES - 1 {
        assert!(class_granules(c) < class_granules(c + 1));
        assert!(class_granules(c + 1) <= class_granules(c) * 2);
    }
    for g in (1..5000).chain([MAX_BLOCK / 16 - 1, MAX_BLOCK / 16]) {
        let c = fit_class(g);
        assert!(class_granules(c) >= g, "{g}");
        assert!(
            c == 1 || class_granules(c - 1) < g,
            "{g}: class {c} not the smallest"
        );
        let b = bin_of(g);
        assert!(
            class_granules(b) <= g && (b == CLASSES - 1 || class_granules(b + 1) > g),
            "{g}"
        );
    }
    assert_eq!(
        (granules(0), granules(1), granules(16), granules(17)),
        (1, 1, 1, 2)
    );
}

#[test]
fn blocks_are_aligned_disjoint_and_writable() {
    let a = small();
    let mut seen = BTreeMap::new();
    for (i, size) in [1usize, 16, 17, 100, 255, 256, 3000, 7, 64]
        .iter()
        .cycle()
        .take(200)
        .enumerate()
    {
        let p = a.alloc(lay(*size)).unwrap();
        assert_eq!(p.as_ptr() as usize % 16, 0);
        // SAFETY: a fresh block of `size` bytes.
        unsafe { p.as_ptr().write_bytes(i as u8, *size) };
        seen.insert(p.as_ptr() as usize, (p, *size, i as u8));
    }
    let mut end = 0;
    for (&at, &(p, size, fill)) in &seen {
        assert!(at >= end, "blocks overlap");
        end = at + size;
        // SAFETY: a live block.
        let b = unsafe { std::slice::from_raw_parts(p.as_ptr(), size) };
        assert!(b.iter().all(|&x| x == fill));
        assert!(a.is_managed(p.as_ptr()));
        assert!(a.usable_size(p.as_ptr()).unwrap() >= size);
    }
}

#[test]
fn large_alignments_are_honoured() {
    let a = small();
    for align in [32, 64, 256, 4096] {
        let p = a
            .alloc(Layout::from_size_align(24, align).unwrap())
            .unwrap();
        assert_eq!(p.as_ptr() as usize % align, 0, "{align}");
        // SAFETY: the block is ours.
        unsafe { a.free(p) }.unwrap();
    }
    assert!(a.alloc(Layout::from_size_align(8, 8192).unwrap()).is_err());
}

#[test]
fn zero_size_requests_get_unique_minimal_blocks() {
    let a = small();
    let p = a.alloc(lay(0)).unwrap();
    let q = a.alloc(lay(0)).unwrap();
    assert_ne!(p, q);
    assert_eq!(a.usable_size(p.as_ptr()), Some(16));
    // SAFETY: ours.
    unsafe { a.free(p) }.unwrap();
    // SAFETY: refused.
    assert!(matches!(unsafe { a.free(p) }, Err(Error::DoubleFree(_))));
    // SAFETY: a live block, shrunk to nothing: still a minimal block.
    let r = unsafe { a.realloc(q, 16, 0) }.unwrap();
    assert_eq!((r, a.usable_size(r.as_ptr())), (q, Some(16)));
    a.validate();
}

#[test]
fn a_freed_block_comes_back_for_the_same_size() {
    let a = GrowArena::new();
    let p = a.alloc(lay(40)).unwrap();
    let _keep = a.alloc(lay(8)).unwrap();
    // SAFETY: the block is ours.
    unsafe { a.free(p) }.unwrap();
    let q = a.alloc(lay(33)).unwrap(); // the same three granules
    assert_eq!(p, q);
    let s = a.stats();
    assert_eq!(
        (s.allocations, s.reused, s.frees, s.bytes_live),
        (3, 1, 1, 64)
    );
    a.validate();
}

#[test]
fn freed_space_serves_other_sizes() {
    // 48-byte blocks freed, then 64-byte ones asked for: the same bytes
    // serve, no new chunk.
    let a = GrowArena::builder().retain(64).build().unwrap();
    let small: Vec<_> = (0..5000).map(|_| a.alloc(lay(48)).unwrap()).collect();
    let held = a.stats().bytes_held;
    for p in small {
        // SAFETY: ours.
        unsafe { a.free(p) }.unwrap();
    }
    let s = a.stats();
    assert_eq!((s.bytes_live, s.bytes_held), (0, held));
    let big: Vec<_> = (0..3750).map(|_| a.alloc(lay(64)).unwrap()).collect();
    assert_eq!(
        a.stats().bytes_held,
        held,
        "no memory beyond the freed blocks'"
    );
    assert_eq!(a.stats().bytes_live, 3750 * 64);
    assert_eq!(big.len(), 3750);
    a.validate();
}

#[test]
fn free_neighbours_merge() {
    let a = GrowArena::new();
    // Above 1008 bytes: no quick list, merged at once.
    let x = a.alloc(lay(2000)).unwrap();
    let y = a.alloc(lay(2000)).unwrap();
    let z = a.alloc(lay(2000)).unwrap();
    let _keep = a.alloc(lay(16)).unwrap();
    let before = a.stats().chunk_bytes;
    // SAFETY: ours, each freed once.
    unsafe {
        a.free(x).unwrap();
        a.free(z).unwrap();
        a.free(y).unwrap();
    }
    a.validate();
    // One run of 6000 bytes: a block of 5900 fits where x was.
    let w = a.alloc(lay(5900)).unwrap();
    assert_eq!(w, x);
    assert_eq!(a.stats().chunk_bytes, before);
    a.validate();
}

#[test]
fn the_last_block_grows_in_place_and_gives_its_room_back() {
    let a = small();
    let p = a.alloc(lay(16)).unwrap();
    // SAFETY: `p` is live; nothing else uses it.
    unsafe { p.as_ptr().write_bytes(7, 16) };
    // SAFETY: as above.
    let r = unsafe { a.realloc(p, 8, 200) }.unwrap();
    assert_eq!(p, r, "the last block grows into the free extent");
    assert_eq!(a.stats().grown_in_place, 1);
    // SAFETY: the first 16 bytes were kept.
    assert!(
        unsafe { std::slice::from_raw_parts(r.as_ptr(), 16) }
            .iter()
            .all(|&b| b == 7)
    );
    let before = a.stats().bytes_free;
    // SAFETY: as above.
    assert_eq!(
        unsafe { a.realloc(r, 8, 10) }.unwrap(),
        r,
        "shrinks in place"
    );
    let s = a.stats();
    assert_eq!((s.shrunk_in_place, s.bytes_free), (1, before + 208 - 16));
    a.validate();
}

#[test]
fn blocks_shrink_in_place_and_the_tail_serves_others() {
    let a = GrowArena::new();
    let p = a.alloc(lay(2000)).unwrap();
    let _keep = a.alloc(lay(16)).unwrap();
    // SAFETY: ours.
    let q = unsafe { a.realloc(p, 16, 100) }.unwrap();
    assert_eq!(q, p);
    assert_eq!(a.usable_size(p.as_ptr()), Some(112));
    a.validate();
    // The 1888-byte tail is free, never handed out from its start.
    // SAFETY: refused.
    let tail = unsafe { NonNull::new_unchecked(p.as_ptr().add(112)) };
    // SAFETY: refused.
    assert!(matches!(
        unsafe { a.free(tail) },
        Err(Error::ForeignPointer { .. })
    ));
    // A request its class surely fits takes it.
    let r = a.alloc(lay(1792)).unwrap();
    assert_eq!(r, tail);
    a.validate();
}

#[test]
fn blocks_grow_in_place_into_freed_neighbours() {
    let a = GrowArena::new();
    let p = a.alloc(lay(2000)).unwrap();
    let q = a.alloc(lay(2000)).unwrap();
    let _keep = a.alloc(lay(16)).unwrap();
    // SAFETY: `p` is live.
    unsafe { p.as_ptr().write_bytes(3, 2000) };
    // SAFETY: ours.
    unsafe { a.free(q) }.unwrap();
    // SAFETY: ours.
    let r = unsafe { a.realloc(p, 16, 3500) }.unwrap();
    assert_eq!(r, p);
    assert_eq!(a.usable_size(p.as_ptr()), Some(3504));
    // SAFETY: the kept bytes.
    assert!(
        unsafe { std::slice::from_raw_parts(r.as_ptr(), 2000) }
            .iter()
            .all(|&b| b == 3)
    );
    // Not enough room behind: moves, copying every usable byte.
    // SAFETY: ours.
    let s = unsafe { a.realloc(r, 16, 9000) }.unwrap();
    assert_ne!(s, r);
    // SAFETY: as above.
    assert!(
        unsafe { std::slice::from_raw_parts(s.as_ptr(), 2000) }
            .iter()
            .all(|&b| b == 3)
    );
    assert_eq!(a.usable_size(r.as_ptr()), None, "the old block was freed");
    a.validate();
}

/// Fills the usable bytes of `p` with a pattern of `seed`.
fn fill(a: &impl ArenaAlloc, p: NonNull<u8>, seed: u8) -> usize {
    let n = a.usable_size(p.as_ptr()).unwrap();
    // SAFETY: the block's usable bytes are ours.
    let b = unsafe { std::slice::from_raw_parts_mut(p.as_ptr(), n) };
    for (i, x) in b.iter_mut().enumerate() {
        *x = seed.wrapping_add(i as u8);
    }
    n
}

fn holds(p: NonNull<u8>, n: usize, seed: u8) -> bool {
    // SAFETY: the callers pass live blocks of at least `n` bytes.
    let b = unsafe { std::slice::from_raw_parts(p.as_ptr(), n) };
    b.iter()
        .enumerate()
        .all(|(i, &x)| x == seed.wrapping_add(i as u8))
}

#[test]
fn contents_survive_small_to_large_and_back() {
    for source in [true, false] {
        let b = GrowArena::builder();
        let a = if source {
            b.build()
        } else {
            b.memory(Counting::default()).build()
        }
        .unwrap();
        let mut p = a.alloc(lay(100)).unwrap();
        let mut n = fill(&a, p, 1);
        for (i, size) in [100_000, 3_000_000, 700_000, 20_000, 500, 40, 200_000]
            .into_iter()
            .enumerate()
        {
            // SAFETY: ours, replaced by the result.
            let q = unsafe { a.realloc(p, 16, size) }.unwrap();
            assert!(holds(q, n.min(size), i as u8 + 1), "to {size}");
            assert!(a.usable_size(q.as_ptr()).unwrap() >= size);
            p = q;
            n = fill(&a, p, i as u8 + 2);
            a.validate();
        }
        let s = a.stats();
        assert!(s.grown_in_place + s.shrunk_in_place > 0);
    }
}

#[test]
fn large_blocks_grow_and_shrink_through_the_source() {
    let a = GrowArena::new();
    let p = a.alloc(lay(1 << 20)).unwrap();
    let n = fill(&a, p, 9);
    let held = a.stats().chunk_bytes;
    // SAFETY: ours.
    let q = unsafe { a.realloc(p, 16, 8 << 20) }.unwrap();
    assert!(holds(q, n, 9));
    assert_eq!(a.stats().grown_in_place, 1, "remapped, not copied");
    // SAFETY: ours.
    let r = unsafe { a.realloc(q, 16, 300_000) }.unwrap();
    assert_eq!(r, q, "shrinking stays put");
    assert!(holds(r, 300_000, 9));
    let s = a.stats();
    assert_eq!(s.shrunk_in_place, 1);
    assert!(
        s.chunk_bytes < held,
        "the tail went back: {} of {held}",
        s.chunk_bytes
    );
    a.validate();
}

#[test]
fn free_checks_its_pointer_and_leaves_the_arena_unchanged() {
    let a = small();
    let p = a.alloc(lay(64)).unwrap();
    let _q = a.alloc(lay(64)).unwrap();
    let before = a.stats();
    let mut local = 0u64;
    let foreign = NonNull::from(&mut local).cast::<u8>();
    // SAFETY: refused: not ours.
    assert!(matches!(
        unsafe { a.free(foreign) },
        Err(Error::ForeignPointer { .. })
    ));
    // SAFETY: refused: inside a block, not its start.
    let inner = unsafe { NonNull::new_unchecked(p.as_ptr().add(16)) };
    // SAFETY: refused.
    assert!(matches!(
        unsafe { a.free(inner) },
        Err(Error::ForeignPointer { .. })
    ));
    // SAFETY: refused: not on a granule.
    let odd = unsafe { NonNull::new_unchecked(p.as_ptr().add(3)) };
    // SAFETY: refused.
    assert!(matches!(
        unsafe { a.free(odd) },
        Err(Error::ForeignPointer { .. })
    ));
    assert_eq!(a.stats(), before);
    // SAFETY: ours.
    unsafe { a.free(p) }.unwrap();
    // SAFETY: refused: already free (waiting in its quick list).
    assert!(matches!(unsafe { a.free(p) }, Err(Error::DoubleFree(_))));
    // SAFETY: refused.
    assert!(matches!(
        unsafe { a.realloc(p, 8, 99) },
        Err(Error::DoubleFree(_))
    ));
    assert!(a.usable_size(p.as_ptr()).is_none());
    a.validate();
}

#[test]
fn double_frees_are_caught_after_merging() {
    let a = GrowArena::new();
    let x = a.alloc(lay(2000)).unwrap();
    let y = a.alloc(lay(2000)).unwrap();
    let _keep = a.alloc(lay(16)).unwrap();
    // SAFETY: ours.
    unsafe {
        a.free(x).unwrap();
        a.free(y).unwrap();
    }
    // `y` was merged into `x`'s run; its start is remembered.
    // SAFETY: refused.
    assert!(matches!(unsafe { a.free(y) }, Err(Error::DoubleFree(_))));
    // SAFETY: refused.
    assert!(matches!(unsafe { a.free(x) }, Err(Error::DoubleFree(_))));
    a.validate();
}

#[test]
fn a_large_blocks_address_is_kept_out_of_reuse() {
    let a = small();
    let first = a.alloc(lay(8000)).unwrap();
    // SAFETY: ours.
    unsafe { a.free(first) }.unwrap();
    for _ in 0..10 {
        let next = a.alloc(lay(8000)).unwrap();
        assert_ne!(
            next, first,
            "a new large block never starts where one was just freed"
        );
        // SAFETY: refused: the old block is gone, the new one stays.
        assert!(matches!(
            unsafe { a.free(first) },
            Err(Error::DoubleFree(_))
        ));
        assert!(a.usable_size(next.as_ptr()).is_some());
        // SAFETY: ours.
        unsafe { a.free(next) }.unwrap();
    }
    a.validate();
}

#[test]
fn bad_requests_are_refused() {
    let a = small();
    assert!(matches!(
        a.alloc(Layout::from_size_align(MAX_BLOCK + 1, 1).unwrap()),
        Err(Error::InvalidArgument(_))
    ));
    let p = a.alloc(lay(8)).unwrap();
    // SAFETY: refused before touching the block.
    assert!(matches!(
        unsafe { a.realloc(p, 3, 8) },
        Err(Error::InvalidArgument(_))
    ));
    // SAFETY: as above.
    assert!(matches!(
        unsafe { a.realloc(p, 16, MAX_BLOCK + 1) },
        Err(Error::InvalidArgument(_))
    ));
    assert_eq!(a.usable_size(p.as_ptr()), Some(16));
    assert!(GrowArena::builder().chunk_size(100).build().is_err());
    assert!(GrowArena::builder().chunk_size(2 << 30).build().is_err());
}

#[test]
fn big_requests_get_a_chunk_of_their_own() {
    let a = small();
    let p = a.alloc(lay(5000)).unwrap();
    assert_eq!(a.stats().chunks, 1);
    assert!(a.is_managed(p.as_ptr()));
    // SAFETY: the block is live and 5000 bytes long.
    assert!(a.is_managed(unsafe { p.as_ptr().add(4999) }));
    assert!(a.usable_size(p.as_ptr()).unwrap() >= 5000);
    // SAFETY: ours.
    unsafe { a.free(p) }.unwrap();
    let s = a.stats();
    assert_eq!(
        (s.chunks, s.chunk_bytes, s.bytes_live, s.chunks_returned),
        (0, 0, 0, 1)
    );
    assert!(!a.is_managed(p.as_ptr()));
    // Its memory is gone, its address remembered: a double free.
    // SAFETY: refused.
    assert!(matches!(unsafe { a.free(p) }, Err(Error::DoubleFree(_))));
}

/// Counts the chunks a source has out.
#[derive(Clone, Default)]
struct Counting {
    out: Arc<AtomicUsize>,
    bytes: Arc<AtomicUsize>,
    refuse_after: Option<usize>,
}

impl MemorySource for Counting {
    fn alloc(&self, size: usize) -> Option<NonNull<u8>> {
        if self
            .refuse_after
            .is_some_and(|n| self.out.load(Ordering::SeqCst) >= n)
        {
            return None;
        }
        self.out.fetch_add(1, Ordering::SeqCst);
        self.bytes.fetch_add(size, Ordering::SeqCst);
        SystemMemory.alloc(size)
    }

    unsafe fn free(&self, ptr: NonNull<u8>, size: usize) {
        self.out.fetch_sub(1, Ordering::SeqCst);
        self.bytes.fetch_sub(size, Ordering::SeqCst);
        // SAFETY: passed on.
        unsafe { SystemMemory.free(ptr, size) }
    }
}

#[test]
fn reset_keeps_retain_chunks_and_returns_the_rest() {
    let src = Counting::default();
    let mut a = GrowArena::builder()
        .chunk_size(1024)
        .retain(2)
        .memory(src.clone())
        .build()
        .unwrap();
    for _ in 0..40 {
        a.alloc(lay(200)).unwrap();
    }
    a.alloc(lay(4000)).unwrap(); // dedicated
    let chunks = a.stats().chunks;
    assert!(chunks >= 9, "{chunks}");
    assert_eq!(src.out.load(Ordering::SeqCst), chunks);
    a.reset();
    let s = a.stats();
    assert_eq!(
        (s.chunks, s.spare_chunks, s.bytes_live, s.resets),
        (0, 2, 0, 1)
    );
    assert_eq!(src.out.load(Ordering::SeqCst), 2);
    assert_eq!(a.epoch(), 1);
    // The spares come back first: no new chunk for a while.
    for _ in 0..8 {
        a.alloc(lay(200)).unwrap();
    }
    assert_eq!(src.out.load(Ordering::SeqCst), 2);
    assert_eq!(a.stats().spare_chunks, 0);
    // A reused chunk's side table is clean: its blocks free normally.
    let p = a.alloc(lay(16)).unwrap();
    // SAFETY: ours.
    unsafe { a.free(p) }.unwrap();
    drop(a);
    assert_eq!(src.out.load(Ordering::SeqCst), 0, "drop returns everything");
    assert_eq!(src.bytes.load(Ordering::SeqCst), 0);
}

#[test]
fn entirely_free_chunks_go_back_beyond_retain() {
    for retain in [0, 2] {
        let src = Counting::default();
        let a = GrowArena::builder()
            .chunk_size(4096)
            .retain(retain)
            .memory(src.clone())
            .build()
            .unwrap();
        // Sizes above and below the quick lists' limit.
        let blocks: Vec<_> = (0..300)
            .map(|i| a.alloc(lay(if i % 2 == 0 { 48 } else { 1010 })).unwrap())
            .collect();
        let used = src.out.load(Ordering::SeqCst);
        assert!(used > retain + 2, "{used}");
        for p in blocks {
            // SAFETY: ours.
            unsafe { a.free(p) }.unwrap();
        }
        a.validate();
        // The chunk small blocks are cut from stays; up to `retain` more.
        let s = a.stats();
        assert_eq!(src.out.load(Ordering::SeqCst), 1 + retain);
        assert_eq!((s.chunks, s.spare_chunks, s.bytes_live), (1, retain, 0));
        assert_eq!(s.bytes_held, (1 + retain) * 4096);
        assert_eq!(s.chunks_returned as usize, used - 1 - retain);
        // A trim gives back every entirely free chunk.
        assert_eq!(a.trim(), (1 + retain) * 4096);
        assert_eq!(src.out.load(Ordering::SeqCst), 0);
        let s = a.stats();
        assert_eq!((s.chunks, s.spare_chunks, s.bytes_held), (0, 0, 0));
        a.validate();
        // And the arena goes on.
        let p = a.alloc(lay(100)).unwrap();
        assert!(a.is_managed(p.as_ptr()));
        a.validate();
    }
}

#[test]
fn trim_keeps_chunks_with_live_blocks() {
    let src = Counting::default();
    let a = GrowArena::builder()
        .chunk_size(4096)
        .retain(8)
        .memory(src.clone())
        .build()
        .unwrap();
    let blocks: Vec<_> = (0..200).map(|_| a.alloc(lay(200)).unwrap()).collect();
    let keep = blocks[100];
    for &p in blocks.iter().filter(|&&p| p != keep) {
        // SAFETY: ours.
        unsafe { a.free(p) }.unwrap();
    }
    assert!(a.trim() > 0);
    assert_eq!(
        src.out.load(Ordering::SeqCst),
        1,
        "only the chunk of the live block"
    );
    assert_eq!(a.stats().bytes_live, 208);
    a.validate();
}

#[test]
fn a_refusing_source_is_a_system_error_and_changes_nothing() {
    let src = Counting {
        refuse_after: Some(1),
        ..Counting::default()
    };
    let a = GrowArena::builder()
        .chunk_size(256)
        .memory(src.clone())
        .build()
        .unwrap();
    let p = a.alloc(lay(48)).unwrap();
    let before = a.stats();
    let mut err = None;
    for _ in 0..10 {
        if let Err(e) = a.alloc(lay(48)) {
            err = Some(e);
            break;
        }
    }
    assert!(matches!(err, Some(Error::System { .. })));
    let after = a.stats();
    assert_eq!(after.chunks, before.chunks);
    // SAFETY: ours.
    unsafe { a.free(p) }.unwrap();
}

#[test]
fn a_misaligned_source_is_refused() {
    struct Odd;
    impl MemorySource for Odd {
        fn alloc(&self, size: usize) -> Option<NonNull<u8>> {
            // SAFETY: one byte past a page-aligned block of `size + 16`.
            SystemMemory
                .alloc(size + 16)
                .map(|p| unsafe { NonNull::new_unchecked(p.as_ptr().add(1)) })
        }
        unsafe fn free(&self, ptr: NonNull<u8>, size: usize) {
            // SAFETY: undoes `alloc`.
            unsafe { SystemMemory.free(NonNull::new_unchecked(ptr.as_ptr().sub(1)), size + 16) }
        }
    }
    let a = GrowArena::builder().memory(Odd).build().unwrap();
    assert!(matches!(a.alloc(lay(8)), Err(Error::Refused { .. })));
}

#[test]
fn copies_land_in_the_arena() {
    let a = GrowArena::new();
    let b = a.copy_bytes(b"hello").unwrap();
    assert_eq!(b, b"hello");
    assert!(a.is_managed(b.as_ptr()));
    let s = a.copy_str("wörld").unwrap();
    assert_eq!(s, "wörld");
    let c = a.copy_cstr(c"c string").unwrap();
    assert_eq!(c, c"c string");
    assert!(a.is_managed(c.as_ptr().cast()));
    let v = a.alloc_value([1u64, 2, 3]).unwrap();
    v[1] = 20;
    assert_eq!(*v, [1, 20, 3]);
    assert_eq!(a.copy_bytes(b"").unwrap().len(), 0);
    let z = a.alloc_zeroed(lay(100)).unwrap();
    // SAFETY: 100 zeroed bytes.
    assert!(
        unsafe { std::slice::from_raw_parts(z.as_ptr(), 100) }
            .iter()
            .all(|&x| x == 0)
    );
    let _: &CStr = c;
}

#[test]
fn is_managed_finds_any_chunk() {
    let a = GrowArena::builder().chunk_size(256).build().unwrap();
    let ptrs: Vec<_> = (0..500).map(|_| a.alloc(lay(48)).unwrap()).collect();
    assert!(a.stats().chunks > 50);
    for p in &ptrs {
        assert!(a.is_managed(p.as_ptr()));
    }
    let x = 5u8;
    assert!(!a.is_managed(&x));
    assert!(!a.is_managed(std::ptr::null()));
}

#[test]
fn the_shared_arena_serves_threads() {
    let a = GrowArena::builder()
        .chunk_size(4096)
        .build_shared()
        .unwrap();
    std::thread::scope(|s| {
        for t in 0..4u8 {
            let a = &a;
            s.spawn(move || {
                let mut mine = Vec::new();
                let rounds = if cfg!(miri) { 60 } else { 2000 };
                for i in 0..rounds {
                    let size = 8 + (i * 37 + t as usize) % 300;
                    let p = a.alloc(lay(size)).unwrap();
                    // SAFETY: a fresh block.
                    unsafe { p.as_ptr().write_bytes(t, size) };
                    mine.push((p, size));
                    if i % 3 == 0 {
                        let (q, n) = mine.swap_remove(i % mine.len());
                        // SAFETY: our block.
                        assert!(
                            unsafe { std::slice::from_raw_parts(q.as_ptr(), n) }
                                .iter()
                                .all(|&b| b == t)
                        );
                        // SAFETY: ours, unused afterwards.
                        unsafe { a.free(q) }.unwrap();
                    }
                }
                for (q, n) in mine {
                    // SAFETY: as above.
                    assert!(
                        unsafe { std::slice::from_raw_parts(q.as_ptr(), n) }
                            .iter()
                            .all(|&b| b == t)
                    );
                    // SAFETY: as above.
                    unsafe { a.free(q) }.unwrap();
                }
            });
        }
    });
    let s = a.stats();
    assert_eq!(s.bytes_live, 0);
    assert_eq!(s.allocations, s.frees);
    a.validate();
}

/// Large blocks resized by the memory source without the lock, while
/// other threads take and give back chunks: the old range of a moved chunk
/// may come back for another one meanwhile.
#[test]
fn large_blocks_resize_while_other_threads_work() {
    let a = GrowArena::builder()
        .chunk_size(4096)
        .build_shared()
        .unwrap();
    std::thread::scope(|s| {
        for t in 0..2u8 {
            let a = &a;
            s.spawn(move || {
                let rounds = if cfg!(miri) { 20 } else { 3000 };
                let mut p = a.alloc(lay(2000)).unwrap();
                for i in 0..rounds {
                    let n = [70_000, 2000, 300_000, 5000, 130_000, 24][(i + t as usize) % 6];
                    // SAFETY: ours, replaced by the result.
                    p = unsafe { a.realloc(p, 16, n) }.unwrap();
                    // SAFETY: at least `n` bytes.
                    unsafe { p.as_ptr().write_bytes(t, n) };
                    let q = a
                        .alloc(lay(if i % 2 == 0 {
                            1500 + i % 3000
                        } else {
                            65_536 + i * 64 % 140_000
                        }))
                        .unwrap();
                    // SAFETY: ours.
                    unsafe { a.free(q) }.unwrap();
                    // SAFETY: as above.
                    assert!(
                        unsafe { std::slice::from_raw_parts(p.as_ptr(), n) }
                            .iter()
                            .all(|&b| b == t)
                    );
                }
                // SAFETY: ours.
                unsafe { a.free(p) }.unwrap();
            });
        }
    });
    assert_eq!(a.stats().bytes_live, 0);
    a.validate();
}

#[test]
fn a_source_may_allocate_from_its_own_shared_arena() {
    use std::sync::OnceLock;
    use std::sync::Weak;
    // The source holds the arena weakly: a strong hold would be a cycle.
    struct Nested(Arc<OnceLock<Weak<SharedGrowArena>>>);
    impl MemorySource for Nested {
        fn alloc(&self, size: usize) -> Option<NonNull<u8>> {
            if let Some(a) = self.0.get().and_then(Weak::upgrade) {
                // Allocating here must not deadlock (no lock is held).
                let _ = a.stats();
            }
            SystemMemory.alloc(size)
        }
        unsafe fn free(&self, ptr: NonNull<u8>, size: usize) {
            // SAFETY: passed on.
            unsafe { SystemMemory.free(ptr, size) }
        }
    }
    let cell = Arc::new(OnceLock::new());
    let a = Arc::new(
        GrowArena::builder()
            .chunk_size(256)
            .memory(Nested(cell.clone()))
            .build_shared()
            .unwrap(),
    );
    cell.set(Arc::downgrade(&a)).ok().unwrap();
    for _ in 0..20 {
        a.alloc(lay(60)).unwrap();
    }
    assert!(a.stats().chunks >= 5);
    drop(a);
    assert!(cell.get().unwrap().upgrade().is_none(), "the arena dropped");
}
