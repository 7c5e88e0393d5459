use std::cell::Cell;
use std::ffi::c_void;
use std::hash::Hasher;
use std::ptr::{self, NonNull};
use std::rc::Rc;

use proptest::prelude::*;

use super::object::AddrHasher;
use super::*;
use crate::error::{Error, Result};

/// What the C-style callbacks of a test pool count, reached through `ctx`.
#[derive(Default)]
struct Counts {
    made: Cell<usize>,
    reset: Cell<usize>,
    destroyed: Cell<usize>,
    /// The constructor returns NULL once it has made this many (0: never).
    fail_after: Cell<usize>,
    /// The constructor hands out this object again instead of a new one.
    repeat: Cell<*mut c_void>,
}

fn counts<'a>(ctx: *mut c_void) -> &'a Counts {
    // SAFETY: every test pool's context is a `Counts` that outlives it.
    unsafe { &*ctx.cast::<Counts>() }
}

/// Makes a boxed `u64` holding 7.
unsafe extern "C" fn ctor(ctx: *mut c_void) -> *mut c_void {
    let c = counts(ctx);
    if !c.repeat.get().is_null() {
        return c.repeat.get();
    }
    if c.fail_after.get() != 0 && c.made.get() == c.fail_after.get() {
        return ptr::null_mut();
    }
    c.made.set(c.made.get() + 1);
    Box::into_raw(Box::new(7u64)).cast()
}

unsafe extern "C" fn reset(obj: *mut c_void, ctx: *mut c_void) {
    let c = counts(ctx);
    c.reset.set(c.reset.get() + 1);
    // SAFETY: an object from `ctor`.
    unsafe { *obj.cast::<u64>() = 7 };
}

unsafe extern "C" fn destroy(obj: *mut c_void, ctx: *mut c_void) {
    let c = counts(ctx);
    c.destroyed.set(c.destroyed.get() + 1);
    // SAFETY: an object from `ctor`, destroyed once.
    drop(unsafe { Box::from_raw(obj.cast::<u64>()) });
}

/// Counts the blocks of a pool without a constructor that are destroyed.
unsafe extern "C" fn count_block(_obj: *mut c_void, ctx: *mut c_void) {
    let c = counts(ctx);
    c.destroyed.set(c.destroyed.get() + 1);
}

fn boxed_pool(c: &Counts, cap: usize) -> Result<ObjectPool> {
    let ctx = ptr::from_ref(c).cast_mut().cast();
    let b = ObjectPool::builder().initial_capacity(cap);
    // SAFETY: the callbacks use `c`, which outlives the pool in every test.
    unsafe { b.callbacks(Some(ctor), Some(reset), Some(destroy), ctx) }.build()
}

fn stats(available: usize, in_use: usize, total_allocated: usize, capacity: usize) -> PoolStats {
    PoolStats {
        available,
        in_use,
        total_allocated,
        capacity,
    }
}

fn bytes<'a>(p: NonNull<c_void>, n: usize) -> &'a mut [u8] {
    // SAFETY: test blocks are at least `n` bytes and handed out to the test.
    unsafe { std::slice::from_raw_parts_mut(p.as_ptr().cast(), n) }
}

#[test]
fn blocks_are_zeroed_aligned_and_zeroed_again() {
    let pool = ObjectPool::blocks(0, 2).unwrap();
    assert_eq!(pool.block_size(), Some(ARN_POOL_DEFAULT_SIZE));
    assert_eq!(pool.stats(), stats(2, 0, 2, 2));
    let a = pool.get().unwrap();
    let b = pool.get().unwrap();
    let c = pool.get().unwrap();
    assert_eq!(pool.stats(), stats(0, 3, 3, 2));
    for p in [a, b, c] {
        assert_eq!(p.as_ptr() as usize % ARN_POOL_BLOCK_ALIGN, 0);
        assert!(bytes(p, 64).iter().all(|&x| x == 0));
        bytes(p, 64).fill(0xA5);
    }
    pool.put(b.as_ptr()).unwrap();
    let again = pool.get().unwrap();
    assert_eq!(again, b, "the last one back is the first one out");
    assert!(bytes(again, 64).iter().all(|&x| x == 0));

    let big = ObjectPool::blocks(1000, 0).unwrap();
    assert_eq!(big.stats(), stats(0, 0, 0, 0));
    let p = big.get().unwrap();
    assert!(bytes(p, 1000).iter().all(|&x| x == 0));
    bytes(p, 1000).fill(1);
    big.put(p.as_ptr()).unwrap();
    assert!(bytes(big.get().unwrap(), 1000).iter().all(|&x| x == 0));
}

#[test]
fn reset_runs_on_reuse_and_the_ctor_only_when_none_is_left() {
    let c = Counts::default();
    let pool = boxed_pool(&c, 2).unwrap();
    assert_eq!(pool.block_size(), None);
    assert_eq!((c.made.get(), pool.stats()), (2, stats(2, 0, 2, 2)));
    let objs: Vec<_> = (0..3).map(|_| pool.get().unwrap()).collect();
    assert_eq!(c.made.get(), 3, "one made on demand");
    assert_eq!(c.reset.get(), 0, "fresh objects are not reset");
    for &o in &objs {
        // SAFETY: a live object from `ctor`.
        unsafe { *o.as_ptr().cast::<u64>() = 99 };
        pool.put(o.as_ptr()).unwrap();
    }
    assert_eq!(pool.stats(), stats(3, 0, 3, 2));
    let o = pool.get().unwrap();
    assert_eq!(o, objs[2]);
    assert_eq!(c.reset.get(), 1);
    // SAFETY: a live object from `ctor`.
    assert_eq!(unsafe { *o.as_ptr().cast::<u64>() }, 7, "reset ran");
    assert_eq!(c.made.get(), 3);
    pool.put(o.as_ptr()).unwrap();

    pool.shrink();
    assert_eq!(pool.stats(), stats(2, 0, 3, 2));
    assert_eq!(c.destroyed.get(), 1);
    pool.shrink();
    assert_eq!(c.destroyed.get(), 1, "nothing beyond the capacity");
    let held = pool.get().unwrap();
    drop(pool);
    assert_eq!(c.destroyed.get(), 3, "in-use objects die with the pool");
    let _ = held;
}

#[test]
fn bad_returns_change_nothing() {
    let c = Counts::default();
    let pool = ObjectPool::blocks(32, 3).unwrap();
    let other = boxed_pool(&c, 1).unwrap();
    let fresh = pool.available_addrs()[0] as *mut c_void;
    let a = pool.get().unwrap();
    let b = pool.get().unwrap();
    pool.put(b.as_ptr()).unwrap();
    let before = pool.stats();
    let local = 0u64;
    let theirs = other.get().unwrap();
    for (obj, want) in [
        (
            ptr::null_mut(),
            "invalid argument: object is NULL".to_owned(),
        ),
        (
            ptr::from_ref(&local).cast_mut().cast(),
            format!(
                "pointer {:#x} was not handed out by this object pool",
                ptr::from_ref(&local) as usize
            ),
        ),
        (
            a.as_ptr().wrapping_byte_add(8),
            format!(
                "pointer {:#x} was not handed out by this object pool",
                a.as_ptr() as usize + 8
            ),
        ),
        (
            theirs.as_ptr(),
            format!(
                "pointer {:#x} was not handed out by this object pool",
                theirs.as_ptr() as usize
            ),
        ),
        (
            b.as_ptr(),
            format!(
                "double free: object {:#x} is already back in its pool",
                b.as_ptr() as usize
            ),
        ),
        (
            fresh,
            format!(
                "double free: object {:#x} is already back in its pool",
                fresh as usize
            ),
        ),
    ] {
        assert_eq!(pool.put(obj).unwrap_err().to_string(), want);
        assert_eq!(pool.stats(), before);
    }
    assert!(matches!(
        pool.put(theirs.as_ptr()),
        Err(Error::ForeignPointer {
            what: "object pool",
            ..
        })
    ));
    other.put(theirs.as_ptr()).unwrap();
    pool.put(a.as_ptr()).unwrap();
    assert_eq!(pool.stats(), stats(3, 0, 3, 3));
}

#[test]
fn a_failing_ctor_leaks_nothing_and_changes_nothing() {
    let c = Counts::default();
    c.fail_after.set(3);
    let e = boxed_pool(&c, 5).err().unwrap();
    assert_eq!(e, Error::invalid("the constructor returned NULL"));
    assert_eq!((c.made.get(), c.destroyed.get()), (3, 3));

    let c = Counts::default();
    c.fail_after.set(2);
    let pool = boxed_pool(&c, 1).unwrap();
    let a = pool.get().unwrap();
    let b = pool.get().unwrap();
    let before = pool.stats();
    assert_eq!(
        pool.get().unwrap_err(),
        Error::invalid("the constructor returned NULL")
    );
    assert_eq!(pool.stats(), before);
    // A constructor handing out an object the pool already owns.
    c.repeat.set(a.as_ptr());
    assert!(matches!(pool.get(), Err(Error::InvalidArgument(m)) if m.contains("already owns")));
    c.repeat.set(ptr::null_mut());
    assert_eq!(pool.stats(), before);
    pool.put(b.as_ptr()).unwrap();
    drop(pool);
    assert_eq!((c.made.get(), c.destroyed.get()), (2, 2));

    // The same object twice while making the first ones.
    let c = Counts::default();
    let first = ctor_once(&c);
    c.repeat.set(first);
    c.made.set(0);
    let e = boxed_pool(&c, 2).err().unwrap();
    assert!(e.to_string().contains("already owns"), "{e}");
    assert_eq!(c.destroyed.get(), 1, "destroyed once");
}

fn ctor_once(c: &Counts) -> *mut c_void {
    // SAFETY: `c` is a `Counts`.
    unsafe { ctor(ptr::from_ref(c).cast_mut().cast()) }
}

#[test]
fn sizes_and_capacities_that_cannot_be() {
    for (size, cap) in [
        (usize::MAX, 0),
        (isize::MAX as usize, 0),
        (64, usize::MAX),
        (1 << 40, 1 << 40),
    ] {
        assert!(
            matches!(
                ObjectPool::blocks(size, cap),
                Err(Error::InvalidArgument(_))
            ),
            "{size} {cap}"
        );
    }
    let c = Counts::default();
    assert!(matches!(
        boxed_pool(&c, usize::MAX),
        Err(Error::InvalidArgument(_))
    ));
    assert_eq!(c.made.get(), 0);
    assert!(matches!(
        Pool::new(usize::MAX, || 0u64),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn shrink_destroys_blocks_too() {
    let c = Counts::default();
    let ctx = ptr::from_ref(&c).cast_mut().cast();
    let b = ObjectPool::builder().object_size(24).initial_capacity(1);
    // SAFETY: `count_block` only uses `c`, which outlives the pool.
    let pool = unsafe { b.callbacks(None, None, Some(count_block), ctx) }
        .build()
        .unwrap();
    assert_eq!(pool.block_size(), Some(24));
    let objs: Vec<_> = (0..4).map(|_| pool.get().unwrap()).collect();
    for o in &objs[1..] {
        pool.put(o.as_ptr()).unwrap();
    }
    pool.shrink();
    assert_eq!(pool.stats(), stats(1, 1, 4, 1));
    assert_eq!(c.destroyed.get(), 2);
    assert!(matches!(
        pool.put(objs[3].as_ptr()),
        Err(Error::ForeignPointer { .. })
    ));
    drop(pool);
    assert_eq!(c.destroyed.get(), 4);
}

#[test]
fn stale_and_colliding_hints_never_misdirect() {
    let pool = ObjectPool::blocks(16, 0).unwrap();
    let a = pool.get().unwrap();
    pool.put(a.as_ptr()).unwrap();
    pool.shrink();
    assert_eq!(pool.stats(), stats(0, 0, 1, 0));
    // `a` is freed, its slot vacant: only compared, never read.
    assert!(matches!(
        pool.put(a.as_ptr()),
        Err(Error::ForeignPointer { .. })
    ));
    let b = pool.get().unwrap(); // reuses the slot, maybe the address too
    pool.put(b.as_ptr()).unwrap();
    if b != a {
        assert!(matches!(
            pool.put(a.as_ptr()),
            Err(Error::ForeignPointer { .. })
        ));
    }
    // Far more objects than hints: every return finds its own object.
    let many: Vec<_> = (0..2000).map(|_| pool.get().unwrap()).collect();
    for (k, o) in many.iter().enumerate() {
        bytes(*o, 16).fill(k as u8 | 1);
    }
    for &o in many.iter().rev() {
        pool.put(o.as_ptr()).unwrap();
    }
    for &o in &many {
        assert!(matches!(pool.put(o.as_ptr()), Err(Error::DoubleFree(_))));
        assert!(bytes(o, 16).iter().all(|&x| x == 0));
    }
    assert_eq!(pool.stats(), stats(2000, 0, 2001, 0));
}

#[test]
fn the_address_hash_spreads_aligned_neighbours() {
    let hash = |a: usize| {
        let mut h = AddrHasher::default();
        h.write_usize(a);
        h.finish()
    };
    let base = 0x7f3a_1c00_0000usize;
    // 4096 blocks 16 bytes apart into 1024 buckets (low bits) and 128 tags
    // (top 7 bits): no bucket or tag much above its share.
    let mut buckets = vec![0u32; 1024];
    let mut tags = vec![0u32; 128];
    for i in 0..4096 {
        let h = hash(base + 16 * i);
        buckets[(h & 1023) as usize] += 1;
        tags[(h >> 57) as usize] += 1;
    }
    assert!(buckets.iter().all(|&n| n <= 12), "{buckets:?}");
    assert!(tags.iter().all(|&n| n <= 64), "{tags:?}");
    let mut other = AddrHasher::default();
    other.write(&(base as u64).to_le_bytes());
    assert_ne!(other.finish(), 0);
}

// ---- Re-entrancy through the C functions ----

thread_local! {
    static HANDLE: Cell<u64> = const { Cell::new(0) };
    static LOG: Cell<[i32; 4]> = const { Cell::new([0; 4]) };
}

unsafe extern "C" fn reentrant_ctor(ctx: *mut c_void) -> *mut c_void {
    let h = HANDLE.with(Cell::get);
    if h != 0 {
        let mut st = PoolStats::default();
        // SAFETY: `st` is writable.
        let code = unsafe { ffi::polst(h, &mut st) };
        LOG.with(|l| l.set([code, ffi::polfr(h), st.in_use as i32, 0]));
    }
    // SAFETY: the context is a `Counts`.
    unsafe { ctor(ctx) }
}

unsafe extern "C" fn reentrant_reset(obj: *mut c_void, ctx: *mut c_void) {
    let h = HANDLE.with(Cell::get);
    // Get another object and give it back, return the one being reset, and
    // try to free the pool, all from inside the reset.
    let other = ffi::polgt(h);
    let back = ffi::polrt(h, other);
    let own = ffi::polrt(h, obj);
    LOG.with(|l| l.set([back, own, ffi::polfr(h), i32::from(other.is_null())]));
    // SAFETY: as in `reset`.
    unsafe { reset(obj, ctx) };
}

unsafe extern "C" fn reentrant_destroy(obj: *mut c_void, ctx: *mut c_void) {
    let h = HANDLE.with(Cell::get);
    let mut st = PoolStats::default();
    // SAFETY: `st` is writable.
    let code = unsafe { ffi::polst(h, &mut st) };
    LOG.with(|l| l.set([code, ffi::polfr(h), ffi::polrt(h, obj), 0]));
    // SAFETY: as in `destroy`.
    unsafe { destroy(obj, ctx) };
}

#[test]
fn callbacks_may_call_back_into_their_pool() {
    use crate::error::{ARN_E_BUSY, ARN_E_DOUBLE_FREE, ARN_E_FOREIGN_POINTER};
    let c = Counts::default();
    let opts = ffi::PoolOpts {
        ctor: Some(reentrant_ctor),
        reset: Some(reentrant_reset),
        destructor: Some(reentrant_destroy),
        ctx: ptr::from_ref(&c).cast_mut().cast(),
        object_size: 0,
        initial_capacity: 1,
    };
    // SAFETY: the callbacks use `c` and the thread's handle.
    let h = unsafe { ffi::polmx(&opts) };
    assert_ne!(h, 0);
    HANDLE.with(|x| x.set(h));

    // The constructor reads the stats and may not free the pool.
    let a = ffi::polgt(h);
    let b = ffi::polgt(h);
    assert!(!a.is_null() && !b.is_null());
    assert_eq!(LOG.with(Cell::get), [0, ARN_E_BUSY, 1, 0]);
    assert_eq!(ffi::polrt(h, a), 0);
    assert_eq!(ffi::polrt(h, b), 0);

    // The reset gets and returns another object, cannot return the object
    // it works on, and cannot free the pool.
    let again = ffi::polgt(h);
    assert_eq!(again, b);
    assert_eq!(LOG.with(Cell::get), [0, ARN_E_BUSY, ARN_E_BUSY, 0]);
    assert_eq!(
        c.reset.get(),
        2,
        "the object got inside the reset was reset too"
    );
    let mut st = PoolStats::default();
    // SAFETY: `st` is writable.
    assert_eq!(unsafe { ffi::polst(h, &mut st) }, 0);
    assert_eq!(st, stats(2, 1, 3, 1));

    // The destructor, run by a shrink, reads the stats, finds its object
    // foreign already, and may not free the pool.
    assert_eq!(ffi::polsh(h), 0);
    assert_eq!(
        LOG.with(Cell::get),
        [0, ARN_E_BUSY, ARN_E_FOREIGN_POINTER, 0]
    );
    assert_eq!(c.destroyed.get(), 1);

    // Freeing the pool: its handle is already stale inside the destructors.
    assert_eq!(ffi::polfr(h), 0);
    assert_eq!(LOG.with(Cell::get)[1], ARN_E_DOUBLE_FREE);
    assert_eq!(c.destroyed.get(), 3);
    assert_eq!(c.made.get(), 3);
    HANDLE.with(|x| x.set(0));
    crate::ffi::last_error::arnec();
}

// ---- Pool<T> ----

/// A pooled value that counts its drops.
#[derive(Debug)]
struct Obj {
    id: usize,
    dirty: bool,
    drops: Rc<Cell<usize>>,
}

impl Drop for Obj {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

/// A pool of `Obj` with ids 0, 1, 2, ... and a reset that cleans and
/// counts; returns the pool, the drop counter and the reset counter.
fn obj_pool(cap: usize) -> (Pool<Obj>, Rc<Cell<usize>>, Rc<Cell<usize>>) {
    let drops = Rc::new(Cell::new(0));
    let resets = Rc::new(Cell::new(0));
    let (d, r) = (drops.clone(), resets.clone());
    let mut next = 0;
    let pool = Pool::new(cap, move || {
        next += 1;
        Obj {
            id: next - 1,
            dirty: false,
            drops: d.clone(),
        }
    })
    .unwrap()
    .with_reset(move |o: &mut Obj| {
        o.dirty = false;
        r.set(r.get() + 1);
    });
    (pool, drops, resets)
}

#[test]
fn typed_pool_guards_put_back_and_reset_on_reuse() {
    let (pool, drops, resets) = obj_pool(2);
    assert_eq!(pool.stats(), stats(2, 0, 2, 2));
    let mut a = pool.get();
    assert_eq!(a.id, 1);
    a.dirty = true;
    let b = pool.get();
    let c = pool.get();
    assert_eq!((b.id, c.id, resets.get()), (0, 2, 0));
    assert_eq!(pool.stats(), stats(0, 3, 3, 2));
    drop(a);
    let a = pool.get();
    assert_eq!((a.id, a.dirty, resets.get()), (1, false, 1));
    let kept = PoolGuard::detach(c);
    assert_eq!(pool.stats(), stats(0, 2, 3, 2));
    drop((a, b));
    let d = pool.get();
    let e = pool.get();
    let f = pool.get();
    assert_eq!((d.id, e.id, f.id), (0, 1, 3));
    drop((d, e, f));
    assert_eq!(pool.stats(), stats(3, 0, 4, 2));
    pool.shrink();
    assert_eq!(pool.stats(), stats(2, 0, 4, 2));
    assert_eq!(drops.get(), 1);
    assert!(format!("{pool:?}").starts_with("Pool { stats: PoolStats {"));
    drop(pool);
    assert_eq!(drops.get(), 3);
    drop(kept);
    assert_eq!(drops.get(), 4);
}

#[test]
fn a_panicking_closure_leaves_the_typed_pool_consistent() {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    let fail = Rc::new(Cell::new(false));
    let (f1, f2) = (fail.clone(), fail.clone());
    let pool = Pool::new(1, move || {
        assert!(!f1.get(), "constructor fails");
        5u32
    })
    .unwrap()
    .with_reset(move |x| {
        assert!(!f2.get(), "reset fails");
        *x = 5;
    });
    let a = pool.get();
    fail.set(true);
    assert!(catch_unwind(AssertUnwindSafe(|| drop(pool.get()))).is_err());
    assert_eq!(pool.stats(), stats(0, 1, 1, 1));
    drop(a);
    assert!(catch_unwind(AssertUnwindSafe(|| drop(pool.get()))).is_err());
    assert_eq!(
        pool.stats(),
        stats(0, 0, 1, 1),
        "the object whose reset panicked is gone"
    );
    fail.set(false);
    assert_eq!(*pool.get(), 5);
    assert_eq!(pool.stats(), stats(1, 0, 2, 1));
}

// ---- Model tests ----

/// What a test does to a pool of blocks.
#[derive(Debug, Clone)]
enum Op {
    Get,
    /// Return the n-th held object (modulo how many are held).
    Put(usize),
    /// Return the n-th available object again.
    PutAgain(usize),
    /// Return a pointer into the middle of the n-th held object.
    PutInside(usize),
    /// Return the n-th address a shrink freed.
    PutDropped(usize),
    PutNull,
    Shrink,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => Just(Op::Get),
        6 => any::<usize>().prop_map(Op::Put),
        1 => any::<usize>().prop_map(Op::PutAgain),
        1 => any::<usize>().prop_map(Op::PutInside),
        1 => any::<usize>().prop_map(Op::PutDropped),
        1 => Just(Op::PutNull),
        2 => Just(Op::Shrink),
    ]
}

/// The model of a pool of blocks: which addresses are available (in
/// order, next out last), which are held, which a shrink freed.
#[derive(Debug)]
struct Model {
    cap: usize,
    available: Vec<usize>,
    held: Vec<usize>,
    dropped: Vec<usize>,
    total: usize,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn block_pool_follows_the_model(
        cap in 0usize..6,
        size in prop::sample::select(vec![0usize, 1, 8, 24, 64, 100]),
        ops in prop::collection::vec(op(), 1..80),
    ) {
        let c = Counts::default();
        let ctx = ptr::from_ref(&c).cast_mut().cast();
        let b = ObjectPool::builder().object_size(size).initial_capacity(cap);
        // SAFETY: `count_block` only uses `c`, which outlives the pool.
        let pool = unsafe { b.callbacks(None, None, Some(count_block), ctx) }
            .build()
            .unwrap();
        let len = if size == 0 { ARN_POOL_DEFAULT_SIZE } else { size };
        let mut m = Model {
            cap,
            available: pool.available_addrs(),
            held: Vec::new(),
            dropped: Vec::new(),
            total: cap,
        };
        prop_assert_eq!(m.available.len(), cap);
        for op in ops {
            let before = pool.stats();
            let refused = match op {
                Op::Get => {
                    let p = pool.get().unwrap();
                    let addr = p.as_ptr() as usize;
                    match m.available.pop() {
                        Some(want) => prop_assert_eq!(addr, want, "last in, first out"),
                        None => {
                            prop_assert!(!m.held.contains(&addr));
                            m.total += 1;
                            m.dropped.retain(|&d| d != addr);
                        }
                    }
                    prop_assert_eq!(addr % ARN_POOL_BLOCK_ALIGN, 0);
                    let b = bytes(p, len);
                    prop_assert!(b.iter().all(|&x| x == 0), "handed out zeroed");
                    b.fill(0xA5);
                    m.held.push(addr);
                    None
                }
                Op::Put(k) if !m.held.is_empty() => {
                    let addr = m.held.swap_remove(k % m.held.len());
                    pool.put(addr as *mut c_void).unwrap();
                    m.available.push(addr);
                    None
                }
                Op::PutAgain(k) if !m.available.is_empty() => {
                    let addr = m.available[k % m.available.len()];
                    Some((pool.put(addr as *mut c_void), "double free"))
                }
                Op::PutInside(k) if !m.held.is_empty() => {
                    let addr = m.held[k % m.held.len()] + 1 + k % (len.max(2) - 1);
                    Some((pool.put(addr as *mut c_void), "foreign"))
                }
                Op::PutDropped(k) if !m.dropped.is_empty() => {
                    let addr = m.dropped[k % m.dropped.len()];
                    Some((pool.put(addr as *mut c_void), "foreign"))
                }
                Op::PutNull => Some((pool.put(ptr::null_mut()), "invalid")),
                Op::Shrink => {
                    pool.shrink();
                    if m.available.len() > m.cap {
                        m.dropped.extend(m.available.drain(m.cap..));
                    }
                    None
                }
                _ => None,
            };
            if let Some((got, want)) = refused {
                let ok = matches!(
                    (&got, want),
                    (Err(Error::DoubleFree(_)), "double free")
                        | (Err(Error::ForeignPointer { .. }), "foreign")
                        | (Err(Error::InvalidArgument(_)), "invalid")
                );
                prop_assert!(ok, "{:?}: want {}, got {:?}", op, want, got);
                prop_assert_eq!(pool.stats(), before, "a refused return changes nothing");
            }
            prop_assert_eq!(
                pool.stats(),
                stats(m.available.len(), m.held.len(), m.total, m.cap)
            );
            prop_assert_eq!(pool.available_addrs(), m.available.clone());
            prop_assert_eq!(c.destroyed.get(), m.total - m.available.len() - m.held.len());
            for &a in &m.available {
                let b = bytes(NonNull::new(a as *mut c_void).unwrap(), len);
                prop_assert!(b.iter().all(|&x| x == 0), "available blocks are zero");
            }
        }
        drop(pool);
        prop_assert_eq!(c.destroyed.get(), m.total, "every block destroyed once");
    }
}

/// What a test does to a `Pool<Obj>`.
#[derive(Debug, Clone)]
enum TypedOp {
    Get,
    /// Drop the n-th held guard (modulo how many are held).
    Drop(usize),
    /// Detach the n-th held guard's object and drop it.
    Detach(usize),
    Shrink,
}

fn typed_op() -> impl Strategy<Value = TypedOp> {
    prop_oneof![
        5 => Just(TypedOp::Get),
        4 => any::<usize>().prop_map(TypedOp::Drop),
        1 => any::<usize>().prop_map(TypedOp::Detach),
        1 => Just(TypedOp::Shrink),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn typed_pool_follows_the_model(
        cap in 0usize..5,
        ops in prop::collection::vec(typed_op(), 1..60),
    ) {
        let (pool, drops, resets) = obj_pool(cap);
        // Available ids in order (next out last), each with "fresh".
        let mut available: Vec<(usize, bool)> = (0..cap).map(|i| (i, true)).collect();
        let mut held = Vec::new();
        let (mut total, mut dropped, mut reset) = (cap, 0, 0);
        for op in ops {
            match op {
                TypedOp::Get => {
                    let mut g = pool.get();
                    match available.pop() {
                        Some((id, fresh)) => {
                            prop_assert_eq!(g.id, id);
                            reset += usize::from(!fresh);
                        }
                        None => {
                            prop_assert_eq!(g.id, total);
                            total += 1;
                        }
                    }
                    prop_assert!(!g.dirty, "handed out clean");
                    g.dirty = true;
                    held.push(g);
                }
                TypedOp::Drop(k) if !held.is_empty() => {
                    let g = held.swap_remove(k % held.len());
                    available.push((g.id, false));
                    drop(g);
                }
                TypedOp::Detach(k) if !held.is_empty() => {
                    drop(PoolGuard::detach(held.swap_remove(k % held.len())));
                    dropped += 1;
                }
                TypedOp::Shrink => {
                    pool.shrink();
                    dropped += available.len().saturating_sub(cap);
                    available.truncate(cap);
                }
                _ => {}
            }
            prop_assert_eq!(pool.stats(), stats(available.len(), held.len(), total, cap));
            prop_assert_eq!(drops.get(), dropped);
            prop_assert_eq!(resets.get(), reset);
        }
        drop(held);
        drop(pool);
        prop_assert_eq!(drops.get(), total);
    }
}
