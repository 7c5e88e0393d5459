//! C functions of the growing arena (`grw*`). An arena made without the
//! lock is used by one thread at a time; with `lock` set, every `grw*` call
//! but `grwfr` is safe from any thread.

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{ArenaAlloc, GrowArena, GrowArenaBuilder, GrowStats, MemorySource, SharedGrowArena};
use crate::error::{Error, Result};
use crate::ffi::handle::{self, Kind, Object};
use crate::ffi::{args, free_unless_busy, guard, hot_ref, status_hot_ref, with_ref};
use std::alloc::Layout;

/// Handle of a growing arena; 0 is never valid.
#[allow(non_camel_case_types)]
pub type arn_grow = u64;

/// Options of `grwmk` (`arn_grow_opts`). Zeroed, it means the defaults
/// but no entirely free chunk kept; pass NULL for all the defaults.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct GrowOpts {
    /// Bytes per chunk of small blocks; 0 means 65536. From 256 to 1 GiB.
    /// Requests above a quarter of it get a chunk of their own.
    pub chunk_size: usize,
    /// Entirely free chunks kept for reuse (after a reset, or as blocks
    /// are freed); the others go back to the memory source at once.
    pub retain: usize,
    /// Nonzero: an internal lock makes the arena safe from any thread.
    pub lock: c_int,
    /// Memory source: returns `size` bytes aligned to 16, or NULL. NULL
    /// (with `free` NULL) means the system's memory.
    pub alloc: Option<unsafe extern "C" fn(ctx: *mut c_void, size: usize) -> *mut c_void>,
    /// Gives back memory from `alloc`, with its size.
    pub free: Option<unsafe extern "C" fn(ctx: *mut c_void, ptr: *mut c_void, size: usize)>,
    /// Passed to `alloc` and `free`.
    pub ctx: *mut c_void,
}

/// The two arenas behind a C handle.
enum Arena {
    Plain(GrowArena),
    Locked(SharedGrowArena),
}

/// The C object: the arena and the identity its callbacks run under.
pub(crate) struct CGrow {
    arena: Arena,
    /// Nonzero when the memory source is C code: `CALLBACK` holds it while
    /// one of its callbacks runs on this thread.
    id: u64,
}

// SAFETY: no `ALSO` kind.
unsafe impl Object for CGrow {
    const KIND: Kind = Kind::Grow;
}

thread_local! {
    /// The `id` of the arena whose C memory callback runs on this thread.
    static CALLBACK: Cell<u64> = const { Cell::new(0) };
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A memory source made of C callbacks.
struct CSource {
    alloc: unsafe extern "C" fn(*mut c_void, usize) -> *mut c_void,
    free: unsafe extern "C" fn(*mut c_void, *mut c_void, usize),
    ctx: *mut c_void,
    id: u64,
}

// SAFETY: `grwmk`'s contract: the callbacks and their context may be used
// from any thread that uses the arena (several at once with the lock).
unsafe impl Send for CSource {}
// SAFETY: as above.
unsafe impl Sync for CSource {}

impl CSource {
    /// Runs a callback with this arena marked as busy on this thread.
    fn call<R>(&self, f: impl FnOnce() -> R) -> R {
        let outer = CALLBACK.with(|c| c.replace(self.id));
        struct Restore(u64);
        impl Drop for Restore {
            fn drop(&mut self) {
                CALLBACK.with(|c| c.set(self.0));
            }
        }
        let _restore = Restore(outer);
        f()
    }
}

impl MemorySource for CSource {
    fn alloc(&self, size: usize) -> Option<NonNull<u8>> {
        // SAFETY: `grwmk`'s contract on the callback.
        NonNull::new(self.call(|| unsafe { (self.alloc)(self.ctx, size) }).cast())
    }

    unsafe fn free(&self, ptr: NonNull<u8>, size: usize) {
        // SAFETY: `grwmk`'s contract; `ptr`/`size` came from `alloc`.
        self.call(|| unsafe { (self.free)(self.ctx, ptr.as_ptr().cast(), size) })
    }
}

impl CGrow {
    /// The fast path of `grwal`: `None` sends the call to the careful path.
    #[inline(always)]
    fn alloc_fast(&self, size: usize, align: usize) -> Option<*mut c_void> {
        // A bad alignment is for the careful path to explain.
        if align & align.wrapping_sub(1) != 0 {
            return None;
        }
        let p = match &self.arena {
            Arena::Plain(a) => a.alloc_fast(size, align),
            Arena::Locked(a) => locked_alloc(a, size, align),
        };
        p.map(|p| p.as_ptr().cast())
    }

    /// The fast path of `grwfe`: `false` sends the call to the careful
    /// path (which then only explains why `ptr` is not a live block).
    ///
    /// # Safety
    ///
    /// As `grwfe`.
    #[inline(always)]
    unsafe fn free_fast(&self, ptr: *mut c_void) -> bool {
        let Some(p) = NonNull::new(ptr.cast::<u8>()) else {
            return true;
        };
        match &self.arena {
            // SAFETY: the caller's promise; the arena checks the pointer.
            Arena::Plain(a) => unsafe { a.free_fast(p) },
            // SAFETY: as above.
            Arena::Locked(a) => unsafe { locked_free(a, p) },
        }
    }

    /// The fast path of `grwre`, every edge of `realloc` included (the
    /// arena type known, no error built).
    ///
    /// # Safety
    ///
    /// As `grwre`.
    #[inline(always)]
    unsafe fn realloc_fast(&self, ptr: *mut c_void, new_size: usize) -> Option<*mut c_void> {
        let Some(p) = NonNull::new(ptr.cast::<u8>()) else {
            // realloc(NULL, n) allocates; realloc(NULL, 0) does nothing.
            if new_size == 0 {
                return Some(std::ptr::null_mut());
            }
            return self.alloc_fast(new_size, 0);
        };
        if new_size == 0 {
            // realloc(p, 0) frees p.
            // SAFETY: the caller's promise; the arena checks the pointer.
            return unsafe { self.free_fast(ptr) }.then(std::ptr::null_mut);
        }
        let q = match &self.arena {
            // SAFETY: the caller's promise; the arena checks the pointer.
            Arena::Plain(a) => unsafe { a.realloc(p, super::ARN_GROW_GRANULE, new_size) },
            // SAFETY: as above.
            Arena::Locked(a) => unsafe { a.realloc(p, super::ARN_GROW_GRANULE, new_size) },
        };
        q.ok().map(|q| q.as_ptr().cast())
    }

    /// `grwre` the careful way: every edge of `realloc`.
    ///
    /// # Safety
    ///
    /// As `grwre`.
    unsafe fn realloc(&self, ptr: *mut c_void, new_size: usize) -> Result<*mut c_void> {
        let a = self.arena();
        let p = match (NonNull::new(ptr.cast::<u8>()), new_size) {
            (None, 0) => return Ok(std::ptr::null_mut()),
            (None, n) => a.alloc(layout(n, 0)?)?,
            (Some(p), 0) => {
                // SAFETY: the caller's promise; the arena checks the pointer.
                unsafe { a.free(p) }?;
                return Ok(std::ptr::null_mut());
            }
            // SAFETY: as above.
            (Some(p), n) => unsafe { a.realloc(p, super::ARN_GROW_GRANULE, n) }?,
        };
        Ok(p.as_ptr().cast())
    }

    #[inline(always)]
    fn arena(&self) -> &dyn ArenaAlloc {
        match &self.arena {
            Arena::Plain(a) => a,
            Arena::Locked(a) => a,
        }
    }

    fn stats(&self) -> GrowStats {
        match &self.arena {
            Arena::Plain(a) => a.stats(),
            Arena::Locked(a) => a.stats(),
        }
    }

    fn usable(&self, p: *const u8) -> Result<usize> {
        match &self.arena {
            Arena::Plain(a) => a.usable(p),
            Arena::Locked(a) => a.usable(p),
        }
    }

    fn trim(&self) -> usize {
        match &self.arena {
            Arena::Plain(a) => a.trim(),
            Arena::Locked(a) => a.trim(),
        }
    }

    /// Resets the arena, unless called from one of its own callbacks.
    ///
    /// # Safety
    ///
    /// The C contract of `grwrs`: the caller gives up every block, and no
    /// other call runs on an unlocked arena.
    unsafe fn reset(&self) -> Result<()> {
        self.not_in_callback("reset")?;
        match &self.arena {
            // SAFETY: the caller's promise, and this is not inside one of
            // the arena's callbacks (checked).
            Arena::Plain(a) => unsafe { a.reset_shared() },
            // SAFETY: as above; the lock serialises the core.
            Arena::Locked(a) => unsafe { a.reset_shared() },
        }
        Ok(())
    }

    /// Refuses what a callback of this arena may not do to it.
    fn not_in_callback(&self, what: &str) -> Result<()> {
        if self.id != 0 && CALLBACK.with(Cell::get) == self.id {
            return Err(Error::Busy(format!(
                "{what} from inside the arena's own memory callback"
            )));
        }
        Ok(())
    }
}

/// The locked arena's fast paths, out of line: the lock costs more than
/// the call, and the plain arena's path stays small.
#[inline(never)]
fn locked_alloc(a: &SharedGrowArena, size: usize, align: usize) -> Option<NonNull<u8>> {
    a.alloc_fast(size, align)
}

/// # Safety
///
/// As `grwfe`.
#[inline(never)]
unsafe fn locked_free(a: &SharedGrowArena, p: NonNull<u8>) -> bool {
    // SAFETY: the caller's promise.
    unsafe { a.free_fast(p) }
}

/// Runs `f` with the arena behind handle `h` (plain or locked), as a trait
/// object: the door the container functions use.
#[inline(always)]
pub(crate) fn with_arena<R>(
    h: arn_grow,
    f: impl FnOnce(&dyn ArenaAlloc) -> Result<R>,
) -> Result<R> {
    with_ref(h, |g: &CGrow| f(g.arena()))
}

fn builder(opts: Option<GrowOpts>) -> Result<(GrowArenaBuilder, bool, u64)> {
    let b = GrowArena::builder();
    let Some(o) = opts else {
        return Ok((b, false, 0));
    };
    let b = b
        .chunk_size(if o.chunk_size == 0 {
            super::ARN_GROW_DEFAULT_CHUNK
        } else {
            o.chunk_size
        })
        .retain(o.retain);
    let (b, id) = match (o.alloc, o.free) {
        (None, None) => (b, 0),
        (Some(alloc), Some(free)) => {
            let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
            let src = CSource {
                alloc,
                free,
                ctx: o.ctx,
                id,
            };
            (b.memory(src), id)
        }
        _ => {
            return Err(Error::invalid(
                "options: alloc and free callbacks go together (both or neither)",
            ));
        }
    };
    Ok((b, o.lock != 0, id))
}

/// Makes a growing arena. `options` may be NULL for the defaults: 64 KiB
/// chunks from the system, one kept across reset, no lock.
///
/// With `lock` set, every call on the arena but `grwfr` is safe from any
/// thread (vectors and maps on it still serve one thread at a time). With
/// callbacks, `alloc` and `free` may be called from any thread using the
/// arena, never with the arena's lock held; they may allocate from this
/// arena, but a `grwrs` or `grwfr` of it from inside them fails with
/// `ARN_E_BUSY`.
///
/// Returns the handle, to be freed with `grwfr`; 0 on failure:
/// `ARN_E_INVALID_ARGUMENT` for a chunk size under 256 or only one of the
/// two callbacks.
///
/// # Safety
///
/// `options` is NULL or valid for reading an `arn_grow_opts`; its
/// callbacks, if any, stay callable with `ctx` until the arena is freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn grwmk(options: *const GrowOpts) -> arn_grow {
    guard::value("grwmk", || {
        // SAFETY: the caller's promise.
        let opts = unsafe { args::read_opt(options, "options") }?;
        let (b, lock, id) = builder(opts)?;
        let arena = if lock {
            Arena::Locked(b.build_shared()?)
        } else {
            Arena::Plain(b.build()?)
        };
        handle::insert(CGrow { arena, id })
    })
}

/// The layout of a C request: alignment 0 means 16.
fn layout(size: usize, align: usize) -> Result<Layout> {
    let align = if align == 0 {
        super::ARN_GROW_GRANULE
    } else {
        align
    };
    Layout::from_size_align(size, align).map_err(|_| {
        Error::invalid(format!(
            "alignment {align} is not a power of two, or {size} bytes overflow with it"
        ))
    })
}

/// Allocates `size` bytes aligned to `align` (0 means 16; a power of two up
/// to 4096): a block of `size` rounded up to 16, reusing freed memory of
/// any size first (the same size, just freed, is found fastest). Like
/// `malloc`: every block is aligned to at least 16, a `size` of 0 gives a
/// unique minimal block (free it like any other), and the memory is not
/// zeroed (see `grwaz`). `grwsz` tells how many bytes the block holds.
///
/// The block belongs to the arena: it is valid until `grwfe` frees it,
/// `grwre` moves it, or `grwrs` or `grwfr` takes every block back. Returns
/// it; NULL on failure: `ARN_E_INVALID_ARGUMENT` for a bad alignment or a
/// size above the largest block, `ARN_E_SYSTEM` when the memory source has
/// no chunk, handle errors.
#[unsafe(no_mangle)]
pub extern "C" fn grwal(arena: arn_grow, size: usize, align: usize) -> *mut c_void {
    hot_ref(
        "grwal",
        arena,
        move |g: &CGrow| g.alloc_fast(size, align),
        move |g| Ok(g.arena().alloc(layout(size, align)?)?.as_ptr().cast()),
    )
}

/// `grwal`, zero-filled (`calloc` is `grwaz(a, n * size, 0)` after
/// checking the product for overflow).
///
/// The block belongs to the arena, valid as `grwal`'s. Returns it; NULL on
/// failure, with `grwal`'s errors.
#[unsafe(no_mangle)]
pub extern "C" fn grwaz(arena: arn_grow, size: usize, align: usize) -> *mut c_void {
    let fast = move |g: &CGrow| {
        let p = g.alloc_fast(size, align)?;
        // SAFETY: a fresh block of at least `size` bytes.
        unsafe { p.cast::<u8>().write_bytes(0, size) };
        Some(p)
    };
    let slow = move |g: &CGrow| {
        Ok(g.arena()
            .alloc_zeroed(layout(size, align)?)?
            .as_ptr()
            .cast())
    };
    hot_ref("grwaz", arena, fast, slow)
}

/// Frees one block, for reuse by later allocations of any size; a NULL
/// `ptr` does nothing, like `free`. A freed block of up to 1008 bytes
/// first waits for the next request of its size; other freed space is
/// merged with its free neighbours, and a chunk left entirely free is kept
/// (up to `retain`) or goes back to the memory source.
///
/// Returns 0; `ARN_E_FOREIGN_POINTER` for a pointer that is not the start
/// of a block of this arena; `ARN_E_DOUBLE_FREE` for a block already
/// freed, checked in side tables, never in the arena's memory:
/// - always, as long as its address was not handed out again (also when
///   its chunk is kept as a spare, or was among the last 64 chunks given
///   back to the memory source);
/// - for a large block (a chunk of its own), also after: a new large
///   block never starts at the address of one of the last 64 freed;
/// - a small block's address is reused (the most recently freed first, as
///   `malloc` does), and once a later allocation returned it, a second
///   free of the old block frees the new one.
///
/// After `grwrs` every old pointer is foreign. The arena is unchanged on
/// failure.
///
/// # Safety
///
/// Nothing uses the block afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn grwfe(arena: arn_grow, ptr: *mut c_void) -> c_int {
    status_hot_ref(
        "grwfe",
        arena,
        // SAFETY: the caller's promise; the arena checks the pointer.
        move |g: &CGrow| unsafe { g.free_fast(ptr) },
        move |g| match NonNull::new(ptr.cast::<u8>()) {
            // SAFETY: as above.
            Some(p) => unsafe { g.arena().free(p) },
            None => Ok(()),
        },
    )
}

/// Resizes the block at `ptr` to `new_size` bytes, as `realloc` does
/// (alignment 16): a NULL `ptr` allocates (`grwal(a, new_size, 0)`); a
/// `new_size` of 0 frees `ptr` (nothing when NULL) and returns NULL with no
/// error set. Otherwise the block stays where it is when it can: shrinking
/// gives the tail back at once, growing takes the free space behind the
/// block, and a large block (a chunk of its own) grows or shrinks through
/// the memory source (the system's remaps its pages); else a new block
/// gets a copy and the old one is freed. Every byte up to the smaller of
/// the old usable size (`grwsz`) and the new size is kept, across every
/// move between small and large blocks.
///
/// Returns the block, which belongs to the arena as `grwal`'s do; NULL on
/// failure, the old block untouched and still live:
/// `ARN_E_INVALID_ARGUMENT` for a size above the largest block,
/// `ARN_E_FOREIGN_POINTER` / `ARN_E_DOUBLE_FREE` as for `grwfe`,
/// `ARN_E_SYSTEM`.
///
/// # Safety
///
/// After success only the returned pointer is used.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn grwre(arena: arn_grow, ptr: *mut c_void, new_size: usize) -> *mut c_void {
    hot_ref(
        "grwre",
        arena,
        // A failure changes nothing, so the careful path may run the call
        // again to explain it.
        // SAFETY: the caller's promise.
        move |g: &CGrow| unsafe { g.realloc_fast(ptr, new_size) },
        // SAFETY: as above.
        |g| unsafe { g.realloc(ptr, new_size) },
    )
}

/// The usable size of the live block at `ptr`: at least what was asked
/// for (`size` rounded up to 16 for a small block; a large block holds the
/// rest of its chunk), and every byte of it may be used (`sqlite3`'s
/// `xSize`, `malloc_usable_size`).
///
/// Returns the size; 0 on failure: `ARN_E_FOREIGN_POINTER` for NULL or a
/// pointer that is not the start of a live block of this arena,
/// `ARN_E_DOUBLE_FREE` for a freed one (as `grwfe` tells them apart),
/// handle errors. Never touches the memory at `ptr`.
#[unsafe(no_mangle)]
pub extern "C" fn grwsz(arena: arn_grow, ptr: *const c_void) -> usize {
    guard::value("grwsz", || {
        with_ref(arena, |g: &CGrow| g.usable(ptr.cast()))
    })
}

/// Gives every entirely free chunk back to the memory source now, the
/// spares kept for reuse included; blocks waiting for reuse by their size
/// are merged first. (Without it, chunks go back as they become entirely
/// free, beyond `retain`.)
///
/// Returns 0; handle errors.
#[unsafe(no_mangle)]
pub extern "C" fn grwtm(arena: arn_grow) -> c_int {
    guard::status("grwtm", || {
        with_ref(arena, |g: &CGrow| {
            g.trim();
            Ok(())
        })
    })
}

/// Copies `len` bytes from `src` into a new block (`Bytes` of the Go
/// arena).
///
/// Returns the copy, a block of the arena as `grwal`'s; NULL on failure:
/// `ARN_E_INVALID_ARGUMENT` for a zero `len` or a NULL `src`,
/// `ARN_E_SYSTEM`, handle errors.
///
/// # Safety
///
/// `src` is valid for reading `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn grwcp(arena: arn_grow, src: *const c_void, len: usize) -> *mut c_void {
    guard::value("grwcp", || {
        let src = args::bytes(src, len, "src")?;
        if len == 0 {
            return Err(Error::invalid("len 0: nothing to copy"));
        }
        with_arena(arena, |a| {
            // SAFETY: the caller's promise on `src`.
            copy_in(a, unsafe { std::slice::from_raw_parts(src, len) }).map(|p| p.cast())
        })
    })
}

/// Copies the C string `s`, with its terminating NUL, into the arena
/// (`String` of the Go arena).
///
/// Returns the copy, a block of the arena as `grwal`'s; NULL on failure:
/// `ARN_E_INVALID_ARGUMENT` for a NULL `s`, `ARN_E_SYSTEM`, handle errors.
///
/// # Safety
///
/// `s` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn grwsd(arena: arn_grow, s: *const c_char) -> *mut c_char {
    guard::value("grwsd", || {
        // SAFETY: the caller's promise.
        let (p, len) = unsafe { args::cstr(s, "s") }?;
        with_arena(arena, |a| {
            // SAFETY: `cstr` measured `len` bytes, the NUL included.
            copy_in(a, unsafe { std::slice::from_raw_parts(p, len) }).map(|p| p.cast())
        })
    })
}

/// Copies non-empty `bytes` into a new block of `a`.
fn copy_in(a: &dyn ArenaAlloc, bytes: &[u8]) -> Result<*mut u8> {
    let p = a.alloc(layout(bytes.len(), 1)?)?;
    // SAFETY: a fresh block of `bytes.len()` bytes, not overlapping
    // `bytes` (a live block or outside memory).
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), p.as_ptr(), bytes.len()) };
    Ok(p.as_ptr())
}

/// Whether `ptr` points into the arena's memory (any of its chunks),
/// found by binary search over the chunks.
///
/// Returns 1 if it does, 0 if not (NULL included), -1 with the last error
/// set for a bad handle.
#[unsafe(no_mangle)]
pub extern "C" fn grwow(arena: arn_grow, ptr: *const c_void) -> c_int {
    guard::flag("grwow", || {
        with_arena(arena, |a| Ok(a.is_managed(ptr.cast())))
    })
}

/// Frees every block at once, keeping up to `retain` chunks for reuse (the
/// others go back to the memory source);
/// every pointer into the arena, and every vector and map on it, is dead
/// afterwards (their handles then fail with `ARN_E_STALE_HANDLE`).
///
/// Returns 0; `ARN_E_BUSY` from inside the arena's own memory callback,
/// handle errors.
#[unsafe(no_mangle)]
pub extern "C" fn grwrs(arena: arn_grow) -> c_int {
    guard::status("grwrs", || {
        // SAFETY: the C contract of this function.
        with_ref(arena, |g: &CGrow| unsafe { g.reset() })
    })
}

/// Writes a snapshot of the arena's counters to `*out`: bytes held from
/// the memory source (`bytes_held`) against bytes in live blocks
/// (`bytes_live`), and the rest. Constant time: the counters are kept as
/// blocks move.
///
/// Returns 0; `ARN_E_INVALID_ARGUMENT` for a NULL `out`, handle errors.
///
/// # Safety
///
/// `out` is NULL or valid for writing an `arn_grow_stats`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn grwst(arena: arn_grow, out: *mut GrowStats) -> c_int {
    guard::status("grwst", || {
        let s = with_ref(arena, |g: &CGrow| Ok(g.stats()))?;
        // SAFETY: the caller's promise.
        unsafe { args::write(out, "out", s) }
    })
}

/// Frees the arena and all its memory (chunks go back to the memory
/// source). Must not race with another call on the arena.
///
/// Returns 0; `ARN_E_DOUBLE_FREE` for an arena already freed, `ARN_E_BUSY`
/// from inside its own memory callback, other handle errors.
#[unsafe(no_mangle)]
pub extern "C" fn grwfr(arena: arn_grow) -> c_int {
    guard::status("grwfr", || {
        free_unless_busy(arena, |g: &CGrow| g.not_in_callback("free")).map(drop)
    })
}

// Deprecated spellings, kept for one release (CHANGELOG.md lists them).

/// Deprecated spelling of `grwow` (the arn family's "owns this pointer?"
/// is `arnow`), kept for one release. Behaves exactly as `grwow`, whose
/// name its errors carry.
#[deprecated(note = "renamed grwow")]
#[unsafe(no_mangle)]
pub extern "C" fn grwim(arena: arn_grow, ptr: *const c_void) -> c_int {
    grwow(arena, ptr)
}
