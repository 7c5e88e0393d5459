//! Shared chunk slices, after arena-arc 0.1: a [`ChunkAllocator`] builds
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
//! # Overheads (arena-arc's warnings, and what [`ChunkStats`] shows of them)
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

mod alloc;
mod bytes;
pub(crate) mod ffi;
#[cfg(all(test, arn_loom))]
mod loom_tests;
mod raw;
mod slice;
#[cfg(all(test, not(arn_loom)))]
mod tests;

pub use alloc::ChunkAllocator;
pub(crate) use bytes::{ByteChunks, ByteSlice};
pub use raw::{ChunkStats, MAX_CHUNK_CAPACITY};
pub use slice::{ArcSingle, ArcSlice};
