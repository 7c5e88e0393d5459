//! Free blocks of the chunks of small blocks: bins by size class, merging
//! with free neighbours, splitting, and the extent small blocks are cut
//! from.
//!
//! A free block not waiting in a quick list is merged with the free blocks
//! on both sides as soon as it is freed, so no two free runs ever touch:
//! freed space of any size serves requests of any size, and a chunk whose
//! blocks are all free is one run, handed back whole. Each free run other
//! than the extent sits in the bin of the largest class it holds; a bin is
//! a doubly linked list threaded through its blocks' first two words
//! (`next`, `prev`), as chunk id and granule pairs. Sizes are never stored
//! in the blocks: they come from the side table's start bits.
//!
//! An allocation that misses its quick list and the extent takes the
//! first block of the smallest bin whose every block fits (its class), or
//! else of any larger bin, splitting off the rest. A large remainder
//! becomes the new extent. When nothing fits, the quick lists are merged
//! back first, then a spare chunk or a new one becomes the extent.

use super::class::{GRANULE_SHIFT, bin_of, class_granules, fit_class};
use super::core::{Core, Extent, NIL, QUICK, load, pack, store, unpack};
use super::frames::NONE;
use super::side::{CACHED, FREE, FREED, LIVE, USED, code};

impl Core {
    /// The first two words of the free block `r`.
    #[inline(always)]
    fn node(&self, r: u64) -> *mut u64 {
        let (id, g) = unpack(r);
        let c = &self.chunks[id];
        assert!(
            g < c.side.n,
            "a free list names a granule outside its chunk"
        );
        c.at(g).cast()
    }

    /// Puts the free run `g..g + n` of chunk `id` first in its bin.
    pub(super) fn link(&mut self, id: usize, g: usize, n: usize) {
        let b = bin_of(n);
        let r = pack(id, g);
        let mut head = self.bins[b];
        // A bin whose first run is not free any more was damaged through a
        // freed block: it is cut rather than written through.
        if head != NIL && !self.free_run(head) {
            head = NIL;
        }
        let node = self.node(r);
        // SAFETY: a free block of ours, at least 16 bytes, 16-aligned.
        unsafe { store(node, head) };
        // SAFETY: as above.
        unsafe { store(node.add(1), NIL) };
        if head != NIL {
            // SAFETY: the head of the bin, a free block of ours (checked).
            unsafe { store(self.node(head).add(1), r) };
        }
        self.bins[b] = r;
        self.bin_bits[b / 64] |= 1 << (b % 64);
    }

    /// Whether `r` names the start of a free run (links read from freed
    /// memory are checked before anything is written through them).
    fn free_run(&self, r: u64) -> bool {
        let (id, g) = unpack(r);
        self.chunks
            .get(id)
            .is_some_and(|c| g < c.side.n && c.side.is_start(g) && c.side.state(g) & USED == 0)
    }

    /// Takes the free run `g..g + n` of chunk `id` out of its bin. A link
    /// that does not name a free run (overwritten through a freed block)
    /// is cut rather than followed.
    pub(super) fn unlink(&mut self, id: usize, g: usize, n: usize) {
        let b = bin_of(n);
        let r = pack(id, g);
        let node = self.node(r);
        // SAFETY: a free block of ours, holding its links.
        let (next, prev) = unsafe { (load(node), load(node.add(1))) };
        let next = if next != NIL && self.free_run(next) {
            next
        } else {
            NIL
        };
        let prev = if prev != NIL && self.free_run(prev) {
            prev
        } else {
            NIL
        };
        if prev == NIL {
            if self.bins[b] == r {
                self.bins[b] = next;
            }
        } else {
            // SAFETY: a free block of ours (checked).
            unsafe { store(self.node(prev), next) };
        }
        if next != NIL {
            // SAFETY: as above.
            unsafe { store(self.node(next).add(1), prev) };
        }
        if self.bins[b] == NIL {
            self.bin_bits[b / 64] &= !(1 << (b % 64));
        }
    }

    /// The first non-empty bin at or above class `c`.
    fn first_bin(&self, c: usize) -> Option<usize> {
        let (w, bit) = (c / 64, c % 64);
        if w == 0 {
            let low = self.bin_bits[0] & (!0u64 << bit);
            if low != 0 {
                return Some(low.trailing_zeros() as usize);
            }
        }
        let high = self.bin_bits[1] & if w == 1 { !0u64 << bit } else { !0 };
        (high != 0).then(|| 64 + high.trailing_zeros() as usize)
    }

    /// Frees the run `g..g + n` of chunk `id` (a live or cached block, or
    /// the tail of one; the caller counts it), marking its start `state`,
    /// and merges it with its free neighbours: into the extent when it
    /// touches it, else into a bin; a chunk left as one free run becomes a
    /// spare.
    pub(super) fn release(&mut self, id: usize, g: usize, n: usize, state: u8) {
        self.n.small_used -= n << GRANULE_SHIFT;
        let (mut g, mut n) = (g, n);
        let c = &mut self.chunks[id];
        crate::track::taken_back(c.at(g), n << GRANULE_SHIFT);
        c.side.set_state(g, state);
        let ext = self.ext;
        let in_ext = ext.id as usize == id;
        let next = g + n;
        if next < c.side.n {
            if in_ext && next == ext.top {
                c.side.clear_start(next);
                self.ext.top = g;
                if g > 0 {
                    let prev = c.side.prev_start(g);
                    if c.side.state(prev) & USED == 0 {
                        c.side.clear_start(g);
                        self.unlink(id, prev, g - prev);
                        self.ext.top = prev;
                    }
                }
                return;
            }
            if c.side.state(next) & USED == 0 {
                let m = c.side.next_start(next) - next;
                c.side.clear_start(next);
                self.unlink(id, next, m);
                n += m;
            }
        }
        let c = &mut self.chunks[id];
        if g > 0 {
            let prev = c.side.prev_start(g);
            if c.side.state(prev) & USED == 0 {
                c.side.clear_start(g);
                if in_ext && prev == ext.top {
                    self.ext.end = g + n;
                    return;
                }
                self.unlink(id, prev, g - prev);
                n += g - prev;
                g = prev;
            }
        }
        if g == 0 && n == self.chunks[id].side.n && !in_ext {
            self.retire(id);
        } else {
            self.link(id, g, n);
        }
    }

    /// Chunk `id`, entirely free and in no bin, becomes a spare (its side
    /// table still tells which blocks were freed, until it is reused).
    pub(super) fn retire(&mut self, id: usize) {
        let c = self.remove_chunk(id);
        self.n.small_bytes -= c.size;
        self.n.spare_bytes += c.size;
        self.spare.push(c);
    }

    /// The extent stops being one: into a bin, or, with its chunk
    /// entirely free, the chunk becomes a spare. A chunk it leaves with no
    /// live block has its cached blocks merged back, so that they do not
    /// keep it from going back.
    pub(super) fn retire_extent(&mut self) {
        let Extent { id, top, end } = std::mem::replace(&mut self.ext, Extent::NONE);
        if id == NONE {
            return;
        }
        let id = id as usize;
        if top == 0 && end == self.chunks[id].side.n {
            self.retire(id);
            return;
        }
        self.link(id, top, end - top);
        if self.chunks[id].side.live() == 0 {
            self.flush_chunk(id);
        }
    }

    /// A live block of exactly `n` granules from the quick lists, the bins
    /// or the extent.
    pub(super) fn take_small(&mut self, n: usize) -> Option<(usize, usize)> {
        let c = fit_class(n);
        let floor = bin_of(n);
        // Each retry follows a list or bin dropped as overwritten:
        // progress every time.
        loop {
            if n <= QUICK && self.quick[n] != NIL {
                if let Some((id, g, _)) = self.pop_quick(n, self.quick[n]) {
                    return Some((id, g));
                }
                continue;
            }
            if self.first_bin(c) == Some(c) {
                if let Some(got) = self.take_bin(c, n, false) {
                    return Some(got);
                }
                continue;
            }
            // The bin below the class may hold a run large enough.
            if floor < c && self.bins[floor] != NIL {
                if let Some(got) = self.take_fit(floor, n) {
                    return Some(got);
                }
            }
            if self.ext.end - self.ext.top >= n {
                let (id, g, _) = self.carve(n);
                return Some((id, g));
            }
            if let Some(b) = self.first_bin(c) {
                if let Some(got) = self.take_bin(b, n, true) {
                    return Some(got);
                }
                continue;
            }
            return None;
        }
    }

    /// Looks through the first few runs of bin `b` for one of at least `n`
    /// granules, and takes it.
    fn take_fit(&mut self, b: usize, n: usize) -> Option<(usize, usize)> {
        let mut r = self.bins[b];
        for _ in 0..4 {
            if r == NIL || !self.free_run(r) {
                return None;
            }
            let (id, g) = unpack(r);
            let m = self.chunks[id].side.next_start(g) - g;
            if m >= n {
                return Some(self.take_run(id, g, m, n, false));
            }
            // SAFETY: a free run of ours (checked), holding its links.
            r = unsafe { load(self.node(r)) };
        }
        None
    }

    /// Takes the first block of bin `b` for a block of `n` granules,
    /// splitting off the rest (to the extent when `to_extent` and it is
    /// larger than the extent). `None` when the bin's first link was
    /// overwritten through a freed block (the bin is then dropped).
    fn take_bin(&mut self, b: usize, n: usize, to_extent: bool) -> Option<(usize, usize)> {
        let r = self.bins[b];
        let (id, g) = unpack(r);
        let ok = self
            .chunks
            .get(id)
            .is_some_and(|c| g < c.side.n && c.side.is_start(g) && c.side.state(g) & USED == 0);
        let m = if ok {
            self.chunks[id].side.next_start(g) - g
        } else {
            0
        };
        if !ok || m < n.max(class_granules(b)) {
            self.bins[b] = NIL;
            self.bin_bits[b / 64] &= !(1 << (b % 64));
            return None;
        }
        Some(self.take_run(id, g, m, n, to_extent))
    }

    /// Takes the free run `g..g + m` of chunk `id` for a block of `n`
    /// granules, splitting off the rest (to the extent when `to_extent`
    /// and it is larger than the extent).
    fn take_run(
        &mut self,
        id: usize,
        g: usize,
        m: usize,
        n: usize,
        to_extent: bool,
    ) -> (usize, usize) {
        self.unlink(id, g, m);
        let c = &mut self.chunks[id];
        c.side.set_state(g, LIVE | code(n));
        // SAFETY: a table with granules.
        unsafe { *c.side.raw().live() += 1 };
        if m > n {
            c.side.set_start(g + n);
            let rest = m - n;
            if to_extent && rest > self.ext.end - self.ext.top {
                self.retire_extent();
                self.ext = Extent {
                    id: id as u32,
                    top: g + n,
                    end: g + m,
                };
            } else {
                self.link(id, g + n, rest);
            }
        }
        self.n.small_used += n << GRANULE_SHIFT;
        self.n.allocations += 1;
        self.n.reused += 1;
        self.n.blocks(1);
        (id, g)
    }

    /// Merges every block waiting in a quick list back into the bins.
    pub(super) fn consolidate(&mut self) {
        self.flush_where(|_| true);
    }

    /// Merges the blocks of chunk `id` waiting in quick lists back.
    pub(super) fn flush_chunk(&mut self, id: usize) {
        self.flush_where(|r| unpack(r).0 == id);
    }

    /// Takes the blocks `pick` chooses out of the quick lists and merges
    /// them back. A list whose link does not name a cached block of its
    /// size (overwritten through a freed block) is cut there.
    fn flush_where(&mut self, pick: impl Fn(u64) -> bool) {
        for n in 1..=QUICK {
            let mut at = NIL; // the block before `r`, or the list head
            let mut kept = 0;
            let before = self.qlen[n];
            let mut r = self.quick[n];
            while r != NIL {
                let (id, g) = unpack(r);
                let ok = self
                    .chunks
                    .get(id)
                    .is_some_and(|c| g < c.side.n && c.side.state(g) == CACHED | code(n));
                if !ok {
                    self.set_link(n, at, NIL);
                    break;
                }
                let block = self.chunks[id].at(g).cast::<u64>();
                // SAFETY: a cached block of ours: its first word is the link.
                let next = unsafe { load(block) };
                if pick(r) {
                    self.set_link(n, at, next);
                    self.n.blocks(-1);
                    self.release(id, g, n, FREED);
                } else {
                    at = r;
                    kept += 1;
                }
                r = next;
            }
            // Taken out, or lost past an overwritten link.
            self.n.flushed += u64::from(before - kept);
            self.qlen[n] = kept;
        }
    }

    /// Points the link after `at` (the head of quick list `n` when `at` is
    /// `NIL`) at `r`.
    fn set_link(&mut self, n: usize, at: u64, r: u64) {
        if at == NIL {
            self.quick[n] = r;
        } else {
            let (id, g) = unpack(at);
            // SAFETY: `at` is a cached block of ours checked before.
            unsafe { store(self.chunks[id].at(g).cast::<u64>(), r) };
        }
    }

    /// Shrinks the live block `g..g + n` of chunk `id` to `m < n`
    /// granules, freeing the tail.
    pub(super) fn shrink_small(&mut self, id: usize, g: usize, n: usize, m: usize) -> bool {
        let side = &self.chunks[id].side;
        side.set_state(g, LIVE | code(m));
        side.set_start(g + m);
        self.release(id, g + m, n - m, FREE);
        self.n.shrunk += 1;
        true
    }

    /// Grows the live block `g..g + n` of chunk `id` to `m > n` granules
    /// into the free run behind it, if that run is large enough.
    pub(super) fn grow_small(&mut self, id: usize, g: usize, n: usize, m: usize) -> bool {
        let next = g + n;
        let need = m - n;
        let ext = self.ext;
        let c = &mut self.chunks[id];
        if next >= c.side.n {
            return false;
        }
        if ext.id as usize == id && next == ext.top {
            if ext.end - next < need {
                return false;
            }
            c.side.clear_start(next);
            if g + m < ext.end {
                c.side.set_start(g + m);
                self.ext.top = g + m;
            } else {
                self.ext = Extent::NONE;
            }
        } else {
            if c.side.state(next) & USED != 0 {
                return false;
            }
            let f = c.side.next_start(next) - next;
            if f < need {
                return false;
            }
            c.side.clear_start(next);
            self.unlink(id, next, f);
            if f > need {
                self.chunks[id].side.set_start(g + m);
                self.link(id, g + m, f - need);
            }
        }
        let c = &mut self.chunks[id];
        c.side.set_state(g, LIVE | code(m));
        self.n.small_used += need << GRANULE_SHIFT;
        self.n.grown += 1;
        true
    }

    /// The live block `g..g + n + extra` of chunk `id` trimmed to the `n`
    /// granules starting at the first address aligned to `align`; returns
    /// that granule.
    pub(super) fn align_block(
        &mut self,
        id: usize,
        g: usize,
        n: usize,
        extra: usize,
        align: usize,
    ) -> usize {
        let c = &self.chunks[id];
        let at = c.at(g) as usize;
        let lead = (at.next_multiple_of(align) - at) >> GRANULE_SHIFT;
        let tail = extra - lead;
        let start = g + lead;
        c.side.set_state(start, LIVE | code(n));
        if lead > 0 {
            c.side.set_start(start);
            self.release(id, g, lead, FREE);
        }
        if tail > 0 {
            self.chunks[id].side.set_start(start + n);
            self.release(id, start + n, tail, FREE);
        }
        start
    }
}
