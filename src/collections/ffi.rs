//! C functions of the arena-native vector (`vec*`) and map (`map*`).
//!
//! A vector or map is a handle that remembers its growing arena's handle
//! and how many times that arena had been reset when it was made. Every
//! call resolves the arena first: a freed arena fails with its handle
//! error, and an arena reset since fails with `ARN_E_STALE_HANDLE` (the
//! container's storage went with the reset). Neither touches the old
//! storage; `vecfr` / `mapfr` still free such a handle.
//!
//! A container is used by one thread at a time, even when its arena has
//! the internal lock: the lock guards the arena, not the container. Calls
//! that overlap on one container (from two threads, or from the callback
//! of `vecit` / `mapit`) fail with `ARN_E_BUSY` rather than race.

use std::cell::UnsafeCell;
use std::ffi::{c_int, c_void};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};

use super::map::{ByteMap, ByteStr};
use super::vec::ByteVec;
use crate::error::{Error, Result};
use crate::ffi::handle::{self, Kind, Object};
use crate::ffi::{args, free_unless_busy, guard, with_ref};
use crate::grow::ArenaAlloc;
use crate::grow::ffi::{arn_grow, with_arena};

/// Handle of an arena-native vector; 0 is never valid.
#[allow(non_camel_case_types)]
pub type arn_vector = u64;

/// Handle of an arena-native map; 0 is never valid.
#[allow(non_camel_case_types)]
pub type arn_map = u64;

/// What a C container keeps in its arena: the vector's or the map's
/// storage.
trait Storage: Send + 'static {
    const KIND: Kind;
    /// The container's name in messages.
    const WHAT: &'static str;
    /// How a stale-handle error names what went with a reset.
    const RESET: &'static str;

    /// Gives the storage back to `arena`.
    ///
    /// # Safety
    ///
    /// `arena` is the container's own, not reset since it was made.
    unsafe fn release(self, arena: &dyn ArenaAlloc);
}

impl Storage for ByteVec {
    const KIND: Kind = Kind::Vector;
    const WHAT: &'static str = "vector";
    const RESET: &'static str = "vector's storage (its arena was reset)";

    unsafe fn release(self, arena: &dyn ArenaAlloc) {
        // SAFETY: the caller's promise. A refusal could only mean a bug
        // (the block is the vector's own); the handle goes either way.
        let _ = unsafe { self.free(arena) };
    }
}

impl Storage for ByteMap {
    const KIND: Kind = Kind::Map;
    const WHAT: &'static str = "map";
    const RESET: &'static str = "map's storage (its arena was reset)";

    unsafe fn release(self, arena: &dyn ArenaAlloc) {
        // SAFETY: the caller's promise.
        unsafe { self.free(arena) }
    }
}

/// The arena a container lives in, as it was when the container was made.
struct Home {
    arena: arn_grow,
    epoch: u64,
}

impl Home {
    /// Runs `f` with the arena, when it lives and was not reset since;
    /// `h` and `kind` name the container in a stale-handle error.
    fn enter<R>(
        &self,
        h: u64,
        kind: &'static str,
        f: impl FnOnce(&dyn ArenaAlloc) -> Result<R>,
    ) -> Result<R> {
        with_arena(self.arena, |a| {
            if a.epoch() != self.epoch {
                return Err(Error::StaleHandle { handle: h, kind });
            }
            f(a)
        })
    }
}

/// A C vector or map: its storage, claimed for each call, and its arena.
struct Container<T> {
    home: Home,
    /// Set while a call has the storage: a second call meanwhile (from
    /// another thread, or from an iterate callback) is refused, not raced.
    busy: AtomicBool,
    inner: UnsafeCell<T>,
}

// SAFETY: no `ALSO` kind. The storage is reached only through a `Claim`,
// one at a time; `T: Send`, so it may move between threads.
unsafe impl<T: Storage> Object for Container<T> {
    const KIND: Kind = T::KIND;
}

/// One call's hold on a container's storage; let go when dropped (also
/// when the call panics).
struct Claim<'a, T>(&'a Container<T>);

impl<T> Deref for Claim<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the claim is the only way to the storage while it lives.
        unsafe { &*self.0.inner.get() }
    }
}

impl<T> DerefMut for Claim<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only use.
        unsafe { &mut *self.0.inner.get() }
    }
}

impl<T> Drop for Claim<'_, T> {
    fn drop(&mut self) {
        self.0.busy.store(false, Ordering::Release);
    }
}

impl<T: Storage> Container<T> {
    /// Makes the storage in `arena` and a handle for it.
    fn make(arena: arn_grow, build: impl FnOnce(&dyn ArenaAlloc) -> Result<T>) -> Result<u64> {
        let (inner, epoch) = with_arena(arena, |a| Ok((build(a)?, a.epoch())))?;
        handle::insert(Container {
            home: Home { arena, epoch },
            busy: AtomicBool::new(false),
            inner: UnsafeCell::new(inner),
        })
    }

    /// Runs `f` with the arena, when it lives and was not reset since.
    fn enter<R>(&self, h: u64, f: impl FnOnce(&dyn ArenaAlloc) -> Result<R>) -> Result<R> {
        self.home.enter(h, T::RESET, f)
    }

    /// Claims the storage for one call; `None` while another call has it.
    #[inline(always)]
    fn try_claim(&self) -> Option<Claim<'_, T>> {
        // Acquire: what the last claim wrote is seen. (A `Claim` made and
        // dropped here would let go of another call's claim: none is made
        // unless the swap found the storage free.)
        (!self.busy.swap(true, Ordering::Acquire)).then(|| Claim(self))
    }

    /// Claims the storage for one call; a held claim means an overlapping
    /// call.
    fn claim(&self) -> Result<Claim<'_, T>> {
        self.try_claim().ok_or_else(|| {
            Error::Busy(format!(
                "the {} is in use by another call (its iterate callback or another thread)",
                T::WHAT
            ))
        })
    }
}

/// Runs `f` on the container behind `h`, its storage locked, and its arena.
fn with_container<T: Storage, R>(
    h: u64,
    f: impl FnOnce(&mut T, &dyn ArenaAlloc) -> Result<R>,
) -> Result<R> {
    with_ref(h, |c: &Container<T>| {
        let mut inner = c.claim()?;
        c.enter(h, |a| f(&mut inner, a))
    })
}

/// The hot path of a container call: `f` on the claimed storage and the
/// arena, or `None` when the handle is bad, the storage busy, the arena
/// gone or reset, or `f` gives up. Nothing changed then, and the caller's
/// slow path (`with_container`) does the call the careful way or explains
/// why it fails.
#[inline(always)]
fn container_fast<T: Storage, R>(
    h: u64,
    f: impl FnOnce(&mut T, &dyn ArenaAlloc) -> Option<R>,
) -> Option<R> {
    let c = handle::find::<Container<T>>(h)?;
    // SAFETY: the handle is live, so `c` points at its container, which is
    // not freed while this call runs (the C contract of every handle).
    let c = unsafe { c.as_ref() };
    let mut inner = c.try_claim()?;
    c.enter(h, |a| Ok(f(&mut inner, a))).ok().flatten()
}

/// Frees the container behind `h`; its storage goes back to the arena when
/// the arena still lives and was not reset.
fn free_container<T: Storage>(h: u64) -> Result<()> {
    let Container { home, inner, .. } =
        *free_unless_busy(h, |c: &Container<T>| c.claim().map(drop))?;
    let inner = inner.into_inner();
    let _gone = home.enter(h, T::RESET, |a| {
        // SAFETY: `enter` admits only the container's own arena, not reset.
        unsafe { inner.release(a) };
        Ok(())
    });
    Ok(())
}

/// The walk of `vecit` / `mapit`: `body` visits the locked storage with
/// the callback and returns 0 after a full walk or the callback's nonzero
/// value; -1 on failure.
fn walk<T: Storage, F>(
    name: &'static str,
    h: u64,
    f: Option<F>,
    body: impl FnOnce(&Container<T>, &T, F) -> Result<c_int>,
) -> c_int {
    let mut stopped = -1;
    guard::status(name, || {
        let f = f.ok_or_else(|| Error::invalid("fn is NULL"))?;
        with_ref(h, |c: &Container<T>| {
            let inner = c.claim()?;
            stopped = body(c, &inner, f)?;
            Ok(())
        })
    });
    stopped
}

/// The loop of a walk: takes the items one at a time, checking the arena
/// before each (the callback may have reset it), and calls `visit` on each
/// until it returns nonzero. Returns that value, or 0 after the last item.
fn each<T: Storage, I>(
    c: &Container<T>,
    h: u64,
    mut items: impl Iterator<Item = I>,
    mut visit: impl FnMut(I) -> Result<c_int>,
) -> Result<c_int> {
    while let Some(item) = c.enter(h, |_| Ok(items.next()))? {
        let r = visit(item)?;
        if r != 0 {
            return Ok(r);
        }
    }
    Ok(0)
}

/// `len` bytes to read at `p`: NULL is allowed when `len` is 0.
///
/// # Safety
///
/// `p` is NULL or valid for reading `len` bytes during the call.
unsafe fn input<'a>(p: *const c_void, len: usize, what: &str) -> Result<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    let p = args::bytes(p, len, what)?;
    // SAFETY: the caller's promise. The bytes may lie in the arena (even
    // in this container's blocks); they are read before anything is freed.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// An output array of `max` entries; NULL is allowed when `max` is 0.
///
/// # Safety
///
/// `p` is NULL or valid for writing `max` `T`s.
unsafe fn output<'a, T>(p: *mut T, max: usize, what: &str) -> Result<&'a mut [T]> {
    if max == 0 {
        return Ok(&mut []);
    }
    // SAFETY: the caller's promise; `out_opt` checks the alignment.
    if unsafe { args::out_opt(p, what) }?.is_none() {
        return Err(Error::invalid(format!(
            "{what} is NULL with room for {max}"
        )));
    }
    // SAFETY: the caller's promise, non-NULL and aligned.
    Ok(unsafe { std::slice::from_raw_parts_mut(p, max) })
}

/// Where an audit writes how many it found; NULL is an invalid argument.
///
/// # Safety
///
/// `p` is NULL or valid for writing a `size_t`.
unsafe fn count_out<'a>(p: *mut usize) -> Result<&'a mut usize> {
    // SAFETY: the caller's promise.
    unsafe { args::out_opt(p, "out_count") }?.ok_or_else(|| Error::invalid("out_count is NULL"))
}

/// Runs `f` on the vector behind `h` and its arena.
fn with_vector<R>(
    h: arn_vector,
    f: impl FnOnce(&mut ByteVec, &dyn ArenaAlloc) -> Result<R>,
) -> Result<R> {
    with_container(h, f)
}

/// Element callback of `vecit`: `ctx` as given, the element's index and a
/// pointer to it (writable, valid during the call).
#[allow(non_camel_case_types)]
pub type arn_vector_fn =
    Option<unsafe extern "C" fn(ctx: *mut c_void, index: usize, elem: *mut c_void) -> c_int>;

/// Entry callback of `mapit`: `ctx` as given, the key and value bytes
/// (valid during the call; a zero-length one is a non-NULL pointer that
/// must not be read).
#[allow(non_camel_case_types)]
pub type arn_map_fn = Option<
    unsafe extern "C" fn(
        ctx: *mut c_void,
        key: *const c_void,
        klen: usize,
        val: *const c_void,
        vlen: usize,
    ) -> c_int,
>;

/// Makes a vector of `elem_size`-byte elements in growing arena `arena`,
/// with room for `capacity` elements (0: nothing allocated until the first
/// push). Its storage is one arena block aligned to 16 bytes, grown by
/// doubling (in place when it is the arena's last allocation).
///
/// Returns the vector's handle, to be freed with `vecfr`; 0 on failure:
/// `ARN_E_INVALID_ARGUMENT` for a zero `elem_size` or an overflowing
/// `elem_size * capacity`, the arena's errors when it has no memory
/// (`ARN_E_CAPACITY`, `ARN_E_SYSTEM`), handle errors for a bad `arena`.
#[unsafe(no_mangle)]
pub extern "C" fn vecmk(arena: arn_grow, elem_size: usize, capacity: usize) -> arn_vector {
    guard::value("vecmk", || {
        Container::make(arena, |a| ByteVec::new(a, elem_size, capacity))
    })
}

/// Appends a copy of the `elem_size` bytes at `elem` (which may point at
/// an element of this vector). Growing moves the storage: pointers from
/// `vecat` are then dead.
///
/// Returns 0; `ARN_E_INVALID_ARGUMENT` for a NULL `elem`, the arena's
/// errors when it has no memory to grow (the vector is unchanged),
/// `ARN_E_STALE_HANDLE` when the arena was reset since `vecmk`,
/// `ARN_E_BUSY` from inside `vecit`'s callback, handle errors.
///
/// # Safety
///
/// `elem` is valid for reading `elem_size` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vecps(v: arn_vector, elem: *const c_void) -> c_int {
    // SAFETY (both paths): the caller's promise. The fast path pushes
    // only when there is room; the slow one grows or explains.
    let push = move |vec: &mut ByteVec, a: &dyn ArenaAlloc| {
        let p = args::bytes(elem, vec.elem_size(), "elem")?;
        unsafe { vec.push(a, p) }
    };
    guard::status_hot(
        "vecps",
        move || {
            // SAFETY: the caller's promise.
            let fast = |vec: &mut ByteVec, _: &dyn ArenaAlloc| unsafe {
                (!elem.is_null() && vec.push_in_place(elem.cast())).then_some(())
            };
            container_fast(v, fast).is_some()
        },
        move || with_vector(v, push),
    )
}

/// A pointer to the element at `index`, inside the arena: valid (for
/// reading and writing `elem_size` bytes) until the next call that may move
/// or drop the storage (`vecps`, `vecri`, `vecrm`, `vecrs`, `vecfr`, or
/// a reset or free of the arena).
///
/// NULL on failure: `ARN_E_OUT_OF_BOUNDS` for `index >= vecln`,
/// `ARN_E_STALE_HANDLE` after a reset of the arena, `ARN_E_BUSY`, handle
/// errors.
#[unsafe(no_mangle)]
pub extern "C" fn vecat(v: arn_vector, index: usize) -> *mut c_void {
    let at = move |vec: &mut ByteVec, _: &dyn ArenaAlloc| Ok(vec.at(index)?.as_ptr().cast());
    guard::value_hot(
        "vecat",
        move || container_fast(v, |vec, a| at(vec, a).ok()),
        move || with_vector(v, at),
    )
}

/// Overwrites the element at `index` with the `elem_size` bytes at `elem`.
///
/// Returns 0; `ARN_E_OUT_OF_BOUNDS` for `index >= vecln`,
/// `ARN_E_INVALID_ARGUMENT` for a NULL `elem` (nothing changes), the
/// errors of `vecps`.
///
/// # Safety
///
/// `elem` is valid for reading `elem_size` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vecpt(v: arn_vector, index: usize, elem: *const c_void) -> c_int {
    guard::status("vecpt", || {
        with_vector(v, |vec, _| {
            let p = args::bytes(elem, vec.elem_size(), "elem")?;
            // SAFETY: the caller's promise.
            unsafe { vec.set(index, p) }
        })
    })
}

/// Removes the first element equal, byte for byte, to the `elem_size`
/// bytes at `elem`, shifting the later ones down.
///
/// Returns 1 when one was removed, 0 when none is equal, -1 on failure
/// with the last error set (`ARN_E_INVALID_ARGUMENT` for a NULL `elem`,
/// `ARN_E_STALE_HANDLE`, `ARN_E_BUSY`, handle errors).
///
/// # Safety
///
/// `elem` is valid for reading `elem_size` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vecrm(v: arn_vector, elem: *const c_void) -> c_int {
    let mut removed = -1;
    guard::status("vecrm", || {
        with_vector(v, |vec, _| {
            let p = args::bytes(elem, vec.elem_size(), "elem")?;
            // SAFETY: the caller's promise.
            removed = c_int::from(unsafe { vec.remove_value(p) });
            Ok(())
        })
    });
    removed
}

/// Removes the element at `index`, shifting the later ones down.
///
/// Returns 0; `ARN_E_OUT_OF_BOUNDS` for `index >= vecln`,
/// `ARN_E_STALE_HANDLE`, `ARN_E_BUSY`, handle errors.
#[unsafe(no_mangle)]
pub extern "C" fn vecri(v: arn_vector, index: usize) -> c_int {
    guard::status("vecri", || with_vector(v, |vec, _| vec.remove(index)))
}

/// The index of the first element equal, byte for byte, to the
/// `elem_size` bytes at `elem`.
///
/// Returns the index; -1 when no element is equal (the last error is not
/// touched); -2 on failure with the last error set
/// (`ARN_E_INVALID_ARGUMENT` for a NULL `elem`, `ARN_E_STALE_HANDLE`,
/// `ARN_E_BUSY`, handle errors).
///
/// # Safety
///
/// `elem` is valid for reading `elem_size` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vecix(v: arn_vector, elem: *const c_void) -> i64 {
    let mut found = -2;
    guard::status("vecix", || {
        with_vector(v, |vec, _| {
            let p = args::bytes(elem, vec.elem_size(), "elem")?;
            // SAFETY: the caller's promise.
            found = unsafe { vec.index_of(p) }.map_or(-1, |i| i as i64);
            Ok(())
        })
    });
    found
}

/// Number of elements; 0 with the last error set on failure
/// (`ARN_E_STALE_HANDLE`, `ARN_E_BUSY`, handle errors).
#[unsafe(no_mangle)]
pub extern "C" fn vecln(v: arn_vector) -> usize {
    guard::value("vecln", || with_vector(v, |vec, _| Ok(vec.len())))
}

/// Number of elements that fit before the storage grows; 0 with the last
/// error set on failure (as `vecln`).
#[unsafe(no_mangle)]
pub extern "C" fn vecca(v: arn_vector) -> usize {
    guard::value("vecca", || with_vector(v, |vec, _| Ok(vec.capacity())))
}

/// Removes every element; the storage stays for reuse.
///
/// Returns 0; `ARN_E_STALE_HANDLE`, `ARN_E_BUSY`, handle errors.
#[unsafe(no_mangle)]
pub extern "C" fn vecrs(v: arn_vector) -> c_int {
    guard::status("vecrs", || {
        with_vector(v, |vec, _| {
            vec.clear();
            Ok(())
        })
    })
}

/// Calls `fn(ctx, index, elem)` for each element in order. The walk stops
/// early when `fn` returns nonzero. `fn` may write the element; it must not
/// keep `elem`. Any `vec*` call on this vector from inside `fn` fails with
/// `ARN_E_BUSY`; resetting or freeing the arena from inside `fn` stops the
/// walk with that arena's error before the next element.
///
/// Returns 0 when every element was visited; `fn`'s value when it stopped
/// the walk (so `fn` should stop with a positive value); -1 on failure
/// with the last error set (`ARN_E_INVALID_ARGUMENT` for a NULL `fn`,
/// `ARN_E_STALE_HANDLE`, `ARN_E_BUSY`, handle errors).
///
/// # Safety
///
/// `fn` is safe to call with `ctx` and the elements.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vecit(v: arn_vector, r#fn: arn_vector_fn, ctx: *mut c_void) -> c_int {
    walk("vecit", v, r#fn, |c, vec: &ByteVec, f| {
        // The length cannot change during the walk: the vector is locked.
        let elems = (0..vec.len()).map(|i| (i, vec.at(i)));
        each(c, v, elems, |(i, p)| {
            // SAFETY: the caller's promise; `p` is a live element.
            Ok(unsafe { f(ctx, i, p?.as_ptr().cast()) })
        })
    })
}

/// Frees the vector: its storage goes back to the arena (when the arena
/// still lives and was not reset; otherwise only the handle goes).
///
/// Returns 0; `ARN_E_DOUBLE_FREE` for a vector already freed,
/// `ARN_E_BUSY` from inside `vecit`'s callback, other handle errors.
#[unsafe(no_mangle)]
pub extern "C" fn vecfr(v: arn_vector) -> c_int {
    guard::status("vecfr", || free_container::<ByteVec>(v))
}

/// Audits the vector: treats the pointer-sized field at byte `offset` of
/// each element as a pointer and finds the elements where it is neither
/// NULL nor inside the arena. Writes how many there are
/// to `*out_count` and the first `max` of their indices, in order, to
/// `indices` (which may be NULL when `max` is 0).
///
/// Returns 0; `ARN_E_INVALID_ARGUMENT` when `offset + sizeof(void *)`
/// exceeds `elem_size`, `out_count` is NULL, or `indices` is NULL with a
/// nonzero `max` (nothing written); `ARN_E_STALE_HANDLE`, `ARN_E_BUSY`,
/// handle errors.
///
/// # Safety
///
/// `out_count` is valid for writing a `size_t`, `indices` for `max`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vecau(
    v: arn_vector,
    offset: usize,
    out_count: *mut usize,
    indices: *mut usize,
    max: usize,
) -> c_int {
    guard::status("vecau", || {
        // SAFETY: the caller's promise.
        let (count, out) = unsafe { (count_out(out_count)?, output(indices, max, "indices")?) };
        let found = with_vector(v, |vec, a| vec.audit(a, offset))?;
        for (slot, i) in out.iter_mut().zip(&found) {
            *slot = *i;
        }
        *count = found.len();
        Ok(())
    })
}

/// Runs `f` on the map behind `h` and its arena.
fn with_map<R>(
    h: arn_map,
    f: impl FnOnce(&mut ByteMap, &dyn ArenaAlloc) -> Result<R>,
) -> Result<R> {
    with_container(h, f)
}

/// Makes a hash map in growing arena `arena` with room for `capacity`
/// entries before it grows (0: nothing allocated until the first put).
/// Keys and values are byte strings, copied into the arena by `mappt`; the
/// table (control bytes and entries) is one arena block.
///
/// Returns the map's handle, to be freed with `mapfr`; 0 on failure:
/// `ARN_E_INVALID_ARGUMENT` for an overflowing `capacity`, the arena's
/// errors when it has no memory, handle errors for a bad `arena`.
#[unsafe(no_mangle)]
pub extern "C" fn mapmk(arena: arn_grow, capacity: usize) -> arn_map {
    guard::value("mapmk", || {
        Container::make(arena, |a| ByteMap::new(a, capacity))
    })
}

/// Puts a copy of the `vlen` bytes at `val` under a copy of the `klen`
/// bytes at `key`; a value already under the key is replaced: overwritten
/// in place when it has the same length (so a put that only changes the
/// value allocates nothing), else its memory goes back to the arena.
/// Either way pointers from `mapgt` to the old value are dead (the tracking
/// build always moves the value, so that reads through them are caught).
/// `key` and `val` may be NULL when their
/// length is 0 (the empty key is a key like any other); they may point
/// into the arena, even into this map.
///
/// Returns 0; `ARN_E_INVALID_ARGUMENT` for a NULL `key` or `val` with a
/// nonzero length, the arena's errors when it has no memory (the map is
/// unchanged), `ARN_E_STALE_HANDLE` when the arena was reset since
/// `mapmk`, `ARN_E_BUSY` from inside `mapit`'s callback, handle errors.
///
/// # Safety
///
/// `key` is valid for reading `klen` bytes, `val` for `vlen`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mappt(
    m: arn_map,
    key: *const c_void,
    klen: usize,
    val: *const c_void,
    vlen: usize,
) -> c_int {
    // SAFETY (all three): the caller's promise; `with_map` and
    // `container_fast` pass the map's own arena. A put that fails changes
    // nothing, so the slow path may put again to explain.
    let args = move || -> Result<_> {
        unsafe { Ok((input(key, klen, "key")?, input(val, vlen, "val")?)) }
    };
    let put = move |map: &mut ByteMap, a: &dyn ArenaAlloc, (k, v)| unsafe { map.put(a, k, v) };
    guard::status_hot(
        "mappt",
        move || {
            let kv = args().ok();
            kv.and_then(|kv| container_fast(m, |map, a| put(map, a, kv).ok()))
                .is_some()
        },
        move || {
            let kv = args()?;
            with_map(m, |map, a| put(map, a, kv))
        },
    )
}

/// The value under the `klen` bytes at `key`, in the arena: valid until
/// the next call that changes this key or the map (`mappt` of the same
/// key, `maprm`, `maprs`, `mapfr`, a reset or free of the arena). Its
/// length goes to `*vlen` (when `vlen` is not NULL). A zero-length value
/// gives a non-NULL pointer that must not be read.
///
/// NULL when the key is absent (`*vlen` set to 0, the last error not
/// touched) and on failure with the last error set: `ARN_E_INVALID_ARGUMENT`
/// for a NULL `key` with a nonzero `klen`, `ARN_E_STALE_HANDLE`,
/// `ARN_E_BUSY`, handle errors. Use `maphs` (or `arnec` first) to tell
/// the two apart.
///
/// # Safety
///
/// `key` is valid for reading `klen` bytes; `vlen` is NULL or valid for
/// writing a `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mapgt(
    m: arn_map,
    key: *const c_void,
    klen: usize,
    vlen: *mut usize,
) -> *const c_void {
    // SAFETY: the caller's promise.
    let args = move || -> Result<_> {
        unsafe { Ok((input(key, klen, "key")?, args::out_opt(vlen, "vlen")?)) }
    };
    let answer = |found: Option<ByteStr>, len_out: Option<&mut usize>| {
        let (p, n) = found.map_or((std::ptr::null(), 0), |v| (v.as_ptr(), v.len()));
        if let Some(out) = len_out {
            *out = n;
        }
        p.cast_mut().cast()
    };
    let p: *mut c_void = guard::value_hot(
        "mapgt",
        move || {
            let (k, len_out) = args().ok()?;
            let found = container_fast(m, |map: &mut ByteMap, _| Some(map.get(k)))?;
            Some(answer(found, len_out))
        },
        move || {
            let (k, len_out) = args()?;
            let found = with_map(m, |map, _| Ok(map.get(k)))?;
            Ok(answer(found, len_out))
        },
    );
    p.cast_const()
}

/// Whether the map has the `klen` bytes at `key` as a key: 1 yes, 0 no,
/// -1 on failure with the last error set (the errors of `mapgt`).
///
/// # Safety
///
/// `key` is valid for reading `klen` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn maphs(m: arn_map, key: *const c_void, klen: usize) -> c_int {
    let mut has = -1;
    guard::status("maphs", || {
        // SAFETY: the caller's promise.
        let k = unsafe { input(key, klen, "key") }?;
        has = c_int::from(with_map(m, |map, _| Ok(map.get(k).is_some()))?);
        Ok(())
    });
    has
}

/// Removes the `klen` bytes at `key` and its value; their memory goes
/// back to the arena.
///
/// Returns 1 when the key was there, 0 when it was not, -1 on failure with
/// the last error set (the errors of `mapgt`).
///
/// # Safety
///
/// `key` is valid for reading `klen` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn maprm(m: arn_map, key: *const c_void, klen: usize) -> c_int {
    let mut removed = -1;
    guard::status("maprm", || {
        // SAFETY: the caller's promise.
        let k = unsafe { input(key, klen, "key") }?;
        // SAFETY: `with_map` passes the map's own arena.
        removed = c_int::from(with_map(m, |map, a| Ok(unsafe { map.remove(a, k) }))?);
        Ok(())
    });
    removed
}

/// Number of entries; 0 with the last error set on failure
/// (`ARN_E_STALE_HANDLE`, `ARN_E_BUSY`, handle errors).
#[unsafe(no_mangle)]
pub extern "C" fn mapln(m: arn_map) -> usize {
    guard::value("mapln", || with_map(m, |map, _| Ok(map.len())))
}

/// Removes every entry (their memory goes back to the arena); the table
/// stays for reuse.
///
/// Returns 0; `ARN_E_STALE_HANDLE`, `ARN_E_BUSY`, handle errors.
#[unsafe(no_mangle)]
pub extern "C" fn maprs(m: arn_map) -> c_int {
    guard::status("maprs", || {
        // SAFETY: `with_map` passes the map's own arena.
        with_map(m, |map, a| {
            unsafe { map.clear(a) };
            Ok(())
        })
    })
}

/// Puts copies of `key` and `val` only when the key is absent.
///
/// Returns 1 when they were added, 0 when the key was present (nothing
/// changes), -1 on failure with the last error set (the errors of
/// `mappt`).
///
/// # Safety
///
/// As for `mappt`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mapad(
    m: arn_map,
    key: *const c_void,
    klen: usize,
    val: *const c_void,
    vlen: usize,
) -> c_int {
    let mut added = -1;
    guard::status("mapad", || {
        // SAFETY: the caller's promise.
        let (k, v) = unsafe { (input(key, klen, "key")?, input(val, vlen, "val")?) };
        // SAFETY: `with_map` passes the map's own arena.
        added = c_int::from(with_map(m, |map, a| unsafe { map.add_if_absent(a, k, v) })?);
        Ok(())
    });
    added
}

/// Calls `fn(ctx, key, klen, val, vlen)` for each entry, in the map's
/// order (which differs from map to map). The walk stops early when `fn`
/// returns nonzero. `fn` must not write or keep the bytes. Any `map*` call
/// on this map from inside `fn` fails with `ARN_E_BUSY`; resetting or
/// freeing the arena from inside `fn` stops the walk with that error
/// before the next entry.
///
/// Returns 0 when every entry was visited; `fn`'s value when it stopped
/// the walk (so `fn` should stop with a positive value); -1 on failure
/// with the last error set (`ARN_E_INVALID_ARGUMENT` for a NULL `fn`,
/// `ARN_E_STALE_HANDLE`, `ARN_E_BUSY`, handle errors).
///
/// # Safety
///
/// `fn` is safe to call with `ctx` and the entries.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mapit(m: arn_map, r#fn: arn_map_fn, ctx: *mut c_void) -> c_int {
    walk("mapit", m, r#fn, |c, map: &ByteMap, f| {
        each(c, m, map.entries(), |(k, v)| {
            // SAFETY: the caller's promise; both are live blocks.
            Ok(unsafe { f(ctx, k.as_ptr().cast(), k.len(), v.as_ptr().cast(), v.len()) })
        })
    })
}

/// Frees the map: its entries and table go back to the arena (when the
/// arena still lives and was not reset; otherwise only the handle goes).
///
/// Returns 0; `ARN_E_DOUBLE_FREE` for a map already freed, `ARN_E_BUSY`
/// from inside `mapit`'s callback, other handle errors.
#[unsafe(no_mangle)]
pub extern "C" fn mapfr(m: arn_map) -> c_int {
    guard::status("mapfr", || free_container::<ByteMap>(m))
}

/// Audits the map's values: treats the pointer-sized field at byte
/// `offset` of each value as a pointer and finds the entries where it is
/// neither NULL nor inside the arena (values shorter than `offset +
/// sizeof(void *)` are skipped). It also checks that the map's own blocks
/// (table, keys, values) are inside the arena, which always holds unless
/// memory was corrupted: an entry whose blocks are not is reported too,
/// and a table that is not is reported as a NULL key.
///
/// Writes how many there are to `*out_count` and the first `max` keys
/// (pointer into the arena and length) to `keys` and `klens` (which may be
/// NULL when `max` is 0). Returns 0; `ARN_E_INVALID_ARGUMENT` when
/// `out_count` is NULL or `keys` / `klens` is NULL with a nonzero `max`
/// (nothing written); `ARN_E_STALE_HANDLE`, `ARN_E_BUSY`, handle errors.
///
/// # Safety
///
/// `out_count` is valid for writing a `size_t`, `keys` and `klens` for
/// `max` entries each.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mapau(
    m: arn_map,
    offset: usize,
    out_count: *mut usize,
    keys: *mut *const c_void,
    klens: *mut usize,
    max: usize,
) -> c_int {
    guard::status("mapau", || {
        // SAFETY: the caller's promise.
        let count = unsafe { count_out(out_count) }?;
        // SAFETY: the caller's promise.
        let (keys, klens) = unsafe { (output(keys, max, "keys")?, output(klens, max, "klens")?) };
        let found = with_map(m, |map, a| Ok(map.audit(a, offset)))?;
        for ((kp, kl), k) in keys.iter_mut().zip(klens.iter_mut()).zip(&found) {
            let (p, n) = k.map_or((std::ptr::null(), 0), |k: ByteStr| (k.as_ptr(), k.len()));
            *kp = p.cast();
            *kl = n;
        }
        *count = found.len();
        Ok(())
    })
}

// Deprecated spellings, kept for one release (CHANGELOG.md lists them).
// Each behaves exactly as its new name, which its errors carry.

/// Deprecated spelling of `vecca` (the capacity; `cp` means copy), kept
/// for one release.
#[deprecated(note = "renamed vecca")]
#[unsafe(no_mangle)]
pub extern "C" fn veccp(v: arn_vector) -> usize {
    vecca(v)
}

/// Deprecated spelling of `vecpt` (put at an index; `st` means stats),
/// kept for one release.
///
/// # Safety
///
/// As `vecpt`.
#[deprecated(note = "renamed vecpt")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vecst(v: arn_vector, index: usize, elem: *const c_void) -> c_int {
    // SAFETY: the caller's promise, which is `vecpt`'s.
    unsafe { vecpt(v, index, elem) }
}

/// Deprecated spelling of `vecrs` (empty the vector; `cl` means clone),
/// kept for one release.
#[deprecated(note = "renamed vecrs")]
#[unsafe(no_mangle)]
pub extern "C" fn veccl(v: arn_vector) -> c_int {
    vecrs(v)
}

/// Deprecated spelling of `maprs` (empty the map; `cl` means clone), kept
/// for one release.
#[deprecated(note = "renamed maprs")]
#[unsafe(no_mangle)]
pub extern "C" fn mapcl(m: arn_map) -> c_int {
    maprs(m)
}
