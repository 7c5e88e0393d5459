//! The growing arena of seed 001: chunks taken from a memory source as
//! needed, individual free with reuse by size class, in-place growth of the
//! last allocation, and (in `vec`/`map`) containers whose storage lives in
//! the arena.
//!
//! # Design
//!
//! Every block is a whole number of 16-byte granules, rounded up to one of
//! 127 size classes (16, 32, ... 128 bytes, then four classes per doubling).
//! Each chunk has a *side table* of one byte per granule, kept on the heap,
//! never in the chunk: `0` where no block starts, the class of a live block
//! at its first granule, and the class with the `FREED` bit once freed. So
//! `free` of a pointer knows, without trusting anything in the arena's
//! memory, whether it is a live block of this arena (else
//! `Error::ForeignPointer`), already free (`Error::DoubleFree`), and its
//! size.
//!
//! Allocation first pops the free list of its class, then bumps the current
//! chunk. A freed block goes on its class's free list (its first two words
//! link the list and point at its side-table byte, so reuse touches no
//! search); the block allocated last is instead given back to the bump
//! pointer, and is the one block that can grow in place. A request above a
//! quarter of the chunk size gets a dedicated chunk of its own, which goes
//! back to the memory source when freed.
//!
//! Chunks are kept sorted by address, so finding the chunk of a pointer
//! (`free`, `realloc`, `is_managed`) is a binary search: O(log chunks).
//!
//! Reset drops every block at once, keeps up to `retain` chunks for reuse,
//! gives the rest back to the memory source, and clears only the side-table
//! bytes that were used.
//!
//! Two types share the core: [`GrowArena`] (one thread at a time, `!Sync`)
//! and [`SharedGrowArena`] (an internal lock, safe from any thread). The
//! memory source is never called with the lock held or with the core
//! borrowed, so a source may itself allocate from the arena.

mod audit;
pub(crate) mod container_ffi;
pub(crate) mod ffi;
mod lock;
mod map;
mod vec;

pub use audit::{Pointers, Violation, Walker, audit, audit_as};
pub use map::ArenaMap;
pub use vec::ArenaVec;

use std::alloc::Layout;
use std::cell::UnsafeCell;
use std::ffi::CStr;
use std::fmt;
use std::ptr::{self, NonNull};

use crate::error::{Error, Result};
use lock::SpinLock;

/// The unit of every block: sizes round up to it, and every block is
/// aligned to it.
pub const GROW_GRANULE: usize = 16;
const GRANULE_SHIFT: u32 = 4;
/// Side-table bit of a freed block.
const FREED: u8 = 0x80;
/// Number of size classes, counting the unused class 0.
const CLASSES: usize = 128;
/// The largest alignment an allocation may ask for.
const MAX_ALIGN: usize = 4096;
/// Default chunk size.
pub const GROW_DEFAULT_CHUNK: usize = 64 * 1024;
/// Smallest chunk size accepted.
const MIN_CHUNK: usize = 256;

/// Granules of each class: classes 1..=8 are 1..=8 granules, then four
/// classes per doubling (10, 12, 14, 16, 20, 24, ...).
const CLASS_GRANULES: [usize; CLASSES] = {
    let mut t = [0usize; CLASSES];
    let mut c = 1;
    while c < CLASSES {
        t[c] = if c <= 8 {
            c
        } else {
            let e = 3 + (c - 9) / 4;
            let k = (c - 9) % 4 + 1;
            (1 << e) + k * (1 << (e - 2))
        };
        c += 1;
    }
    t
};

/// The largest block a size class can hold.
const MAX_BLOCK: usize = CLASS_GRANULES[CLASSES - 1] << GRANULE_SHIFT;

/// Granule counts up to this are classed by table lookup.
const SMALL_GRANULES: usize = 64;

/// The class of every granule count up to [`SMALL_GRANULES`].
const SMALL_CLASS: [u8; SMALL_GRANULES + 1] = {
    let mut t = [0u8; SMALL_GRANULES + 1];
    let mut g = 1;
    let mut c = 1;
    while g <= SMALL_GRANULES {
        while CLASS_GRANULES[c] < g {
            c += 1;
        }
        t[g] = c as u8;
        g += 1;
    }
    t
};

/// The size class of a block of `size` bytes (`0 < size <= MAX_BLOCK`).
#[inline(always)]
fn class_of(size: usize) -> usize {
    let g = (size + GROW_GRANULE - 1) >> GRANULE_SHIFT;
    if g <= SMALL_GRANULES {
        SMALL_CLASS[g] as usize
    } else {
        let e = (usize::BITS - 1 - (g - 1).leading_zeros()) as usize;
        let k = ((g - 1 - (1 << e)) >> (e - 2)) + 1;
        9 + (e - 3) * 4 + (k - 1)
    }
}

/// Bytes of class `c` (`c < CLASSES`).
#[inline(always)]
fn class_size(c: usize) -> usize {
    CLASS_GRANULES[c & (CLASSES - 1)] << GRANULE_SHIFT
}

/// Where chunks come from (the seed's `Memory`): the system by default, or
/// shared memory, a huge-page pool, a C callback pair.
///
/// Called without any lock of the arena held, from whichever thread
/// allocates (several at once for a [`SharedGrowArena`]); a source may
/// allocate from the arena it serves.
pub trait MemorySource: Send + Sync {
    /// At least `size` bytes aligned to 16 (a page is best), or `None` when
    /// there is no memory.
    fn alloc(&self, size: usize) -> Option<NonNull<u8>>;

    /// Gives back memory from [`alloc`](Self::alloc).
    ///
    /// # Safety
    ///
    /// `ptr` and `size` are those of one earlier `alloc` of this source, not
    /// yet freed, and nothing uses the memory any more.
    unsafe fn free(&self, ptr: NonNull<u8>, size: usize);
}

/// Page-aligned chunks from the global allocator.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemMemory;

impl MemorySource for SystemMemory {
    fn alloc(&self, size: usize) -> Option<NonNull<u8>> {
        let layout = Layout::from_size_align(size, 4096).ok()?;
        // SAFETY: the arena never asks for 0 bytes.
        NonNull::new(unsafe { std::alloc::alloc(layout) })
    }

    unsafe fn free(&self, ptr: NonNull<u8>, size: usize) {
        // SAFETY: the caller's promise: this layout allocated `ptr`, which
        // `alloc` checked could be made.
        unsafe { std::alloc::dealloc(ptr.as_ptr(), Layout::from_size_align_unchecked(size, 4096)) }
    }
}

/// What containers and typed helpers need from an arena; implemented by
/// [`GrowArena`] and [`SharedGrowArena`].
///
/// # Safety
///
/// An implementor hands out blocks that stay valid and disjoint from every
/// other live block until they are freed, reallocated, or the arena is
/// reset (which takes `&mut`) or dropped.
pub unsafe trait ArenaAlloc {
    /// Uninitialised memory for `layout`. `Error::InvalidArgument` for a
    /// zero size, an alignment above 4096 or a size no class holds;
    /// `Error::System` when the memory source has no chunk.
    fn alloc(&self, layout: Layout) -> Result<NonNull<u8>>;

    /// [`alloc`](Self::alloc), zero-filled.
    fn alloc_zeroed(&self, layout: Layout) -> Result<NonNull<u8>>;

    /// Gives a block back, for reuse by later allocations of its size
    /// class. `Error::ForeignPointer` when `ptr` is not the start of a block
    /// of this arena, `Error::DoubleFree` when the block is already free;
    /// either way nothing changes.
    ///
    /// # Safety
    ///
    /// Nothing uses the block afterwards.
    unsafe fn free(&self, ptr: NonNull<u8>) -> Result<()>;

    /// Resizes the block at `ptr` to `new_size` bytes aligned to `align`:
    /// in place when its class already holds `new_size`, or when it is the
    /// arena's last allocation and its chunk has room (the seed's
    /// `Append`); otherwise a new block gets a copy and the old one is
    /// freed. On error the old block is untouched and still live.
    ///
    /// # Safety
    ///
    /// As [`free`](Self::free): after success only the returned pointer
    /// is used.
    unsafe fn realloc(
        &self,
        ptr: NonNull<u8>,
        align: usize,
        new_size: usize,
    ) -> Result<NonNull<u8>>;

    /// How many bytes the live block starting at `ptr` holds; `None` when
    /// `ptr` is not the start of a live block of this arena.
    fn usable_size(&self, ptr: *const u8) -> Option<usize>;

    /// Whether `ptr` points into memory this arena manages (any byte of
    /// any of its chunks, live or not). O(log chunks).
    fn is_managed(&self, ptr: *const u8) -> bool;

    /// How many times the arena was reset: handles that remember it can
    /// tell that their blocks are gone.
    fn epoch(&self) -> u64;

    /// Moves `value` into the arena. Its `Drop` never runs (like any arena
    /// that frees in bulk).
    #[allow(clippy::mut_from_ref)]
    fn alloc_value<T>(&self, value: T) -> Result<&mut T>
    where
        Self: Sized,
    {
        let layout = Layout::new::<T>();
        let p = if layout.size() == 0 {
            NonNull::<T>::dangling().cast()
        } else {
            self.alloc(layout)?
        };
        let p = p.cast::<T>();
        // SAFETY: `p` is a fresh block for a `T` (or dangling and aligned
        // for a zero-sized one), ours until the arena's `&mut` reset.
        unsafe {
            p.as_ptr().write(value);
            Ok(&mut *p.as_ptr())
        }
    }

    /// Copies `bytes` into the arena (the seed's `Bytes`).
    #[allow(clippy::mut_from_ref)]
    fn copy_bytes(&self, bytes: &[u8]) -> Result<&mut [u8]>
    where
        Self: Sized,
    {
        if bytes.is_empty() {
            return Ok(&mut []);
        }
        let p = self.alloc(Layout::from_size_align(bytes.len(), 1).map_err(layout_error)?)?;
        // SAFETY: a fresh block of `bytes.len()` bytes, disjoint from
        // `bytes` (which is not in a free block: it is borrowed).
        unsafe {
            ptr::copy_nonoverlapping(bytes.as_ptr(), p.as_ptr(), bytes.len());
            Ok(std::slice::from_raw_parts_mut(p.as_ptr(), bytes.len()))
        }
    }

    /// Copies `s` into the arena (the seed's `String`).
    #[allow(clippy::mut_from_ref)]
    fn copy_str(&self, s: &str) -> Result<&mut str>
    where
        Self: Sized,
    {
        let b = self.copy_bytes(s.as_bytes())?;
        // SAFETY: a byte-for-byte copy of a `str`.
        Ok(unsafe { std::str::from_utf8_unchecked_mut(b) })
    }

    /// Copies a C string, with its terminating NUL, into the arena.
    fn copy_cstr(&self, s: &CStr) -> Result<&CStr>
    where
        Self: Sized,
    {
        let b = self.copy_bytes(s.to_bytes_with_nul())?;
        // SAFETY: a copy of a C string's bytes, NUL included.
        Ok(unsafe { CStr::from_bytes_with_nul_unchecked(b) })
    }
}

#[cold]
#[inline(never)]
fn layout_error(e: std::alloc::LayoutError) -> Error {
    Error::invalid(format!("growing arena: {e}"))
}

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
struct Chunk {
    base: *mut u8,
    size: usize,
    /// One byte per granule (normal chunks); one byte for the block of a
    /// dedicated chunk. A `Vec`, not a `Box`: moving the chunk must keep
    /// the raw pointers into it valid (the bump state and free-list nodes
    /// hold them), and moving a `Box` asserts unique access to its bytes.
    meta: Vec<u8>,
    /// The block of a dedicated chunk (null for a normal chunk).
    block: *mut u8,
    /// High-water mark of bump allocation (normal chunks): side-table
    /// bytes at and below `used >> 4` may be non-zero.
    used: usize,
}

impl Chunk {
    #[inline(always)]
    fn end(&self) -> usize {
        self.base as usize + self.size
    }

    /// The side-table byte of the block starting at `p`, if `p`, which
    /// lies in this chunk, can start a block here.
    #[inline(always)]
    fn meta_of(&mut self, p: *const u8) -> Option<*mut u8> {
        let off = p as usize - self.base as usize;
        if !self.block.is_null() {
            return (p == self.block).then_some(self.meta.as_mut_ptr());
        }
        if off % GROW_GRANULE != 0 {
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
struct Bump {
    top: *mut u8,
    end: *mut u8,
    /// Side table of the current chunk, indexed from `base`.
    meta: *mut u8,
    base: *mut u8,
    /// The block allocated last by bumping, if still live: it may grow in
    /// place or give its room back.
    last: *mut u8,
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
struct FreeNode {
    next: *mut FreeNode,
    meta: *mut u8,
}

/// The state both arena types share.
struct Core {
    bump: Bump,
    free: [*mut FreeNode; CLASSES],
    /// Chunks by address.
    chunks: Vec<Chunk>,
    /// Chunks kept across a reset, side tables cleared.
    spare: Vec<Chunk>,
    stats: GrowStats,
    retain: usize,
    epoch: u64,
    /// The chunk `find` found last.
    hint: usize,
}

/// What the slow path asks the memory source for.
enum Need {
    /// A new normal chunk.
    Chunk,
    /// A dedicated chunk of this many bytes for one block.
    Dedicated(usize),
}

impl Core {
    fn new(chunk_size: usize, retain: usize) -> Core {
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
    fn class_for(size: usize, align: usize) -> Result<usize> {
        if size == 0 || size > MAX_BLOCK || align > MAX_ALIGN {
            return Err(bad_request(size, align));
        }
        Ok(class_of(size))
    }

    /// Serves an allocation of class `c` from the free list or the current
    /// chunk, or says what chunk it needs.
    #[inline(always)]
    fn try_alloc(&mut self, c: usize, align: usize) -> std::result::Result<NonNull<u8>, Need> {
        let size = class_size(c);
        if align <= GROW_GRANULE {
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
        let span = size + align.saturating_sub(GROW_GRANULE);
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
    fn find(&mut self, p: *const u8) -> Option<usize> {
        if let Some(c) = self.chunks.get(self.hint) {
            if (p as usize).wrapping_sub(c.base as usize) < c.size {
                return Some(self.hint);
            }
        }
        self.search(p as usize)
    }

    #[inline(never)]
    fn search(&mut self, a: usize) -> Option<usize> {
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
    fn leave_current(&mut self) {
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
    fn install(&mut self, mut chunk: Chunk) {
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

    fn insert(&mut self, chunk: Chunk) {
        self.stats.chunks += 1;
        self.stats.chunk_bytes += chunk.size;
        let at = self
            .chunks
            .partition_point(|c| (c.base as usize) < chunk.base as usize);
        self.chunks.insert(at, chunk);
    }

    /// Places a dedicated chunk's block, returning it.
    fn install_dedicated(&mut self, mut chunk: Chunk, c: usize, align: usize) -> NonNull<u8> {
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
    fn live_block(&mut self, p: *const u8) -> Result<(Option<usize>, *mut u8, usize)> {
        let b = self.bump;
        let off = (p as usize).wrapping_sub(b.base as usize);
        let found = if off < b.end as usize - b.base as usize {
            // In the current chunk (a normal one), found without a search.
            // SAFETY: the side table has a byte per granule of the chunk.
            (off % GROW_GRANULE == 0).then(|| (None, unsafe { b.meta.add(off >> GRANULE_SHIFT) }))
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
    fn not_live(&mut self, p: *const u8) -> Error {
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
    fn release(
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
    fn remove_dedicated(&mut self, i: usize) -> Chunk {
        let chunk = self.chunks.remove(i);
        self.stats.chunks -= 1;
        self.stats.chunk_bytes -= chunk.size;
        chunk
    }

    /// Tries to resize block `p` (chunk `i`, class `c`) in place.
    fn resize_in_place(&mut self, p: *mut u8, m: *mut u8, c: usize, new_size: usize) -> bool {
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
    fn reset(&mut self) -> Vec<Chunk> {
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

    fn snapshot(&self) -> GrowStats {
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

/// Access to the core: exclusive for the plain arena, under the lock for
/// the shared one. `with` must not be re-entered (nothing inside calls out).
trait Access {
    fn with<R>(&self, f: impl FnOnce(&mut Core) -> R) -> R;
    fn source(&self) -> &dyn MemorySource;
}

/// The memory source's side of every operation, shared by both arenas:
/// the fast path runs under `with`; a new chunk is fetched outside it.
struct Ops<'a, A: Access + ?Sized>(&'a A);

impl<A: Access + ?Sized> Ops<'_, A> {
    #[inline(always)]
    fn alloc(&self, layout: Layout) -> Result<NonNull<u8>> {
        let (size, align) = (layout.size(), layout.align());
        let c = Core::class_for(size, align)?;
        match self.0.with(|core| core.try_alloc(c, align)) {
            Ok(p) => Ok(p),
            Err(need) => self.alloc_slow(c, align, need),
        }
    }

    #[cold]
    #[inline(never)]
    fn alloc_slow(&self, c: usize, align: usize, need: Need) -> Result<NonNull<u8>> {
        let mut need = need;
        loop {
            match need {
                Need::Dedicated(bytes) => {
                    let chunk = self.fetch(bytes, true)?;
                    return Ok(self.0.with(|core| core.install_dedicated(chunk, c, align)));
                }
                Need::Chunk => {
                    let spare = self.0.with(|core| core.spare.pop());
                    let chunk = match spare {
                        Some(s) => s,
                        None => {
                            let size = self.0.with(|core| core.stats.chunk_size);
                            self.fetch(size, false)?
                        }
                    };
                    // Another caller may have installed a chunk meanwhile
                    // (the source was called without the core): use ours
                    // anyway; the old current chunk keeps its blocks.
                    match self.0.with(|core| {
                        core.install(chunk);
                        core.try_alloc(c, align)
                    }) {
                        Ok(p) => return Ok(p),
                        Err(n) => need = n,
                    }
                }
            }
        }
    }

    /// A chunk of `size` bytes from the memory source, with its side table.
    fn fetch(&self, size: usize, dedicated: bool) -> Result<Chunk> {
        let size = size
            .checked_add(GROW_GRANULE - 1)
            .map(|s| s & !(GROW_GRANULE - 1))
            .ok_or(Error::System { bytes: size })?;
        let src = self.0.source();
        let Some(base) = src.alloc(size) else {
            return Err(Error::System { bytes: size });
        };
        if base.as_ptr() as usize % GROW_GRANULE != 0 {
            // SAFETY: just allocated by this source with this size.
            unsafe { src.free(base, size) };
            return Err(Error::Refused {
                bytes: size,
                reason: format!(
                    "the memory source returned {:p}, not aligned to {GROW_GRANULE}",
                    base.as_ptr()
                ),
            });
        }
        let meta = if dedicated { 1 } else { size >> GRANULE_SHIFT };
        Ok(Chunk {
            base: base.as_ptr(),
            size,
            meta: vec![0u8; meta],
            block: ptr::null_mut(),
            used: 0,
        })
    }

    /// Gives a chunk back to the source.
    fn give_back(&self, c: Chunk) {
        // SAFETY: every chunk came from this source with this size, and
        // the arena no longer refers to it.
        unsafe { self.0.source().free(NonNull::new_unchecked(c.base), c.size) };
    }

    /// # Safety
    ///
    /// See [`ArenaAlloc::free`].
    #[inline]
    unsafe fn free(&self, p: NonNull<u8>) -> Result<()> {
        let p = p.as_ptr();
        let gone = self.0.with(|core| {
            let (dedicated, m, c) = core.live_block(p)?;
            Ok::<_, Error>(core.release(p, dedicated, m, c))
        })?;
        if let Some(chunk) = gone {
            self.give_back(chunk);
        }
        Ok(())
    }

    /// # Safety
    ///
    /// See [`ArenaAlloc::realloc`].
    unsafe fn realloc(&self, p: NonNull<u8>, align: usize, new_size: usize) -> Result<NonNull<u8>> {
        if !align.is_power_of_two() {
            return Err(Error::invalid(format!(
                "growing arena: alignment {align} is not a power of two"
            )));
        }
        let align = align.max(1);
        Core::class_for(new_size, align)?;
        let raw = p.as_ptr();
        let old = self.0.with(|core| {
            let (_, m, c) = core.live_block(raw)?;
            let fits = raw as usize % align == 0 && core.resize_in_place(raw, m, c, new_size);
            Ok::<_, Error>((fits, class_size(c)))
        })?;
        let (fits, old_size) = old;
        if fits {
            return Ok(p);
        }
        // SAFETY: checked above: a valid layout.
        let layout = unsafe { Layout::from_size_align_unchecked(new_size, align) };
        let q = self.alloc(layout)?;
        // SAFETY: both blocks are live and distinct; `old_size` bytes of
        // the old one lie in its chunk.
        unsafe { ptr::copy_nonoverlapping(raw, q.as_ptr(), old_size.min(new_size)) };
        // SAFETY: the caller's promise; the block was live above and nothing
        // but this call ran on the arena since for the plain arena, and for
        // the shared one the caller owns the block.
        unsafe { self.free(p) }?;
        Ok(q)
    }

    fn usable_size(&self, p: *const u8) -> Option<usize> {
        self.0.with(|core| {
            let (dedicated, _, c) = core.live_block(p).ok()?;
            Some(match dedicated {
                None => class_size(c),
                Some(i) => core.chunks[i].end() - p as usize,
            })
        })
    }

    fn is_managed(&self, p: *const u8) -> bool {
        self.0.with(|core| core.find(p).is_some())
    }

    /// # Safety
    ///
    /// Nothing uses any block of the arena afterwards.
    unsafe fn reset(&self) {
        let gone = self.0.with(Core::reset);
        for c in gone {
            self.give_back(c);
        }
    }

    /// Returns every chunk to the source (drop).
    fn release_all(&self) {
        let (mut gone, spare) = self.0.with(|core| {
            let gone = core.reset();
            (gone, std::mem::take(&mut core.spare))
        });
        gone.extend(spare);
        for c in gone {
            self.give_back(c);
        }
    }
}

/// Options of a growing arena; from [`GrowArena::builder`].
pub struct GrowArenaBuilder {
    chunk_size: usize,
    retain: usize,
    source: Box<dyn MemorySource>,
}

impl fmt::Debug for GrowArenaBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrowArenaBuilder")
            .field("chunk_size", &self.chunk_size)
            .field("retain", &self.retain)
            .finish_non_exhaustive()
    }
}

impl GrowArenaBuilder {
    /// Bytes per chunk (default 64 KiB; at least 256, rounded up to 16).
    /// Requests above a quarter of it get a dedicated chunk.
    pub fn chunk_size(mut self, bytes: usize) -> Self {
        self.chunk_size = bytes;
        self
    }

    /// How many chunks a reset keeps for reuse (default 1); the others go
    /// back to the memory source.
    pub fn retain(mut self, chunks: usize) -> Self {
        self.retain = chunks;
        self
    }

    /// Where chunks come from (default [`SystemMemory`]).
    pub fn memory(mut self, source: impl MemorySource + 'static) -> Self {
        self.source = Box::new(source);
        self
    }

    /// [`memory`](Self::memory) for a source already boxed.
    pub fn memory_boxed(mut self, source: Box<dyn MemorySource>) -> Self {
        self.source = source;
        self
    }

    fn core(&self) -> Result<Core> {
        if self.chunk_size < MIN_CHUNK || self.chunk_size > MAX_BLOCK {
            return Err(Error::invalid(format!(
                "growing arena: chunk size {} is not between {MIN_CHUNK} and {MAX_BLOCK}",
                self.chunk_size
            )));
        }
        let size = (self.chunk_size + GROW_GRANULE - 1) & !(GROW_GRANULE - 1);
        Ok(Core::new(size, self.retain))
    }

    /// An arena for one thread at a time. Fails only on a bad chunk size.
    pub fn build(self) -> Result<GrowArena> {
        Ok(GrowArena {
            core: UnsafeCell::new(self.core()?),
            source: self.source,
        })
    }

    /// An arena with an internal lock, safe from any thread (the seed's
    /// `WithEnableLock`). Containers on it still serve one thread at a time.
    pub fn build_shared(self) -> Result<SharedGrowArena> {
        Ok(SharedGrowArena {
            core: SpinLock::new(self.core()?),
            source: self.source,
        })
    }
}

/// The growing arena, for one thread at a time (`Send`, not `Sync`).
///
/// Allocation takes `&self`, so containers and typed values can share the
/// arena; [`reset`](Self::reset) takes `&mut self`, so nothing borrowed from
/// the arena survives it.
pub struct GrowArena {
    core: UnsafeCell<Core>,
    source: Box<dyn MemorySource>,
}

// SAFETY: the core's raw pointers point into chunks the arena owns, and the
// source is `Send`; `UnsafeCell` keeps the arena `!Sync`.
unsafe impl Send for GrowArena {}

impl Default for GrowArena {
    fn default() -> Self {
        GrowArena::new()
    }
}

impl GrowArena {
    /// An arena with the defaults: 64 KiB chunks from the system, one kept
    /// across reset.
    pub fn new() -> GrowArena {
        GrowArena::builder()
            .build()
            .expect("the default options are valid")
    }

    /// Options for a new arena.
    pub fn builder() -> GrowArenaBuilder {
        GrowArenaBuilder {
            chunk_size: GROW_DEFAULT_CHUNK,
            retain: 1,
            source: Box::new(SystemMemory),
        }
    }
}

impl Access for GrowArena {
    #[inline(always)]
    fn with<R>(&self, f: impl FnOnce(&mut Core) -> R) -> R {
        // SAFETY: `!Sync`, and no `with` runs inside another: the closures
        // never call out (the memory source is called between them).
        f(unsafe { &mut *self.core.get() })
    }

    fn source(&self) -> &dyn MemorySource {
        &*self.source
    }
}

/// The growing arena with an internal lock: safe from any thread.
pub struct SharedGrowArena {
    core: SpinLock<Core>,
    source: Box<dyn MemorySource>,
}

// SAFETY: the core (raw pointers into chunks the arena owns) is reached
// only under the lock; the source is `Send + Sync`.
unsafe impl Send for SharedGrowArena {}
// SAFETY: as above.
unsafe impl Sync for SharedGrowArena {}

impl Access for SharedGrowArena {
    #[inline(always)]
    fn with<R>(&self, f: impl FnOnce(&mut Core) -> R) -> R {
        self.core.with(f)
    }

    fn source(&self) -> &dyn MemorySource {
        &*self.source
    }
}

/// What both arena types have alike, written once: reset, counters,
/// `Drop`, `Debug` and [`ArenaAlloc`].
macro_rules! arena_alloc {
    ($t:ident) => {
        impl $t {
            /// Frees every block at once, keeping up to `retain` chunks for
            /// reuse.
            pub fn reset(&mut self) {
                // SAFETY: `&mut self`: nothing borrows a block any more.
                unsafe { Ops(&*self).reset() }
            }

            /// # Safety
            ///
            /// [`reset`](Self::reset) through a shared reference, for the C
            /// layer: nothing uses a block of the arena afterwards, and no
            /// call on the arena is running on this thread but the caller.
            pub(crate) unsafe fn reset_shared(&self) {
                // SAFETY: the caller's promise.
                unsafe { Ops(self).reset() }
            }

            /// A snapshot of the counters.
            pub fn stats(&self) -> GrowStats {
                self.with(|c| c.snapshot())
            }
        }

        impl Drop for $t {
            fn drop(&mut self) {
                Ops(&*self).release_all();
            }
        }

        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($t))
                    .field("stats", &self.stats())
                    .finish_non_exhaustive()
            }
        }

        // SAFETY: blocks come from chunks the arena owns until reset or
        // drop; the side table keeps live blocks disjoint.
        unsafe impl ArenaAlloc for $t {
            #[inline]
            fn alloc(&self, layout: Layout) -> Result<NonNull<u8>> {
                Ops(self).alloc(layout)
            }

            fn alloc_zeroed(&self, layout: Layout) -> Result<NonNull<u8>> {
                let p = Ops(self).alloc(layout)?;
                // SAFETY: a fresh block of at least `layout.size()` bytes.
                unsafe { ptr::write_bytes(p.as_ptr(), 0, layout.size()) };
                Ok(p)
            }

            #[inline]
            unsafe fn free(&self, ptr: NonNull<u8>) -> Result<()> {
                // SAFETY: the caller's promise.
                unsafe { Ops(self).free(ptr) }
            }

            unsafe fn realloc(
                &self,
                ptr: NonNull<u8>,
                align: usize,
                new_size: usize,
            ) -> Result<NonNull<u8>> {
                // SAFETY: the caller's promise.
                unsafe { Ops(self).realloc(ptr, align, new_size) }
            }

            fn usable_size(&self, ptr: *const u8) -> Option<usize> {
                Ops(self).usable_size(ptr)
            }

            fn is_managed(&self, ptr: *const u8) -> bool {
                Ops(self).is_managed(ptr)
            }

            fn epoch(&self) -> u64 {
                self.with(|c| c.epoch)
            }
        }
    };
}

arena_alloc!(GrowArena);
arena_alloc!(SharedGrowArena);

#[cfg(all(test, not(arn_loom)))]
mod map_tests;
#[cfg(all(test, not(arn_loom)))]
mod tests;
#[cfg(all(test, not(arn_loom)))]
mod vec_tests;
