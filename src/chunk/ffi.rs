//! C functions of the chunk allocator (`chk*`) and its slices (`slc*`).
//!
//! A chunk allocator handle is used by one thread at a time, like the arn
//! family. Slices are immutable: they may be read, cloned and dropped from
//! any thread, several at once; only dropping a slice handle must not race
//! with another call on the same handle.

use std::ffi::{c_int, c_void};

use super::{ByteChunks, ByteSlice, ChunkStats};
use crate::ffi::handle::{self, Kind, Object};
use crate::ffi::{args, free_hot, guard, hot_new, hot_new_mut, with, with_ref};

/// Handle of a chunk allocator; 0 is never valid.
#[allow(non_camel_case_types)]
pub type arn_chunks = u64;

/// Handle of a slice from a chunk allocator; 0 is never valid.
#[allow(non_camel_case_types)]
pub type arn_slice = u64;

// SAFETY: no `ALSO` kind.
unsafe impl Object for ByteChunks {
    const KIND: Kind = Kind::Chunks;
}

// SAFETY: no `ALSO` kind.
unsafe impl Object for ByteSlice {
    const KIND: Kind = Kind::Slice;
}

/// Makes a chunk allocator of elements of `elem_size` bytes aligned to
/// `elem_align` (0 means 8), in chunks of `chunk_capacity` elements. It
/// hands out reference-counted slices (`chkal`); a chunk's memory goes when
/// its last slice is dropped. A slice starts aligned to `elem_align`; its
/// elements lie `elem_size` bytes apart, and it takes its bytes rounded up
/// to a multiple of `elem_align` (so less than `elem_align` bytes of padding
/// per slice).
///
/// Returns the allocator's handle, to be freed with `chkfr`; 0 on failure:
/// `ARN_E_INVALID_ARGUMENT` for a zero `elem_size` or `chunk_capacity`, an
/// `elem_align` that is not a power of two or above 4096, or a chunk whose
/// size overflows.
#[unsafe(no_mangle)]
pub extern "C" fn chkmk(elem_size: usize, elem_align: usize, chunk_capacity: usize) -> arn_chunks {
    guard::value("chkmk", || {
        handle::insert(ByteChunks::new(elem_size, elem_align, chunk_capacity)?)
    })
}

/// Allocates a slice of `len` elements: a copy of `len * elem_size` bytes
/// from `init`, or zero-filled when `init` is NULL. A slice that does not
/// fit in a chunk gets a chunk of its own. The slice keeps its chunk alive, also
/// after `chkfr`.
///
/// Returns the slice's handle, to be dropped with `slcdr`; 0 on failure
/// (the allocator is left as it was): `ARN_E_INVALID_ARGUMENT` for `len`
/// 0 (empty slices are not handed out) or `len * elem_size` overflowing,
/// `ARN_E_SYSTEM` when the system refuses a new chunk, handle errors for
/// a bad `c`.
///
/// # Safety
///
/// `init` is NULL or valid for reading `len * elem_size` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn chkal(c: arn_chunks, len: usize, init: *const c_void) -> arn_slice {
    let src = (!init.is_null()).then_some(init.cast::<u8>());
    // SAFETY (both closures): the caller's promise. When `alloc_fast`
    // gives up, nothing changed and `alloc` does it the careful way.
    hot_new_mut(
        "chkal",
        c,
        move |a: &mut ByteChunks| unsafe { a.alloc_fast(len, src) },
        move |a: &mut ByteChunks| unsafe { a.alloc(len, src) },
    )
}

/// Writes a snapshot of the allocator's counters to `*out` (see
/// `arn_chunk_stats`).
///
/// Returns 0; `ARN_E_INVALID_ARGUMENT` for a NULL `out`, handle errors.
///
/// # Safety
///
/// `out` is NULL or valid for writing an `arn_chunk_stats`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn chkst(c: arn_chunks, out: *mut ChunkStats) -> c_int {
    guard::status("chkst", || {
        let s = with(c, |a: &mut ByteChunks| Ok(a.stats()))?;
        // SAFETY: the caller's promise.
        unsafe { args::write(out, "out", s) }
    })
}

/// Frees the allocator handle. Its slices stay valid; each chunk goes with
/// its last slice.
///
/// Returns 0; `ARN_E_DOUBLE_FREE` for an allocator already freed, other
/// handle errors for a bad `c`.
#[unsafe(no_mangle)]
pub extern "C" fn chkfr(c: arn_chunks) -> c_int {
    guard::status("chkfr", || handle::remove::<ByteChunks>(c).map(drop))
}

/// The slice's first element, valid while this slice handle lives (other
/// handles over the same memory do not extend it). NULL on failure (handle
/// errors).
#[unsafe(no_mangle)]
pub extern "C" fn slcdt(s: arn_slice) -> *const c_void {
    let p: *mut c_void = guard::value("slcdt", || {
        with_ref(s, |sl: &ByteSlice| Ok(sl.data().cast_mut().cast()))
    });
    p.cast_const()
}

/// The number of elements in the slice; 0 with the last error set for a
/// bad handle.
#[unsafe(no_mangle)]
pub extern "C" fn slcln(s: arn_slice) -> usize {
    guard::value("slcln", || with_ref(s, |sl: &ByteSlice| Ok(sl.len())))
}

/// A second handle to the same slice (no copy: one more count on its
/// chunk). Returns the new handle, to be dropped with `slcdr`; 0 on failure
/// (handle errors).
#[unsafe(no_mangle)]
pub extern "C" fn slccl(s: arn_slice) -> arn_slice {
    hot_new(
        "slccl",
        s,
        |sl: &ByteSlice| Some(sl.clone()),
        |sl: &ByteSlice| Ok(sl.clone()),
    )
}

/// Drops one slice handle; the chunk goes when its last slice does (and
/// its allocator has moved past it or was freed). Returns 0;
/// `ARN_E_DOUBLE_FREE` for a handle already dropped, other handle errors.
#[unsafe(no_mangle)]
pub extern "C" fn slcdr(s: arn_slice) -> c_int {
    free_hot::<ByteSlice>("slcdr", s)
}
