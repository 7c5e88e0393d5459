//! The growing arena's map against std `HashMap` (put then get of 1 M u64
//! keys, in `grow_map/`), and the arena against malloc/free: a ring of 64
//! live blocks of mixed sizes (16 B to 1 KiB), each step freeing the oldest
//! and allocating the next, so both allocators reuse freed memory of
//! assorted sizes. One step is one allocation and one free, through the
//! Rust API, through the C ABI, and through libc.
//!
//! Run with `make bench` or `cargo bench -p arn-benches
//! --bench grow`. With
//! `ARN_COUNT=<ring|azring|rering> ARN_COUNT_N=<n>` it instead runs `n`
//! steps of the Rust ring inside `timed_ring` for callgrind
//! (`benches/callgrind_grow.sh`), each call of the arena in a function of
//! its own (`twin_al`, `twin_az`, `twin_fe`, `twin_re`) so that the calls
//! can be counted alone, like the C functions they are the twins of.

#[path = "common/mod.rs"]
mod common;
mod grow_map;

use std::alloc::Layout;
use std::hint::black_box;
use std::ptr::NonNull;
use std::time::Duration;

use std::ffi::c_void;

use arn::{ArenaAlloc, GrowArena};
use criterion::{Criterion, criterion_group};

use common::report_group;

unsafe extern "C" {
    fn grwmk(options: *const c_void) -> u64;
    fn grwal(arena: u64, size: usize, align: usize) -> *mut c_void;
    fn grwfe(arena: u64, ptr: *mut c_void) -> i32;
    fn grwfr(arena: u64) -> i32;
}

const GROUP: &str = "grow_mixed";
const RING: usize = 64;

/// The sizes of the steps: a fixed pseudo-random walk over 16..=1024.
fn sizes() -> Vec<usize> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            16 + (x % 1009) as usize
        })
        .collect()
}

/// Runs `iters` steps of the ring over `alloc`/`free`.
fn ring<P: Copy>(
    iters: u64,
    sizes: &[usize],
    mut alloc: impl FnMut(usize) -> P,
    mut free: impl FnMut(P),
    touch: impl Fn(P),
) -> Duration {
    let mut live: Vec<P> = (0..RING).map(|i| alloc(sizes[i])).collect();
    let start = std::time::Instant::now();
    let mut at = 0;
    for i in 0..iters as usize {
        free(live[at]);
        let p = alloc(sizes[i % sizes.len()]);
        touch(p);
        live[at] = p;
        at = (at + 1) % RING;
    }
    let t = start.elapsed();
    for p in live {
        free(p);
    }
    t
}

fn mixed(c: &mut Criterion) {
    let sizes = sizes();
    let mut g = c.benchmark_group(GROUP);
    g.bench_function("grow_rust", |b| {
        let a = GrowArena::new();
        b.iter_custom(|iters| {
            ring(
                iters,
                &sizes,
                |n| a.alloc(Layout::from_size_align(n, 8).unwrap()).unwrap(),
                // SAFETY: each block is freed once, by the ring.
                |p| unsafe { a.free(p) }.unwrap(),
                // SAFETY: a live block of at least 16 bytes.
                |p: NonNull<u8>| unsafe { p.as_ptr().write_volatile(1) },
            )
        });
    });
    g.bench_function("grow_c_abi", |b| {
        // SAFETY: NULL options: the defaults.
        let h = unsafe { grwmk(std::ptr::null()) };
        b.iter_custom(|iters| {
            ring(
                iters,
                &sizes,
                // SAFETY: a live handle.
                |n| unsafe { grwal(black_box(h), n, 0) },
                // SAFETY: each block is freed once, by the ring.
                |p| assert_eq!(unsafe { grwfe(h, p) }, 0),
                // SAFETY: a live block of at least 16 bytes.
                |p| unsafe { p.cast::<u8>().write_volatile(1) },
            )
        });
        // SAFETY: a live handle.
        assert_eq!(unsafe { grwfr(h) }, 0);
    });
    g.bench_function("malloc_free", |b| {
        b.iter_custom(|iters| {
            ring(
                iters,
                &sizes,
                // SAFETY: plain malloc.
                |n| unsafe { libc::malloc(black_box(n)) },
                // SAFETY: each block is freed once, by the ring.
                |p| unsafe { libc::free(p) },
                // SAFETY: a live block of at least 16 bytes.
                |p| unsafe { p.cast::<u8>().write_volatile(1) },
            )
        });
    });
    g.finish();
}

#[inline(never)]
fn twin_al(a: &GrowArena, n: usize) -> NonNull<u8> {
    a.alloc(Layout::from_size_align(n, 16).unwrap()).unwrap()
}

#[inline(never)]
fn twin_az(a: &GrowArena, n: usize) -> NonNull<u8> {
    a.alloc_zeroed(Layout::from_size_align(n, 16).unwrap())
        .unwrap()
}

#[inline(never)]
fn twin_fe(a: &GrowArena, p: NonNull<u8>) {
    // SAFETY: the ring frees each block once.
    unsafe { a.free(p) }.unwrap()
}

#[inline(never)]
fn twin_re(a: &GrowArena, p: NonNull<u8>, n: usize) -> NonNull<u8> {
    // SAFETY: the ring's live block, replaced by the result.
    unsafe { a.realloc(p, 16, n) }.unwrap()
}

/// `n` steps of one Rust ring inside one function callgrind can select.
#[inline(never)]
fn timed_ring(n: u64, step: impl FnMut(usize)) {
    (0..n as usize).for_each(step);
}

/// The callgrind mode: `n` steps of the ring `mode`.
fn count(mode: &str, n: u64) {
    let sizes = sizes();
    let a = GrowArena::new();
    let mut live: Vec<NonNull<u8>> = (0..RING).map(|i| twin_al(&a, sizes[i])).collect();
    let touch = |p: NonNull<u8>| {
        // SAFETY: a live block of at least 16 bytes.
        unsafe { p.as_ptr().write_volatile(1) }
    };
    match mode {
        "ring" => timed_ring(n, |i| {
            twin_fe(&a, live[i % RING]);
            live[i % RING] = twin_al(&a, sizes[i % sizes.len()]);
            touch(live[i % RING]);
        }),
        "azring" => timed_ring(n, |i| {
            twin_fe(&a, live[i % RING]);
            live[i % RING] = twin_az(&a, sizes[i % sizes.len()]);
            touch(live[i % RING]);
        }),
        "rering" => timed_ring(n, |i| {
            live[i % RING] = twin_re(&a, live[i % RING], sizes[i % sizes.len()]);
            touch(live[i % RING]);
        }),
        other => panic!("unknown mode {other}"),
    }
    for p in live {
        twin_fe(&a, p);
    }
}

fn report() {
    report_group(
        GROUP,
        &["grow_rust", "grow_c_abi", "malloc_free"],
        &[(0, 2, "<= 1.00"), (1, 2, "(C ABI, none set)")],
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = mixed, grow_map::map_benches
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
