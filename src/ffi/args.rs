//! Checks of the raw pointers and sizes that C hands in, done once here so
//! the cores only see checked Rust values.

use std::ffi::{CStr, c_char, c_void};

use crate::error::{Error, Result};

#[cold]
fn null(what: &str) -> Error {
    Error::invalid(format!("{what} is NULL"))
}

/// Writes `value` through a required output pointer.
///
/// # Safety
///
/// `p` is NULL or valid for writes of a `T`.
pub(crate) unsafe fn write<T>(p: *mut T, what: &str, value: T) -> Result<()> {
    // SAFETY: the caller's promise.
    *unsafe { out_opt(p, what) }?.ok_or_else(|| null(what))? = value;
    Ok(())
}

/// An optional output pointer: NULL means "not wanted".
///
/// # Safety
///
/// `p` is NULL or valid for writes of a `T`, for the lifetime `'a`.
pub(crate) unsafe fn out_opt<'a, T>(p: *mut T, what: &str) -> Result<Option<&'a mut T>> {
    if !p.is_aligned() {
        return Err(Error::invalid(format!(
            "{what} {p:p} is not aligned to {}",
            std::mem::align_of::<T>()
        )));
    }
    // SAFETY: aligned, and the caller's promise covers the rest.
    Ok(unsafe { p.as_mut() })
}

/// `len` bytes at `p` to read, kept as a raw pointer: the source may lie
/// inside the very allocator that is about to hand out memory for the copy,
/// so no reference to it is made.
pub(crate) fn bytes(p: *const c_void, len: usize, what: &str) -> Result<*const u8> {
    if p.is_null() {
        return Err(null(what));
    }
    if len > isize::MAX as usize {
        return Err(Error::invalid(format!("{what} length {len} is too large")));
    }
    Ok(p.cast())
}

/// The NUL-terminated string at `p`, as a pointer and its length with the
/// terminator; like [`bytes`], no reference to it outlives this call.
///
/// # Safety
///
/// `p` is NULL or points at a NUL-terminated string.
pub(crate) unsafe fn cstr(p: *const c_char, what: &str) -> Result<(*const u8, usize)> {
    if p.is_null() {
        return Err(null(what));
    }
    // SAFETY: the caller's promise.
    let len = unsafe { CStr::from_ptr(p) }.count_bytes() + 1;
    Ok((p.cast(), len))
}
