//! `allocator_api2`'s `Vec` and `Box` and hashbrown's `HashMap` in every
//! arena: growth, zero-sized and over-aligned types, growth past a chunk,
//! and failures. Small enough for Miri (the mmap arena is left to the
//! native run: Miri has no `mmap`).

use std::collections::hash_map::RandomState;

use allocator_api2::alloc::Allocator;
use allocator_api2::boxed::Box;
use allocator_api2::vec::Vec;

use crate::grow::{ArenaAlloc, GrowArena};
use crate::{Arena, Bump, MmapArena, Region, Scratch, Stack};

#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(align(256))]
struct Wide(u32);

const N: usize = if cfg!(miri) { 300 } else { 3000 };

/// Vectors and boxes of plain, zero-sized and over-aligned types.
fn collections_in<A: Allocator + Copy>(a: A) {
    let mut v = Vec::new_in(a);
    for i in 0..N as u64 {
        v.push(i * 3);
    }
    assert_eq!(v.len(), N);
    assert!(v.iter().enumerate().all(|(i, &x)| x == i as u64 * 3));
    v.truncate(10);
    v.shrink_to_fit();
    assert_eq!(v[9], 27);

    let mut units = Vec::new_in(a);
    for _ in 0..1000 {
        units.push(());
    }
    assert_eq!(units.len(), 1000);

    let mut wide = Vec::new_in(a);
    for i in 0..20 {
        wide.push(Wide(i));
    }
    assert_eq!(wide.as_ptr() as usize % 256, 0);
    assert_eq!(wide[19], Wide(19));

    let b = Box::new_in([7u16; 5], a);
    assert_eq!(*b, [7; 5]);
    let w = Box::new_in(Wide(1), a);
    assert_eq!(&*w as *const Wide as usize % 256, 0);
    let z = Box::new_in((), a);
    assert_eq!(*z, ());
    let s: Box<str, A> = {
        let mut bytes = Vec::with_capacity_in(5, a);
        bytes.extend_from_slice(b"hello");
        let b = bytes.into_boxed_slice();
        // SAFETY: the bytes are ASCII.
        unsafe { Box::from_raw_in(Box::into_raw(b) as *mut str, a) }
    };
    assert_eq!(&*s, "hello");

    let zeroed = a
        .allocate_zeroed(std::alloc::Layout::new::<[u64; 4]>())
        .unwrap();
    // SAFETY: 32 bytes just allocated.
    let bytes = unsafe { std::slice::from_raw_parts(zeroed.cast::<u8>().as_ptr(), 32) };
    assert!(bytes.iter().all(|&b| b == 0));
    // SAFETY: allocated above with this layout.
    unsafe { a.deallocate(zeroed.cast(), std::alloc::Layout::new::<[u64; 4]>()) };
}

#[test]
fn fixed_buffer_family() {
    let room = if cfg!(miri) { 1 << 16 } else { 1 << 20 };
    collections_in(&Arena::new(room).unwrap());
    collections_in(&Scratch::new(room).unwrap());
    collections_in(&Bump::new(room).unwrap());
    collections_in(&Stack::new(room).unwrap());
    collections_in(&Region::new());
}

#[test]
#[cfg_attr(miri, ignore)]
fn mmap_arena() {
    collections_in(&MmapArena::new(1 << 24).unwrap());
}

#[test]
fn growing_arenas_past_a_chunk() {
    let g = GrowArena::builder().chunk_size(4096).build().unwrap();
    collections_in(&g);
    let s = GrowArena::builder()
        .chunk_size(4096)
        .build_shared()
        .unwrap();
    collections_in(&s);
    // Everything was given back.
    assert_eq!(g.stats().bytes_live, 0);
    assert_eq!(s.stats().bytes_live, 0);
    // A vector of many small blocks' worth crosses chunks, and moves to a
    // chunk of its own when it outgrows a quarter of one.
    let mut v = Vec::new_in(&g);
    let mut boxes = Vec::new_in(&g);
    for i in 0..N as u64 {
        v.push(i);
        boxes.push(Box::new_in([i; 4], &g));
    }
    assert!(g.stats().chunks > 2, "{:?}", g.stats());
    assert!(g.is_managed(v.as_ptr().cast()));
    assert!(boxes.iter().enumerate().all(|(i, b)| b[3] == i as u64));
    assert_eq!(v[N - 1], N as u64 - 1);
}

#[test]
fn a_full_arena_refuses_without_panicking() {
    let a = Arena::new(256).unwrap();
    let mut v: Vec<u64, &Arena> = Vec::new_in(&a);
    assert!(v.try_reserve(16).is_ok());
    assert!(v.try_reserve(1000).is_err());
    assert_eq!(v.capacity(), 16);
    let huge = std::alloc::Layout::from_size_align(8, 8192).unwrap();
    assert!((&a).allocate(huge).is_err(), "alignment above the maximum");
}

#[test]
fn the_growing_arena_grows_and_shrinks_through_realloc() {
    let g = GrowArena::builder().chunk_size(4096).build().unwrap();
    let a = &g;
    let small = std::alloc::Layout::from_size_align(24, 8).unwrap();
    let big = std::alloc::Layout::from_size_align(200, 8).unwrap();
    let p = a.allocate(small).unwrap().cast::<u8>();
    // SAFETY: 24 bytes of ours.
    unsafe { p.as_ptr().write_bytes(5, 24) };
    // The last block grows in place.
    // SAFETY: `p` is live with layout `small`.
    let q = unsafe { a.grow_zeroed(p, small, big) }
        .unwrap()
        .cast::<u8>();
    assert_eq!(p, q);
    // SAFETY: 200 bytes, the first 24 kept, the rest zeroed.
    let bytes = unsafe { std::slice::from_raw_parts(q.as_ptr(), 200) };
    assert!(bytes[..24].iter().all(|&b| b == 5));
    assert!(bytes[24..].iter().all(|&b| b == 0));
    assert_eq!(g.stats().grown_in_place, 1);
    // Shrinking keeps the contents.
    // SAFETY: `q` is live with layout `big`.
    let r = unsafe { a.shrink(q, big, small) }.unwrap().cast::<u8>();
    // SAFETY: 24 bytes of ours.
    assert!(
        unsafe { std::slice::from_raw_parts(r.as_ptr(), 24) }
            .iter()
            .all(|&b| b == 5)
    );
    // Down to nothing and back: zero-sized layouts never reach the arena.
    let none = std::alloc::Layout::from_size_align(0, 64).unwrap();
    // SAFETY: `r` is live with layout `small`.
    let z = unsafe { a.shrink(r, small, none) }.unwrap();
    assert_eq!(z.len(), 0);
    assert_eq!(z.cast::<u8>().as_ptr() as usize % 64, 0);
    assert_eq!(g.stats().bytes_live, 0);
    // SAFETY: a zero-sized "allocation" of layout `none`.
    let back = unsafe { a.grow(z.cast(), none, small) }.unwrap();
    assert!(g.is_managed(back.cast::<u8>().as_ptr()));
    // SAFETY: live with layout `small`.
    unsafe { a.deallocate(back.cast(), small) };
    assert_eq!(g.stats().bytes_live, 0);
}

#[test]
fn hashbrown_maps_live_in_the_growing_arenas() {
    let g = GrowArena::builder().chunk_size(4096).build().unwrap();
    {
        let mut m = hashbrown::HashMap::with_hasher_in(RandomState::new(), &g);
        for i in 0..N as u64 {
            m.insert(i, i.to_string());
        }
        assert_eq!(m.len(), N);
        assert_eq!(m[&17], "17");
        for i in (0..N as u64).step_by(2) {
            m.remove(&i);
        }
        assert_eq!(m.len(), N / 2);
        let mut set = hashbrown::HashSet::with_hasher_in(RandomState::new(), &g);
        set.extend([Wide(1), Wide(2)].map(|w| w.0));
        assert!(set.contains(&2));
        assert!(g.stats().bytes_live > 0);
    }
    assert_eq!(g.stats().bytes_live, 0, "the tables went back to the arena");

    let shared = GrowArena::builder().build_shared().unwrap();
    std::thread::scope(|s| {
        for t in 0..2u64 {
            let shared = &shared;
            s.spawn(move || {
                let mut m = hashbrown::HashMap::with_hasher_in(RandomState::new(), shared);
                for i in 0..(N as u64 / 10) {
                    m.insert(i, t);
                }
                assert!(m.values().all(|&v| v == t));
            });
        }
    });
    assert_eq!(shared.stats().bytes_live, 0);
}

#[test]
fn an_arena_collection_cannot_outlive_a_reset() {
    let mut a = Arena::new(1024).unwrap();
    {
        let mut v = Vec::new_in(&a);
        v.extend_from_slice(&[1u8, 2, 3]);
        assert_eq!(v.len(), 3);
    }
    // The vector's borrow ended, so the reset compiles; with `v` alive it
    // would not.
    a.reset();
    assert_eq!(a.offset(), 0);
}

#[test]
fn the_arena_grows_and_shrinks_its_last_block_in_place() {
    let a = Arena::new(1 << 16).unwrap();
    let mut v: Vec<u64, &Arena> = Vec::new_in(&a);
    for i in 0..1000 {
        v.push(i);
    }
    // Doubling from 4 to 1024 elements without moving: one block's worth.
    assert_eq!(a.offset(), 1024 * 8);
    v.truncate(10);
    v.shrink_to_fit();
    assert_eq!(a.offset(), 10 * 8, "the tail went back to the arena");
    // What came back is zero again, as all memory past the offset.
    let fresh = a.alloc(100).unwrap();
    assert!(fresh.iter().all(|&b| b == 0));
    // No longer the last block: growing moves, the contents come along.
    let before = v.as_ptr();
    v.reserve(100);
    assert_ne!(v.as_ptr(), before);
    assert_eq!(v.iter().sum::<u64>(), 45);
    assert_eq!(a.offset(), 10 * 8 + 104 + 110 * 8);

    // Four pages: wherever the buffer starts, a 4096-aligned 64-byte block
    // fits behind the first 112 bytes, so the move below always has room.
    let s = Scratch::new(4 * 4096).unwrap();
    let mut w: Vec<u8, &Scratch> = Vec::with_capacity_in(8, &s);
    w.extend_from_slice(&[1; 100]);
    assert_eq!(s.used(), 104);
    // A stricter alignment than the block has moves it.
    let p = (&s)
        .allocate(std::alloc::Layout::from_size_align(8, 8).unwrap())
        .unwrap();
    let addr = p.cast::<u8>().as_ptr() as usize;
    // SAFETY: `p` is live with that layout.
    let q = unsafe {
        (&s).grow(
            p.cast(),
            std::alloc::Layout::from_size_align(8, 8).unwrap(),
            std::alloc::Layout::from_size_align(64, 4096).unwrap(),
        )
    }
    .unwrap();
    assert_eq!(q.cast::<u8>().as_ptr() as usize % 4096, 0);
    assert_eq!(addr % 4096 == 0, addr == q.cast::<u8>().as_ptr() as usize);
}
