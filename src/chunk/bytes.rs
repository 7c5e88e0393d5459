//! The C layer's chunk allocator of opaque byte elements and its slices.

use std::ptr::{self, NonNull};

use super::raw::*;
use crate::error::{Error, Result};
use crate::mem::{ARN_MAX_ALIGN, is_align};

/// The C allocator's core: elements are `elem_size` opaque bytes, packed
/// in a slice; each slice starts aligned. The untyped core counts room in
/// *granules* of `align` bytes: a slice takes its bytes rounded up to a
/// granule, so the padding is below `align` per slice, not per element.
pub(crate) struct ByteChunks {
    raw: RawChunks,
    elem_size: usize,
    /// The capacity asked for, in elements.
    cap: usize,
    /// Elements handed out (the core counts granules).
    elements: u64,
}

// SAFETY: the elements are plain bytes with no `Drop`.
unsafe impl Send for ByteChunks {}

impl ByteChunks {
    /// Chunks with room for `cap` elements of `elem_size` bytes; `align` 0
    /// means 8, else a power of two up to 4096.
    pub(crate) fn new(elem_size: usize, align: usize, cap: usize) -> Result<Self> {
        let align = if align == 0 { 8 } else { align };
        if !is_align(align) {
            return Err(Error::invalid(format!(
                "element alignment {align} is not a power of two up to {ARN_MAX_ALIGN}"
            )));
        }
        if elem_size == 0 {
            return Err(Error::invalid("element size is 0"));
        }
        if cap == 0 {
            return Err(Error::invalid("chunk capacity is 0"));
        }
        let granules = cap
            .checked_mul(elem_size)
            .map(|bytes| bytes.div_ceil(align))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "{cap} elements of {elem_size} bytes overflow the address space"
                ))
            })?;
        Ok(ByteChunks {
            raw: RawChunks::new(granules, align, align, None)?,
            elem_size,
            cap,
            elements: 0,
        })
    }

    /// A slice of `len > 0` elements: a copy of `len * elem_size` bytes from
    /// `src`, or zeroes when `src` is `None`.
    ///
    /// # Safety
    ///
    /// `src` is `None` or valid for reading `len * elem_size` bytes.
    pub(crate) unsafe fn alloc(&mut self, len: usize, src: Option<*const u8>) -> Result<ByteSlice> {
        if len == 0 {
            return Err(Error::invalid("slice length is 0"));
        }
        let bytes = len.checked_mul(self.elem_size).ok_or_else(|| {
            Error::invalid(format!(
                "{len} elements of {} bytes overflow the address space",
                self.elem_size
            ))
        })?;
        let granules = self.granules(bytes);
        let spot = self.raw.reserve(granules).map_err(Grow::error)?;
        // SAFETY: the caller's promise; `spot` was just reserved.
        Ok(unsafe { self.fill(spot, len, bytes, granules, src) })
    }

    /// [`alloc`](Self::alloc) when the current chunk has room: no error
    /// to build and no chunk to make, for the C hot path. `None` when
    /// `alloc` would fail or needs a new chunk; nothing changed then.
    ///
    /// # Safety
    ///
    /// As for [`alloc`](Self::alloc).
    #[inline(always)]
    pub(crate) unsafe fn alloc_fast(
        &mut self,
        len: usize,
        src: Option<*const u8>,
    ) -> Option<ByteSlice> {
        let bytes = len.checked_mul(self.elem_size).filter(|&b| b != 0)?;
        let granules = self.granules(bytes);
        let spot = self.raw.reserve_current(granules)?;
        // SAFETY: the caller's promise; `spot` was just reserved.
        Some(unsafe { self.fill(spot, len, bytes, granules, src) })
    }

    /// How many granules `bytes` take: a shift, as a granule is a power
    /// of two bytes (its alignment).
    #[inline(always)]
    fn granules(&self, bytes: usize) -> usize {
        let g = self.raw.stride;
        debug_assert!(g.is_power_of_two());
        (bytes >> g.trailing_zeros()) + usize::from(bytes & (g - 1) != 0)
    }

    /// Copies (or zeroes) the `len` elements, `bytes` in all, into `spot`
    /// and hands them out as a slice.
    ///
    /// # Safety
    ///
    /// `spot` came from the last reservation of `granules` granules, with
    /// `granules * stride >= bytes`; `src` as for [`alloc`](Self::alloc).
    #[inline(always)]
    unsafe fn fill(
        &mut self,
        spot: Spot,
        len: usize,
        bytes: usize,
        granules: usize,
        src: Option<*const u8>,
    ) -> ByteSlice {
        crate::track::handed_out(spot.ptr.as_ptr(), bytes);
        // SAFETY: the reservation has room for `granules * granule >= bytes`
        // bytes, and fresh room overlaps no slice the caller could copy from.
        unsafe {
            match src {
                Some(s) => ptr::copy_nonoverlapping(s, spot.ptr.as_ptr(), bytes),
                None => ptr::write_bytes(spot.ptr.as_ptr(), 0, bytes),
            }
        }
        let ptr = spot.ptr;
        // SAFETY: the granules are written (their padding needs no value:
        // nobody reads it).
        let chunk = unsafe { self.raw.commit(spot, granules, self.raw.stride) };
        self.elements += len as u64;
        ByteSlice {
            #[cfg(feature = "track")]
            _lease: crate::track::Lease::new(ptr.as_ptr(), bytes),
            ptr,
            len,
            _chunk: chunk,
        }
    }

    /// The core's counters, with elements in the caller's terms.
    pub(crate) fn stats(&self) -> ChunkStats {
        ChunkStats {
            elements: self.elements,
            chunk_capacity: self.cap,
            element_size: self.elem_size,
            ..self.raw.stats()
        }
    }
}

/// A C slice: `len` elements at `ptr`, kept by one count on their chunk.
#[derive(Clone)]
pub(crate) struct ByteSlice {
    /// Poisons the elements when the slice's last handle drops (tracking
    /// build only). Declared before `_chunk`, so it drops while the chunk
    /// is still alive.
    #[cfg(feature = "track")]
    _lease: crate::track::Lease,
    ptr: NonNull<u8>,
    len: usize,
    _chunk: ChunkRef,
}

// SAFETY: immutable bytes; the count is atomic.
unsafe impl Send for ByteSlice {}
// SAFETY: as above.
unsafe impl Sync for ByteSlice {}

impl ByteSlice {
    pub(crate) fn data(&self) -> *const u8 {
        self.ptr.as_ptr()
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}
