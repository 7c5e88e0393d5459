//! The three error types: allocation, configuration, and a write that
//! does not fit.

use std::fmt;

/// An allocation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AllocError {
    /// Every slot, or every block big enough, is in use now; a later try
    /// may succeed once buffers come back.
    ArenaFull,
    /// The request is larger than the arena could ever hand out; retrying
    /// cannot help.
    RequestTooLarge,
}

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AllocError::ArenaFull => "arena is full",
            AllocError::RequestTooLarge => "request exceeds total arena capacity",
        })
    }
}

impl std::error::Error for AllocError {}

/// A builder's configuration was refused; nothing was allocated.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// The arena's total size does not fit in `usize` (or in a layout).
    SizeOverflow,
    /// The alignment is not a power of two.
    InvalidAlignment,
    /// The buddy geometry is not a power-of-two multiple of the minimum
    /// block, or the alignment is above the minimum block.
    InvalidGeometry,
    /// The slot size asked for is larger than the caller's memory.
    SlotSizeExceedsBacking,
    /// Not one slot or block fits in the caller's memory.
    ZeroUsableSlots,
    /// `from_raw` was given a null pointer.
    NullPointer,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BuildError::SizeOverflow => "total arena size overflows usize",
            BuildError::InvalidAlignment => "alignment must be a power of 2",
            BuildError::InvalidGeometry => {
                "buddy arena geometry must be a power-of-two multiple of min block size"
            }
            BuildError::SlotSizeExceedsBacking => {
                "requested slot size exceeds backing memory length"
            }
            BuildError::ZeroUsableSlots => "no usable slots fit in the provided backing memory",
            BuildError::NullPointer => "null pointer provided to from_raw",
        })
    }
}

impl std::error::Error for BuildError {}

impl BuildError {
    /// The face's error for a configuration arn's core refused. The face
    /// checks sizes and alignments first, so only the system refusing the
    /// memory is expected here: that ends the process through the global
    /// allocator's error handler, as a refused heap allocation does.
    pub(crate) fn from_core(e: crate::buffer::BuildError, align: usize) -> BuildError {
        use crate::buffer::BuildError as Core;
        match e {
            Core::System { bytes, .. } => std::alloc::handle_alloc_error(
                std::alloc::Layout::from_size_align(bytes.max(1), align.max(1))
                    .unwrap_or(std::alloc::Layout::new::<u8>()),
            ),
            Core::Overflow { .. } => BuildError::SizeOverflow,
            Core::NotPowerOfTwo { .. } | Core::Alignment { .. } => BuildError::InvalidAlignment,
            Core::Zero { .. } => BuildError::ZeroUsableSlots,
            _ => BuildError::InvalidGeometry,
        }
    }
}

/// A write did not fit in the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BufferFullError {
    /// Bytes the buffer still had room for.
    pub remaining: usize,
    /// Bytes the write needed.
    pub requested: usize,
}

impl fmt::Display for BufferFullError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "buffer full: {} bytes requested, {} bytes remaining",
            self.requested, self.remaining
        )
    }
}

impl std::error::Error for BufferFullError {}
