// Copied from arena-alligator 0.7.0 (src/buddy.rs, its unit tests), MIT licence: see LICENSE-arena-alligator
// in this folder. Changed: only the crate path (see README.md).

use std::vec;

use arn::compat::arena_alligator::geometry::BuddyGeometry;
use arn::compat::arena_alligator::*;
use std::num::NonZeroUsize;

fn geo(total: usize, min_block: usize) -> BuddyGeometry {
    BuddyGeometry::exact(
        NonZeroUsize::new(total).unwrap(),
        NonZeroUsize::new(min_block).unwrap(),
    )
    .unwrap()
}

#[test]
fn allocate_rounds_up_request_size() {
    let arena = BuddyArena::builder(geo(4096, 512)).build().unwrap();
    let buf = arena.allocate(NonZeroUsize::new(700).unwrap()).unwrap();
    assert_eq!(buf.capacity(), 1024);
}

#[test]
fn allocate_exhausts_large_block() {
    let arena = BuddyArena::builder(geo(4096, 512)).build().unwrap();
    let _buf = arena.allocate(NonZeroUsize::new(4096).unwrap()).unwrap();
    assert_eq!(
        arena.allocate(NonZeroUsize::new(512).unwrap()).unwrap_err(),
        AllocError::ArenaFull
    );
}

#[test]
fn allocate_oversized_request_too_large() {
    let arena = BuddyArena::builder(geo(4096, 512)).build().unwrap();
    assert_eq!(
        arena
            .allocate(NonZeroUsize::new(8192).unwrap())
            .unwrap_err(),
        AllocError::RequestTooLarge
    );
}

/// A request beyond the largest representable power of two must fail
/// cleanly. The unchecked `next_power_of_two` panicked in debug and
/// wrapped to 0 in release, and the wrapped 0 slipped past the
/// total_size guard into a bogus order.
#[test]
fn allocate_len_overflowing_power_of_two_is_too_large() {
    let arena = BuddyArena::builder(geo(4096, 512)).build().unwrap();
    assert_eq!(
        arena
            .allocate(NonZeroUsize::new(usize::MAX / 2 + 2).unwrap())
            .unwrap_err(),
        AllocError::RequestTooLarge
    );
    assert_eq!(
        arena
            .allocate(NonZeroUsize::new(usize::MAX).unwrap())
            .unwrap_err(),
        AllocError::RequestTooLarge
    );
}

#[test]
fn metrics_track_allocate_free_and_failure() {
    let arena = BuddyArena::builder(geo(4096, 512)).build().unwrap();

    let initial = arena.metrics();
    assert_eq!(initial.bytes_reserved, 4096);
    assert_eq!(initial.bytes_live, 0);

    let buf = arena.allocate(NonZeroUsize::new(700).unwrap()).unwrap();
    let after_alloc = arena.metrics();
    assert_eq!(after_alloc.allocations_ok, 1);
    assert_eq!(after_alloc.allocations_failed, 0);
    assert_eq!(after_alloc.bytes_live, 1024);

    let other = arena.allocate(NonZeroUsize::new(2048).unwrap()).unwrap();
    assert_eq!(
        arena
            .allocate(NonZeroUsize::new(2048).unwrap())
            .unwrap_err(),
        AllocError::ArenaFull
    );
    let after_fail = arena.metrics();
    assert_eq!(after_fail.allocations_failed, 1);
    assert_eq!(after_fail.bytes_live, 3072);

    drop(buf);
    let after_free = arena.metrics();
    assert_eq!(after_free.frees, 1);
    assert_eq!(after_free.bytes_live, 2048);
    drop(other);
}

#[test]
fn metrics_track_splits_and_largest_free_block() {
    let arena = BuddyArena::builder(geo(4096, 512)).build().unwrap();

    let initial = arena.metrics();
    assert_eq!(initial.splits, 0);
    assert_eq!(initial.coalesces, 0);
    assert_eq!(initial.largest_free_block, 4096);

    let buf = arena.allocate(NonZeroUsize::new(700).unwrap()).unwrap();
    let after_split = arena.metrics();
    assert_eq!(after_split.splits, 2);
    assert_eq!(after_split.coalesces, 0);
    assert_eq!(after_split.largest_free_block, 2048);

    drop(buf);
    let after_free = arena.metrics();
    assert_eq!(after_free.coalesces, 2);
    assert_eq!(after_free.largest_free_block, 4096);
}

#[test]
fn metrics_track_partial_coalesce() {
    let arena = BuddyArena::builder(geo(4096, 512)).build().unwrap();

    let left = arena.allocate(NonZeroUsize::new(2048).unwrap()).unwrap();
    let right = arena.allocate(NonZeroUsize::new(2048).unwrap()).unwrap();
    let full = arena.metrics();
    assert_eq!(full.largest_free_block, 0);

    drop(left);
    let half_free = arena.metrics();
    assert_eq!(half_free.coalesces, 0);
    assert_eq!(half_free.largest_free_block, 2048);

    drop(right);
    let fully_free = arena.metrics();
    assert_eq!(fully_free.coalesces, 1);
    assert_eq!(fully_free.largest_free_block, 4096);
}

#[test]
fn build_unfaulted_then_fault_pages() {
    let unfaulted = BuddyArena::builder(geo(4096, 512))
        .page_size(arn::compat::arena_alligator::arena::PageSize::Size(
            NonZeroUsize::new(4096).unwrap(),
        ))
        .build_unfaulted()
        .unwrap();
    let arena = unfaulted.fault_pages();
    assert_eq!(arena.total_size(), 4096);
    let _buf = arena.allocate(NonZeroUsize::new(512).unwrap()).unwrap();
}

#[test]
fn build_unfaulted_into_inner() {
    let unfaulted = BuddyArena::builder(geo(4096, 512))
        .page_size(arn::compat::arena_alligator::arena::PageSize::Unknown)
        .build_unfaulted()
        .unwrap();
    let arena = unfaulted.into_inner();
    assert_eq!(arena.total_size(), 4096);
    let _buf = arena.allocate(NonZeroUsize::new(512).unwrap()).unwrap();
}

#[test]
fn nearest_caps_capacity_to_requested() {
    let geo = BuddyGeometry::nearest(
        NonZeroUsize::new(4096).unwrap(),
        NonZeroUsize::new(512).unwrap(),
    )
    .unwrap();
    let arena = BuddyArena::builder(geo).build().unwrap();
    let buf = arena.allocate(NonZeroUsize::new(700).unwrap()).unwrap();
    assert_eq!(buf.capacity(), 700);
}

#[test]
fn exact_exposes_full_block_capacity() {
    let arena = BuddyArena::builder(geo(4096, 512)).build().unwrap();
    let buf = arena.allocate(NonZeroUsize::new(700).unwrap()).unwrap();
    assert_eq!(buf.capacity(), 1024);
}

#[test]
fn nearest_write_up_to_requested_then_full() {
    use bytes::BufMut;
    let geo = BuddyGeometry::nearest(
        NonZeroUsize::new(4096).unwrap(),
        NonZeroUsize::new(512).unwrap(),
    )
    .unwrap();
    let arena = BuddyArena::builder(geo).build().unwrap();
    let mut buf = arena.allocate(NonZeroUsize::new(700).unwrap()).unwrap();
    buf.put_slice(&vec![0xAB; 700]);
    assert_eq!(buf.len(), 700);
    assert_eq!(buf.remaining_mut(), 0);
}

#[test]
fn exact_write_up_to_full_block() {
    use bytes::BufMut;
    let arena = BuddyArena::builder(geo(4096, 512)).build().unwrap();
    let mut buf = arena.allocate(NonZeroUsize::new(700).unwrap()).unwrap();
    buf.put_slice(&vec![0xAB; 1024]);
    assert_eq!(buf.len(), 1024);
    assert_eq!(buf.remaining_mut(), 0);
}

#[test]
fn nearest_metrics_reflect_block_size() {
    let geo = BuddyGeometry::nearest(
        NonZeroUsize::new(4096).unwrap(),
        NonZeroUsize::new(512).unwrap(),
    )
    .unwrap();
    let arena = BuddyArena::builder(geo).build().unwrap();
    let _buf = arena.allocate(NonZeroUsize::new(700).unwrap()).unwrap();
    let m = arena.metrics();
    assert_eq!(m.bytes_live, 1024);
}
