//! The core both growing arenas share: the chunk table, the fast paths
//! (quick lists and the free extent), the checks of a block pointer, large
//! blocks, reset, trim and the counters. The free blocks' bins and their
//! merging live in `bins.rs`. The core never calls the memory source; the
//! arenas do, between calls into it, with what the core hands them.

use std::ptr::{self, NonNull};

use super::class::{ARN_GROW_GRANULE, CLASSES, GRANULE_SHIFT, MAX_BLOCK, granules};
use super::frames::{Frames, NONE};
use super::side::{CACHED, FREED, LIVE, Raw, SIZE, Side, USED, code};
use crate::error::{Error, Result};
use crate::mem::ARN_MAX_ALIGN as MAX_ALIGN;
use crate::track;

/// Counters of a growing arena (`arn_grow_stats` in C), kept as blocks
/// move, so reading them costs the same however many blocks there are.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GrowStats {
    /// Chunks in use, large blocks' chunks included, spares not.
    pub chunks: usize,
    /// Bytes of those chunks.
    pub chunk_bytes: usize,
    /// Entirely free chunks kept for reuse (at most `retain`).
    pub spare_chunks: usize,
    /// Usable bytes of the live blocks (what `usable_size` reports).
    pub bytes_live: usize,
    /// Bytes of the chunks of small blocks outside live blocks: free
    /// blocks of any size, ready for reuse.
    pub bytes_free: usize,
    /// The chunk size the arena was made with.
    pub chunk_size: usize,
    /// Allocations so far (reallocations that moved count too).
    pub allocations: u64,
    /// Of those, how many reused a freed block.
    pub reused: u64,
    /// Blocks freed (by `free`, or by a reallocation that moved).
    pub frees: u64,
    /// Reallocations that grew a block where it was.
    pub grown_in_place: u64,
    /// Resets so far.
    pub resets: u64,
    /// Every byte taken from the memory source and not given back yet:
    /// `chunk_bytes` plus the spares. Compare with `bytes_live`.
    pub bytes_held: usize,
    /// Reallocations that shrank a block where it was.
    pub shrunk_in_place: u64,
    /// Chunks given back to the memory source outside reset and drop:
    /// entirely free chunks beyond `retain`, trims, large blocks freed.
    pub chunks_returned: u64,
}

/// Blocks of up to this many granules (1008 bytes) are cached when freed.
pub(super) const QUICK: usize = super::side::CODED;
/// Blocks a quick list holds at most.
const DEPTH: u8 = 8;
/// The end of a list.
pub(super) const NIL: u64 = u64::MAX;
/// Recently released large blocks whose addresses are remembered.
const QUARANTINE: usize = 64;
/// Entries of the cache of chunks found last.
const NEAR: usize = 256;
/// Granules of poisoned red zone at the end of every small block in the
/// tracking build, so that running off a block is reported instead of
/// landing in the next (0 in the normal build). They count in the
/// block's granules, not in its usable size.
pub(super) const RED: usize = track::RED >> GRANULE_SHIFT;

/// The usable bytes of a small block of `n` granules (its red zone left
/// out).
#[inline(always)]
pub(super) fn usable_of(n: usize) -> usize {
    (n - RED) << GRANULE_SHIFT
}

/// Reads the link word at `p`, in a free block, which the tracking build
/// keeps poisoned: lifted for the read, so that arn never trips the
/// checkers it feeds.
///
/// # Safety
///
/// `p` is an aligned word inside a free block of the arena.
#[inline(always)]
pub(super) unsafe fn load(p: *const u64) -> u64 {
    track::handed_out(p.cast(), 8);
    // SAFETY: the caller's promise.
    let v = unsafe { p.read() };
    track::taken_back(p.cast(), 8);
    v
}

/// Writes the link word `v` at `p`, in a free block, as [`load`] reads it.
///
/// # Safety
///
/// As for [`load`].
#[inline(always)]
pub(super) unsafe fn store(p: *mut u64, v: u64) {
    track::open(p.cast(), 8);
    // SAFETY: the caller's promise.
    unsafe { p.write(v) };
    track::taken_back(p.cast(), 8);
}

/// A chunk found lately: its range, id and side table (an empty range
/// when unused; a null table for a large block's chunk).
#[derive(Clone, Copy)]
struct Near {
    /// The chunk's base pointer, with the provenance of the whole chunk.
    base: *mut u8,
    size: usize,
    id: usize,
    side: Raw,
}

const FAR: Near = Near {
    base: ptr::null_mut(),
    size: 0,
    id: 0,
    side: Raw(ptr::null_mut()),
};

/// A reference to granule `g` of chunk `id`, as the free lists hold them.
#[inline(always)]
pub(super) fn pack(id: usize, g: usize) -> u64 {
    (id as u64) << 32 | g as u64
}

#[inline(always)]
pub(super) fn unpack(r: u64) -> (usize, usize) {
    ((r >> 32) as usize, r as u32 as usize)
}

/// A chunk from the memory source: of small blocks (with a side table) or
/// holding one large block.
pub(super) struct Chunk {
    pub(super) base: *mut u8,
    pub(super) size: usize,
    /// The side table; no granules for a large block's chunk.
    pub(super) side: Side,
    /// The large block (null in a chunk of small blocks).
    pub(super) block: *mut u8,
}

impl Chunk {
    /// A chunk of small blocks at `base` (16-aligned, `size` bytes).
    pub(super) fn small(base: *mut u8, size: usize) -> Result<Chunk> {
        Ok(Chunk {
            base,
            size,
            side: Side::new(size >> GRANULE_SHIFT)?,
            block: ptr::null_mut(),
        })
    }

    /// A chunk for one large block.
    pub(super) fn large(base: *mut u8, size: usize) -> Chunk {
        Chunk {
            base,
            size,
            side: Side::none(),
            block: ptr::null_mut(),
        }
    }

    /// An empty slot of the chunk table.
    fn vacant() -> Chunk {
        Chunk::large(ptr::null_mut(), 0)
    }

    /// Granule `g` of the chunk (with the chunk's provenance).
    #[inline(always)]
    pub(super) fn at(&self, g: usize) -> *mut u8 {
        self.base.wrapping_add(g << GRANULE_SHIFT)
    }

    pub(super) fn end(&self) -> usize {
        self.base as usize + self.size
    }
}

/// The free extent: the run `top..end` of chunk `id` that small blocks are
/// cut from by bumping `top`. Never empty while `id` is not `NONE`.
#[derive(Clone, Copy)]
pub(super) struct Extent {
    pub(super) id: u32,
    pub(super) top: usize,
    pub(super) end: usize,
}

impl Extent {
    pub(super) const NONE: Extent = Extent {
        id: NONE,
        top: 0,
        end: 0,
    };
}

/// A live block, as [`Core::live`] finds it.
#[derive(Clone, Copy)]
pub(super) enum Block {
    /// Granules `g..g + n` of chunk `id`.
    Small { id: usize, g: usize, n: usize },
    /// The large block of chunk `id`.
    Large { id: usize },
}

/// What a reallocation needs beyond the core.
pub(super) enum Resize {
    /// Done where it was.
    Done(NonNull<u8>),
    /// A new block, a copy of the old block's `usable` bytes (at most the
    /// new size), the old block freed.
    Move { usable: usize },
    /// Chunk `id` (`base`, `size` bytes), of a large block, resized to
    /// `want` bytes by the memory source; a move when it cannot grow.
    Source {
        id: usize,
        base: NonNull<u8>,
        size: usize,
        want: usize,
    },
}

/// What the slow path asks the memory source for.
pub(super) enum Need {
    /// A new chunk of small blocks.
    Chunk,
    /// A chunk of this many bytes for one large block.
    Large(usize),
}

/// What freeing a block did.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Freed {
    /// Freed.
    Done,
    /// Freed; chunks wait in `gone` for the memory source.
    Settle,
    /// Not a live block: nothing changed ([`Core::not_live`] says why).
    Bad,
}

/// The counters the statistics are computed from.
#[derive(Default)]
pub(super) struct Counters {
    pub(super) chunks: usize,
    pub(super) small_bytes: usize,
    pub(super) large_bytes: usize,
    /// Bytes of the small blocks live or cached (the quick paths, which
    /// move blocks between the two, touch no byte counter).
    pub(super) small_used: usize,
    pub(super) large_live: usize,
    pub(super) spare_bytes: usize,
    /// Allocations not from a quick list, and of those the ones that
    /// reused a freed block.
    pub(super) allocations: u64,
    pub(super) reused: u64,
    /// Frees, and of those the ones not into a quick list.
    pub(super) frees: u64,
    pub(super) slow_frees: u64,
    /// Blocks taken out of the quick lists other than by allocation.
    pub(super) flushed: u64,
    pub(super) grown: u64,
    pub(super) shrunk: u64,
    pub(super) resets: u64,
    pub(super) returned: u64,
    /// Small blocks live or cached, counted in the tracking build only, so
    /// that their red zones are left out of `bytes_live`.
    #[cfg(feature = "track")]
    pub(super) blocks: usize,
}

impl Counters {
    /// A small block became live (`1`) or went back (`-1`), or every one
    /// went (`0`): counted in the tracking build only.
    #[inline(always)]
    pub(super) fn blocks(&mut self, change: isize) {
        #[cfg(feature = "track")]
        {
            self.blocks = if change == 0 {
                0
            } else {
                self.blocks.wrapping_add_signed(change)
            };
        }
        let _ = change;
    }

    /// Bytes of the red zones of the live small blocks, `cached` of the
    /// blocks counted being cached (0 outside the tracking build).
    #[inline(always)]
    fn red_bytes(&self, cached: u64) -> usize {
        #[cfg(feature = "track")]
        return (self.blocks - cached as usize) * (RED << GRANULE_SHIFT);
        #[cfg(not(feature = "track"))]
        {
            let _ = cached;
            0
        }
    }
}

/// What the arena remembers of memory it let go of, so that a second free
/// into it is still a double free: the addresses of the large blocks
/// released last (a new large block does not start at one of them, so a
/// second free is told apart from a new block), and the ranges of the
/// chunks of small blocks given back last (every block in them was freed).
struct Quarantine {
    addrs: [usize; QUARANTINE],
    next: usize,
    chunks: [(usize, usize); QUARANTINE],
    next_chunk: usize,
}

impl Quarantine {
    const EMPTY: Quarantine = Quarantine {
        addrs: [0; QUARANTINE],
        next: 0,
        chunks: [(0, 0); QUARANTINE],
        next_chunk: 0,
    };

    fn push(&mut self, p: *const u8) {
        self.addrs[self.next] = p as usize;
        self.next = (self.next + 1) % QUARANTINE;
    }

    fn push_chunk(&mut self, base: *const u8, size: usize) {
        self.chunks[self.next_chunk] = (base as usize, size);
        self.next_chunk = (self.next_chunk + 1) % QUARANTINE;
    }

    fn contains(&self, p: *const u8) -> bool {
        p as usize != 0 && self.addrs.contains(&(p as usize))
    }

    /// Whether `p` starts a granule of a chunk given back.
    fn in_chunk(&self, p: *const u8) -> bool {
        p as usize % ARN_GROW_GRANULE == 0
            && self
                .chunks
                .iter()
                .any(|&(b, n)| (p as usize).wrapping_sub(b) < n)
    }

    /// Forgets what lies in `base..base + size` (memory the source handed
    /// out again), telling `f` the offset of each large block's address.
    fn forget_within(&mut self, base: usize, size: usize, mut f: impl FnMut(usize)) {
        for a in &mut self.addrs {
            if a.wrapping_sub(base) < size {
                f(*a - base);
                *a = 0;
            }
        }
        for c in &mut self.chunks {
            if c.0 < base + size && base < c.0 + c.1 {
                *c = (0, 0);
            }
        }
    }
}

/// The state both arena types share.
pub(super) struct Core {
    /// Quick lists: freed blocks of 1..=QUICK granules by exact size,
    /// unmerged, most recent first.
    pub(super) quick: [u64; QUICK + 1],
    pub(super) qlen: [u8; QUICK + 1],
    pub(super) ext: Extent,
    /// The chunks found last, by address (in units of `near_shift` bits):
    /// a pointer in the range of its entry is found with one compare.
    near: [Near; NEAR],
    near_shift: u32,
    /// Chunks by id; vacant slots have no memory.
    pub(super) chunks: Vec<Chunk>,
    vacant: Vec<u32>,
    /// Bins of free blocks by class, doubly linked through the blocks.
    pub(super) bins: [u64; CLASSES],
    pub(super) bin_bits: [u64; 2],
    frames: Frames,
    /// Entirely free chunks of small blocks kept for reuse.
    pub(super) spare: Vec<Chunk>,
    /// Chunks waiting to go back to the memory source.
    pub(super) gone: Vec<Chunk>,
    quarantine: Quarantine,
    pub(super) n: Counters,
    pub(super) chunk_size: usize,
    /// Requests above this many bytes get a chunk of their own.
    pub(super) large: usize,
    pub(super) retain: usize,
    pub(super) epoch: u64,
}

impl Core {
    pub(super) fn new(chunk_size: usize, retain: usize) -> Core {
        let large = chunk_size / 4;
        Core {
            quick: [NIL; QUICK + 1],
            qlen: [0; QUICK + 1],
            ext: Extent::NONE,
            near: [FAR; NEAR],
            // A quarter of a chunk per entry: only the entries at a chunk's
            // ends are shared with a neighbour.
            near_shift: usize::BITS - 1 - large.max(1).leading_zeros(),
            chunks: Vec::new(),
            vacant: Vec::new(),
            bins: [NIL; CLASSES],
            bin_bits: [0; 2],
            // Every chunk holds at least `large` bytes.
            frames: Frames::new(large),
            spare: Vec::new(),
            gone: Vec::new(),
            quarantine: Quarantine::EMPTY,
            n: Counters::default(),
            chunk_size,
            large,
            retain,
            epoch: 0,
        }
    }

    /// Checks a request the fast path did not take.
    pub(super) fn check(size: usize, align: usize) -> Result<()> {
        if size > MAX_BLOCK || align > MAX_ALIGN {
            return Err(bad_request(size, align));
        }
        Ok(())
    }

    /// Serves a small allocation from its quick list or the extent;
    /// `None` sends it to [`alloc_slow`](Self::alloc_slow).
    #[inline(always)]
    pub(super) fn alloc(&mut self, size: usize, align: usize) -> Option<NonNull<u8>> {
        if align <= ARN_GROW_GRANULE && size <= (QUICK - RED) * ARN_GROW_GRANULE {
            let n = granules(size) + RED;
            let head = self.quick[n];
            if head != NIL {
                return self.pop_quick(n, head).map(|(_, _, p)| {
                    track::handed_out(p.as_ptr(), usable_of(n));
                    p
                });
            }
            if self.ext.end - self.ext.top >= n {
                let p = self.carve(n).2;
                track::handed_out(p.as_ptr(), usable_of(n));
                return Some(p);
            }
        }
        None
    }

    /// Takes the first block of quick list `n`, after checking in the side
    /// table that it is a cached block (the link came from freed memory).
    #[inline(always)]
    pub(super) fn pop_quick(&mut self, n: usize, head: u64) -> Option<(usize, usize, NonNull<u8>)> {
        let (id, g) = unpack(head);
        let Some(c) = self.chunks.get_mut(id) else {
            return self.drop_quick(n);
        };
        // The state holds the size too: one compare checks both.
        if g >= c.side.n || c.side.state(g) != CACHED | n as u8 {
            return self.drop_quick(n);
        }
        let p = c.at(g);
        c.side.set_state(g, LIVE | n as u8);
        // SAFETY: a table with granules.
        unsafe { *c.side.raw().live() += 1 };
        // SAFETY: a cached block of ours (the side table says so): its
        // first word holds the next link.
        self.quick[n] = unsafe { load(p.cast::<u64>()) };
        self.qlen[n] -= 1;
        // SAFETY: inside a chunk, so not null.
        Some((id, g, unsafe { NonNull::new_unchecked(p) }))
    }

    /// A quick list whose link does not name a cached block of its size
    /// was overwritten through a freed block: the list is dropped (its
    /// blocks stay unusable until a reset).
    #[cold]
    #[inline(never)]
    fn drop_quick<T>(&mut self, n: usize) -> Option<T> {
        self.n.flushed += u64::from(self.qlen[n]);
        self.quick[n] = NIL;
        self.qlen[n] = 0;
        None
    }

    /// Cuts `n` granules from the extent, which has room: chunk, granule
    /// and address of the block.
    #[inline(always)]
    pub(super) fn carve(&mut self, n: usize) -> (usize, usize, NonNull<u8>) {
        let Extent { id, top, end } = self.ext;
        let c = &mut self.chunks[id as usize];
        let t = top + n;
        c.side.set_state(top, LIVE | code(n));
        if t < end {
            c.side.set_start(t);
            self.ext.top = t;
        } else {
            self.ext = Extent::NONE;
        }
        // SAFETY: a table with granules.
        unsafe { *c.side.raw().live() += 1 };
        self.n.small_used += n << GRANULE_SHIFT;
        self.n.allocations += 1;
        self.n.blocks(1);
        // SAFETY: inside a chunk, so not null.
        (id as usize, top, unsafe {
            NonNull::new_unchecked(c.at(top))
        })
    }

    /// The slow path of [`alloc`](Self::alloc): the quick lists, the bins,
    /// the extent, then the spares; or what chunk the request needs.
    #[cold]
    #[inline(never)]
    pub(super) fn alloc_slow(
        &mut self,
        size: usize,
        align: usize,
    ) -> std::result::Result<NonNull<u8>, Need> {
        let pad = align.saturating_sub(ARN_GROW_GRANULE);
        let span = size + pad;
        if span > self.large {
            return Err(Need::Large(span));
        }
        let n = granules(size) + RED;
        let extra = pad >> GRANULE_SHIFT;
        let (id, g) = match self.take_small(n + extra) {
            Some(b) => b,
            None => {
                let Some(chunk) = self.spare.pop() else {
                    return Err(Need::Chunk);
                };
                self.n.spare_bytes -= chunk.size;
                self.install(chunk);
                self.take_small(n + extra).ok_or(Need::Chunk)?
            }
        };
        let g = if extra > 0 {
            self.align_block(id, g, n, extra, align)
        } else {
            g
        };
        let p = self.chunks[id].at(g);
        track::handed_out(p, usable_of(n));
        // SAFETY: inside a chunk, so not null.
        Ok(unsafe { NonNull::new_unchecked(p) })
    }

    /// Makes chunk `chunk` (from the memory source or a spare, with a
    /// clean side table) the one small blocks are cut from.
    pub(super) fn install(&mut self, chunk: Chunk) {
        self.retire_extent();
        let (base, size) = (chunk.base as usize, chunk.size);
        let side = &chunk.side;
        // A spare kept its freed blocks' history until now.
        side.clear();
        // A large block released at an address inside this chunk: a
        // second free of it still reports a double free.
        self.quarantine.forget_within(base, size, |off| {
            side.set_state(off >> GRANULE_SHIFT, FREED)
        });
        let end = chunk.side.n;
        self.n.small_bytes += size;
        let id = self.add_chunk(chunk);
        self.ext = Extent {
            id: id as u32,
            top: 0,
            end,
        };
    }

    /// Places the large block of `size` bytes aligned to `align` in its
    /// new chunk (never at an address in the quarantine).
    pub(super) fn install_large(&mut self, mut chunk: Chunk, align: usize) -> NonNull<u8> {
        let a = align.max(ARN_GROW_GRANULE);
        let base = chunk.base as usize;
        // Released addresses inside the new chunk stay remembered: the
        // block steps past one, and a second free of any is still told.
        let mut at = ((base + a - 1) & !(a - 1)) - base;
        if self.quarantine.contains(chunk.base.wrapping_add(at)) {
            at += a;
        }
        chunk.block = chunk.base.wrapping_add(at);
        let block = chunk.block;
        self.n.large_bytes += chunk.size;
        self.n.large_live += chunk.size - at;
        self.n.allocations += 1;
        track::handed_out(block, chunk.end() - block as usize);
        self.add_chunk(chunk);
        // SAFETY: inside the chunk.
        unsafe { NonNull::new_unchecked(block) }
    }

    /// The chunk size a large block of `span` bytes (its alignment padding
    /// included) asks for, with room to step past a quarantined address.
    pub(super) fn large_chunk(span: usize, align: usize) -> Option<usize> {
        let bytes = span.checked_add(align.max(ARN_GROW_GRANULE))?;
        let unit = if bytes >= 4096 {
            4096
        } else {
            ARN_GROW_GRANULE
        };
        Some(bytes.checked_add(unit - 1)? & !(unit - 1))
    }

    fn add_chunk(&mut self, chunk: Chunk) -> usize {
        self.n.chunks += 1;
        let (base, size) = (chunk.base as usize, chunk.size);
        let id = match self.vacant.pop() {
            Some(id) => {
                self.chunks[id as usize] = chunk;
                id as usize
            }
            None => {
                self.chunks.push(chunk);
                self.chunks.len() - 1
            }
        };
        self.frames.add(id as u32, base, size);
        id
    }

    /// Takes chunk `id` out of the table.
    pub(super) fn remove_chunk(&mut self, id: usize) -> Chunk {
        self.unmap(id);
        let chunk = std::mem::replace(&mut self.chunks[id], Chunk::vacant());
        self.vacant.push(id as u32);
        self.n.chunks -= 1;
        chunk
    }

    /// Stops finding pointers in chunk `id` (its memory is about to move
    /// or go).
    fn unmap(&mut self, id: usize) {
        let c = &self.chunks[id];
        let (base, size) = (c.base as usize, c.size);
        self.frames.remove(id as u32, base, size);
        // Only the entries of addresses inside the chunk can name it.
        let first = base >> self.near_shift;
        let span = ((base + size - 1) >> self.near_shift) - first + 1;
        for i in 0..span.min(NEAR) {
            let e = &mut self.near[(first + i) % NEAR];
            if e.id == id {
                *e = FAR;
            }
        }
    }

    /// The chunk holding `p`: the one its frame found last, else the
    /// frame table.
    #[inline(always)]
    fn locate(&mut self, p: *const u8) -> Option<usize> {
        let e = self.near(p);
        if (p as usize).wrapping_sub(e.base as usize) < e.size {
            return Some(e.id);
        }
        self.locate_far(p)
    }

    /// The cache entry for `p` (it holds `p` if its range does).
    #[inline(always)]
    fn near(&self, p: *const u8) -> Near {
        self.near[(p as usize >> self.near_shift) % NEAR]
    }

    #[inline(never)]
    fn locate_far(&mut self, p: *const u8) -> Option<usize> {
        let (lo, hi) = self.frames.get(p as usize);
        for id in [hi, lo] {
            if let Some(c) = self.chunks.get(id as usize) {
                if (p as usize).wrapping_sub(c.base as usize) < c.size {
                    self.near[(p as usize >> self.near_shift) % NEAR] = Near {
                        base: c.base,
                        size: c.size,
                        id: id as usize,
                        side: c.side.raw(),
                    };
                    return Some(id as usize);
                }
            }
        }
        None
    }

    pub(super) fn is_managed(&mut self, p: *const u8) -> bool {
        self.locate(p).is_some()
    }

    /// The live block starting at `p`, checked in the side tables only.
    #[inline(always)]
    pub(super) fn live(&mut self, p: *const u8) -> Result<Block> {
        if let Some(id) = self.locate(p) {
            // SAFETY: `locate` returns the index of a chunk.
            let c = unsafe { self.chunks.get_unchecked(id) };
            let off = p as usize - c.base as usize;
            let g = off >> GRANULE_SHIFT;
            if off % ARN_GROW_GRANULE == 0 && g < c.side.n {
                let state = c.side.state(g);
                if state & (USED | FREED) == LIVE {
                    let n = match (state & SIZE) as usize {
                        0 => c.side.next_start(g) - g,
                        n => n,
                    };
                    return Ok(Block::Small { id, g, n });
                }
            } else if p == c.block.cast_const() {
                return Ok(Block::Large { id });
            }
        }
        Err(self.not_live(p))
    }

    /// Why `p` is not a live block: a double free when a block started
    /// there and was freed (and the address not handed out since), also
    /// in a spare chunk, a large block released lately or a chunk given
    /// back lately; else a foreign pointer.
    #[cold]
    #[inline(never)]
    pub(super) fn not_live(&mut self, p: *const u8) -> Error {
        let freed_in = |c: &Chunk| {
            let off = (p as usize).wrapping_sub(c.base as usize);
            off < c.size
                && off % ARN_GROW_GRANULE == 0
                && off >> GRANULE_SHIFT < c.side.n
                && c.side.state(off >> GRANULE_SHIFT) & FREED != 0
        };
        let freed = match self.locate(p) {
            // Inside a large block's chunk: a large block released there.
            Some(id) if !self.chunks[id].block.is_null() => self.quarantine.contains(p),
            Some(id) => freed_in(&self.chunks[id]),
            None => match self
                .spare
                .iter()
                .find(|c| (p as usize).wrapping_sub(c.base as usize) < c.size)
            {
                Some(c) => freed_in(c),
                None => self.quarantine.contains(p) || self.quarantine.in_chunk(p),
            },
        };
        if freed {
            Error::DoubleFree(format!("block {p:p} of the growing arena is already free"))
        } else {
            Error::ForeignPointer {
                addr: p as usize,
                what: "growing arena",
            }
        }
    }

    /// Frees the live block at `p`: into its quick list when there is
    /// room, else merged with its free neighbours.
    #[inline(always)]
    pub(super) fn free(&mut self, p: *mut u8) -> Freed {
        let mut e = self.near(p);
        let mut off = (p as usize).wrapping_sub(e.base as usize);
        if off >= e.size {
            if self.locate_far(p).is_none() {
                return Freed::Bad;
            }
            e = self.near(p);
            off = p as usize - e.base as usize;
        }
        let side = e.side;
        if side.0.is_null() {
            return self.free_large(e.id, p);
        }
        if off % ARN_GROW_GRANULE != 0 {
            return Freed::Bad;
        }
        let g = off >> GRANULE_SHIFT;
        // SAFETY: `p` lies in this chunk of small blocks, so its granule
        // has a state.
        let at = unsafe { side.state(g) };
        // SAFETY: as above.
        let state = unsafe { *at };
        if state & (USED | FREED) != LIVE {
            return Freed::Bad;
        }
        let n = (state & SIZE) as usize;
        if n == 0 || self.qlen[n] >= DEPTH {
            return self.free_slow(e.id, g, n);
        }
        // SAFETY: as above; the table's live count.
        let live = unsafe {
            *at = state | FREED;
            let live = side.live();
            *live -= 1;
            *live
        };
        let block = e.base.wrapping_add(off);
        track::taken_back(block, n << GRANULE_SHIFT);
        // SAFETY: the block is ours again and at least 16 bytes, aligned
        // to 16: room for the link. Written through the chunk's pointer,
        // not `p`, whose provenance may cover less than the block (a `Box`
        // of a smaller value).
        unsafe { store(block.cast::<u64>(), self.quick[n]) };
        self.quick[n] = pack(e.id, g);
        self.qlen[n] += 1;
        self.n.frees += 1;
        if live == 0 {
            return self.flush_idle(e.id);
        }
        Freed::Done
    }

    /// A small block freed without the quick list: too large for one
    /// (size 0 in its state) or its list full.
    #[cold]
    #[inline(never)]
    fn free_slow(&mut self, id: usize, g: usize, n: usize) -> Freed {
        let side = &self.chunks[id].side;
        let n = if n == 0 { side.next_start(g) - g } else { n };
        // SAFETY: a table with granules.
        let live = unsafe {
            let live = side.raw().live();
            *live -= 1;
            *live
        };
        self.n.frees += 1;
        self.n.slow_frees += 1;
        self.n.blocks(-1);
        self.release(id, g, n, FREED);
        // With no live block left, the chunk is a spare now, or holds only
        // cached blocks (or the extent).
        if live == 0 && !self.chunks[id].base.is_null() {
            return self.flush_idle(id);
        }
        self.settled()
    }

    /// `Settle` when chunks wait in `gone`, after [`settle`](Self::settle).
    fn settled(&mut self) -> Freed {
        if self.settle() {
            Freed::Settle
        } else {
            Freed::Done
        }
    }

    /// Chunk `id` holds no live block, only cached ones: they are merged
    /// back so that the chunk can be a spare or go back to the source
    /// (unless it holds the extent, which stays).
    #[cold]
    #[inline(never)]
    fn flush_idle(&mut self, id: usize) -> Freed {
        if self.ext.id as usize != id {
            self.flush_chunk(id);
        }
        self.settled()
    }

    #[cold]
    #[inline(never)]
    fn free_large(&mut self, id: usize, p: *mut u8) -> Freed {
        if p != self.chunks[id].block {
            return Freed::Bad;
        }
        let chunk = self.remove_chunk(id);
        self.quarantine.push(chunk.block);
        self.n.large_bytes -= chunk.size;
        self.n.large_live -= chunk.end() - chunk.block as usize;
        self.n.frees += 1;
        self.n.slow_frees += 1;
        self.n.returned += 1;
        self.gone.push(chunk);
        Freed::Settle
    }

    /// Sends the spares beyond `retain` to `gone`; whether any chunk waits
    /// there.
    #[inline]
    pub(super) fn settle(&mut self) -> bool {
        if self.spare.len() > self.retain {
            self.settle_spares();
        }
        !self.gone.is_empty()
    }

    #[cold]
    #[inline(never)]
    fn settle_spares(&mut self) {
        while self.spare.len() > self.retain {
            let c = self.spare.pop().expect("more spares than retained");
            self.n.spare_bytes -= c.size;
            self.n.returned += 1;
            self.quarantine.push_chunk(c.base, c.size);
            self.gone.push(c);
        }
    }

    /// The usable size of the live block at `p`.
    pub(super) fn usable(&mut self, p: *const u8) -> Result<usize> {
        Ok(match self.live(p)? {
            Block::Small { n, .. } => usable_of(n),
            Block::Large { id } => self.chunks[id].end() - p as usize,
        })
    }

    /// Resizes the live block at `p` to `new_size` bytes aligned to
    /// `align` where it is, when it can (`new_size` and `align` checked).
    pub(super) fn resize(&mut self, p: *mut u8, align: usize, new_size: usize) -> Result<Resize> {
        let block = self.live(p)?;
        let usable = match block {
            Block::Small { n, .. } => usable_of(n),
            Block::Large { id } => self.chunks[id].end() - p as usize,
        };
        if p as usize % align != 0 || new_size > self.large {
            if let Block::Large { id } = block {
                if p as usize % align == 0 {
                    return Ok(self.resize_large(id, p, new_size));
                }
            }
            return Ok(Resize::Move { usable });
        }
        match block {
            Block::Small { id, g, n } => {
                let m = granules(new_size) + RED;
                // SAFETY: not null.
                let p = unsafe { NonNull::new_unchecked(p) };
                if m == n || (m < n && self.shrink_small(id, g, n, m)) {
                    // A shrunk block's tail was poisoned as it was freed;
                    // its new red zone is poisoned here.
                    let red = if m < n { RED << GRANULE_SHIFT } else { 0 };
                    track::taken_back(p.as_ptr().wrapping_add(usable_of(m)), red);
                    return Ok(Resize::Done(p));
                }
                if m > n && self.grow_small(id, g, n, m) {
                    // The old red zone and the granules taken.
                    let more = (m - n) << GRANULE_SHIFT;
                    track::handed_out(p.as_ptr().wrapping_add(usable_of(n)), more);
                    return Ok(Resize::Done(p));
                }
                Ok(Resize::Move { usable })
            }
            // A large block resized to a small size moves among the small.
            Block::Large { .. } => Ok(Resize::Move { usable }),
        }
    }

    /// A large block of chunk `id` at `p` resized to `new_size` (above
    /// `large`): in place when it fits and little would come back, else
    /// through the memory source.
    fn resize_large(&mut self, id: usize, p: *mut u8, new_size: usize) -> Resize {
        let c = &self.chunks[id];
        let off = p as usize - c.base as usize;
        let want = match (off + new_size).checked_add(4095) {
            Some(w) => w & !4095,
            None => {
                return Resize::Move {
                    usable: c.end() - p as usize,
                };
            }
        };
        // SAFETY: not null.
        let base = unsafe { NonNull::new_unchecked(c.base) };
        if want <= c.size && c.size - want < SHRINK_MIN {
            // SAFETY: not null.
            return Resize::Done(unsafe { NonNull::new_unchecked(p) });
        }
        let size = c.size;
        // While the source resizes it, without the lock, the chunk's old
        // range may go to another chunk: nothing may find it there.
        self.unmap(id);
        Resize::Source {
            id,
            base,
            size,
            want,
        }
    }

    /// The memory source did not resize chunk `id`: it is found again.
    pub(super) fn unresized(&mut self, id: usize) {
        let c = &self.chunks[id];
        mark_large(c);
        self.frames.add(id as u32, c.base as usize, c.size);
    }

    /// Records that the memory source resized chunk `id` (of a large
    /// block) to `size` bytes at `base`; returns the block's new address.
    pub(super) fn resized(&mut self, id: usize, base: NonNull<u8>, size: usize) -> NonNull<u8> {
        let c = &mut self.chunks[id];
        let at = c.block as usize - c.base as usize;
        let (old_block, old_size) = (c.block, c.size);
        c.base = base.as_ptr();
        c.size = size;
        c.block = c.at(0).wrapping_add(at);
        let block = c.block;
        if block != old_block {
            self.quarantine.push(old_block);
        }
        if size > old_size {
            self.n.grown += 1;
        } else {
            self.n.shrunk += 1;
        }
        self.n.large_bytes = self.n.large_bytes - old_size + size;
        self.n.large_live = self.n.large_live - (old_size - at) + (size - at);
        self.quarantine
            .forget_within(base.as_ptr() as usize, size, |_| {});
        mark_large(&self.chunks[id]);
        self.frames.add(id as u32, base.as_ptr() as usize, size);
        // SAFETY: inside the chunk.
        unsafe { NonNull::new_unchecked(block) }
    }

    /// Gives back every entirely free chunk: the quick lists are merged
    /// first, the spares go too.
    pub(super) fn trim(&mut self) {
        self.consolidate();
        let Extent { id, top, end } = self.ext;
        if id != NONE && top == 0 && end == self.chunks[id as usize].side.n {
            self.ext = Extent::NONE;
            self.retire(id as usize);
        }
        let retain = std::mem::replace(&mut self.retain, 0);
        self.settle();
        self.retain = retain;
    }

    /// Drops every block: up to `retain` chunks of small blocks become
    /// spares with clean side tables; the others go to `gone`.
    pub(super) fn reset(&mut self) {
        // The cached blocks go with their chunks.
        self.n.flushed += self.qlen.iter().map(|&q| u64::from(q)).sum::<u64>();
        self.quick = [NIL; QUICK + 1];
        self.qlen = [0; QUICK + 1];
        self.bins = [NIL; CLASSES];
        self.bin_bits = [0; 2];
        self.ext = Extent::NONE;
        self.near = [FAR; NEAR];
        self.frames.clear();
        self.quarantine = Quarantine::EMPTY;
        self.vacant.clear();
        for c in std::mem::take(&mut self.chunks) {
            if c.base.is_null() {
                continue;
            }
            track::taken_back(c.base, c.size);
            if c.block.is_null() && self.spare.len() < self.retain {
                c.side.clear();
                self.n.spare_bytes += c.size;
                self.spare.push(c);
            } else {
                self.gone.push(c);
            }
        }
        let n = &mut self.n;
        (n.chunks, n.small_bytes, n.large_bytes) = (0, 0, 0);
        (n.small_used, n.large_live) = (0, 0);
        n.blocks(0);
        n.resets += 1;
        self.epoch += 1;
    }

    /// Every chunk, for the memory source (drop).
    pub(super) fn release_all(&mut self) -> Vec<Chunk> {
        self.reset();
        let mut all = std::mem::take(&mut self.gone);
        all.append(&mut self.spare);
        self.n.spare_bytes = 0;
        all
    }

    pub(super) fn stats(&self) -> GrowStats {
        let n = &self.n;
        // The quick lists' lengths give what the quick paths do not count:
        // the bytes they hold, and how many blocks were taken from them.
        let (mut cached, mut blocks) = (0, 0);
        for (size, &len) in self.qlen.iter().enumerate() {
            cached += (size << GRANULE_SHIFT) * usize::from(len);
            blocks += u64::from(len);
        }
        let pops = n.frees - n.slow_frees - n.flushed - blocks;
        // The tracking build's red zones count as free, not live.
        let small_live = n.small_used - cached - n.red_bytes(blocks);
        GrowStats {
            chunks: n.chunks,
            chunk_bytes: n.small_bytes + n.large_bytes,
            spare_chunks: self.spare.len(),
            bytes_live: small_live + n.large_live,
            bytes_free: n.small_bytes - small_live,
            chunk_size: self.chunk_size,
            allocations: n.allocations + pops,
            reused: n.reused + pops,
            frees: n.frees,
            grown_in_place: n.grown,
            resets: n.resets,
            bytes_held: n.small_bytes + n.large_bytes + n.spare_bytes,
            shrunk_in_place: n.shrunk,
            chunks_returned: n.returned,
        }
    }
}

/// Tells the checkers about the chunk of a large block, which the memory
/// source just resized (or failed to resize, after the arena opened it
/// for the source): poisoned before the block, the block handed out to
/// the chunk's end.
#[inline(always)]
fn mark_large(c: &Chunk) {
    track::fresh(c.base, c.size);
    track::handed_out(c.block, c.end() - c.block as usize);
}

/// A large block's chunk shrinks through the memory source only when this
/// much would come back.
const SHRINK_MIN: usize = 64 * 1024;

#[cold]
#[inline(never)]
fn bad_request(size: usize, align: usize) -> Error {
    if align > MAX_ALIGN {
        Error::invalid(format!(
            "growing arena: alignment {align} is above {MAX_ALIGN}"
        ))
    } else {
        Error::invalid(format!(
            "growing arena: {size} bytes is above the largest block, {MAX_BLOCK}"
        ))
    }
}
