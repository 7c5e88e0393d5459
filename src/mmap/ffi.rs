//! C functions of the mmap arena.

use std::ffi::{c_int, c_void};

use super::{MmapArena, MmapArenaBuilder, MmapStats};
use crate::ffi::handle::{self, Kind, Object};
use crate::ffi::{args, free, guard, hot, with};

/// Handle of an mmap arena; 0 is never valid.
#[allow(non_camel_case_types)]
pub type arn_mmap = u64;

// SAFETY: no `ALSO` kind.
unsafe impl Object for MmapArena {
    const KIND: Kind = Kind::Mmap;
}

/// Creates an mmap arena: reserves `size` bytes (rounded up to whole 4096-
/// byte pages) of address space with no access, committing nothing, so a
/// reservation far larger than the machine's memory costs nothing until it
/// is used. `options` may be NULL for the defaults (the same as an all-zero
/// `arn_mmap_opts`: no huge pages, no prefault, a guard page, retain 0).
///
/// Returns its handle, to be freed with `mmpfr`; 0 on failure
/// (`ARN_E_INVALID_ARGUMENT` for a size of 0, a size too large to round up
/// and map, or a misaligned `options`; `ARN_E_SYSTEM` when the OS refuses
/// the reservation).
///
/// # Safety
///
/// `options` is NULL or valid for reading an `arn_mmap_opts`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mmpmk(size: usize, options: *const MmapOpts) -> arn_mmap {
    guard::value("mmpmk", || {
        // SAFETY: the caller's promise on `options`.
        let opts = unsafe { args::read_opt(options, "options") }?.unwrap_or_default();
        handle::insert(MmapOpts::builder(&opts, size).build()?)
    })
}

/// Commits the first `size` bytes of mmap arena `m`, rounded up to whole
/// pages, making them readable, writable and zero (and resident with the
/// `prefault` option). Committing no more than is committed already does
/// nothing and succeeds.
///
/// Returns 0; `ARN_E_INVALID_ARGUMENT` when the rounded size exceeds the
/// reservation (`SIZE_MAX` included), `ARN_E_SYSTEM` when the OS refuses the
/// pages, or a handle error. On failure the arena is unchanged.
#[unsafe(no_mangle)]
pub extern "C" fn mmpcm(m: arn_mmap, size: usize) -> c_int {
    guard::status("mmpcm", || with(m, |x: &mut MmapArena| x.commit(size)))
}

/// Allocates `bytes` bytes from mmap arena `m`, 8-byte aligned and
/// zero-filled; the size is rounded up to a multiple of 8. When the
/// allocation ends past the committed pages, exactly the 4096-byte pages it
/// needs are committed first.
///
/// The memory belongs to the arena and is valid until `mmprs` or `mmpfr`.
/// Returns NULL on failure: `ARN_E_CAPACITY` when the reservation is
/// exhausted, `ARN_E_INVALID_ARGUMENT` for 0 or an overflowing size,
/// `ARN_E_SYSTEM` when the OS refuses to commit, or a handle error.
#[unsafe(no_mangle)]
pub extern "C" fn mmapl(m: arn_mmap, bytes: usize) -> *mut c_void {
    hot(
        "mmapl",
        m,
        move |x: &mut MmapArena| x.try_alloc_ptr(bytes).map(|p| p.as_ptr().cast()),
        move |x: &mut MmapArena| x.alloc_ptr(bytes).map(|p| p.as_ptr().cast()),
    )
}

/// Resets mmap arena `m`: the offset goes back to 0; committed pages past
/// the `retain` option go back to the OS (zero and inaccessible until
/// committed again), and the bytes used inside the retained pages are
/// zeroed. Earlier pointers become invalid.
///
/// Returns 0, or an `ARN_E_*` handle error.
#[unsafe(no_mangle)]
pub extern "C" fn mmprs(m: arn_mmap) -> c_int {
    guard::status("mmprs", || {
        with(m, |x: &mut MmapArena| {
            x.reset();
            Ok(())
        })
    })
}

/// Frees mmap arena `m`: unmaps its whole reservation; `m` becomes stale.
///
/// Returns 0; `ARN_E_DOUBLE_FREE` when `m` was already freed, or another
/// handle error.
#[unsafe(no_mangle)]
pub extern "C" fn mmpfr(m: arn_mmap) -> c_int {
    guard::status("mmpfr", || free::<MmapArena>(m))
}

/// Writes the counters of mmap arena `m` to `*out` (an addition to the
/// original arn API, which has no mmap stats).
///
/// Returns 0, `ARN_E_INVALID_ARGUMENT` when `out` is NULL, or a handle
/// error; `*out` is untouched on failure.
///
/// # Safety
///
/// `out` is NULL or valid for writing an `arn_mmap_stats`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mmpst(m: arn_mmap, out: *mut MmapStats) -> c_int {
    guard::status("mmpst", || {
        let stats = with(m, |x: &mut MmapArena| Ok(x.stats()))?;
        // SAFETY: the caller's promise on `out`.
        unsafe { args::write(out, "out", stats) }
    })
}

/// Options of an mmap arena (`mmpmk`). Every field is zero by default, and
/// the all-zero value is the default: no huge pages, no prefault, a guard
/// page, nothing retained across a reset. A NULL options pointer and a
/// `{0}` struct mean the same.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MmapOpts {
    /// Nonzero: ask for transparent huge pages. The reservation starts at a
    /// multiple of 2 MiB and is advised `MADV_HUGEPAGE`; the kernel may still
    /// use 4 KiB pages (a hint, never an error). 0: ordinary pages.
    pub huge_pages: c_int,
    /// Nonzero: pages are made resident when they are committed
    /// (`MADV_POPULATE_WRITE`, or a write to each page on kernels without
    /// it), so that later first touches do not fault. 0: the kernel fills
    /// each page on its first touch.
    pub prefault: c_int,
    /// Nonzero: no guard page. 0 (the default): one never-committed page
    /// follows the reservation, so that touching the byte after the arena
    /// faults even when the whole arena is committed.
    pub no_guard_page: c_int,
    /// Bytes that stay committed across a reset, rounded up to whole pages;
    /// the committed pages past them go back to the OS. More than the
    /// reservation means all of it (`SIZE_MAX`: never give pages back).
    /// 0: a reset gives every page back.
    pub retain: usize,
}

impl MmapOpts {
    /// The builder these options describe, for an arena of `size` bytes.
    pub(crate) fn builder(&self, size: usize) -> MmapArenaBuilder {
        let page = if self.huge_pages != 0 {
            crate::buffer::PageSize::Huge
        } else {
            crate::buffer::PageSize::Standard
        };
        MmapArena::builder(size)
            .page_size(page)
            .prefault(self.prefault != 0)
            .guard_page(self.no_guard_page == 0)
            .retain(self.retain)
    }
}
