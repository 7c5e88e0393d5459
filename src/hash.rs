//! The one hash of the crate: a 64×64→128-bit multiply folded back to 64
//! bits ([`fold`]), and [`MixHasher`], the keyed hasher built on it that the
//! arena maps use. The object pool hashes addresses with `fold` alone.

use std::hash::Hasher;

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

/// The map's hasher: one folded multiply per integer or per 16 bytes, keyed
/// by the map's seed.
#[derive(Clone)]
pub(crate) struct MixHasher {
    acc: u64,
    key: u64,
}

impl MixHasher {
    #[inline(always)]
    pub(crate) fn new(seed: u64) -> Self {
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
