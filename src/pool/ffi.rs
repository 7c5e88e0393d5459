//! C functions of the object pool.
//!
//! A pool calls back into C (constructor, reset, destructor), and a
//! callback may call back into the same pool, so every call here reaches the
//! pool through a shared reference (`with_ref`) and the pool keeps its
//! state in cells.

use std::ffi::{c_int, c_void};

use super::{ObjectPool, ObjectPoolBuilder, PoolStats};
use crate::ffi::handle::{self, Kind, Object};
use crate::ffi::{args, free_unless_busy, guard, hot_ref, status_hot_ref, with_ref};

/// Handle of an object pool; 0 is never valid.
#[allow(non_camel_case_types)]
pub type arn_pool = u64;

// SAFETY: no `ALSO` kind.
unsafe impl Object for ObjectPool {
    const KIND: Kind = Kind::Pool;
}

/// Creates an object pool whose objects `ctor` makes and `reset` readies
/// for reuse; both are called with a NULL context. `initial_capacity`
/// objects are made up front, and `polsh` keeps that many available.
///
/// A NULL `ctor` makes the pool hand out zero-filled blocks of
/// `ARN_POOL_DEFAULT_SIZE` (64) bytes, 16-byte aligned, that it owns; with
/// no `reset` either, a block is zeroed again when it comes back. `reset`
/// may be NULL.
///
/// A `polmk` pool has no destructor: the objects `ctor` made that `polsh`
/// or `polfr` drop are forgotten, not destroyed. Use `polmx` with a
/// destructor for objects that own memory or other resources, and for a
/// context or another block size.
///
/// Returns the pool's handle, to be freed with `polfr`; 0 on failure:
/// `ARN_E_INVALID_ARGUMENT` when `initial_capacity` is too large or `ctor`
/// returns NULL while making the first objects, `ARN_E_SYSTEM` when the heap
/// refuses. The blocks made before a failure are freed (objects from `ctor`
/// are forgotten, as above).
///
/// # Safety
///
/// `ctor` and `reset`, when not NULL, are safe to call with a NULL context
/// (and `reset` with an object from `ctor`) for as long as the pool lives.
/// They may call back into arn, this pool included, except `polfr` on it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn polmk(
    ctor: arn_ctor,
    reset: arn_reset,
    initial_capacity: usize,
) -> arn_pool {
    guard::value("polmk", || {
        let opts = PoolOpts {
            ctor,
            reset,
            initial_capacity,
            ..PoolOpts::default()
        };
        // SAFETY: the caller's promise on the callbacks.
        handle::insert(unsafe { opts.builder() }.build()?)
    })
}

/// Creates an object pool from `*opts` (see `arn_pool_opts`): constructor,
/// reset, destructor, the context passed to each, the block size of a pool
/// without a constructor (0: `ARN_POOL_DEFAULT_SIZE`), and the initial
/// capacity, made up front and kept by `polsh`.
///
/// Returns the pool's handle, to be freed with `polfr`; 0 on failure:
/// `ARN_E_INVALID_ARGUMENT` when `opts` is NULL, the object size or
/// capacity is too large, or the constructor returns NULL while making the
/// first objects; `ARN_E_SYSTEM` when the heap refuses. The objects made
/// before a failure are destroyed (destructor, then blocks freed).
///
/// # Safety
///
/// `opts` is NULL or points at an `arn_pool_opts`. Its callbacks, when not
/// NULL, are safe to call with `opts->ctx` (and `reset` and `destructor`
/// with an object of the pool) for as long as the pool lives. They may call
/// back into arn, this pool included, except `polfr` on it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn polmx(opts: *const PoolOpts) -> arn_pool {
    guard::value("polmx", || {
        // SAFETY: the caller's promise on `opts`.
        let opts = unsafe { args::read(opts, "opts") }?;
        // SAFETY: the caller's promise on the callbacks.
        handle::insert(unsafe { opts.builder() }.build()?)
    })
}

/// Gets an object from pool `p`: the most recently returned one, after the
/// reset callback ran on it (an object made up front is handed out as
/// made), or else a new one from the constructor (a new zeroed block for a
/// pool without one).
///
/// The object stays the pool's: give it back with `polrt`; `polfr`
/// destroys it. Returns NULL on failure, the pool unchanged:
/// `ARN_E_INVALID_ARGUMENT` when the constructor returns NULL or an object
/// the pool already owns, `ARN_E_SYSTEM` when the heap refuses a block, or
/// a handle error.
#[unsafe(no_mangle)]
pub extern "C" fn polgt(p: arn_pool) -> *mut c_void {
    hot_ref(
        "polgt",
        p,
        |x: &ObjectPool| x.try_get().map(|o| o.as_ptr()),
        |x: &ObjectPool| x.get().map(|o| o.as_ptr()),
    )
}

/// Returns `obj`, which `polgt` on pool `p` handed out, to the pool's
/// available objects. A block of a pool without a constructor or reset is
/// zeroed. `obj` is only looked up, never read.
///
/// Returns 0; on failure, the pool unchanged: `ARN_E_INVALID_ARGUMENT` for
/// NULL, `ARN_E_FOREIGN_POINTER` for a pointer this pool does not own (one
/// into the middle of its objects, or from another pool, included),
/// `ARN_E_DOUBLE_FREE` for an object already returned, `ARN_E_BUSY` for the
/// object the reset callback is working on, or a handle error.
#[unsafe(no_mangle)]
pub extern "C" fn polrt(p: arn_pool, obj: *mut c_void) -> c_int {
    status_hot_ref(
        "polrt",
        p,
        |x: &ObjectPool| x.try_put(obj),
        |x: &ObjectPool| x.put(obj),
    )
}

/// Writes the counters of pool `p` to `*out`: available objects, objects
/// in use, objects made over the pool's life (`total_allocated`), and the
/// initial capacity (`capacity`).
///
/// Returns 0, `ARN_E_INVALID_ARGUMENT` when `out` is NULL, or a handle
/// error; `*out` is untouched on failure.
///
/// # Safety
///
/// `out` is NULL or valid for writing an `arn_pool_stats`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn polst(p: arn_pool, out: *mut PoolStats) -> c_int {
    guard::status("polst", || {
        let stats = with_ref(p, |x: &ObjectPool| Ok(x.stats()))?;
        // SAFETY: the caller's promise on `out`.
        unsafe { args::write(out, "out", stats) }
    })
}

/// Shrinks pool `p`: drops the available objects beyond its initial
/// capacity, running the destructor, if any, on each (and freeing the
/// pool's own blocks). Objects in use are not touched.
///
/// Returns 0, or a handle error.
#[unsafe(no_mangle)]
pub extern "C" fn polsh(p: arn_pool) -> c_int {
    guard::status("polsh", || {
        with_ref(p, |x: &ObjectPool| {
            x.shrink();
            Ok(())
        })
    })
}

/// Frees pool `p` and every object it owns, available or in use: the
/// destructor, if any, runs on each, and the pool's own blocks are freed.
/// `p` becomes stale, and pointers to its objects dangle.
///
/// Returns 0; `ARN_E_BUSY` when called from one of the pool's own
/// callbacks (the pool is left as it was), `ARN_E_DOUBLE_FREE` when `p` was
/// already freed, or another handle error.
#[unsafe(no_mangle)]
pub extern "C" fn polfr(p: arn_pool) -> c_int {
    guard::status("polfr", || {
        // A callback of the pool may call this on it while the pool is
        // still working on its behalf: refuse.
        free_unless_busy(p, |x: &ObjectPool| match x.in_callback() {
            true => Err(ObjectPool::busy()),
            false => Ok(()),
        })
        .map(drop)
    })
}

/// Makes one object for a pool and returns it, or NULL when it cannot.
/// `ctx` is the pool's context (NULL for `polmk` pools).
#[allow(non_camel_case_types)]
pub type arn_ctor = Option<unsafe extern "C" fn(ctx: *mut c_void) -> *mut c_void>;

/// Makes an object that came back to its pool ready for its next user.
#[allow(non_camel_case_types)]
pub type arn_reset = Option<unsafe extern "C" fn(obj: *mut c_void, ctx: *mut c_void)>;

/// Destroys an object a pool drops (`polsh`) or owns when it is freed
/// (`polfr`).
#[allow(non_camel_case_types)]
pub type arn_destructor = Option<unsafe extern "C" fn(obj: *mut c_void, ctx: *mut c_void)>;

/// How to make an object pool (`polmx`). Every callback may be NULL. `ctx`
/// is passed to each callback as is.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct PoolOpts {
    /// Makes an object. NULL: the pool hands out zero-filled blocks of
    /// `object_size` bytes, 16-byte aligned, that it owns and frees itself.
    pub ctor: arn_ctor,
    /// Runs on an object handed out again after it came back, before
    /// `polgt` returns it. NULL: no reset; a pool without a constructor then
    /// zeroes a block when it comes back, so every block it hands out is
    /// zero-filled.
    pub reset: arn_reset,
    /// Runs on each object the pool drops: the available objects past the
    /// capacity on `polsh`, and every object, in use or not, on `polfr`.
    /// A pool without a constructor frees its blocks after it.
    pub destructor: arn_destructor,
    /// Passed to every callback.
    pub ctx: *mut c_void,
    /// Size of the blocks of a pool without a constructor; 0 means
    /// `ARN_POOL_DEFAULT_SIZE` (64). Ignored when `ctor` is set.
    pub object_size: usize,
    /// How many objects the pool makes up front, and keeps on `polsh`.
    pub initial_capacity: usize,
}

impl Default for PoolOpts {
    fn default() -> PoolOpts {
        PoolOpts {
            ctor: None,
            reset: None,
            destructor: None,
            ctx: std::ptr::null_mut(),
            object_size: 0,
            initial_capacity: 0,
        }
    }
}

impl PoolOpts {
    /// The builder these options describe.
    ///
    /// # Safety
    ///
    /// The callbacks are safe to call with `ctx` as
    /// [`ObjectPoolBuilder::callbacks`] asks.
    pub(crate) unsafe fn builder(&self) -> ObjectPoolBuilder {
        let b = ObjectPool::builder()
            .object_size(self.object_size)
            .initial_capacity(self.initial_capacity);
        // SAFETY: the caller's promise.
        unsafe { b.callbacks(self.ctor, self.reset, self.destructor, self.ctx) }
    }
}
