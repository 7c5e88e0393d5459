//! The Go arena's pointer audit (`AuditPointers` of limpo1989/arena) in
//! Rust terms: a value reports the pointers it holds ([`Pointers`]), and
//! [`audit`] lists those that lie outside an arena. A debugging tool: it walks everything, every time.

use std::fmt::{self, Write as _};
use std::ptr::NonNull;

use super::{ArenaMap, ArenaVec};
use crate::grow::ArenaAlloc;

/// A pointer found outside the arena.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where the pointer sits in the audited value, like `value[3].1` or
    /// `value["key"]`.
    pub path: String,
    /// The address it points at.
    pub addr: usize,
    /// What kind of pointer: `"reference"`, `"slice"`, `"string"`,
    /// `"raw pointer"`, `"box"`, `"heap vec"`, `"heap string"`,
    /// `"vector storage"`, `"map storage"`.
    pub what: &'static str,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} {:#x} outside the arena",
            self.path, self.what, self.addr
        )
    }
}

/// Walks a value for [`audit`], keeping the path to the current part.
pub struct Walker<'a> {
    arena: &'a dyn ArenaAlloc,
    path: String,
    found: Vec<Violation>,
}

impl Walker<'_> {
    /// Checks one pointer held at the current path: NULL is fine, anything
    /// else must point into the arena.
    pub fn pointer(&mut self, addr: *const u8, what: &'static str) {
        if !addr.is_null() && !self.arena.is_managed(addr) {
            self.found.push(Violation {
                path: self.path.clone(),
                addr: addr as usize,
                what,
            });
        }
    }

    /// Walks `part` with `step` (like `[3]` or `.1`) added to the path.
    pub fn step(&mut self, step: fmt::Arguments<'_>, part: &(impl Pointers + ?Sized)) {
        let n = self.path.len();
        // Writing to a String cannot fail.
        let _ = self.path.write_fmt(step);
        part.pointers(self);
        self.path.truncate(n);
    }
}

/// A value that can report the pointers it holds.
///
/// Implement it for your own types by calling [`Pointers::pointers`] on
/// each field through [`Walker::step`], and [`Walker::pointer`] for raw
/// pointers.
pub trait Pointers {
    /// Reports every pointer this value holds, and walks what they point
    /// to where that is safe to read.
    fn pointers(&self, w: &mut Walker<'_>);

    /// What a reference to this type is called in a [`Violation`].
    #[doc(hidden)]
    fn reference_name() -> &'static str {
        "reference"
    }
}

/// The pointers in `value` that lie outside `arena`, with their paths
/// (rooted at `value`).
///
/// ```
/// # fn main() -> arn::Result<()> {
/// let arena = arn::GrowArena::new();
/// let inside: &u64 = arena.alloc_value(1u64)?;
/// let outside = Box::new(2u64);
/// let mut v = arn::ArenaVec::new_in(&arena);
/// v.push(inside)?;
/// v.push(&*outside)?;
/// let found = arn::audit(&arena, &v);
/// assert_eq!(found.len(), 1);
/// assert_eq!(found[0].path, "value[1]");
/// # Ok(()) }
/// ```
///
pub fn audit(arena: &dyn ArenaAlloc, value: &(impl Pointers + ?Sized)) -> Vec<Violation> {
    audit_as(arena, "value", value)
}

/// [`audit`] with the root of the paths called `root`.
pub fn audit_as(
    arena: &dyn ArenaAlloc,
    root: &str,
    value: &(impl Pointers + ?Sized),
) -> Vec<Violation> {
    let mut w = Walker {
        arena,
        path: root.to_owned(),
        found: Vec::new(),
    };
    value.pointers(&mut w);
    w.found
}

macro_rules! no_pointers {
    ($($t:ty),*) => {$(
        impl Pointers for $t {
            fn pointers(&self, _: &mut Walker<'_>) {}
        }
    )*};
}
no_pointers!(
    (),
    bool,
    char,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64
);

impl Pointers for str {
    fn pointers(&self, _: &mut Walker<'_>) {}

    fn reference_name() -> &'static str {
        "string"
    }
}

impl<T: Pointers> Pointers for [T] {
    fn pointers(&self, w: &mut Walker<'_>) {
        for (i, x) in self.iter().enumerate() {
            w.step(format_args!("[{i}]"), x);
        }
    }

    fn reference_name() -> &'static str {
        "slice"
    }
}

impl<T: Pointers, const N: usize> Pointers for [T; N] {
    fn pointers(&self, w: &mut Walker<'_>) {
        self.as_slice().pointers(w);
    }
}

/// Checks where a reference points (unless it points at nothing: an empty
/// slice or string, a zero-sized value), then walks the target.
fn reference<T: Pointers + ?Sized>(r: &T, w: &mut Walker<'_>, what: &'static str) {
    if size_of_val(r) > 0 {
        w.pointer((r as *const T).cast(), what);
    }
    r.pointers(w);
}

impl<T: Pointers + ?Sized> Pointers for &T {
    fn pointers(&self, w: &mut Walker<'_>) {
        reference(*self, w, T::reference_name());
    }
}

impl<T: Pointers + ?Sized> Pointers for &mut T {
    fn pointers(&self, w: &mut Walker<'_>) {
        reference(&**self, w, T::reference_name());
    }
}

impl<T: Pointers + ?Sized> Pointers for Box<T> {
    fn pointers(&self, w: &mut Walker<'_>) {
        reference(&**self, w, "box");
    }
}

/// Raw pointers are checked but not followed: nothing says they may be
/// read.
impl<T: ?Sized> Pointers for *const T {
    fn pointers(&self, w: &mut Walker<'_>) {
        w.pointer(self.cast(), "raw pointer");
    }
}

impl<T: ?Sized> Pointers for *mut T {
    fn pointers(&self, w: &mut Walker<'_>) {
        w.pointer(self.cast_const().cast(), "raw pointer");
    }
}

impl<T: ?Sized> Pointers for NonNull<T> {
    fn pointers(&self, w: &mut Walker<'_>) {
        w.pointer(self.as_ptr().cast_const().cast(), "raw pointer");
    }
}

impl<T: Pointers> Pointers for Option<T> {
    fn pointers(&self, w: &mut Walker<'_>) {
        if let Some(x) = self {
            x.pointers(w);
        }
    }
}

impl Pointers for String {
    fn pointers(&self, w: &mut Walker<'_>) {
        if self.capacity() > 0 {
            w.pointer(self.as_ptr(), "heap string");
        }
    }
}

impl<T: Pointers> Pointers for Vec<T> {
    fn pointers(&self, w: &mut Walker<'_>) {
        if self.capacity() > 0 && size_of::<T>() > 0 {
            w.pointer(self.as_ptr().cast(), "heap vec");
        }
        self.as_slice().pointers(w);
    }
}

macro_rules! tuple {
    ($($i:tt $t:ident),+) => {
        impl<$($t: Pointers),+> Pointers for ($($t,)+) {
            fn pointers(&self, w: &mut Walker<'_>) {
                $(w.step(format_args!(".{}", $i), &self.$i);)+
            }
        }
    };
}
tuple!(0 A);
tuple!(0 A, 1 B);
tuple!(0 A, 1 B, 2 C);
tuple!(0 A, 1 B, 2 C, 3 D);
tuple!(0 A, 1 B, 2 C, 3 D, 4 E);
tuple!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F);

/// The storage is checked (always in the vector's own arena, so outside
/// the audited one only when they differ), then each element as `[i]`.
impl<T: Pointers, A: ArenaAlloc + ?Sized> Pointers for ArenaVec<'_, T, A> {
    fn pointers(&self, w: &mut Walker<'_>) {
        if self.has_storage() {
            w.pointer(self.as_ptr().cast(), "vector storage");
        }
        (**self).pointers(w);
    }
}

/// The storage block is checked, then each entry: its key's pointers at
/// `[key].key`, its value's at `[key]` (`key` in `Debug` form).
impl<K, V, A> Pointers for ArenaMap<'_, K, V, A>
where
    K: Pointers + std::hash::Hash + Eq + fmt::Debug,
    V: Pointers,
    A: ArenaAlloc + ?Sized,
{
    fn pointers(&self, w: &mut Walker<'_>) {
        if let Some(p) = self.storage() {
            w.pointer(p.as_ptr(), "map storage");
        }
        for (k, v) in self.iter() {
            w.step(format_args!("[{k:?}].key"), k);
            w.step(format_args!("[{k:?}]"), v);
        }
    }
}
