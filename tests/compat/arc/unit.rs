// Copied from arena-arc 0.1.2 (src/lib.rs, its unit tests), MIT licence: see LICENSE-arena-arc
// in this folder. Changed: only the crate path (see README.md).

use arn::compat::arena_arc::*;
use std::sync::atomic::{AtomicUsize, Ordering};

#[test]
fn test_allocator() {
    let mut allocator: Allocator<u32, u32, 16> = Allocator::new();
    let handle1 = allocator.alloc(10, |i| i as u32);
    let handle2 = allocator.alloc(20, |i| (i + 10) as u32);
    let handle3 = handle1.clone();
    assert_eq!(handle1.get(), &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert_eq!(
        handle2.get(),
        &[
            10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29
        ]
    );
    assert_eq!(handle3.get(), &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
}

#[derive(Debug)]
struct DropCounter<'a> {
    #[allow(dead_code)]
    value: usize,
    drops: &'a AtomicUsize,
}

impl<'a> Drop for DropCounter<'a> {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn test_drop_runs_exactly_once_per_item() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);

    {
        let mut allocator: Allocator<DropCounter, u32, 8> = Allocator::new();
        let handle = allocator.alloc(8, |i| DropCounter {
            value: i,
            drops: &DROPS,
        });
        assert_eq!(handle.get().len(), 8);
        // Cloning handle should not affect drop count until all handles are dropped.
        let _handle2 = handle.clone();
        assert_eq!(DROPS.load(Ordering::SeqCst), 0);
    }

    // All 8 items must be dropped exactly once when the chunk is freed.
    assert_eq!(DROPS.load(Ordering::SeqCst), 8);
}

#[test]
fn test_multiple_chunks_and_large_allocs() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);

    {
        let mut allocator: Allocator<DropCounter, u32, 4> = Allocator::new();
        let h1 = allocator.alloc(3, |i| DropCounter {
            value: i,
            drops: &DROPS,
        });
        let h2 = allocator.alloc(2, |i| DropCounter {
            value: i + 3,
            drops: &DROPS,
        });
        let h3 = allocator.alloc(10, |i| DropCounter {
            value: i + 5,
            drops: &DROPS,
        });

        assert_eq!(h1.get().len(), 3);
        assert_eq!(h2.get().len(), 2);
        assert_eq!(h3.get().len(), 10);
        let _ = (h1, h2, h3);
    }

    // 3 + 2 + 10 items dropped exactly once.
    assert_eq!(DROPS.load(Ordering::SeqCst), 15);
}

#[test]
fn test_zst_allocations() {
    // Ensure zero-sized types are handled without UB.
    let mut allocator: Allocator<(), u32, 16> = Allocator::new();
    let h1 = allocator.alloc(0, |_| ());
    let h2 = allocator.alloc(8, |_| ());
    assert_eq!(h1.get().len(), 0);
    assert_eq!(h2.get().len(), 8);
}

#[test]
fn test_handle_survives_chunk_rotation() {
    let mut allocator: Allocator<u32, u32, 4> = Allocator::new();
    let h1 = allocator.alloc(4, |i| i as u32);
    // Force new chunk and potentially replace current chunk.
    let _h2 = allocator.alloc(3, |i| (i + 10) as u32);
    let h3 = allocator.alloc(4, |i| (i + 20) as u32);

    assert_eq!(h1.get(), &[0, 1, 2, 3]);
    assert_eq!(h3.get(), &[20, 21, 22, 23]);
}

#[test]
fn test_many_small_allocations() {
    let mut allocator: Allocator<u32, u32, 8> = Allocator::new();
    let mut handles = Vec::new();
    for i in 0..32 {
        let h = allocator.alloc(1, |_| i as u32);
        handles.push(h);
    }
    for (i, h) in handles.iter().enumerate() {
        assert_eq!(h.get(), &[(i as u32)]);
    }
}

#[cfg(miri)]
mod miri_tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn miri_stress_realloc_and_drop() {
        // Exercise multiple allocation paths under Miri to catch UB.
        let mut allocator: Allocator<u64, u32, 8> = Allocator::new();
        let h1 = allocator.alloc(8, |i| i as u64);
        let h2 = allocator.alloc(1, |i| (i + 100) as u64);
        let h3 = allocator.alloc(16, |i| (i + 200) as u64);
        assert_eq!(h1.get()[0], 0);
        assert_eq!(h2.get()[0], 100);
        assert_eq!(h3.get()[0], 200);
        let _ = (h1, h2, h3);
    }

    #[derive(Debug)]
    struct Poison<'a> {
        alive: &'a Cell<bool>,
    }

    impl<'a> Drop for Poison<'a> {
        fn drop(&mut self) {
            // If this ever becomes false before drop, it indicates a use-after-free.
            self.alive.set(false);
        }
    }

    #[test]
    fn miri_use_after_free_guard() {
        let flag = Cell::new(true);
        {
            let mut allocator: Allocator<Poison, u32, 4> = Allocator::new();
            let handle = allocator.alloc(4, |_| Poison { alive: &flag });
            assert!(flag.get());
            drop(handle);
            // Dropping just the handle should not drop the chunk.
            assert!(flag.get());
            // allocator dropped at end of scope, which should drop the chunk.
        }
        // Flag should be flipped by drops once the chunk is freed.
        assert!(!flag.get());
    }

    #[test]
    fn miri_many_small_allocations() {
        let mut allocator: Allocator<u64, u32, 4> = Allocator::new();
        let mut handles = Vec::new();
        for i in 0..64u64 {
            let h = allocator.alloc(1, |_| i);
            handles.push(h);
        }
        for (i, h) in handles.iter().enumerate() {
            assert_eq!(h.get(), &[(i as u64)]);
        }
    }

    #[test]
    fn miri_clone_stress() {
        let mut allocator: Allocator<u32, u32, 8> = Allocator::new();
        let h = allocator.alloc(8, |i| i as u32);
        let mut clones = Vec::new();
        for _ in 0..32 {
            clones.push(h.clone());
        }
        for c in clones.iter() {
            assert_eq!(c.get()[0], 0);
        }
        drop(h);
        // All clones still valid until dropped.
        for c in clones.iter() {
            assert_eq!(c.get()[7], 7);
        }
    }
}
