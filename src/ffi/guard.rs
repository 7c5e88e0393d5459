//! The panic boundary: every exported function runs inside one of these.

use std::any::Any;
use std::ffi::{c_char, c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::last_error;
use crate::error::{Error, Result};

/// A C return type with a value that means "failed, see `arner()`".
pub(crate) trait Failure {
    fn failure() -> Self;
}

impl Failure for *mut c_void {
    fn failure() -> Self {
        std::ptr::null_mut()
    }
}

impl Failure for *mut c_char {
    fn failure() -> Self {
        std::ptr::null_mut()
    }
}

/// Handles and sizes: 0 is never a valid handle, and a size function's
/// 0 comes with the last error set.
macro_rules! zero_failure {
    ($($t:ty),*) => {$(
        impl Failure for $t {
            fn failure() -> Self {
                0
            }
        }
    )*};
}
zero_failure!(u64, usize, c_int);

/// Runs `f` for the exported function `name`; on `Err` or panic, records the
/// last error and returns the failure value of `R`.
#[inline(always)]
pub(crate) fn value<R: Failure>(name: &'static str, f: impl FnOnce() -> Result<R>) -> R {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            fail(name, e);
            R::failure()
        }
        Err(payload) => {
            fail(name, panicked(payload));
            R::failure()
        }
    }
}

/// The same as [`value`] for the hottest calls: `fast` serves the call when
/// it can, returning `None` when it cannot; `slow` then runs out of line to
/// produce the value or the error. Keeping errors off the fast path keeps
/// it free of stack frames and error values.
#[inline(always)]
pub(crate) fn value_hot<R: Failure>(
    name: &'static str,
    fast: impl FnOnce() -> Option<R>,
    slow: impl FnOnce() -> Result<R>,
) -> R {
    match catch_unwind(AssertUnwindSafe(fast)) {
        Ok(Some(v)) => v,
        Ok(None) => value_cold(name, slow),
        Err(payload) => {
            fail(name, panicked(payload));
            R::failure()
        }
    }
}

/// Declared `extern "C"` only so that the compiler knows it never unwinds
/// (it catches every panic itself): the hot path can then jump to it as
/// its last act instead of calling it, and keeps no stack frame of its own.
#[cold]
#[inline(never)]
#[allow(improper_ctypes_definitions)] // Rust calls Rust; no C side
extern "C" fn value_cold<R: Failure, F: FnOnce() -> Result<R>>(name: &'static str, slow: F) -> R {
    value(name, slow)
}

/// Runs `f` for the exported function `name`; returns 0 on success and the
/// `ARN_E_*` code (also recorded as the last error) on `Err` or panic.
#[inline(always)]
pub(crate) fn status(name: &'static str, f: impl FnOnce() -> Result<()>) -> c_int {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => fail(name, e),
        Err(payload) => fail(name, panicked(payload)),
    }
}

/// Runs `f` for the exported function `name` that answers yes or no:
/// 1 for `Ok(true)`, 0 for `Ok(false)`, -1 on `Err` or panic (recorded as
/// the last error).
#[inline(always)]
pub(crate) fn flag(name: &'static str, f: impl FnOnce() -> Result<bool>) -> c_int {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(yes)) => c_int::from(yes),
        Ok(Err(e)) => {
            fail(name, e);
            -1
        }
        Err(payload) => {
            fail(name, panicked(payload));
            -1
        }
    }
}

/// The same as [`status`] for hot calls, as [`value_hot`] is to [`value`]:
/// `fast` returns `true` when it served the call, `false` to have `slow`
/// run out of line and explain.
#[inline(always)]
pub(crate) fn status_hot(
    name: &'static str,
    fast: impl FnOnce() -> bool,
    slow: impl FnOnce() -> Result<()>,
) -> c_int {
    match catch_unwind(AssertUnwindSafe(fast)) {
        Ok(true) => 0,
        Ok(false) => status_cold(name, slow),
        Err(payload) => fail(name, panicked(payload)),
    }
}

/// `extern "C"` for the reason given at [`value_cold`].
#[cold]
#[inline(never)]
#[allow(improper_ctypes_definitions)] // Rust calls Rust; no C side
extern "C" fn status_cold<F: FnOnce() -> Result<()>>(name: &'static str, slow: F) -> c_int {
    status(name, slow)
}

#[cold]
#[inline(never)]
fn fail(name: &'static str, e: Error) -> c_int {
    last_error::set(name, &e);
    e.code()
}

#[cold]
#[inline(never)]
fn panicked(payload: Box<dyn Any + Send>) -> Error {
    let text = if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-text payload".to_owned()
    };
    // Dropping a payload can itself panic: catch that too, and forget the
    // second payload rather than risk an unwind out of here.
    if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(again);
    }
    Error::Panic(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ARN_E_PANIC;
    use crate::ffi::last_error::{arnec, arnem, arner};
    use std::ffi::CStr;

    // Real `extern "C"` functions: if a panic unwound out of the guard, Rust
    // would abort the whole test process here instead of returning.
    extern "C" fn panics_in_status() -> c_int {
        status("arnxx", || panic!("boom {}", 42))
    }
    extern "C" fn panics_in_value() -> *mut c_void {
        value("arnyy", || -> Result<*mut c_void> { panic!("static text") })
    }
    extern "C" fn panics_in_status_hot() -> c_int {
        status_hot("arnvv", || panic!("fast status"), || Ok(()))
    }
    extern "C" fn panics_in_hot(slow_runs: &mut u32) -> usize {
        value_hot(
            "arnww",
            || -> Option<usize> { panic!("fast path") },
            || {
                *slow_runs += 1;
                Ok(1)
            },
        )
    }

    fn message() -> String {
        // SAFETY: arnem always returns a valid C string.
        unsafe { CStr::from_ptr(arnem()) }
            .to_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn a_panic_becomes_an_error_code() {
        arnec();
        assert_eq!(panics_in_status(), ARN_E_PANIC);
        assert_eq!(arner(), ARN_E_PANIC);
        assert_eq!(message(), "arnxx: internal panic: boom 42");

        assert!(panics_in_value().is_null());
        assert_eq!(arner(), ARN_E_PANIC);
        assert_eq!(message(), "arnyy: internal panic: static text");

        let mut slow_runs = 0;
        assert_eq!(panics_in_hot(&mut slow_runs), 0);
        assert_eq!(slow_runs, 0, "a panic is reported, not retried");
        assert_eq!(message(), "arnww: internal panic: fast path");

        assert_eq!(panics_in_status_hot(), ARN_E_PANIC);
        assert_eq!(message(), "arnvv: internal panic: fast status");
        assert_eq!(status_hot("arnuu", || true, || Ok(())), 0);
        assert_eq!(
            status_hot("arnuu", || false, || Err(Error::NoCheckpoint)),
            crate::error::ARN_E_NO_CHECKPOINT
        );
    }

    #[test]
    fn success_keeps_the_last_error() {
        arnec();
        assert_eq!(
            status("arnzz", || Err(Error::NoCheckpoint)),
            crate::error::ARN_E_NO_CHECKPOINT
        );
        assert_eq!(status("arnzz", || Ok(())), 0);
        assert_eq!(arner(), crate::error::ARN_E_NO_CHECKPOINT);
        assert_eq!(message(), "arnzz: no checkpoint to restore");
        arnec();
        assert_eq!(arner(), 0);
        assert_eq!(message(), "");
    }
}
