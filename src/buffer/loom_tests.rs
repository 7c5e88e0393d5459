//! Loom models of [`SharedBytes`](super::shared::SharedBytes): the first
//! share racing another, and the last drop giving the piece back once,
//! after every read. `make loom` (`RUSTFLAGS="--cfg arn_loom"`).

use bytes::BufMut;
use loom::sync::Arc;
use loom::thread;

use crate::fixed::FixedArena;

/// Two threads share the same frozen bytes at once (each may be the one
/// that makes the shared box) and read their copy; the three values drop
/// in any order, and the slot comes back exactly once, after all reads.
#[test]
fn first_shares_race_and_the_last_drop_gives_back() {
    loom::model(|| {
        let a = FixedArena::builder(1, 8).build().unwrap();
        let mut b = a.allocate().unwrap();
        b.put_slice(b"abcdefgh");
        let bytes = Arc::new(b.freeze_shared());
        let run = |bytes: Arc<super::shared::SharedBytes>| {
            move || {
                let mine = bytes.share();
                assert_eq!(mine.as_slice(), b"abcdefgh");
                drop(bytes);
                let part = mine.slice(2, 3).unwrap();
                drop(mine);
                assert_eq!(part.as_slice(), b"cde");
            }
        };
        let t = thread::spawn(run(bytes.clone()));
        run(bytes)();
        t.join().unwrap();
        let m = a.stats();
        assert_eq!((m.slots_free, m.frees), (1, 1));
    });
}

/// Bytes never shared give their piece back on drop, with no box.
#[test]
fn unshared_bytes_give_back_on_drop() {
    loom::model(|| {
        let a = FixedArena::builder(1, 8).build().unwrap();
        let mut b = a.allocate().unwrap();
        b.put_slice(b"xy");
        let bytes = b.freeze_shared();
        let t = thread::spawn(move || {
            assert_eq!(bytes.as_slice(), b"xy");
        });
        t.join().unwrap();
        assert_eq!(a.stats().slots_free, 1);
    });
}
