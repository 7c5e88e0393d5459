//! The C boundary, written once for every allocator.
//!
//! An exported function is `guard::value` or `guard::status` around a
//! closure that checks its arguments with `args`, resolves its handle with
//! `with` and calls the safe core. The guard turns an `Err` (or a panic)
//! into the failure value and the thread's last error.

pub(crate) mod args;
pub(crate) mod guard;
pub(crate) mod handle;
pub(crate) mod last_error;

use crate::error::Result;
use guard::Failure;
use handle::Object;

/// Runs `f` on the object behind handle `h`.
///
/// The C contract makes this sound: an arn-family object is used by one
/// thread at a time and is not freed while a call on it runs, and no arn call
/// re-enters another on the same object.
#[inline(always)]
pub(crate) fn with<T: Object, R>(h: u64, f: impl FnOnce(&mut T) -> Result<R>) -> Result<R> {
    let mut p = handle::get::<T>(h)?;
    // SAFETY: the handle is live, so `p` points at its `T`; the contract
    // above gives this call the only reference to it.
    f(unsafe { p.as_mut() })
}

/// Runs `f` on a shared reference to the object behind handle `h`, for
/// objects that call back into C while a call runs (the object pool): a
/// callback may re-enter the same object, so no `&mut` to it may be alive
/// across the callback. The object keeps its state in cells and refuses
/// to be freed while one of its callbacks runs.
#[inline(always)]
pub(crate) fn with_ref<T: Object, R>(h: u64, f: impl FnOnce(&T) -> Result<R>) -> Result<R> {
    let p = handle::get::<T>(h)?;
    // SAFETY: the handle is live, so `p` points at its `T`, which is not
    // freed while this call runs (the C contract, and the object's own
    // refusal to be freed from inside its callbacks).
    f(unsafe { p.as_ref() })
}

/// Frees the object behind `h` (the `*fr` functions and their kin): takes
/// it out of the handle table and drops it. A handle freed before is a
/// double free.
#[inline(always)]
pub(crate) fn free<T: Object>(h: u64) -> Result<()> {
    match handle::try_free::<T>(h) {
        true => Ok(()),
        false => Err(handle::free_error::<T>(h)),
    }
}

/// The hot-path form of `guard::status(name, || free::<T>(h))`, for the
/// handles that come and go with every operation (bytes, slices).
#[inline(always)]
pub(crate) fn free_hot<T: Object>(name: &'static str, h: u64) -> std::ffi::c_int {
    guard::status_hot(name, move || handle::try_free::<T>(h), move || free::<T>(h))
}

/// Takes the object behind `h` out of the handle table, unless `busy` (run
/// on the live object) refuses: a free from inside the object's own
/// callback, say. A bad handle is `remove`'s to explain (a freed one is a
/// double free); only a live object can be busy.
pub(crate) fn free_unless_busy<T: Object>(
    h: u64,
    busy: impl FnOnce(&T) -> Result<()>,
) -> Result<Box<T>> {
    if let Ok(Err(e)) = with_ref(h, |x: &T| Ok(busy(x))) {
        return Err(e);
    }
    handle::remove::<T>(h)
}

/// The hot-path form of `guard::value(name, || with(h, slow))`: `fast`
/// tries the call on the object and `slow` runs, out of line, only when the
/// handle is bad or `fast` returns `None`. Same contract as [`with`].
#[inline(always)]
pub(crate) fn hot<T: Object, R: Failure>(
    name: &'static str,
    h: u64,
    fast: impl FnOnce(&mut T) -> Option<R>,
    slow: impl FnOnce(&mut T) -> Result<R>,
) -> R {
    guard::value_hot(
        name,
        move || {
            let mut p = handle::find::<T>(h)?;
            // SAFETY: as in `with`.
            fast(unsafe { p.as_mut() })
        },
        move || with(h, slow),
    )
}

/// [`hot`] for objects reached by shared reference (see [`with_ref`]).
#[inline(always)]
pub(crate) fn hot_ref<T: Object, R: Failure>(
    name: &'static str,
    h: u64,
    fast: impl FnOnce(&T) -> Option<R>,
    slow: impl FnOnce(&T) -> Result<R>,
) -> R {
    guard::value_hot(
        name,
        move || {
            let p = handle::find::<T>(h)?;
            // SAFETY: as in `with_ref`.
            fast(unsafe { p.as_ref() })
        },
        move || with_ref(h, slow),
    )
}

/// The hot-path form of `guard::value(name, || handle::insert(with_ref(h,
/// slow)?))`, for calls that make a new handle from an object (a buffer
/// from its arena, a clone of bytes): `fast` makes the new object when it
/// can, and `slow` runs, out of line, only when the handle is bad, `fast`
/// returns `None` or the table is full, to make it or explain why not.
/// Same contract as [`with_ref`].
#[inline(always)]
pub(crate) fn hot_new<A: Object, T: Object>(
    name: &'static str,
    h: u64,
    fast: impl FnOnce(&A) -> Option<T>,
    slow: impl FnOnce(&A) -> Result<T>,
) -> u64 {
    guard::value_hot(
        name,
        move || {
            let p = handle::find::<A>(h)?;
            // SAFETY: as in `with_ref`.
            handle::insert_with(|| fast(unsafe { p.as_ref() }))
                .ok()
                .flatten()
        },
        move || handle::insert(with_ref(h, slow)?),
    )
}

/// [`hot_new`] for allocators reached by unique reference (see [`with`]):
/// a slice from its chunk allocator, say.
#[inline(always)]
pub(crate) fn hot_new_mut<A: Object, T: Object>(
    name: &'static str,
    h: u64,
    fast: impl FnOnce(&mut A) -> Option<T>,
    slow: impl FnOnce(&mut A) -> Result<T>,
) -> u64 {
    guard::value_hot(
        name,
        move || {
            let mut p = handle::find::<A>(h)?;
            // SAFETY: as in `with`.
            let make = || fast(unsafe { p.as_mut() });
            handle::insert_with(make).ok().flatten()
        },
        move || handle::insert(with(h, slow)?),
    )
}

/// The status form of [`hot`]: `fast` returns `true` when it served the
/// call; `slow` then runs only to do it the careful way or explain why it
/// fails. Same contract as [`with`].
#[inline(always)]
pub(crate) fn status_hot<T: Object>(
    name: &'static str,
    h: u64,
    fast: impl FnOnce(&mut T) -> bool,
    slow: impl FnOnce(&mut T) -> Result<()>,
) -> std::ffi::c_int {
    guard::status_hot(
        name,
        move || match handle::find::<T>(h) {
            // SAFETY: as in `with`.
            Some(mut p) => fast(unsafe { p.as_mut() }),
            None => false,
        },
        move || with(h, slow),
    )
}

/// The status form of [`hot_ref`]: `fast` returns `true` when it served
/// the call; `slow` then runs only to do it the careful way or explain why
/// it fails.
#[inline(always)]
pub(crate) fn status_hot_ref<T: Object>(
    name: &'static str,
    h: u64,
    fast: impl FnOnce(&T) -> bool,
    slow: impl FnOnce(&T) -> Result<()>,
) -> std::ffi::c_int {
    guard::status_hot(
        name,
        move || match handle::find::<T>(h) {
            // SAFETY: as in `with_ref`.
            Some(p) => fast(unsafe { p.as_ref() }),
            None => false,
        },
        move || with_ref(h, slow),
    )
}
