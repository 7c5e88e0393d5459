//! # arn — manual allocators for Rust and C
//!
//! The arn family of fixed-buffer allocators, each a safe Rust type and a
//! set of C functions behind generational handles (see `include/arn.h`):
//!
//! - [`Arena`] and [`TypedArena`] (C: `arnmk`, `arnal`, `arntm`, ...),
//! - [`Bump`] (C: `bmpmk`, `bumpl`, ...).
//!
//! Every allocator hands out zero-filled, 8-byte aligned memory, and zeroes
//! on reset only what was used. Errors are one [`Error`] type whose codes
//! the C layer reports through `arner()` / `arnem()`.

#![deny(missing_docs)]

mod alloc_api;
pub mod arena;
mod bitmap;
pub mod block;
pub mod buddy;
pub mod buffer;
pub mod bump;
pub mod chunk;
pub mod collections;
pub mod compat;
mod debug;
pub mod error;
pub mod ffi;
pub mod fixed;
pub mod grow;
mod hash;
mod mem;
pub mod mmap;
pub mod pool;
pub mod prelude;
pub mod region;
pub mod scratch;
pub mod stack;
mod sync;
mod track;
mod typed;
pub mod version;

/// The allocator trait the arenas implement (`&Arena: Allocator`, ...),
/// re-exported so that its `Vec` and `Box` come in the version arn uses.
pub use allocator_api2;
/// Immutable shared bytes: what the byte arenas' buffers freeze into.
pub use bytes::Bytes;
/// The hash maps that take an allocator, re-exported in the version whose
/// allocator trait the arenas implement.
pub use hashbrown;

pub use arena::{Arena, ArenaStats, Mark, SlotArena, TypedArena};
pub use block::{BlockPool, BlockStats};
pub use buddy::{BuddyArena, BuddyArenaBuilder, BuddyMetrics};
pub use buffer::{Buffer, BuildError, BytesExt, Dealloc, InitPolicy, PageSize, Unfaulted};
pub use bump::{Bump, BumpStats};
pub use chunk::{ArcSingle, ArcSlice, ChunkAllocator, ChunkStats, MAX_CHUNK_CAPACITY};
pub use collections::{ArenaMap, ArenaVec, Pointers, Violation, Walker, audit, audit_as};
pub use error::{Error, Result};
pub use fixed::{FixedArena, FixedArenaBuilder, FixedMetrics};
pub use grow::{
    ArenaAlloc, GROW_DEFAULT_CHUNK, GROW_GRANULE, GrowArena, GrowArenaBuilder, GrowStats,
    MemorySource, SharedGrowArena, SystemMemory,
};
pub use hash::{MixHasher, MixState};
pub use mem::{ARN_MAX_ALIGN, align_size};
pub use mmap::{ARN_MMAP_HUGE_PAGE, ARN_MMAP_PAGE, MmapArena, MmapOpts, MmapStats};
pub use pool::{
    ARN_POOL_BLOCK_ALIGN, ARN_POOL_DEFAULT_SIZE, ObjectPool, Pool, PoolGuard, PoolOpts, PoolStats,
};
pub use region::{REGION_ARENA_SIZE, Region, RegionStats};
pub use scratch::Scratch;
pub use stack::Stack;
pub use typed::TypedAlloc;
