//! # arn: manual allocators for Rust, C and any FFI language
//!
//! Fourteen allocator families, each a safe Rust type here and a set of C
//! functions in `include/arn.h` (the README lists them):
//!
//! | family | Rust | C | what it hands out |
//! |---|---|---|---|
//! | arena | [`Arena`] | `arn*` | zeroed bytes from one buffer, all taken back by a reset |
//! | typed arena | [`TypedArena`] | `arntm arnta arnti` | equal slots, found again by index |
//! | bump allocator | [`Bump`] | `bmp* bumpl` | zeroed bytes, downwards, reset all at once |
//! | object pool | [`Pool`], [`ObjectPool`] | `pol*` | objects made once and reused |
//! | block allocator | [`BlockPool`] | `blck*` | equal blocks, freed one by one |
//! | stack allocator | [`Stack`] | `stck*` | pushes and pops, markers to go back to |
//! | mmap arena | [`MmapArena`] | `mmp* mmapl` | bytes of reserved address space, committed as used |
//! | region | [`Region`] | `regin regnl rgn*` | bytes from 64 KiB arenas made on demand |
//! | scratch space | [`Scratch`] | `scrt*` | bytes taken back to nested checkpoints |
//! | fixed-slot byte arena | [`FixedArena`] | `fxd* buf* byt*` | lock-free slots as buffers that freeze into [`bytes::Bytes`] |
//! | buddy byte arena | [`BuddyArena`] | `bdy* buf* byt*` | power-of-two blocks as buffers that freeze into `Bytes` |
//! | chunk slices | [`ChunkAllocator`] | `chk* slc*` | reference-counted slices packed into shared chunks |
//! | growing arena | [`GrowArena`], [`SharedGrowArena`] | `grw*` | blocks from chunks taken as needed, freed one by one or all at once |
//! | vector and map | [`ArenaVec`], [`ArenaMap`] | `vec* map*` | containers whose storage lives in a growing arena |
//!
//! The arn family (arena to scratch space) hands out zero-filled, 8-byte
//! aligned memory and zeroes on reset only what was used; the growing
//! arena does not zero unless asked (like `malloc`); the byte arenas zero
//! only with [`InitPolicy::Zero`]. Allocation takes `&self` and taking
//! memory back takes `&mut self`, so the borrow checker proves that nothing
//! handed out outlives the reset, restore or free that reclaims it.
//!
//! Every fallible call returns [`Result`], whose [`Error`] carries the
//! stable `ARN_E_*` code that C reads from `arner()`. The byte arenas, their
//! buffers and bytes, chunk slices and [`SharedGrowArena`] are `Send +
//! Sync`; every other allocator is `Send` and used by one thread at a time.
//!
//! ## The arn family
//!
//! An [`Arena`] hands out zeroed bytes; a reset takes them all back:
//!
//! ```
//! let mut arena = arn::Arena::new(1 << 16)?;
//! let name = arena.copy_cstr(c"hello")?;
//! let bytes = arena.alloc(64)?; // zeroed, 8-byte aligned
//! bytes[0] = 1;
//! assert_eq!(name.to_bytes(), b"hello");
//! assert_eq!(arena.stats().objects, 2);
//! arena.reset(); // everything back, the used bytes zeroed again
//! # Ok::<(), arn::Error>(())
//! ```
//!
//! A [`TypedArena`] hands out equal slots and finds them again by index:
//!
//! ```
//! let mut slots = arn::TypedArena::new(24, 100)?; // 100 slots of 24 bytes
//! let (index, slot) = slots.alloc()?;
//! slot[0] = 7;
//! assert_eq!(slots.get_mut(index)?[0], 7);
//! # Ok::<(), arn::Error>(())
//! ```
//!
//! A [`Bump`] allocator is the same idea, downwards from the top:
//!
//! ```
//! let mut bump = arn::Bump::new(4096)?;
//! bump.alloc(100)?.copy_from_slice(&[1; 100]);
//! assert_eq!(bump.stats().used, 104); // rounded up to 8
//! bump.reset();
//! # Ok::<(), arn::Error>(())
//! ```
//!
//! A [`Pool`] keeps objects for reuse; its guard puts each one back:
//!
//! ```
//! let pool = arn::Pool::new(8, || Vec::<u8>::with_capacity(4096))?
//!     .with_reset(|v| v.clear());
//! {
//!     let mut buf = pool.get(); // a PoolGuard<Vec<u8>>
//!     buf.extend_from_slice(b"frame");
//! } // back in the pool here, cleared on its next use
//! assert_eq!(pool.stats().available, 8);
//! # Ok::<(), arn::Error>(())
//! ```
//!
//! ([`ObjectPool`] is the pool of the C functions: objects made by C
//! callbacks, or zeroed blocks, known by address.)
//!
//! A [`BlockPool`] hands out equal blocks and takes them back one by one:
//!
//! ```
//! let mut blocks = arn::BlockPool::new(64, 1024)?;
//! let p = blocks.alloc()?.as_ptr();
//! assert_eq!(blocks.stats().used, 1);
//! blocks.free_ptr(p)?;
//! assert!(blocks.free_ptr(p).is_err()); // a double free is an error
//! # Ok::<(), arn::Error>(())
//! ```
//!
//! A [`Stack`] pushes and pops, and goes back to a marker:
//!
//! ```
//! let mut stack = arn::Stack::new(4096)?;
//! stack.push(b"outer")?;
//! let mark = stack.mark();
//! stack.push_zeroed(800)?;
//! stack.restore(mark)?; // the 800 bytes are gone and zeroed
//! assert_eq!(stack.stats().used, 8);
//! # Ok::<(), arn::Error>(())
//! ```
//!
//! An [`MmapArena`] reserves address space and commits it as it is used:
//!
//! ```
//! # #[cfg(not(miri))] {
//! let mut big = arn::MmapArena::builder(64 << 30) // 64 GiB, nothing committed
//!     .retain(1 << 20) // a reset keeps 1 MiB committed
//!     .build()?;
//! big.alloc(10 << 20)?.fill(1);
//! assert_eq!(big.stats().committed, 10 << 20);
//! big.reset();
//! assert_eq!(big.stats().committed, 1 << 20);
//! # }
//! # Ok::<(), arn::Error>(())
//! ```
//!
//! A [`Region`] makes 64 KiB arenas on demand and frees them all at once:
//!
//! ```
//! let mut region = arn::Region::new();
//! for _ in 0..1000 {
//!     region.alloc(100)?;
//! }
//! assert_eq!(region.stats().arns, 2);
//! region.free_all();
//! # Ok::<(), arn::Error>(())
//! ```
//!
//! [`Scratch`] space takes back everything allocated since a checkpoint:
//!
//! ```
//! let mut scratch = arn::Scratch::new(4096)?;
//! let n = scratch.scope(|s| -> arn::Result<usize> {
//!     let tmp = s.alloc(1000)?; // reclaimed when the scope ends
//!     Ok(tmp.len())
//! })??;
//! assert_eq!((n, scratch.stats().used), (1000, 0));
//! # Ok::<(), arn::Error>(())
//! ```
//!
//! ## Byte arenas
//!
//! A [`FixedArena`] hands out slots from any thread without a lock; a
//! [`BuddyArena`] hands out power-of-two blocks. Both give a [`Buffer`]
//! that freezes into [`bytes::Bytes`] without copying; the memory goes back
//! when the last `Bytes` over it is dropped:
//!
//! ```
//! use bytes::BufMut;
//!
//! let fixed = arn::FixedArena::builder(1024, 64).build()?;
//! let mut buf = fixed.allocate()?;
//! buf.put_slice(b"GET /index.html");
//! let request = buf.freeze(); // no copy: it points into the slot
//! let path = request.slice(4..); // shares the slot too
//! drop(request);
//! assert_eq!(&path[..], b"/index.html");
//! assert_eq!(fixed.stats().slots_free, 1023);
//!
//! let buddy = arn::BuddyArena::builder(1 << 20, 256).build()?;
//! let block = buddy.allocate(300)?; // a 512-byte block
//! assert_eq!(block.capacity(), 512);
//! # Ok::<(), arn::Error>(())
//! ```
//!
//! ## Chunk slices
//!
//! A [`ChunkAllocator`] packs slices into big chunks and hands them out as
//! [`ArcSlice`]: cloned with one atomic increment, readable from any
//! thread; a chunk goes when its last slice does:
//!
//! ```
//! let mut chunks = arn::ChunkAllocator::<u64>::new();
//! let squares = chunks.alloc(16, |i| (i * i) as u64);
//! let twin = squares.clone(); // no copy
//! assert_eq!((twin.len(), twin[15]), (16, 225));
//! assert!(arn::ArcSlice::same_chunk(&squares, &chunks.from_slice(&[1, 2])));
//! ```
//!
//! ## The growing arena and its containers
//!
//! A [`GrowArena`] takes chunks from a memory source as it needs them;
//! blocks are freed one by one for reuse or all at once by a reset. An
//! [`ArenaVec`] and an [`ArenaMap`] keep their storage in it:
//!
//! ```
//! use arn::{ArenaAlloc, ArenaMap, ArenaVec, GrowArena};
//!
//! let arena = GrowArena::new();
//! let greeting = arena.copy_str("hello")?; // a block of the arena
//! let mut v = ArenaVec::new_in(&arena);
//! v.extend_from_slice(&[1, 2, 3])?;
//! let mut m = ArenaMap::new_in(&arena);
//! m.insert("answer", 42)?;
//! assert_eq!((greeting.len(), v.len(), m.get("answer")), (5, 3, Some(&42)));
//! # Ok::<(), arn::Error>(())
//! ```
//!
//! With the `async` feature, the byte arenas also wait for room without
//! blocking a thread (`allocate_async`).

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
pub use hash::{MixHasher, MixState};
pub use mem::{ARN_MAX_ALIGN, align_size};
pub use mmap::{ARN_MMAP_HUGE_PAGE, ARN_MMAP_PAGE, MmapArena, MmapArenaBuilder, MmapStats};
pub use pool::{
    ARN_POOL_BLOCK_ALIGN, ARN_POOL_DEFAULT_SIZE, ObjectPool, ObjectPoolBuilder, Pool, PoolGuard,
    PoolStats,
};
pub use region::{ARN_REGION_ARENA_SIZE, Region, RegionStats};
pub use scratch::{Scratch, ScratchStats};
pub use stack::{Stack, StackStats};
pub use typed::TypedAlloc;

// The old names, deprecated and kept for one release.
#[allow(deprecated)]
pub use {
    buddy::BuddyMetrics,
    fixed::FixedMetrics,
    grow::{GROW_DEFAULT_CHUNK, GROW_GRANULE},
    region::REGION_ARENA_SIZE,
};

/// The Rust examples of `README.md`, compiled and run as doc tests, so the
/// README cannot show code that does not build.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
