//! C functions of the fixed-slot byte arena. Every call is safe from any
//! thread; `fxdfr` must not race with another call on the same handle.

use std::ffi::c_int;
use std::time::Duration;

use super::{FixedArena, FixedStats};
use crate::buffer::ffi::{ByteArenaOpts, CBuffer, arn_buffer};
use crate::ffi::handle::{self, Kind, Object};
use crate::ffi::{args, free, guard, hot_new, with_ref};

/// Handle of a fixed-slot byte arena; 0 is never valid.
#[allow(non_camel_case_types)]
pub type arn_fixed = u64;

// SAFETY: no `ALSO` kind.
unsafe impl Object for FixedArena {
    const KIND: Kind = Kind::Fixed;
}

/// Makes a fixed-slot byte arena of `slot_count` slots of `slot_size` bytes
/// (rounded up to the alignment; the rounded size is every buffer's
/// capacity), from which any thread allocates buffers (`fxdal`) without a
/// lock.
/// `options` may be NULL for the defaults (8-byte alignment, memory not
/// zeroed on reuse, no auto-spill, pages faulted on first use).
///
/// Returns the arena's handle, to be freed with `fxdfr`; 0 on failure:
/// `ARN_E_INVALID_ARGUMENT` for a zero count or size, an alignment that is
/// not a power of two or above 4096, or sizes whose product overflows;
/// `ARN_E_SYSTEM` when the system refuses the memory.
///
/// # Safety
///
/// `options` is NULL or valid for reading an `arn_byte_opts`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fxdmk(
    slot_count: usize,
    slot_size: usize,
    options: *const ByteArenaOpts,
) -> arn_fixed {
    guard::value("fxdmk", || {
        // SAFETY: the caller's promise.
        let opts = unsafe { ByteArenaOpts::read(options) }?;
        let b = FixedArena::builder(slot_count, slot_size).options(opts);
        handle::insert(b.build()?)
    })
}

/// Allocates a buffer over a free slot, from any thread, without a lock.
/// The buffer's capacity is the slot size; write it with `bufwr`, then
/// freeze it (`bufrz`) or drop it (`bufdr`).
///
/// Returns the buffer's handle, the caller's until `bufrz` or `bufdr`
/// consumes it; 0 on failure: `ARN_E_CAPACITY` when every slot is out,
/// handle errors for a bad `arena`.
#[unsafe(no_mangle)]
pub extern "C" fn fxdal(arena: arn_fixed) -> arn_buffer {
    hot_new(
        "fxdal",
        arena,
        |a: &FixedArena| a.try_allocate().map(CBuffer::new),
        |a: &FixedArena| a.allocate().map(CBuffer::new),
    )
}

/// Like `fxdal`, but when every slot is out, waits up to `timeout_ms`
/// milliseconds for one to come back (the C face of `allocate_async`).
///
/// Returns the buffer's handle, the caller's until `bufrz` or `bufdr`
/// consumes it; 0 on failure: `ARN_E_TIMEOUT` when no slot came back in
/// time, handle errors for a bad `arena`.
#[unsafe(no_mangle)]
pub extern "C" fn fxdwt(arena: arn_fixed, timeout_ms: u64) -> arn_buffer {
    guard::value("fxdwt", || {
        let buf = with_ref(arena, |a: &FixedArena| {
            a.allocate_timeout(Duration::from_millis(timeout_ms))
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
/// `out` is NULL or valid for writing an `arn_fixed_stats`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fxdst(arena: arn_fixed, out: *mut FixedStats) -> c_int {
    guard::status("fxdst", || {
        let m = with_ref(arena, |a: &FixedArena| Ok(a.stats()))?;
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
pub extern "C" fn fxdfr(arena: arn_fixed) -> c_int {
    guard::status("fxdfr", || free::<FixedArena>(arena))
}

// Deprecated spellings, kept for one release (CHANGELOG.md lists them).

/// Deprecated spelling of `fxdst` (every other family says stats), kept
/// for one release. Behaves exactly as `fxdst`, whose name its errors carry.
///
/// # Safety
///
/// As `fxdst`.
#[deprecated(note = "renamed fxdst")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn fxdmt(arena: arn_fixed, out: *mut FixedStats) -> c_int {
    // SAFETY: the caller's promise, which is `fxdst`'s.
    unsafe { fxdst(arena, out) }
}
