// Copied from arena-alligator 0.7.0 (the documentation examples of src/lib.rs,
// src/arena.rs, src/buffer.rs, src/buddy.rs, src/geometry.rs, src/ext.rs, and
// the Rust examples of README.md), MIT licence: see LICENSE-arena-alligator in
// this folder. Changed: only the crate path; each example is the body of a
// test function, its hidden (`# `) lines shown, and one returning `?` errors
// returns the `Result` its last hidden line named.

// src/lib.rs, "Quick start".
#[test]
fn lib_quick_start() {
    use arn::compat::arena_alligator::FixedArena;
    use bytes::BufMut;
    use core::num::NonZeroUsize;

    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1024).unwrap(),
        NonZeroUsize::new(4096).unwrap(),
    )
    .build()
    .unwrap();

    let mut buf = arena.allocate().unwrap();
    buf.put_slice(b"hello");
    let bytes = buf.freeze();
    assert_eq!(&bytes[..], b"hello");
}

// src/arena.rs, FixedArena::with_arena_capacity.
#[test]
fn arena_with_arena_capacity() {
    use arn::compat::arena_alligator::FixedArena;
    use core::num::NonZeroUsize;

    let arena = FixedArena::with_arena_capacity(
        NonZeroUsize::new(4).unwrap(),
        NonZeroUsize::new(1000).unwrap(),
    )
    .build()
    .unwrap();
    assert_eq!(arena.slot_count(), 4);
    assert_eq!(arena.slot_capacity(), 250); // ceil(1000 / 4)
}

// src/buffer.rs, Buffer::freeze.
#[test]
fn buffer_freeze() {
    use arn::compat::arena_alligator::FixedArena;
    use bytes::BufMut;
    use core::num::NonZeroUsize;

    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .build()
    .unwrap();

    let mut buf = arena.allocate().unwrap();
    buf.put_slice(b"hello");
    let bytes = buf.freeze();
    assert_eq!(&bytes[..], b"hello");

    // Slot is pinned until bytes is dropped
    assert!(arena.allocate().is_err());
    drop(bytes);
    assert!(arena.allocate().is_ok());
}

// src/buddy.rs, BuddyArena::builder.
#[test]
fn buddy_builder() {
    use arn::compat::arena_alligator::{BuddyArena, BuddyGeometry};
    use bytes::BufMut;
    use core::num::NonZeroUsize;

    let geo = BuddyGeometry::exact(
        NonZeroUsize::new(1024 * 1024).unwrap(),
        NonZeroUsize::new(256).unwrap(),
    )
    .unwrap();
    let arena = BuddyArena::builder(geo).build().unwrap();

    let mut buf = arena.allocate(NonZeroUsize::new(4096).unwrap()).unwrap();
    buf.put_slice(b"hello buddy");
    let bytes = buf.freeze();
    assert_eq!(&bytes[..], b"hello buddy");
}

// src/geometry.rs, BuddyGeometry::exact.
#[test]
fn geometry_exact() {
    use arn::compat::arena_alligator::BuddyGeometry;
    use core::num::NonZeroUsize;

    let geo = BuddyGeometry::exact(
        NonZeroUsize::new(4096).unwrap(),
        NonZeroUsize::new(512).unwrap(),
    )
    .unwrap();
    assert_eq!(geo.total_size(), 4096);
    assert_eq!(geo.min_block_size(), 512);
    assert_eq!(geo.max_order(), 3); // 4096 / 512 = 8 = 2^3
}

// src/geometry.rs, BuddyGeometry::nearest.
#[test]
fn geometry_nearest() {
    use arn::compat::arena_alligator::BuddyGeometry;
    use core::num::NonZeroUsize;

    // 6000 snaps up to 8192, 768 snaps up to 1024
    let geo = BuddyGeometry::nearest(
        NonZeroUsize::new(6000).unwrap(),
        NonZeroUsize::new(768).unwrap(),
    )
    .unwrap();
    assert_eq!(geo.total_size(), 8192);
    assert_eq!(geo.min_block_size(), 1024);
}

// src/ext.rs, BytesExt::into_owned.
#[test]
fn ext_into_owned() {
    use arn::compat::arena_alligator::{BytesExt, FixedArena};
    use bytes::BufMut;
    use core::num::NonZeroUsize;

    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(4).unwrap(),
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

// README.md, "Quick start".
#[test]
fn readme_quick_start() -> Result<(), Box<dyn core::error::Error>> {
    use arn::compat::arena_alligator::FixedArena;
    use bytes::BufMut;
    use core::num::NonZeroUsize;

    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1024).unwrap(),
        NonZeroUsize::new(4096).unwrap(),
    )
    .build()?;

    let mut buf = arena.allocate()?;
    buf.put_slice(b"request payload");
    let _bytes = buf.freeze();
    Ok::<(), Box<dyn core::error::Error>>(())
}

// README.md, "Buddy allocator example".
#[test]
fn readme_buddy() -> Result<(), Box<dyn core::error::Error>> {
    use arn::compat::arena_alligator::{BuddyArena, BuddyGeometry};
    use bytes::BufMut;
    use core::num::NonZeroUsize;

    let arena = BuddyArena::builder(BuddyGeometry::exact(
        NonZeroUsize::new(64 * 1024 * 1024).unwrap(),
        NonZeroUsize::new(256).unwrap(),
    )?)
    .build()?;

    let mut buf = arena.allocate(NonZeroUsize::new(8192).unwrap())?;
    buf.put_slice(&vec![0u8; 8192]);
    let _bytes = buf.freeze();
    Ok::<(), Box<dyn core::error::Error>>(())
}

// README.md, "Auto-spill".
#[test]
fn readme_auto_spill() -> Result<(), Box<dyn core::error::Error>> {
    use arn::compat::arena_alligator::FixedArena;
    use bytes::BufMut;
    use core::num::NonZeroUsize;
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1024).unwrap(),
        NonZeroUsize::new(1024).unwrap(),
    )
    .auto_spill()
    .build()?;

    let mut buf = arena.allocate()?;
    buf.put_slice(&[0u8; 2048]);
    assert!(buf.is_spilled());
    let _bytes = buf.freeze();
    Ok::<(), Box<dyn core::error::Error>>(())
}

// README.md, "Initialization policy".
#[test]
fn readme_init_policy() -> Result<(), Box<dyn core::error::Error>> {
    use arn::compat::arena_alligator::{FixedArena, InitPolicy};
    use core::num::NonZeroUsize;
    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(1024).unwrap(),
        NonZeroUsize::new(4096).unwrap(),
    )
    .init_policy(InitPolicy::Zero)
    .build()?;
    let _ = arena;
    Ok::<(), Box<dyn core::error::Error>>(())
}

// README.md, "Preallocated memory handoff".
#[test]
fn readme_from_static() -> Result<(), Box<dyn core::error::Error>> {
    use arn::compat::arena_alligator::{FixedArena, SlotSpec};
    use core::num::NonZeroUsize;
    static mut BLOCK: [u8; 4096] = [0; 4096];
    fn nz(n: usize) -> NonZeroUsize {
        NonZeroUsize::new(n).unwrap()
    }

    #[allow(static_mut_refs)]
    let arena = FixedArena::from_static(unsafe { &mut BLOCK }, SlotSpec::Count(nz(4))).build()?;

    assert_eq!(arena.slot_count(), 4);
    Ok::<(), Box<dyn core::error::Error>>(())
}

// README.md, "Hazmat raw access".
#[cfg(feature = "hazmat-raw-access")]
#[test]
fn readme_hazmat() -> Result<(), Box<dyn core::error::Error>> {
    use arn::compat::arena_alligator::FixedArena;
    use core::num::NonZeroUsize;
    fn nz(n: usize) -> NonZeroUsize {
        NonZeroUsize::new(n).unwrap()
    }

    let arena = FixedArena::with_slot_capacity(nz(4), nz(128))
        .hazmat_raw_access()
        .build()?;

    let mut raw = arena.raw_alloc()?;
    let ptr = raw.as_mut_ptr();

    unsafe {
        let len = 5u32.to_le_bytes();
        core::ptr::copy_nonoverlapping(len.as_ptr(), ptr, 4);
        core::ptr::copy_nonoverlapping(b"hello".as_ptr(), ptr.add(4), 5);
    }

    let payload = unsafe { raw.freeze(4..9) }?;
    assert_eq!(&payload[..], b"hello");
    Ok::<(), Box<dyn core::error::Error>>(())
}

// README.md, "Owned mutable bytes".
#[test]
fn readme_into_owned() -> Result<(), Box<dyn core::error::Error>> {
    use arn::compat::arena_alligator::{BytesExt, FixedArena};
    use bytes::BufMut;
    use core::num::NonZeroUsize;

    let arena = FixedArena::with_slot_capacity(
        NonZeroUsize::new(4).unwrap(),
        NonZeroUsize::new(64).unwrap(),
    )
    .build()?;

    let mut buf = arena.allocate()?;
    buf.put_slice(b"hello");
    let frozen = buf.freeze();

    let mut owned = frozen.into_owned();
    // Arena slot is freed; owned is heap-backed and mutable
    owned.put_slice(b" world");
    assert_eq!(&owned[..], b"hello world");
    Ok::<(), Box<dyn core::error::Error>>(())
}
