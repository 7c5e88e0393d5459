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

pub mod arena;
mod bitmap;
pub mod block;
pub mod buddy;
pub mod buffer;
pub mod bump;
pub mod chunk;
pub mod collections;
pub mod error;
pub mod ffi;
pub mod fixed;
pub mod grow;
mod hash;
mod mem;
pub mod mmap;
pub mod pool;
pub mod region;
pub mod scratch;
pub mod stack;
mod sync;
pub mod version;

pub use arena::{Arena, ArenaStats, Mark, TypedArena};
pub use block::{BlockPool, BlockStats};
pub use buddy::{BuddyArena, BuddyArenaBuilder, BuddyStats};
pub use buffer::{Buffer, BuildError, BytesExt, Dealloc, InitPolicy, PageSize, Unfaulted};
pub use bump::{Bump, BumpStats};
pub use chunk::{ArcSingle, ArcSlice, ChunkAllocator, ChunkStats, MAX_CHUNK_CAPACITY};
pub use collections::{ArenaMap, ArenaVec, Pointers, Violation, Walker, audit, audit_as};
pub use error::{Error, Result};
pub use fixed::{FixedArena, FixedArenaBuilder, FixedStats};
pub use grow::{
    ARN_GROW_DEFAULT_CHUNK, ARN_GROW_GRANULE, ArenaAlloc, GrowArena, GrowArenaBuilder, GrowStats,
    MemorySource, SharedGrowArena, SystemMemory,
};
pub use mem::{ARN_MAX_ALIGN, align_size};
pub use mmap::{ARN_MMAP_HUGE_PAGE, ARN_MMAP_PAGE, MmapArena, MmapArenaBuilder, MmapStats};
pub use pool::{
    ARN_POOL_BLOCK_ALIGN, ARN_POOL_DEFAULT_SIZE, ObjectPool, ObjectPoolBuilder, Pool, PoolGuard,
    PoolStats,
};
pub use region::{ARN_REGION_ARENA_SIZE, Region, RegionStats};
pub use scratch::{Scratch, ScratchStats};
pub use stack::{Stack, StackStats};

// The old names, deprecated and kept for one release.
#[allow(deprecated)]
pub use {
    buddy::BuddyMetrics,
    fixed::FixedMetrics,
    grow::{GROW_DEFAULT_CHUNK, GROW_GRANULE},
    region::REGION_ARENA_SIZE,
};
