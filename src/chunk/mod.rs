//! Shared chunk slices (seed 003, arena-arc): a [`ChunkAllocator`] builds
//! slices in big chunks and hands them out as [`ArcSlice`] / [`ArcSingle`]
//! handles, cheap to clone and read from any thread; a chunk's memory, and
//! the `Drop` of every element built in it, go when its last handle drops.
//!
//! # Design
//!
//! A chunk is one heap block: a header (its reference count, what it holds,
//! how to drop its elements) followed by room for `capacity` elements. The
//! allocator bumps a pointer through its *current* chunk; a handle is the
//! slice's pointer and length plus a pointer to the chunk's header
//! (`ArcSlice` is 3 words, `ArcSingle` 2).
//!
//! The reference count is kept *in bulk*. A new current chunk starts with a
//! count of `PRECHARGE` (2^62 on 64-bit targets), which pays in advance for
//! every handle the allocator will hand out from it; the allocator keeps a
//! plain tally of the handles it gave. When it moves to another chunk (or is
//! dropped) it gives back the unused advance with one atomic subtraction;
//! the count is then exactly the number of live handles. So:
//!
//! | operation | atomic read-modify-writes |
//! |---|---|
//! | allocate a slice from the current chunk | 0 |
//! | clone a handle | 1 (`fetch_add`, relaxed) |
//! | drop a handle | 1 (`fetch_sub`, release; an acquire fence on the last) |
//! | move to a new chunk | 1 (the settling subtraction) + 1 for the stats tally |
//! | free a chunk | 5 on the stats tally (four counters and its count) |
//!
//! A request longer than the chunk capacity gets a *dedicated* chunk of
//! exactly its length, and so does a request that does not fit in what is
//! left of the current chunk when a new chunk would keep less free room
//! than the current one has; either way the current chunk stays current.
//! An empty request (`len == 0`) touches no chunk and allocates nothing.
//!
//! # Overheads (the seed's warnings, and what [`ChunkStats`] shows of them)
//!
//! - **Dead tail**: when a request does not fit, the allocator moves to a
//!   new chunk and the unused end of the old one is wasted until that chunk
//!   is freed (`dead_tail_bytes`).
//! - **Zombies**: a dropped slice's room is not reused while other handles
//!   keep its chunk alive. Telling which slices are dead would need a count
//!   per slice, paid on every clone and drop; the allocator does not keep
//!   one. It reports the built bytes of live chunks it has let go of
//!   (`retired_bytes_used`): memory kept only by outstanding handles, your
//!   live slices and the zombies together, so an upper bound of the zombies.
//! - **Deferred drops**: elements are dropped when their chunk is freed, not
//!   when their own last handle goes; a handle stored in an element of its
//!   own chunk keeps that chunk alive forever (a reference cycle).
//!
//! Allocation takes `&mut self`: one producer at a time. Handles may be
//! read, cloned and dropped from any thread when `T: Send + Sync`.
//!
//! ```
//! use arn::ChunkAllocator;
//!
//! let mut chunks: ChunkAllocator<u64> = ChunkAllocator::new();
//! let squares = chunks.alloc(4, |i| (i * i) as u64);
//! let shared = squares.clone(); // one atomic increment, no copy
//! drop(squares);
//! assert_eq!(&shared[..], &[0, 1, 4, 9]);
//! ```

pub(crate) mod ffi;
#[cfg(all(test, arn_loom))]
mod loom_tests;
#[cfg(all(test, not(arn_loom)))]
mod tests;

use std::alloc::{self, Layout};
use std::borrow::Borrow;
use std::convert::Infallible;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::mem::{self, ManuallyDrop};
use std::ops::Deref;
use std::ptr::{self, NonNull};

use crate::error::{Error, Result};
use crate::sync::{AtomicUsize, Ordering, fence};

/// The count a current chunk starts with: an advance on every handle the
/// allocator will give out of it, settled when the allocator leaves it.
const PRECHARGE: usize = 1 << (usize::BITS - 2);

/// The largest chunk capacity, in elements. Handles given out of one chunk
/// never exceed its capacity, so they stay below the advance.
pub const MAX_CHUNK_CAPACITY: usize = 1 << (usize::BITS - 3);

/// Clones past this count abort, as `Arc`'s do: the count must not wrap.
const MAX_REFS: usize = isize::MAX as usize;

/// Drops `n` elements built at the pointer.
type DropElems = unsafe fn(*mut u8, usize);

/// The front of every chunk. Fields other than `refs` are written by the
/// allocator before any handle to the chunk exists, or (`used`, `tail`)
/// before its settling release; they are read by whoever frees the chunk,
/// after the acquire that follows the last decrement.
#[repr(C)]
struct Header {
    refs: AtomicUsize,
    /// Elements built, a prefix of the chunk.
    used: usize,
    /// Dead-tail bytes this chunk added to the stats when the allocator
    /// left it (0 for dedicated chunks).
    tail: usize,
    /// Room in elements, and bytes per element.
    cap: usize,
    stride: usize,
    /// Where the elements start, and the whole block's layout.
    offset: usize,
    size: usize,
    align: usize,
    drop_elems: Option<DropElems>,
    tally: NonNull<Tally>,
}

/// What freed chunks report to their allocator's stats. Owned by the
/// allocator and every live chunk (one count each), so that a chunk freed
/// after its allocator was dropped still has somewhere to report.
struct Tally {
    refs: AtomicUsize,
    chunks: AtomicUsize,
    reserved: AtomicUsize,
    used: AtomicUsize,
    tail: AtomicUsize,
}

/// Drops one count on the tally; the last frees it.
///
/// # Safety
///
/// The caller owns one count of a live tally.
unsafe fn release_tally(t: NonNull<Tally>) {
    // SAFETY: the caller's count keeps the tally alive until here.
    if unsafe { (*t.as_ptr()).refs.fetch_sub(1, Ordering::Release) } == 1 {
        fence(Ordering::Acquire);
        // SAFETY: that was the last count; the tally came from `Box`.
        drop(unsafe { Box::from_raw(t.as_ptr()) });
    }
}

/// Frees a chunk whose count reached zero: drops its elements, reports to
/// the tally, gives the memory back. Not generic: every element type and
/// the C slices share this one copy.
///
/// # Safety
///
/// The chunk's count reached zero and the caller synchronised with every
/// earlier release (the acquire fence after the last decrement), or the
/// caller made the chunk and no handle to it ever existed.
#[cold]
#[inline(never)]
unsafe fn free_chunk(h: NonNull<Header>) {
    /// Reports and deallocates even when an element's `Drop` panics.
    struct Free {
        block: *mut u8,
        layout: Layout,
        tally: NonNull<Tally>,
        reserved: usize,
        used: usize,
        tail: usize,
    }
    impl Drop for Free {
        fn drop(&mut self) {
            // SAFETY: the chunk's count on the tally is still held.
            let t = unsafe { self.tally.as_ref() };
            t.chunks.fetch_add(1, Ordering::Relaxed);
            t.reserved.fetch_add(self.reserved, Ordering::Relaxed);
            t.used.fetch_add(self.used, Ordering::Relaxed);
            t.tail.fetch_add(self.tail, Ordering::Relaxed);
            // SAFETY: the block was allocated with this layout and nothing
            // refers to it any more.
            unsafe { alloc::dealloc(self.block, self.layout) };
            // SAFETY: the chunk's count on the tally, given up here.
            unsafe { release_tally(self.tally) };
        }
    }
    let p = h.as_ptr();
    // SAFETY: the chunk is ours alone now (the caller's promise); its
    // header was written when it was made and settled.
    let (used, drop_elems, data, free) = unsafe {
        let block = p.cast::<u8>();
        let free = Free {
            block,
            layout: Layout::from_size_align_unchecked((*p).size, (*p).align),
            tally: (*p).tally,
            reserved: (*p).cap * (*p).stride,
            used: (*p).used * (*p).stride,
            tail: (*p).tail,
        };
        ((*p).used, (*p).drop_elems, block.add((*p).offset), free)
    };
    if let Some(drop_elems) = drop_elems {
        // SAFETY: the first `used` elements were built and never dropped.
        unsafe { drop_elems(data, used) };
    }
    drop(free);
}

/// One counted reference to a chunk: clone = one relaxed increment, drop =
/// one release decrement (and the free on the last).
pub(crate) struct ChunkRef(NonNull<Header>);

impl ChunkRef {
    /// Adopts one count on `h`.
    ///
    /// # Safety
    ///
    /// The caller hands over one count of a live chunk.
    #[inline(always)]
    unsafe fn adopt(h: NonNull<Header>) -> ChunkRef {
        ChunkRef(h)
    }
}

impl Clone for ChunkRef {
    #[inline]
    fn clone(&self) -> Self {
        // SAFETY: our count keeps the chunk alive; only the `refs` field is
        // borrowed (the allocator may be writing others).
        let old = unsafe { (*self.0.as_ptr()).refs.fetch_add(1, Ordering::Relaxed) };
        if old > MAX_REFS {
            too_many_refs();
        }
        ChunkRef(self.0)
    }
}

impl Drop for ChunkRef {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: as in `clone`.
        if unsafe { (*self.0.as_ptr()).refs.fetch_sub(1, Ordering::Release) } == 1 {
            fence(Ordering::Acquire);
            // SAFETY: that was the last count, and the fence orders every
            // other handle's use of the chunk before the free.
            unsafe { free_chunk(self.0) };
        }
    }
}

#[cold]
#[inline(never)]
fn too_many_refs() -> ! {
    std::process::abort()
}

/// Where a reservation lies: in the current chunk, or in a fresh dedicated
/// chunk that holds this request alone (with a count of one, for it).
#[derive(Clone, Copy)]
struct Spot {
    ptr: NonNull<u8>,
    chunk: NonNull<Header>,
    dedicated: bool,
}

/// Why a chunk could not be made.
#[derive(Debug)]
enum Grow {
    /// The size computation overflows.
    Overflow { n: usize, stride: usize },
    /// The global allocator refused.
    Refused(Layout),
}

impl Grow {
    /// The panicking API's answer, as `Vec` does.
    #[cold]
    #[inline(never)]
    fn raise(self) -> ! {
        match self {
            Grow::Overflow { .. } => panic!("capacity overflow"),
            Grow::Refused(layout) => alloc::handle_alloc_error(layout),
        }
    }

    #[cold]
    fn error(self) -> Error {
        match self {
            Grow::Overflow { n, stride } => Error::invalid(format!(
                "{n} elements of {stride} bytes overflow the address space"
            )),
            Grow::Refused(layout) => Error::System {
                bytes: layout.size(),
            },
        }
    }
}

/// The untyped core under [`ChunkAllocator`] and the C allocator: elements
/// of a runtime stride and alignment, dropped (if at all) by `drop_elems`.
pub(crate) struct RawChunks {
    /// Next free element of the current chunk (dangling when none).
    cur: NonNull<u8>,
    /// Elements left in the current chunk (0 when none).
    left: usize,
    /// Handles given out of the current chunk, all paid by its advance.
    given: usize,
    chunk: Option<NonNull<Header>>,
    cap: usize,
    stride: usize,
    align: usize,
    drop_elems: Option<DropElems>,
    tally: NonNull<Tally>,
    // Owner-side totals; what freed chunks took away is in the tally.
    made: u64,
    dedicated: u64,
    /// Slices and elements of chunks no longer current.
    slices_past: u64,
    elements_past: u64,
    reserved_made: usize,
    used_past: usize,
    tail_past: usize,
}

impl RawChunks {
    /// An allocator of chunks of `cap` elements of `stride` bytes aligned
    /// to `align` (a power of two). Makes no chunk yet.
    fn new(cap: usize, stride: usize, align: usize, drop_elems: Option<DropElems>) -> Result<Self> {
        if cap == 0 {
            return Err(Error::invalid("chunk capacity is 0"));
        }
        if cap > MAX_CHUNK_CAPACITY {
            return Err(Error::invalid(format!(
                "chunk capacity {cap} is above {MAX_CHUNK_CAPACITY}"
            )));
        }
        chunk_layout(cap, stride, align).map_err(Grow::error)?;
        let tally = Box::new(Tally {
            refs: AtomicUsize::new(1),
            chunks: AtomicUsize::new(0),
            reserved: AtomicUsize::new(0),
            used: AtomicUsize::new(0),
            tail: AtomicUsize::new(0),
        });
        Ok(RawChunks {
            cur: NonNull::dangling(),
            left: 0,
            given: 0,
            chunk: None,
            cap,
            stride,
            align,
            drop_elems,
            tally: NonNull::from(Box::leak(tally)),
            made: 0,
            dedicated: 0,
            slices_past: 0,
            elements_past: 0,
            reserved_made: 0,
            used_past: 0,
            tail_past: 0,
        })
    }

    /// Room for `n > 0` elements: in the current chunk when they fit (no
    /// atomic, no call), otherwise out of line.
    #[inline(always)]
    fn reserve(&mut self, n: usize) -> std::result::Result<Spot, Grow> {
        if n <= self.left {
            // SAFETY: `left > 0` only while there is a current chunk.
            let chunk = unsafe { self.chunk.unwrap_unchecked() };
            return Ok(Spot {
                ptr: self.cur,
                chunk,
                dedicated: false,
            });
        }
        self.reserve_slow(n)
    }

    #[cold]
    #[inline(never)]
    fn reserve_slow(&mut self, n: usize) -> std::result::Result<Spot, Grow> {
        // A new chunk would keep `cap - n` free; worth it only if that is
        // more than the current chunk has left.
        if n > self.cap || self.cap - n <= self.left {
            let chunk = self.make_chunk(n, 1)?;
            self.dedicated += 1;
            return Ok(Spot {
                // SAFETY: `make_chunk` placed the elements inside the block.
                ptr: unsafe { Self::data(chunk) },
                chunk,
                dedicated: true,
            });
        }
        let chunk = self.make_chunk(self.cap, PRECHARGE)?;
        let old = self.chunk.replace(chunk);
        let (old_left, old_given) = (self.left, self.given);
        // SAFETY: as above.
        self.cur = unsafe { Self::data(chunk) };
        self.left = self.cap;
        self.given = 0;
        if let Some(old) = old {
            // SAFETY: the allocator's advance on `old`, given up here.
            unsafe { self.retire(old, old_left, old_given) };
        }
        Ok(Spot {
            ptr: self.cur,
            chunk,
            dedicated: false,
        })
    }

    /// The first element of a chunk.
    ///
    /// # Safety
    ///
    /// `h` is a live chunk.
    unsafe fn data(h: NonNull<Header>) -> NonNull<u8> {
        // SAFETY: `offset` lies inside the block (the caller's promise).
        unsafe { h.cast::<u8>().add((*h.as_ptr()).offset) }
    }

    /// Makes a chunk of `cap` elements whose count starts at `refs`.
    fn make_chunk(
        &mut self,
        cap: usize,
        refs: usize,
    ) -> std::result::Result<NonNull<Header>, Grow> {
        let (layout, offset) = chunk_layout(cap, self.stride, self.align)?;
        // SAFETY: the layout is not zero-sized: it starts with the header.
        let block = unsafe { alloc::alloc(layout) };
        let Some(block) = NonNull::new(block) else {
            return Err(Grow::Refused(layout));
        };
        // SAFETY: the tally is alive while the allocator is.
        unsafe { self.tally.as_ref() }
            .refs
            .fetch_add(1, Ordering::Relaxed);
        let h = block.cast::<Header>();
        // SAFETY: the block is fresh, big enough and aligned for a header.
        unsafe {
            h.as_ptr().write(Header {
                refs: AtomicUsize::new(refs),
                used: 0,
                tail: 0,
                cap,
                stride: self.stride,
                offset,
                size: layout.size(),
                align: layout.align(),
                drop_elems: self.drop_elems,
                tally: self.tally,
            })
        };
        self.made += 1;
        self.reserved_made = self.reserved_made.wrapping_add(cap * self.stride);
        Ok(h)
    }

    /// Settles the allocator's advance on a chunk it leaves with `left`
    /// elements unused after giving `given` handles; frees it when none of
    /// them is alive.
    ///
    /// # Safety
    ///
    /// `h` is a chunk this allocator made with the advance, not yet retired.
    unsafe fn retire(&mut self, h: NonNull<Header>, left: usize, given: usize) {
        let p = h.as_ptr();
        // SAFETY: the advance keeps the chunk alive; handles only touch
        // `refs`, so these plain writes race with nothing, and the release
        // below publishes them to whoever frees the chunk.
        let used = unsafe {
            (*p).used = (*p).cap - left;
            (*p).tail = left * self.stride;
            (*p).used
        };
        self.slices_past += given as u64;
        self.elements_past += used as u64;
        self.used_past = self.used_past.wrapping_add(used * self.stride);
        self.tail_past = self.tail_past.wrapping_add(left * self.stride);
        let excess = PRECHARGE - given;
        // SAFETY: as above, for `refs`.
        if unsafe { (*p).refs.fetch_sub(excess, Ordering::Release) } == excess {
            fence(Ordering::Acquire);
            // SAFETY: no handle is left and the fence orders their drops
            // before the free.
            unsafe { free_chunk(h) };
        }
    }

    /// Books the `n` elements built at `spot` and returns the handle's count
    /// on their chunk. `stride` is this allocator's (passed in so that typed
    /// callers fold it into a constant).
    ///
    /// # Safety
    ///
    /// `spot` came from the last `reserve(n)` and its `n` elements are built.
    #[inline(always)]
    unsafe fn commit(&mut self, spot: Spot, n: usize, stride: usize) -> ChunkRef {
        if spot.dedicated {
            // SAFETY: the caller's promise.
            unsafe { self.commit_dedicated(spot.chunk, n) };
        } else {
            // SAFETY: the elements fit in the chunk (`n <= left`).
            self.cur = unsafe { self.cur.add(n * stride) };
            self.left -= n;
            self.given += 1;
        }
        // SAFETY: a dedicated chunk's count of one, or one of the advance.
        unsafe { ChunkRef::adopt(spot.chunk) }
    }

    #[cold]
    #[inline(never)]
    unsafe fn commit_dedicated(&mut self, h: NonNull<Header>, n: usize) {
        // SAFETY: nobody else knows the chunk yet.
        unsafe { (*h.as_ptr()).used = n };
        self.slices_past += 1;
        self.elements_past += n as u64;
        self.used_past = self.used_past.wrapping_add(n * self.stride);
    }

    /// A snapshot of the counters.
    fn stats(&self) -> ChunkStats {
        // SAFETY: the tally is alive while the allocator is.
        let t = unsafe { self.tally.as_ref() };
        let freed_chunks = t.chunks.load(Ordering::Acquire);
        let (cur_used, cur_given) = if self.chunk.is_some() {
            (self.cap - self.left, self.given)
        } else {
            (0, 0)
        };
        let elements = self.elements_past + cur_used as u64;
        let bytes_used = self
            .used_past
            .wrapping_add(cur_used * self.stride)
            .wrapping_sub(t.used.load(Ordering::Acquire));
        ChunkStats {
            chunks_allocated: self.made,
            dedicated_chunks: self.dedicated,
            chunks_live: (self.made as usize).wrapping_sub(freed_chunks) as u64,
            slices: self.slices_past + cur_given as u64,
            elements,
            bytes_handed_out: elements * self.stride as u64,
            bytes_reserved: self
                .reserved_made
                .wrapping_sub(t.reserved.load(Ordering::Acquire)),
            bytes_used,
            retired_bytes_used: bytes_used.wrapping_sub(cur_used * self.stride),
            dead_tail_bytes: self.tail_past.wrapping_sub(t.tail.load(Ordering::Acquire)),
            free_tail_bytes: self.left * self.stride,
            chunk_capacity: self.cap,
            element_size: self.stride,
        }
    }
}

impl Drop for RawChunks {
    fn drop(&mut self) {
        // The allocator's count on the tally goes first: a panicking element
        // `Drop` below must not leak it (each chunk holds its own count).
        // SAFETY: the allocator's count.
        unsafe { release_tally(self.tally) };
        if let Some(h) = self.chunk.take() {
            // SAFETY: the current chunk, with its advance.
            unsafe { self.retire(h, self.left, self.given) };
        }
    }
}

/// The block of a chunk of `cap` elements and where its elements start.
fn chunk_layout(
    cap: usize,
    stride: usize,
    align: usize,
) -> std::result::Result<(Layout, usize), Grow> {
    let overflow = Grow::Overflow { n: cap, stride };
    let bytes = cap.checked_mul(stride).ok_or(overflow)?;
    let data =
        Layout::from_size_align(bytes, align).map_err(|_| Grow::Overflow { n: cap, stride })?;
    Layout::new::<Header>()
        .extend(data)
        .map_err(|_| Grow::Overflow { n: cap, stride })
}

/// Drops `n` `T`s at `p`.
///
/// # Safety
///
/// `p` points at `n` built `T`s that are never used again.
unsafe fn drop_elems<T>(p: *mut u8, n: usize) {
    // SAFETY: the caller's promise.
    unsafe { ptr::drop_in_place(ptr::slice_from_raw_parts_mut(p.cast::<T>(), n)) };
}

/// Counters of a chunk allocator, a snapshot (exact when no handle of it is
/// dropped at the same time). "Live" chunks are those not yet freed: the
/// current one, and every other one some handle still keeps. Byte counts are
/// of element room, chunk headers excluded (in C, a chunk's room is its
/// capacity times the element size, rounded up to the alignment).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChunkStats {
    /// Chunks made since the allocator was made, dedicated ones included.
    pub chunks_allocated: u64,
    /// Of those, dedicated chunks: one request each, sized to it.
    pub dedicated_chunks: u64,
    /// Chunks not yet freed (the current one included).
    pub chunks_live: u64,
    /// Slices handed out (empty ones excluded), since the allocator was made.
    pub slices: u64,
    /// Elements handed out, since the allocator was made.
    pub elements: u64,
    /// Room taken by the slices handed out: `elements` times
    /// `element_size` in Rust; in C each slice's bytes rounded up to the
    /// alignment.
    pub bytes_handed_out: u64,
    /// Element room of live chunks: the memory held now.
    pub bytes_reserved: usize,
    /// Bytes of live chunks that hold built elements: live slices and
    /// zombies (dropped slices whose chunk other handles keep).
    pub bytes_used: usize,
    /// The part of `bytes_used` in chunks the allocator has let go of (past
    /// chunks and dedicated ones): kept only by outstanding handles. Your
    /// live slices among them excepted, it is zombie memory; the allocator
    /// keeps no count per slice, so this is the zombies' upper bound.
    pub retired_bytes_used: usize,
    /// Unused ends of live chunks the allocator has moved past: wasted
    /// until those chunks are freed.
    pub dead_tail_bytes: usize,
    /// Room left in the current chunk.
    pub free_tail_bytes: usize,
    /// Elements per (non-dedicated) chunk.
    pub chunk_capacity: usize,
    /// Bytes per element.
    pub element_size: usize,
}

/// Owns `T`s and is invariant in `T` (see [`ChunkAllocator`]'s field).
type Owns<T> = (T, fn(T) -> T);

/// A chunk allocator: builds slices of `T` in chunks of `N` elements (or a
/// capacity chosen at run time) and hands them out as shared handles.
///
/// Allocation takes `&mut self` (one producer at a time); the handles are
/// independent of the allocator and may outlive it. See the [module
/// docs](self) for the design and its overheads.
///
/// ```
/// use arn::{ArcSingle, ChunkAllocator};
///
/// let mut chunks = ChunkAllocator::<String, 64>::new();
/// let words = chunks.from_slice(&["a".to_string(), "b".to_string()]);
/// let one = chunks.alloc_value("c".to_string());
/// drop(chunks); // the handles keep their chunk
/// assert_eq!(words.len(), 2);
/// assert_eq!(*one, "c");
/// ```
///
/// The allocator is invariant in `T`, so its chunks never mix lifetimes:
///
/// ```compile_fail
/// fn shorten<'a>(a: arn::ChunkAllocator<&'static str>) -> arn::ChunkAllocator<&'a str> {
///     a
/// }
/// ```
pub struct ChunkAllocator<T, const N: usize = 1024> {
    raw: RawChunks,
    /// Owns `T`s (for the drop checker), and is invariant in `T`: a chunk
    /// shared by earlier slices must not receive elements of a shorter
    /// lifetime, which the earlier slices' last drop would drop too late.
    _owns: PhantomData<Owns<T>>,
}

// SAFETY: moving the allocator moves the right to build `T`s and, when it
// leaves a chunk last, to drop them on its new thread: `T: Send` covers
// both. Slices it already handed out stay where they are.
unsafe impl<T: Send, const N: usize> Send for ChunkAllocator<T, N> {}
// SAFETY: `&ChunkAllocator` reads counters only, never a `T`.
unsafe impl<T: Sync, const N: usize> Sync for ChunkAllocator<T, N> {}

impl<T, const N: usize> Default for ChunkAllocator<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const N: usize> fmt::Debug for ChunkAllocator<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkAllocator")
            .field("element", &std::any::type_name::<T>())
            .field("stats", &self.stats())
            .finish()
    }
}

impl<T, const N: usize> ChunkAllocator<T, N> {
    /// An allocator with chunks of `N` elements. Makes no chunk until the
    /// first allocation.
    ///
    /// # Panics
    ///
    /// When `N` is 0 (at compile time), above [`MAX_CHUNK_CAPACITY`], or a
    /// chunk of `N` elements overflows the address space.
    pub fn new() -> Self {
        const { assert!(N > 0, "a chunk holds at least one element") };
        Self::with_capacity(N)
    }

    /// An allocator with chunks of `chunk_capacity` elements (instead of
    /// `N`).
    ///
    /// # Panics
    ///
    /// Where [`try_with_capacity`](Self::try_with_capacity) fails.
    pub fn with_capacity(chunk_capacity: usize) -> Self {
        match Self::try_with_capacity(chunk_capacity) {
            Ok(a) => a,
            Err(e) => panic!("ChunkAllocator::with_capacity: {e}"),
        }
    }

    /// An allocator with chunks of `chunk_capacity` elements.
    ///
    /// Fails with [`Error::InvalidArgument`] when the capacity is 0, above
    /// [`MAX_CHUNK_CAPACITY`], or its chunk would overflow the address space.
    pub fn try_with_capacity(chunk_capacity: usize) -> Result<Self> {
        let drop_elems = mem::needs_drop::<T>().then_some(drop_elems::<T> as DropElems);
        Ok(ChunkAllocator {
            raw: RawChunks::new(
                chunk_capacity,
                mem::size_of::<T>(),
                mem::align_of::<T>(),
                drop_elems,
            )?,
            _owns: PhantomData,
        })
    }

    /// Elements per chunk.
    pub fn chunk_capacity(&self) -> usize {
        self.raw.cap
    }

    /// A slice of `len` elements, element `i` built by `init(i)` in order.
    /// Moves to a new chunk when they do not fit in the current one; a
    /// request longer than a chunk gets a dedicated chunk of exactly `len`.
    /// `len == 0` gives an empty slice and touches no chunk.
    ///
    /// If `init` panics, the elements it built are dropped and their room
    /// is given back; the allocator stays usable.
    ///
    /// # Panics
    ///
    /// When `init` does, or `len` elements overflow the address space; the
    /// global allocator's error handler runs when memory is refused.
    #[inline]
    pub fn alloc(&mut self, len: usize, mut init: impl FnMut(usize) -> T) -> ArcSlice<T> {
        match self.try_alloc(len, |i| Ok::<T, Infallible>(init(i))) {
            Ok(s) => s,
            Err(never) => match never {},
        }
    }

    /// [`alloc`](Self::alloc) with a fallible `init`: on its first `Err`,
    /// the elements built so far are dropped, their room is given back and
    /// the error is returned.
    #[inline]
    pub fn try_alloc<E>(
        &mut self,
        len: usize,
        mut init: impl FnMut(usize) -> std::result::Result<T, E>,
    ) -> std::result::Result<ArcSlice<T>, E> {
        if len == 0 {
            return Ok(ArcSlice::empty());
        }
        let spot = match self.raw.reserve(len) {
            Ok(s) => s,
            Err(g) => g.raise(),
        };
        let mut fill = Fill::<T>::new(spot);
        while fill.built < len {
            let v = init(fill.built)?;
            // SAFETY: element `built` of the `len` reserved.
            unsafe { fill.base.add(fill.built).write(v) };
            fill.built += 1;
        }
        let base = fill.finish();
        // SAFETY: `len` elements built at the reservation just made.
        let chunk = unsafe { self.raw.commit(spot, len, mem::size_of::<T>()) };
        Ok(ArcSlice {
            ptr: base,
            len,
            chunk: Some(chunk),
            _owns: PhantomData,
        })
    }

    /// One element built by `init`, as an [`ArcSingle`] (2 words).
    ///
    /// # Panics
    ///
    /// As [`alloc`](Self::alloc).
    #[inline]
    pub fn alloc_single(&mut self, init: impl FnOnce() -> T) -> ArcSingle<T> {
        let spot = match self.raw.reserve(1) {
            Ok(s) => s,
            Err(g) => g.raise(),
        };
        let fill = Fill::<T>::new(spot);
        // SAFETY: room for one element; if `init` panics, `fill` gives a
        // dedicated chunk back (it has built nothing to drop).
        unsafe { fill.base.write(init()) };
        let base = fill.finish();
        // SAFETY: one element built at the reservation just made.
        let chunk = unsafe { self.raw.commit(spot, 1, mem::size_of::<T>()) };
        ArcSingle {
            ptr: base,
            chunk,
            _owns: PhantomData,
        }
    }

    /// `value`, moved into a chunk, as an [`ArcSingle`].
    #[inline]
    pub fn alloc_value(&mut self, value: T) -> ArcSingle<T> {
        self.alloc_single(|| value)
    }

    /// A copy of `src` in a chunk (each element cloned).
    #[inline]
    pub fn from_slice(&mut self, src: &[T]) -> ArcSlice<T>
    where
        T: Clone,
    {
        let mut it = src.iter();
        self.alloc(src.len(), |_| {
            it.next()
                .expect("from_slice: one element per index")
                .clone()
        })
    }

    /// A snapshot of the allocator's counters (see [`ChunkStats`]).
    pub fn stats(&self) -> ChunkStats {
        self.raw.stats()
    }
}

/// The elements being built at a reservation: if building stops (an `Err`
/// or a panic), drops those built and gives a dedicated chunk back. Room in
/// the current chunk needs no giving back: it was never booked.
struct Fill<T> {
    base: NonNull<T>,
    built: usize,
    dedicated: Option<NonNull<Header>>,
}

impl<T> Fill<T> {
    #[inline(always)]
    fn new(spot: Spot) -> Self {
        Fill {
            base: spot.ptr.cast(),
            built: 0,
            dedicated: spot.dedicated.then_some(spot.chunk),
        }
    }

    /// Building succeeded: keep the elements.
    #[inline(always)]
    fn finish(self) -> NonNull<T> {
        ManuallyDrop::new(self).base
    }
}

impl<T> Drop for Fill<T> {
    fn drop(&mut self) {
        /// Frees the dedicated chunk even when an element's `Drop` panics.
        struct GiveBack(Option<NonNull<Header>>);
        impl Drop for GiveBack {
            fn drop(&mut self) {
                if let Some(h) = self.0 {
                    // SAFETY: a chunk made for this request, unknown to
                    // anyone else, with nothing built (`used` is 0).
                    unsafe { free_chunk(h) };
                }
            }
        }
        let _give_back = GiveBack(self.dedicated);
        // SAFETY: the first `built` elements were built and are not handed
        // out.
        unsafe {
            ptr::drop_in_place(ptr::slice_from_raw_parts_mut(
                self.base.as_ptr(),
                self.built,
            ))
        };
    }
}

/// A shared, read-only slice in a chunk: `Deref<Target = [T]>`, cloned with
/// one atomic increment and no copy. Three words: pointer, length, chunk.
/// The chunk (and the `Drop` of its elements) goes when its last handle
/// does.
pub struct ArcSlice<T> {
    ptr: NonNull<T>,
    len: usize,
    /// `None` for the empty slice, which belongs to no chunk.
    chunk: Option<ChunkRef>,
    /// Dropping the handle may drop `T`s (for the drop checker).
    _owns: PhantomData<T>,
}

// SAFETY: handles on several threads share `&T` (needs `Sync`), and the last
// one, on any thread, drops the `T`s (needs `Send`), as for `Arc<[T]>`.
unsafe impl<T: Send + Sync> Send for ArcSlice<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for ArcSlice<T> {}

impl<T> ArcSlice<T> {
    /// The empty slice; belongs to no chunk.
    pub const fn empty() -> Self {
        ArcSlice {
            ptr: NonNull::dangling(),
            len: 0,
            chunk: None,
            _owns: PhantomData,
        }
    }

    /// The elements (no copy).
    #[inline]
    pub fn get(&self) -> &[T] {
        // SAFETY: `len` built elements that live as long as the chunk, which
        // this handle keeps (or dangling and 0 for the empty slice).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }

    /// The number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the slice has no elements.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether two handles share one chunk (empty slices share none).
    pub fn same_chunk(a: &Self, b: &Self) -> bool {
        match (&a.chunk, &b.chunk) {
            (Some(x), Some(y)) => x.0 == y.0,
            _ => false,
        }
    }
}

impl<T> Clone for ArcSlice<T> {
    #[inline]
    fn clone(&self) -> Self {
        ArcSlice {
            ptr: self.ptr,
            len: self.len,
            chunk: self.chunk.clone(),
            _owns: PhantomData,
        }
    }
}

impl<T> Default for ArcSlice<T> {
    fn default() -> Self {
        Self::empty()
    }
}

impl<T> Deref for ArcSlice<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        self.get()
    }
}

impl<T> AsRef<[T]> for ArcSlice<T> {
    fn as_ref(&self) -> &[T] {
        self.get()
    }
}

impl<T> Borrow<[T]> for ArcSlice<T> {
    fn borrow(&self) -> &[T] {
        self.get()
    }
}

impl<T: fmt::Debug> fmt::Debug for ArcSlice<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

impl<T: PartialEq> PartialEq for ArcSlice<T> {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq> Eq for ArcSlice<T> {}

impl<T: Hash> Hash for ArcSlice<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.get().hash(state)
    }
}

impl<T> From<ArcSingle<T>> for ArcSlice<T> {
    fn from(one: ArcSingle<T>) -> Self {
        let one = ManuallyDrop::new(one);
        ArcSlice {
            ptr: one.ptr,
            len: 1,
            // SAFETY: the single's count moves into the slice; the single
            // is not dropped.
            chunk: Some(unsafe { ptr::read(&one.chunk) }),
            _owns: PhantomData,
        }
    }
}

/// A shared, read-only single element in a chunk: `Deref<Target = T>`,
/// two words (pointer, chunk).
pub struct ArcSingle<T> {
    ptr: NonNull<T>,
    chunk: ChunkRef,
    _owns: PhantomData<T>,
}

// SAFETY: as for `ArcSlice`.
unsafe impl<T: Send + Sync> Send for ArcSingle<T> {}
// SAFETY: as for `ArcSlice`.
unsafe impl<T: Send + Sync> Sync for ArcSingle<T> {}

impl<T> ArcSingle<T> {
    /// The element (no copy).
    #[inline]
    pub fn get(&self) -> &T {
        // SAFETY: a built element kept alive by this handle's chunk count.
        unsafe { self.ptr.as_ref() }
    }

    /// The single element of `slice`; the slice itself back when its
    /// length is not 1.
    pub fn from_slice(slice: ArcSlice<T>) -> std::result::Result<Self, ArcSlice<T>> {
        if slice.len != 1 {
            return Err(slice);
        }
        let ArcSlice { ptr, chunk, .. } = slice;
        match chunk {
            Some(chunk) => Ok(ArcSingle {
                ptr,
                chunk,
                _owns: PhantomData,
            }),
            // A slice of length 1 always has a chunk.
            None => unreachable!("a non-empty slice without a chunk"),
        }
    }
}

impl<T> TryFrom<ArcSlice<T>> for ArcSingle<T> {
    type Error = ArcSlice<T>;
    fn try_from(slice: ArcSlice<T>) -> std::result::Result<Self, ArcSlice<T>> {
        Self::from_slice(slice)
    }
}

impl<T> Clone for ArcSingle<T> {
    #[inline]
    fn clone(&self) -> Self {
        ArcSingle {
            ptr: self.ptr,
            chunk: self.chunk.clone(),
            _owns: PhantomData,
        }
    }
}

impl<T> Deref for ArcSingle<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        self.get()
    }
}

impl<T> AsRef<T> for ArcSingle<T> {
    fn as_ref(&self) -> &T {
        self.get()
    }
}

impl<T: fmt::Debug> fmt::Debug for ArcSingle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

impl<T: PartialEq> PartialEq for ArcSingle<T> {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq> Eq for ArcSingle<T> {}

/// The C allocator's core: elements are `elem_size` opaque bytes, packed
/// in a slice; each slice starts aligned. The untyped core counts room in
/// *granules* of `align` bytes: a slice takes its bytes rounded up to a
/// granule, so the padding is below `align` per slice, not per element.
pub(crate) struct ByteChunks {
    raw: RawChunks,
    elem_size: usize,
    /// The capacity asked for, in elements.
    cap: usize,
    /// Elements handed out (the core counts granules).
    elements: u64,
}

// SAFETY: the elements are plain bytes with no `Drop`.
unsafe impl Send for ByteChunks {}

impl ByteChunks {
    /// Chunks with room for `cap` elements of `elem_size` bytes; `align` 0
    /// means 8, else a power of two up to 4096.
    pub(crate) fn new(elem_size: usize, align: usize, cap: usize) -> Result<Self> {
        let align = if align == 0 { 8 } else { align };
        if !align.is_power_of_two() || align > 4096 {
            return Err(Error::invalid(format!(
                "element alignment {align} is not a power of two up to 4096"
            )));
        }
        if elem_size == 0 {
            return Err(Error::invalid("element size is 0"));
        }
        if cap == 0 {
            return Err(Error::invalid("chunk capacity is 0"));
        }
        let granules = cap
            .checked_mul(elem_size)
            .map(|bytes| bytes.div_ceil(align))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "{cap} elements of {elem_size} bytes overflow the address space"
                ))
            })?;
        Ok(ByteChunks {
            raw: RawChunks::new(granules, align, align, None)?,
            elem_size,
            cap,
            elements: 0,
        })
    }

    /// A slice of `len > 0` elements: a copy of `len * elem_size` bytes from
    /// `src`, or zeroes when `src` is `None`.
    ///
    /// # Safety
    ///
    /// `src` is `None` or valid for reading `len * elem_size` bytes.
    pub(crate) unsafe fn alloc(&mut self, len: usize, src: Option<*const u8>) -> Result<ByteSlice> {
        if len == 0 {
            return Err(Error::invalid("slice length is 0"));
        }
        let bytes = len.checked_mul(self.elem_size).ok_or_else(|| {
            Error::invalid(format!(
                "{len} elements of {} bytes overflow the address space",
                self.elem_size
            ))
        })?;
        let granule = self.raw.stride;
        let granules = bytes.div_ceil(granule);
        let spot = self.raw.reserve(granules).map_err(Grow::error)?;
        // SAFETY: the reservation has room for `granules * granule >= bytes`
        // bytes, and fresh room overlaps no slice the caller could copy from.
        unsafe {
            match src {
                Some(s) => ptr::copy_nonoverlapping(s, spot.ptr.as_ptr(), bytes),
                None => ptr::write_bytes(spot.ptr.as_ptr(), 0, bytes),
            }
        }
        // SAFETY: the granules are written (their padding needs no value:
        // nobody reads it).
        let chunk = unsafe { self.raw.commit(spot, granules, granule) };
        self.elements += len as u64;
        Ok(ByteSlice {
            ptr: spot.ptr,
            len,
            _chunk: chunk,
        })
    }

    /// The core's counters, with elements in the caller's terms.
    pub(crate) fn stats(&self) -> ChunkStats {
        ChunkStats {
            elements: self.elements,
            chunk_capacity: self.cap,
            element_size: self.elem_size,
            ..self.raw.stats()
        }
    }
}

/// A C slice: `len` elements at `ptr`, kept by one count on their chunk.
#[derive(Clone)]
pub(crate) struct ByteSlice {
    ptr: NonNull<u8>,
    len: usize,
    _chunk: ChunkRef,
}

// SAFETY: immutable bytes; the count is atomic.
unsafe impl Send for ByteSlice {}
// SAFETY: as above.
unsafe impl Sync for ByteSlice {}

impl ByteSlice {
    pub(crate) fn data(&self) -> *const u8 {
        self.ptr.as_ptr()
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}
