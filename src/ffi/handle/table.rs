//! The slot table: pages of slots that hold objects in place, a lock-free
//! global list of free batches, and the per-thread caches in front of it.
//!
//! # Ownership of a slot
//!
//! At any moment a slot is exactly one of:
//!
//! - **live**: its tag is the handle of the object in its room. Any thread
//!   may resolve the handle (one atomic load of the tag); the one whose
//!   compare-and-swap moves the tag on to the next free tag owns the slot.
//! - **owned**: its tag is free, and one thread holds its index: in hand
//!   (between the free's compare-and-swap and the push that follows, or
//!   between a pop and the insert that publishes the new tag) or in that
//!   thread's [`Cache`]. Only the owner touches the room and the links.
//! - **listed**: in a batch on the global list; whoever pops the batch owns
//!   its slots. While listed, the links are read by racing pops, which is
//!   why they are atomics; the room is never touched.
//! - **retired**: its generations are used up; it stays free for good.
//! - **uncarved**: never handed out yet (index at or past `carved`).
//!
//! A free tag keeps the slot's index beside the next generation, so a
//! cache can hold slots by address and still make their handles.
//!
//! The room of a slot is written only by its owner, before the Release
//! store of the tag that makes it live, and read by resolvers only after an
//! Acquire load of that tag, so every hand-over is ordered: cache to cache
//! through the Release push and Acquire pop of the global list.

use std::alloc::Layout;
use std::cell::{Cell, UnsafeCell};
use std::mem::{MaybeUninit, align_of, size_of};
use std::ptr::{self, NonNull};

use super::{
    Error, GEN_MASK, INDEX_BITS, INDEX_MASK, KIND_SHIFT, Kind, Object, Result, accepts, generation,
    kind_bits,
};
use crate::sync::{AtomicPtr, AtomicU32, AtomicU64, Ordering};

/// Bytes of room for an object in its slot.
const ROOM: usize = 112;

/// Room for one object; a `T` that fits lives here, any other in a box
/// that the room points to.
#[repr(C, align(16))]
pub(super) struct Room(MaybeUninit<[u8; ROOM]>);

/// Whether a `T` lives in its slot's room rather than in a box.
const fn fits<T>() -> bool {
    size_of::<T>() <= size_of::<Room>() && align_of::<T>() <= align_of::<Room>()
}

/// One slot: 128 bytes, so two slots never share a cache line.
#[repr(C, align(64))]
pub(super) struct Slot {
    /// The handle of the object in the room, or the free tag: the handle
    /// the next object will get, without its kind (so 0 for a slot not yet
    /// carved).
    tag: AtomicU64,
    /// In a free batch: 1 + the index of the next slot of the batch, 0 for
    /// the last one.
    next: AtomicU32,
    /// Heading a batch on the global list: the list's link to the batch
    /// below (1 + its first index, 0 at the bottom).
    down: AtomicU32,
    room: UnsafeCell<Room>,
    /// Loom's record of the accesses to the room: the table writes it when
    /// it puts or takes an object, the models read it when they use one,
    /// and loom fails any of those not ordered one after the other.
    #[cfg(arn_loom)]
    seen: loom::cell::UnsafeCell<()>,
}

#[cfg(not(arn_loom))]
const _: () = assert!(size_of::<Slot>() == 128);

impl Slot {
    #[cfg(arn_loom)]
    fn new() -> Slot {
        Slot {
            tag: AtomicU64::new(0),
            next: AtomicU32::new(0),
            down: AtomicU32::new(0),
            room: UnsafeCell::new(Room(MaybeUninit::uninit())),
            seen: loom::cell::UnsafeCell::new(()),
        }
    }

    /// Tells loom that the room is written now (a put or a take).
    #[inline(always)]
    fn writing(&self) {
        #[cfg(arn_loom)]
        self.seen.with_mut(|_| ());
    }
}

/// Puts `obj` in a room.
///
/// # Safety
///
/// The caller owns the slot of `room`, which holds no object.
#[inline(always)]
unsafe fn put<T>(room: *mut Room, obj: T) {
    // SAFETY: the room is ours and empty; a `T` that fits is aligned in it,
    // and a pointer always fits.
    unsafe {
        if fits::<T>() {
            room.cast::<T>().write(obj);
        } else {
            room.cast::<*mut T>().write(Box::into_raw(Box::new(obj)));
        }
    }
}

/// The `T` in a room.
///
/// # Safety
///
/// `room` holds a `T` that `put` stored (or a layout-equal type, see
/// [`Object`]).
#[inline(always)]
unsafe fn at<T>(room: *mut Room) -> NonNull<T> {
    // SAFETY: the caller's promise: the room holds the `T`, or the pointer
    // to its box, which `Box::into_raw` made non-null.
    unsafe {
        if fits::<T>() {
            NonNull::new_unchecked(room.cast::<T>())
        } else {
            NonNull::new_unchecked(room.cast::<*mut T>().read())
        }
    }
}

/// Moves the `T` out of a room, which is empty afterwards.
///
/// # Safety
///
/// As for [`at`], and the caller owns the slot.
#[inline(always)]
unsafe fn take_out<T>(room: *mut Room) -> T {
    // SAFETY: the caller's promise; the room is not read again before a
    // new `put`.
    unsafe {
        if fits::<T>() {
            room.cast::<T>().read()
        } else {
            *Box::from_raw(room.cast::<*mut T>().read())
        }
    }
}

/// Drops the `T` in a room, which is empty afterwards.
///
/// # Safety
///
/// As for [`take_out`].
#[inline(always)]
unsafe fn drop_in<T>(room: *mut T) {
    // SAFETY: the caller's promise.
    unsafe {
        if fits::<T>() {
            ptr::drop_in_place(room);
        } else {
            drop(Box::from_raw(room.cast::<*mut T>().read()));
        }
    }
}

/// [`take_out`] into a box, reusing the object's own box when it has one.
///
/// # Safety
///
/// As for [`take_out`].
unsafe fn take_out_boxed<T>(room: *mut Room) -> Box<T> {
    // SAFETY: as in `take_out`.
    unsafe {
        if fits::<T>() {
            Box::new(room.cast::<T>().read())
        } else {
            Box::from_raw(room.cast::<*mut T>().read())
        }
    }
}

/// Slots in the blank page: as many as the largest page.
#[cfg(not(arn_loom))]
const BLANK_SLOTS: usize = 1 << 10;

/// A page of slots that were never carved, every tag 0 (no handle: kinds
/// start at 1), where every page pointer of a table points until its page
/// is made: resolving a handle then reads a tag without first asking
/// whether its page exists. Nothing writes it: slots are carved only from
/// made pages.
#[cfg(not(arn_loom))]
struct Blank([Slot; BLANK_SLOTS]);

// SAFETY: never written (see above); its tags are atomics, read by any
// thread.
#[cfg(not(arn_loom))]
unsafe impl Sync for Blank {}

#[cfg(not(arn_loom))]
static BLANK: Blank = Blank(
    [const {
        Slot {
            tag: AtomicU64::new(0),
            next: AtomicU32::new(0),
            down: AtomicU32::new(0),
            room: UnsafeCell::new(Room(MaybeUninit::uninit())),
        }
    }; BLANK_SLOTS],
);

/// The blank page's first slot.
#[cfg(not(arn_loom))]
const fn blank_page() -> *mut Slot {
    (&raw const BLANK.0).cast::<Slot>().cast_mut()
}

/// What [`Table::morph`] did.
pub(super) enum Morph<B> {
    /// The new object lives under this handle.
    Done(u64),
    /// The slot's generations ran out: it is retired, and the new object
    /// needs a slot of its own.
    Retired(B),
    /// The handle was not live (nothing changed).
    Refused,
}

/// The most slots a cache can hold.
const CACHE_MAX: usize = 64;

/// One thread's free slots: a stack of up to `2 * BATCH` of them, by
/// address, touched by its thread only, so with no atomics. A cache serves
/// one table.
pub(crate) struct Cache {
    len: Cell<u32>,
    /// `2 * BATCH` once the cache is armed; 0 before its first use and
    /// after it closed, which sends every push and pop to the slow path.
    cap: Cell<u32>,
    /// The thread is exiting: slots go straight to the global list.
    closed: Cell<bool>,
    slots: [Cell<*const Slot>; CACHE_MAX],
    /// Arranges for [`Table::close`] to run on this cache when its thread
    /// exits; false when that can no longer be arranged.
    arm: fn() -> bool,
}

impl Cache {
    pub(crate) const fn new(arm: fn() -> bool) -> Cache {
        Cache {
            len: Cell::new(0),
            cap: Cell::new(0),
            closed: Cell::new(false),
            slots: [const { Cell::new(ptr::null()) }; CACHE_MAX],
            arm,
        }
    }

    #[inline(always)]
    fn pop(&self) -> Option<*const Slot> {
        // An empty cache wraps to an index past the end.
        let n = self.len.get().wrapping_sub(1);
        let slot = self.slots.get(n as usize)?.get();
        self.len.set(n);
        Some(slot)
    }

    #[inline(always)]
    fn push(&self, slot: &Slot) -> bool {
        let n = self.len.get();
        if n >= self.cap.get() {
            return false;
        }
        match self.slots.get(n as usize) {
            Some(cell) => {
                cell.set(slot);
                self.len.set(n + 1);
                true
            }
            None => false,
        }
    }
}

/// The global list's head: a count in the high bits (bumped by every
/// change, so a pop that read a stale link fails its compare-and-swap),
/// and 1 + the index of the top batch's first slot in the low bits.
const LINK_BITS: u32 = INDEX_BITS + 1;
const LINK_MASK: u64 = (1 << LINK_BITS) - 1;

#[inline(always)]
fn with_top(head: u64, link: u32) -> u64 {
    ((head >> LINK_BITS).wrapping_add(1) << LINK_BITS) | u64::from(link)
}

/// The free tag that follows handle `h`: the next generation of its slot,
/// same index, kind 0.
#[inline(always)]
fn next_free(h: u64) -> u64 {
    (h & !(u64::MAX << KIND_SHIFT)) + (1 << INDEX_BITS)
}

/// Whether the slot of `h` retires when `h` is freed: the generation
/// after `h`'s is the last one, never issued.
#[inline(always)]
fn retires(h: u64) -> bool {
    generation(h) + 1 == GEN_MASK
}

/// A table of `PAGES << PAGE_BITS` slots, free ones moving between
/// threads in batches of `BATCH`.
pub(crate) struct Table<const PAGE_BITS: u32, const PAGES: usize, const BATCH: usize> {
    /// Pages of `1 << PAGE_BITS` slots, published once and never freed
    /// while the table lives; the blank page until then.
    pages: [AtomicPtr<Slot>; PAGES],
    /// Loom's atomics cannot live in a static: each table has its own
    /// blank page, freed with it.
    #[cfg(arn_loom)]
    blank: std::sync::atomic::AtomicPtr<Slot>,
    /// The global list of free batches (see [`with_top`]).
    free: AtomicU64,
    /// Slots handed out so far, in whole batches; their pages exist.
    carved: AtomicU64,
}

impl<const PAGE_BITS: u32, const PAGES: usize, const BATCH: usize> Table<PAGE_BITS, PAGES, BATCH> {
    const PAGE_SLOTS: usize = 1 << PAGE_BITS;
    pub(super) const MAX_SLOTS: u64 = (PAGES as u64) << PAGE_BITS;
    const GEOMETRY: () = assert!(
        Self::MAX_SLOTS <= 1 << INDEX_BITS
            && (cfg!(arn_loom) || Self::PAGE_SLOTS <= 1 << 10)
            && BATCH >= 1
            && 2 * BATCH <= CACHE_MAX
            && Self::PAGE_SLOTS % BATCH == 0
    );

    #[cfg(not(arn_loom))]
    pub(crate) const fn new() -> Self {
        let () = Self::GEOMETRY;
        Table {
            pages: [const { AtomicPtr::new(blank_page()) }; PAGES],
            free: AtomicU64::new(0),
            carved: AtomicU64::new(0),
        }
    }

    #[cfg(arn_loom)]
    pub(crate) fn new() -> Self {
        let () = Self::GEOMETRY;
        let blank = Self::new_page().expect("a blank page").as_ptr();
        Table {
            pages: std::array::from_fn(|_| AtomicPtr::new(blank)),
            blank: std::sync::atomic::AtomicPtr::new(blank),
            free: AtomicU64::new(0),
            carved: AtomicU64::new(0),
        }
    }

    /// Where the page pointers of pages not made yet point.
    #[cfg(not(arn_loom))]
    #[inline(always)]
    fn blank(&self) -> *mut Slot {
        blank_page()
    }

    #[cfg(arn_loom)]
    fn blank(&self) -> *mut Slot {
        self.blank.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn page_layout() -> Layout {
        Layout::array::<Slot>(Self::PAGE_SLOTS).expect("a page of slots fits in memory")
    }

    /// A new page of free slots of generation 0, or `None` when the heap
    /// refuses.
    #[cfg(not(arn_loom))]
    fn new_page() -> Option<NonNull<Slot>> {
        // SAFETY: the layout is not empty. All-zero bytes are a valid free
        // slot: zero atomics, and a room that is written before it is read.
        NonNull::new(unsafe { std::alloc::alloc_zeroed(Self::page_layout()) }.cast())
    }

    #[cfg(arn_loom)]
    fn new_page() -> Option<NonNull<Slot>> {
        let page: Box<[Slot]> = (0..Self::PAGE_SLOTS).map(|_| Slot::new()).collect();
        NonNull::new(Box::into_raw(page).cast())
    }

    /// # Safety
    ///
    /// `page` came from `new_page` and nothing refers to it any more.
    unsafe fn free_page(page: *mut Slot) {
        #[cfg(not(arn_loom))]
        // SAFETY: allocated by `new_page` with this layout; slots need no
        // drop.
        unsafe {
            std::alloc::dealloc(page.cast(), Self::page_layout())
        };
        #[cfg(arn_loom)]
        // SAFETY: a boxed slice of `PAGE_SLOTS` slots from `new_page`.
        drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(page, Self::PAGE_SLOTS)) });
    }

    /// The slot at `index`, if the table has one there: a slot of the
    /// blank page (tag 0, never live) when its page is not made yet.
    #[inline(always)]
    pub(super) fn slot(&self, index: u64) -> Option<&Slot> {
        let page = self
            .pages
            .get((index >> PAGE_BITS) as usize)?
            .load(Ordering::Acquire);
        // SAFETY: a published page, or the blank one, holds at least
        // `PAGE_SLOTS` slots (`GEOMETRY`) and is never freed while the
        // table lives; so a page pointer is never null, which the compiler
        // is told so that it does not test the slot's address.
        unsafe {
            std::hint::assert_unchecked(!page.is_null());
            Some(&*page.add(index as usize & (Self::PAGE_SLOTS - 1)))
        }
    }

    /// The slot of an index that was carved, and so has a page.
    #[inline(always)]
    fn carved_slot(&self, index: u32) -> &Slot {
        self.slot(u64::from(index))
            .expect("a carved slot has a page")
    }

    /// The index of an owned slot, from its free tag.
    #[inline(always)]
    fn index_of(s: &Slot) -> u32 {
        (s.tag.load(Ordering::Relaxed) & INDEX_MASK) as u32
    }

    /// A free slot, ours: from the cache, or else from `refill`.
    #[inline(always)]
    fn acquire(&self, cache: &Cache) -> Result<&Slot> {
        match cache.pop() {
            // SAFETY: a cache holds slots of this table, whose pages live
            // as long as it does.
            Some(s) => Ok(unsafe { &*s }),
            None => self.refill(cache),
        }
    }

    /// Publishes `obj` in the owned slot `s` and returns its handle.
    #[inline(always)]
    fn publish<T: Object>(s: &Slot, obj: T) -> u64 {
        // The free tag is the next handle without its kind; we own the
        // slot, and took it with an Acquire (or from our own cache).
        let h = ((T::KIND as u64) << KIND_SHIFT) | s.tag.load(Ordering::Relaxed);
        s.writing();
        // SAFETY: we own the slot, which holds no object: nobody reads or
        // writes its room until the tag below names the new object.
        unsafe { put(s.room.get(), obj) };
        s.tag.store(h, Ordering::Release);
        h
    }

    /// Stores `obj` in a free slot and returns its handle.
    #[inline(always)]
    pub(super) fn insert<T: Object>(&self, cache: &Cache, obj: T) -> Result<u64> {
        let s = self.acquire(cache)?;
        Ok(Self::publish(s, obj))
    }

    /// Takes a free slot, then stores what `make` makes in it: the object
    /// is made where it will live. When `make` makes nothing, the slot goes
    /// back to the cache and the result is `Ok(None)`.
    #[inline(always)]
    pub(super) fn insert_with<T: Object>(
        &self,
        cache: &Cache,
        make: impl FnOnce() -> Option<T>,
    ) -> Result<Option<u64>> {
        let s = self.acquire(cache)?;
        match make() {
            Some(obj) => Ok(Some(Self::publish(s, obj))),
            None => {
                if !cache.push(s) {
                    self.recycle_slow(cache, s);
                }
                Ok(None)
            }
        }
    }

    /// The slot of `h` when `h` is live and of a kind `T` accepts.
    #[inline(always)]
    fn live<T: Object>(&self, h: u64) -> Option<&Slot> {
        if !accepts::<T>(kind_bits(h)) {
            return None;
        }
        let s = self.slot(h & INDEX_MASK)?;
        (s.tag.load(Ordering::Acquire) == h).then_some(s)
    }

    /// The object behind `h`; `None` for any bad handle.
    #[inline(always)]
    pub(super) fn find<T: Object>(&self, h: u64) -> Option<NonNull<T>> {
        let s = self.live::<T>(h)?;
        // SAFETY: a live tag means the room holds the object `h` names, of
        // a kind `T` accepts, stored before the tag's Release store that
        // the Acquire load above saw.
        Some(unsafe { at::<T>(s.room.get()) })
    }

    /// Moves the tag of `h` on to the next free tag: the one thread that
    /// succeeds owns the slot. `None` when `h` is not live (then nothing
    /// changed).
    #[inline(always)]
    fn claim<T: Object>(&self, h: u64) -> Option<&Slot> {
        if !accepts::<T>(kind_bits(h)) {
            return None;
        }
        let s = self.slot(h & INDEX_MASK)?;
        // The next generation, same index, no kind. Acquire: the room's
        // contents, written before the tag was published, are ours to read.
        s.tag
            .compare_exchange(h, next_free(h), Ordering::AcqRel, Ordering::Relaxed)
            .ok()?;
        Some(s)
    }

    /// Drops the object behind `h` where it lies; `h` becomes stale.
    /// `false` when `h` is not live (then nothing changed).
    #[inline(always)]
    pub(super) fn free<T: Object>(&self, cache: &Cache, h: u64) -> bool {
        let Some(s) = self.claim::<T>(h) else {
            return false;
        };
        s.writing();
        // SAFETY: the claim made us the slot's only owner, and the room
        // holds the `T` that `h` named; it is not read again before a new
        // `put`. Should the drop panic, the slot stays claimed by no one:
        // retired.
        unsafe { drop_in(s.room.get().cast::<T>()) };
        self.recycle(cache, s, h);
        true
    }

    /// Takes the object behind `h` out, boxed; `h` becomes stale.
    pub(super) fn take_box<T: Object>(&self, cache: &Cache, h: u64) -> Option<Box<T>> {
        let s = self.claim::<T>(h)?;
        s.writing();
        // SAFETY: the claim made us the slot's only owner, and the room
        // holds the `T` that `h` named.
        let obj = unsafe { take_out_boxed::<T>(s.room.get()) };
        self.recycle(cache, s, h);
        Some(obj)
    }

    /// Moves the object behind `h` out, through `f`, and puts what `f`
    /// makes of it back in the same slot under a new handle of its own
    /// kind; `h` becomes stale. No cache, list or lock is touched.
    #[inline(always)]
    pub(super) fn morph<A: Object, B: Object>(&self, h: u64, f: impl FnOnce(A) -> B) -> Morph<B> {
        let Some(s) = self.claim::<A>(h) else {
            return Morph::Refused;
        };
        s.writing();
        // SAFETY: the claim made us the slot's only owner, and the room
        // holds the `A` that `h` named.
        let a = unsafe { take_out::<A>(s.room.get()) };
        // Should `f` panic, the slot stays claimed by no one: retired, as
        // if its generations had run out.
        let b = f(a);
        if retires(h) {
            return Morph::Retired(b);
        }
        Morph::Done(Self::publish(s, b))
    }

    /// Hands the slot `s` of `h`, just claimed, to the cache, unless its
    /// generations are used up: such a slot is retired rather than wrapped,
    /// so that no handle it ever issued can come back to life.
    #[inline(always)]
    fn recycle(&self, cache: &Cache, s: &Slot, h: u64) {
        if retires(h) {
            return;
        }
        if !cache.push(s) {
            self.recycle_slow(cache, s);
        }
    }

    /// Arms a cache on its first use.
    fn arm(cache: &Cache) {
        if cache.cap.get() == 0 && !cache.closed.get() {
            if (cache.arm)() {
                cache.cap.set(2 * BATCH as u32);
            } else {
                cache.closed.set(true);
            }
        }
    }

    /// A free slot for a cache that has none: the top batch of the global
    /// list, or else a batch never used. The rest of the batch stays in the
    /// cache (or, for a closed one, goes back to the list).
    #[cold]
    #[inline(never)]
    fn refill(&self, cache: &Cache) -> Result<&Slot> {
        Self::arm(cache);
        if let Some(first) = self.pop_batch() {
            let s = self.carved_slot(first);
            let mut link = s.next.load(Ordering::Relaxed);
            while link != 0 {
                let more = self.carved_slot(link - 1);
                if !cache.push(more) {
                    // A closed cache, or a batch longer than the room: the
                    // rest, still linked, goes back as it is.
                    self.push_batch(link - 1);
                    break;
                }
                link = more.next.load(Ordering::Relaxed);
            }
            return Ok(s);
        }
        let (start, end) = self.carve()?;
        if cache.closed.get() {
            if end - start > 1 {
                self.link(start + 1..end);
                self.push_batch(start + 1);
            }
        } else {
            // Lowest first out.
            for i in (start + 1..end).rev() {
                let pushed = cache.push(self.carved_slot(i));
                debug_assert!(pushed, "an empty cache has room for a batch");
            }
        }
        Ok(self.carved_slot(start))
    }

    /// A cache that cannot take `s`: arm it, or give half of it back as
    /// one batch, or, when closed, give `s` back alone.
    #[cold]
    #[inline(never)]
    fn recycle_slow(&self, cache: &Cache, s: &Slot) {
        Self::arm(cache);
        if cache.push(s) {
            return;
        }
        if cache.closed.get() {
            s.next.store(0, Ordering::Relaxed);
            self.push_batch(Self::index_of(s));
            return;
        }
        let n = cache.len.get() as usize;
        self.give(cache, n - BATCH, n);
        cache.len.set((n - BATCH) as u32);
        let pushed = cache.push(s);
        debug_assert!(pushed, "half the cache was just given back");
    }

    /// Gives every slot of `cache` back to the global list, and sends the
    /// slots its thread frees from now on straight there: its thread exits.
    pub(super) fn close(&self, cache: &Cache) {
        cache.closed.set(true);
        cache.cap.set(0);
        let n = cache.len.replace(0) as usize;
        let mut from = 0;
        while from < n {
            let to = (from + BATCH).min(n);
            self.give(cache, from, to);
            from = to;
        }
    }

    /// Links `cache.slots[from..to]` into one batch and pushes it.
    fn give(&self, cache: &Cache, from: usize, to: usize) {
        let batch = cache.slots[from..to].iter().map(|c| {
            // SAFETY: a cache holds slots of this table.
            Self::index_of(unsafe { &*c.get() })
        });
        self.link(batch);
        // SAFETY: as above.
        self.push_batch(Self::index_of(unsafe { &*cache.slots[from].get() }));
    }

    /// Links the owned slots `indices` into one batch, in order.
    fn link(&self, mut indices: impl Iterator<Item = u32>) {
        let Some(mut prev) = indices.next() else {
            return;
        };
        for i in indices {
            self.carved_slot(prev).next.store(i + 1, Ordering::Relaxed);
            prev = i;
        }
        self.carved_slot(prev).next.store(0, Ordering::Relaxed);
    }

    /// Pushes the batch that starts at the owned slot `first` (already
    /// linked) onto the global list; its slots are listed from then on.
    fn push_batch(&self, first: u32) {
        let s = self.carved_slot(first);
        let mut head = self.free.load(Ordering::Relaxed);
        loop {
            s.down.store((head & LINK_MASK) as u32, Ordering::Relaxed);
            // Release: the links and free tags written before, and
            // everything the slots' last owners did, go with the batch.
            match self.free.compare_exchange_weak(
                head,
                with_top(head, first + 1),
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(now) => head = now,
            }
        }
    }

    /// Pops the top batch off the global list; the caller owns its slots.
    fn pop_batch(&self) -> Option<u32> {
        let mut head = self.free.load(Ordering::Acquire);
        loop {
            let top = (head & LINK_MASK) as u32;
            if top == 0 {
                return None;
            }
            let first = top - 1;
            // Another thread may pop this batch and reuse its slots before
            // our compare-and-swap: then `down` is a link of its own, and
            // the count in the head has moved on, so the swap fails.
            let down = self.carved_slot(first).down.load(Ordering::Relaxed);
            match self.free.compare_exchange_weak(
                head,
                with_top(head, down),
                Ordering::Acquire,
                Ordering::Acquire,
            ) {
                Ok(_) => return Some(first),
                Err(now) => head = now,
            }
        }
    }

    /// Claims a batch of never-used slots, `start..end`, making its page
    /// first; their free tags name them, generation 0.
    fn carve(&self) -> Result<(u32, u32)> {
        let mut start = self.carved.load(Ordering::Relaxed);
        loop {
            if start >= Self::MAX_SLOTS {
                return Err(Error::Full {
                    what: "handle table",
                    capacity: Self::MAX_SLOTS as usize,
                });
            }
            // Batches start at multiples of `BATCH`, which divides the page
            // size: a batch lies in one page.
            let end = (start + BATCH as u64).min(Self::MAX_SLOTS);
            self.make_page((start >> PAGE_BITS) as usize)?;
            match self.carved.compare_exchange_weak(
                start,
                end,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    for i in start..end {
                        // Ours now; nobody reads an uncarved slot's tag but
                        // `classify`, for which 0 and this mean the same.
                        self.carved_slot(i as u32).tag.store(i, Ordering::Relaxed);
                    }
                    return Ok((start as u32, end as u32));
                }
                Err(now) => start = now,
            }
        }
    }

    /// Makes page `p` unless it exists; of two threads making it at once,
    /// one publishes its page and the other frees its own.
    fn make_page(&self, p: usize) -> Result<()> {
        let cell = &self.pages[p];
        let blank = self.blank();
        if cell.load(Ordering::Acquire) != blank {
            return Ok(());
        }
        let page = Self::new_page().ok_or(Error::System {
            bytes: Self::page_layout().size(),
        })?;
        if cell
            .compare_exchange(blank, page.as_ptr(), Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // SAFETY: ours, never published.
            unsafe { Self::free_page(page.as_ptr()) };
        }
        Ok(())
    }

    /// Explains why `h` did not resolve to a `T`.
    #[cold]
    #[inline(never)]
    pub(super) fn classify<T: Object>(&self, h: u64) -> Error {
        let invalid = Error::InvalidHandle { handle: h };
        let Some(kind) = Kind::from_bits(kind_bits(h)) else {
            return invalid;
        };
        let Some(s) = self.slot(h & INDEX_MASK) else {
            return invalid;
        };
        let tag = s.tag.load(Ordering::Acquire);
        if tag == h {
            return Error::WrongKind {
                handle: h,
                expected: T::expected(),
                found: kind.name(),
            };
        }
        // Each (slot, generation) pair is issued once, with one kind. A
        // handle from a generation the slot has moved past was issued and
        // freed; one from the slot's current generation that does not match
        // its tag has forged kind bits, and one from a later generation
        // never existed.
        if generation(h) < generation(tag) {
            Error::StaleHandle {
                handle: h,
                kind: kind.name(),
            }
        } else {
            invalid
        }
    }

    /// The tag of slot `index` (tests).
    #[cfg(all(test, not(arn_loom)))]
    pub(super) fn tag(&self, index: u64) -> Option<&AtomicU64> {
        self.slot(index).map(|s| &s.tag)
    }

    /// Free slots on the global list (tests; not exact under races).
    #[cfg(test)]
    pub(super) fn listed(&self) -> usize {
        let mut n = 0;
        let mut top = (self.free.load(Ordering::Acquire) & LINK_MASK) as u32;
        while top != 0 {
            let first = top - 1;
            let mut link = first + 1;
            while link != 0 {
                n += 1;
                link = self.carved_slot(link - 1).next.load(Ordering::Relaxed);
            }
            top = self.carved_slot(first).down.load(Ordering::Relaxed);
        }
        n
    }

    /// Tells loom that the object behind the live handle `h` is used now
    /// (the models, where a C call would read it).
    #[cfg(all(test, arn_loom))]
    pub(super) fn touch(&self, h: u64) {
        self.slot(h & INDEX_MASK)
            .expect("a live handle has a page")
            .seen
            .with(|_| ());
    }

    /// Slots carved so far (tests).
    #[cfg(test)]
    pub(super) fn carved(&self) -> u64 {
        self.carved.load(Ordering::Relaxed)
    }
}

impl<const PAGE_BITS: u32, const PAGES: usize, const BATCH: usize> Drop
    for Table<PAGE_BITS, PAGES, BATCH>
{
    /// Frees the pages of a table that is not the global one (the tests'
    /// own); objects still in it are forgotten.
    fn drop(&mut self) {
        let blank = self.blank();
        for cell in &self.pages {
            let page = cell.load(Ordering::Relaxed);
            if page != blank {
                // SAFETY: `&mut self`: nothing refers to the table's pages.
                unsafe { Self::free_page(page) };
            }
        }
        #[cfg(arn_loom)]
        // SAFETY: the table's own blank page, from `new_page`; nothing
        // refers to it any more.
        unsafe {
            Self::free_page(blank)
        };
    }
}

#[cfg(all(test, not(arn_loom)))]
impl Cache {
    /// Free slots in the cache (tests).
    pub(super) fn len(&self) -> usize {
        self.len.get() as usize
    }

    /// Whether the cache's thread is exiting (tests).
    pub(super) fn is_closed(&self) -> bool {
        self.closed.get()
    }
}
