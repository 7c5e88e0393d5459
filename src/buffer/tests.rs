//! Buffer behaviour, on buffers from a fixed arena (the buddy arena's
//! buffers are the same type).

use bytes::{BufMut, Bytes};

use super::BytesExt;
use crate::error::Error;
use crate::fixed::FixedArena;

fn arena(slots: usize, size: usize) -> FixedArena {
    FixedArena::builder(slots, size).build().unwrap()
}

#[test]
fn writes_fill_the_front_and_freeze_without_copying() {
    let a = arena(4, 64);
    let mut b = a.allocate().unwrap();
    assert_eq!((b.len(), b.capacity(), b.is_empty()), (0, 64, true));
    b.put_slice(b"hello ");
    b.put_u32(0x776f_726c);
    b.put_u8(b'd');
    assert_eq!(b.written(), b"hello world");
    assert!(b.will_fit(53) && !b.will_fit(54));
    let p = b.written().as_ptr();
    let bytes = b.freeze();
    assert_eq!(&bytes[..], b"hello world");
    assert_eq!(bytes.as_ptr(), p, "freeze copies nothing");
}

#[test]
fn a_write_that_does_not_fit_fails_and_changes_nothing() {
    let a = arena(1, 8);
    let mut b = a.allocate().unwrap();
    b.try_put_slice(b"12345").unwrap();
    let e = b.try_put_slice(b"6789").unwrap_err();
    assert_eq!(
        e,
        Error::BufferFull {
            asked: 4,
            remaining: 3,
            capacity: 8
        }
    );
    assert_eq!(
        e.to_string(),
        "buffer full: writing 4 bytes, 3 left of 8 (no auto-spill)"
    );
    assert!(b.try_put_bytes(0, 4).is_err());
    assert_eq!(b.written(), b"12345");
    b.try_put_slice(b"678").unwrap();
    assert_eq!(b.remaining_mut(), 0);
    assert_eq!(&b.freeze()[..], b"12345678");
}

#[test]
#[should_panic(expected = "buffer full")]
fn bufmut_put_past_capacity_panics_without_spill() {
    let a = arena(1, 8);
    let mut b = a.allocate().unwrap();
    b.put_slice(b"123456789");
}

#[test]
fn auto_spill_moves_to_the_heap_and_gives_the_slot_back_at_once() {
    let a = FixedArena::builder(1, 8).auto_spill().build().unwrap();
    let mut b = a.allocate().unwrap();
    assert!(b.auto_spills());
    b.put_slice(b"1234");
    assert_eq!(a.stats().slots_free, 0);
    b.put_slice(b"56789abc");
    assert!(b.is_spilled());
    assert_eq!(a.stats().slots_free, 1, "the slot is back before freeze");
    assert_eq!(a.stats().spills, 1);
    // The slot is usable by someone else while the spilled buffer lives.
    let other = a.allocate().unwrap();
    b.put_bytes(b'!', 3);
    b.put_u16(0x4142);
    assert_eq!(b.len(), 17);
    assert!(b.capacity() >= 17);
    let bytes = b.freeze();
    assert_eq!(&bytes[..], b"123456789abc!!!AB");
    drop(other);
    let m = a.stats();
    assert_eq!(
        (m.allocations, m.frees, m.spills, m.slots_free),
        (2, 2, 1, 1)
    );
}

#[test]
fn chunk_mut_and_advance_mut_write_through_bufmut() {
    let a = FixedArena::builder(1, 16).auto_spill().build().unwrap();
    let mut b = a.allocate().unwrap();
    // `put` of another Buf goes through chunk_mut/advance_mut.
    b.put(&b"0123456789"[..]);
    b.put(&b"abcdefghij"[..]);
    assert!(b.is_spilled());
    assert_eq!(&b.freeze()[..], b"0123456789abcdefghij");
}

#[test]
fn an_empty_freeze_gives_the_slot_back() {
    let a = arena(1, 8);
    let bytes = a.allocate().unwrap().freeze();
    assert!(bytes.is_empty());
    assert_eq!(a.stats().slots_free, 1);
    assert!(a.allocate().is_ok());
}

#[test]
fn the_slot_returns_when_the_last_clone_or_slice_drops() {
    let a = arena(1, 16);
    let mut b = a.allocate().unwrap();
    b.put_slice(b"shared payload");
    let whole = b.freeze();
    let part = whole.slice(7..);
    let twin = whole.clone();
    drop(whole);
    assert!(a.allocate().is_err());
    drop(twin);
    assert!(a.allocate().is_err());
    assert_eq!(&part[..], b"payload");
    drop(part);
    assert!(a.allocate().is_ok());
}

#[test]
fn into_owned_copies_out_and_releases() {
    let a = arena(1, 16);
    let mut b = a.allocate().unwrap();
    b.put_slice(b"abc");
    let frozen: Bytes = b.freeze();
    let mut owned = frozen.into_owned();
    assert_eq!(a.stats().slots_free, 1);
    owned.put_slice(b"def");
    assert_eq!(&owned[..], b"abcdef");
}

#[test]
fn abandon_and_drop_give_the_slot_back() {
    let a = arena(1, 16);
    a.allocate().unwrap().abandon();
    let mut b = a.allocate().unwrap();
    b.put_slice(b"x");
    drop(b);
    let m = a.stats();
    assert_eq!((m.allocations, m.frees, m.slots_free), (2, 2, 1));
    assert_eq!(
        format!("{:?}", a.allocate().unwrap()),
        "Buffer { len: 0, capacity: 16, spilled: false }"
    );
}

/// The C layer's frozen bytes: the same sharing, with no box until the
/// first clone or slice.
mod shared {
    use super::*;
    use crate::buffer::shared::SharedBytes;

    fn frozen(a: &FixedArena, data: &[u8]) -> SharedBytes {
        let mut b = a.allocate().unwrap();
        b.put_slice(data);
        b.freeze_shared()
    }

    #[test]
    fn alone_it_gives_the_slot_back_on_drop() {
        let a = arena(1, 16);
        let bytes = frozen(&a, b"alone");
        assert_eq!(bytes.as_slice(), b"alone");
        assert_eq!(bytes.len(), 5);
        assert!(a.allocate().is_err());
        drop(bytes);
        assert_eq!(a.stats().slots_free, 1);
    }

    #[test]
    fn the_slot_returns_when_the_last_share_drops_in_any_order() {
        // Every order of dropping the original, a clone and a slice.
        for order in [
            [0, 1, 2],
            [0, 2, 1],
            [1, 0, 2],
            [1, 2, 0],
            [2, 0, 1],
            [2, 1, 0],
        ] {
            let a = arena(1, 16);
            let whole = frozen(&a, b"shared payload");
            let twin = whole.share();
            let part = whole.slice(7, 7).unwrap();
            assert_eq!(twin.as_ptr(), whole.as_ptr());
            assert_eq!(part.as_slice(), b"payload");
            let mut all = [Some(whole), Some(twin), Some(part)];
            for (n, i) in order.into_iter().enumerate() {
                assert!(a.allocate().is_err(), "order {order:?}, drop {n}");
                all[i] = None;
            }
            assert_eq!(a.stats().slots_free, 1, "order {order:?}");
        }
    }

    #[test]
    fn shares_of_shares_and_bounds() {
        let a = arena(1, 16);
        let whole = frozen(&a, b"0123456789");
        let part = whole.slice(2, 6).unwrap();
        let inner = part.slice(1, 2).unwrap();
        let twin = inner.share();
        assert_eq!(twin.as_slice(), b"34");
        assert_eq!(whole.slice(10, 0).unwrap().len(), 0);
        assert_eq!(
            whole.slice(8, 3).unwrap_err(),
            Error::OutOfBounds { index: 11, len: 10 }
        );
        assert!(matches!(
            whole.slice(usize::MAX, 2),
            Err(Error::OutOfBounds { .. })
        ));
        drop((whole, part, inner));
        assert!(a.allocate().is_err());
        drop(twin);
        assert_eq!(a.stats().slots_free, 1);
    }

    #[test]
    fn empty_and_spilled_buffers_freeze_too() {
        let a = arena(1, 8);
        let empty = a.allocate().unwrap().freeze_shared();
        assert_eq!(empty.len(), 0);
        assert!(!empty.as_ptr().is_null());
        assert_eq!(a.stats().slots_free, 1, "an empty freeze gives back");
        assert_eq!(empty.share().len(), 0);

        let a = FixedArena::builder(1, 8).auto_spill().build().unwrap();
        let mut b = a.allocate().unwrap();
        b.put_slice(b"more than eight bytes");
        let heap = b.freeze_shared();
        assert_eq!(a.stats().slots_free, 1, "a spill gives back at once");
        let part = heap.slice(10, 5).unwrap();
        drop(heap);
        assert_eq!(part.as_slice(), b"eight");
    }

    #[test]
    fn threads_share_and_drop_at_once() {
        let rounds = if cfg!(miri) { 4 } else { 200 };
        for _ in 0..rounds {
            let a = arena(1, 16);
            let bytes = std::sync::Arc::new(frozen(&a, b"threads"));
            let workers: Vec<_> = (0..2)
                .map(|_| {
                    let bytes = bytes.clone();
                    std::thread::spawn(move || {
                        let mine = bytes.share();
                        drop(bytes);
                        assert_eq!(mine.slice(1, 3).unwrap().as_slice(), b"hre");
                    })
                })
                .collect();
            drop(bytes);
            for w in workers {
                w.join().unwrap();
            }
            assert_eq!(a.stats().slots_free, 1);
        }
    }
}
