//! Checks of the raw pointers and sizes that C hands in, done once here so
//! the cores only see checked Rust values.

use std::ffi::{CStr, c_char, c_void};

use crate::error::{Error, Result};

/// A required output pointer.
///
/// # Safety
///
/// `p` is NULL or valid for writes of a `T`, for the lifetime `'a`.
pub(crate) unsafe fn out<'a, T>(p: *mut T, what: &str) -> Result<&'a mut T> {
    // SAFETY: the caller's promise.
    unsafe { p.as_mut() }.ok_or_else(|| Error::invalid(format!("{what} is NULL")))
}

/// `len` bytes at `p` to read.
///
/// # Safety
///
/// `p` is NULL or valid for reads of `len` bytes, for the lifetime `'a`.
pub(crate) unsafe fn bytes<'a>(p: *const c_void, len: usize, what: &str) -> Result<&'a [u8]> {
    if p.is_null() {
        return Err(Error::invalid(format!("{what} is NULL")));
    }
    if len > isize::MAX as usize {
        return Err(Error::invalid(format!("{what} length {len} is too large")));
    }
    // SAFETY: non-NULL, and the caller's promise covers the length.
    Ok(unsafe { std::slice::from_raw_parts(p.cast(), len) })
}

/// A NUL-terminated string at `p`.
///
/// # Safety
///
/// `p` is NULL or points at a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn cstr<'a>(p: *const c_char, what: &str) -> Result<&'a CStr> {
    if p.is_null() {
        return Err(Error::invalid(format!("{what} is NULL")));
    }
    // SAFETY: the caller's promise.
    Ok(unsafe { CStr::from_ptr(p) })
}
