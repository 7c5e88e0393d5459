//! Model tests of the free structure: random traces of allocations, frees,
//! reallocations, resets and trims against a model of the live blocks,
//! with every invariant of the core (`invariants.rs`) checked after each
//! step; and writes into freed blocks, which must never make the arena
//! hand out a live block.

use std::alloc::Layout;
use std::ptr::NonNull;

use proptest::prelude::*;

use super::*;
use crate::error::Error;

#[derive(Debug, Clone)]
enum Op {
    Alloc(usize),
    Aligned(usize, u32),
    Free(usize),
    Realloc(usize, usize),
    Reset,
    Trim,
}

/// Sizes across every path with 4 KiB chunks: quick lists (up to 1008),
/// bins, and large blocks (above 1 KiB).
fn size() -> impl Strategy<Value = usize> {
    prop_oneof![
        6 => 0usize..200,
        3 => 200usize..1100,
        1 => 1100usize..20_000,
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => size().prop_map(Op::Alloc),
        1 => (size(), 5u32..10).prop_map(|(n, a)| Op::Aligned(n, a)),
        6 => any::<usize>().prop_map(Op::Free),
        3 => (any::<usize>(), size()).prop_map(|(i, n)| Op::Realloc(i, n)),
        1 => Just(Op::Reset),
        1 => Just(Op::Trim),
    ]
}

/// A live block of the model: address, bytes written, fill byte.
type Live = (NonNull<u8>, usize, u8);

fn check(a: &GrowArena, live: &[Live], whole: bool) -> Result<(), TestCaseError> {
    if whole {
        a.validate();
    }
    let mut spans: Vec<_> = live
        .iter()
        .map(|&(p, _, _)| (p.as_ptr() as usize, a.usable_size(p.as_ptr()).unwrap()))
        .collect();
    spans.sort();
    for w in spans.windows(2) {
        prop_assert!(w[0].0 + w[0].1 <= w[1].0, "blocks overlap");
    }
    for &(p, n, t) in live {
        // SAFETY: live blocks of at least `n` bytes.
        let b = unsafe { std::slice::from_raw_parts(p.as_ptr(), n) };
        prop_assert!(b.iter().all(|&x| x == t), "a live block changed");
        prop_assert!(a.usable_size(p.as_ptr()).unwrap() >= n);
    }
    let s = a.stats();
    if whole {
        prop_assert_eq!(s.bytes_live, spans.iter().map(|s| s.1).sum::<usize>());
    }
    prop_assert!(s.bytes_held >= s.chunk_bytes);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 256 },
        ..ProptestConfig::default()
    })]

    /// Live blocks never overlap and keep their bytes, a second free is
    /// always refused, and every invariant of the free structure holds,
    /// through allocations, frees, reallocations, resets and trims.
    #[test]
    fn model(ops in proptest::collection::vec(op(), 1..if cfg!(miri) { 40 } else { 200 })) {
        let mut a = GrowArena::builder().chunk_size(4096).retain(1).build().unwrap();
        let mut live: Vec<Live> = Vec::new();
        let mut tag = 0u8;
        // Allocations before the last reset, which it forgot.
        let mut gone = 0u64;
        for op in ops {
            match op {
                Op::Alloc(n) | Op::Aligned(n, _) => {
                    let align = match op { Op::Aligned(_, a) => 1 << a, _ => 8 };
                    tag = tag.wrapping_add(1);
                    let p = a.alloc(Layout::from_size_align(n, align).unwrap()).unwrap();
                    prop_assert_eq!(p.as_ptr() as usize % align.max(16), 0);
                    // SAFETY: a fresh block of at least `n` bytes.
                    unsafe { p.as_ptr().write_bytes(tag, n) };
                    live.push((p, n, tag));
                }
                Op::Free(i) if !live.is_empty() => {
                    let (p, _, _) = live.swap_remove(i % live.len());
                    // SAFETY: ours.
                    unsafe { a.free(p) }.unwrap();
                    // SAFETY: refused, unless the address went to a new
                    // block in between (it did not: nothing ran).
                    let again = unsafe { a.free(p) };
                    prop_assert!(matches!(again, Err(Error::DoubleFree(_))), "{:?}", again);
                }
                Op::Realloc(i, n) if !live.is_empty() => {
                    let k = i % live.len();
                    let (p, old, t) = live[k];
                    let usable = a.usable_size(p.as_ptr()).unwrap();
                    // SAFETY: the block's usable bytes are ours to write.
                    unsafe { p.as_ptr().add(old).write_bytes(t, usable - old) };
                    // SAFETY: ours.
                    let q = unsafe { a.realloc(p, 8, n) }.unwrap();
                    // Every usable byte is kept, up to the new size.
                    let kept = usable.min(n);
                    // SAFETY: at least `kept` bytes.
                    let b = unsafe { std::slice::from_raw_parts(q.as_ptr(), kept) };
                    prop_assert!(b.iter().all(|&x| x == t));
                    // SAFETY: ours now.
                    unsafe { q.as_ptr().write_bytes(t, n) };
                    live[k] = (q, n, t);
                }
                Op::Reset => {
                    a.reset();
                    gone += live.len() as u64;
                    live.clear();
                }
                Op::Trim => {
                    a.trim();
                }
                _ => {}
            }
            let s = a.stats();
            prop_assert_eq!(s.allocations - s.frees - gone, live.len() as u64);
            check(&a, &live, true)?;
        }
    }
}

/// Writes into freed blocks (use after free) damage the links the quick
/// lists and bins keep in freed memory; the side table catches every link
/// that does not name a free block, so the arena never hands out a live
/// block and never writes into one (the damaged lists lose their blocks
/// until a reset, so the walk of `invariants.rs` does not apply).
#[test]
fn writes_into_freed_blocks_never_hand_out_live_ones() {
    let values = [
        0u64,
        1,
        u64::MAX - 1,
        0x0000_0000_0000_0010,
        0x0000_0001_0000_0000,
    ];
    for (round, &junk) in values.iter().enumerate() {
        // Spares are kept, so freed memory stays the arena's: the writes
        // below never reach memory given back to the system.
        let a = GrowArena::builder()
            .chunk_size(4096)
            .retain(1000)
            .build()
            .unwrap();
        let mut live: Vec<Live> = Vec::new();
        for i in 0..200usize {
            // Quick-list sizes, and a size that is merged at once.
            let n = [48, 48, 1010, 64, 48][i % 5];
            let p = a.alloc(Layout::from_size_align(n, 8).unwrap()).unwrap();
            // SAFETY: fresh.
            unsafe { p.as_ptr().write_bytes(i as u8, n) };
            live.push((p, n, i as u8));
        }
        // Free every third block, then scribble on the freed ones' links.
        let mut freed = Vec::new();
        for k in (0..live.len()).rev().step_by(3) {
            let (p, _, _) = live.swap_remove(k);
            // SAFETY: ours.
            unsafe { a.free(p) }.unwrap();
            freed.push(p);
        }
        for p in &freed {
            // SAFETY: deliberately writing into freed memory: it is still
            // mapped (the arena keeps its chunks), which is what a buggy C
            // program does.
            unsafe {
                p.as_ptr()
                    .cast::<u64>()
                    .write(junk.wrapping_add(round as u64))
            };
        }
        for i in 0..300usize {
            let n = [48, 1010, 64, 16][i % 4];
            let p = a.alloc(Layout::from_size_align(n, 8).unwrap()).unwrap();
            // SAFETY: fresh.
            unsafe { p.as_ptr().write_bytes(0xEE, n) };
            live.push((p, n, 0xEE));
            check(&a, &live, false).unwrap();
        }
    }
}
