use proptest::prelude::*;

use super::*;
use crate::error::Error;

#[test]
fn alloc_rounds_to_eight_and_counts() {
    let a = Arena::new(64).unwrap();
    let p = a.alloc_ptr(1).unwrap().as_ptr() as usize;
    let q = a.alloc_ptr(9).unwrap().as_ptr() as usize;
    assert_eq!(p % 8, 0);
    assert_eq!(q - p, 8);
    assert_eq!(
        a.stats(),
        ArenaStats {
            size: 64,
            offset: 24,
            objects: 2,
            type_size: 0,
            count: 0
        }
    );
}

#[test]
fn exhaustion_reports_the_numbers() {
    let a = Arena::new(1_048_576).unwrap();
    a.alloc(1_048_576 - 64).unwrap();
    assert_eq!(
        a.alloc(128).unwrap_err().to_string(),
        "arena out of memory: asked 128 bytes, 64 left of 1048576"
    );
    assert_eq!(a.alloc(64).unwrap().len(), 64);
}

#[test]
fn copies_and_ownership() {
    let mut a = Arena::new(64).unwrap();
    let s = a.copy_cstr(c"hi").unwrap();
    assert_eq!(s.to_bytes(), b"hi");
    let p = s.as_ptr().cast::<u8>();
    assert!(a.owns(p));
    let outside = 0u8;
    assert!(!a.owns(&outside));
    a.reset();
    assert!(!a.owns(p));
    assert!(matches!(a.copy(&[]), Err(Error::InvalidArgument(_))));
}

#[test]
fn copy_from_ptr_may_overlap_the_arena() {
    let a = Arena::new(64).unwrap();
    let p = a.alloc_ptr(8).unwrap().as_ptr();
    // SAFETY: 8 bytes at p are ours, and the arena's 64 bytes are readable.
    unsafe {
        p.copy_from(b"abcdefgh".as_ptr(), 8);
        let c = a.copy_from_ptr(p, 16).unwrap().as_ptr();
        assert_eq!(c, p.add(8));
        assert_eq!(
            std::slice::from_raw_parts(c, 16),
            b"abcdefgh\0\0\0\0\0\0\0\0"
        );
    }
}

#[test]
fn typed_arena_slots() {
    let mut t = TypedArena::new(12, 3).unwrap();
    assert_eq!(t.capacity(), 3);
    let (i0, s0) = t.alloc().unwrap();
    s0.fill(7);
    let (i1, _) = t.alloc().unwrap();
    assert_eq!((i0, i1), (0, 1));
    assert_eq!(t.get_mut(0).unwrap(), &[7; 12]);
    assert_eq!(
        t.get_mut(2).unwrap_err(),
        Error::OutOfBounds { index: 2, len: 2 }
    );
    t.alloc().unwrap();
    assert!(matches!(
        t.alloc(),
        Err(Error::Full {
            what: "typed arena",
            capacity: 3
        })
    ));
    let st = t.stats();
    assert_eq!(
        (st.size, st.offset, st.type_size, st.count),
        (48, 48, 12, 3)
    );
    t.reset();
    assert!(t.is_empty());
    assert_eq!(t.alloc().unwrap().1, &[0; 12]);
    assert!(TypedArena::new(0, 1).is_err());
    assert!(TypedArena::new(1, 0).is_err());
    assert!(TypedArena::new(usize::MAX, 1).is_err());
    assert!(TypedArena::new(usize::MAX / 2, 3).is_err());
}

/// What a test does to an arena.
#[derive(Debug, Clone)]
enum Op {
    Alloc(usize),
    AllocAligned(usize, usize),
    /// Scribble on the n-th live allocation (modulo how many there are).
    Scribble(usize),
    Reset,
}

fn op(cap: usize) -> impl Strategy<Value = Op> {
    let size = prop_oneof![
        8 => 0..=cap + 16,
        1 => Just(usize::MAX),
        1 => (usize::MAX - 16)..=usize::MAX,
    ];
    let align = prop_oneof![
        8 => prop::sample::select(vec![1usize, 2, 4, 8, 16, 64, 256, 4096]),
        1 => prop::sample::select(vec![0usize, 3, 24, 8192, usize::MAX]),
    ];
    prop_oneof![
        6 => size.clone().prop_map(Op::Alloc),
        2 => (size, align).prop_map(|(n, a)| Op::AllocAligned(n, a)),
        3 => any::<usize>().prop_map(Op::Scribble),
        1 => Just(Op::Reset),
    ]
}

/// The model: a capacity, an offset and a count; what the arena must do.
#[derive(Debug, Default)]
struct Model {
    cap: usize,
    offset: usize,
    objects: usize,
    live: Vec<(usize, usize)>,
}

impl Model {
    /// Where an allocation of `n` bytes at `align` goes, if it fits, and the
    /// offset after it; `Err(true)` for an invalid argument, `Err(false)`
    /// for a full arena.
    fn place(
        &self,
        base: usize,
        n: usize,
        align: usize,
    ) -> std::result::Result<(usize, usize), bool> {
        if n == 0 || !align.is_power_of_two() || align > 4096 {
            return Err(true);
        }
        if align <= 8 {
            let Some(rounded) = n.checked_add(7).map(|r| r & !7) else {
                return Err(true);
            };
            return match self.offset.checked_add(rounded) {
                Some(end) if end <= self.cap => Ok((self.offset, end)),
                _ => Err(false),
            };
        }
        if n.checked_add(7).is_none() {
            return Err(true);
        }
        let start = (base + self.offset).next_multiple_of(align) - base;
        match start.checked_add(n) {
            Some(end) if end <= self.cap => Ok((start, end.next_multiple_of(8).min(self.cap))),
            _ => Err(false),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arena_follows_the_model(cap in 1usize..600, ops in prop::collection::vec(op(600), 1..80)) {
        let mut arena = Arena::new(cap).unwrap();
        let base = arena.buf.base() as usize;
        let mut m = Model { cap, ..Model::default() };
        for op in ops {
            match op {
                Op::Alloc(n) | Op::AllocAligned(n, _) => {
                    let align = if let Op::AllocAligned(_, a) = op { a } else { 8 };
                    let got = if let Op::AllocAligned(..) = op {
                        arena.alloc_aligned_ptr(n, align)
                    } else {
                        arena.alloc_ptr(n)
                    };
                    match (m.place(base, n, align), got) {
                        (Ok((start, end)), Ok(p)) => {
                            prop_assert_eq!(p.as_ptr() as usize, base + start);
                            prop_assert_eq!((base + start) % align.max(8), 0);
                            // SAFETY: the arena handed out n bytes at p.
                            let bytes = unsafe { std::slice::from_raw_parts(p.as_ptr(), n) };
                            prop_assert!(bytes.iter().all(|&b| b == 0), "fresh memory is zero");
                            m.offset = end;
                            m.objects += 1;
                            m.live.push((start, n));
                        }
                        (Err(true), Err(Error::InvalidArgument(_))) => {}
                        (Err(false), Err(Error::OutOfMemory { asked, left, capacity, .. })) => {
                            prop_assert_eq!((asked, left, capacity), (n, cap - m.offset, cap));
                        }
                        (want, got) => prop_assert!(false, "model {:?}, arena {:?}", want, got),
                    }
                }
                Op::Scribble(k) => {
                    if !m.live.is_empty() {
                        let (start, n) = m.live[k % m.live.len()];
                        // SAFETY: a live allocation of n bytes.
                        unsafe { arena.buf.base().add(start).write_bytes(0xA5, n) };
                    }
                }
                Op::Reset => {
                    arena.reset();
                    m.offset = 0;
                    m.objects = 0;
                    m.live.clear();
                }
            }
            let st = arena.stats();
            prop_assert_eq!((st.size, st.offset, st.objects), (m.cap, m.offset, m.objects));
            prop_assert!(m.offset % 8 == 0 || m.offset == m.cap);
            // Everything past the offset is zero, always.
            // SAFETY: offset..cap lies inside the buffer.
            let tail = unsafe {
                std::slice::from_raw_parts(arena.buf.base().add(m.offset), cap - m.offset)
            };
            prop_assert!(tail.iter().all(|&b| b == 0), "bytes past the offset are zero");
        }
    }
}

#[test]
fn rewind_zeroes_back_to_the_mark() {
    let mut a = Arena::new(64).unwrap();
    a.alloc(8).unwrap().fill(1);
    let m = a.mark();
    assert_eq!(m.offset(), 8);
    a.alloc(16).unwrap().fill(2);
    a.rewind(m).unwrap();
    assert_eq!(a.stats().offset, 8);
    assert_eq!(a.stats().objects, 1);
    let again = a.alloc(16).unwrap();
    assert!(again.iter().all(|&b| b == 0));
    // The byte before the mark is kept.
    assert_eq!(
        a.alloc(8).unwrap().as_ptr() as usize - 24,
        a.buf.base() as usize
    );
    // SAFETY: the first 8 bytes of the arena are in use.
    assert_eq!(unsafe { *a.buf.base() }, 1);
    let late = a.mark();
    a.reset();
    assert!(matches!(a.rewind(late), Err(Error::InvalidArgument(_))));
    assert_eq!(a.stats().offset, 0);
}
