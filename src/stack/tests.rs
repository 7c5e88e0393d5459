use proptest::prelude::*;

use super::*;
use crate::error::Error;

#[test]
fn stats_count_the_top_and_the_live_markers() {
    let mut s = Stack::new(1000).unwrap();
    let st = |s: &Stack| {
        let x = s.stats();
        (x.size, x.used, x.markers)
    };
    assert_eq!(st(&s), (1000, 0, 0));
    let m0 = s.mark();
    s.mark(); // the same top: still one marker
    s.push(b"abc").unwrap();
    s.mark();
    s.push_zeroed(100).unwrap();
    s.mark();
    assert_eq!(st(&s), (1000, 112, 3));
    s.pop(100).unwrap(); // discards the marker at 112
    assert_eq!(st(&s), (1000, 8, 2));
    s.restore(m0).unwrap(); // keeps m0, discards the one at 8
    assert_eq!(st(&s), (1000, 0, 1));
}

#[test]
fn pushes_are_aligned_copied_and_zero_padded() {
    let s = Stack::new(64).unwrap();
    let a = s.push(b"abc").unwrap();
    assert_eq!(a, b"abc");
    let a = a.as_ptr();
    let b = s.push_zeroed(9).unwrap();
    assert!(b.iter().all(|&x| x == 0));
    let b = b.as_ptr();
    assert_eq!(a as usize % 8, 0);
    assert_eq!(b as usize - a as usize, 8);
    assert_eq!(s.top(), 24);
    assert_eq!(s.capacity(), 64);
    // The padding after "abc" is zero.
    assert_eq!(a, s.buf.base().cast_const());
    // SAFETY: 8 bytes at the base are on the stack.
    assert_eq!(
        unsafe { std::slice::from_raw_parts(s.buf.base(), 8) },
        b"abc\0\0\0\0\0"
    );
    assert!(s.owns(a));
    assert!(!s.owns(a.wrapping_add(24)));
}

#[test]
fn aligned_pushes_pad_and_pop_back_with_a_restore() {
    let mut s = Stack::new(4096 * 2).unwrap();
    s.push(b"x").unwrap();
    let m = s.mark();
    for align in [16, 64, 4096] {
        let p = s.push_aligned_ptr(24, align).unwrap().as_ptr();
        assert_eq!(p as usize % align, 0);
        assert!(s.owns(p));
        // SAFETY: 24 bytes just pushed.
        assert!(
            unsafe { std::slice::from_raw_parts(p, 24) }
                .iter()
                .all(|&b| b == 0)
        );
        // SAFETY: as above.
        unsafe { p.write_bytes(0xEE, 24) };
    }
    let top = s.top();
    assert!(matches!(
        s.push_aligned_ptr(8, 24),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        s.push_aligned_ptr(0, 64),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        s.push_aligned_ptr(4096, 4096),
        Err(Error::OutOfMemory { .. })
    ));
    assert_eq!(s.top(), top);
    s.restore(m).unwrap();
    assert_eq!(s.top(), 8);
    assert!(s.push_zeroed(4096).unwrap().iter().all(|&b| b == 0));
}

#[test]
fn overflow_and_bad_sizes_leave_it_unchanged() {
    let s = Stack::new(20).unwrap();
    s.push(&[1; 16]).unwrap();
    assert_eq!(
        s.push(&[2]).unwrap_err().to_string(),
        "stack allocator out of memory: asked 1 bytes (8 with rounding and alignment), 4 left of 20"
    );
    assert!(matches!(s.push(&[]), Err(Error::InvalidArgument(_))));
    assert!(matches!(
        s.push_zeroed(usize::MAX),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        s.push_zeroed(usize::MAX - 7),
        Err(Error::OutOfMemory { .. })
    ));
    assert_eq!(s.top(), 16);
    for bad in [0, 7] {
        assert!(matches!(Stack::new(bad), Err(Error::InvalidArgument(_))));
    }
    assert!(matches!(
        Stack::new(usize::MAX),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn pop_zeroes_rounds_and_underflows() {
    let mut s = Stack::new(64).unwrap();
    s.push(&[9; 12]).unwrap();
    s.push(&[8; 5]).unwrap();
    assert_eq!(s.top(), 24);
    assert_eq!(
        s.pop(25).unwrap_err().to_string(),
        "stack: underflow: popping 25 bytes (32 with rounding) from a stack holding 24"
    );
    s.pop(1).unwrap();
    assert_eq!(s.top(), 16);
    assert_eq!(
        s.pop(17).unwrap_err().to_string(),
        "stack: underflow: popping 17 bytes (24 with rounding) from a stack holding 16"
    );
    assert!(matches!(s.pop(0), Err(Error::InvalidArgument(_))));
    assert!(matches!(s.pop(usize::MAX), Err(Error::InvalidArgument(_))));
    assert!(matches!(s.pop(usize::MAX - 7), Err(Error::Stack(_))));
    assert_eq!(s.top(), 16);
    s.pop(16).unwrap();
    assert_eq!(s.top(), 0);
    // SAFETY: the buffer's first 24 bytes.
    assert!(
        unsafe { std::slice::from_raw_parts(s.buf.base(), 24) }
            .iter()
            .all(|&x| x == 0)
    );
}

#[test]
fn markers_nest_and_survive_their_own_restore() {
    let mut s = Stack::new(128).unwrap();
    let outer = s.mark();
    s.push(&[1; 8]).unwrap();
    let inner = s.mark();
    assert_eq!((outer, inner), (0, 8));
    assert_eq!(s.mark(), 8, "a second marker at the same top is the same");
    for _ in 0..3 {
        s.push(&[2; 30]).unwrap();
        s.restore(inner).unwrap();
        assert_eq!(s.top(), 8);
        assert!(s.is_marker(inner));
    }
    s.push(&[3; 8]).unwrap();
    let deepest = s.mark();
    s.restore(outer).unwrap();
    assert_eq!(s.top(), 0);
    assert_eq!(
        s.restore(inner).unwrap_err().to_string(),
        "stack: marker 8 was discarded: the stack went below it (top is 0)"
    );
    assert!(!s.is_marker(deepest));
    for never in [24, 3, 4096, usize::MAX] {
        assert_eq!(
            s.restore(never).unwrap_err().to_string(),
            format!("stack: marker {never} was never taken (top is 0)")
        );
    }
    // A pop below a marker discards it; a pop down to it keeps it.
    s.push(&[4; 16]).unwrap();
    let m = s.mark();
    s.push(&[5; 8]).unwrap();
    s.pop(8).unwrap();
    assert!(s.is_marker(m));
    s.pop(8).unwrap();
    assert!(!s.is_marker(m));
    assert!(matches!(s.restore(m), Err(Error::Stack(_))));
    assert!(s.is_marker(0));
    assert_eq!(s.top(), 8);
}

#[test]
fn a_push_may_copy_from_the_stack_itself() {
    let s = Stack::new(64).unwrap();
    // SAFETY: 8 readable bytes.
    let p = unsafe { s.push_ptr(b"abcdefgh".as_ptr(), 8) }
        .unwrap()
        .as_ptr();
    // SAFETY: the 64-byte buffer is readable; the copy reads 8 pushed bytes
    // and 8 zero bytes above them, which it then overwrites.
    let q = unsafe { s.push_ptr(p, 16) }.unwrap().as_ptr();
    assert_eq!(q.cast_const(), p.wrapping_add(8));
    // SAFETY: 24 bytes on the stack.
    assert_eq!(
        unsafe { std::slice::from_raw_parts(p, 24) },
        b"abcdefghabcdefgh\0\0\0\0\0\0\0\0"
    );
}

#[test]
fn clear_bits_clears_exactly_the_range() {
    for (from, to) in [
        (0, 0),
        (0, 1),
        (3, 64),
        (63, 65),
        (5, 200),
        (64, 128),
        (70, 70),
    ] {
        let bits = zeroed_words(4).unwrap();
        for w in bits.iter() {
            w.set(!0);
        }
        clear_bits(&bits, from, to);
        for i in 0..256 {
            assert_eq!(
                bit(&bits, i),
                !(from..to).contains(&i),
                "{from}..{to} at {i}"
            );
        }
    }
}

/// What a test does to a stack.
#[derive(Debug, Clone)]
enum Op {
    Push(usize, u8),
    PushZeroed(usize),
    Pop(usize),
    Mark,
    /// Restore to the n-th marker ever taken (modulo how many).
    Restore(usize),
    /// Restore to an arbitrary value.
    RestoreBogus(usize),
}

fn op(cap: usize) -> impl Strategy<Value = Op> {
    let size = prop_oneof![
        10 => 0..=cap / 2 + 8,
        1 => Just(usize::MAX),
        1 => (usize::MAX - 16)..=usize::MAX,
    ];
    prop_oneof![
        5 => (size.clone(), 1u8..).prop_map(|(n, b)| Op::Push(n, b)),
        2 => size.clone().prop_map(Op::PushZeroed),
        3 => size.prop_map(Op::Pop),
        3 => Just(Op::Mark),
        3 => any::<usize>().prop_map(Op::Restore),
        1 => prop_oneof![0..=cap + 16, Just(usize::MAX)].prop_map(Op::RestoreBogus),
    ]
}

/// The model: the bytes on the stack, the live markers in order, and every
/// marker ever taken.
#[derive(Debug, Default)]
struct Model {
    cap: usize,
    bytes: Vec<u8>,
    live: Vec<usize>,
    taken: Vec<usize>,
}

impl Model {
    fn cut(&mut self, top: usize) {
        self.bytes.truncate(top);
        self.live.retain(|&m| m <= top);
    }

    /// What a restore to `m` must do: `Ok` when live, else `Err(discarded)`.
    fn check_restore(&self, m: usize) -> std::result::Result<(), bool> {
        if self.live.contains(&m) {
            Ok(())
        } else {
            Err(self.taken.contains(&m))
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn stack_follows_the_model(cap in 8usize..700, ops in prop::collection::vec(op(700), 1..80)) {
        let mut s = Stack::new(cap).unwrap();
        let base = s.buf.base() as usize;
        let mut m = Model { cap, ..Model::default() };
        for op in ops {
            match op {
                Op::Push(n, _) | Op::PushZeroed(n) => {
                    let rounded = n.checked_add(7).map(|r| r & !7);
                    let pattern = if let Op::Push(_, b) = op { Some(b) } else { None };
                    let got = match pattern {
                        // Large sizes fail before reading: a short source is enough.
                        Some(b) if n <= m.cap => s.push(&vec![b; n]).map(|x| x.as_mut_ptr()),
                        Some(b) => {
                            let one = [b];
                            // SAFETY: the size cannot fit, so nothing is read.
                            unsafe { s.push_ptr(one.as_ptr(), n) }.map(|p| p.as_ptr())
                        }
                        None => s.push_zeroed(n).map(|x| x.as_mut_ptr()),
                    };
                    match (n, rounded, got) {
                        (0, _, Err(Error::InvalidArgument(_))) | (_, None, Err(Error::InvalidArgument(_))) => {}
                        (_, Some(r), Ok(p)) if r <= m.cap - m.bytes.len() => {
                            prop_assert_eq!(p as usize, base + m.bytes.len());
                            let mut pushed = vec![pattern.unwrap_or(0); n];
                            pushed.resize(r, 0);
                            m.bytes.extend(pushed);
                        }
                        (_, Some(r), Err(Error::OutOfMemory { asked, needed, left, capacity, .. }))
                            if r > m.cap - m.bytes.len() =>
                        {
                            prop_assert_eq!((asked, needed, left, capacity), (n, r, m.cap - m.bytes.len(), m.cap));
                        }
                        (_, _, got) => prop_assert!(false, "push {}: model {:?} bytes, stack {:?}", n, m.bytes.len(), got),
                    }
                }
                Op::Pop(n) => {
                    let rounded = n.checked_add(7).map(|r| r & !7);
                    match (n, rounded, s.pop(n)) {
                        (0, _, Err(Error::InvalidArgument(_))) | (_, None, Err(Error::InvalidArgument(_))) => {}
                        (_, Some(r), Ok(())) if r <= m.bytes.len() => m.cut(m.bytes.len() - r),
                        (_, Some(r), Err(Error::Stack(msg))) if r > m.bytes.len() => {
                            prop_assert!(msg.starts_with("underflow"), "{}", msg);
                        }
                        (_, _, got) => prop_assert!(false, "pop {}: model {} bytes, stack {:?}", n, m.bytes.len(), got),
                    }
                }
                Op::Mark => {
                    let top = m.bytes.len();
                    prop_assert_eq!(s.mark(), top);
                    if m.live.last() != Some(&top) {
                        m.live.push(top);
                    }
                    m.taken.push(top);
                }
                Op::Restore(k) | Op::RestoreBogus(k) => {
                    let marker = match op {
                        Op::Restore(_) if !m.taken.is_empty() => m.taken[k % m.taken.len()],
                        _ => k,
                    };
                    match (m.check_restore(marker), s.restore(marker)) {
                        (Ok(()), Ok(())) => m.cut(marker),
                        (Err(discarded), Err(Error::Stack(msg))) => {
                            let want = if discarded { "was discarded" } else { "was never taken" };
                            prop_assert!(msg.contains(want), "{}: {}", want, msg);
                        }
                        (want, got) => prop_assert!(false, "restore {}: model {:?}, stack {:?}", marker, want, got),
                    }
                }
            }
            prop_assert_eq!(s.top(), m.bytes.len());
            // SAFETY: the whole buffer is readable.
            let all = unsafe { std::slice::from_raw_parts(s.buf.base(), cap) };
            prop_assert_eq!(&all[..m.bytes.len()], &m.bytes[..]);
            prop_assert!(all[m.bytes.len()..].iter().all(|&b| b == 0), "bytes above the top are zero");
            for off in (0..=cap).step_by(8) {
                prop_assert_eq!(s.is_marker(off), m.live.contains(&off), "marker {}", off);
            }
        }
    }
}
