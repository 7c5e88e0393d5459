//! The two growing arenas, [`GrowArena`] and [`SharedGrowArena`], their
//! builder, and the memory source's side of every operation they share.

use std::alloc::Layout;
use std::cell::UnsafeCell;
use std::fmt;
use std::ptr::{self, NonNull};

use super::alloc::ArenaAlloc;
use super::class::{
    ARN_GROW_DEFAULT_CHUNK, ARN_GROW_GRANULE, GRANULE_SHIFT, MAX_BLOCK, MIN_CHUNK, class_size,
};
use super::core::{Chunk, Core, GrowStats, Need};
use super::source::{MemorySource, SystemMemory};
use crate::error::{Error, Result};
use crate::sync::SpinLock;

/// Access to the core: exclusive for the plain arena, under the lock for
/// the shared one. `with` must not be re-entered (nothing inside calls out).
trait Access {
    fn with<R>(&self, f: impl FnOnce(&mut Core) -> R) -> R;
    fn source(&self) -> &dyn MemorySource;
}

/// The memory source's side of every operation, shared by both arenas:
/// the fast path runs under `with`; a new chunk is fetched outside it.
struct Ops<'a, A: Access + ?Sized>(&'a A);

impl<A: Access + ?Sized> Ops<'_, A> {
    #[inline(always)]
    fn alloc(&self, layout: Layout) -> Result<NonNull<u8>> {
        let (size, align) = (layout.size(), layout.align());
        let c = Core::class_for(size, align)?;
        match self.0.with(|core| core.try_alloc(c, align)) {
            Ok(p) => Ok(p),
            Err(need) => self.alloc_slow(c, align, need),
        }
    }

    #[cold]
    #[inline(never)]
    fn alloc_slow(&self, c: usize, align: usize, need: Need) -> Result<NonNull<u8>> {
        let mut need = need;
        loop {
            match need {
                Need::Dedicated(bytes) => {
                    let chunk = self.fetch(bytes, true)?;
                    return Ok(self.0.with(|core| core.install_dedicated(chunk, c, align)));
                }
                Need::Chunk => {
                    let spare = self.0.with(|core| core.spare.pop());
                    let chunk = match spare {
                        Some(s) => s,
                        None => {
                            let size = self.0.with(|core| core.stats.chunk_size);
                            self.fetch(size, false)?
                        }
                    };
                    // Another caller may have installed a chunk meanwhile
                    // (the source was called without the core): use ours
                    // anyway; the old current chunk keeps its blocks.
                    match self.0.with(|core| {
                        core.install(chunk);
                        core.try_alloc(c, align)
                    }) {
                        Ok(p) => return Ok(p),
                        Err(n) => need = n,
                    }
                }
            }
        }
    }

    /// A chunk of `size` bytes from the memory source, with its side table.
    fn fetch(&self, size: usize, dedicated: bool) -> Result<Chunk> {
        let size = size
            .checked_add(ARN_GROW_GRANULE - 1)
            .map(|s| s & !(ARN_GROW_GRANULE - 1))
            .ok_or(Error::System { bytes: size })?;
        let src = self.0.source();
        let Some(base) = src.alloc(size) else {
            return Err(Error::System { bytes: size });
        };
        if base.as_ptr() as usize % ARN_GROW_GRANULE != 0 {
            // SAFETY: just allocated by this source with this size.
            unsafe { src.free(base, size) };
            return Err(Error::Refused {
                bytes: size,
                reason: format!(
                    "the memory source returned {:p}, not aligned to {ARN_GROW_GRANULE}",
                    base.as_ptr()
                ),
            });
        }
        let meta = if dedicated { 1 } else { size >> GRANULE_SHIFT };
        Ok(Chunk {
            base: base.as_ptr(),
            size,
            meta: vec![0u8; meta],
            block: ptr::null_mut(),
            used: 0,
        })
    }

    /// Gives a chunk back to the source.
    fn give_back(&self, c: Chunk) {
        // SAFETY: every chunk came from this source with this size, and
        // the arena no longer refers to it.
        unsafe { self.0.source().free(NonNull::new_unchecked(c.base), c.size) };
    }

    /// # Safety
    ///
    /// See [`ArenaAlloc::free`].
    #[inline]
    unsafe fn free(&self, p: NonNull<u8>) -> Result<()> {
        let p = p.as_ptr();
        let gone = self.0.with(|core| {
            let (dedicated, m, c) = core.live_block(p)?;
            Ok::<_, Error>(core.release(p, dedicated, m, c))
        })?;
        if let Some(chunk) = gone {
            self.give_back(chunk);
        }
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
        let align = align.max(1);
        Core::class_for(new_size, align)?;
        let raw = p.as_ptr();
        let old = self.0.with(|core| {
            let (_, m, c) = core.live_block(raw)?;
            let fits = raw as usize % align == 0 && core.resize_in_place(raw, m, c, new_size);
            Ok::<_, Error>((fits, class_size(c)))
        })?;
        let (fits, old_size) = old;
        if fits {
            return Ok(p);
        }
        // SAFETY: checked above: a valid layout.
        let layout = unsafe { Layout::from_size_align_unchecked(new_size, align) };
        let q = self.alloc(layout)?;
        // SAFETY: both blocks are live and distinct; `old_size` bytes of
        // the old one lie in its chunk.
        unsafe { ptr::copy_nonoverlapping(raw, q.as_ptr(), old_size.min(new_size)) };
        // SAFETY: the caller's promise; the block was live above and nothing
        // but this call ran on the arena since for the plain arena, and for
        // the shared one the caller owns the block.
        unsafe { self.free(p) }?;
        Ok(q)
    }

    fn usable_size(&self, p: *const u8) -> Option<usize> {
        self.0.with(|core| {
            let (dedicated, _, c) = core.live_block(p).ok()?;
            Some(match dedicated {
                None => class_size(c),
                Some(i) => core.chunks[i].end() - p as usize,
            })
        })
    }

    fn is_managed(&self, p: *const u8) -> bool {
        self.0.with(|core| core.find(p).is_some())
    }

    /// # Safety
    ///
    /// Nothing uses any block of the arena afterwards.
    unsafe fn reset(&self) {
        let gone = self.0.with(Core::reset);
        for c in gone {
            self.give_back(c);
        }
    }

    /// Returns every chunk to the source (drop).
    fn release_all(&self) {
        let (mut gone, spare) = self.0.with(|core| {
            let gone = core.reset();
            (gone, std::mem::take(&mut core.spare))
        });
        gone.extend(spare);
        for c in gone {
            self.give_back(c);
        }
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
    /// Bytes per chunk (default 64 KiB; at least 256, rounded up to 16).
    /// Requests above a quarter of it get a dedicated chunk.
    pub fn chunk_size(mut self, bytes: usize) -> Self {
        self.chunk_size = bytes;
        self
    }

    /// How many chunks a reset keeps for reuse (default 1); the others go
    /// back to the memory source.
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
        if self.chunk_size < MIN_CHUNK || self.chunk_size > MAX_BLOCK {
            return Err(Error::invalid(format!(
                "growing arena: chunk size {} is not between {MIN_CHUNK} and {MAX_BLOCK}",
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
    #[inline(always)]
    fn with<R>(&self, f: impl FnOnce(&mut Core) -> R) -> R {
        // SAFETY: `!Sync`, and no `with` runs inside another: the closures
        // never call out (the memory source is called between them).
        f(unsafe { &mut *self.core.get() })
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

            /// A snapshot of the counters.
            pub fn stats(&self) -> GrowStats {
                self.with(|c| c.snapshot())
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
                Ops(self).usable_size(ptr)
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
