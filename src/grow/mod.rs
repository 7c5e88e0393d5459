//! The growing arena, after the Go arena limpo1989/arena: chunks taken from a memory source as
//! needed, individual free with reuse by size class, and in-place growth of
//! the last allocation. The containers whose storage lives in it are in
//! [`crate::collections`].
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
//! # Example
//!
//! ```
//! use arn::prelude::*; // ArenaAlloc's byte-level methods
//! use std::alloc::Layout;
//! # fn main() -> arn::Result<()> {
//! let mut arena = arn::GrowArena::builder().chunk_size(4096).build()?;
//! let p = arena.alloc(Layout::new::<[u64; 4]>())?; // not zeroed, like malloc
//! // SAFETY: `p` is ours; nothing else uses it after this.
//! unsafe { arena.free(p)? }; // reused by the next block of its class
//! let v = arena.alloc_value([1u8; 100])?; // typed, no import needed
//! let s = arena.copy_str("text")?;
//! assert_eq!((v[99], &*s), (1, "text"));
//! let mut m = arn::ArenaMap::new_in(&arena);
//! m.insert(1, "one")?;
//! drop(m);
//! arena.reset(); // every block at once
//! assert_eq!(arena.stats().bytes_live, 0);
//!
//! // The shared arena takes a lock: a `&SharedGrowArena` crosses threads.
//! let shared = arn::GrowArena::builder().build_shared()?;
//! std::thread::scope(|t| {
//!     t.spawn(|| shared.alloc_value(7u32).map(|x| *x));
//! });
//! # Ok(()) }
//! ```
//!
//! Two types share the core: [`GrowArena`] (one thread at a time, `!Sync`)
//! and [`SharedGrowArena`] (an internal lock, safe from any thread). The
//! memory source is never called with the lock held or with the core
//! borrowed, so a source may itself allocate from the arena.

mod alloc;
mod arena;
mod class;
mod core;
pub(crate) mod ffi;
mod source;

pub use alloc::ArenaAlloc;
pub use arena::{GrowArena, GrowArenaBuilder, SharedGrowArena};
pub use class::{ARN_GROW_DEFAULT_CHUNK, ARN_GROW_GRANULE};
#[allow(deprecated)]
pub use class::{GROW_DEFAULT_CHUNK, GROW_GRANULE};
pub use core::GrowStats;
pub use source::{MemorySource, SystemMemory};

#[cfg(all(test, not(arn_loom)))]
mod tests;
