//! The growing arena, after the Go arena limpo1989/arena: chunks taken
//! from a memory source as needed, blocks freed one at a time and reused by
//! any size, reallocation in place. Shaped to sit under a C library's
//! `malloc`-style hook. The containers whose storage lives in it are in
//! [`crate::collections`].
//!
//! # Design
//!
//! Every block is a whole number of 16-byte granules, 16-aligned. Each
//! chunk of small blocks has a *side table* on the heap, never in the
//! chunk (`side.rs`): a bit per granule where a block starts (a block's
//! size is the distance to the next start bit) and two state bits per
//! granule (live, cached, freed, free). So `free` of a pointer knows,
//! without trusting anything in the arena's memory, whether it is a live
//! block of this arena (else `Error::ForeignPointer`), already free
//! (`Error::DoubleFree`), and its size.
//!
//! A freed block of up to 1 KiB first goes, unmerged, on the *quick list*
//! of its exact size (at most 16 deep), which the next request of that
//! size pops; allocation otherwise cuts blocks from the chunk's free
//! *extent* by bumping a pointer. Other freed blocks are merged with the
//! free blocks on both sides at once and sorted into bins by size class
//! (`bins.rs`), so freed space serves any size, and a chunk whose blocks
//! are all free becomes a spare: up to `retain` are kept, the rest go back
//! to the memory source at once. A request above a quarter of the chunk
//! size gets a chunk of its own, which grows and shrinks through the
//! memory source (`mremap` for the system's) and goes back when freed.
//!
//! Finding the chunk of a pointer is constant time: the chunk found last,
//! else a hash table of address frames (`frames.rs`). The counters are
//! kept as blocks move, so the stats cost the same at any size.
//!
//! Reset drops every block at once, keeps up to `retain` chunks for reuse,
//! gives the rest back to the memory source, and clears only the side-table
//! words that were used.
//!
//! The tracking build (cargo feature `track`) tells AddressSanitizer and
//! valgrind's memcheck which bytes are live: a chunk starts poisoned; a
//! block is unpoisoned for its usable size when handed out (and for the
//! part it gains when it grows in place); freeing, reset, trim, the tail
//! of a block shrunk in place and the old block of a reallocation that
//! moved are poisoned again. Each small block there carries a poisoned
//! red zone of one granule after its usable bytes (in its granules, not
//! in its usable size; the stats count it as free), so that running off
//! its end is reported.
//! The links the arena keeps in freed blocks are read and written with
//! the poison lifted for that one word. The normal build compiles none of
//! it.
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
mod bins;
mod class;
mod core;
pub(crate) mod ffi;
mod frames;
#[cfg(all(test, not(arn_loom)))]
mod invariants;
mod side;
mod source;

pub use alloc::ArenaAlloc;
pub use arena::{GrowArena, GrowArenaBuilder, SharedGrowArena};
pub use class::{ARN_GROW_DEFAULT_CHUNK, ARN_GROW_GRANULE};
#[allow(deprecated)]
pub use class::{GROW_DEFAULT_CHUNK, GROW_GRANULE};
pub use core::GrowStats;
pub use source::{MemorySource, SystemMemory};

#[cfg(all(test, not(arn_loom)))]
mod model_tests;
#[cfg(all(test, not(arn_loom)))]
mod tests;
