//! The object pool (seed `polmk`, `polgt`, `polrt`, `polst`, `polsh`).
//!
//! Two pools live here:
//!
//! - [`ObjectPool`] keeps objects made by C-style callbacks (a constructor,
//!   a reset run on reuse and a destructor, all with a user context) and
//!   knows them by address. With no constructor it makes zero-filled blocks
//!   of its own. The C functions `polmk`, `polmx`, `polgt`, `polrt`,
//!   `polst`, `polsh` and `polfr` wrap it.
//! - [`Pool<T>`] is the same idea for Rust values: a constructor closure, an
//!   optional reset closure, and a [`PoolGuard`] that puts its object back
//!   when dropped.
//!
//! Both make `capacity` objects up front, hand out the most recently
//! returned object first, run the reset only on an object that comes back
//! (never on a fresh one), and keep the same counters ([`PoolStats`]):
//! `capacity` is the number asked for at creation, which is also what a
//! shrink trims the available objects down to, and `total_allocated` counts
//! every object the pool has made over its life.

pub(crate) mod ffi;
mod object;
mod typed;

use std::ffi::c_void;

pub use object::ObjectPool;
pub use typed::{Pool, PoolGuard};

/// The size of the blocks a pool without a constructor hands out when no
/// size is set (`object_size` 0 in `arn_pool_opts`, and every `polmk` pool).
pub const ARN_POOL_DEFAULT_SIZE: usize = 64;

/// The alignment of the blocks a pool without a constructor hands out.
pub const ARN_POOL_BLOCK_ALIGN: usize = 16;

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

/// Counters of an object pool (C: `arn_pool_stats`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Objects in the pool, ready to be handed out.
    pub available: usize,
    /// Objects handed out and not returned.
    pub in_use: usize,
    /// Objects the pool has made over its life: constructor calls, or blocks
    /// made by a pool without a constructor. Objects dropped by a shrink
    /// stay counted.
    pub total_allocated: usize,
    /// The initial capacity asked for at creation: how many objects the pool
    /// made up front, and how many available objects a shrink keeps.
    pub capacity: usize,
}

/// How to make an object pool (C: `arn_pool_opts`, for `polmx`).
///
/// Every callback may be NULL. `ctx` is passed to each callback as is.
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

#[cfg(test)]
mod tests;
