//! Where a growing arena's chunks come from.

use std::alloc::Layout;
use std::ptr::NonNull;

/// Where chunks come from (the Go arena's `Memory`): the system by default, or
/// shared memory, a huge-page pool, a C callback pair.
///
/// Called without any lock of the arena held, from whichever thread
/// allocates (several at once for a [`SharedGrowArena`](crate::SharedGrowArena)); a source may
/// allocate from the arena it serves.
///
/// [`SharedGrowArena`]: super::SharedGrowArena
pub trait MemorySource: Send + Sync {
    /// At least `size` bytes aligned to 16 (a page is best), or `None` when
    /// there is no memory.
    fn alloc(&self, size: usize) -> Option<NonNull<u8>>;

    /// Gives back memory from [`alloc`](Self::alloc) (or
    /// [`resize`](Self::resize)).
    ///
    /// # Safety
    ///
    /// `ptr` and `size` are those of one earlier `alloc` or `resize` of
    /// this source, not yet freed, and nothing uses the memory any more.
    unsafe fn free(&self, ptr: NonNull<u8>, size: usize);

    /// Resizes memory from [`alloc`](Self::alloc) to `new_size` bytes,
    /// keeping its bytes up to the smaller size: in place, or moved to a
    /// new address as `mremap` does (then the old address is no longer
    /// valid). `None` when it cannot; the memory is then unchanged. The
    /// arena asks only about a chunk holding one large block, to grow or
    /// shrink that block without copying it. The default cannot.
    ///
    /// # Safety
    ///
    /// `ptr` and `old_size` are those of one earlier `alloc` or `resize`
    /// of this source, not yet freed; `new_size` is not zero.
    unsafe fn resize(
        &self,
        _ptr: NonNull<u8>,
        _old_size: usize,
        _new_size: usize,
    ) -> Option<NonNull<u8>> {
        None
    }
}

/// Chunks from the system: pages mapped from the operating system for
/// 64 KiB and more (so a chunk given back is returned to it, and a large
/// block grows or shrinks by remapping its pages, never by copying), the
/// global allocator below that.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemMemory;

/// From this size on, chunks are mapped pages.
#[cfg(all(unix, not(miri)))]
const MAP_MIN: usize = 64 * 1024;
#[cfg(not(all(unix, not(miri))))]
const MAP_MIN: usize = usize::MAX;

const PAGE: usize = 4096;

/// The layout of a chunk from the global allocator.
fn heap_layout(size: usize) -> Option<Layout> {
    Layout::from_size_align(size, if size >= PAGE { PAGE } else { 16 }).ok()
}

#[cfg(all(unix, not(miri)))]
fn pages(size: usize) -> usize {
    size.div_ceil(PAGE) * PAGE
}

impl MemorySource for SystemMemory {
    fn alloc(&self, size: usize) -> Option<NonNull<u8>> {
        #[cfg(all(unix, not(miri)))]
        if size >= MAP_MIN {
            // SAFETY: a fresh private anonymous mapping; no existing memory
            // is affected.
            let p = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    pages(size),
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            return if p == libc::MAP_FAILED {
                None
            } else {
                NonNull::new(p.cast())
            };
        }
        let layout = heap_layout(size)?;
        // SAFETY: the arena never asks for 0 bytes.
        NonNull::new(unsafe { std::alloc::alloc(layout) })
    }

    unsafe fn free(&self, ptr: NonNull<u8>, size: usize) {
        #[cfg(all(unix, not(miri)))]
        if size >= MAP_MIN {
            // SAFETY: the caller's promise: a mapping of `size` bytes from
            // `alloc` or `resize`, unused now.
            unsafe { libc::munmap(ptr.as_ptr().cast(), pages(size)) };
            return;
        }
        // SAFETY: the caller's promise: this layout allocated `ptr`, which
        // `alloc` checked could be made.
        unsafe { std::alloc::dealloc(ptr.as_ptr(), heap_layout(size).unwrap_unchecked()) }
    }

    unsafe fn resize(
        &self,
        ptr: NonNull<u8>,
        old_size: usize,
        new_size: usize,
    ) -> Option<NonNull<u8>> {
        if old_size >= MAP_MIN && new_size >= MAP_MIN {
            #[cfg(all(target_os = "linux", not(miri)))]
            {
                // SAFETY: the caller's promise: a mapping of `old_size`
                // bytes; the kernel moves it whole or leaves it as it was.
                let p = unsafe {
                    libc::mremap(
                        ptr.as_ptr().cast(),
                        pages(old_size),
                        pages(new_size),
                        libc::MREMAP_MAYMOVE,
                    )
                };
                return if p == libc::MAP_FAILED {
                    None
                } else {
                    NonNull::new(p.cast())
                };
            }
            #[allow(unreachable_code)]
            return None;
        }
        let (old, new) = (heap_layout(old_size)?, heap_layout(new_size)?);
        if old_size >= MAP_MIN || new_size >= MAP_MIN || old.align() != new.align() {
            return None;
        }
        // SAFETY: the caller's promise: `ptr` was allocated with `old`;
        // `new_size` is nonzero and its layout valid.
        NonNull::new(unsafe { std::alloc::realloc(ptr.as_ptr(), old, new_size) })
    }
}
