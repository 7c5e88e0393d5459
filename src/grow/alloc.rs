//! The allocation trait of the growing arenas: what containers and typed
//! helpers need from an arena.

use std::alloc::Layout;
use std::ffi::CStr;
use std::ptr::{self, NonNull};

use crate::error::{Error, Result};

/// What containers and typed helpers need from an arena; implemented by
/// [`GrowArena`](crate::GrowArena) and
/// [`SharedGrowArena`](crate::SharedGrowArena).
///
/// # Safety
///
/// An implementor hands out blocks that stay valid and disjoint from every
/// other live block until they are freed, reallocated, or the arena is
/// reset (which takes `&mut`) or dropped.
pub unsafe trait ArenaAlloc {
    /// Uninitialised memory for `layout`. `Error::InvalidArgument` for a
    /// zero size, an alignment above 4096 or a size no class holds;
    /// `Error::System` when the memory source has no chunk.
    fn alloc(&self, layout: Layout) -> Result<NonNull<u8>>;

    /// [`alloc`](Self::alloc), zero-filled.
    fn alloc_zeroed(&self, layout: Layout) -> Result<NonNull<u8>>;

    /// Gives a block back, for reuse by later allocations of its size
    /// class. `Error::ForeignPointer` when `ptr` is not the start of a block
    /// of this arena, `Error::DoubleFree` when the block is already free;
    /// either way nothing changes.
    ///
    /// # Safety
    ///
    /// Nothing uses the block afterwards.
    unsafe fn free(&self, ptr: NonNull<u8>) -> Result<()>;

    /// Resizes the block at `ptr` to `new_size` bytes aligned to `align`:
    /// in place when its class already holds `new_size`, or when it is the
    /// arena's last allocation and its chunk has room (`Append` of the Go
    /// arena limpo1989/arena); otherwise a new block gets a copy and the
    /// old one is freed. On error the old block is untouched and still
    /// live.
    ///
    /// # Safety
    ///
    /// As [`free`](Self::free): after success only the returned pointer
    /// is used.
    unsafe fn realloc(
        &self,
        ptr: NonNull<u8>,
        align: usize,
        new_size: usize,
    ) -> Result<NonNull<u8>>;

    /// How many bytes the live block starting at `ptr` holds; `None` when
    /// `ptr` is not the start of a live block of this arena.
    fn usable_size(&self, ptr: *const u8) -> Option<usize>;

    /// Whether `ptr` points into memory this arena manages (any byte of
    /// any of its chunks, live or not). O(log chunks).
    fn is_managed(&self, ptr: *const u8) -> bool;

    /// How many times the arena was reset: handles that remember it can
    /// tell that their blocks are gone.
    fn epoch(&self) -> u64;

    /// Copies `bytes` into the arena (`Bytes` of limpo1989/arena).
    #[allow(clippy::mut_from_ref)]
    fn copy_bytes(&self, bytes: &[u8]) -> Result<&mut [u8]>
    where
        Self: Sized,
    {
        if bytes.is_empty() {
            return Ok(&mut []);
        }
        let p = self.alloc(Layout::from_size_align(bytes.len(), 1).map_err(layout_error)?)?;
        // SAFETY: a fresh block of `bytes.len()` bytes, disjoint from
        // `bytes` (which is not in a free block: it is borrowed).
        unsafe {
            ptr::copy_nonoverlapping(bytes.as_ptr(), p.as_ptr(), bytes.len());
            Ok(std::slice::from_raw_parts_mut(p.as_ptr(), bytes.len()))
        }
    }

    /// Copies `s` into the arena (`String` of limpo1989/arena).
    #[allow(clippy::mut_from_ref)]
    fn copy_str(&self, s: &str) -> Result<&mut str>
    where
        Self: Sized,
    {
        let b = self.copy_bytes(s.as_bytes())?;
        // SAFETY: a byte-for-byte copy of a `str`.
        Ok(unsafe { std::str::from_utf8_unchecked_mut(b) })
    }

    /// Copies a C string, with its terminating NUL, into the arena.
    fn copy_cstr(&self, s: &CStr) -> Result<&CStr>
    where
        Self: Sized,
    {
        let b = self.copy_bytes(s.to_bytes_with_nul())?;
        // SAFETY: a copy of a C string's bytes, NUL included.
        Ok(unsafe { CStr::from_bytes_with_nul_unchecked(b) })
    }
}

#[cold]
#[inline(never)]
fn layout_error(e: std::alloc::LayoutError) -> Error {
    Error::invalid(format!("growing arena: {e}"))
}
