//! The library version at run time (the header carries it as macros).

use std::ffi::{c_char, c_uint};

/// The version of the library, e.g. "0.1.0"; compare it with the header's
/// `ARN_VERSION_STRING` to catch a header and library that do not match.
///
/// The string is static and owned by the library.
#[unsafe(no_mangle)]
pub extern "C" fn arnvr() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The version of the library as one number, `major * 10000 + minor * 100
/// + patch` (0.1.0 is 100), equal to the header's `ARN_VERSION_NUMBER` when
/// header and library match; compare with `>=` to require a version.
///
/// Never fails.
#[unsafe(no_mangle)]
pub extern "C" fn arnvn() -> c_uint {
    VERSION_NUMBER
}

/// `major * 10000 + minor * 100 + patch` of this crate, as `arnvn` returns
/// it.
pub const VERSION_NUMBER: c_uint = number(
    parse(env!("CARGO_PKG_VERSION_MAJOR")),
    parse(env!("CARGO_PKG_VERSION_MINOR")),
    parse(env!("CARGO_PKG_VERSION_PATCH")),
);

/// The one number of a version; minor and patch must stay below 100 for
/// the number to order versions, so a larger one fails the build.
const fn number(major: c_uint, minor: c_uint, patch: c_uint) -> c_uint {
    assert!(
        minor < 100 && patch < 100,
        "minor or patch too large for ARN_VERSION_NUMBER"
    );
    major * 10000 + minor * 100 + patch
}

/// A decimal version component; fails the build on anything else.
const fn parse(digits: &str) -> c_uint {
    let bytes = digits.as_bytes();
    assert!(!bytes.is_empty(), "empty version component");
    let mut value: c_uint = 0;
    let mut i = 0;
    while i < bytes.len() {
        assert!(
            bytes[i].is_ascii_digit(),
            "version component is not decimal"
        );
        value = value * 10 + (bytes[i] - b'0') as c_uint;
        i += 1;
    }
    value
}
