//! The one hash of the crate: a 64×64→128-bit multiply folded back to 64
//! bits ([`fold`]), and [`MixHasher`], the keyed hasher built on it that the
//! arena maps use, with [`MixState`] to hand it to other maps. The object
//! pool hashes addresses with `fold` alone.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// 128-bit product folded to 64 bits: every input bit reaches the middle
/// of the result.
#[inline(always)]
pub(crate) fn fold(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

pub(crate) const K0: u64 = 0x243f_6a88_85a3_08d3;
pub(crate) const K1: u64 = 0x1319_8a2e_0370_7344;
pub(crate) const K2: u64 = 0xa409_3822_299f_31d0;

/// A fresh seed: a global counter and an address, mixed. Each map (and
/// each [`MixState::new`]) takes one, so that two maps do not share
/// iteration orders or collisions.
pub(crate) fn new_seed(addr: usize) -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let here = &COUNTER as *const AtomicU64 as u64;
    fold(n.wrapping_add(K0) ^ here, (addr as u64) ^ K1) | 1
}

/// The hasher of [`ArenaMap`](crate::ArenaMap): one folded 64×64→128-bit
/// multiply per integer or per 16 bytes, keyed by a seed.
///
/// Fast, and spreads sequential keys well, but not built to resist keys
/// chosen by an attacker who can watch timings (std's SipHash is). Use it
/// in another map through [`MixState`].
///
/// ```
/// use std::hash::{Hash, Hasher};
/// let mut h = arn::MixHasher::new(42);
/// 7u64.hash(&mut h);
/// let a = h.finish();
/// let mut h = arn::MixHasher::new(42);
/// 7u64.hash(&mut h);
/// assert_eq!(a, h.finish());
/// ```
#[derive(Clone, Debug)]
pub struct MixHasher {
    acc: u64,
    key: u64,
}

impl MixHasher {
    /// A hasher keyed by `seed`.
    #[inline(always)]
    pub fn new(seed: u64) -> Self {
        MixHasher {
            acc: seed,
            key: seed ^ K1,
        }
    }
}

impl Hasher for MixHasher {
    #[inline(always)]
    fn write_u64(&mut self, x: u64) {
        self.acc = fold(self.acc ^ x, K0 ^ self.key);
    }

    #[inline(always)]
    fn write_u8(&mut self, x: u8) {
        self.write_u64(u64::from(x));
    }

    #[inline(always)]
    fn write_u16(&mut self, x: u16) {
        self.write_u64(u64::from(x));
    }

    #[inline(always)]
    fn write_u32(&mut self, x: u32) {
        self.write_u64(u64::from(x));
    }

    #[inline(always)]
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }

    #[inline(always)]
    fn write_u128(&mut self, x: u128) {
        self.acc = fold(self.acc ^ x as u64, ((x >> 64) as u64) ^ self.key ^ K2);
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let word = |b: &[u8]| u64::from_le_bytes(b.try_into().expect("8 bytes"));
        let mut chunks = bytes.chunks_exact(16);
        for c in &mut chunks {
            let lo = word(&c[..8]);
            let hi = word(&c[8..]);
            self.acc = fold(self.acc ^ lo ^ K2, hi ^ self.key).rotate_left(23) ^ self.acc;
        }
        let rest = chunks.remainder();
        let (lo, hi) = match rest.len() {
            0 => (0, 0),
            1..=7 => {
                let mut b = [0u8; 8];
                b[..rest.len()].copy_from_slice(rest);
                (u64::from_le_bytes(b), 0)
            }
            n => {
                // Two overlapping words cover 8..=15 bytes.
                (word(&rest[..8]), word(&rest[n - 8..]))
            }
        };
        self.acc = fold(
            self.acc ^ lo ^ K0,
            hi ^ self.key ^ (rest.len() as u64).wrapping_mul(K1),
        );
    }

    #[inline(always)]
    fn finish(&self) -> u64 {
        fold(self.acc, self.key ^ K2)
    }
}

/// Builds [`MixHasher`]s with one seed: the hasher state for a std or
/// hashbrown map, as `RandomState` is for SipHash.
///
/// ```
/// # fn main() -> arn::Result<()> {
/// let arena = arn::GrowArena::new();
/// let mut m = hashbrown::HashMap::with_hasher_in(arn::MixState::new(), &arena);
/// m.insert(1u64, "one");
/// assert_eq!(m[&1], "one");
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct MixState {
    seed: u64,
}

impl MixState {
    /// A state with a fresh seed (distinct from every other's in this
    /// process).
    pub fn new() -> MixState {
        let here = 0u8;
        MixState {
            seed: new_seed(&here as *const u8 as usize),
        }
    }

    /// A state with the given seed: the same seed hashes alike.
    pub fn with_seed(seed: u64) -> MixState {
        MixState { seed }
    }
}

impl Default for MixState {
    fn default() -> MixState {
        MixState::new()
    }
}

impl BuildHasher for MixState {
    type Hasher = MixHasher;

    #[inline(always)]
    fn build_hasher(&self) -> MixHasher {
        MixHasher::new(self.seed)
    }
}
