// Copied from arena-alligator 0.7.0 (src/dealloc.rs, its unit tests), MIT licence: see LICENSE-arena-alligator
// in this folder. Changed: only the crate path (see README.md).

use arn::compat::arena_alligator::*;
use std::alloc::Layout;

#[test]
fn heap_dealloc_frees_memory() {
    let layout = Layout::from_size_align(4096, 8).unwrap();
    let ptr = unsafe { std::alloc::alloc(layout) };
    assert!(!ptr.is_null());
    let dealloc = HeapDealloc::new(layout);
    unsafe { dealloc.dealloc(ptr, 4096) };
}

#[test]
fn no_dealloc_is_noop() {
    let ptr = core::ptr::NonNull::<u8>::dangling().as_ptr();
    unsafe { NoDealloc.dealloc(ptr, 0) };
}
