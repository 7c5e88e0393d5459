//! The core both growing arenas share: chunks with their side tables, the
//! bump state of the current chunk, the free lists, and the counters. It
//! never calls the memory source; the arenas do, between calls into it.

use std::ptr::{self, NonNull};

use super::class::{
    ARN_GROW_GRANULE, CLASSES, FREED, GRANULE_SHIFT, MAX_BLOCK, class_of, class_size,
};
use crate::error::{Error, Result};
use crate::mem::ARN_MAX_ALIGN as MAX_ALIGN;

/// Counters of a growing arena (`arn_grow_stats` in C).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GrowStats {
    /// Chunks held, dedicated ones included, retained spares not.
    pub chunks: usize,
    /// Bytes of those chunks.
    pub chunk_bytes: usize,
    /// Chunks kept from the last reset and not yet used again.
    pub spare_chunks: usize,
    /// Bytes of live blocks (their class sizes).
    pub bytes_live: usize,
    /// Bytes of freed blocks waiting on the free lists for reuse.
    pub bytes_free: usize,
    /// The chunk size the arena was made with.
    pub chunk_size: usize,
    /// Allocations so far (reallocations that moved count too).
    pub allocations: u64,
    /// Of those, how many reused a freed block.
    pub reused: u64,
    /// Blocks freed (by `free`, or by a reallocation that moved).
    pub frees: u64,
    /// Reallocations served in place.
    pub grown_in_place: u64,
    /// Resets so far.
    pub resets: u64,
}

/// A chunk of the arena and its side table.
pub(super) struct Chunk {
    pub(super) base: *mut u8,
    pub(super) size: usize,
    /// One byte per granule (normal chunks); one byte for the block of a
    /// dedicated chunk. A `Vec`, not a `Box`: moving the chunk must keep
    /// the raw pointers into it valid (the bump state and free-list nodes
    /// hold them), and moving a `Box` asserts unique access to its bytes.
    pub(super) meta: Vec<u8>,
    /// The block of a dedicated chunk (null for a normal chunk).
    pub(super) block: *mut u8,
    /// High-water mark of bump allocation (normal chunks): side-table
    /// bytes at and below `used >> 4` may be non-zero.
    pub(super) used: usize,
}

impl Chunk {
    #[inline(always)]
    pub(super) fn end(&self) -> usize {
        self.base as usize + self.size
    }

    /// The side-table byte of the block starting at `p`, if `p`, which
    /// lies in this chunk, can start a block here.
    #[inline(always)]
    pub(super) fn meta_of(&mut self, p: *const u8) -> Option<*mut u8> {
        let off = p as usize - self.base as usize;
        if !self.block.is_null() {
            return (p == self.block).then_some(self.meta.as_mut_ptr());
        }
        if off % ARN_GROW_GRANULE != 0 {
            return None;
        }
        debug_assert!(off >> GRANULE_SHIFT < self.meta.len());
        // SAFETY: `p` lies in the chunk, whose side table has a byte per
        // granule.
        Some(unsafe { self.meta.as_mut_ptr().add(off >> GRANULE_SHIFT) })
    }
}

/// The bump state of the current chunk.
#[derive(Clone, Copy)]
pub(super) struct Bump {
    pub(super) top: *mut u8,
    pub(super) end: *mut u8,
    /// Side table of the current chunk, indexed from `base`.
    pub(super) meta: *mut u8,
    pub(super) base: *mut u8,
    /// The block allocated last by bumping, if still live: it may grow in
    /// place or give its room back.
    pub(super) last: *mut u8,
}

impl Bump {
    const NONE: Bump = Bump {
        top: ptr::null_mut(),
        end: ptr::null_mut(),
        meta: ptr::null_mut(),
        base: ptr::null_mut(),
        last: ptr::null_mut(),
    };
}

/// A freed block: the first two words of its memory.
#[repr(C)]
pub(super) struct FreeNode {
    pub(super) next: *mut FreeNode,
    pub(super) meta: *mut u8,
}

/// The state both arena types share.
pub(super) struct Core {
    pub(super) bump: Bump,
    pub(super) free: [*mut FreeNode; CLASSES],
    /// Chunks by address.
    pub(super) chunks: Vec<Chunk>,
    /// Chunks kept across a reset, side tables cleared.
    pub(super) spare: Vec<Chunk>,
    pub(super) stats: GrowStats,
    pub(super) retain: usize,
    pub(super) epoch: u64,
    /// The chunk `find` found last.
    pub(super) hint: usize,
}

/// What the slow path asks the memory source for.
pub(super) enum Need {
    /// A new normal chunk.
    Chunk,
    /// A dedicated chunk of this many bytes for one block.
    Dedicated(usize),
}

impl Core {
    pub(super) fn new(chunk_size: usize, retain: usize) -> Core {
        Core {
            bump: Bump::NONE,
            free: [ptr::null_mut(); CLASSES],
            chunks: Vec::new(),
            spare: Vec::new(),
            stats: GrowStats {
                chunk_size,
                ..GrowStats::default()
            },
            retain,
            epoch: 0,
            hint: 0,
        }
    }

    /// Checks a request: the class it needs.
    #[inline(always)]
    pub(super) fn class_for(size: usize, align: usize) -> Result<usize> {
        if size == 0 || size > MAX_BLOCK || align > MAX_ALIGN {
            return Err(bad_request(size, align));
        }
        Ok(class_of(size))
    }

    /// Serves an allocation of class `c` from the free list or the current
    /// chunk, or says what chunk it needs.
    #[inline(always)]
    pub(super) fn try_alloc(
        &mut self,
        c: usize,
        align: usize,
    ) -> std::result::Result<NonNull<u8>, Need> {
        let size = class_size(c);
        if align <= ARN_GROW_GRANULE {
            let node = self.free[c & (CLASSES - 1)];
            if !node.is_null() {
                // SAFETY: free-list nodes are freed blocks of class `c`,
                // each holding its link and its side-table byte.
                unsafe {
                    let FreeNode { next, meta } = node.read();
                    self.free[c & (CLASSES - 1)] = next;
                    *meta = c as u8;
                }
                self.stats.allocations += 1;
                self.stats.reused += 1;
                self.stats.bytes_live += size;
                // SAFETY: a block start is never null.
                return Ok(unsafe { NonNull::new_unchecked(node.cast()) });
            }
        }
        // With padding for a large alignment (chunks are 16-aligned).
        let span = size + align.saturating_sub(ARN_GROW_GRANULE);
        if span > self.stats.chunk_size / 4 {
            return Err(Need::Dedicated(span));
        }
        let b = &mut self.bump;
        let start = (b.top as usize).wrapping_add(align - 1) & !(align - 1);
        if b.top.is_null() || start > b.end as usize || size > b.end as usize - start {
            return Err(Need::Chunk);
        }
        let p = b.top.wrapping_add(start - b.top as usize);
        // SAFETY: `p..p + size` lies in the current chunk (checked above),
        // and its side table has a byte per granule.
        unsafe { *b.meta.add((p as usize - b.base as usize) >> GRANULE_SHIFT) = c as u8 };
        b.top = p.wrapping_add(size);
        b.last = p;
        self.stats.allocations += 1;
        self.stats.bytes_live += size;
        // SAFETY: inside a chunk, so not null.
        Ok(unsafe { NonNull::new_unchecked(p) })
    }

    /// The index of the chunk holding `p`: the chunk found last, else a
    /// binary search.
    #[inline(always)]
    pub(super) fn find(&mut self, p: *const u8) -> Option<usize> {
        if let Some(c) = self.chunks.get(self.hint) {
            if (p as usize).wrapping_sub(c.base as usize) < c.size {
                return Some(self.hint);
            }
        }
        self.search(p as usize)
    }

    #[inline(never)]
    pub(super) fn search(&mut self, a: usize) -> Option<usize> {
        let i = self.chunks.partition_point(|c| c.base as usize <= a);
        let i = i.checked_sub(1)?;
        if a < self.chunks[i].end() {
            self.hint = i;
            Some(i)
        } else {
            None
        }
    }

    /// Saves the current chunk's high-water mark.
    pub(super) fn leave_current(&mut self) {
        let b = self.bump;
        if b.base.is_null() {
            return;
        }
        if let Some(i) = self.find(b.base) {
            self.chunks[i].used = b.top as usize - b.base as usize;
        }
        self.bump = Bump::NONE;
    }

    /// Installs a chunk from the memory source (or a spare) as the current
    /// one.
    pub(super) fn install(&mut self, mut chunk: Chunk) {
        self.leave_current();
        self.bump = Bump {
            top: chunk.base,
            // SAFETY: the end of the chunk's memory.
            end: unsafe { chunk.base.add(chunk.size) },
            meta: chunk.meta.as_mut_ptr(),
            base: chunk.base,
            last: ptr::null_mut(),
        };
        self.insert(chunk);
    }

    pub(super) fn insert(&mut self, chunk: Chunk) {
        self.stats.chunks += 1;
        self.stats.chunk_bytes += chunk.size;
        let at = self
            .chunks
            .partition_point(|c| (c.base as usize) < chunk.base as usize);
        self.chunks.insert(at, chunk);
    }

    /// Places a dedicated chunk's block, returning it.
    pub(super) fn install_dedicated(
        &mut self,
        mut chunk: Chunk,
        c: usize,
        align: usize,
    ) -> NonNull<u8> {
        let base = chunk.base as usize;
        let p = chunk
            .base
            .wrapping_add(((base + align - 1) & !(align - 1)) - base);
        chunk.block = p;
        chunk.meta[0] = c as u8;
        self.stats.allocations += 1;
        self.stats.bytes_live += class_size(c);
        self.insert(chunk);
        // SAFETY: inside the chunk.
        unsafe { NonNull::new_unchecked(p) }
    }

    /// Checks that `p` is a live block: its side-table byte, its class,
    /// and the index of its chunk when that chunk is dedicated to it.
    #[inline(always)]
    pub(super) fn live_block(&mut self, p: *const u8) -> Result<(Option<usize>, *mut u8, usize)> {
        let b = self.bump;
        let off = (p as usize).wrapping_sub(b.base as usize);
        let found = if off < b.end as usize - b.base as usize {
            // In the current chunk (a normal one), found without a search.
            // SAFETY: the side table has a byte per granule of the chunk.
            (off % ARN_GROW_GRANULE == 0)
                .then(|| (None, unsafe { b.meta.add(off >> GRANULE_SHIFT) }))
        } else if let Some(i) = self.find(p) {
            // SAFETY: `find` returns an index in bounds.
            let c = unsafe { self.chunks.get_unchecked_mut(i) };
            let dedicated = (!c.block.is_null()).then_some(i);
            c.meta_of(p).map(|m| (dedicated, m))
        } else {
            None
        };
        if let Some((dedicated, m)) = found {
            // SAFETY: a byte of a side table.
            let class = unsafe { *m };
            if class != 0 && class & FREED == 0 {
                return Ok((dedicated, m, class as usize));
            }
        }
        Err(self.not_live(p))
    }

    /// Why `p` is not a live block.
    #[cold]
    #[inline(never)]
    pub(super) fn not_live(&mut self, p: *const u8) -> Error {
        let m = self
            .find(p)
            .and_then(|i| self.chunks[i].meta_of(p))
            // SAFETY: a byte of a side table.
            .map_or(0, |m| unsafe { *m });
        if m & FREED != 0 {
            Error::DoubleFree(format!("block {p:p} of the growing arena is already free"))
        } else {
            foreign(p)
        }
    }

    /// Frees the live block `p` (side-table byte `m`, class `c`, chunk
    /// index if dedicated); returns a dedicated chunk for the caller to
    /// give back to the source.
    #[inline(always)]
    pub(super) fn release(
        &mut self,
        p: *mut u8,
        dedicated: Option<usize>,
        m: *mut u8,
        c: usize,
    ) -> Option<Chunk> {
        let size = class_size(c);
        self.stats.frees += 1;
        self.stats.bytes_live -= size;
        if let Some(i) = dedicated {
            return Some(self.remove_dedicated(i));
        }
        // SAFETY: `m` is the block's side-table byte (from `live_block`).
        unsafe {
            if p == self.bump.last {
                // Give the room back to the bump pointer; the byte still
                // says "freed" so a second free is a double free.
                *m = FREED;
                self.bump.top = p;
                self.bump.last = ptr::null_mut();
            } else {
                *m = c as u8 | FREED;
                // The block is ours again and at least 16 bytes, aligned
                // to 16: room for its two link words.
                let node = p.cast::<FreeNode>();
                node.write(FreeNode {
                    next: self.free[c & (CLASSES - 1)],
                    meta: m,
                });
                self.free[c & (CLASSES - 1)] = node;
            }
        }
        None
    }

    #[cold]
    #[inline(never)]
    pub(super) fn remove_dedicated(&mut self, i: usize) -> Chunk {
        let chunk = self.chunks.remove(i);
        self.stats.chunks -= 1;
        self.stats.chunk_bytes -= chunk.size;
        chunk
    }

    /// Tries to resize block `p` (chunk `i`, class `c`) in place.
    pub(super) fn resize_in_place(
        &mut self,
        p: *mut u8,
        m: *mut u8,
        c: usize,
        new_size: usize,
    ) -> bool {
        if new_size <= class_size(c) {
            return true;
        }
        if p != self.bump.last || new_size > self.stats.chunk_size / 4 {
            return false;
        }
        let c2 = class_of(new_size);
        let size2 = class_size(c2);
        if size2 > self.bump.end as usize - p as usize {
            return false;
        }
        // SAFETY: the block's side-table byte, from `live_block`.
        unsafe { *m = c2 as u8 };
        self.bump.top = p.wrapping_add(size2);
        self.stats.bytes_live += size2 - class_size(c);
        self.stats.grown_in_place += 1;
        true
    }

    /// Takes every chunk away for a reset: the ones to keep go to `spare`
    /// with cleared side tables; the rest are returned.
    pub(super) fn reset(&mut self) -> Vec<Chunk> {
        self.leave_current();
        self.free = [ptr::null_mut(); CLASSES];
        let mut gone = Vec::new();
        for mut c in self.chunks.drain(..) {
            if c.block.is_null() && self.spare.len() < self.retain {
                let n = (c.used >> GRANULE_SHIFT) + 1;
                let n = n.min(c.meta.len());
                c.meta[..n].fill(0);
                c.used = 0;
                self.spare.push(c);
            } else {
                gone.push(c);
            }
        }
        self.epoch += 1;
        self.stats.resets += 1;
        self.stats.chunks = 0;
        self.stats.chunk_bytes = 0;
        self.stats.bytes_live = 0;
        gone
    }

    pub(super) fn snapshot(&self) -> GrowStats {
        let mut bytes_free = 0;
        for (c, &head) in self.free.iter().enumerate() {
            let mut node = head;
            while !node.is_null() {
                bytes_free += class_size(c);
                // SAFETY: free-list nodes are freed blocks holding links.
                node = unsafe { (*node).next };
            }
        }
        GrowStats {
            spare_chunks: self.spare.len(),
            bytes_free,
            ..self.stats
        }
    }
}

#[cold]
#[inline(never)]
fn bad_request(size: usize, align: usize) -> Error {
    if size == 0 {
        Error::invalid("growing arena: zero-size allocation")
    } else if align > MAX_ALIGN {
        Error::invalid(format!(
            "growing arena: alignment {align} is above {MAX_ALIGN}"
        ))
    } else {
        Error::invalid(format!(
            "growing arena: {size} bytes is above the largest block, {MAX_BLOCK}"
        ))
    }
}

#[cold]
#[inline(never)]
fn foreign(p: *const u8) -> Error {
    Error::ForeignPointer {
        addr: p as usize,
        what: "growing arena",
    }
}
