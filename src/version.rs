//! The library version at run time (the header carries it as macros).

use std::ffi::c_char;

/// The version of the library, e.g. "0.1.0"; compare it with the header's
/// `ARN_VERSION_STRING` to catch a header and library that do not match.
///
/// The string is static and owned by the library.
#[unsafe(no_mangle)]
pub extern "C" fn arnvr() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
