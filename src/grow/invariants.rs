//! What must hold of the core between any two calls, checked by walking
//! everything (tests only): the model tests run it after every step.

use std::collections::{HashMap, HashSet};

use super::class::{GRANULE_SHIFT, bin_of};
use super::core::{Core, Extent, NIL, QUICK, load, unpack};
use super::frames::NONE;
use super::side::{CACHED, FREED, LIVE, SIZE, USED, code};

impl Core {
    /// Panics, saying what, when the core is not consistent.
    pub(super) fn validate(&self) {
        // Blocks in the quick lists and the bins, by (chunk, granule).
        let mut cached = HashMap::new();
        for n in 1..=QUICK {
            let mut r = self.quick[n];
            let mut len = 0;
            while r != NIL {
                let (id, g) = unpack(r);
                let c = &self.chunks[id];
                assert_eq!(
                    c.side.state(g),
                    CACHED | code(n),
                    "quick list {n}: {id}/{g} not cached"
                );
                assert_eq!(c.side.next_start(g) - g, n, "quick list {n}: {id}/{g} size");
                assert!(
                    cached.insert((id, g), n).is_none(),
                    "{id}/{g} twice in the quick lists"
                );
                // SAFETY: a cached block holds its link.
                r = unsafe { load(c.at(g).cast::<u64>()) };
                len += 1;
            }
            assert_eq!(len, usize::from(self.qlen[n]), "quick list {n} length");
        }
        let mut binned = HashMap::new();
        for b in 0..self.bins.len() {
            let mut r = self.bins[b];
            let mut prev = NIL;
            assert_eq!(
                r != NIL,
                self.bin_bits[b / 64] >> (b % 64) & 1 == 1,
                "bin {b} bit"
            );
            while r != NIL {
                let (id, g) = unpack(r);
                let c = &self.chunks[id];
                let n = c.side.next_start(g) - g;
                assert_eq!(bin_of(n), b, "{id}/{g} of {n} granules in bin {b}");
                assert_eq!(c.side.state(g) & USED, 0, "{id}/{g} in bin {b} is used");
                // SAFETY: a binned block holds its links.
                let (next, back) = unsafe {
                    let node = c.at(g).cast::<u64>();
                    (load(node), load(node.add(1)))
                };
                assert_eq!(back, prev, "{id}/{g}: back link");
                assert!(
                    binned.insert((id, g), n).is_none(),
                    "{id}/{g} twice in the bins"
                );
                prev = r;
                r = next;
            }
        }
        let Extent { id: ext, top, end } = self.ext;
        if ext != NONE {
            assert!(top < end, "an empty extent");
        }
        // Every chunk: its runs partition it, free runs never touch, and
        // every free run is binned (or the extent), every cached one listed.
        let (mut used_bytes, mut small_bytes, mut large_bytes, mut chunks) = (0, 0, 0, 0);
        let mut large_live = 0;
        let mut seen = HashSet::new();
        for (id, c) in self.chunks.iter().enumerate() {
            if c.base.is_null() {
                continue;
            }
            chunks += 1;
            // SAFETY: a chunk of this arena.
            assert!(c.base as usize % 16 == 0);
            if !c.block.is_null() {
                large_bytes += c.size;
                large_live += c.end() - c.block as usize;
                continue;
            }
            small_bytes += c.size;
            let n = c.side.n;
            assert_eq!(n, c.size >> GRANULE_SHIFT);
            assert!(c.side.is_start(0) && c.side.is_start(n), "chunk {id} ends");
            let (mut g, mut live, mut prev_free) = (0, 0u64, false);
            while g < n {
                let next = c.side.next_start(g);
                let run = next - g;
                let state = c.side.state(g);
                if id == ext as usize && g == top {
                    assert_eq!(next, end, "the extent is one run");
                    assert_eq!(state & USED, 0, "the extent is free");
                    assert!(!prev_free, "chunk {id}: a free run before the extent");
                    prev_free = true;
                } else if state & USED == 0 {
                    assert!(!prev_free, "chunk {id}: free runs touch at {g}");
                    assert_eq!(
                        binned.get(&(id, g)),
                        Some(&run),
                        "chunk {id}: free run {g} not binned"
                    );
                    prev_free = true;
                } else {
                    assert_eq!(state & SIZE, code(run), "chunk {id}: size code at {g}");
                    if state & FREED != 0 {
                        assert_eq!(state, CACHED | code(run));
                        assert_eq!(
                            cached.get(&(id, g)),
                            Some(&run),
                            "chunk {id}: cached {g} unlisted"
                        );
                    } else {
                        assert_eq!(state & !SIZE, LIVE);
                        live += 1;
                    }
                    used_bytes += run << GRANULE_SHIFT;
                    prev_free = false;
                }
                for inner in g + 1..next {
                    assert_eq!(
                        c.side.state(inner) & USED,
                        0,
                        "chunk {id}: used bit inside a run at {inner}"
                    );
                }
                seen.insert((id, g));
                g = next;
            }
            assert_eq!(live, c.side.live(), "chunk {id}: live count");
            assert!(
                !(live == 0 && id != ext as usize && cached.keys().any(|k| k.0 == id)),
                "chunk {id}: only cached blocks, not flushed"
            );
        }
        assert!(
            binned.keys().chain(cached.keys()).all(|k| seen.contains(k)),
            "a listed block is no run start"
        );
        let n = &self.n;
        assert_eq!(n.chunks, chunks, "chunk count");
        assert_eq!(
            n.small_bytes, small_bytes,
            "bytes of chunks of small blocks"
        );
        assert_eq!(n.large_bytes, large_bytes, "bytes of large blocks' chunks");
        assert_eq!(n.large_live, large_live, "live bytes of large blocks");
        assert_eq!(n.small_used, used_bytes, "bytes of used small blocks");
        assert_eq!(
            n.spare_bytes,
            self.spare.iter().map(|c| c.size).sum::<usize>(),
            "spare bytes"
        );
        assert!(self.spare.len() <= self.retain, "more spares than retained");
        for c in &self.spare {
            assert_eq!(c.side.next_start(0), c.side.n, "a spare is one free run");
            assert_eq!(c.side.state(0) & USED, 0);
            assert_eq!(c.side.live(), 0);
        }
    }
}
