// Copied from arena-alligator 0.7.0 (src/buffer.rs, its unit tests), MIT licence: see LICENSE-arena-alligator
// in this folder. Changed: only the crate path (see README.md).

use core::num::NonZeroUsize;
use std::vec;

use arn::compat::arena_alligator::{BuddyArena, BuddyGeometry, FixedArena};

#[test]
fn buffer_reports_capacity_and_empty() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .build()
    .unwrap();
    let buf = arena.allocate().unwrap();
    assert_eq!(buf.capacity(), 64);
    assert_eq!(buf.len(), 0);
    assert!(buf.is_empty());
}

use bytes::BufMut;

#[test]
fn put_slice_and_len() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .build()
    .unwrap();
    let mut buf = arena.allocate().unwrap();
    buf.put_slice(b"hello");
    assert_eq!(buf.len(), 5);
    assert!(!buf.is_empty());
    assert_eq!(buf.remaining_mut(), 59);
}

#[test]
fn put_slice_fills_exactly() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(8).unwrap(),
    )
    .build()
    .unwrap();
    let mut buf = arena.allocate().unwrap();
    buf.put_slice(b"12345678");
    assert_eq!(buf.len(), 8);
    assert_eq!(buf.remaining_mut(), 0);
}

#[test]
#[should_panic(expected = "advance out of bounds")]
fn put_slice_overflow_panics() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(4).unwrap(),
    )
    .build()
    .unwrap();
    let mut buf = arena.allocate().unwrap();
    buf.put_slice(b"12345");
}

#[test]
fn try_put_slice_ok() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .build()
    .unwrap();
    let mut buf = arena.allocate().unwrap();
    assert!(buf.try_put_slice(b"hello").is_ok());
    assert_eq!(buf.len(), 5);
}

#[test]
fn try_put_slice_full() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(4).unwrap(),
    )
    .build()
    .unwrap();
    let mut buf = arena.allocate().unwrap();
    let err = buf.try_put_slice(b"12345").unwrap_err();
    assert_eq!(err.remaining, 4);
    assert_eq!(err.requested, 5);
    assert_eq!(buf.len(), 0);
}

#[test]
fn will_fit() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(10).unwrap(),
    )
    .build()
    .unwrap();
    let mut buf = arena.allocate().unwrap();
    assert!(buf.will_fit(10));
    assert!(!buf.will_fit(11));
    buf.put_slice(b"12345");
    assert!(buf.will_fit(5));
    assert!(!buf.will_fit(6));
}

#[test]
fn multiple_writes_accumulate() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .build()
    .unwrap();
    let mut buf = arena.allocate().unwrap();
    buf.put_slice(b"hello ");
    buf.put_slice(b"world");
    assert_eq!(buf.len(), 11);
}

#[test]
fn auto_spill_on_overflow() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(8).unwrap(),
    )
    .auto_spill()
    .build()
    .unwrap();
    let mut buf = arena.allocate().unwrap();
    buf.put_slice(b"12345678");
    assert!(!buf.is_spilled());
    buf.put_slice(b"overflow!");
    assert!(buf.is_spilled());
    assert_eq!(buf.len(), 17);
}

#[test]
fn auto_spill_remaining_mut_is_usize_max() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(8).unwrap(),
    )
    .auto_spill()
    .build()
    .unwrap();
    let buf = arena.allocate().unwrap();
    assert_eq!(buf.remaining_mut(), usize::MAX);
}

#[test]
fn buddy_auto_spill_on_overflow() {
    let arena = BuddyArena::builder(
        BuddyGeometry::exact(
            NonZeroUsize::new(4096).unwrap(),
            NonZeroUsize::new(512).unwrap(),
        )
        .unwrap(),
    )
    .auto_spill()
    .build()
    .unwrap();
    let mut buf = arena.allocate(NonZeroUsize::new(700).unwrap()).unwrap();
    buf.put_slice(&vec![b'a'; 1024]);
    assert!(!buf.is_spilled());
    buf.put_slice(b"overflow");
    assert!(buf.is_spilled());
    assert_eq!(buf.len(), 1032);
}

#[test]
fn buddy_auto_spill_remaining_mut_is_usize_max() {
    let arena = BuddyArena::builder(
        BuddyGeometry::exact(
            NonZeroUsize::new(4096).unwrap(),
            NonZeroUsize::new(512).unwrap(),
        )
        .unwrap(),
    )
    .auto_spill()
    .build()
    .unwrap();
    let buf = arena.allocate(NonZeroUsize::new(700).unwrap()).unwrap();
    assert_eq!(buf.remaining_mut(), usize::MAX);
}

#[test]
fn spill_metrics_increment_once_and_release_capacity() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(8).unwrap(),
    )
    .auto_spill()
    .build()
    .unwrap();
    let mut buf = arena.allocate().unwrap();
    buf.put_slice(b"12345678");
    assert_eq!(arena.metrics().bytes_live, 8);

    buf.put_slice(b"9");
    let spilled = arena.metrics();
    assert_eq!(spilled.spills, 1);
    assert_eq!(spilled.frees, 1);
    assert_eq!(spilled.bytes_live, 0);

    let _bytes = buf.freeze();
    let after_freeze = arena.metrics();
    assert_eq!(after_freeze.spills, 1);
    assert_eq!(after_freeze.frozen, 0);
    assert_eq!(after_freeze.frees, 1);
    assert_eq!(after_freeze.bytes_live, 0);
}
