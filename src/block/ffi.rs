//! C functions of the fixed-size block allocator.

use std::ffi::{c_int, c_void};

use super::{BlockPool, BlockStats};
use crate::ffi::handle::{self, Kind, Object};
use crate::ffi::{args, free, guard, hot, status_hot, with_ref};

/// Handle of a block allocator; 0 is never valid.
#[allow(non_camel_case_types)]
pub type arn_block = u64;

// SAFETY: no `ALSO` kind.
unsafe impl Object for BlockPool {
    const KIND: Kind = Kind::Block;
}

/// Creates a block allocator of `block_count` blocks of `block_size` bytes,
/// zero-filled. Blocks are 8-byte aligned, `arnln(block_size, 8)` bytes
/// apart.
///
/// Returns its handle, to be freed with `blckd`; 0 on failure
/// (`ARN_E_INVALID_ARGUMENT` for a zero size or count, or when the pool's
/// size overflows or is too large; `ARN_E_SYSTEM` when the heap refuses).
#[unsafe(no_mangle)]
pub extern "C" fn blckm(block_size: usize, block_count: usize) -> arn_block {
    guard::value("blckm", || {
        handle::insert(BlockPool::new(block_size, block_count)?)
    })
}

/// Hands out a free block of block allocator `b`: `block_size` zeroed
/// bytes, 8-byte aligned. Finding one takes O(1) after a free and at most
/// one look per 4096 blocks otherwise.
///
/// The block belongs to the allocator and is valid until `blckf` gives it
/// back or `blckd` frees the allocator. Returns NULL on failure:
/// `ARN_E_CAPACITY` ("no free blocks in pool") when every block is in use,
/// or a handle error.
#[unsafe(no_mangle)]
pub extern "C" fn blckl(b: arn_block) -> *mut c_void {
    hot(
        "blckl",
        b,
        |x: &mut BlockPool| x.try_alloc_ptr().map(|p| p.as_ptr().cast()),
        |x: &mut BlockPool| x.alloc_ptr().map(|p| p.as_ptr().cast()),
    )
}

/// Gives the block at `ptr` back to block allocator `b`; its bytes are
/// zeroed.
///
/// Returns 0; `ARN_E_FOREIGN_POINTER` when `ptr` is not the start of one of
/// `b`'s blocks (NULL, outside the pool, or inside a block but not at its
/// start), `ARN_E_DOUBLE_FREE` when the block is already free, or a handle
/// error. A failed call changes nothing. `ptr` is only compared with the
/// pool's range before anything is written.
#[unsafe(no_mangle)]
pub extern "C" fn blckf(b: arn_block, ptr: *mut c_void) -> c_int {
    status_hot(
        "blckf",
        b,
        |x: &mut BlockPool| x.try_free_ptr(ptr.cast()),
        |x: &mut BlockPool| x.free_ptr(ptr.cast()),
    )
}

/// Writes the counters of block allocator `b` to `*out`: total, used and
/// free blocks, and utilization (used / total, 0.0 to 1.0).
///
/// Returns 0, `ARN_E_INVALID_ARGUMENT` when `out` is NULL, or a handle
/// error; `*out` is untouched on failure.
///
/// # Safety
///
/// `out` is NULL or valid for writing an `arn_block_stats`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn blcks(b: arn_block, out: *mut BlockStats) -> c_int {
    guard::status("blcks", || {
        let stats = with_ref(b, |x: &BlockPool| Ok(x.stats()))?;
        // SAFETY: the caller's promise on `out`.
        unsafe { args::write(out, "out", stats) }
    })
}

/// Frees block allocator `b` and all its blocks; `b` becomes stale.
///
/// Returns 0; `ARN_E_DOUBLE_FREE` when `b` was already freed, or another
/// handle error.
#[unsafe(no_mangle)]
pub extern "C" fn blckd(b: arn_block) -> c_int {
    guard::status("blckd", || free::<BlockPool>(b))
}
