// Copied from arena-alligator 0.7.0 (src/arena.rs, its unit tests), MIT licence: see LICENSE-arena-alligator
// in this folder. Changed: only the crate path (see README.md).

use arn::compat::arena_alligator::*;
use core::num::NonZeroUsize;

#[test]
fn build_basic_arena() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(4).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .build()
    .unwrap();
    assert_eq!(arena.slot_count(), 4);
    assert_eq!(arena.slot_capacity(), 64);
}

#[test]
fn build_invalid_alignment_fails() {
    let err = FixedArena::with_slot_capacity(
        NonZeroUsize::new(4).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .alignment(3)
    .build()
    .unwrap_err();
    assert_eq!(err, BuildError::InvalidAlignment);
}

#[test]
fn build_zero_alignment_fails() {
    let err = FixedArena::with_slot_capacity(
        NonZeroUsize::new(4).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .alignment(0)
    .build()
    .unwrap_err();
    assert_eq!(err, BuildError::InvalidAlignment);
}

#[test]
fn metrics_track_allocate_free_and_failure() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .build()
    .unwrap();

    let initial = arena.metrics();
    assert_eq!(initial.bytes_reserved, 64);
    assert_eq!(initial.bytes_live, 0);

    let buf = arena.allocate().unwrap();
    let after_alloc = arena.metrics();
    assert_eq!(after_alloc.allocations_ok, 1);
    assert_eq!(after_alloc.allocations_failed, 0);
    assert_eq!(after_alloc.bytes_live, 64);

    assert_eq!(arena.allocate().unwrap_err(), AllocError::ArenaFull);
    let after_fail = arena.metrics();
    assert_eq!(after_fail.allocations_failed, 1);
    assert_eq!(after_fail.bytes_live, 64);

    drop(buf);
    let after_free = arena.metrics();
    assert_eq!(after_free.frees, 1);
    assert_eq!(after_free.bytes_live, 0);
}

#[test]
fn build_size_overflow_fails() {
    let err = FixedArena::with_slot_capacity(
        NonZeroUsize::new(usize::MAX).unwrap(),
        NonZeroUsize::new(2).unwrap(),
    )
    .build()
    .unwrap_err();
    assert_eq!(err, BuildError::SizeOverflow);
}

#[test]
fn alignment_rounding_overflow_fails() {
    let err = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(usize::MAX).unwrap(),
    )
    .alignment(2)
    .build()
    .unwrap_err();
    assert_eq!(err, BuildError::SizeOverflow);
}

#[test]
fn alignment_rounds_capacity_up() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(2).unwrap(),
        NonZeroUsize::new(100).unwrap(),
    )
    .alignment(64)
    .build()
    .unwrap();
    assert_eq!(arena.slot_capacity(), 128);
}

#[test]
fn prefault_disabled_builds() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(4).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .page_size(PageSize::Unknown)
    .build()
    .unwrap();
    assert_eq!(arena.slot_count(), 4);
}

#[test]
fn prefault_explicit_page_size_builds() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(4).unwrap(),
        NonZeroUsize::new(4096).unwrap(),
    )
    .page_size(PageSize::Size(NonZeroUsize::new(4096).unwrap()))
    .build()
    .unwrap();
    assert_eq!(arena.slot_count(), 4);
}

#[cfg(unix)] // arena-alligator: all(unix, feature = "libc"), its default feature; arn always has libc
#[test]
fn prefault_auto_builds() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(4).unwrap(),
        NonZeroUsize::new(4096).unwrap(),
    )
    .page_size(PageSize::Auto)
    .build()
    .unwrap();
    assert_eq!(arena.slot_count(), 4);
}

#[test]
fn build_unfaulted_then_fault_pages() {
    let faultable = FixedArena::with_slot_capacity(
        NonZeroUsize::new(4).unwrap(),
        NonZeroUsize::new(4096).unwrap(),
    )
    .page_size(PageSize::Size(NonZeroUsize::new(4096).unwrap()))
    .build_unfaulted()
    .unwrap();
    let arena = faultable.fault_pages();
    assert_eq!(arena.slot_count(), 4);
    let _buf = arena.allocate().unwrap();
}

#[test]
fn build_unfaulted_into_inner_skips_fault() {
    let faultable = FixedArena::with_slot_capacity(
        NonZeroUsize::new(4).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .page_size(PageSize::Unknown)
    .build_unfaulted()
    .unwrap();
    let arena = faultable.into_inner();
    assert_eq!(arena.slot_count(), 4);
    let _buf = arena.allocate().unwrap();
}

#[test]
fn clone_shares_inner() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(2).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .build()
    .unwrap();
    let arena2 = arena.clone();
    assert_eq!(arena.slot_count(), arena2.slot_count());
    assert_eq!(arena.slot_capacity(), arena2.slot_capacity());
}

#[test]
fn init_policy_default_is_uninit() {
    assert_eq!(InitPolicy::default(), InitPolicy::Uninit);
}

#[test]
fn builder_with_arena_capacity() {
    let arena = FixedArena::with_arena_capacity(
        NonZeroUsize::new(4).unwrap(),
        NonZeroUsize::new(256).unwrap(),
    )
    .build()
    .unwrap();
    assert_eq!(arena.slot_count(), 4);
    assert_eq!(arena.slot_capacity(), 64);
}

#[test]
fn builder_arena_capacity_rounds_up() {
    let arena = FixedArena::with_arena_capacity(
        NonZeroUsize::new(3).unwrap(),
        NonZeroUsize::new(1000).unwrap(),
    )
    .build()
    .unwrap();
    assert_eq!(arena.slot_capacity(), 334);
}

#[test]
fn builder_arena_capacity_with_alignment() {
    let arena = FixedArena::with_arena_capacity(
        NonZeroUsize::new(3).unwrap(),
        NonZeroUsize::new(1000).unwrap(),
    )
    .alignment(64)
    .build()
    .unwrap();
    assert_eq!(arena.slot_capacity(), 384);
}

#[test]
fn auto_spill_builder_produces_fixed_arena() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .auto_spill()
    .build()
    .unwrap();
    let _buf = arena.allocate().unwrap();
}

#[cfg(feature = "hazmat-raw-access")]
#[test]
fn hazmat_builder_produces_raw_fixed_arena() {
    let raw_arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(4).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .hazmat_raw_access()
    .build()
    .unwrap();
    let _buf = raw_arena.allocate().unwrap();
}
