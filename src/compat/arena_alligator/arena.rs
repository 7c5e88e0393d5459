//! The fixed-slot arena: [`FixedArena`] and its builders, and what both
//! arenas share ([`PageSize`], [`InitPolicy`], [`Unfaulted`], the builder
//! modes).

use std::alloc::Layout;
use std::fmt;
use std::marker::PhantomData;
use std::num::NonZeroUsize;
use std::ptr::NonNull;
use std::sync::Arc;

use super::buffer::Buffer;
use super::dealloc::{self, Dealloc, NoDealloc};
use super::error::{AllocError, BuildError};
use super::metrics::FixedArenaMetrics;
use super::spec::SlotSpec;
use crate::mem::ARN_MAX_ALIGN;

pub use crate::buffer::InitPolicy;

/// Whether, and how often, `build()` touches the arena's pages so that they
/// are resident before the first allocation.
///
/// arn faults pages in with one `madvise(MADV_POPULATE_WRITE)` where the
/// kernel has it (a write per 4 KiB page elsewhere), so the size given in
/// [`Size`](Self::Size) only says that pages are to be faulted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageSize {
    /// Touch nothing: pages fault in on first use.
    Unknown,
    /// Fault every page in at build (the default).
    Auto,
    /// Fault every page in at build, the caller naming the page size.
    Size(NonZeroUsize),
}

impl PageSize {
    fn prefault(self) -> bool {
        self != PageSize::Unknown
    }
}

/// An arena built without touching its pages, so that the thread that
/// faults them in decides where they live (the kernel places a page on the
/// NUMA node of the thread that first writes it).
pub struct Unfaulted<A> {
    arena: A,
    fault: Option<fn(&A)>,
}

impl<A> Unfaulted<A> {
    pub(crate) fn new(arena: A, fault: Option<fn(&A)>) -> Self {
        Unfaulted { arena, fault }
    }

    /// Faults every page in on the calling thread (unless the page size is
    /// [`PageSize::Unknown`]) and returns the arena.
    pub fn fault_pages(self) -> A {
        if let Some(fault) = self.fault {
            fault(&self.arena);
        }
        self.arena
    }

    /// The arena, its pages left to fault in on first use.
    pub fn into_inner(self) -> A {
        self.arena
    }
}

impl Unfaulted<FixedArena> {
    /// The arena, unfaulted, and a buffer from it.
    pub fn allocate(self) -> Result<(FixedArena, Buffer), AllocError> {
        let arena = self.into_inner();
        let buf = arena.allocate()?;
        Ok((arena, buf))
    }
}

/// Builder mode: builds an ordinary arena.
#[derive(Debug, Clone, Copy)]
pub struct Standard;

/// Builder mode: builds an arena whose buffers move to the heap when a
/// write does not fit.
#[derive(Debug, Clone, Copy)]
pub struct AutoSpill;

/// Builder mode: builds an arena with raw access to its memory (see the
/// `hazmat` module). Auto-spill and raw access exclude each other: neither
/// mode can switch to the other.
///
/// ```compile_fail
/// use arn::compat::arena_alligator::FixedArena;
/// use std::num::NonZeroUsize;
/// let n = |v| NonZeroUsize::new(v).unwrap();
/// let _ = FixedArena::with_slot_capacity(n(4), n(64)).auto_spill().hazmat_raw_access();
/// ```
///
/// ```compile_fail
/// use arn::compat::arena_alligator::FixedArena;
/// use std::num::NonZeroUsize;
/// let n = |v| NonZeroUsize::new(v).unwrap();
/// let _ = FixedArena::with_slot_capacity(n(4), n(64)).hazmat_raw_access().auto_spill();
/// ```
///
/// ```compile_fail
/// use arn::compat::arena_alligator::{BuddyArena, BuddyGeometry};
/// use std::num::NonZeroUsize;
/// let n = |v| NonZeroUsize::new(v).unwrap();
/// let geo = BuddyGeometry::exact(n(4096), n(512)).unwrap();
/// let _ = BuddyArena::builder(geo).auto_spill().hazmat_raw_access();
/// ```
///
/// ```compile_fail
/// use arn::compat::arena_alligator::{BuddyArena, BuddyGeometry};
/// use std::num::NonZeroUsize;
/// let n = |v| NonZeroUsize::new(v).unwrap();
/// let geo = BuddyGeometry::exact(n(4096), n(512)).unwrap();
/// let _ = BuddyArena::builder(geo).hazmat_raw_access().auto_spill();
/// ```
#[cfg(feature = "hazmat-raw-access")]
#[derive(Debug, Clone, Copy)]
pub struct HazmatRaw;

/// The settings both arenas' builders share.
#[derive(Clone, Copy)]
pub(crate) struct Config {
    pub(crate) alignment: usize,
    pub(crate) auto_spill: bool,
    pub(crate) init_policy: InitPolicy,
    pub(crate) page_size: PageSize,
}

impl Config {
    pub(crate) fn new() -> Config {
        Config {
            alignment: 1,
            auto_spill: false,
            init_policy: InitPolicy::Uninit,
            page_size: PageSize::Auto,
        }
    }

    /// Caller memory is never touched at build.
    pub(crate) fn raw_backed() -> Config {
        Config {
            page_size: PageSize::Unknown,
            ..Config::new()
        }
    }

    pub(crate) fn check_alignment(&self) -> Result<(), BuildError> {
        if self.alignment.is_power_of_two() {
            Ok(())
        } else {
            Err(BuildError::InvalidAlignment)
        }
    }
}

/// A fixed-slot arena: equal slots in one region, claimed and released from
/// any thread without a lock, handed out as [`Buffer`]s that freeze into
/// `Bytes`. Cloning is cheap: clones share the arena.
#[derive(Clone)]
pub struct FixedArena {
    pub(crate) core: Arc<crate::FixedArena>,
}

impl fmt::Debug for FixedArena {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedArena")
            .field("slot_count", &self.slot_count())
            .field("slot_capacity", &self.slot_capacity())
            .finish()
    }
}

impl FixedArena {
    /// A builder for `slot_count` slots of `slot_capacity` bytes each
    /// (rounded up to the alignment at build).
    pub fn with_slot_capacity(
        slot_count: NonZeroUsize,
        slot_capacity: NonZeroUsize,
    ) -> FixedArenaBuilder {
        FixedArenaBuilder {
            slot_count,
            slot_capacity,
            config: Config::new(),
            _mode: PhantomData,
        }
    }

    /// A builder for `slot_count` slots sharing `arena_capacity` bytes:
    /// each slot holds `arena_capacity / slot_count` rounded up (then up to
    /// the alignment at build).
    pub fn with_arena_capacity(
        slot_count: NonZeroUsize,
        arena_capacity: NonZeroUsize,
    ) -> FixedArenaBuilder {
        let per_slot = arena_capacity.get().div_ceil(slot_count.get());
        FixedArenaBuilder {
            slot_count,
            slot_capacity: NonZeroUsize::new(per_slot).unwrap_or(NonZeroUsize::MIN),
            config: Config::new(),
            _mode: PhantomData,
        }
    }

    /// A builder over `len` bytes of caller memory at `ptr`, cut as `spec`
    /// says. The arena never writes to the memory at build (unless the
    /// policy is [`InitPolicy::Zero`], which zeroes it). When the arena and
    /// every buffer and `Bytes` over it are gone, `dealloc` frees it.
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
        spec: SlotSpec,
        dealloc: D,
    ) -> RawBackedFixedArenaBuilder<D> {
        RawBackedFixedArenaBuilder {
            ptr,
            len,
            spec,
            dealloc,
            config: Config::raw_backed(),
        }
    }

    /// A builder over a static buffer, which is never freed.
    pub fn from_static(
        buf: &'static mut [u8],
        spec: SlotSpec,
    ) -> RawBackedFixedArenaBuilder<NoDealloc> {
        // SAFETY: the exclusive `'static` borrow is valid and unused by
        // anyone else for as long as the program runs, and static memory
        // is never freed.
        unsafe { Self::from_raw(buf.as_mut_ptr(), buf.len(), spec, NoDealloc) }
    }

    /// Slots in the arena.
    pub fn slot_count(&self) -> usize {
        self.core.slot_count()
    }

    /// Bytes per slot, rounded up to the alignment: every buffer's
    /// capacity.
    pub fn slot_capacity(&self) -> usize {
        self.core.slot_size()
    }

    /// A snapshot of the arena's counters.
    pub fn metrics(&self) -> FixedArenaMetrics {
        self.core.stats().into()
    }

    /// A buffer over a free slot; [`AllocError::ArenaFull`] when every
    /// slot is in use.
    #[inline]
    pub fn allocate(&self) -> Result<Buffer, AllocError> {
        match self.core.allocate_or_none() {
            Some(b) => Ok(Buffer::new(b)),
            None => Err(AllocError::ArenaFull),
        }
    }

    fn wrap(core: crate::FixedArena) -> FixedArena {
        FixedArena {
            core: Arc::new(core),
        }
    }
}

/// Builds a [`FixedArena`] over caller memory; from
/// [`FixedArena::from_raw`] or [`FixedArena::from_static`].
pub struct RawBackedFixedArenaBuilder<D: Dealloc> {
    ptr: *mut u8,
    len: usize,
    spec: SlotSpec,
    dealloc: D,
    config: Config,
}

impl<D: Dealloc> RawBackedFixedArenaBuilder<D> {
    /// What happens to slots that come back (default
    /// [`InitPolicy::Uninit`]).
    pub fn init_policy(mut self, policy: InitPolicy) -> Self {
        self.config.init_policy = policy;
        self
    }

    /// Rounds the slot size *down* to a multiple of `align` (a power of
    /// two). The memory's own alignment is the caller's business.
    pub fn alignment(mut self, align: usize) -> Self {
        self.config.alignment = align;
        self
    }

    /// Builds the arena; the slots beyond the spec's and the tail that
    /// holds no whole slot go unused.
    pub fn build(self) -> Result<FixedArena, BuildError> {
        let Some(ptr) = NonNull::new(self.ptr) else {
            return Err(BuildError::NullPointer);
        };
        self.config.check_alignment()?;
        let (count, size) = self.spec.resolve(self.len, self.config.alignment)?;
        let hook = dealloc::hook(self.dealloc, self.len);
        // SAFETY: the caller's promise for `ptr..ptr + len`, of which the
        // arena uses the first `count * size <= len` bytes.
        let core = unsafe { crate::FixedArena::from_raw(ptr, count * size, size, Some(hook)) }
            .alignment(1)
            .init_policy(self.config.init_policy)
            .build()
            .map_err(|e| BuildError::from_core(e, 1))?;
        Ok(FixedArena::wrap(core))
    }
}

/// Builds a [`FixedArena`]; from [`FixedArena::with_slot_capacity`] or
/// [`FixedArena::with_arena_capacity`].
///
/// `Mode` says what it builds: [`Standard`] (the default) and
/// [`AutoSpill`] a [`FixedArena`], `HazmatRaw` (feature
/// `hazmat-raw-access`) a `hazmat::RawFixedArena`.
pub struct FixedArenaBuilder<Mode = Standard> {
    slot_count: NonZeroUsize,
    slot_capacity: NonZeroUsize,
    config: Config,
    _mode: PhantomData<Mode>,
}

impl<Mode> FixedArenaBuilder<Mode> {
    /// Aligns the memory, every slot and every slot's size to `n`, a power
    /// of two (default 1).
    pub fn alignment(mut self, n: usize) -> Self {
        self.config.alignment = n;
        self
    }

    /// What happens to slots that come back (default
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

    fn with_mode<M>(self) -> FixedArenaBuilder<M> {
        FixedArenaBuilder {
            slot_count: self.slot_count,
            slot_capacity: self.slot_capacity,
            config: self.config,
            _mode: PhantomData,
        }
    }

    /// arn's builder for this configuration (sizes checked as
    /// arena-alligator checks them).
    fn core_builder(&self) -> Result<crate::fixed::FixedArenaBuilder, BuildError> {
        let c = &self.config;
        c.check_alignment()?;
        let align = c.alignment;
        let count = self.slot_count.get();
        let size = self
            .slot_capacity
            .get()
            .checked_next_multiple_of(align)
            .ok_or(BuildError::SizeOverflow)?;
        let total = count.checked_mul(size).ok_or(BuildError::SizeOverflow)?;
        let layout = Layout::from_size_align(total, align).map_err(|_| BuildError::SizeOverflow)?;
        let b = if align <= ARN_MAX_ALIGN {
            crate::FixedArena::builder(count, size).alignment(align)
        } else {
            // arn maps page-aligned memory: a larger alignment needs memory
            // of its own.
            let (ptr, hook) = dealloc::aligned_heap(layout);
            // SAFETY: fresh zeroed heap memory of `total` bytes, freed by
            // the hook when the arena is gone.
            unsafe { crate::FixedArena::from_raw(ptr, total, size, Some(hook)) }
                .alignment(ARN_MAX_ALIGN)
        };
        let b = b.init_policy(c.init_policy);
        Ok(if c.auto_spill { b.auto_spill() } else { b })
    }

    fn build_with(
        self,
        adjust: impl FnOnce(crate::fixed::FixedArenaBuilder) -> crate::fixed::FixedArenaBuilder,
    ) -> Result<FixedArena, BuildError> {
        let b = adjust(self.core_builder()?).prefault(self.config.page_size.prefault());
        let core = b
            .build()
            .map_err(|e| BuildError::from_core(e, self.config.alignment))?;
        Ok(FixedArena::wrap(core))
    }

    fn build_unfaulted_with<A>(
        self,
        wrap: fn(FixedArena) -> A,
        fault: fn(&A),
    ) -> Result<Unfaulted<A>, BuildError> {
        let prefault = self.config.page_size.prefault();
        let core = self
            .core_builder()?
            .build()
            .map_err(|e| BuildError::from_core(e, self.config.alignment))?;
        let arena = wrap(FixedArena::wrap(core));
        Ok(Unfaulted::new(arena, prefault.then_some(fault)))
    }

    fn fault(a: &FixedArena) {
        a.core.fault_in();
    }
}

impl FixedArenaBuilder<Standard> {
    /// Buffers that outgrow their slot move to the heap, giving the slot
    /// back at once, instead of panicking.
    pub fn auto_spill(mut self) -> FixedArenaBuilder<AutoSpill> {
        self.config.auto_spill = true;
        self.with_mode()
    }
}

/// `build` and `build_unfaulted` of the modes that build the plain arena;
/// the builder has `build_with`, `build_unfaulted_with` and `fault`.
macro_rules! plain_builds {
    ($builder:ident, $arena:ident: $($mode:ty),+) => {$(
        impl $builder<$mode> {
            /// Builds the arena, faulting its pages in unless the page size
            /// is [`PageSize::Unknown`].
            pub fn build(self) -> Result<$arena, BuildError> {
                self.build_with(|b| b)
            }

            /// Builds the arena without touching its pages; see
            /// [`Unfaulted`].
            pub fn build_unfaulted(self) -> Result<Unfaulted<$arena>, BuildError> {
                self.build_unfaulted_with(|a| a, Self::fault)
            }
        }
    )+};
}
pub(crate) use plain_builds;

plain_builds!(FixedArenaBuilder, FixedArena: Standard, AutoSpill);

#[cfg(feature = "hazmat-raw-access")]
impl FixedArenaBuilder<Standard> {
    /// Builds a `hazmat::RawFixedArena` instead, with raw access to slots.
    pub fn hazmat_raw_access(self) -> FixedArenaBuilder<HazmatRaw> {
        self.with_mode()
    }
}

#[cfg(feature = "hazmat-raw-access")]
impl FixedArenaBuilder<HazmatRaw> {
    /// Builds the arena, faulting its pages in unless the page size is
    /// [`PageSize::Unknown`].
    pub fn build(self) -> Result<super::hazmat::RawFixedArena, BuildError> {
        self.build_with(|b| b).map(super::hazmat::RawFixedArena)
    }

    /// Builds the arena without touching its pages; see [`Unfaulted`].
    pub fn build_unfaulted(self) -> Result<Unfaulted<super::hazmat::RawFixedArena>, BuildError> {
        self.build_unfaulted_with(super::hazmat::RawFixedArena, |a| a.0.core.fault_in())
    }
}

#[cfg(feature = "async-alloc")]
impl<Mode> FixedArenaBuilder<Mode> {
    fn build_async_inner<W: super::Waiter>(
        self,
        waiters: W,
    ) -> Result<super::AsyncFixedArena<W>, BuildError> {
        let waiters = Arc::new(waiters);
        let w = Arc::clone(&waiters);
        let arena = self.build_with(|b| b.wake_hook(Box::new(move |_| w.wake())))?;
        Ok(super::AsyncFixedArena::new(arena, waiters))
    }
}

/// `build_async` and `build_async_with` for the modes that build a
/// [`FixedArena`].
macro_rules! fixed_async_builds {
    ($mode:ty) => {
        #[cfg(feature = "async-alloc")]
        impl FixedArenaBuilder<$mode> {
            /// Builds an arena whose `allocate_async` waits for a slot, woken
            /// by the default [`NotifyWaiters`](super::NotifyWaiters).
            pub fn build_async(self) -> Result<super::AsyncFixedArena, BuildError> {
                self.build_async_inner(super::NotifyWaiters::new(1))
            }

            /// Builds an arena whose `allocate_async` waits for a slot with
            /// the wait policy `waiters`: its `wake` runs on every release
            /// while a task waits.
            pub fn build_async_with<W: super::Waiter>(
                self,
                waiters: W,
            ) -> Result<super::AsyncFixedArena<W>, BuildError> {
                self.build_async_inner(waiters)
            }
        }
    };
}

fixed_async_builds!(Standard);
fixed_async_builds!(AutoSpill);
