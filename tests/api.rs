//! Every family driven through the public Rust API only, as a user of the
//! crate sees it: `arn::...` paths and the prelude, nothing crate-private.

use std::collections::hash_map::RandomState;

use arn::allocator_api2::{boxed::Box as ABox, vec::Vec as AVec};
use arn::prelude::*;
use arn::{
    Arena, ArenaMap, ArenaVec, BlockPool, BuddyArena, Bump, Bytes, ChunkAllocator, Error,
    FixedArena, GrowArena, MixState, MmapArena, ObjectPool, Pool, Region, Scratch, SlotArena,
    Stack, TypedArena,
};
use bytes::BufMut;

#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(align(128))]
struct Aligned(u64);

/// Typed values, slices, strings and over-aligned values in any allocator.
fn typed<A: TypedAlloc>(a: &A) {
    let v = a.alloc_value(Aligned(9)).unwrap();
    assert_eq!(v as *mut Aligned as usize % 128, 0);
    let xs = a.alloc_slice_copy(&[1u32, 2, 3]).unwrap();
    let ys = a.alloc_slice_fill_with(4, |i| i as u8).unwrap();
    let s = a.alloc_str("api").unwrap();
    assert_eq!(
        (v.0, &xs[..], &ys[..], &*s),
        (9, &[1, 2, 3][..], &[0, 1, 2, 3][..], "api")
    );
}

#[test]
fn arena_typed_arena_and_slot_arena() {
    let mut a = Arena::new(1 << 12).unwrap();
    typed(&a);
    let b = a.alloc(10).unwrap();
    assert!(b.iter().all(|&x| x == 0));
    let c = a.copy_cstr(c"hi").unwrap();
    assert_eq!(c, c"hi");
    assert!(a.stats().objects >= 5);
    a.reset();
    assert_eq!(a.stats().offset, 0);

    let mut t = TypedArena::new(12, 3).unwrap();
    let (i, slot) = t.alloc().unwrap();
    slot[0] = 5;
    assert_eq!((i, t.get_mut(0).unwrap()[0]), (0, 5));
    assert!(matches!(t.get_mut(1), Err(Error::OutOfBounds { .. })));

    let mut s = SlotArena::with_capacity(2).unwrap();
    let k = s.push(String::from("x")).unwrap();
    s[k].push('y');
    assert_eq!(s.get(k).map(String::as_str), Some("xy"));
    assert!(s.push(String::new()).is_ok());
    assert!(matches!(s.push(String::new()), Err(Error::Full { .. })));
}

#[test]
fn bump_stack_region_scratch_and_mmap() {
    let mut bump = Bump::new(1 << 12).unwrap();
    typed(&bump);
    bump.alloc(8).unwrap();
    bump.reset();
    assert_eq!(bump.used(), 0);

    let mut stack = Stack::new(1 << 12).unwrap();
    let m = stack.mark();
    typed(&stack);
    stack.push(b"abc").unwrap();
    stack.restore(m).unwrap();
    assert_eq!(stack.top(), 0);

    let mut region = Region::new();
    typed(&region);
    region.alloc(100_000).unwrap();
    region.free_all();
    assert_eq!(region.stats().arns, 0);

    let mut scratch = Scratch::new(1 << 12).unwrap();
    let n = scratch
        .scope(|s| {
            typed(s);
            s.used()
        })
        .unwrap();
    assert!(n > 0);
    assert_eq!(scratch.used(), 0);

    let mut mmap = MmapArena::new(1 << 20).unwrap();
    typed(&mmap);
    assert!(mmap.committed() > 0);
    mmap.reset();
    assert_eq!(mmap.used(), 0);
}

#[test]
fn pools_and_blocks() {
    let mut blocks = BlockPool::new(32, 4).unwrap();
    let p = blocks.alloc_ptr().unwrap();
    blocks.free_ptr(p.as_ptr()).unwrap();
    assert!(matches!(
        blocks.free_ptr(p.as_ptr()),
        Err(Error::DoubleFree(_))
    ));

    let pool = Pool::new(1, || vec![0u8; 16])
        .unwrap()
        .with_reset(|v| v.fill(0));
    {
        let mut g = pool.get();
        g[0] = 1;
    }
    assert_eq!(pool.get()[0], 0);

    let objects = ObjectPool::blocks(64, 1).unwrap();
    let o = objects.get().unwrap();
    objects.put(o.as_ptr()).unwrap();
}

#[test]
fn byte_arenas_freeze_into_bytes() {
    let fixed = FixedArena::builder(4, 256).build().unwrap();
    let mut buf = fixed.allocate().unwrap();
    buf.put_slice(b"fixed");
    let frozen: Bytes = buf.freeze();
    assert_eq!(&frozen[..], b"fixed");

    let buddy = BuddyArena::builder(1 << 16, 256).build().unwrap();
    let mut buf = buddy.allocate(300).unwrap();
    assert_eq!(buf.capacity(), 512);
    buf.try_put_slice(b"buddy").unwrap();
    let frozen = buf.freeze();
    let part = frozen.slice(1..3);
    drop(frozen);
    assert_eq!(&part[..], b"ud");
}

#[test]
fn chunk_slices() {
    let mut chunks: ChunkAllocator<u32, 16> = ChunkAllocator::new();
    let s = chunks.alloc(5, |i| i as u32 * 2);
    let t = s.clone();
    drop(chunks);
    drop(s);
    assert_eq!(&t[..], &[0, 2, 4, 6, 8]);
}

#[test]
fn growing_arenas_vectors_and_maps() {
    let mut g = GrowArena::builder().chunk_size(4096).build().unwrap();
    typed(&g);
    {
        let mut v = ArenaVec::new_in(&g);
        for i in 0..1000u64 {
            v.push(i).unwrap();
        }
        let mut m = ArenaMap::new_in(&g);
        for i in 0..1000u64 {
            m.insert(i, v[i as usize] * 2).unwrap();
        }
        assert_eq!(m.get(&999), Some(&1998));
        assert!(arn::audit(&g, &v).is_empty());
    }
    g.reset();
    assert_eq!(g.stats().bytes_live, 0);

    let shared = GrowArena::builder().build_shared().unwrap();
    std::thread::scope(|t| {
        t.spawn(|| typed(&shared));
    });
}

#[test]
fn allocator_api2_and_hashbrown_in_arenas() {
    let arena = Arena::new(1 << 16).unwrap();
    let mut v = AVec::new_in(&arena);
    v.extend([1u8, 2, 3]);
    let b = ABox::new_in(Aligned(4), &arena);
    assert_eq!(&*b as *const Aligned as usize % 128, 0);
    assert_eq!(v, [1, 2, 3]);

    let g = GrowArena::new();
    let mut m = arn::hashbrown::HashMap::with_hasher_in(MixState::new(), &g);
    for i in 0..500u32 {
        m.insert(i, i + 1);
    }
    assert_eq!(m[&499], 500);
    let mut s = arn::hashbrown::HashSet::with_hasher_in(RandomState::new(), &g);
    s.insert("k");
    assert!(s.contains("k"));
    let zst = ABox::new_in((), &g);
    assert_eq!(*zst, ());
}

#[test]
fn errors_carry_their_c_codes() {
    let a = Arena::new(16).unwrap();
    let e = a.alloc(32).unwrap_err();
    assert_eq!(e.code(), arn::error::ARN_E_CAPACITY);
    assert!(e.to_string().contains("asked 32 bytes"));
    assert_eq!(
        Arena::new(0).err().map(|e| e.code()),
        Some(arn::error::ARN_E_INVALID_ARGUMENT)
    );
}
