//! C functions of the bump allocator.

use std::ffi::{c_int, c_void};

use super::{Bump, BumpStats};
use crate::ffi::handle::{self, Kind, Object};
use crate::ffi::{args, free, guard, hot, with};

/// Handle of a bump allocator; 0 is never valid.
#[allow(non_camel_case_types)]
pub type arn_bump = u64;

// SAFETY: no `ALSO` kind.
unsafe impl Object for Bump {
    const KIND: Kind = Kind::Bump;
}

/// Creates a bump allocator of `size` bytes, zero-filled. The usable
/// capacity is `size` rounded down to a multiple of 8.
///
/// Returns its handle, to be freed with `bmpfr`; 0 on failure
/// (`ARN_E_INVALID_ARGUMENT` for a size of 0 or too large, `ARN_E_SYSTEM`
/// when the heap refuses).
#[unsafe(no_mangle)]
pub extern "C" fn bmpmk(size: usize) -> arn_bump {
    guard::value("bmpmk", || handle::insert(Bump::new(size)?))
}

/// Allocates `size` bytes from bump allocator `b`, 8-byte aligned and
/// zero-filled; the size is rounded up to a multiple of 8.
///
/// The memory belongs to the allocator and is valid until `bmprs` or
/// `bmpfr`. Returns NULL on failure: `ARN_E_CAPACITY` when exhausted,
/// `ARN_E_INVALID_ARGUMENT` for 0 or an overflowing size, or a handle error.
#[unsafe(no_mangle)]
pub extern "C" fn bumpl(b: arn_bump, size: usize) -> *mut c_void {
    hot(
        "bumpl",
        b,
        move |x: &mut Bump| x.try_alloc_ptr(size).map(|p| p.as_ptr().cast()),
        move |x: &mut Bump| x.alloc_ptr(size).map(|p| p.as_ptr().cast()),
    )
}

/// Resets bump allocator `b`: the head returns to the top and the bytes
/// handed out since the last reset are zeroed.
///
/// Returns 0, or an `ARN_E_*` handle error.
#[unsafe(no_mangle)]
pub extern "C" fn bmprs(b: arn_bump) -> c_int {
    guard::status("bmprs", || {
        with(b, |x: &mut Bump| {
            x.reset();
            Ok(())
        })
    })
}

/// Frees bump allocator `b` and its memory; `b` becomes stale.
///
/// Returns 0; `ARN_E_DOUBLE_FREE` when `b` was already freed, or another
/// handle error.
#[unsafe(no_mangle)]
pub extern "C" fn bmpfr(b: arn_bump) -> c_int {
    guard::status("bmpfr", || free::<Bump>(b))
}

/// Writes the counters of bump allocator `b` to `*out` (an addition to the
/// original arn API, which has no bump stats).
///
/// Returns 0, `ARN_E_INVALID_ARGUMENT` when `out` is NULL, or a handle
/// error; `*out` is untouched on failure.
///
/// # Safety
///
/// `out` is NULL or valid for writing an `arn_bump_stats`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bmpst(b: arn_bump, out: *mut BumpStats) -> c_int {
    guard::status("bmpst", || {
        let stats = with(b, |x: &mut Bump| Ok(x.stats()))?;
        // SAFETY: the caller's promise on `out`.
        unsafe { args::write(out, "out", stats) }
    })
}
