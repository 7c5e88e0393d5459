//! The object pool (C: `polmk`, `polgt`, `polrt`, `polst`, `polsh`, as in
//! the original arn API; `polmx`, `polfr`).
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

pub use object::{ObjectPool, ObjectPoolBuilder};
pub use typed::{Pool, PoolGuard};

/// The size of the blocks a pool without a constructor hands out when no
/// size is set (`object_size` 0 in `arn_pool_opts`, and every `polmk` pool).
pub const ARN_POOL_DEFAULT_SIZE: usize = 64;

/// The alignment of the blocks a pool without a constructor hands out.
pub const ARN_POOL_BLOCK_ALIGN: usize = 16;

/// Makes one object for an [`ObjectPool`] and returns it, or NULL when it
/// cannot; called with the pool's context.
pub type Ctor = unsafe extern "C" fn(ctx: *mut c_void) -> *mut c_void;

/// Makes an object that came back to its [`ObjectPool`] ready for its next
/// user; called with the object and the pool's context.
pub type Reset = unsafe extern "C" fn(obj: *mut c_void, ctx: *mut c_void);

/// Destroys an object an [`ObjectPool`] drops (on a shrink, or every object
/// it owns when it is dropped); called with the object and the pool's
/// context.
pub type Destructor = unsafe extern "C" fn(obj: *mut c_void, ctx: *mut c_void);

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

#[cfg(test)]
mod tests;
