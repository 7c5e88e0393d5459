// Copied from arena-alligator 0.7.0 (src/ext.rs, its unit tests), MIT licence: see LICENSE-arena-alligator
// in this folder. Changed: only the crate path (see README.md).

use core::num::NonZeroUsize;

use bytes::BufMut;

use arn::compat::arena_alligator::FixedArena;
use arn::compat::arena_alligator::*;
use bytes::Bytes;

#[test]
fn into_owned_frees_arena_slot() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .build()
    .unwrap();
    let mut buf = arena.allocate().unwrap();
    buf.put_slice(b"hello");
    let frozen = buf.freeze();

    assert!(arena.allocate().is_err());

    let owned = frozen.into_owned();
    assert_eq!(&owned[..], b"hello");
    assert!(arena.allocate().is_ok());
}

#[test]
fn into_owned_returns_mutable_bytes() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .build()
    .unwrap();
    let mut buf = arena.allocate().unwrap();
    buf.put_slice(b"hello");
    let frozen = buf.freeze();

    let mut owned = frozen.into_owned();
    owned.put_slice(b" world");
    assert_eq!(&owned[..], b"hello world");
}

#[test]
fn into_owned_works_on_non_arena_bytes() {
    let bytes = Bytes::from_static(b"static data");
    let owned = bytes.into_owned();
    assert_eq!(&owned[..], b"static data");
}

#[test]
fn into_owned_does_not_free_while_other_clones_exist() {
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .build()
    .unwrap();
    let mut buf = arena.allocate().unwrap();
    buf.put_slice(b"hello");
    let frozen = buf.freeze();
    let clone = frozen.clone();

    let owned = frozen.into_owned();
    assert_eq!(&owned[..], b"hello");
    assert!(arena.allocate().is_err());

    drop(clone);
    assert!(arena.allocate().is_ok());
}
