//! The buddy arena: [`BuddyArena`] and its builders.

use std::alloc::Layout;
use std::fmt;
use std::marker::PhantomData;
use std::num::NonZeroUsize;
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::arena::{AutoSpill, Config, InitPolicy, PageSize, Standard, Unfaulted, plain_builds};
use super::buffer::Buffer;
use super::dealloc::{self, Dealloc, NoDealloc};
use super::error::{AllocError, BuildError};
use super::geometry::BuddyGeometry;
use super::metrics::BuddyArenaMetrics;
use super::spec::BuddyHint;
use crate::mem::ARN_MAX_ALIGN;

/// What clones of one buddy arena share.
pub(crate) struct Shared {
    pub(crate) core: crate::BuddyArena,
    max_order: usize,
    /// Buffers get the capacity asked for, not the whole block
    /// ([`BuddyGeometry::nearest`]).
    cap_capacity: bool,
    /// Requests larger than the arena (arn does not count them as
    /// failures; arena-alligator does).
    too_large: AtomicU64,
}

/// A buddy arena: power-of-two blocks of one region, split on demand and
/// merged on release, handed out as [`Buffer`]s that freeze into `Bytes`,
/// from any thread. Cloning is cheap: clones share the arena.
#[derive(Clone)]
pub struct BuddyArena {
    pub(crate) shared: Arc<Shared>,
}

impl fmt::Debug for BuddyArena {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BuddyArena")
            .field("total_size", &self.total_size())
            .field("min_block_size", &self.min_block_size())
            .field("max_order", &self.max_order())
            .finish()
    }
}

impl BuddyArena {
    /// A builder for an arena of `geometry`.
    pub fn builder(geometry: BuddyGeometry) -> BuddyArenaBuilder {
        BuddyArenaBuilder {
            geometry,
            config: Config::new(),
            _mode: PhantomData,
        }
    }

    /// A builder over `len` bytes of caller memory at `ptr`, its geometry
    /// derived from `hint` (the largest power-of-two region that fits; the
    /// rest goes unused). The arena never writes to the memory at build
    /// (unless the policy is [`InitPolicy::Zero`], which zeroes the region).
    /// When the arena and every buffer and `Bytes` over it are gone,
    /// `dealloc` frees it, with the full `len`.
    ///
    /// # Safety
    ///
    /// `ptr..ptr + len` is valid for reads and writes, used by nothing else
    /// until `dealloc` runs, and `dealloc` frees it correctly (or is
    /// [`NoDealloc`]). If `build` fails, the memory stays the caller's and
    /// `dealloc` is dropped without running.
    pub unsafe fn from_raw<D: Dealloc>(
        ptr: *mut u8,
        len: usize,
        hint: BuddyHint,
        dealloc: D,
    ) -> RawBackedBuddyArenaBuilder<D> {
        RawBackedBuddyArenaBuilder {
            ptr,
            len,
            hint,
            dealloc,
            config: Config::raw_backed(),
        }
    }

    /// A builder over a static buffer, which is never freed.
    pub fn from_static(
        buf: &'static mut [u8],
        hint: BuddyHint,
    ) -> RawBackedBuddyArenaBuilder<NoDealloc> {
        // SAFETY: the exclusive `'static` borrow is valid and unused by
        // anyone else for as long as the program runs, and static memory
        // is never freed.
        unsafe { Self::from_raw(buf.as_mut_ptr(), buf.len(), hint, NoDealloc) }
    }

    /// Bytes the blocks cover.
    pub fn total_size(&self) -> usize {
        self.shared.core.total_size()
    }

    /// The smallest block.
    pub fn min_block_size(&self) -> usize {
        self.shared.core.min_block()
    }

    /// The order of the whole region: `total_size() == min_block_size() <<
    /// max_order()`.
    pub fn max_order(&self) -> usize {
        self.shared.max_order
    }

    /// A snapshot of the arena's counters.
    pub fn metrics(&self) -> BuddyArenaMetrics {
        let s = &self.shared;
        BuddyArenaMetrics::from_core(s.core.stats(), s.too_large.load(Ordering::Relaxed))
    }

    /// A buffer over the smallest free block that holds `len` bytes:
    /// [`AllocError::ArenaFull`] when none is free now,
    /// [`AllocError::RequestTooLarge`] when `len` is above the arena's
    /// size.
    #[inline]
    pub fn allocate(&self, len: NonZeroUsize) -> Result<Buffer, AllocError> {
        let s = &*self.shared;
        match s.core.allocate_or_refuse(len.get()) {
            Ok(mut b) => {
                if s.cap_capacity {
                    b.limit(len.get());
                }
                Ok(Buffer::new(b))
            }
            Err(false) => Err(AllocError::ArenaFull),
            Err(true) => Err(self.too_large()),
        }
    }

    #[cold]
    #[inline(never)]
    fn too_large(&self) -> AllocError {
        self.shared.too_large.fetch_add(1, Ordering::Relaxed);
        AllocError::RequestTooLarge
    }

    /// The order of the block a request of `len` bytes takes; `None` when
    /// it is above the arena's size.
    #[cfg(feature = "async-alloc")]
    pub(crate) fn order_for(&self, len: usize) -> Option<usize> {
        let block = len.max(self.min_block_size()).checked_next_power_of_two()?;
        (block <= self.total_size())
            .then(|| (block / self.min_block_size()).trailing_zeros() as usize)
    }

    fn wrap(core: crate::BuddyArena, cap_capacity: bool) -> BuddyArena {
        let max_order = (core.total_size() / core.min_block()).trailing_zeros() as usize;
        BuddyArena {
            shared: Arc::new(Shared {
                core,
                max_order,
                cap_capacity,
                too_large: AtomicU64::new(0),
            }),
        }
    }
}

/// Builds a [`BuddyArena`] over caller memory; from
/// [`BuddyArena::from_raw`] or [`BuddyArena::from_static`].
pub struct RawBackedBuddyArenaBuilder<D: Dealloc> {
    ptr: *mut u8,
    len: usize,
    hint: BuddyHint,
    dealloc: D,
    config: Config,
}

impl<D: Dealloc> RawBackedBuddyArenaBuilder<D> {
    /// What happens to blocks that come back (default
    /// [`InitPolicy::Uninit`]).
    pub fn init_policy(mut self, policy: InitPolicy) -> Self {
        self.config.init_policy = policy;
        self
    }

    /// Builds the arena.
    pub fn build(self) -> Result<BuddyArena, BuildError> {
        let Some(ptr) = NonNull::new(self.ptr) else {
            return Err(BuildError::NullPointer);
        };
        let (min, top) = self.hint.resolve(self.len)?;
        let total = min << top;
        let hook = dealloc::hook(self.dealloc, self.len);
        // SAFETY: the caller's promise for `ptr..ptr + len`, of which the
        // arena uses the first `total <= len` bytes.
        let core = unsafe { crate::BuddyArena::from_raw(ptr, total, min, Some(hook)) }
            .alignment(1)
            .init_policy(self.config.init_policy)
            .build()
            .map_err(|e| BuildError::from_core(e, 1))?;
        Ok(BuddyArena::wrap(core, false))
    }
}

/// Builds a [`BuddyArena`]; from [`BuddyArena::builder`].
///
/// `Mode` says what it builds: [`Standard`] (the default) and
/// [`AutoSpill`] a [`BuddyArena`], `HazmatRaw` (feature
/// `hazmat-raw-access`) a `hazmat::RawBuddyArena`.
pub struct BuddyArenaBuilder<Mode = Standard> {
    geometry: BuddyGeometry,
    config: Config,
    _mode: PhantomData<Mode>,
}

impl<Mode> BuddyArenaBuilder<Mode> {
    /// What happens to blocks that come back (default
    /// [`InitPolicy::Uninit`]).
    pub fn init_policy(mut self, policy: InitPolicy) -> Self {
        self.config.init_policy = policy;
        self
    }

    /// Whether `build` faults the pages in (default [`PageSize::Auto`]:
    /// it does).
    pub fn page_size(mut self, policy: PageSize) -> Self {
        self.config.page_size = policy;
        self
    }

    fn with_mode<M>(self) -> BuddyArenaBuilder<M> {
        BuddyArenaBuilder {
            geometry: self.geometry,
            config: self.config,
            _mode: PhantomData,
        }
    }

    fn core_builder(&self) -> Result<crate::buddy::BuddyArenaBuilder, BuildError> {
        let g = &self.geometry;
        let (total, min, align) = (g.total_size(), g.min_block_size(), g.alignment());
        let b = if align <= ARN_MAX_ALIGN {
            crate::BuddyArena::builder(total, min).alignment(align)
        } else {
            // arn maps page-aligned memory: a larger alignment needs memory
            // of its own.
            let layout =
                Layout::from_size_align(total, align).map_err(|_| BuildError::SizeOverflow)?;
            let (ptr, hook) = dealloc::aligned_heap(layout);
            // SAFETY: fresh zeroed heap memory of `total` bytes, freed by
            // the hook when the arena is gone.
            unsafe { crate::BuddyArena::from_raw(ptr, total, min, Some(hook)) }
                .alignment(ARN_MAX_ALIGN)
        };
        let b = b.init_policy(self.config.init_policy);
        Ok(if self.config.auto_spill {
            b.auto_spill()
        } else {
            b
        })
    }

    fn build_with(
        self,
        adjust: impl FnOnce(crate::buddy::BuddyArenaBuilder) -> crate::buddy::BuddyArenaBuilder,
    ) -> Result<BuddyArena, BuildError> {
        let b = adjust(self.core_builder()?).prefault(self.config.page_size != PageSize::Unknown);
        let core = b
            .build()
            .map_err(|e| BuildError::from_core(e, self.geometry.alignment()))?;
        Ok(BuddyArena::wrap(core, self.geometry.cap_capacity()))
    }

    fn build_unfaulted_with<A>(
        self,
        wrap: fn(BuddyArena) -> A,
        fault: fn(&A),
    ) -> Result<Unfaulted<A>, BuildError> {
        let prefault = self.config.page_size != PageSize::Unknown;
        let core = self
            .core_builder()?
            .build()
            .map_err(|e| BuildError::from_core(e, self.geometry.alignment()))?;
        let arena = wrap(BuddyArena::wrap(core, self.geometry.cap_capacity()));
        Ok(Unfaulted::new(arena, prefault.then_some(fault)))
    }

    fn fault(a: &BuddyArena) {
        a.shared.core.fault_in();
    }
}

impl BuddyArenaBuilder<Standard> {
    /// Buffers that outgrow their block move to the heap, giving the block
    /// back at once, instead of panicking.
    pub fn auto_spill(mut self) -> BuddyArenaBuilder<AutoSpill> {
        self.config.auto_spill = true;
        self.with_mode()
    }
}

plain_builds!(BuddyArenaBuilder, BuddyArena: Standard, AutoSpill);

#[cfg(feature = "hazmat-raw-access")]
impl BuddyArenaBuilder<Standard> {
    /// Builds a `hazmat::RawBuddyArena` instead, with raw access to blocks.
    pub fn hazmat_raw_access(self) -> BuddyArenaBuilder<super::arena::HazmatRaw> {
        self.with_mode()
    }
}

#[cfg(feature = "hazmat-raw-access")]
impl BuddyArenaBuilder<super::arena::HazmatRaw> {
    /// Builds the arena, faulting its pages in unless the page size is
    /// [`PageSize::Unknown`].
    pub fn build(self) -> Result<super::hazmat::RawBuddyArena, BuildError> {
        self.build_with(|b| b).map(super::hazmat::RawBuddyArena)
    }

    /// Builds the arena without touching its pages; see [`Unfaulted`].
    pub fn build_unfaulted(self) -> Result<Unfaulted<super::hazmat::RawBuddyArena>, BuildError> {
        self.build_unfaulted_with(super::hazmat::RawBuddyArena, |a| a.0.shared.core.fault_in())
    }
}

#[cfg(feature = "async-alloc")]
impl<Mode> BuddyArenaBuilder<Mode> {
    fn build_async_inner<W: super::BuddyWaiter>(
        self,
        waiters: W,
    ) -> Result<super::AsyncBuddyArena<W>, BuildError> {
        let waiters = Arc::new(waiters);
        let w = Arc::clone(&waiters);
        let arena = self.build_with(|b| b.wake_hook(Box::new(move |order| w.wake(order))))?;
        Ok(super::AsyncBuddyArena::new(arena, waiters))
    }
}

/// `build_async` and `build_async_with` for the modes that build a
/// [`BuddyArena`].
macro_rules! buddy_async_builds {
    ($mode:ty) => {
        #[cfg(feature = "async-alloc")]
        impl BuddyArenaBuilder<$mode> {
            /// Builds an arena whose `allocate_async` waits for a block,
            /// woken by the default [`NotifyWaiters`](super::NotifyWaiters)
            /// with one queue per order.
            pub fn build_async(self) -> Result<super::AsyncBuddyArena, BuildError> {
                let orders = self.geometry.max_order() + 1;
                self.build_async_inner(super::NotifyWaiters::new(orders))
            }

            /// Builds an arena whose `allocate_async` waits for a block with
            /// the wait policy `waiters`: its `wake` runs on every release
            /// while a task waits, with the order of the free block the
            /// release made.
            pub fn build_async_with<W: super::BuddyWaiter>(
                self,
                waiters: W,
            ) -> Result<super::AsyncBuddyArena<W>, BuildError> {
                self.build_async_inner(waiters)
            }
        }
    };
}

buddy_async_builds!(Standard);
buddy_async_builds!(AutoSpill);
