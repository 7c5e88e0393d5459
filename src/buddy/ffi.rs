//! C functions of the buddy byte arena. Every call is safe from any
//! thread; `bdyfr` must not race with another call on the same handle.

use std::ffi::c_int;
use std::time::Duration;

use super::{BuddyArena, BuddyStats};
use crate::buffer::ffi::{ByteArenaOpts, CBuffer, arn_buffer};
use crate::ffi::handle::{self, Kind, Object};
use crate::ffi::{args, free, guard, hot_new, with_ref};

/// Handle of a buddy byte arena; 0 is never valid.
#[allow(non_camel_case_types)]
pub type arn_buddy = u64;

// SAFETY: no `ALSO` kind.
unsafe impl Object for BuddyArena {
    const KIND: Kind = Kind::Buddy;
}

/// Makes a buddy byte arena over a region of `total_size` bytes, from which
/// any thread allocates buffers of power-of-two blocks of at least
/// `min_block` bytes (`bdyal`). `total_size` need not be a power of two.
/// `options` may be NULL for the defaults (alignment 8, or `min_block` when
/// that is smaller; memory not zeroed on reuse; no auto-spill; pages faulted
/// on first use).
///
/// Returns the arena's handle, to be freed with `bdyfr`; 0 on failure:
/// `ARN_E_INVALID_ARGUMENT` for a zero size or minimum block, a minimum
/// block that is not a power of two, a total size that is not a multiple of
/// it, or an alignment that is not a power of two, above 4096 or above the
/// minimum block; `ARN_E_SYSTEM` when the system refuses the memory.
///
/// # Safety
///
/// `options` is NULL or valid for reading an `arn_byte_opts`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bdymk(
    total_size: usize,
    min_block: usize,
    options: *const ByteArenaOpts,
) -> arn_buddy {
    guard::value("bdymk", || {
        // SAFETY: the caller's promise.
        let opts = unsafe { ByteArenaOpts::read(options) }?;
        let b = BuddyArena::builder(total_size, min_block).options(opts);
        handle::insert(b.build()?)
    })
}

/// Allocates a buffer over the smallest free block that holds `size` bytes,
/// from any thread. The buffer's capacity is the block size (`size` rounded
/// up to a power of two, at least the minimum block); write it with
/// `bufwr`, then freeze it (`bufrz`) or drop it (`bufdr`).
///
/// Returns the buffer's handle, the caller's until `bufrz` or `bufdr`
/// consumes it; 0 on failure: `ARN_E_INVALID_ARGUMENT` for a `size` of 0 or
/// above the largest block the arena can have, `ARN_E_CAPACITY` when no
/// free block is big enough now, handle errors for a bad `arena`.
#[unsafe(no_mangle)]
pub extern "C" fn bdyal(arena: arn_buddy, size: usize) -> arn_buffer {
    hot_new(
        "bdyal",
        arena,
        move |a: &BuddyArena| a.try_allocate(size).map(CBuffer::new),
        move |a: &BuddyArena| a.allocate(size).map(CBuffer::new),
    )
}

/// Like `bdyal`, but when no free block is big enough, waits up to
/// `timeout_ms` milliseconds for one to come back (the C face of
/// `allocate_async`).
///
/// Returns the buffer's handle, the caller's until `bufrz` or `bufdr`
/// consumes it; 0 on failure: `ARN_E_TIMEOUT` when no block came back in
/// time, `ARN_E_INVALID_ARGUMENT` at once for a `size` the arena can never
/// serve, handle errors for a bad `arena`.
#[unsafe(no_mangle)]
pub extern "C" fn bdywt(arena: arn_buddy, size: usize, timeout_ms: u64) -> arn_buffer {
    guard::value("bdywt", || {
        let buf = with_ref(arena, |a: &BuddyArena| {
            a.allocate_timeout(size, Duration::from_millis(timeout_ms))
        })?;
        handle::insert(CBuffer::new(buf))
    })
}

/// Writes a snapshot of the arena's counters to `*out`.
///
/// Returns 0; `ARN_E_INVALID_ARGUMENT` for a NULL `out`, handle errors.
///
/// # Safety
///
/// `out` is NULL or valid for writing an `arn_buddy_stats`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bdyst(arena: arn_buddy, out: *mut BuddyStats) -> c_int {
    guard::status("bdyst", || {
        let m = with_ref(arena, |a: &BuddyArena| Ok(a.stats()))?;
        // SAFETY: the caller's promise.
        unsafe { args::write(out, "out", m) }
    })
}

/// Frees the arena handle. Buffers and bytes from it stay valid; its
/// memory is unmapped when the last of them is dropped.
///
/// Returns 0; `ARN_E_DOUBLE_FREE` for an arena already freed, other handle
/// errors for a bad `arena`.
#[unsafe(no_mangle)]
pub extern "C" fn bdyfr(arena: arn_buddy) -> c_int {
    guard::status("bdyfr", || free::<BuddyArena>(arena))
}

// Deprecated spellings, kept for one release (CHANGELOG.md lists them).

/// Deprecated spelling of `bdyst` (every other family says stats), kept
/// for one release. Behaves exactly as `bdyst`, whose name its errors carry.
///
/// # Safety
///
/// As `bdyst`.
#[deprecated(note = "renamed bdyst")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bdymt(arena: arn_buddy, out: *mut BuddyStats) -> c_int {
    // SAFETY: the caller's promise, which is `bdyst`'s.
    unsafe { bdyst(arena, out) }
}
