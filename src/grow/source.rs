//! Where a growing arena's chunks come from.

use std::alloc::Layout;
use std::ptr::NonNull;

/// Where chunks come from (the Go arena's `Memory`): the system by default, or
/// shared memory, a huge-page pool, a C callback pair.
///
/// Called without any lock of the arena held, from whichever thread
/// allocates (several at once for a [`SharedGrowArena`](crate::SharedGrowArena)); a source may
/// allocate from the arena it serves.
pub trait MemorySource: Send + Sync {
    /// At least `size` bytes aligned to 16 (a page is best), or `None` when
    /// there is no memory.
    fn alloc(&self, size: usize) -> Option<NonNull<u8>>;

    /// Gives back memory from [`alloc`](Self::alloc).
    ///
    /// # Safety
    ///
    /// `ptr` and `size` are those of one earlier `alloc` of this source, not
    /// yet freed, and nothing uses the memory any more.
    unsafe fn free(&self, ptr: NonNull<u8>, size: usize);
}

/// Page-aligned chunks from the global allocator.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemMemory;

impl MemorySource for SystemMemory {
    fn alloc(&self, size: usize) -> Option<NonNull<u8>> {
        let layout = Layout::from_size_align(size, 4096).ok()?;
        // SAFETY: the arena never asks for 0 bytes.
        NonNull::new(unsafe { std::alloc::alloc(layout) })
    }

    unsafe fn free(&self, ptr: NonNull<u8>, size: usize) {
        // SAFETY: the caller's promise: this layout allocated `ptr`, which
        // `alloc` checked could be made.
        unsafe { std::alloc::dealloc(ptr.as_ptr(), Layout::from_size_align_unchecked(size, 4096)) }
    }
}
