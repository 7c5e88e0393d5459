use std::collections::BTreeSet;
use std::ptr;

use proptest::prelude::*;

use super::*;
use crate::error::Error;

#[test]
fn blocks_are_aligned_zeroed_and_counted() {
    let pool = BlockPool::new(12, 4).unwrap();
    assert_eq!(
        (pool.block_size(), pool.stride(), pool.capacity()),
        (12, 16, 4)
    );
    let a = pool.alloc_ptr().unwrap().as_ptr() as usize;
    let b = pool.alloc().unwrap();
    assert_eq!(b.len(), 12);
    assert!(b.iter().all(|&x| x == 0));
    let b = b.as_ptr() as usize;
    assert_eq!(a % 8, 0);
    assert_eq!(b - a, 16);
    assert_eq!(
        pool.stats(),
        BlockStats {
            total: 4,
            used: 2,
            free: 2,
            utilization: 0.5
        }
    );
}

#[test]
fn full_pool_says_so_and_stays_usable() {
    let mut pool = BlockPool::new(8, 3).unwrap();
    let ps: Vec<_> = (0..3).map(|_| pool.alloc_ptr().unwrap()).collect();
    let e = pool.alloc_ptr().unwrap_err();
    assert_eq!(e.code(), crate::error::ARN_E_CAPACITY);
    assert_eq!(e.to_string(), "no free blocks in pool: all 3 blocks in use");
    assert!(pool.try_alloc_ptr().is_none());
    assert_eq!(pool.stats().utilization, 1.0);
    pool.free_ptr(ps[1].as_ptr()).unwrap();
    assert_eq!(pool.alloc_ptr().unwrap(), ps[1]);
}

#[test]
fn free_zeroes_and_the_next_alloc_reuses_the_block() {
    let mut pool = BlockPool::new(20, 8).unwrap();
    let p = pool.alloc_ptr().unwrap().as_ptr();
    pool.alloc_ptr().unwrap();
    // SAFETY: the block has 24 bytes (20 rounded up), all ours.
    unsafe { p.write_bytes(0xEE, 24) };
    assert!(pool.owns(p.cast_const()));
    // SAFETY: as above.
    assert!(pool.owns(unsafe { p.add(23) }.cast_const()));
    pool.free_ptr(p).unwrap();
    assert!(!pool.owns(p.cast_const()));
    let q = pool.alloc().unwrap();
    assert_eq!(q.as_ptr(), p);
    assert!(q.iter().all(|&x| x == 0));
    // SAFETY: the padding of the block is inside the buffer.
    assert!(
        unsafe { std::slice::from_raw_parts(p, 24) }
            .iter()
            .all(|&x| x == 0)
    );
}

#[test]
fn an_alloc_after_a_free_takes_the_freed_word() {
    let mut pool = BlockPool::new(8, 256).unwrap();
    let base = pool.buf.base() as usize;
    for _ in 0..200 {
        pool.alloc_ptr().unwrap();
    }
    // Block 5 lies in word 0, far behind the allocation front in word 3.
    pool.free_ptr(pool.buf.base().wrapping_add(5 * 8)).unwrap();
    assert_eq!(pool.alloc_ptr().unwrap().as_ptr() as usize, base + 5 * 8);
    assert_eq!(pool.alloc_ptr().unwrap().as_ptr() as usize, base + 200 * 8);
}

#[test]
fn bad_frees_are_told_apart_and_change_nothing() {
    let mut pool = BlockPool::new(16, 4).unwrap();
    let p = pool.alloc_ptr().unwrap().as_ptr();
    // SAFETY: the block is 16 bytes.
    unsafe { p.write_bytes(7, 16) };
    let before = pool.stats();
    let base = pool.buf.base();
    let outside = 0u8;
    for bad in [
        ptr::null(),
        &outside as *const u8,
        base.wrapping_sub(16).cast_const(),
        base.wrapping_add(64).cast_const(),
    ] {
        let e = pool.free_ptr(bad).unwrap_err();
        assert_eq!(
            e,
            Error::ForeignPointer {
                addr: bad as usize,
                what: "block allocator"
            }
        );
    }
    let inside = p.wrapping_add(8);
    let e = pool.free_ptr(inside).unwrap_err();
    assert!(matches!(e, Error::ForeignPointer { .. }));
    assert!(e.to_string().ends_with("not at its start"), "{e}");
    let free_block = base.wrapping_add(32);
    let e = pool.free_ptr(free_block).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "double free: block 2 at {:#x} of the block allocator is already free",
            free_block as usize
        )
    );
    assert_eq!(pool.stats(), before);
    // SAFETY: the block is still ours.
    assert!(
        unsafe { std::slice::from_raw_parts(p, 16) }
            .iter()
            .all(|&x| x == 7)
    );
    pool.free_ptr(p).unwrap();
    assert!(matches!(pool.free_ptr(p), Err(Error::DoubleFree(_))));
}

#[test]
fn bad_sizes_are_invalid_arguments() {
    for (size, count) in [
        (0, 1),
        (1, 0),
        (usize::MAX, 1),
        (usize::MAX - 6, 1),
        (8, usize::MAX),
        (usize::MAX / 2, 3),
        (1 << 40, 1 << 30),
    ] {
        assert!(
            matches!(BlockPool::new(size, count), Err(Error::InvalidArgument(_))),
            "{size} x {count}"
        );
    }
}

#[test]
fn index_of_matches_division() {
    for stride in [8usize, 16, 24, 40, 56, 72, 96, 1000, 4096, 4104] {
        let pool = BlockPool::new(stride, 9).unwrap();
        assert_eq!(pool.stride(), stride);
        for off in 0..stride * 9 {
            let want = (off % stride == 0).then_some(off / stride);
            assert_eq!(pool.index_of(off), want, "stride {stride}, offset {off}");
        }
        // Past the end, and below the start (offsets wrap around).
        for off in (stride * 9..stride * 12).chain(usize::MAX - stride * 3..=usize::MAX) {
            assert_eq!(pool.index_of(off), None, "stride {stride}, offset {off}");
        }
    }
    for odd in [1usize, 3, 5, 7, 9, 125, 12345, usize::MAX] {
        assert_eq!(odd.wrapping_mul(inverse_mod_word(odd)), 1);
    }
}

/// Many words and several summary words: every block is handed out once,
/// the tail bits never are, and freed blocks come back wherever they are.
#[test]
#[cfg_attr(miri, ignore)]
fn fills_exactly_across_summary_words() {
    let count = 3 * 4096 + 77;
    let mut pool = BlockPool::new(8, count).unwrap();
    let base = pool.buf.base() as usize;
    let mut seen = vec![false; count];
    for _ in 0..count {
        let i = (pool.alloc_ptr().unwrap().as_ptr() as usize - base) / 8;
        assert!(!seen[i], "block {i} handed out twice");
        seen[i] = true;
    }
    assert!(pool.alloc_ptr().is_err());
    // Free a scattered set, then take them all back: exactly those return.
    let freed: BTreeSet<usize> = (0..count)
        .filter(|i| i % 997 == 3 || *i == count - 1)
        .collect();
    for &i in &freed {
        pool.free_ptr(pool.buf.base().wrapping_add(i * 8)).unwrap();
    }
    assert_eq!(pool.used(), count - freed.len());
    let back: BTreeSet<usize> = (0..freed.len())
        .map(|_| (pool.alloc_ptr().unwrap().as_ptr() as usize - base) / 8)
        .collect();
    assert_eq!(back, freed);
    assert!(pool.alloc_ptr().is_err());
    assert_eq!(pool.stats().free, 0);
}

/// What a test does to a block pool.
#[derive(Debug, Clone)]
enum Op {
    Alloc,
    /// Write a pattern into the n-th live block (modulo how many there are).
    Scribble(usize, u8),
    /// Free the n-th live block.
    Free(usize),
    /// Free a block that is not handed out (the n-th block, if free).
    FreeAgain(usize),
    /// Free a pointer `n` bytes into the n-th live block (0 < n < stride).
    FreeInside(usize, usize),
    /// Free a pointer outside the pool, `n` bytes before or after it.
    FreeForeign(bool, usize),
    /// Allocate until full.
    Fill,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => Just(Op::Alloc),
        3 => (any::<usize>(), 1u8..).prop_map(|(i, b)| Op::Scribble(i, b)),
        6 => any::<usize>().prop_map(Op::Free),
        1 => any::<usize>().prop_map(Op::FreeAgain),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(i, o)| Op::FreeInside(i, o)),
        1 => (any::<bool>(), 0usize..64).prop_map(|(after, o)| Op::FreeForeign(after, o)),
        1 => Just(Op::Fill),
    ]
}

fn counts() -> impl Strategy<Value = usize> {
    if cfg!(miri) {
        prop_oneof![1usize..70, Just(130)].boxed()
    } else {
        prop_oneof![4 => 1usize..200, 1 => 4090usize..4200].boxed()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn block_pool_follows_the_model(
        size in 1usize..40,
        count in counts(),
        ops in prop::collection::vec(op(), 1..100),
    ) {
        let mut pool = BlockPool::new(size, count).unwrap();
        let stride = size.next_multiple_of(8);
        let base = pool.buf.base() as usize;
        let base_ptr = pool.buf.base();
        let block = |i: usize| base_ptr.wrapping_add(i * stride);
        // The model: the indexes of the live blocks.
        let mut live: BTreeSet<usize> = BTreeSet::new();
        let nth = |live: &BTreeSet<usize>, n: usize| live.iter().nth(n % live.len()).copied();
        // The word of the last block freed, if nothing happened since: an
        // allocation then takes the lowest free block of that word.
        let mut freed_word: Option<usize> = None;
        let alloc = |pool: &BlockPool, live: &mut BTreeSet<usize>, freed_word: Option<usize>| -> std::result::Result<(), TestCaseError> {
            match pool.alloc_ptr() {
                Ok(p) => {
                    let off = p.as_ptr() as usize - base;
                    prop_assert_eq!(off % stride, 0);
                    let i = off / stride;
                    prop_assert!(i < count, "block {} of {}", i, count);
                    if let Some(w) = freed_word {
                        let lowest = (w * 64..count).find(|j| !live.contains(j));
                        prop_assert_eq!(Some(i), lowest, "an allocation after a free reuses its word");
                    }
                    prop_assert!(live.insert(i), "block {} handed out twice", i);
                    // SAFETY: a fresh block of `stride` bytes.
                    let bytes = unsafe { std::slice::from_raw_parts(p.as_ptr(), stride) };
                    prop_assert!(bytes.iter().all(|&b| b == 0), "fresh blocks are zero");
                }
                Err(e) => {
                    prop_assert_eq!(live.len(), count, "refused while not full: {}", e);
                    prop_assert_eq!(e, Error::NoFreeBlocks { capacity: count });
                }
            }
            Ok(())
        };
        for op in ops {
            let before = pool.stats();
            match op {
                Op::Alloc => alloc(&pool, &mut live, freed_word)?,
                Op::Fill => {
                    alloc(&pool, &mut live, freed_word)?;
                    while live.len() < count {
                        alloc(&pool, &mut live, None)?;
                    }
                    alloc(&pool, &mut live, None)?;
                }
                Op::Scribble(n, b) => {
                    if let Some(i) = (!live.is_empty()).then(|| nth(&live, n)).flatten() {
                        // SAFETY: a live block of `stride` bytes.
                        unsafe { block(i).write_bytes(b, stride) };
                    }
                }
                Op::Free(n) => {
                    if let Some(i) = (!live.is_empty()).then(|| nth(&live, n)).flatten() {
                        pool.free_ptr(block(i)).unwrap();
                        live.remove(&i);
                        freed_word = Some(i / 64);
                        // SAFETY: the block lies inside the buffer.
                        let bytes = unsafe { std::slice::from_raw_parts(block(i), stride) };
                        prop_assert!(bytes.iter().all(|&b| b == 0), "freed blocks are zeroed");
                    }
                }
                Op::FreeAgain(n) => {
                    let i = n % count;
                    if !live.contains(&i) {
                        let got = pool.free_ptr(block(i));
                        prop_assert!(matches!(got, Err(Error::DoubleFree(_))), "{:?}", got);
                    }
                }
                Op::FreeInside(n, o) => {
                    if stride > 1 && !live.is_empty() {
                        let i = nth(&live, n).unwrap();
                        let p = block(i).wrapping_add(1 + o % (stride - 1));
                        let got = pool.free_ptr(p);
                        prop_assert!(matches!(got, Err(Error::ForeignPointer { .. })), "{:?}", got);
                    }
                }
                Op::FreeForeign(after, o) => {
                    let p = if after { block(count).wrapping_add(o) } else { block(0).wrapping_sub(o + 1) };
                    let got = pool.free_ptr(p);
                    prop_assert_eq!(got, Err(Error::ForeignPointer { addr: p as usize, what: "block allocator" }));
                }
            }
            if !matches!(op, Op::Free(_)) {
                freed_word = None;
            }
            if matches!(op, Op::FreeAgain(_) | Op::FreeInside(..) | Op::FreeForeign(..)) {
                prop_assert_eq!(pool.stats(), before, "a failed free changes nothing");
            }
            let st = pool.stats();
            prop_assert_eq!((st.total, st.used, st.free), (count, live.len(), count - live.len()));
            prop_assert_eq!(st.utilization, live.len() as f64 / count as f64);
            // The summary agrees with the bitmap.
            for (w, word) in pool.bits.iter().enumerate() {
                let full_bit = pool.full[w >> 6].get() >> (w & 63) & 1 == 1;
                prop_assert_eq!(full_bit, word.get() == !0, "summary of word {}", w);
            }
        }
    }
}
