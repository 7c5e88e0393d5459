//! C functions of scratch space. The digits name the operation, as in the
//! original arn API: 0 free, 1 create, 2 restore, 3 checkpoint.

use std::ffi::{c_int, c_void};

use super::Scratch;
use crate::ffi::handle::{self, Kind, Object};
use crate::ffi::{free, guard, hot, with};

/// Handle of scratch space; 0 is never valid.
#[allow(non_camel_case_types)]
pub type arn_scratch = u64;

// SAFETY: no `ALSO` kind.
unsafe impl Object for Scratch {
    const KIND: Kind = Kind::Scratch;
}

/// Creates scratch space of `size` bytes, zero-filled, with no checkpoint.
///
/// Returns its handle, to be freed with `scrt0`; 0 on failure
/// (`ARN_E_INVALID_ARGUMENT` for a size of 0 or too large, `ARN_E_SYSTEM`
/// when the heap refuses).
#[unsafe(no_mangle)]
pub extern "C" fn scrt1(size: usize) -> arn_scratch {
    guard::value("scrt1", || handle::insert(Scratch::new(size)?))
}

/// Saves the current fill of scratch space `s` as a checkpoint. Checkpoints
/// nest: each `scrt2` restores the latest one not yet restored.
///
/// Returns 0, `ARN_E_SYSTEM` when the heap refuses room for the checkpoint,
/// or a handle error.
#[unsafe(no_mangle)]
pub extern "C" fn scrt3(s: arn_scratch) -> c_int {
    guard::status("scrt3", || with(s, |x: &mut Scratch| x.checkpoint()))
}

/// Allocates `bytes` bytes from scratch space `s`, 8-byte aligned and
/// zero-filled; the size is rounded up to a multiple of 8.
///
/// The memory belongs to the scratch space and is valid until a `scrt2`
/// restores a checkpoint taken before it, or `scrt0`. Returns NULL on
/// failure: `ARN_E_CAPACITY` when full, `ARN_E_INVALID_ARGUMENT` for 0 or
/// an overflowing size, or a handle error.
#[unsafe(no_mangle)]
pub extern "C" fn scrtc(s: arn_scratch, bytes: usize) -> *mut c_void {
    hot(
        "scrtc",
        s,
        move |x: &mut Scratch| x.try_alloc_ptr(bytes).map(|p| p.as_ptr().cast()),
        move |x: &mut Scratch| x.alloc_ptr(bytes).map(|p| p.as_ptr().cast()),
    )
}

/// Restores scratch space `s` to its latest checkpoint and drops that
/// checkpoint: everything allocated since is zeroed and reclaimed, and
/// pointers to it become invalid.
///
/// Returns 0; `ARN_E_NO_CHECKPOINT` when no checkpoint is left, or a handle
/// error.
#[unsafe(no_mangle)]
pub extern "C" fn scrt2(s: arn_scratch) -> c_int {
    guard::status("scrt2", || with(s, |x: &mut Scratch| x.restore()))
}

/// Frees scratch space `s` and its memory; `s` becomes stale.
///
/// Returns 0; `ARN_E_DOUBLE_FREE` when `s` was already freed, or another
/// handle error.
#[unsafe(no_mangle)]
pub extern "C" fn scrt0(s: arn_scratch) -> c_int {
    guard::status("scrt0", || free::<Scratch>(s))
}
