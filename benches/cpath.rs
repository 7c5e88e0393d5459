//! The C path (`make bench`): handles made and dropped through the C ABI,
//! called as a C program calls them, on one thread and on two threads
//! sharing one allocator, and the fixed roundtrip through C beside
//! arena-alligator's Rust roundtrip, all in one process.
//!
//! - `cpath_bytes`: `fxdal` + `bufrz` + `bytcl` + two `bytdr` on one fixed
//!   arena of 4096 slots of 64 bytes: three handles made and dropped;
//! - `cpath_slices`: `slccl` + `slcdr` of a slice from one chunk
//!   allocator (each thread clones its own slice, in a chunk of its own:
//!   slices of one chunk share its count);
//! - `cpath_fixed`: `fxdal` + `bufwr` 64 B + `bufrz` + `bytdt` + `bytdr`
//!   through C, and arena-alligator 0.7's `allocate` + `put_slice` +
//!   `freeze` + drop.
//!
//! The two-thread figures are the time per call per thread, so two
//! threads reach `2 / ratio` times one thread's throughput.
//!
//! With `ARN_COUNT=<mode> ARN_COUNT_N=<n>` it instead runs `n` operations
//! of one mode inside a function named `timed_ops`, for callgrind
//! (`benches/callgrind.sh`): the Rust twins of the C collection calls
//! (`vecps_rust`, `vecat_rust`, `mappt_rust`, `mapgt_rust`) and the chunk
//! slice op through C called from Rust (`chunk_c`).

use std::ffi::c_void;
use std::hint::black_box;
use std::num::NonZeroUsize;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes};
use criterion::Criterion;

mod common;
use common::report_group;

const SLOTS: usize = 4096;
const SIZE: usize = 64;
/// Elements per batch of the collection twins, as in benches/callgrind.c.
const BATCH: usize = 16384;
/// Keys of the map twins, as in benches/callgrind.c.
const KEYS: u64 = 1024;

unsafe extern "C" {
    fn fxdmk(slot_count: usize, slot_size: usize, options: *const c_void) -> u64;
    fn fxdal(arena: u64) -> u64;
    fn fxdfr(arena: u64) -> i32;
    fn bufwr(b: u64, data: *const c_void, len: usize) -> i32;
    fn bufrz(b: u64) -> u64;
    fn bytdt(b: u64) -> *const c_void;
    fn bytcl(b: u64) -> u64;
    fn bytdr(b: u64) -> i32;
    fn chkmk(elem_size: usize, elem_align: usize, chunk_capacity: usize) -> u64;
    fn chkal(c: u64, len: usize, init: *const c_void) -> u64;
    fn chkfr(c: u64) -> i32;
    fn slccl(s: u64) -> u64;
    fn slcdr(s: u64) -> i32;
}

/// A C function, through a pointer the optimiser cannot see through.
macro_rules! c_fn {
    ($f:ident) => {
        black_box($f as unsafe extern "C" fn(_) -> _)
    };
}

/// `iters` calls of `op` on each of two threads started together, `op`
/// told which thread (0 or 1) calls it; the wall time, so the result is the
/// time per call per thread.
fn two_threads(iters: u64, op: &(dyn Fn(usize) + Sync)) -> Duration {
    let start = Barrier::new(3);
    std::thread::scope(|s| {
        for i in 0..2 {
            let start = &start;
            s.spawn(move || {
                start.wait();
                for _ in 0..iters {
                    op(i);
                }
            });
        }
        start.wait();
        Instant::now()
    })
    .elapsed()
}

/// A fixed arena of 64-byte slots through C.
struct CFixed(u64);

impl CFixed {
    fn new() -> CFixed {
        // SAFETY: a plain call; NULL options are the defaults.
        let a = unsafe { fxdmk(SLOTS, SIZE, std::ptr::null()) };
        assert_ne!(a, 0);
        CFixed(a)
    }

    /// Three bytes handles made and dropped: allocate, freeze, clone, drop
    /// both.
    #[inline(always)]
    fn churn(&self) {
        let (alloc, freeze, clone, drop) = (c_fn!(fxdal), c_fn!(bufrz), c_fn!(bytcl), c_fn!(bytdr));
        // SAFETY: the handles are live when used.
        unsafe {
            let b = alloc(self.0);
            let y = freeze(b);
            let z = clone(y);
            drop(y);
            drop(z);
        }
    }

    /// The fixed roundtrip: allocate, write `data`, freeze, read, drop.
    #[inline(always)]
    fn roundtrip(&self, data: &[u8]) {
        let write = black_box(bufwr as unsafe extern "C" fn(u64, *const c_void, usize) -> i32);
        let (alloc, freeze, ptr, drop) = (c_fn!(fxdal), c_fn!(bufrz), c_fn!(bytdt), c_fn!(bytdr));
        // SAFETY: the handles are live when used; `data` is readable.
        unsafe {
            let b = alloc(self.0);
            write(b, data.as_ptr().cast(), data.len());
            let y = freeze(b);
            black_box(ptr(y));
            drop(y);
        }
    }
}

impl Drop for CFixed {
    fn drop(&mut self) {
        // SAFETY: the arena handle is live.
        assert_eq!(unsafe { fxdfr(self.0) }, 0);
    }
}

/// A chunk allocator of u64 through C, and slices of 16 elements.
struct CChunks(u64);

impl CChunks {
    fn new() -> CChunks {
        // SAFETY: a plain call.
        let c = unsafe { chkmk(8, 8, 1024) };
        assert_ne!(c, 0);
        CChunks(c)
    }

    /// A slice of 16 u64 (element `i` = `i`).
    #[inline(always)]
    fn slice(&self) -> u64 {
        let init: [u64; 16] = std::array::from_fn(|i| i as u64);
        let alloc = black_box(chkal as unsafe extern "C" fn(u64, usize, *const c_void) -> u64);
        // SAFETY: `init` holds 16 elements of 8 bytes.
        unsafe { alloc(self.0, 16, init.as_ptr().cast()) }
    }

    /// The slice op of benches/chunk.rs: allocate, clone, drop both.
    #[inline(always)]
    fn op(&self) {
        let (clone, drop) = (c_fn!(slccl), c_fn!(slcdr));
        let s = self.slice();
        // SAFETY: the handles are live when used.
        unsafe {
            let t = clone(s);
            drop(s);
            drop(t);
        }
    }
}

impl Drop for CChunks {
    fn drop(&mut self) {
        // SAFETY: the handle is live.
        assert_eq!(unsafe { chkfr(self.0) }, 0);
    }
}

/// A clone and a drop of slice `s`.
#[inline(always)]
fn clone_drop(s: u64) {
    let (clone, drop) = (c_fn!(slccl), c_fn!(slcdr));
    // SAFETY: `s` is live; the clone is dropped once.
    unsafe { drop(clone(s)) };
}

fn bytes(c: &mut Criterion) {
    let f = CFixed::new();
    let mut g = c.benchmark_group("cpath_bytes");
    g.bench_function("arn_c_abi", |b| b.iter(|| f.churn()));
    g.bench_function("arn_c_abi_2threads", |b| {
        b.iter_custom(|n| two_threads(n, &|_| f.churn()))
    });
    g.finish();
}

fn slices(c: &mut Criterion) {
    let chunks = CChunks::new();
    // Two slices in two chunks: slices of one chunk share its count, a
    // cache line both threads would write (as arena-arc's do).
    let s = chunks.slice();
    let whole = [0u64; 1024];
    // SAFETY: `whole` holds 1024 elements of 8 bytes.
    let t = unsafe { chkal(chunks.0, 1024, whole.as_ptr().cast()) };
    assert_ne!(t, 0);
    let mut g = c.benchmark_group("cpath_slices");
    g.bench_function("arn_c_abi", |b| b.iter(|| clone_drop(s)));
    g.bench_function("arn_c_abi_2threads", |b| {
        b.iter_custom(|n| two_threads(n, &|i| clone_drop([s, t][i])))
    });
    g.finish();
    // SAFETY: both handles are live and dropped once.
    unsafe {
        assert_eq!(slcdr(s), 0);
        assert_eq!(slcdr(t), 0);
    }
}

fn fixed(c: &mut Criterion) {
    let data = [0xA5u8; SIZE];
    let f = CFixed::new();
    let nz = |n| NonZeroUsize::new(n).unwrap();
    let theirs = arena_alligator::FixedArena::with_slot_capacity(nz(SLOTS), nz(SIZE))
        .build()
        .unwrap();
    let mut g = c.benchmark_group("cpath_fixed_64B");
    g.bench_function("arn_c_abi", |b| b.iter(|| f.roundtrip(&data)));
    g.bench_function("arena_alligator", |b| {
        b.iter(|| {
            let mut buf = theirs.allocate().unwrap();
            buf.put_slice(&data);
            let bytes: Bytes = buf.freeze();
            black_box(&bytes);
        })
    });
    g.finish();
}

fn report() {
    let threads = [(1, 0, "<= 1.33: two threads at >= 1.5x one's throughput")];
    report_group(
        "cpath_bytes",
        &["arn_c_abi", "arn_c_abi_2threads"],
        &threads,
    );
    report_group(
        "cpath_slices",
        &["arn_c_abi", "arn_c_abi_2threads"],
        &threads,
    );
    report_group(
        "cpath_fixed_64B",
        &["arn_c_abi", "arena_alligator"],
        &[(0, 1, "<= 1.00")],
    );
}

/// Runs `n` calls of `op` inside one function whose name callgrind can
/// select (`--toggle-collect=*timed_ops*`); set-up stays outside.
#[inline(never)]
fn timed_ops<S>(n: u64, state: &mut S, mut op: impl FnMut(&mut S, u64)) {
    for i in 0..n {
        op(state, i);
    }
}

/// The callgrind mode: `n` ops of `mode`.
fn count(mode: &str, n: u64) {
    let arena = arn::GrowArena::new();
    match mode {
        "vecps_rust" => {
            let mut v = arn::ArenaVec::<u64>::with_capacity_in(BATCH, &arena).unwrap();
            timed_ops(n, &mut v, |v, i| {
                if i % BATCH as u64 == 0 {
                    v.clear();
                }
                v.push(black_box(i)).unwrap();
            });
        }
        "vecat_rust" => {
            let mut v = arn::ArenaVec::<u64>::with_capacity_in(BATCH, &arena).unwrap();
            for i in 0..BATCH as u64 {
                v.push(i).unwrap();
            }
            timed_ops(n, &mut v, |v, i| {
                black_box(v.get(black_box(i as usize % BATCH)));
            });
        }
        "mappt_rust" | "mapgt_rust" => {
            let mut m = arn::ArenaMap::<u64, u64>::with_capacity_in(KEYS as usize, &arena).unwrap();
            for k in 0..KEYS {
                m.insert(k, k).unwrap();
            }
            if mode == "mappt_rust" {
                timed_ops(n, &mut m, |m, i| {
                    black_box(m.insert(black_box(i % KEYS), i).unwrap());
                });
            } else {
                timed_ops(n, &mut m, |m, i| {
                    black_box(m.get(&black_box(i % KEYS)));
                });
            }
        }
        "chunk_c" => {
            let mut c = CChunks::new();
            timed_ops(n, &mut c, |c, _| c.op());
        }
        other => panic!("unknown mode {other}"),
    }
}

/// The criterion groups, with warm-ups of 1 s and measurements of 3 s,
/// as the other benches.
fn benches() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    for group in [bytes, slices, fixed] {
        group(&mut c);
    }
    c.final_summary();
}

fn main() {
    match common::count_mode() {
        Some((mode, n)) => count(&mode, n),
        None => {
            benches();
            report();
        }
    }
}
