//! [`ObjectPool`]: objects made by C-style callbacks, known by address.

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::c_void;
use std::hash::{BuildHasherDefault, Hasher};
use std::ptr::{self, NonNull};

use super::{ARN_POOL_BLOCK_ALIGN, ARN_POOL_DEFAULT_SIZE, Ctor, Destructor, PoolStats, Reset};
use crate::error::{Error, Result};
use crate::mem::zero_small;
use crate::track;

/// Hashes an address with one 64×64→128-bit multiply by an odd constant,
/// folding the two halves together. Addresses are aligned (low bits zero)
/// and near each other (high bits equal); the multiply spreads every input
/// bit over the upper half, and the fold brings it back into the low bits
/// the table indexes with, while the top bits it tags with stay mixed.
#[derive(Default, Clone, Copy)]
pub(super) struct AddrHasher(u64);

/// 2^64 divided by the golden ratio, made odd: a well-spread multiplier.
const MIX: u64 = 0x9E37_79B9_7F4A_7C15;

#[inline(always)]
fn fold(x: u64) -> u64 {
    crate::hash::fold(x, MIX)
}

impl Hasher for AddrHasher {
    #[inline(always)]
    fn finish(&self) -> u64 {
        self.0
    }

    #[inline(always)]
    fn write_usize(&mut self, n: usize) {
        self.0 = fold(self.0 ^ n as u64);
    }

    // Only addresses are hashed here; this keeps the hasher total.
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = fold(self.0 ^ u64::from_le_bytes(word));
        }
    }
}

/// Address of an object → index of its slot.
type AddrMap = HashMap<usize, usize, BuildHasherDefault<AddrHasher>>;

/// How many recently made or returned objects a return can find without
/// the map.
const HINTS: usize = 256;

/// The hint entry of an address: the top bits of its hash.
#[inline(always)]
fn hint_of(addr: usize) -> usize {
    (fold(addr as u64) >> (64 - HINTS.trailing_zeros())) as usize
}

/// Where an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// In the pool, ready to be handed out.
    Available,
    /// Handed out.
    InUse,
    /// On its way out, while the reset callback runs on it.
    Resetting,
    /// No object: the slot waits on the vacant list.
    Vacant,
}

/// What the pool knows of one object.
#[derive(Debug, Clone, Copy)]
struct Slot {
    /// NULL for a vacant slot.
    addr: *mut c_void,
    state: State,
}

/// An available object: its slot and, to spare a load on the way out, its
/// address.
#[derive(Debug, Clone, Copy)]
struct Ready {
    slot: usize,
    addr: *mut c_void,
}

/// Everything a pool knows about its objects. Each object it owns has a
/// slot and an entry in `index` (address → slot); slots of dropped objects
/// are reused. Objects in use are those owned and not available.
///
/// `hints` remembers the slots of recently made or returned objects by a
/// few bits of their address, so that a return usually skips the map: a
/// hint counts only when the slot it names holds that very address, and is
/// otherwise ignored, so a stale or colliding hint costs a map lookup, never
/// a wrong answer.
struct Book {
    slots: Vec<Slot>,
    hints: [usize; HINTS],
    /// Slots of dropped objects, free for the next object made.
    vacant: Vec<usize>,
    index: AddrMap,
    /// The available objects; the last is handed out first.
    available: Vec<Ready>,
    /// The first `fresh` available objects were made up front and never
    /// handed out: they need no reset. Returned objects go on top of them.
    /// Kept up to date only in a pool with a reset.
    fresh: usize,
    total: usize,
}

impl Default for Book {
    fn default() -> Book {
        Book {
            slots: Vec::new(),
            hints: [usize::MAX; HINTS],
            vacant: Vec::new(),
            index: AddrMap::default(),
            available: Vec::new(),
            fresh: 0,
            total: 0,
        }
    }
}

/// How a pool makes its objects.
#[derive(Debug, Clone, Copy)]
enum Maker {
    Ctor(Ctor),
    /// Zero-filled blocks of this layout, allocated and freed by the pool.
    Blocks(Layout),
}

/// A pool of objects made by a C-style constructor, or of zero-filled
/// blocks the pool makes itself, handed out and taken back by address.
///
/// The pool knows every object it owns by address, so returning a pointer
/// it did not hand out, or one already returned, is an error and changes
/// nothing. Its methods take `&self` and keep their state in cells, and the
/// callbacks run outside of any borrow of it: a callback may call back into
/// the same pool (a reset that gets another object, a destructor that reads
/// the stats). [`ObjectPool::in_callback`] tells whether one is running,
/// which the C layer uses to refuse `polfr` from inside a callback.
///
/// Dropping the pool runs the destructor on every object it owns, handed
/// out or not, and frees its own blocks.
///
/// The pool of the C functions, objects as raw pointers; Rust code
/// usually wants [`Pool`](crate::Pool).
///
/// ```
/// # fn main() -> arn::Result<()> {
/// let pool = arn::ObjectPool::blocks(128, 4)?; // 4 zeroed 128-byte blocks
/// let obj = pool.get()?;
/// assert!(pool.put(obj.as_ptr()).is_ok());
/// assert!(pool.put(obj.as_ptr()).is_err(), "returned twice");
/// assert_eq!(pool.stats().available, 4);
/// # Ok(()) }
/// ```
pub struct ObjectPool {
    book: RefCell<Book>,
    maker: Maker,
    reset: Option<Reset>,
    destructor: Option<Destructor>,
    ctx: *mut c_void,
    /// Bytes to zero when a block comes back: the block size for a pool of
    /// blocks without a reset callback, else 0.
    zero_on_return: usize,
    capacity: usize,
    /// How many of this pool's callbacks are running.
    callbacks: Cell<u32>,
}

// SAFETY: the pool owns its blocks outright; the other raw pointers are the
// user's objects and context, which the contract of
// `ObjectPoolBuilder::callbacks` lets
// the callbacks use from whichever thread uses the pool. The cells make the
// pool `!Sync`, so one thread at a time uses it.
unsafe impl Send for ObjectPool {}

/// Counts a running callback for as long as it lives.
struct Running<'a>(&'a Cell<u32>);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

impl ObjectPool {
    /// A builder for a pool: of zero-filled 64-byte blocks and no objects
    /// made up front, until told otherwise.
    pub fn builder() -> ObjectPoolBuilder {
        ObjectPoolBuilder {
            ctor: None,
            reset: None,
            destructor: None,
            ctx: ptr::null_mut(),
            object_size: 0,
            initial_capacity: 0,
        }
    }

    /// A pool of zero-filled blocks of `object_size` bytes (0: 64), 16-byte
    /// aligned, with no callbacks; `initial_capacity` blocks are made up
    /// front. Every block it hands out is zero-filled: a block is zeroed
    /// again when it comes back.
    pub fn blocks(object_size: usize, initial_capacity: usize) -> Result<ObjectPool> {
        ObjectPool::builder()
            .object_size(object_size)
            .initial_capacity(initial_capacity)
            .build()
    }

    fn from_builder(b: ObjectPoolBuilder) -> Result<ObjectPool> {
        let cap = b.initial_capacity;
        let maker = match b.ctor {
            Some(ctor) => Maker::Ctor(ctor),
            None => {
                let size = match b.object_size {
                    0 => ARN_POOL_DEFAULT_SIZE,
                    n => n,
                };
                let layout = Layout::from_size_align(size, ARN_POOL_BLOCK_ALIGN).map_err(|_| {
                    Error::invalid(format!("object size {size} exceeds the largest allocation"))
                })?;
                if size
                    .checked_mul(cap)
                    .is_none_or(|b| b > isize::MAX as usize)
                {
                    return Err(Error::invalid(format!(
                        "initial capacity {cap} of {size}-byte objects overflows"
                    )));
                }
                Maker::Blocks(layout)
            }
        };
        let zero_on_return = match (maker, b.reset) {
            (Maker::Blocks(layout), None) => layout.size(),
            _ => 0,
        };
        let pool = ObjectPool {
            book: RefCell::new(Book::default()),
            maker,
            reset: b.reset,
            destructor: b.destructor,
            ctx: b.ctx,
            zero_on_return,
            capacity: cap,
            callbacks: Cell::new(0),
        };
        pool.reserve(cap)?;
        for _ in 0..cap {
            // On failure `pool` drops, destroying the objects made so far.
            let obj = pool.make()?;
            pool.adopt(obj, State::Available)?;
        }
        Ok(pool)
    }

    /// Hands out an object: the most recently returned available one, after
    /// the reset callback ran on it (a fresh one made up front is not
    /// reset), or else a new one from the constructor (or a new zeroed
    /// block).
    ///
    /// The object stays the pool's: give it back with [`ObjectPool::put`];
    /// dropping the pool destroys it. Fails, changing nothing, when the
    /// constructor returns NULL ([`Error::InvalidArgument`]) or an object
    /// the pool already owns, or when the heap refuses a block
    /// ([`Error::System`]).
    #[inline]
    pub fn get(&self) -> Result<NonNull<c_void>> {
        match self.try_get() {
            Some(obj) => Ok(obj),
            None => self.get_new(),
        }
    }

    /// Like [`ObjectPool::get`] when an object is available; `None` when
    /// none is (then nothing changed).
    #[inline(always)]
    pub(crate) fn try_get(&self) -> Option<NonNull<c_void>> {
        let (ready, reset) = {
            let mut book = self.book.borrow_mut();
            let Book {
                slots,
                available,
                fresh,
                ..
            } = &mut *book;
            let ready = available.pop()?;
            // Freshness matters only to a pool with a reset.
            let left = available.len();
            let reset = match self.reset {
                Some(_) if left < *fresh => {
                    *fresh = left;
                    None
                }
                reset => reset,
            };
            slots[ready.slot].state = if reset.is_some() {
                State::Resetting
            } else {
                State::InUse
            };
            (ready, reset)
        };
        track::handed_out(ready.addr.cast(), self.tracked());
        if let Some(reset) = reset {
            self.run_reset(reset, ready);
        }
        // SAFETY: only non-null addresses are adopted.
        Some(unsafe { NonNull::new_unchecked(ready.addr) })
    }

    // Out of line: a pool without a reset keeps a lighter `try_get`.
    #[inline(never)]
    fn run_reset(&self, reset: unsafe extern "C" fn(*mut c_void, *mut c_void), ready: Ready) {
        {
            let _running = self.enter();
            // SAFETY: the promise of `new`; the object is the pool's and no
            // borrow of the pool is held while the callback runs.
            unsafe { reset(ready.addr, self.ctx) };
        }
        // A `Resetting` object is neither available nor returnable, so no
        // callback could have moved it out of its slot.
        self.book.borrow_mut().slots[ready.slot].state = State::InUse;
    }

    #[cold]
    #[inline(never)]
    fn get_new(&self) -> Result<NonNull<c_void>> {
        // Room first, so that adopting the new object cannot fail for lack
        // of it (and then leak it).
        self.reserve(1)?;
        let obj = self.make()?;
        self.adopt(obj, State::InUse)?;
        track::handed_out(obj.as_ptr().cast(), self.tracked());
        Ok(obj)
    }

    /// Takes back `obj`, which this pool handed out: it becomes available
    /// (and, for a pool of blocks without a reset callback, zeroed).
    ///
    /// Fails, changing nothing, with [`Error::InvalidArgument`] for NULL,
    /// [`Error::ForeignPointer`] for an address this pool does not own (a
    /// pointer into the middle of one of its objects included),
    /// [`Error::DoubleFree`] for an object already available, and
    /// [`Error::Busy`] for an object the reset callback is still working on.
    #[inline]
    pub fn put(&self, obj: *mut c_void) -> Result<()> {
        if self.try_put(obj) {
            Ok(())
        } else {
            self.put_slow(obj)
        }
    }

    /// [`ObjectPool::put`] when [`ObjectPool::try_put`] refused: room for
    /// one more available object, then the reason for a refusal.
    #[cold]
    #[inline(never)]
    fn put_slow(&self, obj: *mut c_void) -> Result<()> {
        self.book
            .borrow_mut()
            .available
            .try_reserve(1)
            .map_err(|_| Error::System {
                bytes: std::mem::size_of::<Ready>(),
            })?;
        if self.try_put(obj) {
            Ok(())
        } else {
            Err(self.refuse_put(obj))
        }
    }

    /// Like [`ObjectPool::put`], with `false` for every refusal (then
    /// nothing changed).
    #[inline(always)]
    pub(crate) fn try_put(&self, obj: *mut c_void) -> bool {
        {
            let mut book = self.book.borrow_mut();
            let Book {
                slots,
                hints,
                index,
                available,
                ..
            } = &mut *book;
            let addr = obj.addr();
            let hint = &mut hints[hint_of(addr)];
            let i = match slots.get(*hint) {
                Some(slot) if slot.addr == obj => *hint,
                _ => match index.get(&addr) {
                    Some(&i) => {
                        *hint = i;
                        i
                    }
                    None => return false,
                },
            };
            let slot = &mut slots[i];
            // A full list grows on the slow path, keeping this one free of
            // calls.
            if slot.state != State::InUse || available.len() == available.capacity() {
                return false;
            }
            available.push(Ready { slot: i, addr: obj });
            slot.state = State::Available;
        }
        if self.zero_on_return != 0 {
            // SAFETY: a block of the pool, `zero_on_return` bytes long, that
            // its user handed back.
            unsafe {
                if self.zero_on_return == ARN_POOL_DEFAULT_SIZE {
                    // The default size as a constant: four stores, no branch.
                    zero_small(obj.cast(), ARN_POOL_DEFAULT_SIZE)
                } else {
                    zero_small(obj.cast(), self.zero_on_return)
                }
            };
        }
        track::taken_back(obj.cast(), self.tracked());
        true
    }

    #[cold]
    #[inline(never)]
    fn refuse_put(&self, obj: *mut c_void) -> Error {
        let addr = obj.addr();
        if obj.is_null() {
            return Error::invalid("object is NULL");
        }
        let book = self.book.borrow();
        match book.index.get(&addr).map(|&i| book.slots[i].state) {
            None => Error::ForeignPointer {
                addr,
                what: "object pool",
            },
            Some(State::Available) => {
                Error::DoubleFree(format!("object {addr:#x} is already back in its pool"))
            }
            Some(State::Resetting) => {
                Error::Busy(format!("object {addr:#x} is still being reset by its pool"))
            }
            Some(State::InUse | State::Vacant) => {
                Error::Panic(format!("object {addr:#x} refused while in use"))
            }
        }
    }

    /// Drops the available objects beyond the capacity given at creation,
    /// running the destructor, if any, on each (and freeing the pool's own
    /// blocks). The most recently returned objects are the ones dropped.
    pub fn shrink(&self) {
        let dropped: Vec<*mut c_void> = {
            let mut book = self.book.borrow_mut();
            let Book {
                slots,
                vacant,
                index,
                available,
                fresh,
                ..
            } = &mut *book;
            if available.len() <= self.capacity {
                return;
            }
            *fresh = (*fresh).min(self.capacity);
            available
                .drain(self.capacity..)
                .map(|ready| {
                    index.remove(&(ready.addr.addr()));
                    // NULL is no object's address: no hint can name this slot.
                    slots[ready.slot] = Slot {
                        addr: ptr::null_mut(),
                        state: State::Vacant,
                    };
                    vacant.push(ready.slot);
                    ready.addr
                })
                .collect()
        };
        // The objects have left the book: a destructor that calls back into
        // the pool finds them foreign.
        for obj in dropped {
            self.destroy(obj);
        }
    }

    /// The pool's counters.
    pub fn stats(&self) -> PoolStats {
        let book = self.book.borrow();
        PoolStats {
            available: book.available.len(),
            in_use: book.index.len() - book.available.len(),
            total_allocated: book.total,
            capacity: self.capacity,
        }
    }

    /// True while one of the pool's callbacks runs (a callback may be
    /// calling back into the pool).
    pub fn in_callback(&self) -> bool {
        self.callbacks.get() != 0
    }

    /// The size of the blocks of a pool without a constructor; `None` for a
    /// pool with one.
    pub fn block_size(&self) -> Option<usize> {
        match self.maker {
            Maker::Blocks(layout) => Some(layout.size()),
            Maker::Ctor(_) => None,
        }
    }

    /// The bytes of an object the tracking layer follows: a block's size
    /// for a pool of blocks; none for objects from a constructor, whose
    /// size the pool does not know.
    #[inline(always)]
    fn tracked(&self) -> usize {
        match self.maker {
            Maker::Blocks(layout) => layout.size(),
            Maker::Ctor(_) => 0,
        }
    }

    /// The error for freeing the pool while one of its callbacks runs.
    #[cold]
    pub(crate) fn busy() -> Error {
        Error::Busy(
            "a callback of this object pool is running; free the pool after it returns".into(),
        )
    }

    fn enter(&self) -> Running<'_> {
        self.callbacks.set(self.callbacks.get() + 1);
        Running(&self.callbacks)
    }

    /// Room in the book for `n` more objects.
    fn reserve(&self, n: usize) -> Result<()> {
        let too_big = || Error::invalid(format!("pool capacity {n} is too large"));
        let bytes = n
            .checked_mul(
                std::mem::size_of::<Slot>()
                    + 2 * std::mem::size_of::<usize>()
                    + std::mem::size_of::<Ready>(),
            )
            .filter(|&b| b <= isize::MAX as usize)
            .ok_or_else(too_big)?;
        let mut book = self.book.borrow_mut();
        let refused = |_| Error::System { bytes };
        book.slots.try_reserve(n).map_err(refused)?;
        book.index.try_reserve(n).map_err(refused)?;
        book.available.try_reserve(n).map_err(refused)
    }

    /// A new object from the constructor, or a new zeroed block.
    fn make(&self) -> Result<NonNull<c_void>> {
        match self.maker {
            Maker::Ctor(ctor) => {
                let obj = {
                    let _running = self.enter();
                    // SAFETY: the promise of `new`; no borrow of the pool is
                    // held while the callback runs.
                    unsafe { ctor(self.ctx) }
                };
                NonNull::new(obj).ok_or_else(|| Error::invalid("the constructor returned NULL"))
            }
            Maker::Blocks(layout) => {
                // SAFETY: the layout has a nonzero size.
                let block = unsafe { alloc_zeroed(layout) };
                let block = NonNull::new(block.cast::<c_void>()).ok_or(Error::System {
                    bytes: layout.size(),
                })?;
                track::fresh(block.as_ptr().cast(), layout.size());
                Ok(block)
            }
        }
    }

    /// Records a new object, available (made up front: fresh) or handed
    /// out. An object the pool already owns is refused and left as it is.
    fn adopt(&self, obj: NonNull<c_void>, state: State) -> Result<()> {
        let mut book = self.book.borrow_mut();
        let Book {
            slots,
            vacant,
            index,
            hints,
            available,
            fresh,
            total,
        } = &mut *book;
        let addr = obj.as_ptr().addr();
        let std::collections::hash_map::Entry::Vacant(entry) = index.entry(addr) else {
            return Err(Error::invalid(format!(
                "the constructor returned {addr:#x}, an object this pool already owns"
            )));
        };
        let slot = Slot {
            addr: obj.as_ptr(),
            state,
        };
        let i = match vacant.pop() {
            Some(i) => {
                slots[i] = slot;
                i
            }
            None => {
                slots.push(slot);
                slots.len() - 1
            }
        };
        entry.insert(i);
        *total += 1;
        hints[hint_of(addr)] = i;
        if state == State::Available {
            available.push(Ready {
                slot: i,
                addr: obj.as_ptr(),
            });
            *fresh += 1;
        }
        Ok(())
    }

    /// Runs the destructor on an object that has left the book, and frees
    /// it if it is one of the pool's blocks.
    fn destroy(&self, obj: *mut c_void) {
        track::handed_out(obj.cast(), self.tracked());
        if let Some(destructor) = self.destructor {
            let _running = self.enter();
            // SAFETY: the promise of `new`; the object was the pool's, and
            // no borrow of the pool is held while the callback runs.
            unsafe { destructor(obj, self.ctx) };
        }
        if let Maker::Blocks(layout) = self.maker {
            // SAFETY: allocated by `make` with this layout; it has left the
            // book, so it is freed once.
            unsafe { dealloc(obj.cast(), layout) };
        }
    }

    /// The addresses of the available objects, the next one out last,
    /// exposed so that a test may read the blocks through them.
    #[cfg(test)]
    pub(super) fn available_addrs(&self) -> Vec<usize> {
        let book = self.book.borrow();
        book.available
            .iter()
            .map(|r| r.addr.expose_provenance())
            .collect()
    }
}

impl Drop for ObjectPool {
    fn drop(&mut self) {
        let book = std::mem::take(self.book.get_mut());
        for slot in book.slots {
            if slot.state != State::Vacant {
                self.destroy(slot.addr);
            }
        }
    }
}

/// How to make an [`ObjectPool`]: from [`ObjectPool::builder`], then
/// [`ObjectPoolBuilder::build`].
///
/// ```
/// use arn::ObjectPool;
///
/// let pool = ObjectPool::builder()
///     .object_size(256)
///     .initial_capacity(8)
///     .build()?;
/// let block = pool.get()?; // 256 zeroed bytes, 16-byte aligned
/// pool.put(block.as_ptr())?;
/// assert_eq!(pool.stats().available, 8);
/// # Ok::<(), arn::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct ObjectPoolBuilder {
    ctor: Option<Ctor>,
    reset: Option<Reset>,
    destructor: Option<Destructor>,
    ctx: *mut c_void,
    object_size: usize,
    initial_capacity: usize,
}

impl ObjectPoolBuilder {
    /// Size of the blocks of a pool without a constructor; 0 (the default)
    /// means [`ARN_POOL_DEFAULT_SIZE`] (64). Ignored when a constructor is
    /// set.
    pub fn object_size(mut self, bytes: usize) -> Self {
        self.object_size = bytes;
        self
    }

    /// How many objects the pool makes up front, and keeps on a shrink
    /// (default 0).
    pub fn initial_capacity(mut self, objects: usize) -> Self {
        self.initial_capacity = objects;
        self
    }

    /// The callbacks, each optional, and the context passed to each as is.
    ///
    /// - `ctor` makes an object. None: the pool hands out zero-filled blocks
    ///   of the object size, 16-byte aligned, that it owns and frees itself.
    /// - `reset` runs on an object handed out again after it came back,
    ///   before [`ObjectPool::get`] returns it. None: no reset; a pool
    ///   without a constructor then zeroes a block when it comes back, so
    ///   every block it hands out is zero-filled.
    /// - `destructor` runs on each object the pool drops: the available
    ///   objects past the capacity on a shrink, and every object, in use or
    ///   not, when the pool is dropped. A pool without a constructor frees
    ///   its blocks after it.
    ///
    /// # Safety
    ///
    /// Each callback that is set must be safe to call with `ctx`, from
    /// whichever thread uses the pool, for as long as the pool lives:
    /// `ctor` with the context alone, `reset` and `destructor` with an
    /// object the pool owns. A callback may call back into this pool
    /// through a shared reference (which is what the C layer does), but must
    /// not use an object it does not own.
    pub unsafe fn callbacks(
        mut self,
        ctor: Option<Ctor>,
        reset: Option<Reset>,
        destructor: Option<Destructor>,
        ctx: *mut c_void,
    ) -> Self {
        self.ctor = ctor;
        self.reset = reset;
        self.destructor = destructor;
        self.ctx = ctx;
        self
    }

    /// Makes the pool and its initial objects.
    ///
    /// Fails with [`Error::InvalidArgument`] for an object size or capacity
    /// too large to allocate, or when the constructor returns NULL or an
    /// object twice; [`Error::System`] when the heap refuses. On failure the
    /// objects already made are dropped as by a shrink: the destructor, if
    /// any, runs on each, and the pool's own blocks are freed.
    pub fn build(self) -> Result<ObjectPool> {
        ObjectPool::from_builder(self)
    }
}
