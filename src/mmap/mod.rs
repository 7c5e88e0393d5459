//! The mmap arena (C: `mmpmk`, `mmpcm`, `mmapl`, `mmpfr`, as in the
//! original arn API; `mmprs`, `mmpst`).
//!
//! An [`MmapArena`] reserves address space with no access and commits it a
//! page at a time, so a huge reservation costs nothing until it is used:
//!
//! ```text
//!  base                  committed                 reserved
//!   |<---- read/write ---->|<------ no access -------->|<- guard ->|
//!   |<- used ->|  zero     |                           | (optional)|
//!             offset
//! ```
//!
//! Reserving is `mmap(PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
//! MAP_NORESERVE)`; committing is `mprotect(PROT_READ | PROT_WRITE)` of the
//! next pages, which the kernel fills with zeros on first touch. Allocation
//! is a bump of the offset, 8-byte aligned; it commits exactly the pages it
//! needs when the offset passes the committed end. The bytes from the offset
//! to the committed end are always zero.
//!
//! [`MmapArena::reset`] gives the pages past a retained amount back to the
//! OS (`madvise(MADV_DONTNEED)`, then `mprotect(PROT_NONE)`), which makes
//! them zero and inaccessible again, and zeroes by hand only the used bytes
//! inside the retained pages: the cost follows the bytes used, never the
//! reservation.
//!
//! Why not `memmap2`: its anonymous maps are readable and writable from the
//! start, so they cannot reserve without access, and a 64 GiB writable map
//! is refused under Linux's default overcommit heuristic. The few calls
//! needed here go straight to `libc`.

pub(crate) mod ffi;

use std::cell::Cell;
use std::io;
use std::ptr::NonNull;

use crate::buffer::PageSize;
use crate::error::{Error, Result};
use crate::mem::{WORD, align_up, bad_size, bump_up, check_align, fit_aligned};
use crate::track;

/// The commit granularity: 4096 bytes, or the system page size where it is
/// larger.
pub const ARN_MMAP_PAGE: usize = 4096;

/// The size of an x86-64 / arm64 (4 KiB granule) transparent huge page:
/// the alignment of every mapping made with huge pages (mmap arenas and
/// byte arenas).
pub const ARN_MMAP_HUGE_PAGE: usize = 2 << 20;

/// How to make an [`MmapArena`]: from [`MmapArena::builder`], then
/// [`MmapArenaBuilder::build`]. The defaults are ordinary pages, no
/// prefault, a guard page, and nothing retained across a reset.
///
/// ```
/// use arn::{MmapArena, PageSize};
///
/// let mut arena = MmapArena::builder(1 << 30) // 1 GiB of address space
///     .page_size(PageSize::Huge)
///     .retain(1 << 20)
///     .build()?;
/// let bytes = arena.alloc(4096)?; // commits one page
/// assert_eq!(bytes.len(), 4096);
/// arena.reset(); // keeps 1 MiB committed
/// # Ok::<(), arn::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct MmapArenaBuilder {
    size: usize,
    opts: Options,
}

/// The settings an [`MmapArenaBuilder`] collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Options {
    pub(crate) huge_pages: bool,
    pub(crate) prefault: bool,
    pub(crate) guard_page: bool,
    pub(crate) retain: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            huge_pages: false,
            prefault: false,
            guard_page: true,
            retain: 0,
        }
    }
}

impl MmapArenaBuilder {
    /// [`PageSize::Huge`]: ask for transparent huge pages. The reservation
    /// starts at a multiple of 2 MiB and is advised `MADV_HUGEPAGE`; the
    /// kernel may still use 4 KiB pages (a hint, never an error).
    /// [`PageSize::Standard`] (the default): ordinary pages.
    pub fn page_size(mut self, page: PageSize) -> Self {
        self.opts.huge_pages = page == PageSize::Huge;
        self
    }

    /// On: pages are made resident when they are committed
    /// (`MADV_POPULATE_WRITE`, or a write to each page on kernels without
    /// it), so that later first touches do not fault. Off (the default):
    /// the kernel fills each page on its first touch.
    pub fn prefault(mut self, on: bool) -> Self {
        self.opts.prefault = on;
        self
    }

    /// On (the default): one never-committed page follows the reservation,
    /// so that touching the byte after the arena faults even when the whole
    /// arena is committed. Off: no guard page.
    pub fn guard_page(mut self, on: bool) -> Self {
        self.opts.guard_page = on;
        self
    }

    /// Bytes that stay committed across a reset, rounded up to whole pages;
    /// the committed pages past them go back to the OS. More than the
    /// reservation means all of it (`usize::MAX`: never give pages back).
    /// 0 (the default): a reset gives every page back.
    pub fn retain(mut self, bytes: usize) -> Self {
        self.opts.retain = bytes;
        self
    }

    /// Reserves the address space, committing nothing.
    ///
    /// Fails with [`Error::InvalidArgument`] for a size of 0 or one too large
    /// to round up and map, and [`Error::System`] when the OS refuses the
    /// reservation.
    pub fn build(self) -> Result<MmapArena> {
        MmapArena::with_options(self.size, &self.opts)
    }
}

/// Counters of an mmap arena (C: `arn_mmap_stats`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MmapStats {
    /// Bytes of address space reserved: the size asked for, rounded up to
    /// whole pages (the guard page not included).
    pub reserved: usize,
    /// Bytes committed (readable and writable), a multiple of the page size.
    pub committed: usize,
    /// Bytes handed out since the last reset, rounding included.
    pub used: usize,
    /// Allocations since the last reset.
    pub allocations: usize,
    /// Bytes kept committed across a reset: the `retain` option rounded up
    /// to whole pages, at most `reserved`.
    pub retain: usize,
}

/// The sizes of a reservation, worked out before any system call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Plan {
    page: usize,
    reserved: usize,
    /// `reserved` plus the guard page, if any.
    len: usize,
    /// What to map: `len` plus the slack needed to align the start.
    map_len: usize,
    align: usize,
    retain: usize,
}

impl Plan {
    fn new(size: usize, opts: &Options, page: usize) -> Result<Plan> {
        if size == 0 {
            return Err(Error::invalid("mmap arena size 0"));
        }
        let too_big = || {
            Error::invalid(format!(
                "mmap arena size {size} is too large to reserve with its rounding and guard page"
            ))
        };
        let reserved = align_up(size, page).ok_or_else(too_big)?;
        let guard = if opts.guard_page { page } else { 0 };
        let len = reserved.checked_add(guard).ok_or_else(too_big)?;
        let align = if opts.huge_pages {
            ARN_MMAP_HUGE_PAGE.max(page)
        } else {
            page
        };
        // The mapping itself must stay below `isize::MAX` for pointer
        // arithmetic inside it to be defined.
        let map_len = len
            .checked_add(align - page)
            .filter(|&n| n <= isize::MAX as usize)
            .ok_or_else(too_big)?;
        // `reserved` is a page multiple, so rounding after clamping cannot
        // go past it.
        let retain = align_up(opts.retain.min(reserved), page).unwrap_or(reserved);
        Ok(Plan {
            page,
            reserved,
            len,
            map_len,
            align,
            retain,
        })
    }
}

/// A bump arena in reserved address space, committed on demand.
///
/// Allocation takes `&self` and hands out disjoint zeroed `&mut [u8]`;
/// resetting takes `&mut self`, so no allocation can outlive a reset.
///
/// ```
/// # fn main() -> arn::Result<()> {
/// // 1 GiB of address space: nothing is committed until it is used.
/// let mut m = arn::MmapArena::new(1 << 30)?;
/// let a = m.alloc(10_000)?; // commits three pages
/// a[9_999] = 1;
/// let v = m.alloc_slice_fill_with(1000, |i| i as u32)?;
/// assert_eq!(v[999], 999);
/// assert_eq!(m.committed(), 4 * 4096);
/// m.reset(); // committed pages go back to the OS
/// assert_eq!(m.committed(), 0);
/// # Ok(()) }
/// ```
pub struct MmapArena {
    /// Start of the reservation, a multiple of `page` (of 2 MiB with huge
    /// pages).
    base: NonNull<u8>,
    page: usize,
    reserved: usize,
    /// Bytes mapped at `base`: `reserved` plus the guard page.
    len: usize,
    retain: usize,
    prefault: bool,
    /// Invariant: `offset <= committed <= reserved`; `committed` is a page
    /// multiple; `base..base + committed` is readable and writable, the
    /// rest of the mapping has no access; `offset..committed` is zero.
    committed: Cell<usize>,
    offset: Cell<usize>,
    allocations: Cell<usize>,
    /// The most ever committed, for the tracking layer.
    poisoned: track::HighWater,
}

// SAFETY: the arena owns its mapping outright; nothing in it is tied to the
// thread that made it.
unsafe impl Send for MmapArena {}

impl MmapArena {
    /// Reserves `size` bytes (rounded up to whole pages) of address space
    /// with no access, committing nothing, with the defaults of
    /// [`MmapArena::builder`].
    ///
    /// Fails with [`Error::InvalidArgument`] for a size of 0 or one too large
    /// to round up and map, and [`Error::System`] when the OS refuses the
    /// reservation.
    pub fn new(size: usize) -> Result<MmapArena> {
        MmapArena::builder(size).build()
    }

    /// A builder for an arena reserving `size` bytes (rounded up to whole
    /// pages) of address space.
    pub fn builder(size: usize) -> MmapArenaBuilder {
        MmapArenaBuilder {
            size,
            opts: Options::default(),
        }
    }

    fn with_options(size: usize, opts: &Options) -> Result<MmapArena> {
        let plan = Plan::new(size, opts, os::page_size())?;
        let base = os::reserve(&plan)?;
        if opts.huge_pages {
            // A hint: a kernel without transparent huge pages refuses it, and
            // the arena then works with ordinary pages.
            let _ = os::advise_huge(base, plan.reserved);
        }
        Ok(MmapArena {
            base,
            page: plan.page,
            reserved: plan.reserved,
            len: plan.len,
            retain: plan.retain,
            prefault: opts.prefault,
            committed: Cell::new(0),
            offset: Cell::new(0),
            allocations: Cell::new(0),
            poisoned: track::HighWater::default(),
        })
    }

    crate::mem::alloc_slice! {
        /// Hands out `bytes` zeroed bytes, 8-byte aligned, committing the
        /// pages they need.
    }

    /// Like [`MmapArena::alloc`], returning a raw pointer.
    #[inline]
    pub fn alloc_ptr(&self, bytes: usize) -> Result<NonNull<u8>> {
        match self.try_alloc_ptr(bytes) {
            Some(p) => Ok(p),
            None => self.alloc_slow(bytes),
        }
    }

    /// Like [`MmapArena::alloc_ptr`] when the bytes fit in the committed
    /// pages; `None` when they do not or the size is bad (no commit here).
    #[inline(always)]
    pub fn try_alloc_ptr(&self, bytes: usize) -> Option<NonNull<u8>> {
        let off = bump_up(&self.offset, &self.allocations, self.committed.get(), bytes)?;
        // SAFETY: the allocation ends within the committed pages, inside
        // the mapping.
        let p = unsafe { self.base.as_ptr().add(off) };
        track::handed_out(p, bytes);
        // SAFETY: inside the mapping, whose base is not null.
        Some(unsafe { NonNull::new_unchecked(p) })
    }

    /// Commits the pages an allocation needs, then makes it.
    #[cold]
    #[inline(never)]
    fn alloc_slow(&self, bytes: usize) -> Result<NonNull<u8>> {
        if let Some(e) = bad_size(bytes) {
            return Err(e);
        }
        let off = self.offset.get();
        let size = bytes.next_multiple_of(WORD);
        let end = off
            .checked_add(size)
            .filter(|&end| end <= self.reserved)
            .ok_or(Error::OutOfMemory {
                what: "mmap arena",
                asked: bytes,
                needed: size,
                left: self.reserved - off,
                capacity: self.reserved,
            })?;
        // `reserved` is a page multiple, so this cannot pass it.
        self.grow(track::pad(end, self.reserved).next_multiple_of(self.page))?;
        Ok(self
            .try_alloc_ptr(bytes)
            .expect("the allocation fits once its pages are committed"))
    }

    /// Hands out `bytes` zeroed bytes aligned to `align`, a power of two up
    /// to [`ARN_MAX_ALIGN`](crate::ARN_MAX_ALIGN), committing the pages
    /// they need; the padding before them counts as used. Fails as
    /// [`MmapArena::alloc`], and with [`Error::InvalidArgument`] for a bad
    /// alignment.
    #[inline]
    pub fn alloc_aligned_ptr(&self, bytes: usize, align: usize) -> Result<NonNull<u8>> {
        check_align(align)?;
        if align <= WORD {
            return self.alloc_ptr(bytes);
        }
        let off = self.offset.get();
        let at = self.base.as_ptr() as usize + off;
        let (pad, size) = match fit_aligned(at, bytes, align, self.committed.get() - off) {
            Some(fits) => fits,
            None => self.commit_aligned(bytes, align)?,
        };
        let room = self.committed.get() - off - pad;
        self.offset.set(off + pad + track::pad(size, room));
        self.allocations.set(self.allocations.get() + 1);
        // SAFETY: off + pad + size <= committed, inside the mapping.
        let p = unsafe { self.base.as_ptr().add(off + pad) };
        track::handed_out(p, bytes);
        // SAFETY: inside the mapping, whose base is not null.
        Ok(unsafe { NonNull::new_unchecked(p) })
    }

    /// The slow path of [`MmapArena::alloc_aligned_ptr`]: commits the pages
    /// the allocation needs and returns its padding and rounded size.
    #[cold]
    #[inline(never)]
    fn commit_aligned(&self, bytes: usize, align: usize) -> Result<(usize, usize)> {
        if let Some(e) = bad_size(bytes) {
            return Err(e);
        }
        let off = self.offset.get();
        let at = self.base.as_ptr() as usize + off;
        let refuse = |needed| Error::OutOfMemory {
            what: "mmap arena",
            asked: bytes,
            needed,
            left: self.reserved - off,
            capacity: self.reserved,
        };
        let (pad, size) = fit_aligned(at, bytes, align, self.reserved - off)
            .ok_or_else(|| refuse(bytes.saturating_add(align - 1)))?;
        // `reserved` is a page multiple, so this cannot pass it.
        self.grow(track::pad(off + pad + size, self.reserved).next_multiple_of(self.page))?;
        Ok((pad, size))
    }

    /// Commits the first `size` bytes, rounded up to whole pages. Committing
    /// no more than is committed already does nothing.
    ///
    /// Fails with [`Error::InvalidArgument`] when the rounded size exceeds
    /// the reservation, and [`Error::System`] when the OS refuses the pages;
    /// either way nothing changes.
    pub fn commit(&self, size: usize) -> Result<()> {
        let end = align_up(size, self.page)
            .filter(|&end| end <= self.reserved)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "commit of {size} bytes exceeds the reservation of {}",
                    self.reserved
                ))
            })?;
        if end > self.committed.get() {
            self.grow(end)?;
        }
        Ok(())
    }

    /// Commits `committed..end` (`end` a page multiple, at most `reserved`).
    fn grow(&self, end: usize) -> Result<()> {
        let start = self.committed.get();
        debug_assert!(start < end && end <= self.reserved && end % self.page == 0);
        // SAFETY: start < reserved, inside the mapping.
        let p = unsafe { self.base.as_ptr().add(start) };
        // SAFETY: `p..p + (end - start)` is the uncommitted part of our own
        // mapping; no Rust reference points into it.
        unsafe { os::commit(p, end - start, self.prefault) }?;
        track::fresh(p, end - start);
        self.poisoned.raise(end);
        self.committed.set(end);
        Ok(())
    }

    /// Sets the offset back to 0. Committed pages past the retained amount
    /// go back to the OS, which leaves them zero and inaccessible; the used
    /// bytes inside the retained pages are zeroed.
    ///
    /// Should the OS refuse to take pages back (it does not for a range of
    /// one's own mapping), they stay committed and are zeroed by hand.
    pub fn reset(&mut self) {
        let committed = self.committed.get();
        let used = self.offset.get();
        let keep = self.retain.min(committed);
        self.zero(0, used.min(keep));
        if !os::DONTNEED_ZEROES {
            self.zero(keep.min(used), used);
        }
        if committed > keep {
            // SAFETY: keep < committed <= reserved, inside the mapping.
            let p = unsafe { self.base.as_ptr().add(keep) };
            // SAFETY: `p..p + (committed - keep)` is committed memory of our
            // own mapping, and `&mut self` proves no reference into it is
            // alive.
            match unsafe { os::decommit(p, committed - keep) } {
                os::Decommit::Done => self.committed.set(keep),
                os::Decommit::ZeroedOnly => {}
                os::Decommit::Refused => self.zero(keep, used),
            }
        }
        track::taken_back(self.base.as_ptr(), committed);
        self.offset.set(0);
        self.allocations.set(0);
    }

    /// Zeroes `start..end` (`end <= committed`).
    fn zero(&mut self, start: usize, end: usize) {
        debug_assert!(end <= self.committed.get());
        if start < end {
            // SAFETY: start..end is committed, and `&mut self` proves no
            // reference into the arena is alive.
            let p = unsafe { self.base.as_ptr().add(start) };
            track::open(p, end - start);
            // SAFETY: as above.
            unsafe { p.write_bytes(0, end - start) };
        }
    }

    /// Bytes of address space reserved (the guard page not included).
    pub fn reserved(&self) -> usize {
        self.reserved
    }

    /// Bytes committed.
    pub fn committed(&self) -> usize {
        self.committed.get()
    }

    /// Bytes handed out since the last reset, rounding included.
    pub fn used(&self) -> usize {
        self.offset.get()
    }

    /// The start of the reservation. Only `base..base + committed()` may be
    /// touched.
    pub fn base(&self) -> NonNull<u8> {
        self.base
    }

    /// The counters.
    pub fn stats(&self) -> MmapStats {
        MmapStats {
            reserved: self.reserved,
            committed: self.committed.get(),
            used: self.offset.get(),
            allocations: self.allocations.get(),
            retain: self.retain,
        }
    }
}

impl Drop for MmapArena {
    fn drop(&mut self) {
        track::unmapping(self.base.as_ptr(), self.poisoned.get());
        // SAFETY: `base..base + len` is the mapping made in `new`, and
        // ownership proves nothing refers into it any more.
        unsafe { os::release(self.base, self.len) };
    }
}

/// Builds the error for memory the OS refused, with the OS's reason.
#[cold]
fn refused(bytes: usize, why: io::Error) -> Error {
    Error::Refused {
        bytes,
        reason: why.to_string(),
    }
}

/// The system calls, each with the few lines that make it safe to use.
mod os {
    use std::io;
    use std::ptr::NonNull;

    use super::{Plan, refused};
    use crate::error::Result;

    const RW: libc::c_int = libc::PROT_READ | libc::PROT_WRITE;

    /// The system page size, at least [`super::ARN_MMAP_PAGE`].
    pub(super) fn page_size() -> usize {
        // SAFETY: sysconf has no preconditions.
        let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        usize::try_from(n)
            .ok()
            .filter(|n| n.is_power_of_two())
            .map_or(super::ARN_MMAP_PAGE, |n| n.max(super::ARN_MMAP_PAGE))
    }

    /// Maps `plan.map_len` bytes with no access and trims it to `plan.len`
    /// bytes starting at a multiple of `plan.align`.
    pub(super) fn reserve(plan: &Plan) -> Result<NonNull<u8>> {
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
        // SAFETY: a fresh anonymous mapping at an address of the kernel's
        // choosing touches no existing memory.
        let raw = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                plan.map_len,
                libc::PROT_NONE,
                flags,
                -1,
                0,
            )
        };
        if raw == libc::MAP_FAILED {
            return Err(refused(plan.reserved, io::Error::last_os_error()));
        }
        let raw = raw.cast::<u8>();
        let head = (raw as usize).next_multiple_of(plan.align) - raw as usize;
        let tail = plan.map_len - head - plan.len;
        // Unmapping the slack cannot fail for page-aligned parts of a
        // mapping we own (it could only split the mapping, and a split at
        // an end needs no new one).
        // SAFETY: both ranges lie inside the fresh mapping, outside the part
        // kept, and nothing refers to them.
        unsafe {
            if head > 0 {
                libc::munmap(raw.cast(), head);
            }
            if tail > 0 {
                libc::munmap(raw.add(head + plan.len).cast(), tail);
            }
        }
        // SAFETY: mmap never returns null for a non-fixed mapping that
        // succeeded, and `head` keeps the pointer inside it.
        Ok(unsafe { NonNull::new_unchecked(raw.add(head)) })
    }

    /// Advises transparent huge pages for `len` bytes at `base`.
    pub(super) fn advise_huge(base: NonNull<u8>, len: usize) -> io::Result<()> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            // SAFETY: advice on our own mapping; it changes no contents.
            if unsafe { libc::madvise(base.as_ptr().cast(), len, libc::MADV_HUGEPAGE) } != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            let _ = (base, len);
            Err(io::ErrorKind::Unsupported.into())
        }
    }

    /// Makes `len` bytes at `p` readable and writable, and resident when
    /// `prefault` is set. On failure the range is left as it was: no
    /// access, and no pages.
    ///
    /// # Safety
    ///
    /// `p..p + len` is a page-aligned, uncommitted range of a mapping made
    /// by [`reserve`], and no reference points into it.
    pub(super) unsafe fn commit(p: *mut u8, len: usize, prefault: bool) -> Result<()> {
        // SAFETY: the caller's promise: our own mapping, unused.
        if unsafe { libc::mprotect(p.cast(), len, RW) } != 0 {
            let why = io::Error::last_os_error();
            // SAFETY: as above.
            unsafe { undo(p, len) };
            return Err(refused(len, why));
        }
        if prefault {
            // SAFETY: as above, and now writable.
            if let Err(why) = unsafe { populate(p, len) } {
                // SAFETY: as above.
                unsafe { undo(p, len) };
                return Err(refused(len, why));
            }
        }
        Ok(())
    }

    /// Takes a partly done commit back. An `mprotect` may have changed part
    /// of the range before failing, and a populate may have made pages
    /// resident: both are undone, best effort (these calls on our own
    /// mapping only fail when the kernel is out of memory for bookkeeping).
    ///
    /// # Safety
    ///
    /// As for [`commit`].
    unsafe fn undo(p: *mut u8, len: usize) {
        // SAFETY: the caller's promise.
        unsafe {
            libc::madvise(p.cast(), len, libc::MADV_DONTNEED);
            libc::mprotect(p.cast(), len, libc::PROT_NONE);
        }
    }

    /// Makes the freshly committed pages at `p` resident.
    ///
    /// # Safety
    ///
    /// `p..p + len` is committed, page-aligned memory of our own mapping,
    /// all zero, and no reference points into it.
    unsafe fn populate(p: *mut u8, len: usize) -> io::Result<()> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        loop {
            // SAFETY: the caller's promise; populating writes nothing
            // visible.
            if unsafe { libc::madvise(p.cast(), len, libc::MADV_POPULATE_WRITE) } == 0 {
                return Ok(());
            }
            let why = io::Error::last_os_error();
            match why.raw_os_error() {
                Some(libc::EINTR | libc::EAGAIN) => continue,
                // A kernel before 5.14 does not know the advice: touch.
                Some(libc::EINVAL) => break,
                _ => return Err(why),
            }
        }
        // SAFETY: the caller's promise.
        unsafe { touch(p, len) };
        Ok(())
    }

    /// Writes one zero to each page of `len` bytes at `p`, which makes the
    /// pages resident.
    ///
    /// # Safety
    ///
    /// As for [`populate`].
    pub(super) unsafe fn touch(p: *mut u8, len: usize) {
        for at in (0..len).step_by(page_size()) {
            // SAFETY: inside the range; writing the zero the page already
            // holds changes nothing but makes the page resident.
            unsafe { p.add(at).write_volatile(0) };
        }
    }

    /// Whether `MADV_DONTNEED` makes private anonymous pages read back as
    /// zero (Linux); elsewhere the caller zeroes the used bytes first.
    pub(super) const DONTNEED_ZEROES: bool = cfg!(any(target_os = "linux", target_os = "android"));

    /// What [`decommit`] achieved.
    pub(super) enum Decommit {
        /// The pages went back to the OS: zero and inaccessible.
        Done,
        /// The pages are zero, but stay readable and writable.
        ZeroedOnly,
        /// Nothing changed: the pages still hold what was written.
        Refused,
    }

    /// Gives `len` committed bytes at `p` back to the OS.
    ///
    /// # Safety
    ///
    /// `p..p + len` is a page-aligned, committed range of a mapping made by
    /// [`reserve`], and no reference points into it.
    pub(super) unsafe fn decommit(p: *mut u8, len: usize) -> Decommit {
        // SAFETY: the caller's promise. Where `DONTNEED_ZEROES`, the private
        // anonymous pages read back as zero afterwards.
        if unsafe { libc::madvise(p.cast(), len, libc::MADV_DONTNEED) } != 0 {
            return Decommit::Refused;
        }
        // SAFETY: as above.
        if unsafe { libc::mprotect(p.cast(), len, libc::PROT_NONE) } != 0 {
            return Decommit::ZeroedOnly;
        }
        Decommit::Done
    }

    /// Unmaps `len` bytes at `base`.
    ///
    /// # Safety
    ///
    /// `base..base + len` is a whole mapping made by [`reserve`], and
    /// nothing refers into it any more.
    pub(super) unsafe fn release(base: NonNull<u8>, len: usize) {
        // SAFETY: the caller's promise. munmap of a whole mapping we own
        // does not fail; were it to, the address space would leak, which
        // is safe.
        unsafe { libc::munmap(base.as_ptr().cast(), len) };
    }
}

#[cfg(test)]
mod tests;
