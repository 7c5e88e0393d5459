//! Giving caller memory back: the [`Dealloc`] trait and its two common
//! implementations.

use std::alloc::Layout;
use std::ptr::NonNull;

/// Frees the memory under a `from_raw` arena once the arena and every
/// buffer and `Bytes` over it are gone.
///
/// # Safety
///
/// `dealloc` must free exactly the region it is handed (or nothing, when
/// the memory is the caller's to free), and must be safe to call from any
/// thread: it runs on the thread that lets go of the last reference.
pub unsafe trait Dealloc: Send + Sync + 'static {
    /// Frees `len` bytes at `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` and `len` are the pointer and length given to `from_raw`.
    unsafe fn dealloc(self, ptr: *mut u8, len: usize);
}

/// Frees memory from the global allocator with the [`Layout`] it was
/// allocated with.
pub struct HeapDealloc {
    layout: Layout,
}

impl HeapDealloc {
    /// A deallocator for memory allocated with `layout`.
    pub fn new(layout: Layout) -> Self {
        HeapDealloc { layout }
    }
}

// SAFETY: frees with the layout the memory was allocated with (the
// constructor's contract), which is `Send + Sync`.
unsafe impl Dealloc for HeapDealloc {
    unsafe fn dealloc(self, ptr: *mut u8, _len: usize) {
        // SAFETY: `ptr` came from the global allocator with this layout.
        unsafe { std::alloc::dealloc(ptr, self.layout) }
    }
}

/// Frees nothing: the caller keeps the memory (a static buffer, a mapping
/// it unmaps itself).
pub struct NoDealloc;

// SAFETY: doing nothing frees nothing twice.
unsafe impl Dealloc for NoDealloc {
    unsafe fn dealloc(self, _ptr: *mut u8, _len: usize) {}
}

/// arn's dealloc hook for `d`, called with the caller's own length `len`
/// (the core may use less of the memory than it was given).
pub(crate) fn hook<D: Dealloc>(d: D, len: usize) -> crate::buffer::Dealloc {
    Box::new(move |ptr: NonNull<u8>, _used: usize| {
        // SAFETY: `ptr` is the pointer given to `from_raw` and `len` its
        // length; the core runs the hook once, after the last use.
        unsafe { d.dealloc(ptr.as_ptr(), len) }
    })
}

/// Memory for an arena whose alignment is above what arn's own mappings
/// give (a page): zeroed heap memory, and the hook that frees it.
pub(crate) fn aligned_heap(layout: Layout) -> (NonNull<u8>, crate::buffer::Dealloc) {
    // SAFETY: callers pass a layout of non-zero size.
    let p = unsafe { std::alloc::alloc_zeroed(layout) };
    let Some(p) = NonNull::new(p) else {
        std::alloc::handle_alloc_error(layout)
    };
    (p, hook(HeapDealloc::new(layout), layout.size()))
}
