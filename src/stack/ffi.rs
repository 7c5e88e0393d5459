//! C functions of the stack allocator.

use std::ffi::{c_int, c_void};

use super::Stack;
use crate::error::Error;
use crate::ffi::handle::{self, Kind, Object};
use crate::ffi::{args, free, guard, hot, with};

/// Handle of a stack allocator; 0 is never valid.
#[allow(non_camel_case_types)]
pub type arn_stack = u64;

// SAFETY: no `ALSO` kind.
unsafe impl Object for Stack {
    const KIND: Kind = Kind::Stack;
}

/// Creates a stack allocator of `size` bytes, zero-filled.
///
/// Each push occupies its size rounded up to 8, so pushed bytes are 8-byte
/// aligned and the top is always a multiple of 8; bytes above the top are
/// always zero. Returns its handle, to be freed with `stckf`; 0 on failure
/// (`ARN_E_INVALID_ARGUMENT` for a size below 8 or too large,
/// `ARN_E_SYSTEM` when the heap refuses).
#[unsafe(no_mangle)]
pub extern "C" fn stckm(size: usize) -> arn_stack {
    guard::value("stckm", || handle::insert(Stack::new(size)?))
}

/// Takes a marker at the top of stack `s` and writes it to `*marker_out`:
/// the top as an offset in bytes, which `stckr` restores to.
///
/// The marker stays live until the top goes below it (a pop or a restore
/// to a lower marker); restoring to it keeps it live. Taking a marker twice
/// at the same top gives the same value. Returns 0,
/// `ARN_E_INVALID_ARGUMENT` when `marker_out` is NULL (no marker is taken
/// then), or a handle error.
///
/// # Safety
///
/// `marker_out` is NULL or valid for writing a `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn stckt(s: arn_stack, marker_out: *mut usize) -> c_int {
    guard::status("stckt", || {
        // Checked before the marker is taken, so a failed call takes none.
        // SAFETY: the caller's promise on `marker_out`.
        let out = unsafe { args::out_opt(marker_out, "marker_out") }?
            .ok_or_else(|| Error::invalid("marker_out is NULL"))?;
        *out = with(s, |x: &mut Stack| Ok(x.mark()))?;
        Ok(())
    })
}

/// Pushes `data_size` bytes onto stack `s`: a copy of `data`, or zeroes
/// when `data` is NULL. `data` may point into the stack itself.
///
/// Returns the pushed bytes, 8-byte aligned and owned by the stack, valid
/// until they are popped (`stckp`, `stckr`) or `stckf`. Returns NULL on
/// failure, with the stack unchanged: `ARN_E_CAPACITY` when the bytes do
/// not fit, `ARN_E_INVALID_ARGUMENT` for a `data_size` of 0 or one that
/// overflows, or a handle error.
///
/// # Safety
///
/// `data` is NULL or valid for reading `data_size` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn stckl(s: arn_stack, data: *const c_void, data_size: usize) -> *mut c_void {
    let src = data.cast::<u8>();
    hot(
        "stckl",
        s,
        // SAFETY: the caller's promise on `data`.
        move |x: &mut Stack| unsafe { x.try_push_ptr(src, data_size) }.map(|p| p.as_ptr().cast()),
        // SAFETY: as above.
        move |x: &mut Stack| unsafe { x.push_ptr(src, data_size) }.map(|p| p.as_ptr().cast()),
    )
}

/// Pops `size` bytes, rounded up to 8, off stack `s` and zeroes them.
/// Markers above the new top are discarded.
///
/// Returns 0; `ARN_E_STACK` when fewer than `size` rounded up to 8 bytes
/// are on the stack (underflow), `ARN_E_INVALID_ARGUMENT` for a size of 0 or
/// one that overflows, or a handle error. A failed call changes nothing.
#[unsafe(no_mangle)]
pub extern "C" fn stckp(s: arn_stack, size: usize) -> c_int {
    guard::status("stckp", || with(s, |x: &mut Stack| x.pop(size)))
}

/// Restores stack `s` to `marker`, taken by `stckt`: the top goes back to
/// it, the bytes above it are zeroed and the markers above it discarded.
/// `marker` stays live, so a frame can be restored to it repeatedly.
///
/// Returns 0; `ARN_E_STACK` when `marker` is not live (never taken, or
/// discarded by a pop or restore below it; the message says which), or a
/// handle error. A failed call changes nothing.
#[unsafe(no_mangle)]
pub extern "C" fn stckr(s: arn_stack, marker: usize) -> c_int {
    guard::status("stckr", || with(s, |x: &mut Stack| x.restore(marker)))
}

/// Frees stack `s` and its memory; `s` becomes stale.
///
/// Returns 0; `ARN_E_DOUBLE_FREE` when `s` was already freed, or another
/// handle error.
#[unsafe(no_mangle)]
pub extern "C" fn stckf(s: arn_stack) -> c_int {
    guard::status("stckf", || free::<Stack>(s))
}
