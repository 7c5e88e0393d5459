//! C functions of buffers and bytes, shared by both byte arenas.
//!
//! A buffer (`arn_buffer`) and a frozen bytes object (`arn_bytes`) are
//! handles like every other arn object, and every call here is safe from
//! any thread: a buffer sits behind a lock (two threads writing one buffer
//! take turns), bytes are immutable. As for every handle, freeing it
//! (`bufrz`, `bufdr`, `bytdr`) must not race with another call on the same
//! handle.

use std::ffi::{c_int, c_void};

use super::shared::SharedBytes;
use super::{Buffer, PageSize};
use crate::error::{Error, Result};
use crate::ffi::handle::{self, Kind, Object};
use crate::ffi::{args, free, free_hot, guard, hot_new, hot_ref, status_hot_ref, with_ref};
use crate::sync::SpinLock;

/// Handle of a writable arena buffer; 0 is never valid.
#[allow(non_camel_case_types)]
pub type arn_buffer = u64;

/// Handle of frozen bytes; 0 is never valid.
#[allow(non_camel_case_types)]
pub type arn_bytes = u64;

/// Options of a fixed or buddy byte arena (`fxdmk`, `bdymk`). All-zero
/// (or a NULL pointer) gives the defaults.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ByteArenaOpts {
    /// Alignment of every slot or block: a power of two up to 4096; 0 means
    /// the default, 8 (for a buddy arena 8 or its minimum block when that is
    /// smaller; a buddy arena refuses an alignment above its minimum block,
    /// and its blocks are also aligned to their own size within the arena).
    pub alignment: usize,
    /// Non-zero: memory is zeroed when it comes back, so every buffer
    /// starts zeroed and no data passes between users.
    pub zero_init: c_int,
    /// Non-zero: a write that does not fit moves the buffer to the heap
    /// and gives its arena memory back at once, instead of failing.
    pub auto_spill: c_int,
    /// Non-zero: every page is made resident when the arena is made.
    pub prefault: c_int,
    /// Non-zero: the memory is mapped for transparent huge pages.
    pub huge_pages: c_int,
}

impl ByteArenaOpts {
    /// The builder options behind `p`, the defaults for NULL.
    ///
    /// # Safety
    ///
    /// `p` is NULL or valid for reading the options.
    pub(crate) unsafe fn read(p: *const ByteArenaOpts) -> Result<super::Options> {
        // SAFETY: the caller's promise.
        let o = unsafe { args::read_opt(p, "options") }?.unwrap_or_default();
        Ok(o.options())
    }

    fn options(&self) -> super::Options {
        super::Options {
            align: (self.alignment != 0).then_some(self.alignment),
            policy: if self.zero_init != 0 {
                super::InitPolicy::Zero
            } else {
                super::InitPolicy::Uninit
            },
            page: if self.huge_pages != 0 {
                PageSize::Huge
            } else {
                PageSize::Standard
            },
            prefault: self.prefault != 0,
            auto_spill: self.auto_spill != 0,
            memory: None,
            wake_hook: None,
        }
    }
}

/// A buffer behind its handle; the lock lets any thread write it.
pub(crate) struct CBuffer(SpinLock<Buffer>);

// SAFETY: no `ALSO` kind.
unsafe impl Object for CBuffer {
    const KIND: Kind = Kind::Buffer;
}

// SAFETY: no `ALSO` kind.
unsafe impl Object for SharedBytes {
    const KIND: Kind = Kind::Bytes;
}

impl CBuffer {
    /// A buffer to put behind a handle (the arenas' allocate functions end
    /// here).
    #[inline(always)]
    pub(crate) fn new(buf: Buffer) -> CBuffer {
        CBuffer(SpinLock::new(buf))
    }
}

/// Runs `f` on the buffer behind `h`, under its lock.
fn with_buffer<R>(h: arn_buffer, f: impl FnOnce(&mut Buffer) -> Result<R>) -> Result<R> {
    with_ref(h, |b: &CBuffer| b.0.with(f))
}

/// The bytes of `data` to write: none for a `len` of 0.
///
/// # Safety
///
/// As for `bufwr`.
#[inline(always)]
unsafe fn source<'a>(data: *const c_void, len: usize) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    let p = args::bytes(data, len, "data")?;
    // SAFETY: the caller's promise; the source cannot be the buffer itself,
    // which C has no pointer to.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// Appends `len` bytes from `data` to the buffer. When they do not fit, a
/// buffer from an arena made with `auto_spill` moves to the heap (its arena
/// memory goes back at once) and the write succeeds.
///
/// Returns 0; `ARN_E_CAPACITY` when the bytes do not fit and the buffer may
/// not spill (nothing is written), `ARN_E_INVALID_ARGUMENT` for a NULL
/// `data` with a non-zero `len`, handle errors for a bad `b`.
///
/// # Safety
///
/// `data` is valid for reading `len` bytes (it may be NULL when `len` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bufwr(b: arn_buffer, data: *const c_void, len: usize) -> c_int {
    status_hot_ref(
        "bufwr",
        b,
        |x: &CBuffer| {
            x.0.with(|buf| {
                !data.is_null()
                    && buf.will_fit(len)
                    // SAFETY: the caller's promise on `data`; bytes that
                    // fit are at most the buffer's capacity, a valid slice
                    // length.
                    && buf.put_fitting(unsafe { std::slice::from_raw_parts(data.cast(), len) })
            })
        },
        // SAFETY: the caller's promise on `data`.
        |x: &CBuffer| {
            x.0.with(|buf| buf.try_put_slice(unsafe { source(data, len) }?))
        },
    )
}

/// Bytes written to the buffer so far; 0 with the last error set for a bad
/// handle.
#[unsafe(no_mangle)]
pub extern "C" fn bufln(b: arn_buffer) -> usize {
    guard::value("bufln", || with_buffer(b, |buf| Ok(buf.len())))
}

/// The buffer's capacity: its slot or block size, or, once spilled, its
/// heap storage's. 0 with the last error set for a bad handle.
#[unsafe(no_mangle)]
pub extern "C" fn bufca(b: arn_buffer) -> usize {
    guard::value("bufca", || with_buffer(b, |buf| Ok(buf.capacity())))
}

/// 1 when the buffer moved to the heap, 0 when it is in its arena; -1 with
/// the last error set for a bad handle.
#[unsafe(no_mangle)]
pub extern "C" fn bufsp(b: arn_buffer) -> c_int {
    guard::flag("bufsp", || with_buffer(b, |buf| Ok(buf.is_spilled())))
}

/// Freezes the buffer into bytes over the same memory, without copying.
/// The buffer handle is consumed: any later call on it fails with
/// `ARN_E_STALE_HANDLE` (`ARN_E_DOUBLE_FREE` for a second freeze or drop).
/// The memory goes back to its arena when the last bytes handle over it
/// (clones and slices included) is dropped.
///
/// Returns the bytes handle, to be dropped with `bytdr`; 0 on failure
/// (handle errors; the buffer is left as it was).
#[unsafe(no_mangle)]
pub extern "C" fn bufrz(b: arn_buffer) -> arn_bytes {
    guard::value("bufrz", || {
        handle::replace(b, |buf: CBuffer| buf.0.into_inner().freeze_shared())
    })
}

/// Drops the buffer without freezing it; its memory goes back to its arena.
/// Returns 0; `ARN_E_DOUBLE_FREE` for a buffer already dropped or frozen,
/// other handle errors for a bad `b`.
#[unsafe(no_mangle)]
pub extern "C" fn bufdr(b: arn_buffer) -> c_int {
    guard::status("bufdr", || free::<CBuffer>(b))
}

/// The first byte of the bytes, valid until the handle is dropped (other
/// handles over the same memory do not extend it). Empty bytes give a
/// non-NULL pointer that must not be read. NULL on failure (handle errors).
#[unsafe(no_mangle)]
pub extern "C" fn bytdt(b: arn_bytes) -> *const c_void {
    let p: *mut c_void = hot_ref(
        "bytdt",
        b,
        |x: &SharedBytes| Some(x.as_ptr().cast_mut().cast()),
        |x: &SharedBytes| Ok(x.as_ptr().cast_mut().cast()),
    );
    p.cast_const()
}

/// The number of bytes; 0 with the last error set for a bad handle.
#[unsafe(no_mangle)]
pub extern "C" fn bytln(b: arn_bytes) -> usize {
    guard::value("bytln", || with_ref(b, |x: &SharedBytes| Ok(x.len())))
}

/// A second handle to the same bytes (no copy: it shares the memory and
/// keeps it from going back to the arena). Returns the new handle, to be
/// dropped with `bytdr`; 0 on failure (handle errors).
#[unsafe(no_mangle)]
pub extern "C" fn bytcl(b: arn_bytes) -> arn_bytes {
    hot_new(
        "bytcl",
        b,
        |x: &SharedBytes| Some(x.share()),
        |x: &SharedBytes| Ok(x.share()),
    )
}

/// A handle to `len` bytes starting at `offset` of `b`, sharing its memory.
/// Returns the new handle, to be dropped with `bytdr`; 0 on failure:
/// `ARN_E_OUT_OF_BOUNDS` when `offset + len` is past the end, handle
/// errors.
#[unsafe(no_mangle)]
pub extern "C" fn bytsl(b: arn_bytes, offset: usize, len: usize) -> arn_bytes {
    guard::value("bytsl", || {
        let part = with_ref(b, |x: &SharedBytes| x.slice(offset, len))?;
        handle::insert(part)
    })
}

/// Drops one bytes handle. The memory goes back to its arena when the last
/// handle over it is dropped. Returns 0; `ARN_E_DOUBLE_FREE` for a handle
/// already dropped, other handle errors for a bad `b`.
#[unsafe(no_mangle)]
pub extern "C" fn bytdr(b: arn_bytes) -> c_int {
    free_hot::<SharedBytes>("bytdr", b)
}

/// Copies the bytes to `dst`, which has room for `dst_size` bytes, so that
/// they outlive the handle. Returns 0; `ARN_E_INVALID_ARGUMENT` when `dst`
/// is NULL (and there are bytes to copy) or `dst_size` is below `bytln`
/// (nothing is copied), handle errors.
///
/// # Safety
///
/// `dst` is valid for writing `dst_size` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bytcp(b: arn_bytes, dst: *mut c_void, dst_size: usize) -> c_int {
    guard::status("bytcp", || {
        with_ref(b, |x: &SharedBytes| {
            let bytes = x.as_slice();
            if bytes.is_empty() {
                return Ok(());
            }
            if dst_size < bytes.len() {
                return Err(Error::invalid(format!(
                    "destination of {dst_size} bytes is too small for {} bytes",
                    bytes.len()
                )));
            }
            let p = args::bytes(dst, bytes.len(), "destination")?;
            // SAFETY: the caller's promise covers `dst_size >= len` bytes;
            // arena memory and the caller's destination do not overlap
            // unless the caller aliased frozen bytes, which are immutable.
            unsafe {
                p.cast_mut()
                    .copy_from_nonoverlapping(bytes.as_ptr(), bytes.len())
            };
            Ok(())
        })
    })
}

// Deprecated spellings, kept for one release (CHANGELOG.md lists them).

/// Deprecated spelling of `bufca` (the capacity; `cp` means copy), kept
/// for one release. Behaves exactly as `bufca`, whose name its errors carry.
#[deprecated(note = "renamed bufca")]
#[unsafe(no_mangle)]
pub extern "C" fn bufcp(b: arn_buffer) -> usize {
    bufca(b)
}
