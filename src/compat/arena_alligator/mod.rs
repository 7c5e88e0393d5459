//! arena-alligator 0.7's API over arn's byte arenas: replace
//! `use arena_alligator::…` with `use arn::compat::arena_alligator::…`.
//!
//! [`FixedArena`] is [`crate::FixedArena`] and [`BuddyArena`] is
//! [`crate::BuddyArena`] behind arena-alligator's constructors
//! ([`FixedArena::with_slot_capacity`], [`BuddyGeometry`], `from_raw` with
//! [`SlotSpec`] / [`BuddyHint`] and a [`Dealloc`]), errors
//! ([`AllocError`], [`BuildError`], [`BufferFullError`]) and metrics
//! ([`FixedArenaMetrics`], [`BuddyArenaMetrics`]). Both arenas are cheap
//! to clone. The async arenas and their wait policies need the feature
//! `async-alloc`, the `hazmat` module the feature `hazmat-raw-access`,
//! as in arena-alligator.
//!
//! ```
//! use std::num::NonZeroUsize;
//! use arn::compat::arena_alligator::{BuddyArena, BuddyGeometry};
//! use bytes::BufMut;
//!
//! let n = |v| NonZeroUsize::new(v).unwrap();
//! let arena = BuddyArena::builder(BuddyGeometry::exact(n(1 << 20), n(256))?).build()?;
//! let mut buf = arena.allocate(n(1000))?; // a 1024-byte block
//! buf.put_slice(b"variable sizes");
//! let bytes = buf.freeze();
//! assert_eq!(&bytes[..], b"variable sizes");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The modules mirror arena-alligator's source files, so paths such as
//! `arena::PageSize` or `geometry::BuddyGeometry` name the same items.

pub mod arena;
#[cfg(feature = "async-alloc")]
pub mod async_alloc;
pub mod buddy;
pub mod buffer;
pub mod dealloc;
pub mod error;
pub mod ext;
pub mod geometry;
#[cfg(feature = "hazmat-raw-access")]
pub mod hazmat;
pub mod metrics;
pub mod spec;

#[cfg(feature = "hazmat-raw-access")]
pub use arena::HazmatRaw;
pub use arena::{
    AutoSpill, FixedArena, FixedArenaBuilder, InitPolicy, PageSize, RawBackedFixedArenaBuilder,
    Standard, Unfaulted,
};
#[cfg(feature = "async-alloc")]
pub use async_alloc::{
    AsyncBuddyArena, AsyncFixedArena, BuddyWaiter, NotifyWaiters, WaitRegistration, Waiter,
};
pub use buddy::{BuddyArena, BuddyArenaBuilder, RawBackedBuddyArenaBuilder};
pub use buffer::Buffer;
pub use dealloc::{Dealloc, HeapDealloc, NoDealloc};
pub use error::{AllocError, BufferFullError, BuildError};
pub use ext::BytesExt;
pub use geometry::BuddyGeometry;
pub use metrics::{BuddyArenaMetrics, FixedArenaMetrics};
pub use spec::{BuddyHint, SlotSpec};
