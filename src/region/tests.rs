use super::*;

#[test]
fn starts_empty_and_grows_by_64k_arenas() {
    let r = Region::new();
    assert_eq!(r.stats(), RegionStats::default());
    let a = r.alloc_ptr(10).unwrap();
    let b = r.alloc_ptr(8).unwrap();
    assert_eq!(a.as_ptr() as usize % 8, 0);
    assert_eq!(b.as_ptr() as usize - a.as_ptr() as usize, 16);
    assert_eq!(
        r.stats(),
        RegionStats {
            arns: 1,
            total_allocated: 24,
            current_arn_used: 24,
            current_arn_size: ARN_REGION_ARENA_SIZE,
        }
    );
    // Filling the first arena exactly, then one more byte, makes a second.
    r.alloc(ARN_REGION_ARENA_SIZE - 24).unwrap();
    assert_eq!(r.stats().current_arn_used, ARN_REGION_ARENA_SIZE);
    let c = r.alloc(1).unwrap();
    assert!(c.iter().all(|&x| x == 0));
    assert_eq!(
        r.stats(),
        RegionStats {
            arns: 2,
            total_allocated: ARN_REGION_ARENA_SIZE + 8,
            current_arn_used: 8,
            current_arn_size: ARN_REGION_ARENA_SIZE,
        }
    );
}

#[test]
fn a_large_request_gets_its_own_arena_and_keeps_the_current_one() {
    let r = Region::new();
    let small = r.alloc_ptr(100).unwrap();
    let big = r.alloc(ARN_REGION_ARENA_SIZE + 1).unwrap();
    assert_eq!(big.len(), ARN_REGION_ARENA_SIZE + 1);
    assert!(big.iter().all(|&x| x == 0));
    big.fill(7);
    let next = r.alloc_ptr(8).unwrap();
    // The current arena goes on where it was.
    assert_eq!(next.as_ptr() as usize - small.as_ptr() as usize, 104);
    let s = r.stats();
    assert_eq!(s.arns, 2);
    assert_eq!(s.current_arn_used, 112);
    assert_eq!(s.total_allocated, 112 + ARN_REGION_ARENA_SIZE + 8);
    assert!(r.owns(next.as_ptr()));
    // A large request in an empty region leaves no current arena.
    let r = Region::new();
    r.alloc(1 << 20).unwrap();
    let s = r.stats();
    assert_eq!(
        (s.arns, s.current_arn_size, s.total_allocated),
        (1, 0, 1 << 20)
    );
}

#[test]
fn free_all_leaves_the_region_usable() {
    let mut r = Region::new();
    for _ in 0..20 {
        r.alloc(10_000).unwrap().fill(1);
    }
    assert_eq!(r.stats().arns, 4);
    r.free_all();
    assert_eq!(r.stats(), RegionStats::default());
    let outside = 0u8;
    assert!(!r.owns(&outside));
    assert!(r.alloc(64).unwrap().iter().all(|&x| x == 0));
    assert_eq!(r.stats().arns, 1);
}

#[test]
fn bad_sizes_change_nothing() {
    let r = Region::new();
    r.alloc(8).unwrap();
    let before = r.stats();
    assert!(matches!(r.alloc(0), Err(Error::InvalidArgument(_))));
    assert!(matches!(
        r.alloc(usize::MAX),
        Err(Error::InvalidArgument(_))
    ));
    // Rounds fine, but no heap can give it.
    assert!(matches!(
        r.alloc(usize::MAX - 7),
        Err(Error::InvalidArgument(_) | Error::System { .. })
    ));
    assert_eq!(r.stats(), before);
}

#[test]
fn aligned_allocations_pad_in_the_current_arena_and_in_new_ones() {
    let r = Region::new();
    // The first arena is made by an aligned request.
    let a = r.alloc_aligned_ptr(24, 4096).unwrap();
    assert_eq!(a.as_ptr() as usize % 4096, 0);
    assert!(r.owns(a.as_ptr()));
    let b = r.alloc_aligned_ptr(8, 64).unwrap();
    assert_eq!(b.as_ptr() as usize % 64, 0);
    assert_eq!(b.as_ptr() as usize - a.as_ptr() as usize, 64);
    assert_eq!(r.stats().arns, 1);
    // Too large for a 64 KiB arena with its padding: one of its own, and
    // the current arena stays current.
    let used = r.stats().current_arn_used;
    let big = r.alloc_aligned_ptr(ARN_REGION_ARENA_SIZE - 8, 256).unwrap();
    assert_eq!(big.as_ptr() as usize % 256, 0);
    // SAFETY: the region handed out that many zeroed bytes.
    let bytes = unsafe { std::slice::from_raw_parts(big.as_ptr(), ARN_REGION_ARENA_SIZE - 8) };
    assert!(bytes.iter().all(|&x| x == 0));
    assert_eq!((r.stats().arns, r.stats().current_arn_used), (2, used));
    let before = r.stats();
    assert!(matches!(
        r.alloc_aligned_ptr(8, 48),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        r.alloc_aligned_ptr(8, 6),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        r.alloc_aligned_ptr(0, 64),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        r.alloc_aligned_ptr(usize::MAX - 8, 64),
        Err(Error::InvalidArgument(_))
    ));
    assert_eq!(r.stats(), before);
    // Small alignments are the plain path.
    assert_eq!(r.alloc_aligned_ptr(1, 2).unwrap().as_ptr() as usize % 8, 0);
}
