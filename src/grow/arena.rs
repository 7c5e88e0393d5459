//! The two growing arenas, [`GrowArena`] and [`SharedGrowArena`], their
//! builder, and the memory source's side of every operation they share.

use std::alloc::Layout;
use std::cell::UnsafeCell;
use std::fmt;
use std::ops::DerefMut;
use std::ptr::{self, NonNull};

use super::alloc::ArenaAlloc;
use super::class::{ARN_GROW_DEFAULT_CHUNK, ARN_GROW_GRANULE, MAX_CHUNK, MIN_CHUNK};
use super::core::{Chunk, Core, Freed, GrowStats, Need, Resize};
use super::source::{MemorySource, SystemMemory};
use crate::error::{Error, Result};
use crate::sync::{SpinGuard, SpinLock};

/// Access to the core: exclusive for the plain arena, under the lock for
/// the shared one. Only one access at a time: nothing done with the core
/// calls out.
trait Access {
    type Core<'a>: DerefMut<Target = Core>
    where
        Self: 'a;

    fn lock(&self) -> Self::Core<'_>;

    #[inline(always)]
    fn with<R>(&self, f: impl FnOnce(&mut Core) -> R) -> R {
        f(&mut self.lock())
    }

    fn source(&self) -> &dyn MemorySource;
}

/// The memory source's side of every operation, shared by both arenas:
/// the fast path runs under `with`; chunks are fetched and given back
/// outside it.
struct Ops<'a, A: Access + ?Sized>(&'a A);

impl<A: Access + ?Sized> Ops<'_, A> {
    #[inline(always)]
    fn alloc(&self, layout: Layout) -> Result<NonNull<u8>> {
        let (size, align) = (layout.size(), layout.align());
        // A statement of its own: the lock is given back before the slow
        // path, which calls the memory source.
        let p = self.0.lock().alloc(size, align);
        match p {
            Some(p) => Ok(p),
            None => self.alloc_slow(size, align),
        }
    }

    /// The fast path alone: a block from a quick list or the extent, or
    /// `None`.
    #[inline(always)]
    fn alloc_fast(&self, size: usize, align: usize) -> Option<NonNull<u8>> {
        self.0.lock().alloc(size, align)
    }

    #[cold]
    #[inline(never)]
    fn alloc_slow(&self, size: usize, align: usize) -> Result<NonNull<u8>> {
        Core::check(size, align)?;
        let mut need = match self.settled(|core| core.alloc_slow(size, align)) {
            Ok(p) => return Ok(p),
            Err(need) => need,
        };
        loop {
            match need {
                Need::Large(span) => {
                    let bytes =
                        Core::large_chunk(span, align).ok_or(Error::System { bytes: span })?;
                    let chunk = self.fetch(bytes, false)?;
                    return Ok(self.0.with(|core| core.install_large(chunk, align)));
                }
                Need::Chunk => {
                    let size_of_chunk = self.0.with(|core| core.chunk_size);
                    let chunk = self.fetch(size_of_chunk, true)?;
                    // Another caller may have installed a chunk meanwhile
                    // (the source was called without the core): ours
                    // becomes the extent anyway; the other's stays in use.
                    let (got, gone) = self.0.with(|core| {
                        core.install(chunk);
                        let got = core.alloc_slow(size, align);
                        core.settle();
                        (got, std::mem::take(&mut core.gone))
                    });
                    self.give_back(gone);
                    match got {
                        Ok(p) => return Ok(p),
                        Err(n) => need = n,
                    }
                }
            }
        }
    }

    /// A chunk of `size` bytes from the memory source, with a side table
    /// when it is to hold small blocks.
    fn fetch(&self, size: usize, small: bool) -> Result<Chunk> {
        let size = size
            .checked_add(ARN_GROW_GRANULE - 1)
            .map(|s| s & !(ARN_GROW_GRANULE - 1))
            .ok_or(Error::System { bytes: size })?;
        let src = self.0.source();
        let Some(base) = src.alloc(size) else {
            return Err(Error::System { bytes: size });
        };
        let chunk = if base.as_ptr() as usize % ARN_GROW_GRANULE != 0 {
            Err(Error::Refused {
                bytes: size,
                reason: format!(
                    "the memory source returned {:p}, not aligned to {ARN_GROW_GRANULE}",
                    base.as_ptr()
                ),
            })
        } else if small {
            Chunk::small(base.as_ptr(), size)
        } else {
            Ok(Chunk::large(base.as_ptr(), size))
        };
        match &chunk {
            // Memory never handed out starts poisoned.
            Ok(c) => crate::track::fresh(c.base, c.size),
            // SAFETY: just allocated by this source with this size.
            Err(_) => unsafe { src.free(base, size) },
        }
        chunk
    }

    /// Gives chunks back to the source.
    #[cold]
    #[inline(never)]
    fn give_back(&self, gone: Vec<Chunk>) {
        for c in gone {
            // The source may write there (a C allocator's headers), and
            // AddressSanitizer must not keep the poison for the next owner
            // of these addresses.
            crate::track::open(c.base, c.size);
            // SAFETY: every chunk came from this source with this size,
            // and the arena no longer refers to it.
            unsafe { self.0.source().free(NonNull::new_unchecked(c.base), c.size) };
        }
    }

    /// Runs `f` on the core, then gives back what it left in `gone`.
    #[inline]
    fn settled<R>(&self, f: impl FnOnce(&mut Core) -> R) -> R {
        let (r, gone) = self.0.with(|core| {
            let r = f(core);
            let gone = core.settle().then(|| std::mem::take(&mut core.gone));
            (r, gone)
        });
        if let Some(gone) = gone {
            self.give_back(gone);
        }
        r
    }

    /// # Safety
    ///
    /// See [`ArenaAlloc::free`].
    #[inline(always)]
    unsafe fn free(&self, p: NonNull<u8>) -> Result<()> {
        let freed = self.0.lock().free(p.as_ptr());
        if freed != Freed::Done {
            return self.free_cold(p, freed);
        }
        Ok(())
    }

    /// Frees `p` when it is a live block (`false`, nothing changed, when
    /// it is not), giving back any chunk that freeing it released.
    ///
    /// # Safety
    ///
    /// See [`ArenaAlloc::free`].
    #[inline(always)]
    unsafe fn free_fast(&self, p: NonNull<u8>) -> bool {
        let freed = self.0.lock().free(p.as_ptr());
        match freed {
            Freed::Done => true,
            Freed::Settle => {
                self.settled(|_| ());
                true
            }
            Freed::Bad => false,
        }
    }

    #[cold]
    #[inline(never)]
    fn free_cold(&self, p: NonNull<u8>, freed: Freed) -> Result<()> {
        if freed == Freed::Bad {
            return Err(self.0.with(|core| core.not_live(p.as_ptr())));
        }
        self.settled(|_| ());
        Ok(())
    }

    /// # Safety
    ///
    /// See [`ArenaAlloc::realloc`].
    unsafe fn realloc(&self, p: NonNull<u8>, align: usize, new_size: usize) -> Result<NonNull<u8>> {
        if !align.is_power_of_two() {
            return Err(Error::invalid(format!(
                "growing arena: alignment {align} is not a power of two"
            )));
        }
        Core::check(new_size, align)?;
        let raw = p.as_ptr();
        match self.settled(|core| core.resize(raw, align, new_size))? {
            Resize::Done(q) => Ok(q),
            // SAFETY: the caller's promise.
            Resize::Move { usable } => unsafe { self.moved(p, align, new_size, usable) },
            Resize::Source {
                id,
                base,
                size,
                want,
            } => {
                // Opened for the source, which may copy it or move its
                // pages (AddressSanitizer's poison would stay behind);
                // `resized` and `unresized` mark it again.
                crate::track::open(base.as_ptr(), size);
                // SAFETY: the chunk of a live block (the caller's), from
                // this source with this size; nothing else resizes it.
                let resized = unsafe { self.0.source().resize(base, size, want) };
                if let Some(b) = resized {
                    return Ok(self.0.with(|core| core.resized(id, b, want)));
                }
                self.0.with(|core| core.unresized(id));
                if want > size {
                    let usable = size - (raw as usize - base.as_ptr() as usize);
                    // SAFETY: the caller's promise.
                    unsafe { self.moved(p, align, new_size, usable) }
                } else {
                    Ok(p)
                }
            }
        }
    }

    /// A new block for a reallocation, holding the old block's bytes up to
    /// its usable size (at most what the new block holds); the old one is
    /// freed.
    ///
    /// # Safety
    ///
    /// See [`ArenaAlloc::realloc`]; `usable` is the old block's usable size.
    unsafe fn moved(
        &self,
        p: NonNull<u8>,
        align: usize,
        new_size: usize,
        usable: usize,
    ) -> Result<NonNull<u8>> {
        // SAFETY: checked by `realloc`.
        let layout = unsafe { Layout::from_size_align_unchecked(new_size, align) };
        let q = self.alloc(layout)?;
        // Every block holds whole granules.
        let keep = usable.min(new_size.next_multiple_of(ARN_GROW_GRANULE));
        // SAFETY: both blocks are live and distinct, each at least `keep`
        // bytes long.
        unsafe { ptr::copy_nonoverlapping(p.as_ptr(), q.as_ptr(), keep) };
        // SAFETY: the caller's promise; the block was live above and nothing
        // but this call ran on the arena since for the plain arena, and for
        // the shared one the caller owns the block.
        unsafe { self.free(p) }?;
        Ok(q)
    }

    fn usable(&self, p: *const u8) -> Result<usize> {
        self.0.with(|core| core.usable(p))
    }

    fn is_managed(&self, p: *const u8) -> bool {
        self.0.with(|core| core.is_managed(p))
    }

    /// Gives back every entirely free chunk; the bytes given back.
    fn trim(&self) -> usize {
        let gone = self.0.with(|core| {
            core.trim();
            std::mem::take(&mut core.gone)
        });
        let bytes = gone.iter().map(|c| c.size).sum();
        self.give_back(gone);
        bytes
    }

    /// # Safety
    ///
    /// Nothing uses any block of the arena afterwards.
    unsafe fn reset(&self) {
        self.settled(Core::reset);
    }

    /// Returns every chunk to the source (drop).
    fn release_all(&self) {
        let all = self.0.with(Core::release_all);
        self.give_back(all);
    }
}

/// Options of a growing arena; from [`GrowArena::builder`].
pub struct GrowArenaBuilder {
    chunk_size: usize,
    retain: usize,
    source: Box<dyn MemorySource>,
}

impl fmt::Debug for GrowArenaBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrowArenaBuilder")
            .field("chunk_size", &self.chunk_size)
            .field("retain", &self.retain)
            .finish_non_exhaustive()
    }
}

impl GrowArenaBuilder {
    /// Bytes per chunk of small blocks (default 64 KiB; from 256 to
    /// 1 GiB, rounded up to 16). Requests above a quarter of it get a
    /// chunk of their own.
    pub fn chunk_size(mut self, bytes: usize) -> Self {
        self.chunk_size = bytes;
        self
    }

    /// How many entirely free chunks the arena keeps for reuse (default
    /// 1), after a reset or as blocks are freed; the others go back to the
    /// memory source at once.
    pub fn retain(mut self, chunks: usize) -> Self {
        self.retain = chunks;
        self
    }

    /// Where chunks come from (default [`SystemMemory`]).
    pub fn memory(mut self, source: impl MemorySource + 'static) -> Self {
        self.source = Box::new(source);
        self
    }

    /// [`memory`](Self::memory) for a source already boxed.
    pub fn memory_boxed(mut self, source: Box<dyn MemorySource>) -> Self {
        self.source = source;
        self
    }

    fn core(&self) -> Result<Core> {
        if self.chunk_size < MIN_CHUNK || self.chunk_size > MAX_CHUNK {
            return Err(Error::invalid(format!(
                "growing arena: chunk size {} is not between {MIN_CHUNK} and {MAX_CHUNK}",
                self.chunk_size
            )));
        }
        let size = (self.chunk_size + ARN_GROW_GRANULE - 1) & !(ARN_GROW_GRANULE - 1);
        Ok(Core::new(size, self.retain))
    }

    /// An arena for one thread at a time. Fails only on a bad chunk size.
    pub fn build(self) -> Result<GrowArena> {
        Ok(GrowArena {
            core: UnsafeCell::new(self.core()?),
            source: self.source,
        })
    }

    /// An arena with an internal lock, safe from any thread (the Go
    /// arena's `WithEnableLock`). Containers on it still serve one thread at a time.
    pub fn build_shared(self) -> Result<SharedGrowArena> {
        Ok(SharedGrowArena {
            core: SpinLock::new(self.core()?),
            source: self.source,
        })
    }
}

/// The growing arena, for one thread at a time (`Send`, not `Sync`).
///
/// Allocation takes `&self`, so containers and typed values can share the
/// arena; [`reset`](Self::reset) takes `&mut self`, so nothing borrowed from
/// the arena survives it.
pub struct GrowArena {
    core: UnsafeCell<Core>,
    source: Box<dyn MemorySource>,
}

// SAFETY: the core's raw pointers point into chunks the arena owns, and the
// source is `Send`; `UnsafeCell` keeps the arena `!Sync`.
unsafe impl Send for GrowArena {}

impl Default for GrowArena {
    fn default() -> Self {
        GrowArena::new()
    }
}

impl GrowArena {
    /// An arena with the defaults: 64 KiB chunks from the system, one kept
    /// across reset.
    pub fn new() -> GrowArena {
        GrowArena::builder()
            .build()
            .expect("the default options are valid")
    }

    /// Options for a new arena.
    pub fn builder() -> GrowArenaBuilder {
        GrowArenaBuilder {
            chunk_size: ARN_GROW_DEFAULT_CHUNK,
            retain: 1,
            source: Box::new(SystemMemory),
        }
    }
}

impl Access for GrowArena {
    type Core<'a> = &'a mut Core;

    #[inline(always)]
    fn lock(&self) -> &mut Core {
        // SAFETY: `!Sync`, and no access outlives the statement that takes
        // it or runs inside another: nothing done with the core calls out
        // (the memory source is called between accesses).
        unsafe { &mut *self.core.get() }
    }

    fn source(&self) -> &dyn MemorySource {
        &*self.source
    }
}

/// The growing arena with an internal lock: safe from any thread.
pub struct SharedGrowArena {
    core: SpinLock<Core>,
    source: Box<dyn MemorySource>,
}

// SAFETY: the core (raw pointers into chunks the arena owns) is reached
// only under the lock; the source is `Send + Sync`.
unsafe impl Send for SharedGrowArena {}
// SAFETY: as above.
unsafe impl Sync for SharedGrowArena {}

impl Access for SharedGrowArena {
    type Core<'a> = SpinGuard<'a, Core>;

    #[inline(always)]
    fn lock(&self) -> SpinGuard<'_, Core> {
        self.core.lock()
    }

    #[inline(always)]
    fn with<R>(&self, f: impl FnOnce(&mut Core) -> R) -> R {
        self.core.with(f)
    }

    fn source(&self) -> &dyn MemorySource {
        &*self.source
    }
}

/// What both arena types have alike, written once: reset, counters,
/// `Drop`, `Debug` and [`ArenaAlloc`].
macro_rules! arena_alloc {
    ($t:ident) => {
        impl $t {
            /// Frees every block at once, keeping up to `retain` chunks for
            /// reuse.
            pub fn reset(&mut self) {
                // SAFETY: `&mut self`: nothing borrows a block any more.
                unsafe { Ops(&*self).reset() }
            }

            /// # Safety
            ///
            /// [`reset`](Self::reset) through a shared reference, for the C
            /// layer: nothing uses a block of the arena afterwards, and no
            /// call on the arena is running on this thread but the caller.
            pub(crate) unsafe fn reset_shared(&self) {
                // SAFETY: the caller's promise.
                unsafe { Ops(self).reset() }
            }

            /// A snapshot of the counters, in constant time.
            pub fn stats(&self) -> GrowStats {
                self.with(|c| c.stats())
            }

            /// Gives every entirely free chunk back to the memory source
            /// now, spares included (blocks waiting in the quick lists are
            /// merged first). Returns the bytes given back.
            pub fn trim(&self) -> usize {
                Ops(self).trim()
            }

            /// Panics when the core is not consistent (tests).
            #[cfg(all(test, not(arn_loom)))]
            pub(crate) fn validate(&self) {
                self.with(|c| c.validate())
            }

            /// The usable size of the live block at `p`; the error says why
            /// `p` is not one (a foreign pointer or a double free).
            pub(crate) fn usable(&self, p: *const u8) -> Result<usize> {
                Ops(self).usable(p)
            }

            /// The allocation fast path alone, for the C layer: a block
            /// from a quick list or the free extent, or `None` (then
            /// [`ArenaAlloc::alloc`] does the rest or says why not).
            #[inline(always)]
            pub(crate) fn alloc_fast(&self, size: usize, align: usize) -> Option<NonNull<u8>> {
                Ops(self).alloc_fast(size, align)
            }

            /// Frees `p` if it is a live block of the arena; `false`, with
            /// nothing changed, if not (then [`ArenaAlloc::free`] says why).
            ///
            /// # Safety
            ///
            /// See [`ArenaAlloc::free`].
            #[inline(always)]
            pub(crate) unsafe fn free_fast(&self, p: NonNull<u8>) -> bool {
                // SAFETY: the caller's promise.
                unsafe { Ops(self).free_fast(p) }
            }
        }

        impl Drop for $t {
            fn drop(&mut self) {
                Ops(&*self).release_all();
            }
        }

        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($t))
                    .field("stats", &self.stats())
                    .finish_non_exhaustive()
            }
        }

        // SAFETY: blocks come from chunks the arena owns until reset or
        // drop; the side table keeps live blocks disjoint.
        unsafe impl ArenaAlloc for $t {
            #[inline]
            fn alloc(&self, layout: Layout) -> Result<NonNull<u8>> {
                Ops(self).alloc(layout)
            }

            fn alloc_zeroed(&self, layout: Layout) -> Result<NonNull<u8>> {
                let p = Ops(self).alloc(layout)?;
                // SAFETY: a fresh block of at least `layout.size()` bytes.
                unsafe { ptr::write_bytes(p.as_ptr(), 0, layout.size()) };
                Ok(p)
            }

            #[inline]
            unsafe fn free(&self, ptr: NonNull<u8>) -> Result<()> {
                // SAFETY: the caller's promise.
                unsafe { Ops(self).free(ptr) }
            }

            unsafe fn realloc(
                &self,
                ptr: NonNull<u8>,
                align: usize,
                new_size: usize,
            ) -> Result<NonNull<u8>> {
                // SAFETY: the caller's promise.
                unsafe { Ops(self).realloc(ptr, align, new_size) }
            }

            fn usable_size(&self, ptr: *const u8) -> Option<usize> {
                Ops(self).usable(ptr).ok()
            }

            fn is_managed(&self, ptr: *const u8) -> bool {
                Ops(self).is_managed(ptr)
            }

            fn epoch(&self) -> u64 {
                self.with(|c| c.epoch)
            }
        }
    };
}

arena_alloc!(GrowArena);
arena_alloc!(SharedGrowArena);
