//! Tests of `ArenaMap`, its hasher and table, and `ByteMap`.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use proptest::prelude::*;

use super::map::{ByteMap, same};
use super::test_arenas::{on_every_arena, small};
use super::{ArenaMap, ArenaVec, audit_as};
use crate::grow::{ArenaAlloc, GrowArena};

/// Sizes shrink under Miri, which runs each operation thousands of times
/// slower; the shapes (growth, tombstones, chunk roll-over) stay.
const N: u64 = if cfg!(miri) { 200 } else { 2000 };
const OPS: usize = if cfg!(miri) { 60 } else { 400 };

fn basics<A: ArenaAlloc + ?Sized>(a: &A) {
    let mut m: ArenaMap<'_, u64, String, A> = ArenaMap::new_in(a);
    assert!(m.is_empty());
    assert_eq!(m.get(&1), None);
    assert_eq!(m.remove(&1), None);
    for i in 0..N {
        assert_eq!(m.insert(i, i.to_string()).unwrap(), None);
    }
    assert_eq!(m.len(), N as usize);
    assert!(m.capacity() >= N as usize);
    for i in 0..N {
        assert_eq!(m.get(&i).map(String::as_str), Some(i.to_string().as_str()));
    }
    assert_eq!(m.insert(7, "seven".into()).unwrap().as_deref(), Some("7"));
    assert_eq!(m.len(), N as usize);
    assert!(!m.add_if_absent(7, "x".into()).unwrap());
    assert_eq!(m.get(&7).unwrap(), "seven");
    assert!(m.add_if_absent(5000, "y".into()).unwrap());
    m.get_mut(&5000).unwrap().push('!');
    assert_eq!(m.get_key_value(&5000), Some((&5000, &"y!".to_string())));
    assert!(m.contains_key(&5000));
    for i in (0..N).step_by(2) {
        assert!(m.remove(&i).is_some());
    }
    assert_eq!(m.len(), N as usize / 2 + 1);
    assert!(!m.contains_key(&0));
    assert!(m.contains_key(&1));
    let storage = m.storage().unwrap();
    assert!(a.is_managed(storage.as_ptr()));
    m.clear();
    assert!(m.is_empty());
    assert_eq!(m.storage(), Some(storage), "clear keeps the table");
    assert_eq!(m.get(&1), None);
}

#[test]
fn insert_get_replace_remove_on_every_arena() {
    on_every_arena!(basics);
}

#[test]
fn string_keys_borrow_as_str_and_the_empty_key_is_a_key() {
    let a = small();
    let mut m = ArenaMap::new_in(&a);
    m.insert(String::new(), 0).unwrap();
    for w in ["a", "bb", "a longer key of more than sixteen bytes", "ccc"] {
        m.insert(w.to_string(), w.len()).unwrap();
    }
    assert_eq!(m.get(""), Some(&0));
    assert_eq!(m.get("a longer key of more than sixteen bytes"), Some(&39));
    assert_eq!(m.remove("bb"), Some(2));
    assert_eq!(m.get("bb"), None);
    let mut bytes = ArenaMap::new_in(&a);
    bytes.insert(b"k".to_vec(), 1).unwrap();
    assert_eq!(bytes.get(&b"k"[..]), Some(&1));
    assert_eq!(format!("{bytes:?}"), "{[107]: 1}");
}

#[test]
fn iteration_visits_each_entry_once() {
    let a = small();
    let mut m = ArenaMap::new_in(&a);
    for i in 0..500u32 {
        m.insert(i, i * 2).unwrap();
    }
    for i in 0..250 {
        m.remove(&(i * 2));
    }
    let seen: Vec<(u32, u32)> = m.iter().map(|(&k, &v)| (k, v)).collect();
    assert_eq!(seen.len(), 250);
    let keys: HashSet<u32> = seen.iter().map(|&(k, _)| k).collect();
    assert_eq!(keys, (0..250).map(|i| i * 2 + 1).collect());
    assert!(seen.iter().all(|&(k, v)| v == k * 2));
}

#[test]
fn maps_have_their_own_orders() {
    let a = small();
    let orders: HashSet<Vec<u32>> = (0..4)
        .map(|_| {
            let mut m = ArenaMap::new_in(&a);
            for i in 0..64u32 {
                m.insert(i, ()).unwrap();
            }
            m.iter().map(|(&k, _)| k).collect()
        })
        .collect();
    assert!(orders.len() > 1, "every map iterated in the same order");
}

#[test]
fn remove_heavy_use_does_not_grow_forever() {
    let a = small();
    let mut m = ArenaMap::with_capacity_in(100, &a).unwrap();
    let cap = m.capacity();
    assert!(cap >= 100);
    for round in 0..N / 10 {
        for i in 0..50 {
            m.insert(round * 1000 + i, i).unwrap();
        }
        for i in 0..50 {
            assert_eq!(m.remove(&(round * 1000 + i)), Some(i));
        }
    }
    assert!(m.is_empty());
    assert_eq!(m.capacity(), cap, "tombstones were cleared, not grown past");
}

#[test]
fn capacity_is_what_fits_before_the_table_moves() {
    let a = small();
    for want in [1, 3, 7, 8, 14, 15, 100] {
        let mut m = ArenaMap::with_capacity_in(want, &a).unwrap();
        let cap = m.capacity();
        assert!(cap >= want);
        let storage = m.storage();
        for i in 0..cap as u64 {
            m.insert(i, ()).unwrap();
        }
        assert_eq!(m.storage(), storage, "{cap} entries fit");
        m.insert(u64::MAX, ()).unwrap();
        assert_ne!(m.storage(), storage, "one more moves the table");
        assert!(m.capacity() > cap);
    }
    assert_eq!(ArenaMap::<u8, u8>::new_in(&a).capacity(), 0);
}

#[test]
fn drops_every_entry_exactly_once_and_frees_the_table() {
    struct D(Rc<Cell<u32>>);
    impl Drop for D {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    let drops = Rc::new(Cell::new(0));
    let a = small();
    let storage = {
        let mut m = ArenaMap::new_in(&a);
        for i in 0..100u32 {
            m.insert(i, D(drops.clone())).unwrap();
        }
        drop(m.insert(5, D(drops.clone())).unwrap());
        assert_eq!(drops.get(), 1);
        drop(m.remove(&6));
        assert_eq!(drops.get(), 2);
        assert!(!m.add_if_absent(7, D(drops.clone())).unwrap());
        assert_eq!(drops.get(), 3);
        m.clear();
        assert_eq!(drops.get(), 102);
        for i in 0..10u32 {
            m.insert(i, D(drops.clone())).unwrap();
        }
        m.storage().unwrap()
    };
    assert_eq!(drops.get(), 112);
    assert!(a.usable_size(storage.as_ptr()).is_none());
}

#[test]
fn an_overflowing_capacity_is_refused() {
    let a = small();
    assert!(ArenaMap::<u64, u64>::with_capacity_in(usize::MAX / 2, &a).is_err());
}

#[test]
fn the_audit_names_map_entries() {
    let a = small();
    let inside = ArenaVec::with_capacity_in(1, &a)
        .map(|mut v| {
            v.push(1u64).unwrap();
            v
        })
        .unwrap();
    let outside = Box::new(2u64);
    let mut m = ArenaMap::new_in(&a);
    m.insert("in", &inside[0]).unwrap();
    m.insert("out", &*outside).unwrap();
    let found = audit_as(&a, "map", &m);
    // The keys are `&'static str`: they live in the binary, not the arena.
    let mut paths: Vec<(String, &str)> = found.iter().map(|v| (v.path.clone(), v.what)).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            ("map[\"in\"].key".to_string(), "string"),
            ("map[\"out\"]".to_string(), "reference"),
            ("map[\"out\"].key".to_string(), "string"),
        ]
    );
}

#[test]
fn the_hasher_spreads_integers_and_bytes() {
    use crate::hash::MixHasher;
    use std::hash::{BuildHasher, Hasher};
    #[derive(Default)]
    struct Build;
    impl BuildHasher for Build {
        type Hasher = MixHasher;
        fn build_hasher(&self) -> MixHasher {
            MixHasher::new(0x1234_5678)
        }
    }
    // Sequential integers: all distinct, top 7 bits and low bits both used.
    let hs: Vec<u64> = (0..4096u64).map(|i| Build.hash_one(i)).collect();
    assert_eq!(hs.iter().collect::<HashSet<_>>().len(), 4096);
    let tops: HashSet<u64> = hs.iter().map(|h| h >> 57).collect();
    assert_eq!(tops.len(), 128);
    let lows: HashSet<u64> = hs.iter().map(|h| h & 1023).collect();
    assert!(lows.len() > 900, "{}", lows.len());
    // Byte strings of every length up to 40, differing in one byte.
    let mut seen = HashSet::new();
    for len in 0..40 {
        for pos in 0..len.max(1) {
            let mut b = vec![0u8; len];
            if len > 0 {
                b[pos] = 1;
            }
            let mut h = Build.build_hasher();
            h.write(&b);
            seen.insert(h.finish());
        }
    }
    assert_eq!(seen.len(), 1 + (1..40).sum::<usize>());
}

#[test]
fn byte_map_copies_replaces_and_frees() {
    let a = small();
    let d: &dyn ArenaAlloc = &a;
    let mut m = ByteMap::new(d, 0).unwrap();
    // SAFETY: `a` is the map's arena throughout.
    unsafe {
        m.put(d, b"key", b"value").unwrap();
        m.put(d, b"", b"").unwrap();
        let v = m.get(b"key").unwrap();
        assert_eq!(std::slice::from_raw_parts(v.as_ptr(), v.len()), b"value");
        assert!(d.is_managed(v.as_ptr()));
        assert_eq!(m.get(b"").map(|v| v.len()), Some(0));
        m.put(d, b"key", b"another").unwrap();
        // The old value was freed (the tracking build holds it a while).
        assert_eq!(d.usable_size(v.as_ptr()).is_none(), !crate::track::ON);
        // A value put from inside the map itself.
        let v = m.get(b"key").unwrap();
        m.put(d, b"key", std::slice::from_raw_parts(v.as_ptr(), v.len()))
            .unwrap();
        let v2 = m.get(b"key").unwrap();
        assert_eq!(
            std::slice::from_raw_parts(v2.as_ptr(), v2.len()),
            b"another"
        );
        // A value of the same length, put again.
        m.put(d, b"key", b"changed").unwrap();
        let v3 = m.get(b"key").unwrap();
        assert_eq!(
            std::slice::from_raw_parts(v3.as_ptr(), v3.len()),
            b"changed"
        );
        assert!(!m.add_if_absent(d, b"key", b"x").unwrap());
        assert!(m.add_if_absent(d, b"new", b"x").unwrap());
        assert_eq!(m.len(), 3);
        assert!(m.remove(d, b"new"));
        assert!(!m.remove(d, b"new"));
        assert!(m.audit(d, 0).is_empty());
        let heap = Box::new(1u8);
        let ptr = (&*heap as *const u8 as usize).to_ne_bytes();
        m.put(d, b"p", &ptr).unwrap();
        let found = m.audit(d, 0);
        assert_eq!(found.len(), 1);
        let k = found[0].unwrap();
        assert_eq!(std::slice::from_raw_parts(k.as_ptr(), k.len()), b"p");
        m.clear(d);
        assert_eq!(m.len(), 0);
        m.free(d);
    }
}

#[derive(Debug, Clone)]
enum Op {
    Insert(u8, u32),
    AddIfAbsent(u8, u32),
    Remove(u8),
    Get(u8),
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (any::<u8>(), any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
        2 => (any::<u8>(), any::<u32>()).prop_map(|(k, v)| Op::AddIfAbsent(k, v)),
        6 => any::<u8>().prop_map(Op::Remove),
        3 => any::<u8>().prop_map(Op::Get),
        1 => Just(Op::Clear),
    ]
}

proptest! {
    /// ArenaMap against `HashMap`, keys as owned strings (so moves on
    /// rebuild and drops on remove/replace/clear are exercised), on a
    /// small-chunk arena.
    #[test]
    fn behaves_like_hash_map(ops in prop::collection::vec(op(), 1..OPS)) {
        let a = GrowArena::builder().chunk_size(512).build().unwrap();
        let mut ours = ArenaMap::new_in(&a);
        let mut model: HashMap<String, u32> = HashMap::new();
        for op in ops {
            match op {
                Op::Insert(k, v) => {
                    let k = k.to_string();
                    prop_assert_eq!(ours.insert(k.clone(), v).unwrap(), model.insert(k, v));
                }
                Op::AddIfAbsent(k, v) => {
                    let k = k.to_string();
                    let absent = !model.contains_key(&k);
                    if absent {
                        model.insert(k.clone(), v);
                    }
                    prop_assert_eq!(ours.add_if_absent(k, v).unwrap(), absent);
                }
                Op::Remove(k) => {
                    let k = k.to_string();
                    prop_assert_eq!(ours.remove(k.as_str()), model.remove(&k));
                }
                Op::Get(k) => {
                    let k = k.to_string();
                    prop_assert_eq!(ours.get(k.as_str()), model.get(&k));
                }
                Op::Clear => {
                    ours.clear();
                    model.clear();
                }
            }
            prop_assert_eq!(ours.len(), model.len());
        }
        let mut seen: Vec<(String, u32)> = ours.iter().map(|(k, &v)| (k.clone(), v)).collect();
        let mut want: Vec<(String, u32)> = model.into_iter().collect();
        seen.sort();
        want.sort();
        prop_assert_eq!(seen, want);
    }

    /// The byte map of the C functions against `HashMap<Vec<u8>, Vec<u8>>`.
    #[test]
    fn byte_map_behaves_like_hash_map(ops in prop::collection::vec(op(), 1..OPS)) {
        let a = GrowArena::builder().chunk_size(512).build().unwrap();
        let d: &dyn ArenaAlloc = &a;
        let mut ours = ByteMap::new(d, 0).unwrap();
        let mut model: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
        let key = |k: u8| vec![b'k'; usize::from(k % 20)];
        let val = |v: u32| v.to_le_bytes()[..(v % 5) as usize].to_vec();
        // SAFETY: `a` is the map's arena throughout.
        unsafe {
            for op in ops {
                match op {
                    Op::Insert(k, v) => {
                        ours.put(d, &key(k), &val(v)).unwrap();
                        model.insert(key(k), val(v));
                    }
                    Op::AddIfAbsent(k, v) => {
                        let absent = !model.contains_key(&key(k));
                        model.entry(key(k)).or_insert(val(v));
                        prop_assert_eq!(ours.add_if_absent(d, &key(k), &val(v)).unwrap(), absent);
                    }
                    Op::Remove(k) => prop_assert_eq!(ours.remove(d, &key(k)), model.remove(&key(k)).is_some()),
                    Op::Get(k) => {
                        let got = ours.get(&key(k)).map(|v| std::slice::from_raw_parts(v.as_ptr(), v.len()).to_vec());
                        prop_assert_eq!(got.as_ref(), model.get(&key(k)));
                    }
                    Op::Clear => {
                        ours.clear(d);
                        model.clear();
                    }
                }
                prop_assert_eq!(ours.len(), model.len());
            }
            ours.free(d);
        }
    }
}

proptest! {
    /// The key compare agrees with slice equality, around the lengths it
    /// compares word by word (8 to 16 bytes) and either side of them.
    #[test]
    fn same_is_slice_equality(
        a in proptest::collection::vec(0u8..3, 0..20),
        flip in proptest::option::of(0usize..20),
        cut in 0usize..2,
    ) {
        let mut b = a.clone();
        if let Some(i) = flip.filter(|&i| i < b.len()) {
            b[i] ^= 1;
        }
        b.truncate(b.len().saturating_sub(cut));
        prop_assert_eq!(same(&a, &b), a == b);
        prop_assert!(same(&a, &a));
    }
}

#[test]
fn the_c_map_holds_a_bounded_number_of_old_blocks_and_frees_them_all() {
    let a = small();
    let d: &dyn ArenaAlloc = &a;
    let mut m = ByteMap::new(d, 0).unwrap();
    for i in 0..1000u32 {
        // SAFETY: `d` is the map's arena throughout.
        unsafe { m.put(d, b"key", &i.to_ne_bytes()) }.unwrap();
    }
    // 999 replaced values: the tracking build keeps the newest of them,
    // up to its bound; the normal build frees each at once.
    let held = if crate::track::ON {
        super::hold::LIMIT_BLOCKS
    } else {
        0
    };
    assert_eq!(m.held(), held);
    let v = m.get(b"key").unwrap();
    // SAFETY: the value's live block of 4 bytes.
    assert_eq!(
        unsafe { std::slice::from_raw_parts(v.as_ptr(), v.len()) },
        999u32.to_ne_bytes()
    );
    // SAFETY: as above.
    assert!(unsafe { m.remove(d, b"key") });
    // SAFETY: as above, not reset.
    unsafe { m.free(d) };
    assert_eq!(a.stats().bytes_live, 0);
}
