//! Tests of `ArenaVec` and the audit.

use std::cell::Cell;
use std::rc::Rc;

use proptest::prelude::*;

use super::test_arenas::{on_every_arena, small};
use super::{ArenaVec, Violation, audit, audit_as};
use crate::error::Error;
use crate::grow::{ArenaAlloc, GrowArena};

/// Model runs are shorter under Miri, which runs each operation thousands
/// of times slower; growth and chunk roll-over still happen.
const OPS: usize = if cfg!(miri) { 50 } else { 200 };

/// Counts its drops.
#[derive(Debug, Clone)]
struct Counted(u32, Rc<Cell<u32>>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.1.set(self.1.get() + 1);
    }
}

impl PartialEq for Counted {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

/// The same behaviour on any arena.
fn basics<A: ArenaAlloc + ?Sized>(a: &A) {
    let mut v: ArenaVec<'_, u64, A> = ArenaVec::new_in(a);
    assert!(v.is_empty());
    assert_eq!(v.capacity(), 0);
    let mut seen = Vec::new();
    for i in 0..1000u64 {
        v.push(i * 3).unwrap();
        if seen.last() != Some(&v.as_ptr()) {
            seen.push(v.as_ptr());
        }
        assert!(a.is_managed(v.as_ptr().cast()));
    }
    assert_eq!(v.len(), 1000);
    assert!(v.capacity() >= 1000);
    assert!(v.iter().enumerate().all(|(i, &x)| x == i as u64 * 3));
    assert_eq!(v.get(999), Some(&2997));
    assert_eq!(v.get(1000), None);
    assert_eq!(v.set(10, 7).unwrap(), 30);
    assert_eq!(
        v.set(1000, 7),
        Err(Error::OutOfBounds {
            index: 1000,
            len: 1000
        })
    );
    assert_eq!(v.remove(0).unwrap(), 0);
    assert_eq!(v[0], 3);
    assert_eq!(v.len(), 999);
    assert_eq!(
        v.remove(999),
        Err(Error::OutOfBounds {
            index: 999,
            len: 999
        })
    );
    assert_eq!(v.index_of(&7), Some(9));
    v.push(7).unwrap();
    assert_eq!(v.last_index_of(&7), Some(999));
    assert!(v.remove_value(&7));
    assert_eq!(v.index_of(&7), Some(998));
    assert!(!v.remove_value(&1));
    for x in v.iter_mut() {
        *x += 1;
    }
    assert_eq!(v[0], 4);
    v.clear();
    assert!(v.is_empty());
    assert!(v.capacity() >= 1000);
}

#[test]
fn push_get_set_remove_on_every_arena() {
    on_every_arena!(basics);
}

#[test]
fn growth_moves_storage_and_keeps_contents() {
    let a = small();
    let mut v = ArenaVec::with_capacity_in(2, &a).unwrap();
    assert!(v.capacity() >= 2);
    // Something after the vector, so it cannot grow in place.
    let mut other = ArenaVec::new_in(&a);
    other.push(1u8).unwrap();
    let mut moved = 0;
    for i in 0..200 {
        let before = v.as_ptr();
        v.push(i.to_string()).unwrap();
        moved += usize::from(v.as_ptr() != before);
    }
    assert!(moved >= 1, "grown past a later allocation");
    assert!(moved < 10, "doubling: {moved} moves");
    assert!(v.iter().enumerate().all(|(i, s)| *s == i.to_string()));
    assert!(other[0] == 1);
}

#[test]
fn drops_every_element_exactly_once() {
    let drops = Rc::new(Cell::new(0));
    let a = small();
    {
        let mut v = ArenaVec::new_in(&a);
        for i in 0..100 {
            v.push(Counted(i, drops.clone())).unwrap();
        }
        drop(v.set(3, Counted(1000, drops.clone())).unwrap());
        assert_eq!(drops.get(), 1);
        drop(v.remove(0).unwrap());
        assert_eq!(drops.get(), 2);
        assert!(v.remove_value(&Counted(1000, drops.clone())));
        // The probe and the removed element.
        assert_eq!(drops.get(), 4);
        v.clear();
        assert_eq!(drops.get(), 102);
        v.push(Counted(0, drops.clone())).unwrap();
        v.extend_from_slice(&[Counted(1, drops.clone()), Counted(2, drops.clone())])
            .unwrap();
        assert_eq!(drops.get(), 104, "the two originals");
        assert_eq!(v.pop().unwrap().0, 2);
        assert_eq!(drops.get(), 105);
    }
    assert_eq!(drops.get(), 107);
}

#[test]
fn drop_gives_the_storage_back() {
    let a = small();
    let v = {
        let mut v = ArenaVec::new_in(&a);
        v.extend_from_slice(&[1u64; 64]).unwrap();
        v.as_ptr()
    };
    assert!(a.usable_size(v.cast()).is_none(), "freed on drop");
}

#[test]
fn zero_sized_elements_use_no_storage() {
    let a = small();
    let mut v = ArenaVec::new_in(&a);
    for _ in 0..10_000 {
        v.push(()).unwrap();
    }
    assert_eq!(v.len(), 10_000);
    assert_eq!(v.capacity(), usize::MAX);
    assert_eq!(v.remove(5), Ok(()));
    assert!(v.remove_value(&()));
    assert_eq!(v.len(), 9_998);
    assert!(!a.is_managed(v.as_ptr().cast()));
    assert!(audit(&a, &v).is_empty());
}

#[test]
fn overflowing_capacity_is_refused() {
    let a = small();
    let e = ArenaVec::<u64>::with_capacity_in(usize::MAX / 4, &a).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
    let mut v = ArenaVec::<u64>::new_in(&a);
    v.push(1).unwrap();
    assert!(v.reserve(usize::MAX).is_err());
    assert_eq!(&*v, [1]);
}

#[test]
fn debug_prints_like_a_slice() {
    let a = small();
    let mut v = ArenaVec::new_in(&a);
    v.extend_from_slice(&[1, 2, 3]).unwrap();
    assert_eq!(format!("{v:?}"), "[1, 2, 3]");
}

#[test]
fn audit_reports_exactly_the_heap_pointers() {
    let a = small();
    let heap: Vec<Box<u64>> = (0..4).map(Box::new).collect();
    let mut arena_vals = ArenaVec::new_in(&a);
    arena_vals.extend_from_slice(&[10u64, 11, 12, 13]).unwrap();
    let mut v = ArenaVec::new_in(&a);
    for i in 0..8usize {
        let r: &u64 = if i % 2 == 0 {
            &arena_vals[i / 2]
        } else {
            &heap[i / 2]
        };
        v.push((i as u32, r)).unwrap();
    }
    let found = audit_as(&a, "vec", &v);
    let want: Vec<Violation> = (0..8)
        .filter(|i| i % 2 == 1)
        .map(|i| Violation {
            path: format!("vec[{i}].1"),
            addr: &*heap[i / 2] as *const u64 as usize,
            what: "reference",
        })
        .collect();
    assert_eq!(found, want);

    // Heap containers and boxes are always outside; raw pointers are
    // checked, NULL is fine, strings and slices are named.
    let inside: &u64 = &arena_vals[0];
    let s = String::from("heap");
    let value = (
        Box::new(5u8),
        Some(inside as *const u64),
        std::ptr::null::<u8>(),
        s.as_str(),
        [&arena_vals[1..]],
    );
    let found = audit(&a, &value);
    let paths: Vec<(&str, &str)> = found.iter().map(|v| (v.path.as_str(), v.what)).collect();
    assert_eq!(paths, [("value.0", "box"), ("value.3", "string")]);
    assert_eq!(found[1].addr, s.as_ptr() as usize);
    assert_eq!(
        found[1].to_string(),
        format!("value.3: string {:#x} outside the arena", found[1].addr)
    );

    // A vector in another arena: its storage is reported.
    let other = small();
    let mut elsewhere = ArenaVec::new_in(&other);
    elsewhere.push(1u8).unwrap();
    let found = audit(&a, &elsewhere);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].what, "vector storage");
    assert!(audit(&other, &elsewhere).is_empty());
}

#[derive(Debug, Clone)]
enum Op {
    Push(u16),
    Set(usize, u16),
    Remove(usize),
    RemoveValue(u16),
    Pop,
    Clear,
    Extend(Vec<u16>),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u16..24).prop_map(Op::Push),
        2 => (any::<usize>(), 0u16..24).prop_map(|(i, x)| Op::Set(i, x)),
        2 => any::<usize>().prop_map(Op::Remove),
        2 => (0u16..24).prop_map(Op::RemoveValue),
        1 => Just(Op::Pop),
        1 => Just(Op::Clear),
        1 => prop::collection::vec(0u16..24, 0..40).prop_map(Op::Extend),
    ]
}

proptest! {
    /// ArenaVec against `Vec` (few distinct values, so removals by value
    /// meet duplicates; elements own heap strings, so a wrong move
    /// or drop shows under Miri and in the comparisons), on a small-chunk
    /// arena next to another growing vector.
    #[test]
    fn behaves_like_vec(ops in prop::collection::vec(op(), 1..OPS)) {
        let a = GrowArena::builder().chunk_size(512).build().unwrap();
        let mut ours = ArenaVec::new_in(&a);
        let mut noise = ArenaVec::new_in(&a);
        let mut model: Vec<String> = Vec::new();
        for op in ops {
            match op {
                Op::Push(x) => {
                    ours.push(x.to_string()).unwrap();
                    model.push(x.to_string());
                }
                Op::Set(i, x) => {
                    let i = if model.is_empty() { i } else { i % (model.len() + 1) };
                    match ours.set(i, x.to_string()) {
                        Ok(old) => prop_assert_eq!(old, std::mem::replace(&mut model[i], x.to_string())),
                        Err(e) => prop_assert_eq!(e, Error::OutOfBounds { index: i, len: model.len() }),
                    }
                }
                Op::Remove(i) => {
                    let i = i % (model.len() + 1);
                    match ours.remove(i) {
                        Ok(x) => prop_assert_eq!(x, model.remove(i)),
                        Err(_) => prop_assert_eq!(i, model.len()),
                    }
                }
                Op::RemoveValue(x) => {
                    let x = x.to_string();
                    let at = model.iter().position(|y| *y == x);
                    prop_assert_eq!(ours.index_of(&x), at);
                    prop_assert_eq!(ours.last_index_of(&x), model.iter().rposition(|y| *y == x));
                    prop_assert_eq!(ours.remove_value(&x), at.is_some());
                    if let Some(i) = at {
                        model.remove(i);
                    }
                }
                Op::Pop => prop_assert_eq!(ours.pop(), model.pop()),
                Op::Clear => {
                    ours.clear();
                    model.clear();
                }
                Op::Extend(xs) => {
                    let xs: Vec<String> = xs.iter().map(u16::to_string).collect();
                    ours.extend_from_slice(&xs).unwrap();
                    model.extend_from_slice(&xs);
                }
            }
            noise.push(model.len()).unwrap();
            prop_assert_eq!(&*ours, model.as_slice());
            prop_assert!(ours.capacity() >= ours.len());
        }
    }
}

#[test]
fn the_c_vector_holds_its_old_storage_while_tracking_and_frees_it_all() {
    let a = small();
    let d: &dyn ArenaAlloc = &a;
    let mut v = super::vec::ByteVec::new(d, 8, 0).unwrap();
    for i in 0..1000u64 {
        // SAFETY: `i` is readable for the element's 8 bytes; `d` is the
        // vector's arena throughout.
        unsafe { v.push(d, (&i as *const u64).cast()) }.unwrap();
    }
    // Capacities 4, 8, ..., 1024: eight blocks left behind by growth,
    // kept (poisoned) by the tracking build, freed at once otherwise.
    assert_eq!(v.held(), if crate::track::ON { 8 } else { 0 });
    for i in 0..1000u64 {
        // SAFETY: an element of 8 bytes, in bounds.
        assert_eq!(unsafe { v.at(i as usize).unwrap().cast::<u64>().read() }, i);
    }
    v.remove(999).unwrap();
    v.clear();
    assert!(a.stats().bytes_live >= 1024 * 8);
    // SAFETY: the vector's own arena, not reset.
    unsafe { v.free(d) }.unwrap();
    assert_eq!(a.stats().bytes_live, 0);
}

#[test]
fn a_rust_vector_gives_every_block_back_on_drop() {
    let a = small();
    {
        let mut v = ArenaVec::new_in(&a);
        for i in 0..1000u32 {
            v.push(i).unwrap();
        }
        assert_eq!(v.pop(), Some(999));
        assert_eq!(v.remove(0).unwrap(), 0);
        v.extend_from_slice(&[1, 2, 3]).unwrap();
        assert_eq!(v.len(), 1001);
        assert_eq!(v[997..], [998, 1, 2, 3]);
    }
    assert_eq!(a.stats().bytes_live, 0);
}
