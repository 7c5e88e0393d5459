//! The APIs of the crates arn reproduces, as their users call them, over
//! arn's own allocators: switching is one `use` line.
//!
//! - [`arena_alligator`]: arena-alligator 0.7's byte arenas (`FixedArena`,
//!   `BuddyArena`, their builders, errors, metrics, caller memory, the
//!   async arenas with feature `async-alloc` and the `hazmat` module with
//!   feature `hazmat-raw-access`), over [`crate::FixedArena`] and
//!   [`crate::BuddyArena`].
//! - [`arena_arc`]: arena-arc 0.1's `Allocator<T, L, N>`, `ArcSlice` and
//!   `ArcSingle`, over [`crate::ChunkAllocator`].
//!
//! ```
//! // was: use arena_alligator::FixedArena;
//! use arn::compat::arena_alligator::FixedArena;
//! use bytes::BufMut;
//! use std::num::NonZeroUsize;
//!
//! let n = |v| NonZeroUsize::new(v).unwrap();
//! let arena = FixedArena::with_slot_capacity(n(16), n(256)).build().unwrap();
//! let mut buf = arena.allocate().unwrap();
//! buf.put_slice(b"hello");
//! assert_eq!(&buf.freeze()[..], b"hello");
//! ```
//!
//! The faces add no allocator of their own: every byte and every chunk
//! comes from arn's cores, and the behaviour that still differs is listed
//! in the README ("Coming from arena-alligator or arena-arc").

pub mod arena_alligator;
pub mod arena_arc;
