//! C functions of the arena and the typed arena.

use std::ffi::{c_char, c_int, c_void};

use super::{Arena, ArenaStats, TypedArena};
use crate::ffi::handle::{self, Kind, Object};
use crate::ffi::{args, free, guard, hot, with};
use crate::mem::align_size;

/// Handle of an arena or a typed arena; 0 is never valid.
#[allow(non_camel_case_types)]
pub type arn_arena = u64;

// SAFETY: no `ALSO` kind.
unsafe impl Object for Arena {
    const KIND: Kind = Kind::Arena;
}

// SAFETY: no `ALSO` kind.
unsafe impl Object for TypedArena {
    const KIND: Kind = Kind::TypedArena;
}

/// Either kind of arena, for the calls that accept both.
#[repr(transparent)]
struct AnyArena(Arena);

// The layout promise of `Object for AnyArena`, checked at compile time.
const _: () = {
    use std::mem::{align_of, needs_drop, size_of};
    assert!(size_of::<TypedArena>() == size_of::<Arena>());
    assert!(align_of::<TypedArena>() == align_of::<Arena>());
    assert!(size_of::<AnyArena>() == size_of::<Arena>());
    assert!(align_of::<AnyArena>() == align_of::<Arena>());
    assert!(needs_drop::<Arena>());
};

// SAFETY: `AnyArena` and `TypedArena` are both `repr(transparent)` over
// `Arena`, and neither has a `Drop` of its own.
unsafe impl Object for AnyArena {
    const KIND: Kind = Kind::Arena;
    const ALSO: Option<Kind> = Some(Kind::TypedArena);
    fn expected() -> &'static str {
        "arena or typed arena"
    }
}

/// Creates an arena of `size` bytes, zero-filled.
///
/// Returns its handle, to be freed with `arnfr`; 0 on failure
/// (`ARN_E_INVALID_ARGUMENT` for a size of 0 or too large, `ARN_E_SYSTEM`
/// when the heap refuses).
#[unsafe(no_mangle)]
pub extern "C" fn arnmk(size: usize) -> arn_arena {
    guard::value("arnmk", || handle::insert(Arena::new(size)?))
}

/// Allocates `bytes` bytes from arena `a`, 8-byte aligned and zero-filled.
/// The size is rounded up to a multiple of 8.
///
/// The memory belongs to the arena and is valid until `arnrs` or `arnfr`.
/// Returns NULL on failure: `ARN_E_CAPACITY` when the arena is full,
/// `ARN_E_INVALID_ARGUMENT` for 0 or an overflowing size, or a handle error.
#[unsafe(no_mangle)]
pub extern "C" fn arnal(a: arn_arena, bytes: usize) -> *mut c_void {
    hot(
        "arnal",
        a,
        move |x: &mut Arena| x.try_alloc_ptr(bytes).map(|p| p.as_ptr().cast()),
        move |x: &mut Arena| x.alloc_ptr(bytes).map(|p| p.as_ptr().cast()),
    )
}

/// Allocates `bytes` zero-filled bytes from arena `a` at a multiple of
/// `align`, a power of two up to `ARN_MAX_ALIGN` (the page size).
///
/// The memory belongs to the arena and is valid until `arnrs` or `arnfr`.
/// Returns NULL on failure, as `arnal`, and `ARN_E_INVALID_ARGUMENT` for a
/// bad alignment.
#[unsafe(no_mangle)]
pub extern "C" fn arnaa(a: arn_arena, bytes: usize, align: usize) -> *mut c_void {
    guard::value("arnaa", || {
        with(a, |x: &mut Arena| x.alloc_aligned_ptr(bytes, align)).map(|p| p.as_ptr().cast())
    })
}

/// Rounds `size` up to a multiple of `alignment`, a power of two up to
/// `ARN_MAX_ALIGN`.
///
/// Returns the rounded size. Returns 0 and sets `ARN_E_INVALID_ARGUMENT`
/// when the alignment is not such a power of two or the result overflows.
/// `arnln(0, a)` is also 0, without an error: call `arnec()` first to tell
/// the two apart.
#[unsafe(no_mangle)]
pub extern "C" fn arnln(size: usize, alignment: usize) -> usize {
    guard::value("arnln", || align_size(size, alignment))
}

/// Resets arena or typed arena `a`: the offset goes back to 0 and the bytes
/// used since the last reset are zeroed. Earlier pointers become invalid.
///
/// Returns 0, or an `ARN_E_*` handle error.
#[unsafe(no_mangle)]
pub extern "C" fn arnrs(a: arn_arena) -> c_int {
    guard::status("arnrs", || {
        with(a, |x: &mut AnyArena| {
            x.0.reset();
            Ok(())
        })
    })
}

/// Frees arena or typed arena `a` and its memory; `a` becomes stale.
///
/// Returns 0; `ARN_E_DOUBLE_FREE` when `a` was already freed, or another
/// handle error.
#[unsafe(no_mangle)]
pub extern "C" fn arnfr(a: arn_arena) -> c_int {
    guard::status("arnfr", || free::<AnyArena>(a))
}

/// Writes the counters of arena or typed arena `a` to `*out`.
///
/// Returns 0, `ARN_E_INVALID_ARGUMENT` when `out` is NULL, or a handle
/// error; `*out` is untouched on failure.
///
/// # Safety
///
/// `out` is NULL or valid for writing an `arn_arena_stats`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn arnst(a: arn_arena, out: *mut ArenaStats) -> c_int {
    guard::status("arnst", || {
        let stats = with(a, |x: &mut AnyArena| Ok(x.0.stats()))?;
        // SAFETY: the caller's promise on `out`.
        unsafe { args::write(out, "out", stats) }
    })
}

/// Tells whether `ptr` points into the bytes that arena or typed arena `a`
/// handed out since its last reset.
///
/// Returns 1 when it does, 0 when it does not, and 0 with the last error
/// set for a bad handle. `ptr` is only compared, never read.
#[unsafe(no_mangle)]
pub extern "C" fn arnow(a: arn_arena, ptr: *const c_void) -> c_int {
    guard::value("arnow", || {
        with(a, |x: &mut AnyArena| Ok(c_int::from(x.0.owns(ptr.cast()))))
    })
}

/// Copies `len` bytes from `src` into arena `a`.
///
/// Returns the copy, owned by the arena and valid until `arnrs` or `arnfr`;
/// NULL on failure, as `arnal`, and `ARN_E_INVALID_ARGUMENT` when `src` is
/// NULL or `len` is 0.
///
/// # Safety
///
/// `src` is NULL or valid for reading `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn arncp(a: arn_arena, src: *const c_void, len: usize) -> *mut c_void {
    guard::value("arncp", || {
        let src = args::bytes(src, len, "src")?;
        // SAFETY: the caller's promise on `src`.
        with(a, |x: &mut Arena| unsafe { x.copy_from_ptr(src, len) }).map(|p| p.as_ptr().cast())
    })
}

/// Copies the NUL-terminated string `s`, terminator included, into arena
/// `a`.
///
/// Returns the copy, owned by the arena and valid until `arnrs` or `arnfr`;
/// NULL on failure, as `arnal`, and `ARN_E_INVALID_ARGUMENT` when `s` is
/// NULL.
///
/// # Safety
///
/// `s` is NULL or a valid NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn arnsd(a: arn_arena, s: *const c_char) -> *mut c_char {
    guard::value("arnsd", || {
        // SAFETY: the caller's promise on `s`.
        let (src, len) = unsafe { args::cstr(s, "s") }?;
        // SAFETY: `src` is readable for `len` bytes, terminator included.
        with(a, |x: &mut Arena| unsafe { x.copy_from_ptr(src, len) }).map(|p| p.as_ptr().cast())
    })
}

/// Creates a typed arena of `capacity` slots of `type_size` bytes. Slots are
/// 8-byte aligned and zero-filled, `arnln(type_size, 8)` bytes apart.
///
/// Returns its handle, to be freed with `arnfr` (an `arn_arena` that
/// `arnrs`, `arnst` and `arnow` accept too); 0 on failure
/// (`ARN_E_INVALID_ARGUMENT` for a zero or overflowing size,
/// `ARN_E_SYSTEM` when the heap refuses).
#[unsafe(no_mangle)]
pub extern "C" fn arntm(type_size: usize, capacity: usize) -> arn_arena {
    guard::value("arntm", || {
        handle::insert(TypedArena::new(type_size, capacity)?)
    })
}

/// Hands out the next slot of typed arena `t` and writes its index to
/// `*index_out` (when not NULL).
///
/// Returns the slot, owned by the arena and valid until `arnrs` or `arnfr`;
/// NULL on failure (`ARN_E_CAPACITY` when every slot is in use, or a handle
/// error).
///
/// # Safety
///
/// `index_out` is NULL or valid for writing a `size_t`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn arnta(t: arn_arena, index_out: *mut usize) -> *mut c_void {
    guard::value("arnta", || {
        // SAFETY: the caller's promise on `index_out`.
        let out = unsafe { args::out_opt(index_out, "index_out") }?;
        let (index, p) = with(t, |x: &mut TypedArena| x.alloc_ptr())?;
        if let Some(out) = out {
            *out = index;
        }
        Ok(p.as_ptr().cast())
    })
}

/// The slot at `index` of typed arena `t`, handed out earlier by `arnta`.
///
/// The slot belongs to the arena and is valid until `arnrs` or `arnfr`.
/// Returns NULL on failure: `ARN_E_OUT_OF_BOUNDS` when `index` is not below
/// the number of slots handed out, or a handle error.
#[unsafe(no_mangle)]
pub extern "C" fn arnti(t: arn_arena, index: usize) -> *mut c_void {
    guard::value("arnti", || {
        with(t, |x: &mut TypedArena| x.slot_ptr(index)).map(|p| p.as_ptr().cast())
    })
}
