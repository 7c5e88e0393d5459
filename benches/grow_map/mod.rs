//! Map put then get of 1 M pseudo-random `u64` keys: `ArenaMap` on a
//! `GrowArena` against hashbrown's `HashMap` with the same hasher
//! (`arn::MixState`, on the global allocator), against
//! `std::collections::HashMap` with its default (SipHash) hasher and, for
//! reference, with a fast folded-multiply hasher. Each variant once
//! growing from nothing and once pre-sized for all keys. One iteration =
//! 1 M inserts + 1 M lookups + dropping the map.
//!
//! `benches/grow.rs` declares `mod common; mod grow_map;` and calls
//! [`map_benches`].

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::hint::black_box;
use std::time::Duration;

use arn::{ArenaMap, GrowArena, MixState};
use criterion::Criterion;

use crate::common::report_group;

const KEYS: u64 = 1 << 20;

/// The `i`-th key: a multiplicative sequence, so keys are distinct and
/// spread over the whole `u64` range.
#[inline(always)]
fn key(i: u64) -> u64 {
    i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5851_F42D_4C95_7F2D
}

/// A fast hasher for the std map: one folded multiply per integer.
#[derive(Default, Clone, Copy)]
struct Fold;

struct FoldHasher(u64);

impl BuildHasher for Fold {
    type Hasher = FoldHasher;
    fn build_hasher(&self) -> FoldHasher {
        FoldHasher(0x243F_6A88_85A3_08D3)
    }
}

impl Hasher for FoldHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    #[inline(always)]
    fn write_u64(&mut self, x: u64) {
        let p = u128::from(self.0 ^ x) * 0x1319_8A2E_0370_7344_u128;
        self.0 = (p as u64) ^ ((p >> 64) as u64);
    }
    #[inline(always)]
    fn finish(&self) -> u64 {
        let p = u128::from(self.0) * 0xA409_3822_299F_31D1_u128;
        (p as u64) ^ ((p >> 64) as u64)
    }
}

/// Puts every key, then gets every key; returns the sum of the values.
macro_rules! put_get {
    ($map:expr, $insert:ident) => {{
        let mut m = $map;
        for i in 0..KEYS {
            let _ = black_box(m.$insert(key(i), i));
        }
        let mut sum = 0u64;
        for i in 0..KEYS {
            sum = sum.wrapping_add(*m.get(&key(i)).unwrap());
        }
        black_box(sum)
    }};
}

pub fn map_benches(c: &mut Criterion) {
    let arena = GrowArena::new();
    let n = KEYS as usize;
    for (group, presized) in [("map_put_get_1M", false), ("map_put_get_1M_presized", true)] {
        let mut g = c.benchmark_group(group);
        g.sample_size(10);
        g.measurement_time(Duration::from_secs(8));
        g.bench_function("arn_arena_map", |b| {
            b.iter(|| {
                let m = if presized {
                    ArenaMap::with_capacity_in(n, &arena).unwrap()
                } else {
                    ArenaMap::new_in(&arena)
                };
                put_get!(m, insert)
            })
        });
        g.bench_function("hashbrown_mix", |b| {
            b.iter(|| {
                let m: arn::hashbrown::HashMap<u64, u64, MixState> = if presized {
                    arn::hashbrown::HashMap::with_capacity_and_hasher(n, MixState::new())
                } else {
                    arn::hashbrown::HashMap::with_hasher(MixState::new())
                };
                put_get!(m, insert)
            })
        });
        g.bench_function("std_hashmap_sip", |b| {
            b.iter(|| {
                let m: HashMap<u64, u64> = if presized {
                    HashMap::with_capacity(n)
                } else {
                    HashMap::new()
                };
                put_get!(m, insert)
            })
        });
        g.bench_function("std_hashmap_fold", |b| {
            b.iter(|| {
                let m: HashMap<u64, u64, Fold> = if presized {
                    HashMap::with_capacity_and_hasher(n, Fold)
                } else {
                    HashMap::with_hasher(Fold)
                };
                put_get!(m, insert)
            })
        });
        g.finish();
    }
    map_report();
}

/// Prints the medians and ratios of [`map_benches`].
pub fn map_report() {
    let ids = [
        "arn_arena_map",
        "hashbrown_mix",
        "std_hashmap_sip",
        "std_hashmap_fold",
    ];
    for group in ["map_put_get_1M", "map_put_get_1M_presized"] {
        report_group(
            group,
            &ids,
            &[(0, 1, "<= 1.05"), (0, 2, "<= 0.50"), (0, 3, "(reference)")],
        );
    }
}
