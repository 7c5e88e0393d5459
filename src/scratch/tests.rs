use proptest::prelude::*;

use super::*;

#[test]
fn stats_follow_allocations_and_checkpoints() {
    let mut s = Scratch::new(256).unwrap();
    let st = |s: &Scratch| {
        let x = s.stats();
        (x.size, x.used, x.allocations, x.checkpoints)
    };
    assert_eq!(st(&s), (256, 0, 0, 0));
    s.alloc(3).unwrap();
    s.checkpoint().unwrap();
    s.alloc(16).unwrap();
    s.alloc(1).unwrap();
    s.checkpoint().unwrap();
    assert_eq!(st(&s), (256, 32, 3, 2));
    s.restore().unwrap();
    s.restore().unwrap();
    assert_eq!(st(&s), (256, 8, 1, 0));
}

#[test]
fn checkpoints_nest_and_restore_zeroes() {
    let mut s = Scratch::new(256).unwrap();
    s.alloc(8).unwrap().fill(1);
    s.checkpoint().unwrap();
    let a = s.alloc_ptr(16).unwrap();
    // SAFETY: 16 bytes at `a` were just handed out.
    unsafe { a.as_ptr().write_bytes(2, 16) };
    s.checkpoint().unwrap();
    s.alloc(32).unwrap().fill(3);
    assert_eq!((s.depth(), s.used()), (2, 56));
    s.restore().unwrap();
    assert_eq!((s.depth(), s.used()), (1, 24));
    s.restore().unwrap();
    assert_eq!((s.depth(), s.used()), (0, 8));
    let again = s.alloc(48).unwrap();
    assert_eq!(again.as_ptr(), a.as_ptr());
    assert!(again.iter().all(|&b| b == 0));
    assert_eq!(s.restore(), Err(Error::NoCheckpoint));
    assert_eq!(s.used(), 56);
}

#[test]
fn scope_reclaims_what_it_allocated() {
    let mut s = Scratch::new(64).unwrap();
    let n = s
        .scope(|s| {
            s.alloc(40).unwrap().fill(9);
            s.alloc(24).unwrap().len()
        })
        .unwrap();
    assert_eq!((n, s.used(), s.depth()), (24, 0, 0));
    assert!(s.alloc(64).unwrap().iter().all(|&b| b == 0));
}

#[test]
fn bad_sizes_change_nothing() {
    assert!(matches!(Scratch::new(0), Err(Error::InvalidArgument(_))));
    let mut s = Scratch::new(16).unwrap();
    s.checkpoint().unwrap();
    assert!(matches!(s.alloc(0), Err(Error::InvalidArgument(_))));
    assert!(matches!(s.alloc(17), Err(Error::OutOfMemory { .. })));
    assert_eq!((s.used(), s.depth()), (0, 1));
    assert_eq!(s.capacity(), 16);
}

#[derive(Debug, Clone)]
enum Op {
    Alloc(usize, u8),
    Checkpoint,
    Restore,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1usize..40, any::<u8>()).prop_map(|(n, b)| Op::Alloc(n, b)),
        2 => Just(Op::Checkpoint),
        2 => Just(Op::Restore),
    ]
}

proptest! {
    /// The model: the bytes in use (as written) and the stack of saved
    /// lengths. Everything past the used bytes must read as zero.
    #[test]
    fn behaves_like_a_vec_with_saved_lengths(ops in proptest::collection::vec(op(), 1..60)) {
        const CAP: usize = 512;
        let mut s = Scratch::new(CAP).unwrap();
        let mut used: Vec<u8> = Vec::new();
        let mut saved: Vec<usize> = Vec::new();
        for op in ops {
            match op {
                Op::Alloc(n, b) => {
                    let size = n.next_multiple_of(8);
                    match s.alloc(n) {
                        Ok(m) => {
                            prop_assert!(m.iter().all(|&x| x == 0));
                            m.fill(b);
                            used.extend(std::iter::repeat_n(b, n));
                            used.extend(std::iter::repeat_n(0, size - n));
                        }
                        Err(e) => {
                            prop_assert!(used.len() + size > CAP);
                            let out_of_memory = matches!(e, Error::OutOfMemory { .. });
                            prop_assert!(out_of_memory);
                        }
                    }
                }
                Op::Checkpoint => {
                    s.checkpoint().unwrap();
                    saved.push(used.len());
                }
                Op::Restore => match saved.pop() {
                    Some(len) => {
                        s.restore().unwrap();
                        used.truncate(len);
                    }
                    None => prop_assert_eq!(s.restore(), Err(Error::NoCheckpoint)),
                },
            }
            prop_assert_eq!(s.used(), used.len());
            prop_assert_eq!(s.depth(), saved.len());
        }
        // What is in use reads as written, and the rest as zero.
        // SAFETY: the slices handed out above are gone.
        let all = unsafe { s.arena.all_bytes() };
        prop_assert_eq!(&all[..used.len()], &used[..]);
        prop_assert!(all[used.len()..].iter().all(|&x| x == 0));
    }
}
