use std::alloc::Layout;
use std::collections::BTreeMap;
use std::ffi::CStr;
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;

use super::class::{CLASSES, MAX_BLOCK, class_of, class_size};
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
    assert_eq!(class_size(1), 16);
    assert_eq!(class_size(8), 128);
    assert_eq!(class_size(9), 160);
    assert_eq!(class_size(12), 256);
    assert_eq!(class_size(13), 320);
    for c in 1..CLASSES - 1 {
        assert!(class_size(c) < class_size(c + 1));
        assert!(class_size(c + 1) <= class_size(c) * 2);
    }
    for size in (1..5000).chain([MAX_BLOCK - 1, MAX_BLOCK]) {
        let c = class_of(size);
        assert!(class_size(c) >= size, "{size}");
        assert!(
            c == 1 || class_size(c - 1) < size,
            "{size}: class {c} not the smallest"
        );
    }
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
fn a_freed_block_is_reused_by_its_size_class() {
    let a = small();
    let p = a.alloc(lay(40)).unwrap();
    let _keep = a.alloc(lay(8)).unwrap();
    // SAFETY: the block is ours.
    unsafe { a.free(p) }.unwrap();
    assert_eq!(a.stats().bytes_free, 48);
    let q = a.alloc(lay(33)).unwrap(); // same class: 48 bytes
    assert_eq!(p, q);
    let s = a.stats();
    assert_eq!((s.reused, s.bytes_free), (1, 0));
}

#[test]
fn the_last_block_gives_its_room_back_and_grows_in_place() {
    let a = small();
    let p = a.alloc(lay(16)).unwrap();
    // SAFETY: the block is ours.
    unsafe { a.free(p) }.unwrap();
    assert_eq!(a.stats().bytes_free, 0, "rolled back, not listed");
    let q = a.alloc(lay(16)).unwrap();
    assert_eq!(p, q);
    // SAFETY: `q` is live; nothing else uses it.
    unsafe { q.as_ptr().write_bytes(7, 16) };
    // SAFETY: as above.
    let r = unsafe { a.realloc(q, 8, 200) }.unwrap();
    assert_eq!(q, r, "the last block grows in place");
    assert_eq!(a.stats().grown_in_place, 1);
    // SAFETY: the first 16 bytes were kept.
    assert!(
        unsafe { std::slice::from_raw_parts(r.as_ptr(), 16) }
            .iter()
            .all(|&b| b == 7)
    );
    // Not the last any more: growing moves and copies.
    let _other = a.alloc(lay(8)).unwrap();
    // SAFETY: `r` is live.
    let s = unsafe { a.realloc(r, 8, 240) }.unwrap();
    assert_ne!(r, s);
    // SAFETY: as above.
    assert!(
        unsafe { std::slice::from_raw_parts(s.as_ptr(), 16) }
            .iter()
            .all(|&b| b == 7)
    );
    assert_eq!(a.usable_size(r.as_ptr()), None, "the old block was freed");
    // Shrinking within the class stays put.
    // SAFETY: `s` is live.
    assert_eq!(unsafe { a.realloc(s, 8, 10) }.unwrap(), s);
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
    // SAFETY: refused: already free.
    assert!(matches!(unsafe { a.free(p) }, Err(Error::DoubleFree(_))));
    // SAFETY: refused.
    assert!(matches!(
        unsafe { a.realloc(p, 8, 99) },
        Err(Error::DoubleFree(_))
    ));
    // The last block, given back to the bump pointer, is caught too.
    let r = a.alloc(lay(32)).unwrap();
    // SAFETY: ours.
    unsafe { a.free(r) }.unwrap();
    // SAFETY: refused.
    assert!(matches!(unsafe { a.free(r) }, Err(Error::DoubleFree(_))));
}

#[test]
fn bad_requests_are_refused() {
    let a = small();
    assert!(matches!(a.alloc(lay(0)), Err(Error::InvalidArgument(_))));
    assert!(matches!(
        a.alloc(Layout::from_size_align(MAX_BLOCK + 1, 1).unwrap()),
        Err(Error::InvalidArgument(_))
    ));
    let p = a.alloc(lay(8)).unwrap();
    // SAFETY: refused before touching the block.
    assert!(matches!(
        unsafe { a.realloc(p, 8, 0) },
        Err(Error::InvalidArgument(_))
    ));
    // SAFETY: as above.
    assert!(matches!(
        unsafe { a.realloc(p, 3, 8) },
        Err(Error::InvalidArgument(_))
    ));
    assert_eq!(a.usable_size(p.as_ptr()), Some(16));
    assert!(GrowArena::builder().chunk_size(100).build().is_err());
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
    assert_eq!((s.chunks, s.chunk_bytes, s.bytes_live), (0, 0, 0));
    assert!(!a.is_managed(p.as_ptr()));
    // Its memory is gone: a second free is a foreign pointer.
    // SAFETY: refused.
    assert!(matches!(
        unsafe { a.free(p) },
        Err(Error::ForeignPointer { .. })
    ));
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

#[derive(Debug, Clone)]
enum Op {
    Alloc(usize),
    Free(usize),
    Realloc(usize, usize),
    Reset,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (1usize..600).prop_map(Op::Alloc),
        4 => any::<usize>().prop_map(Op::Free),
        2 => (any::<usize>(), 1usize..700).prop_map(|(i, n)| Op::Realloc(i, n)),
        1 => Just(Op::Reset),
    ]
}

proptest! {
    /// Live blocks never overlap, keep their bytes, and the counters add
    /// up, through allocations, frees, reallocations and resets.
    #[test]
    fn model(ops in proptest::collection::vec(op(), 1..120)) {
        let mut a = GrowArena::builder().chunk_size(1024).retain(1).build().unwrap();
        let mut live: Vec<(NonNull<u8>, usize, u8)> = Vec::new();
        let mut tag = 0u8;
        for op in ops {
            match op {
                Op::Alloc(n) => {
                    tag = tag.wrapping_add(1);
                    let p = a.alloc(lay(n)).unwrap();
                    // SAFETY: a fresh block.
                    unsafe { p.as_ptr().write_bytes(tag, n) };
                    live.push((p, n, tag));
                }
                Op::Free(i) if !live.is_empty() => {
                    let (p, _, _) = live.swap_remove(i % live.len());
                    // SAFETY: ours.
                    unsafe { a.free(p) }.unwrap();
                    // SAFETY: refused.
                    let again = unsafe { a.free(p) };
                    prop_assert!(again.is_err());
                }
                Op::Realloc(i, n) if !live.is_empty() => {
                    let k = i % live.len();
                    let (p, old, t) = live[k];
                    // SAFETY: ours.
                    let q = unsafe { a.realloc(p, 8, n) }.unwrap();
                    // SAFETY: the kept prefix.
                    let kept = unsafe { std::slice::from_raw_parts(q.as_ptr(), old.min(n)) };
                    prop_assert!(kept.iter().all(|&b| b == t));
                    // SAFETY: ours now.
                    unsafe { q.as_ptr().write_bytes(t, n) };
                    live[k] = (q, n, t);
                }
                Op::Reset => {
                    a.reset();
                    live.clear();
                }
                _ => {}
            }
            let mut spans: Vec<_> = live.iter().map(|&(p, n, _)| (p.as_ptr() as usize, n)).collect();
            spans.sort();
            for w in spans.windows(2) {
                prop_assert!(w[0].0 + w[0].1 <= w[1].0, "overlap");
            }
            for &(p, n, t) in &live {
                // SAFETY: live blocks.
                let b = unsafe { std::slice::from_raw_parts(p.as_ptr(), n) };
                prop_assert!(b.iter().all(|&x| x == t));
                prop_assert!(a.usable_size(p.as_ptr()).unwrap() >= n);
            }
            let s = a.stats();
            let want: usize = live.iter().map(|&(p, _, _)| a.usable_size(p.as_ptr()).unwrap()).sum();
            prop_assert_eq!(s.bytes_live, want);
        }
    }
}
