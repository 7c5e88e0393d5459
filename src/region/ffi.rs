//! C functions of the region.

use std::ffi::{c_int, c_void};

use super::{Region, RegionStats};
use crate::ffi::handle::{self, Kind, Object};
use crate::ffi::{args, free, guard, hot, with};

/// Handle of a region; 0 is never valid.
#[allow(non_camel_case_types)]
pub type arn_region = u64;

// SAFETY: no `ALSO` kind.
unsafe impl Object for Region {
    const KIND: Kind = Kind::Region;
}

/// Creates an empty region. It makes 64 KiB arenas on demand.
///
/// Returns its handle, to be freed with `rgndl`; 0 on failure (the handle
/// table is full).
#[unsafe(no_mangle)]
pub extern "C" fn regin() -> arn_region {
    guard::value("regin", || handle::insert(Region::new()))
}

/// Allocates `size` bytes from region `r`, 8-byte aligned and zero-filled;
/// the size is rounded up to a multiple of 8. When the current 64 KiB arena
/// has no room a new one is made; a request larger than 64 KiB gets an
/// arena of its own.
///
/// The memory belongs to the region and is valid until `rgnfr` or `rgndl`.
/// Returns NULL on failure: `ARN_E_INVALID_ARGUMENT` for 0 or an
/// overflowing size, `ARN_E_SYSTEM` when the heap refuses, or a handle
/// error.
#[unsafe(no_mangle)]
pub extern "C" fn regnl(r: arn_region, size: usize) -> *mut c_void {
    hot(
        "regnl",
        r,
        move |x: &mut Region| x.try_alloc_ptr(size).map(|p| p.as_ptr().cast()),
        move |x: &mut Region| x.alloc_ptr(size).map(|p| p.as_ptr().cast()),
    )
}

/// Frees every arena of region `r` and resets its counters; every pointer
/// it handed out becomes invalid, and `r` stays usable.
///
/// Returns 0, or a handle error.
#[unsafe(no_mangle)]
pub extern "C" fn rgnfr(r: arn_region) -> c_int {
    guard::status("rgnfr", || {
        with(r, |x: &mut Region| {
            x.free_all();
            Ok(())
        })
    })
}

/// Writes the counters of region `r` to `*out`.
///
/// Returns 0, `ARN_E_INVALID_ARGUMENT` when `out` is NULL, or a handle
/// error; `*out` is untouched on failure.
///
/// # Safety
///
/// `out` is NULL or valid for writing an `arn_region_stats`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn rgnst(r: arn_region, out: *mut RegionStats) -> c_int {
    guard::status("rgnst", || {
        let stats = with(r, |x: &mut Region| Ok(x.stats()))?;
        // SAFETY: the caller's promise on `out`.
        unsafe { args::write(out, "out", stats) }
    })
}

/// Frees region `r` with all its arenas; `r` becomes stale.
///
/// Returns 0; `ARN_E_DOUBLE_FREE` when `r` was already freed, or another
/// handle error.
#[unsafe(no_mangle)]
pub extern "C" fn rgndl(r: arn_region) -> c_int {
    guard::status("rgndl", || free::<Region>(r))
}
