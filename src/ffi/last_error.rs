//! The thread's last error, errno style: set by every failing call, kept by
//! successful ones, cleared only by `arnec`.

use std::cell::{Cell, RefCell};
use std::ffi::{CString, c_char, c_int};

use crate::error::Error;

thread_local! {
    static CODE: Cell<c_int> = const { Cell::new(0) };
    static MESSAGE: RefCell<CString> = RefCell::new(CString::default());
}

/// Records `e` as this thread's last error, prefixed with `name`.
pub(crate) fn set(name: &str, e: &Error) {
    let text = format!("{name}: {e}").replace('\0', " ");
    let text = CString::new(text).unwrap_or_default();
    // During thread teardown the slots may be gone: then there is no one
    // left to read the error, and dropping it is right.
    let _ = CODE.try_with(|c| c.set(e.code()));
    let _ = MESSAGE.try_with(|m| *m.borrow_mut() = text);
}

/// The `ARN_E_*` code of this thread's last failed call, or 0 (`ARN_OK`)
/// when none failed since the thread started or since `arnec()`.
///
/// A successful call does not clear it.
#[unsafe(no_mangle)]
pub extern "C" fn arner() -> c_int {
    CODE.try_with(Cell::get).unwrap_or(0)
}

/// The message of this thread's last error: the function's name, the class
/// and the numbers involved, e.g. `arnal: arena out of memory: asked 128
/// bytes, 64 left of 1048576`. An empty string when there is none.
///
/// Never NULL. The string belongs to the library and stays valid until this
/// thread's next failed call or `arnec()`; copy it to keep it.
#[unsafe(no_mangle)]
pub extern "C" fn arnem() -> *const c_char {
    MESSAGE
        .try_with(|m| m.borrow().as_ptr())
        .unwrap_or(c"".as_ptr())
}

/// Clears this thread's last error: `arner()` returns 0 and `arnem()` "".
#[unsafe(no_mangle)]
pub extern "C" fn arnec() {
    let _ = CODE.try_with(|c| c.set(0));
    let _ = MESSAGE.try_with(|m| *m.borrow_mut() = CString::default());
}
