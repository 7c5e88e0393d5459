// Copied from arena-alligator 0.7.0 (src/hazmat/raw_region.rs, its unit tests), MIT licence: see LICENSE-arena-alligator
// in this folder. Changed: only the crate path (see README.md).

use core::num::NonZeroUsize;

use arn::compat::arena_alligator::{BuddyArena, BuddyGeometry, FixedArena};

fn buddy_geo() -> BuddyGeometry {
    BuddyGeometry::exact(
        NonZeroUsize::new(4096).unwrap(),
        NonZeroUsize::new(512).unwrap(),
    )
    .unwrap()
}

#[test]
fn raw_region_capacity() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .hazmat_raw_access()
    .build()
    .unwrap();
    let raw = arena.raw_alloc().unwrap();
    assert_eq!(raw.capacity(), 64);
}

#[test]
fn raw_region_freeze_prefix() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .hazmat_raw_access()
    .build()
    .unwrap();
    let mut raw = arena.raw_alloc().unwrap();
    let ptr = raw.as_mut_ptr();
    unsafe { core::ptr::copy_nonoverlapping(b"hello".as_ptr(), ptr, 5) };
    let bytes = unsafe { raw.freeze(0..5) }.unwrap();
    assert_eq!(&bytes[..], b"hello");
}

#[test]
fn raw_region_freeze_subslice() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .hazmat_raw_access()
    .build()
    .unwrap();
    let mut raw = arena.raw_alloc().unwrap();
    let ptr = raw.as_mut_ptr();
    unsafe { core::ptr::copy_nonoverlapping(b"XXhelloXX".as_ptr(), ptr, 9) };
    let bytes = unsafe { raw.freeze(2..7) }.unwrap();
    assert_eq!(&bytes[..], b"hello");
}

#[test]
fn raw_region_freeze_empty() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .hazmat_raw_access()
    .build()
    .unwrap();
    let raw = arena.raw_alloc().unwrap();
    let bytes = unsafe { raw.freeze(0..0) }.unwrap();
    assert!(bytes.is_empty());
}

#[test]
fn raw_region_freeze_out_of_bounds() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .hazmat_raw_access()
    .build()
    .unwrap();
    let raw = arena.raw_alloc().unwrap();
    let err = unsafe { raw.freeze(0..65) }.unwrap_err();
    assert_eq!(err.capacity(), 64);
}

#[test]
#[allow(clippy::reversed_empty_ranges)]
fn raw_region_freeze_inverted_range() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .hazmat_raw_access()
    .build()
    .unwrap();
    let raw = arena.raw_alloc().unwrap();
    let err = unsafe { raw.freeze(5..3) }.unwrap_err();
    assert_eq!(err.range(), 5..3);
}

#[test]
fn raw_region_drop_releases_slot() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .hazmat_raw_access()
    .build()
    .unwrap();
    let raw = arena.raw_alloc().unwrap();
    assert!(arena.raw_alloc().is_err());
    drop(raw);
    assert!(arena.raw_alloc().is_ok());
}

#[test]
fn raw_region_freeze_releases_on_bytes_drop() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .hazmat_raw_access()
    .build()
    .unwrap();
    let mut raw = arena.raw_alloc().unwrap();
    unsafe { raw.as_mut_ptr().write_bytes(0xAB, 8) };
    let bytes = unsafe { raw.freeze(0..8) }.unwrap();
    assert!(arena.raw_alloc().is_err());
    drop(bytes);
    assert!(arena.raw_alloc().is_ok());
}

#[test]
fn raw_region_arena_dropped_while_bytes_alive() {
    let bytes = {
        let arena = FixedArena::with_slot_capacity(
            NonZeroUsize::new(1).unwrap(),
            NonZeroUsize::new(64).unwrap(),
        )
        .hazmat_raw_access()
        .build()
        .unwrap();
        let mut raw = arena.raw_alloc().unwrap();
        let ptr = raw.as_mut_ptr();
        unsafe { core::ptr::copy_nonoverlapping(b"persists".as_ptr(), ptr, 8) };
        unsafe { raw.freeze(0..8) }.unwrap()
    };
    assert_eq!(&bytes[..], b"persists");
}

#[test]
fn raw_region_bytes_slicing_retains_arena() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .hazmat_raw_access()
    .build()
    .unwrap();
    let mut raw = arena.raw_alloc().unwrap();
    let ptr = raw.as_mut_ptr();
    unsafe { core::ptr::copy_nonoverlapping(b"hello world".as_ptr(), ptr, 11) };
    let bytes = unsafe { raw.freeze(0..11) }.unwrap();
    let hello = bytes.slice(0..5);
    drop(bytes);
    assert!(arena.raw_alloc().is_err());
    assert_eq!(&hello[..], b"hello");
    drop(hello);
    assert!(arena.raw_alloc().is_ok());
}

// --- Buddy raw_alloc tests ---

#[test]
fn buddy_raw_region_capacity() {
    let arena = BuddyArena::builder(buddy_geo())
        .hazmat_raw_access()
        .build()
        .unwrap();
    let raw = arena.raw_alloc(NonZeroUsize::new(512).unwrap()).unwrap();
    assert_eq!(raw.capacity(), 512);
}

#[test]
fn buddy_raw_region_rounds_up() {
    let arena = BuddyArena::builder(buddy_geo())
        .hazmat_raw_access()
        .build()
        .unwrap();
    let raw = arena.raw_alloc(NonZeroUsize::new(700).unwrap()).unwrap();
    // exact geometry exposes full block capacity
    assert_eq!(raw.capacity(), 1024);
}

#[test]
fn buddy_raw_region_cap_capacity() {
    let geo = BuddyGeometry::nearest(
        NonZeroUsize::new(4096).unwrap(),
        NonZeroUsize::new(512).unwrap(),
    )
    .unwrap();
    let arena = BuddyArena::builder(geo)
        .hazmat_raw_access()
        .build()
        .unwrap();
    let raw = arena.raw_alloc(NonZeroUsize::new(700).unwrap()).unwrap();
    assert_eq!(raw.capacity(), 700);
}

#[test]
fn buddy_raw_region_freeze_prefix() {
    let arena = BuddyArena::builder(buddy_geo())
        .hazmat_raw_access()
        .build()
        .unwrap();
    let mut raw = arena.raw_alloc(NonZeroUsize::new(512).unwrap()).unwrap();
    let ptr = raw.as_mut_ptr();
    unsafe { core::ptr::copy_nonoverlapping(b"buddy".as_ptr(), ptr, 5) };
    let bytes = unsafe { raw.freeze(0..5) }.unwrap();
    assert_eq!(&bytes[..], b"buddy");
}

#[test]
fn buddy_raw_region_drop_releases_block() {
    let arena = BuddyArena::builder(buddy_geo())
        .hazmat_raw_access()
        .build()
        .unwrap();
    let raw = arena.raw_alloc(NonZeroUsize::new(4096).unwrap()).unwrap();
    assert!(arena.raw_alloc(NonZeroUsize::new(512).unwrap()).is_err());
    drop(raw);
    assert!(arena.raw_alloc(NonZeroUsize::new(512).unwrap()).is_ok());
}

#[test]
fn buddy_raw_region_freeze_releases_on_bytes_drop() {
    let arena = BuddyArena::builder(buddy_geo())
        .hazmat_raw_access()
        .build()
        .unwrap();
    let mut raw = arena.raw_alloc(NonZeroUsize::new(4096).unwrap()).unwrap();
    unsafe { raw.as_mut_ptr().write_bytes(0xAB, 8) };
    let bytes = unsafe { raw.freeze(0..8) }.unwrap();
    assert!(arena.raw_alloc(NonZeroUsize::new(512).unwrap()).is_err());
    drop(bytes);
    assert!(arena.raw_alloc(NonZeroUsize::new(512).unwrap()).is_ok());
}

#[test]
fn buddy_raw_region_coalesces_on_drop() {
    let arena = BuddyArena::builder(buddy_geo())
        .hazmat_raw_access()
        .build()
        .unwrap();
    let r1 = arena.raw_alloc(NonZeroUsize::new(2048).unwrap()).unwrap();
    let r2 = arena.raw_alloc(NonZeroUsize::new(2048).unwrap()).unwrap();
    drop(r1);
    drop(r2);
    assert!(arena.raw_alloc(NonZeroUsize::new(4096).unwrap()).is_ok());
}

// --- Metrics and InitPolicy tests ---

use arn::compat::arena_alligator::InitPolicy;

#[test]
fn fixed_raw_alloc_metrics_track_lifecycle() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(2).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .hazmat_raw_access()
    .build()
    .unwrap();
    let raw = arena.raw_alloc().unwrap();
    let m = arena.metrics();
    assert_eq!(m.allocations_ok, 1);
    assert_eq!(m.bytes_live, 64);

    drop(raw);
    let m = arena.metrics();
    assert_eq!(m.frees, 1);
    assert_eq!(m.bytes_live, 0);
}

#[test]
fn fixed_raw_alloc_metrics_track_freeze() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .hazmat_raw_access()
    .build()
    .unwrap();
    let mut raw = arena.raw_alloc().unwrap();
    unsafe { raw.as_mut_ptr().write_bytes(0, 8) };
    let bytes = unsafe { raw.freeze(0..8) }.unwrap();

    let m = arena.metrics();
    assert_eq!(m.frozen, 1);
    assert_eq!(m.frees, 0);
    assert_eq!(m.bytes_live, 64);

    drop(bytes);
    let m = arena.metrics();
    assert_eq!(m.frees, 1);
    assert_eq!(m.bytes_live, 0);
}

#[test]
fn fixed_raw_alloc_metrics_track_failure() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .hazmat_raw_access()
    .build()
    .unwrap();
    let _raw = arena.raw_alloc().unwrap();
    let _ = arena.raw_alloc();

    let m = arena.metrics();
    assert_eq!(m.allocations_ok, 1);
    assert_eq!(m.allocations_failed, 1);
}

#[test]
fn fixed_raw_alloc_zero_policy_zeroes_memory() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .init_policy(InitPolicy::Zero)
    .hazmat_raw_access()
    .build()
    .unwrap();
    let raw = arena.raw_alloc().unwrap();
    let slice = raw.as_uninit_slice();
    for byte in slice {
        assert_eq!(unsafe { byte.assume_init() }, 0);
    }
}

#[test]
fn buddy_raw_alloc_zero_policy_zeroes_memory() {
    let arena = BuddyArena::builder(buddy_geo())
        .init_policy(InitPolicy::Zero)
        .hazmat_raw_access()
        .build()
        .unwrap();
    let raw = arena.raw_alloc(NonZeroUsize::new(512).unwrap()).unwrap();
    let slice = raw.as_uninit_slice();
    for byte in &slice[..512] {
        assert_eq!(unsafe { byte.assume_init() }, 0);
    }
}

#[test]
fn fixed_raw_alloc_zero_policy_zeroes_on_return() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .init_policy(InitPolicy::Zero)
    .hazmat_raw_access()
    .build()
    .unwrap();

    let mut raw = arena.raw_alloc().unwrap();
    let ptr = raw.as_mut_ptr();
    unsafe { core::ptr::write_bytes(ptr, 0xAB, 64) };
    let bytes = unsafe { raw.freeze(0..64) }.unwrap();
    drop(bytes);

    let raw = arena.raw_alloc().unwrap();
    let slice = raw.as_uninit_slice();
    for byte in slice {
        assert_eq!(unsafe { byte.assume_init() }, 0);
    }
}

#[test]
fn buddy_raw_alloc_zero_policy_zeroes_on_return() {
    let arena = BuddyArena::builder(buddy_geo())
        .init_policy(InitPolicy::Zero)
        .hazmat_raw_access()
        .build()
        .unwrap();

    let mut raw = arena.raw_alloc(NonZeroUsize::new(512).unwrap()).unwrap();
    let ptr = raw.as_mut_ptr();
    unsafe { core::ptr::write_bytes(ptr, 0xAB, 512) };
    let bytes = unsafe { raw.freeze(0..512) }.unwrap();
    drop(bytes);

    let raw = arena.raw_alloc(NonZeroUsize::new(512).unwrap()).unwrap();
    let slice = raw.as_uninit_slice();
    for byte in &slice[..512] {
        assert_eq!(unsafe { byte.assume_init() }, 0);
    }
}
