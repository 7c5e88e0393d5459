//! Side by side in one process (`make bench`), each group against glibc
//! malloc+free of the same size:
//!
//! - `alloc_64B`: `arnal` through the C ABI, `Arena::alloc` from Rust,
//!   bumpalo;
//! - `block_1M`: `blckl` + `blckf` through the C ABI on a block allocator of
//!   1 M blocks of 64 bytes, at 1 % and at 99 % fill;
//! - `pool_64B`: `polgt` + `polrt` through the C ABI;
//! - `region_64B`: `regnl` through the C ABI.
//!
//! Prints the criterion medians and their ratios at the end. With
//! `ARN_COUNT=<mode> ARN_COUNT_N=<n>` it instead runs `n` operations of one
//! mode inside a function named `timed_calls`, for callgrind
//! (`benches/callgrind.sh`): each hot C function through the C ABI and its
//! Rust twin, in the same loop, so the difference is the C path's own cost.

use std::alloc::Layout;
use std::ffi::c_void;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};

mod common;
use common::report_group;

unsafe extern "C" {
    fn arnmk(size: usize) -> u64;
    fn arnal(a: u64, bytes: usize) -> *mut c_void;
    fn arnrs(a: u64) -> i32;
    fn arnfr(a: u64) -> i32;
    fn blckm(block_size: usize, block_count: usize) -> u64;
    fn blckl(b: u64) -> *mut c_void;
    fn blckf(b: u64, ptr: *mut c_void) -> i32;
    fn blckd(b: u64) -> i32;
    fn polmk(ctor: *const c_void, reset: *const c_void, initial_capacity: usize) -> u64;
    fn polgt(p: u64) -> *mut c_void;
    fn polrt(p: u64, obj: *mut c_void) -> i32;
    fn polfr(p: u64) -> i32;
    fn regin() -> u64;
    fn regnl(r: u64, size: usize) -> *mut c_void;
    fn rgnfr(r: u64) -> i32;
    fn rgndl(r: u64) -> i32;
    fn bmpmk(size: usize) -> u64;
    fn bumpl(b: u64, size: usize) -> *mut c_void;
    fn bmprs(b: u64) -> i32;
    fn bmpfr(b: u64) -> i32;
    fn scrt1(size: usize) -> u64;
    fn scrtc(s: u64, bytes: usize) -> *mut c_void;
    fn scrt3(s: u64) -> i32;
    fn scrt2(s: u64) -> i32;
    fn scrt0(s: u64) -> i32;
    fn mmpmk(size: usize, options: *const c_void) -> u64;
    fn mmapl(m: u64, bytes: usize) -> *mut c_void;
    fn mmprs(m: u64) -> i32;
    fn mmpfr(m: u64) -> i32;
}

const SIZE: usize = 64;
/// Allocations between two (untimed) resets.
const BATCH: u64 = 16 * 1024;
const GROUP: &str = "alloc_64B";
/// Blocks in the block allocator of `block_1M`.
const BLOCKS: usize = 1 << 20;

/// Times `iters` calls of `alloc` on `state`, in batches with an untimed
/// `reset` before each.
fn batched<S>(
    iters: u64,
    state: &mut S,
    mut reset: impl FnMut(&mut S),
    mut alloc: impl FnMut(&mut S),
) -> Duration {
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let n = left.min(BATCH);
        reset(state);
        let start = Instant::now();
        for _ in 0..n {
            alloc(state);
        }
        total += start.elapsed();
        left -= n;
    }
    total
}

fn alloc_64(c: &mut Criterion) {
    let mut g = c.benchmark_group(GROUP);
    let capacity = SIZE * BATCH as usize;

    g.bench_function("arnal_c_abi", |b| {
        // SAFETY: plain calls of the exported C functions.
        let mut a = unsafe { arnmk(capacity) };
        // Called through a pointer the optimiser cannot see through, as a C
        // program calls into the shared library.
        let f: unsafe extern "C" fn(u64, usize) -> *mut c_void = black_box(arnal);
        b.iter_custom(|iters| {
            batched(
                iters,
                &mut a,
                // SAFETY: `a` is live.
                |a| assert_eq!(unsafe { arnrs(*a) }, 0),
                // SAFETY: `a` is live.
                |a| {
                    black_box(unsafe { f(black_box(*a), black_box(SIZE)) });
                },
            )
        });
        // SAFETY: `a` is live.
        unsafe { arnfr(a) };
    });

    g.bench_function("arena_alloc_rust", |b| {
        let mut arena = arn::Arena::new(capacity).unwrap();
        b.iter_custom(|iters| {
            batched(iters, &mut arena, arn::Arena::reset, |a| {
                black_box(a.alloc(black_box(SIZE)).unwrap().as_mut_ptr());
            })
        });
    });

    g.bench_function("bumpalo", |b| {
        let mut bump = bumpalo::Bump::with_capacity(capacity);
        let layout = Layout::from_size_align(SIZE, 8).unwrap();
        b.iter_custom(|iters| {
            batched(iters, &mut bump, bumpalo::Bump::reset, |bump| {
                black_box(bump.alloc_layout(black_box(layout)));
            })
        });
    });

    malloc_free(&mut g);
    g.finish();
}

/// The yardstick of every group: one malloc and one free of 64 bytes.
fn malloc_free(g: &mut criterion::BenchmarkGroup<criterion::measurement::WallTime>) {
    g.bench_function("malloc_free", |b| {
        b.iter(|| {
            // SAFETY: a plain malloc/free pair.
            unsafe {
                let p = libc::malloc(black_box(SIZE));
                libc::free(black_box(p));
            }
        });
    });
}

/// A tiny deterministic generator (xorshift), so both fill levels scatter
/// their blocks alike.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Blocks recently handed out that the `block_1M` loop frees in turn.
const RING: usize = 64;

/// One allocation and one free per iteration, at a steady fill: the pool
/// holds `live` blocks scattered over its bitmap (a random half of them
/// freed and allocated again), and the loop frees the block it allocated
/// `RING` iterations earlier. The fill level is all that differs between
/// the two runs: the same few blocks are touched, so caches treat both
/// alike, and malloc+free, which reuses its last free chunk, is compared
/// on the same footing.
fn block_1m(c: &mut Criterion) {
    let mut g = c.benchmark_group("block_1M");
    for (id, live) in [
        ("fill_1pct", BLOCKS / 100),
        ("fill_99pct", BLOCKS / 100 * 99),
    ] {
        // SAFETY: plain calls of the exported C functions on a live handle,
        // freeing only pointers it handed out, each once.
        unsafe {
            let h = blckm(SIZE, BLOCKS);
            assert_ne!(h, 0);
            let mut held: Vec<*mut c_void> = (0..live).map(|_| blckl(h)).collect();
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
            for _ in 0..live / 2 {
                let i = rng.below(held.len());
                assert_eq!(blckf(h, held[i]), 0);
                held[i] = blckl(h);
            }
            assert!(!held.contains(&std::ptr::null_mut()));
            let mut ring: Vec<*mut c_void> = held.split_off(live - RING);
            let alloc: unsafe extern "C" fn(u64) -> *mut c_void = black_box(blckl);
            let free: unsafe extern "C" fn(u64, *mut c_void) -> i32 = black_box(blckf);
            let mut next = 0;
            g.bench_function(id, |b| {
                b.iter(|| {
                    let p = alloc(black_box(h));
                    let old = std::mem::replace(&mut ring[next], p);
                    next = (next + 1) % RING;
                    black_box(free(black_box(h), old));
                });
            });
            assert!(!ring.contains(&std::ptr::null_mut()));
            blckd(h);
        }
    }
    malloc_free(&mut g);
    g.finish();
}

fn pool_64(c: &mut Criterion) {
    let mut g = c.benchmark_group("pool_64B");
    // SAFETY: plain calls of the exported C functions; NULL callbacks make
    // a pool of zeroed 64-byte blocks.
    unsafe {
        let p = polmk(std::ptr::null(), std::ptr::null(), 16);
        assert_ne!(p, 0);
        let get: unsafe extern "C" fn(u64) -> *mut c_void = black_box(polgt);
        let put: unsafe extern "C" fn(u64, *mut c_void) -> i32 = black_box(polrt);
        g.bench_function("polgt_polrt_c_abi", |b| {
            b.iter(|| {
                let o = get(black_box(p));
                black_box(put(black_box(p), black_box(o)));
            });
        });
        polfr(p);
    }
    malloc_free(&mut g);
    g.finish();
}

fn region_64(c: &mut Criterion) {
    let mut g = c.benchmark_group("region_64B");
    g.bench_function("regnl_c_abi", |b| {
        // SAFETY: plain calls of the exported C functions on a live handle.
        let mut r = unsafe { regin() };
        let f: unsafe extern "C" fn(u64, usize) -> *mut c_void = black_box(regnl);
        b.iter_custom(|iters| {
            batched(
                iters,
                &mut r,
                // SAFETY: `r` is live.
                |r| assert_eq!(unsafe { rgnfr(*r) }, 0),
                // SAFETY: `r` is live.
                |r| {
                    black_box(unsafe { f(black_box(*r), black_box(SIZE)) });
                },
            )
        });
        // SAFETY: `r` is live.
        unsafe { rgndl(r) };
    });
    malloc_free(&mut g);
    g.finish();
}

fn report() {
    report_group(
        GROUP,
        &["arnal_c_abi", "arena_alloc_rust", "bumpalo", "malloc_free"],
        &[
            (0, 3, "<= 0.50, stretch <= 0.33"),
            (0, 2, "<= 2.50"),
            (1, 2, "<= 1.00"),
        ],
    );
    report_group(
        "block_1M",
        &["fill_1pct", "fill_99pct", "malloc_free"],
        &[(0, 2, "<= 1.00"), (1, 2, "<= 1.00"), (1, 0, "<= 2.00")],
    );
    report_group(
        "pool_64B",
        &["polgt_polrt_c_abi", "malloc_free"],
        &[(0, 1, "<= 1.00")],
    );
    report_group(
        "region_64B",
        &["regnl_c_abi", "malloc_free"],
        &[(0, 1, "(none set)")],
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = alloc_64, block_1m, pool_64, region_64
}

/// Runs `n` calls of `op` on `state`, in batches of `BATCH` with `reset`
/// before each, the calls inside one function whose name callgrind can
/// select (`--toggle-collect=*timed_calls*`): set-up and resets stay
/// outside.
fn timed<S>(n: u64, state: &mut S, mut reset: impl FnMut(&mut S), mut op: impl FnMut(&mut S)) {
    #[inline(never)]
    fn timed_calls<S>(n: u64, state: &mut S, op: &mut impl FnMut(&mut S)) {
        for _ in 0..n {
            op(state);
        }
    }
    let mut left = n;
    while left > 0 {
        let k = left.min(BATCH);
        reset(state);
        timed_calls(k, state, &mut op);
        left -= k;
    }
}

/// A C function as a C program calls it: through a pointer the optimiser
/// cannot see through.
macro_rules! c_fn {
    ($f:ident: $t:ty) => {
        black_box($f as $t)
    };
}

/// `n` allocations of `SIZE` bytes from the C allocator `h` through
/// `alloc` (called through a pointer), `reset` between batches; then
/// `free`.
///
/// # Safety
///
/// `h` is a live handle of the kind the three functions take.
unsafe fn c_allocs(
    n: u64,
    mut h: u64,
    alloc: unsafe extern "C" fn(u64, usize) -> *mut c_void,
    reset: impl Fn(u64),
    free: unsafe extern "C" fn(u64) -> i32,
) {
    let alloc = black_box(alloc);
    let sz = black_box(SIZE);
    timed(
        n,
        &mut h,
        |h| reset(*h),
        |h| {
            // SAFETY: the caller's promise.
            black_box(unsafe { alloc(*h, sz) });
        },
    );
    // SAFETY: as above.
    assert_eq!(unsafe { free(h) }, 0);
}

/// `live` blocks scattered as in `block_1m` at 1 % fill, through `alloc`
/// and `free`; returns the last `RING` of them, which the loop cycles.
fn scatter<P>(
    live: usize,
    mut alloc: impl FnMut() -> *mut P,
    mut free: impl FnMut(*mut P),
) -> Vec<*mut P> {
    let mut held: Vec<*mut P> = (0..live).map(|_| alloc()).collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..live / 2 {
        let i = rng.below(held.len());
        free(held[i]);
        held[i] = alloc();
    }
    held.split_off(live - RING)
}

/// The callgrind mode: `n` operations of `mode` (see the module header).
fn count(mode: &str, n: u64) {
    let sz = black_box(SIZE);
    let cap = SIZE * BATCH as usize;
    // SAFETY (every block below): plain calls of the exported C functions
    // on live handles, freeing only what they handed out, each once.
    match mode {
        "arnal" => unsafe { c_allocs(n, arnmk(cap), arnal, |a| assert_eq!(arnrs(a), 0), arnfr) },
        "bumpl" => unsafe { c_allocs(n, bmpmk(cap), bumpl, |b| assert_eq!(bmprs(b), 0), bmpfr) },
        "regnl" => unsafe { c_allocs(n, regin(), regnl, |r| assert_eq!(rgnfr(r), 0), rgndl) },
        "mmapl" => unsafe {
            let m = mmpmk(cap, std::ptr::null());
            c_allocs(n, m, mmapl, |m| assert_eq!(mmprs(m), 0), mmpfr);
        },
        "scrtc" => unsafe {
            let s = scrt1(cap);
            assert_eq!(scrt3(s), 0);
            let restart = |s| {
                assert_eq!(scrt2(s), 0);
                assert_eq!(scrt3(s), 0);
            };
            c_allocs(n, s, scrtc, restart, scrt0);
        },
        "arena_rust" => {
            let mut a = arn::Arena::new(cap).unwrap();
            timed(n, &mut a, arn::Arena::reset, |a| {
                black_box(a.alloc_ptr(sz).unwrap());
            });
        }
        "bump_rust" => {
            let mut b = arn::Bump::new(cap).unwrap();
            timed(n, &mut b, arn::Bump::reset, |b| {
                black_box(b.alloc_ptr(sz).unwrap());
            });
        }
        "region_rust" => {
            let mut r = arn::Region::new();
            timed(n, &mut r, arn::Region::free_all, |r| {
                black_box(r.alloc_ptr(sz).unwrap());
            });
        }
        "scratch_rust" => {
            let mut s = arn::Scratch::new(cap).unwrap();
            s.checkpoint().unwrap();
            let restart = |s: &mut arn::Scratch| {
                s.restore().unwrap();
                s.checkpoint().unwrap();
            };
            timed(n, &mut s, restart, |s| {
                black_box(s.alloc_ptr(sz).unwrap());
            });
        }
        "mmap_rust" => {
            let mut m = arn::MmapArena::new(cap).unwrap();
            timed(n, &mut m, arn::MmapArena::reset, |m| {
                black_box(m.alloc_ptr(sz).unwrap());
            });
        }
        "block" => unsafe {
            let h = blckm(SIZE, BLOCKS);
            let ring = scatter(BLOCKS / 100, || blckl(h), |p| assert_eq!(blckf(h, p), 0));
            let alloc = c_fn!(blckl: unsafe extern "C" fn(u64) -> *mut c_void);
            let free = c_fn!(blckf: unsafe extern "C" fn(u64, *mut c_void) -> i32);
            let mut state = (ring, 0);
            timed(
                n,
                &mut state,
                |_| {},
                |(ring, next)| {
                    let p = alloc(h);
                    let old = std::mem::replace(&mut ring[*next], p);
                    *next = (*next + 1) % RING;
                    black_box(free(h, old));
                },
            );
            blckd(h);
        },
        "block_rust" => {
            let pool = std::cell::RefCell::new(arn::BlockPool::new(SIZE, BLOCKS).unwrap());
            let ring = scatter(
                BLOCKS / 100,
                || pool.borrow().alloc_ptr().unwrap().as_ptr(),
                |p| pool.borrow_mut().free_ptr(p).unwrap(),
            );
            let mut state = (pool.into_inner(), ring, 0);
            timed(
                n,
                &mut state,
                |_| {},
                |(pool, ring, next)| {
                    let p = pool.alloc_ptr().unwrap().as_ptr();
                    let old = std::mem::replace(&mut ring[*next], p);
                    *next = (*next + 1) % RING;
                    pool.free_ptr(old).unwrap();
                },
            );
        }
        "pool" => unsafe {
            let mut p = polmk(std::ptr::null(), std::ptr::null(), 16);
            let get = c_fn!(polgt: unsafe extern "C" fn(u64) -> *mut c_void);
            let put = c_fn!(polrt: unsafe extern "C" fn(u64, *mut c_void) -> i32);
            timed(
                n,
                &mut p,
                |_| {},
                |p| {
                    black_box(put(*p, get(*p)));
                },
            );
            polfr(p);
        },
        "pool_rust" => {
            let mut p = arn::ObjectPool::blocks(0, 16).unwrap();
            timed(
                n,
                &mut p,
                |_| {},
                |p| {
                    p.put(p.get().unwrap().as_ptr()).unwrap();
                },
            );
        }
        other => panic!("unknown mode {other}"),
    }
}

fn main() {
    if let Some((mode, n)) = common::count_mode() {
        count(&mode, n);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
    report();
}
