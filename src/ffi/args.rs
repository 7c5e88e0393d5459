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

/// A copy of the `T` behind an input pointer; `None` for NULL.
///
/// # Safety
///
/// `p` is NULL or valid for reading a `T`.
pub(crate) unsafe fn read_opt<T: Copy>(p: *const T, what: &str) -> Result<Option<T>> {
    if !p.is_aligned() {
        return Err(Error::invalid(format!(
            "{what} {p:p} is not aligned to {}",
            std::mem::align_of::<T>()
        )));
    }
    // SAFETY: aligned, and the caller's promise covers the rest; the value
    // is copied out, no reference to it is kept.
    Ok(unsafe { p.as_ref() }.copied())
}

/// Like [`read_opt`] for a pointer that must not be NULL.
///
/// # Safety
///
/// As for [`read_opt`].
pub(crate) unsafe fn read<T: Copy>(p: *const T, what: &str) -> Result<T> {
    // SAFETY: the caller's promise.
    unsafe { read_opt(p, what) }?.ok_or_else(|| null(what))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_read_refused_or_absent() {
        // SAFETY: NULL is allowed.
        assert_eq!(unsafe { read_opt::<u64>(std::ptr::null(), "x") }, Ok(None));
        // SAFETY: as above.
        let e = unsafe { read::<u64>(std::ptr::null(), "opts") }.unwrap_err();
        assert_eq!(e.to_string(), "invalid argument: opts is NULL");
        let raw = [7u64, 8];
        // SAFETY: a valid, aligned u64.
        assert_eq!(unsafe { read(&raw[1], "x") }, Ok(8));
        let misaligned = raw.as_ptr().cast::<u8>().wrapping_add(1).cast::<u64>();
        // SAFETY: refused before it is read.
        let e = unsafe { read_opt(misaligned, "x") }.unwrap_err();
        assert!(matches!(e, Error::InvalidArgument(_)), "{e}");
    }
}
