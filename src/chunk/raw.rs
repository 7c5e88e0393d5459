//! Raw chunks and their counts: the untyped core under every chunk
//! allocator. A chunk is one heap block, a [`Header`] and then the room for
//! its elements; [`RawChunks`] bumps through the current one and keeps the
//! reference counts in bulk (see the module documentation of
//! [`crate::chunk`]).

use std::alloc::{self, Layout};
use std::ptr::{self, NonNull};

use crate::error::{Error, Result};
use crate::sync::{AtomicUsize, Ordering, fence};

/// The count a current chunk starts with: an advance on every handle the
/// allocator will give out of it, settled when the allocator leaves it.
pub(super) const PRECHARGE: usize = 1 << (usize::BITS - 2);

/// The largest chunk capacity, in elements. Handles given out of one chunk
/// never exceed its capacity, so they stay below the advance.
pub const MAX_CHUNK_CAPACITY: usize = 1 << (usize::BITS - 3);

/// Clones past this count abort, as `Arc`'s do: the count must not wrap.
pub(super) const MAX_REFS: usize = isize::MAX as usize;

/// Drops `n` elements built at the pointer.
pub(super) type DropElems = unsafe fn(*mut u8, usize);

/// The front of every chunk. Fields other than `refs` are written by the
/// allocator before any handle to the chunk exists, or (`used`, `tail`)
/// before its settling release; they are read by whoever frees the chunk,
/// after the acquire that follows the last decrement.
#[repr(C)]
pub(super) struct Header {
    pub(super) refs: AtomicUsize,
    /// Elements built, a prefix of the chunk.
    pub(super) used: usize,
    /// Dead-tail bytes this chunk added to the stats when the allocator
    /// left it (0 for dedicated chunks).
    pub(super) tail: usize,
    /// Room in elements, and bytes per element.
    pub(super) cap: usize,
    pub(super) stride: usize,
    /// Where the elements start, and the whole block's layout.
    pub(super) offset: usize,
    pub(super) size: usize,
    pub(super) align: usize,
    pub(super) drop_elems: Option<DropElems>,
    pub(super) tally: NonNull<Tally>,
}

/// What freed chunks report to their allocator's stats. Owned by the
/// allocator and every live chunk (one count each), so that a chunk freed
/// after its allocator was dropped still has somewhere to report.
pub(super) struct Tally {
    pub(super) refs: AtomicUsize,
    pub(super) chunks: AtomicUsize,
    pub(super) reserved: AtomicUsize,
    pub(super) used: AtomicUsize,
    pub(super) tail: AtomicUsize,
}

/// Drops one count on the tally; the last frees it.
///
/// # Safety
///
/// The caller owns one count of a live tally.
pub(super) unsafe fn release_tally(t: NonNull<Tally>) {
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
pub(super) unsafe fn free_chunk(h: NonNull<Header>) {
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
pub(crate) struct ChunkRef(pub(super) NonNull<Header>);

impl ChunkRef {
    /// Adopts one count on `h`.
    ///
    /// # Safety
    ///
    /// The caller hands over one count of a live chunk.
    #[inline(always)]
    pub(super) unsafe fn adopt(h: NonNull<Header>) -> ChunkRef {
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
pub(super) fn too_many_refs() -> ! {
    std::process::abort()
}

/// Where a reservation lies: in the current chunk, or in a fresh dedicated
/// chunk that holds this request alone (with a count of one, for it).
#[derive(Clone, Copy)]
pub(super) struct Spot {
    pub(super) ptr: NonNull<u8>,
    pub(super) chunk: NonNull<Header>,
    pub(super) dedicated: bool,
}

/// Why a chunk could not be made.
#[derive(Debug)]
pub(super) enum Grow {
    /// The size computation overflows.
    Overflow { n: usize, stride: usize },
    /// The global allocator refused.
    Refused(Layout),
}

impl Grow {
    /// The panicking API's answer, as `Vec` does.
    #[cold]
    #[inline(never)]
    pub(super) fn raise(self) -> ! {
        match self {
            Grow::Overflow { .. } => panic!("capacity overflow"),
            Grow::Refused(layout) => alloc::handle_alloc_error(layout),
        }
    }

    #[cold]
    pub(super) fn error(self) -> Error {
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
    pub(super) cap: usize,
    pub(super) stride: usize,
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
    pub(super) fn new(
        cap: usize,
        stride: usize,
        align: usize,
        drop_elems: Option<DropElems>,
    ) -> Result<Self> {
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
    pub(super) fn reserve(&mut self, n: usize) -> std::result::Result<Spot, Grow> {
        match self.reserve_current(n) {
            Some(spot) => Ok(spot),
            None => self.reserve_slow(n),
        }
    }

    /// [`reserve`](Self::reserve) when the current chunk has room for `n`
    /// elements; `None` (nothing changed) when a new chunk would be needed.
    #[inline(always)]
    pub(super) fn reserve_current(&mut self, n: usize) -> Option<Spot> {
        if n <= self.left {
            // SAFETY: `left > 0` only while there is a current chunk.
            let chunk = unsafe { self.chunk.unwrap_unchecked() };
            return Some(Spot {
                ptr: self.cur,
                chunk,
                dedicated: false,
            });
        }
        None
    }

    #[cold]
    #[inline(never)]
    pub(super) fn reserve_slow(&mut self, n: usize) -> std::result::Result<Spot, Grow> {
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

    /// Makes the current chunk now when there is none, so that the first
    /// slices share it (arena-arc's allocators start with one).
    pub(super) fn open(&mut self) -> std::result::Result<(), Grow> {
        if self.chunk.is_none() {
            let chunk = self.make_chunk(self.cap, PRECHARGE)?;
            self.chunk = Some(chunk);
            // SAFETY: the chunk was just made.
            self.cur = unsafe { Self::data(chunk) };
            self.left = self.cap;
            self.given = 0;
        }
        Ok(())
    }

    /// The first element of a chunk.
    ///
    /// # Safety
    ///
    /// `h` is a live chunk.
    pub(super) unsafe fn data(h: NonNull<Header>) -> NonNull<u8> {
        // SAFETY: `offset` lies inside the block (the caller's promise).
        unsafe { h.cast::<u8>().add((*h.as_ptr()).offset) }
    }

    /// Makes a chunk of `cap` elements whose count starts at `refs`.
    pub(super) fn make_chunk(
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
        // SAFETY: the header was just written.
        crate::track::fresh(unsafe { Self::data(h) }.as_ptr(), cap * self.stride);
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
    pub(super) unsafe fn retire(&mut self, h: NonNull<Header>, left: usize, given: usize) {
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
    pub(super) unsafe fn commit(&mut self, spot: Spot, n: usize, stride: usize) -> ChunkRef {
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
    pub(super) unsafe fn commit_dedicated(&mut self, h: NonNull<Header>, n: usize) {
        // SAFETY: nobody else knows the chunk yet.
        unsafe { (*h.as_ptr()).used = n };
        self.slices_past += 1;
        self.elements_past += n as u64;
        self.used_past = self.used_past.wrapping_add(n * self.stride);
    }

    /// A snapshot of the counters.
    pub(super) fn stats(&self) -> ChunkStats {
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
pub(super) fn chunk_layout(
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
pub(super) unsafe fn drop_elems<T>(p: *mut u8, n: usize) {
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
