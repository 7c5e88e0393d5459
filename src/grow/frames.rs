//! Which chunk holds an address, in constant time: the address space is
//! cut into frames of a power of two no larger than the smallest chunk the
//! arena can hold, so a frame meets at most two chunks (one covering its
//! first byte, one starting inside it). A hash table maps each frame a
//! chunk meets to those two chunk ids. (The core keeps a direct-mapped
//! cache of the chunks found last in front of it.)

use crate::hash::{K0, fold};

/// No chunk.
pub(super) const NONE: u32 = u32::MAX;

#[derive(Clone, Copy)]
struct Slot {
    /// Frame number + 1; 0 marks an empty slot.
    key: u64,
    /// The chunk covering the frame's first byte.
    lo: u32,
    /// The chunk starting inside the frame, after its first byte.
    hi: u32,
}

const EMPTY: Slot = Slot {
    key: 0,
    lo: NONE,
    hi: NONE,
};

/// The frame table (open addressing, linear probing, at most half full).
pub(super) struct Frames {
    shift: u32,
    slots: Vec<Slot>,
    len: usize,
}

impl Frames {
    /// A table for chunks of at least `min_chunk` bytes.
    pub(super) fn new(min_chunk: usize) -> Frames {
        Frames {
            shift: usize::BITS - 1 - min_chunk.max(1).leading_zeros(),
            slots: Vec::new(),
            len: 0,
        }
    }

    #[inline(always)]
    fn home(&self, key: u64) -> usize {
        fold(key, K0) as usize & (self.slots.len() - 1)
    }

    /// The chunks that may hold `addr`: (the one covering its frame's
    /// first byte, the one starting inside its frame), either `NONE`.
    pub(super) fn get(&self, addr: usize) -> (u32, u32) {
        let key = (addr >> self.shift) as u64 + 1;
        if self.slots.is_empty() {
            return (NONE, NONE);
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let s = self.slots[i];
            if s.key == key {
                return (s.lo, s.hi);
            }
            if s.key == 0 {
                return (NONE, NONE);
            }
            i = (i + 1) & mask;
        }
    }

    /// The slot of `key`, inserted empty if absent.
    fn entry(&mut self, key: u64) -> &mut Slot {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        while self.slots[i].key != key && self.slots[i].key != 0 {
            i = (i + 1) & mask;
        }
        if self.slots[i].key == 0 {
            self.slots[i].key = key;
            self.len += 1;
        }
        &mut self.slots[i]
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        self.slots = vec![EMPTY; (old.len() * 2).max(16)];
        let mask = self.slots.len() - 1;
        for s in old.into_iter().filter(|s| s.key != 0) {
            let mut i = self.home(s.key);
            while self.slots[i].key != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = s;
        }
    }

    /// The frames `base..base + size` meets, with whether the chunk
    /// covers each one's first byte.
    fn span(&self, base: usize, size: usize) -> impl Iterator<Item = (u64, bool)> + use<> {
        let first = base >> self.shift;
        let last = (base + size - 1) >> self.shift;
        let starts_on_frame = base & ((1 << self.shift) - 1) == 0;
        (first..=last).map(move |f| (f as u64 + 1, f != first || starts_on_frame))
    }

    /// Records chunk `id` at `base..base + size`.
    pub(super) fn add(&mut self, id: u32, base: usize, size: usize) {
        for (key, covers) in self.span(base, size) {
            let s = self.entry(key);
            if covers {
                s.lo = id;
            } else {
                s.hi = id;
            }
        }
    }

    /// Forgets chunk `id` at `base..base + size`.
    pub(super) fn remove(&mut self, id: u32, base: usize, size: usize) {
        for (key, _) in self.span(base, size) {
            let mask = self.slots.len() - 1;
            let mut i = self.home(key);
            while self.slots[i].key != key && self.slots[i].key != 0 {
                i = (i + 1) & mask;
            }
            if self.slots[i].key == 0 {
                debug_assert!(false, "a frame of chunk {id} not recorded");
                continue;
            }
            let s = &mut self.slots[i];
            if s.lo == id {
                s.lo = NONE;
            }
            if s.hi == id {
                s.hi = NONE;
            }
            if s.lo == NONE && s.hi == NONE {
                self.delete(i);
            }
        }
    }

    /// Empties slot `i`, moving later slots of the same probe run back so
    /// that every key stays reachable from its home.
    fn delete(&mut self, mut i: usize) {
        let mask = self.slots.len() - 1;
        self.slots[i] = EMPTY;
        self.len -= 1;
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            if self.slots[j].key == 0 {
                return;
            }
            let home = self.home(self.slots[j].key);
            // The entry at `j` may fill the hole at `i` unless its home
            // lies cyclically in `(i, j]`.
            if (j.wrapping_sub(home) & mask) >= (j.wrapping_sub(i) & mask) {
                self.slots[i] = self.slots[j];
                self.slots[j] = EMPTY;
                i = j;
            }
        }
    }

    pub(super) fn clear(&mut self) {
        self.slots.clear();
        self.len = 0;
    }
}
