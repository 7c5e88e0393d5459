//! The typed methods on every allocator: values, over-aligned values,
//! zero-sized values, slices, strings, and the errors. Small enough for
//! Miri (the mmap arena is left to the native run: Miri has no `mmap`).

use std::cell::Cell;

use super::TypedAlloc;
use crate::error::Error;
use crate::grow::GrowArena;
use crate::{Arena, Bump, MmapArena, Region, Scratch, Stack};

#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(align(64))]
struct Line([u8; 64]);

#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(align(4096))]
struct Page(u8);

/// A value whose drop we can see.
struct Loud<'a>(&'a Cell<u32>);

impl Drop for Loud<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get() + 1);
    }
}

/// Everything one allocator must do through the trait, in [`ROOM`]
/// bytes.
fn exercise<A: TypedAlloc + ?Sized>(a: &A) {
    let x = a.alloc_value(0x1234_5678_u32).unwrap();
    let y = a.alloc_value(7u8).unwrap();
    let z = a.alloc_value(-1i64).unwrap();
    *x += 1;
    *y += 1;
    assert_eq!((*x, *y, *z), (0x1234_5679, 8, -1));
    assert_eq!(z as *mut i64 as usize % 8, 0);

    let line = a.alloc_value(Line([3; 64])).unwrap();
    assert_eq!(line as *mut Line as usize % 64, 0);
    line.0[63] = 9;
    assert_eq!(line.0[..2], [3, 3]);

    let page = a.alloc_value(Page(1)).unwrap();
    assert_eq!(page as *mut Page as usize % 4096, 0);
    assert_eq!(*page, Page(1));

    // Zero-sized values take no memory and are aligned.
    let unit = a.alloc_value(()).unwrap();
    *unit = ();
    let empty: &mut [Line] = a.alloc_slice_copy(&[]).unwrap();
    assert!(empty.is_empty());
    assert_eq!(empty.as_ptr() as usize % 64, 0);
    assert_eq!(a.alloc_str("").unwrap(), "");
    let zsts = a.alloc_slice_fill_with(1000, |_| ()).unwrap();
    assert_eq!(zsts.len(), 1000);

    let xs = a.alloc_slice_copy(&[1u16, 2, 3]).unwrap();
    xs[2] = 30;
    assert_eq!(xs, &[1, 2, 30]);
    let lines = a.alloc_slice_copy(&[Line([1; 64]), Line([2; 64])]).unwrap();
    assert_eq!(lines.as_ptr() as usize % 64, 0);
    assert_eq!(lines[1].0[0], 2);

    let squares = a.alloc_slice_fill_with(10, |i| (i * i) as u64).unwrap();
    assert_eq!(squares[9], 81);
    let s = a.alloc_str("héllo").unwrap();
    s.make_ascii_uppercase();
    assert_eq!(s, "HéLLO");

    // The earlier values are untouched by the later allocations.
    assert_eq!((*x, *y, *z), (0x1234_5679, 8, -1));
    assert_eq!(line.0[63], 9);

    // Values are never dropped.
    let drops = Cell::new(0);
    a.alloc_value(Loud(&drops)).unwrap();
    a.alloc_slice_fill_with(3, |_| Loud(&drops)).unwrap();
    assert_eq!(drops.get(), 0);

    // Too large a slice, too large an alignment.
    assert!(matches!(
        a.alloc_slice_fill_with(usize::MAX / 2, |_| 0u64),
        Err(Error::InvalidArgument(_))
    ));
    #[repr(align(8192))]
    struct Huge(#[allow(dead_code)] u8);
    assert!(matches!(
        a.alloc_value(Huge(0)),
        Err(Error::InvalidArgument(_))
    ));
}

const ROOM: usize = 5 * 4096;

#[test]
fn arena_scratch_bump_stack_and_region() {
    exercise(&Arena::new(ROOM).unwrap());
    exercise(&Scratch::new(ROOM).unwrap());
    exercise(&Bump::new(ROOM).unwrap());
    exercise(&Stack::new(ROOM).unwrap());
    exercise(&Region::new());
}

#[test]
fn growing_arenas() {
    exercise(&GrowArena::new());
    exercise(&GrowArena::builder().build_shared().unwrap());
    let a = GrowArena::new();
    exercise::<dyn crate::ArenaAlloc>(&a);
}

#[test]
#[cfg_attr(miri, ignore)]
fn mmap_arena() {
    exercise(&MmapArena::new(ROOM).unwrap());
}

#[test]
fn inherent_methods_need_no_import_and_fail_cleanly_when_full() {
    // No `use TypedAlloc` is needed for the inherent methods: call them
    // through a path that has none in scope.
    mod plain {
        pub fn run() {
            let a = crate::Arena::new(64).unwrap();
            let v = a.alloc_value([1u64; 4]).unwrap();
            assert_eq!(v.len(), 4);
            let before = a.stats();
            assert!(matches!(
                a.alloc_value([0u64; 8]),
                Err(crate::Error::OutOfMemory { .. })
            ));
            assert!(matches!(
                a.alloc_str(&"x".repeat(40)),
                Err(crate::Error::OutOfMemory { .. })
            ));
            assert_eq!(a.stats(), before);
            let g = crate::GrowArena::new();
            assert_eq!(g.alloc_str("grow").unwrap(), "grow");
        }
    }
    plain::run();
}

#[test]
fn reset_takes_mut_so_values_die_first() {
    let mut a = Arena::new(256).unwrap();
    let v = a.alloc_value(5u32).unwrap();
    *v += 1;
    assert_eq!(*v, 6);
    a.reset();
    // `v` cannot be used here (the borrow checker refuses it); the memory
    // is zero again.
    assert_eq!(*a.alloc_value(0u32).unwrap(), 0);
    assert_eq!(a.stats().objects, 1);
}
