//! Loom models of the chunk reference count: the last handles and the
//! allocator's settling subtraction, on different threads, free a chunk
//! (and drop its elements) exactly once.

use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};

use super::*;

struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn last_two_handles_dropped_on_two_threads() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut a: ChunkAllocator<Counted, 4> = ChunkAllocator::new();
        let x = a.alloc(1, |_| Counted(drops.clone()));
        let y = a.alloc(1, |_| Counted(drops.clone()));
        drop(a);
        let t = loom::thread::spawn(move || drop(x));
        drop(y);
        t.join().unwrap();
        assert_eq!(drops.load(Ordering::Relaxed), 2);
    });
}

#[test]
fn the_allocator_settles_while_a_clone_drops_elsewhere() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut a: ChunkAllocator<Counted, 4> = ChunkAllocator::new();
        let x = a.alloc(2, |_| Counted(drops.clone()));
        let y = x.clone();
        let t = loom::thread::spawn(move || {
            let z = y.clone();
            drop(y);
            drop(z);
        });
        drop(x);
        drop(a);
        t.join().unwrap();
        assert_eq!(drops.load(Ordering::Relaxed), 2);
    });
}
