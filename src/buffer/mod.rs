//! Writable arena buffers that freeze into [`bytes::Bytes`], shared by the
//! fixed-slot and buddy byte arenas.
//!
//! A [`Buffer`] is a run of arena memory written from the front: it
//! implements [`BufMut`], and [`Buffer::try_put_slice`] reports a write past
//! its capacity as an error. [`Buffer::freeze`] turns it into `Bytes` over
//! the same memory, without copying. The memory goes back to its arena when
//! the buffer is dropped unfrozen, when it spills to the heap, or when the
//! last clone or slice of its `Bytes` drops.
//!
//! Freezing costs one small heap allocation: `bytes` offers no other way to
//! make a `Bytes` whose drop runs our code than `Bytes::from_owner`, which
//! boxes the owner beside its reference count. Everything else on the way
//! (claiming the memory, writing, returning it) takes no lock and no
//! allocation; see the arenas for the atomics each takes.

mod backing;
pub(crate) mod ffi;
#[cfg(all(test, arn_loom))]
mod loom_tests;
pub(crate) mod shared;
#[cfg(all(test, not(arn_loom)))]
mod tests;
pub(crate) mod wait;

use std::mem::ManuallyDrop;
use std::ptr::NonNull;

use bytes::buf::UninitSlice;
use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{Error, Result};

pub(crate) use backing::Backing;
pub use backing::{Dealloc, PageSize, Unfaulted};

/// What a byte arena does with memory it takes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InitPolicy {
    /// Memory is handed out as the last user left it; only the bytes
    /// written become visible in the frozen `Bytes`. The fastest policy.
    #[default]
    Uninit,
    /// Memory is scrubbed when it comes back, so every buffer starts
    /// zeroed and no data passes from one user to the next. The cost is
    /// proportional to the bytes the previous user could have written.
    Zero,
}

/// A byte arena's configuration was refused; nothing was allocated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A count or size that must be at least 1 was 0.
    #[error("{what} must be at least 1")]
    Zero {
        /// What was 0.
        what: &'static str,
    },
    /// A size that must be a power of two is not.
    #[error("{what} must be a power of two, not {value}")]
    NotPowerOfTwo {
        /// What it is.
        what: &'static str,
        /// The value given.
        value: usize,
    },
    /// An alignment above the page size.
    #[error("alignment {align} is above the maximum of 4096")]
    Alignment {
        /// The alignment asked for.
        align: usize,
    },
    /// Sizes that do not fit together; the message says which.
    #[error("{0}")]
    Geometry(String),
    /// A size computation overflowed.
    #[error("{what} is too large: the size overflows")]
    Overflow {
        /// What overflowed.
        what: &'static str,
    },
    /// The operating system refused the memory.
    #[error("the system refused {bytes} bytes of memory: {reason}")]
    System {
        /// The bytes asked of it.
        bytes: usize,
        /// What it said.
        reason: String,
    },
}

impl From<BuildError> for Error {
    fn from(e: BuildError) -> Error {
        match e {
            BuildError::System { bytes, reason } => Error::Refused { bytes, reason },
            other => Error::InvalidArgument(other.to_string()),
        }
    }
}

/// How memory comes back to an arena.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Release {
    /// Bytes from the start that may hold a user's data.
    pub(crate) scrub: usize,
    /// The buffer moved to the heap (counted as a spill).
    pub(crate) spilled: bool,
}

/// What an arena does with the pieces of memory it hands out.
#[derive(Debug)]
pub(crate) struct PieceOps {
    /// Gives piece `token` back to `store`.
    pub(crate) release: unsafe fn(NonNull<()>, usize, Release),
    /// Counts a freeze of piece `token` (the arena's `frozen` counter).
    pub(crate) freeze: unsafe fn(NonNull<()>, usize),
}

/// The arena a piece of memory came from, and how to give it back.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Home {
    /// The arena's shared state; it outlives every piece it handed out.
    pub(crate) store: NonNull<()>,
    /// The arena's functions for its pieces.
    pub(crate) ops: &'static PieceOps,
    /// Which piece, in the arena's own terms.
    pub(crate) token: usize,
}

impl Home {
    /// Gives the piece back.
    ///
    /// # Safety
    ///
    /// Called once per piece, after the last use of its memory.
    #[inline]
    unsafe fn give_back(self, how: Release) {
        // SAFETY: the caller's promise; `store` is alive while the piece is
        // out.
        unsafe { (self.ops.release)(self.store, self.token, how) }
    }

    /// Counts the piece's freeze.
    ///
    /// # Safety
    ///
    /// Called by the piece's owner, while the piece is out.
    #[inline]
    unsafe fn count_freeze(self) {
        // SAFETY: the caller's promise; `store` is alive while the piece is
        // out.
        unsafe { (self.ops.freeze)(self.store, self.token) }
    }
}

/// A writable buffer over arena memory, from `FixedArena::allocate` or
/// `BuddyArena::allocate`.
///
/// Writes go to the front; [`Buffer::freeze`] makes them `Bytes`. A buffer
/// built with auto-spill moves to the heap when a write does not fit, and
/// its arena memory goes back at once; otherwise such a write is an error
/// from the `try_` methods and a panic from [`BufMut`]'s, which has no way
/// to report one.
pub struct Buffer {
    /// Arena memory, `cap` bytes, the first `len` written.
    ptr: NonNull<u8>,
    len: usize,
    cap: usize,
    /// Bytes from the start a writer may have touched: `len`, or `cap` once
    /// `chunk_mut` handed out the rest.
    touched: usize,
    home: Home,
    /// The heap copy once spilled; the arena memory is gone then, and
    /// `len == cap == 0`.
    spill: Option<Vec<u8>>,
    auto_spill: bool,
}

// SAFETY: a buffer owns its piece of arena memory exclusively, and its
// arena's shared state is `Sync`.
unsafe impl Send for Buffer {}
// SAFETY: `&Buffer` only reads.
unsafe impl Sync for Buffer {}

impl Buffer {
    /// A buffer over `cap` bytes at `ptr`, given back to `home`.
    #[inline]
    pub(crate) fn new(ptr: NonNull<u8>, cap: usize, home: Home, auto_spill: bool) -> Buffer {
        crate::track::handed_out(ptr.as_ptr(), cap);
        Buffer {
            ptr,
            len: 0,
            cap,
            touched: 0,
            home,
            spill: None,
            auto_spill,
        }
    }

    /// Bytes written so far.
    #[inline]
    pub fn len(&self) -> usize {
        match &self.spill {
            None => self.len,
            Some(v) => v.len(),
        }
    }

    /// Whether nothing was written yet.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many bytes the buffer holds before it is full (or, once
    /// spilled, before its heap storage grows).
    #[inline]
    pub fn capacity(&self) -> usize {
        match &self.spill {
            None => self.cap,
            Some(v) => v.capacity(),
        }
    }

    /// Whether the buffer moved to the heap.
    #[inline]
    pub fn is_spilled(&self) -> bool {
        self.spill.is_some()
    }

    /// Whether the buffer may move to the heap when a write does not fit.
    #[inline]
    pub fn auto_spills(&self) -> bool {
        self.auto_spill
    }

    /// Whether `n` more bytes fit without spilling.
    #[inline]
    pub fn will_fit(&self, n: usize) -> bool {
        self.spill.is_none() && n <= self.cap - self.len
    }

    /// The bytes written so far.
    #[inline]
    pub fn written(&self) -> &[u8] {
        match &self.spill {
            // SAFETY: the first `len` bytes of our memory are written.
            None => unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) },
            Some(v) => v,
        }
    }

    /// Appends `data`. When it does not fit, a buffer with auto-spill
    /// moves to the heap; one without fails with [`Error::BufferFull`] and
    /// is left as it was.
    #[inline]
    pub fn try_put_slice(&mut self, data: &[u8]) -> Result<()> {
        if self.put_fitting(data) {
            return Ok(());
        }
        self.put_slow(data)
    }

    /// Appends `data` when it fits in the buffer's own memory; `false`
    /// (nothing written) when it does not.
    #[inline(always)]
    pub(crate) fn put_fitting(&mut self, data: &[u8]) -> bool {
        if data.len() > self.cap - self.len {
            return false;
        }
        // SAFETY: `data` fits in our memory after `len`, and cannot overlap
        // it (it is borrowed while we are mutably borrowed).
        unsafe {
            self.ptr
                .as_ptr()
                .add(self.len)
                .copy_from_nonoverlapping(data.as_ptr(), data.len());
        }
        self.len += data.len();
        true
    }

    #[cold]
    #[inline(never)]
    fn put_slow(&mut self, data: &[u8]) -> Result<()> {
        match self.spill_for(data.len()) {
            Some(v) => {
                v.extend_from_slice(data);
                Ok(())
            }
            None => Err(self.full(data.len())),
        }
    }

    /// The heap storage with room for `more` bytes: the spill, made now if
    /// needed; `None` when the buffer may not spill.
    #[cold]
    fn spill_for(&mut self, more: usize) -> Option<&mut Vec<u8>> {
        if self.spill.is_none() {
            if !self.auto_spill {
                return None;
            }
            let want = self
                .len
                .checked_add(more)
                .expect("a buffer length fits in memory")
                .max(self.cap.saturating_mul(2))
                .max(64);
            let mut v = Vec::with_capacity(want);
            v.extend_from_slice(self.written());
            let scrub = self.len.max(self.touched);
            self.len = 0;
            self.cap = 0;
            self.touched = 0;
            self.spill = Some(v);
            // SAFETY: the arena memory is no longer used: its bytes were
            // copied, and `cap == 0` keeps every write off it. The buffer
            // gives it back once: a spilled buffer never releases again.
            unsafe {
                self.home.give_back(Release {
                    scrub,
                    spilled: true,
                })
            };
        }
        let v = self.spill.as_mut().expect("spilled just now");
        v.reserve(more);
        Some(v)
    }

    #[cold]
    fn full(&self, asked: usize) -> Error {
        Error::BufferFull {
            asked,
            remaining: self.cap - self.len,
            capacity: self.cap,
        }
    }

    /// Appends `n` copies of `byte`, as [`Buffer::try_put_slice`].
    pub fn try_put_bytes(&mut self, byte: u8, n: usize) -> Result<()> {
        if n <= self.cap - self.len {
            // SAFETY: `n` bytes fit in our memory after `len`.
            unsafe { self.ptr.as_ptr().add(self.len).write_bytes(byte, n) };
            self.len += n;
            return Ok(());
        }
        match self.spill_for(n) {
            Some(v) => {
                v.resize(v.len() + n, byte);
                Ok(())
            }
            None => Err(self.full(n)),
        }
    }

    /// Turns the written bytes into `Bytes` over the same memory, which
    /// goes back to the arena when the last clone or slice drops. An empty
    /// buffer gives its memory back now and returns empty `Bytes`; a
    /// spilled one returns `Bytes` over its heap copy.
    #[inline]
    pub fn freeze(self) -> Bytes {
        match self.into_frozen() {
            Frozen::Empty => Bytes::new(),
            Frozen::Heap(v) => Bytes::from(v),
            Frozen::Piece { ptr, len, piece } => Bytes::from_owner(Owner { ptr, len, piece }),
        }
    }

    /// Ends the buffer's writing life: what [`Buffer::freeze`] and the C
    /// layer's frozen bytes are made of. An empty buffer gives its memory
    /// back now.
    #[inline(always)]
    pub(crate) fn into_frozen(self) -> Frozen {
        let mut this = ManuallyDrop::new(self);
        if let Some(v) = this.spill.take() {
            return Frozen::Heap(v);
        }
        // SAFETY: the buffer owns its piece until the end of this call.
        unsafe { this.home.count_freeze() };
        let piece = Piece {
            home: this.home,
            how: Release {
                scrub: this.len.max(this.touched),
                spilled: false,
            },
        };
        if this.len == 0 {
            // SAFETY: the buffer is consumed; its memory was never exposed.
            unsafe { piece.give_back() };
            return Frozen::Empty;
        }
        Frozen::Piece {
            ptr: this.ptr,
            len: this.len,
            piece,
        }
    }

    /// Drops the buffer unfrozen; its memory goes back to the arena.
    pub fn abandon(self) {}

    /// Lowers the capacity to `cap` (no effect when it is already lower),
    /// for arenas that show less of a piece than they reserve.
    pub(crate) fn limit(&mut self, cap: usize) {
        debug_assert!(self.len == 0 && self.spill.is_none());
        self.cap = self.cap.min(cap);
    }

    /// The first byte of the buffer's memory (arena memory: the buffer must
    /// not have spilled).
    #[cfg(feature = "hazmat-raw-access")]
    pub(crate) fn base(&self) -> NonNull<u8> {
        debug_assert!(self.spill.is_none());
        self.ptr
    }

    /// The buffer's memory for writes that bypass [`BufMut`]: the whole
    /// capacity counts as written-to from now on (for scrubbing).
    #[cfg(feature = "hazmat-raw-access")]
    pub(crate) fn base_mut(&mut self) -> NonNull<u8> {
        debug_assert!(self.spill.is_none());
        self.touched = self.cap;
        self.ptr
    }

    /// Freezes bytes `start..end` of the memory, written by the caller
    /// through [`Buffer::base_mut`], as [`Buffer::freeze`] does the bytes
    /// written through the buffer.
    ///
    /// # Safety
    ///
    /// `start <= end <= capacity`, the buffer has not spilled, and the
    /// bytes `start..end` are initialised.
    #[cfg(feature = "hazmat-raw-access")]
    pub(crate) unsafe fn freeze_range(self, start: usize, end: usize) -> Bytes {
        debug_assert!(start <= end && end <= self.cap && self.spill.is_none());
        let this = ManuallyDrop::new(self);
        // SAFETY: the buffer owns its piece until the end of this call.
        unsafe { this.home.count_freeze() };
        let piece = Piece {
            home: this.home,
            how: Release {
                scrub: this.cap,
                spilled: false,
            },
        };
        if start == end {
            // SAFETY: the buffer is consumed; nothing refers to its memory.
            unsafe { piece.give_back() };
            return Bytes::new();
        }
        Bytes::from_owner(Owner {
            // SAFETY: `start < end <= cap`: inside the piece.
            ptr: unsafe { this.ptr.add(start) },
            len: end - start,
            piece,
        })
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        if self.spill.is_none() {
            let how = Release {
                scrub: self.len.max(self.touched),
                spilled: false,
            };
            // SAFETY: the buffer is going; nothing refers to its memory.
            unsafe { self.home.give_back(how) };
        }
    }
}

impl std::fmt::Debug for Buffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Buffer")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("spilled", &self.is_spilled())
            .finish()
    }
}

// SAFETY: `chunk_mut` returns memory we own past the written bytes,
// `advance_mut` only counts bytes the caller wrote into it, and
// `remaining_mut` is what `chunk_mut` (growing on spill) can provide.
unsafe impl BufMut for Buffer {
    #[inline]
    fn remaining_mut(&self) -> usize {
        if self.auto_spill {
            isize::MAX as usize - self.len()
        } else {
            self.cap - self.len
        }
    }

    #[inline]
    unsafe fn advance_mut(&mut self, cnt: usize) {
        match &mut self.spill {
            None => {
                assert!(
                    cnt <= self.cap - self.len,
                    "advance_mut({cnt}) past the buffer's {} remaining bytes",
                    self.cap - self.len
                );
                self.len += cnt;
            }
            Some(v) => {
                assert!(cnt <= v.capacity() - v.len(), "advance_mut past capacity");
                // SAFETY: the caller initialised `cnt` bytes of the spare
                // capacity `chunk_mut` gave out.
                unsafe { v.set_len(v.len() + cnt) };
            }
        }
    }

    #[inline]
    fn chunk_mut(&mut self) -> &mut UninitSlice {
        if self.spill.is_none() && (self.len < self.cap || !self.auto_spill) {
            self.touched = self.cap;
            // SAFETY: `len..cap` is our memory, and nobody else's while the
            // buffer is mutably borrowed.
            return unsafe {
                UninitSlice::from_raw_parts_mut(
                    self.ptr.as_ptr().add(self.len),
                    self.cap - self.len,
                )
            };
        }
        let v = self.spill_for(64).expect("auto-spill is on");
        UninitSlice::uninit(v.spare_capacity_mut())
    }

    #[inline]
    fn put_slice(&mut self, src: &[u8]) {
        if let Err(e) = self.try_put_slice(src) {
            panic!("{e}");
        }
    }

    fn put_bytes(&mut self, val: u8, cnt: usize) {
        if let Err(e) = self.try_put_bytes(val, cnt) {
            panic!("{e}");
        }
    }
}

/// A frozen buffer's bytes and what holds them.
pub(crate) enum Frozen {
    /// Nothing was written; the memory already went back.
    Empty,
    /// The heap copy of a spilled buffer.
    Heap(Vec<u8>),
    /// `len` written bytes at `ptr`, in a piece of arena memory that goes
    /// back with `piece` once the bytes are no longer used.
    Piece {
        ptr: NonNull<u8>,
        len: usize,
        piece: Piece,
    },
}

/// A piece of arena memory on its way back: where, and how.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Piece {
    home: Home,
    how: Release,
}

impl Piece {
    /// A spilled buffer's heap copy as a piece, whose way back frees it:
    /// its bytes, their number, and the piece.
    pub(crate) fn heap(v: Vec<u8>) -> (NonNull<u8>, usize, Piece) {
        let mut v = ManuallyDrop::new(v);
        let (len, cap) = (v.len(), v.capacity());
        // A vector's pointer is never null (dangling when it has no room).
        let ptr = NonNull::new(v.as_mut_ptr()).expect("a vector's pointer is not null");
        /// Frees the vector whose pointer is `store` and capacity `token`.
        ///
        /// # Safety
        ///
        /// Called once, with the pointer and capacity of a vector that
        /// `Piece::heap` took apart.
        unsafe fn free_vec(store: NonNull<()>, token: usize, _: Release) {
            // SAFETY: the caller's promise; a length of 0 drops no element
            // (`u8` has no drop) and frees the `token` bytes of room.
            drop(unsafe { Vec::from_raw_parts(store.cast::<u8>().as_ptr(), 0, token) });
        }
        /// A heap copy is no arena's piece: its freezes count nowhere.
        unsafe fn no_freeze(_: NonNull<()>, _: usize) {}
        static HEAP: PieceOps = PieceOps {
            release: free_vec,
            freeze: no_freeze,
        };
        let piece = Piece {
            home: Home {
                store: ptr.cast(),
                ops: &HEAP,
                token: cap,
            },
            how: Release {
                scrub: 0,
                spilled: false,
            },
        };
        (ptr, len, piece)
    }

    /// Gives the piece back to its arena.
    ///
    /// # Safety
    ///
    /// Called once per piece (copies included), after the last use of its
    /// memory.
    #[inline]
    pub(crate) unsafe fn give_back(self) {
        // SAFETY: the caller's promise.
        unsafe { self.home.give_back(self.how) }
    }
}

/// The owner behind frozen `Bytes`: the piece of arena memory, which goes
/// back when `bytes` drops the last reference.
struct Owner {
    ptr: NonNull<u8>,
    len: usize,
    piece: Piece,
}

// SAFETY: the frozen bytes are immutable, and the arena's shared state is
// `Sync`.
unsafe impl Send for Owner {}

impl AsRef<[u8]> for Owner {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        // SAFETY: `len` written bytes of our piece, immutable from now on.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for Owner {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: `bytes` drops the owner once, after the last reference.
        unsafe { self.piece.give_back() };
    }
}

/// Copying frozen bytes out of the arena.
pub trait BytesExt {
    /// Copies the bytes into fresh heap storage and drops `self`; when it
    /// was the last reference, the arena memory goes back now.
    fn into_owned(self) -> BytesMut;
}

impl BytesExt for Bytes {
    fn into_owned(self) -> BytesMut {
        BytesMut::from(&self[..])
    }
}

/// The options both byte arenas' builders take.
#[derive(Default)]
pub(crate) struct Options {
    /// `None`: the arena's default.
    pub(crate) align: Option<usize>,
    pub(crate) policy: InitPolicy,
    pub(crate) page: PageSize,
    pub(crate) prefault: bool,
    pub(crate) auto_spill: bool,
    /// Caller memory (`from_raw`): where, how long, and its dealloc hook.
    pub(crate) memory: Option<(NonNull<u8>, usize, Option<Dealloc>)>,
    /// Called with the freed piece's order (0 for a fixed arena) by every
    /// release.
    pub(crate) wake_hook: Option<wait::WakeHook>,
}

impl Options {
    /// The alignment asked for, or `default`: a power of two up to 4096.
    pub(crate) fn alignment(&self, default: usize) -> std::result::Result<usize, BuildError> {
        let align = self.align.unwrap_or(default);
        if !align.is_power_of_two() {
            return Err(BuildError::NotPowerOfTwo {
                what: "alignment",
                value: align,
            });
        }
        if !crate::mem::is_align(align) {
            return Err(BuildError::Alignment { align });
        }
        Ok(align)
    }

    pub(crate) fn zero(&self) -> bool {
        self.policy == InitPolicy::Zero
    }

    /// The length of the caller's memory, checked to start at a multiple of
    /// `align`; `None` when the arena maps its own.
    pub(crate) fn caller_len(
        &self,
        align: usize,
    ) -> std::result::Result<Option<usize>, BuildError> {
        match &self.memory {
            None => Ok(None),
            Some((ptr, len, _)) => {
                let addr = ptr.as_ptr() as usize;
                if addr % align != 0 {
                    return Err(BuildError::Geometry(format!(
                        "memory at {addr:#x} is not aligned to {align}"
                    )));
                }
                Ok(Some(*len))
            }
        }
    }

    /// The arena's memory: a fresh mapping of `len` bytes, or the caller's
    /// memory, zeroed for [`InitPolicy::Zero`] and faulted in when asked.
    pub(crate) fn backing(
        self,
        len: usize,
        prefault: bool,
    ) -> std::result::Result<Backing, BuildError> {
        let zero = self.zero();
        match self.memory {
            None => Backing::map(len, self.page, prefault),
            Some((ptr, len, dealloc)) => {
                // SAFETY: the promise of the arena's `from_raw`.
                let backing = unsafe { Backing::caller(ptr, len, dealloc) };
                if zero {
                    backing.zero();
                }
                if prefault {
                    backing.fault_in();
                }
                crate::track::fresh(backing.base().as_ptr(), backing.len());
                Ok(backing)
            }
        }
    }
}

/// What the byte arenas (`fixed`, `buddy`) are built from, in one import.
pub(crate) mod kit {
    pub(crate) use std::ptr::NonNull;
    pub(crate) use std::time::Duration;

    pub(crate) use super::wait::Waiters;
    pub(crate) use super::{
        Backing, Buffer, BuildError, Dealloc, Home, InitPolicy, Options, PageSize, Release,
        Unfaulted, byte_arena_builder, byte_arena_handle,
    };
    pub(crate) use crate::error::{Error, Result};
}

/// What both byte arena handles share: the handle is a pointer to the
/// arena's `Shared` state, which is `Send + Sync` and reached only by `&`.
macro_rules! byte_arena_handle {
    ($arena:ident) => {
        // SAFETY: `Shared` is `Send + Sync`, and the arena only reaches it
        // by `&`.
        unsafe impl Send for $arena {}
        // SAFETY: as above.
        unsafe impl Sync for $arena {}

        impl $arena {
            /// A handle owning the arena's one reference to `shared`.
            fn from_shared(shared: Shared) -> $arena {
                $arena {
                    shared: NonNull::from(Box::leak(Box::new(shared))),
                }
            }

            #[inline(always)]
            fn shared(&self) -> &Shared {
                // SAFETY: the arena holds a reference to its `Shared`.
                unsafe { self.shared.as_ref() }
            }
        }
    };
}
pub(crate) use byte_arena_handle;

/// The builder methods both byte arenas share: the builder has a field
/// `opts: Options` and a `fn make(self, prefault: bool)`, and the arena a
/// `fn shared(&self)` whose `backing` is its memory. `$piece` names what
/// the arena hands out ("slot", "block").
macro_rules! byte_arena_builder {
    ($arena:ident, $piece:literal) => {
        #[doc = concat!("What happens to ", $piece, "s that come back (default [`InitPolicy::Uninit`]).")]
        pub fn init_policy(mut self, policy: InitPolicy) -> Self {
            self.opts.policy = policy;
            self
        }

        /// The page size of the mapping (default [`PageSize::Standard`]).
        pub fn page_size(mut self, page: PageSize) -> Self {
            self.opts.page = page;
            self
        }

        /// Makes every page resident when the arena is built.
        pub fn prefault(mut self, on: bool) -> Self {
            self.opts.prefault = on;
            self
        }

        #[doc = concat!("Buffers that outgrow their ", $piece, " move to the heap and give the ", $piece, " back at once, instead of failing.")]
        pub fn auto_spill(mut self) -> Self {
            self.opts.auto_spill = true;
            self
        }

        /// Builds over the caller's memory (the arena's `from_raw`).
        fn memory(
            mut self,
            ptr: std::ptr::NonNull<u8>,
            len: usize,
            dealloc: Option<$crate::buffer::Dealloc>,
        ) -> Self {
            self.opts.memory = Some((ptr, len, dealloc));
            self
        }

        /// Replaces every option (the C functions' `arn_byte_opts`).
        pub(crate) fn options(mut self, opts: $crate::buffer::Options) -> Self {
            self.opts = opts;
            self
        }

        /// Calls `hook` with the freed piece's order on every release (the
        /// arena is armed for good: releases take their waking path).
        #[cfg(feature = "async-alloc")]
        pub(crate) fn wake_hook(mut self, hook: $crate::buffer::wait::WakeHook) -> Self {
            self.opts.wake_hook = Some(hook);
            self
        }

        /// Builds the arena.
        pub fn build(self) -> std::result::Result<$arena, BuildError> {
            let prefault = self.opts.prefault;
            self.make(prefault)
        }

        /// Builds the arena without touching its pages; the thread that calls
        /// [`Unfaulted::fault_pages`] faults them in.
        pub fn build_unfaulted(self) -> std::result::Result<Unfaulted<$arena>, BuildError> {
            Ok(Unfaulted {
                arena: self.make(false)?,
                fault: |a: &$arena| a.shared().backing.fault_in(),
            })
        }
    };
}
pub(crate) use byte_arena_builder;
