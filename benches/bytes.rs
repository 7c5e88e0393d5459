//! The byte arenas against arena-alligator 0.7, side by side in one process
//! (`make bench`): a roundtrip is allocate + write the whole buffer +
//! freeze + drop the `Bytes`.
//!
//! - `fixed_{64,256,4096}B`: 4096 slots; one thread, and two threads
//!   sharing one arena (time per roundtrip per thread); the same through
//!   the C ABI (`fxdal`, `bufwr`, `bufrz`, `bytdt`, `bytdr`, called as a C
//!   program calls them), on one thread and on two;
//! - `buddy_{256,1024,4096,16384}B`: a 64 MiB region with 256 B minimum
//!   blocks;
//! - `buddy_flat_256B`: the 256 B roundtrip on 1 MiB and 64 MiB regions.
//!
//! `arn_compat` is arn through arena-alligator's face
//! (`arn::compat::arena_alligator`), one thread: the same calls as
//! `arena_alligator`, with arn under them.
//!
//! Prints the criterion medians and their ratios at the end. With
//! `ARN_COUNT=<mode> ARN_COUNT_N=<n>` it instead runs `n` roundtrips of one
//! mode inside a function named `timed_roundtrips`, for callgrind
//! (`benches/callgrind_bytes.sh`).

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use std::ffi::c_void;

use bytes::{BufMut, Bytes};
use criterion::{Criterion, criterion_group};

mod common;
use common::report_group;

const SLOTS: usize = 4096;
const MIB: usize = 1 << 20;
const MIN_BLOCK: usize = 256;
const FIXED_SIZES: [usize; 3] = [64, 256, 4096];
const BUDDY_SIZES: [usize; 4] = [256, 1024, 4096, 16384];

unsafe extern "C" {
    fn fxdmk(slot_count: usize, slot_size: usize, options: *const c_void) -> u64;
    fn fxdal(arena: u64) -> u64;
    fn fxdfr(arena: u64) -> i32;
    fn bufwr(b: u64, data: *const c_void, len: usize) -> i32;
    fn bufrz(b: u64) -> u64;
    fn bytdt(b: u64) -> *const c_void;
    fn bytdr(b: u64) -> i32;
}

/// The fixed arena's C functions, through pointers the optimiser cannot
/// see through, as a C program calls them.
struct CFixed {
    arena: u64,
    alloc: unsafe extern "C" fn(u64) -> u64,
    write: unsafe extern "C" fn(u64, *const c_void, usize) -> i32,
    freeze: unsafe extern "C" fn(u64) -> u64,
    data: unsafe extern "C" fn(u64) -> *const c_void,
    drop: unsafe extern "C" fn(u64) -> i32,
}

impl CFixed {
    fn new(slots: usize, size: usize) -> CFixed {
        // SAFETY: a plain call; NULL options are the defaults.
        let arena = unsafe { fxdmk(slots, size, std::ptr::null()) };
        assert_ne!(arena, 0);
        CFixed {
            arena,
            alloc: black_box(fxdal),
            write: black_box(bufwr),
            freeze: black_box(bufrz),
            data: black_box(bytdt),
            drop: black_box(bytdr),
        }
    }

    /// One roundtrip through C: allocate, write `data`, freeze, read the
    /// pointer, drop.
    #[inline(always)]
    fn roundtrip(&self, data: &[u8]) {
        // SAFETY: the handles are live; `data` is readable.
        unsafe {
            let b = (self.alloc)(self.arena);
            debug_assert_ne!(b, 0);
            (self.write)(b, data.as_ptr().cast(), data.len());
            let y = (self.freeze)(b);
            black_box((self.data)(y));
            (self.drop)(y);
        }
    }
}

impl Drop for CFixed {
    fn drop(&mut self) {
        // SAFETY: the arena handle is live.
        assert_eq!(unsafe { fxdfr(self.arena) }, 0);
    }
}

fn nz(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap()
}

/// One roundtrip on a buffer type: write `data`, freeze, drop.
macro_rules! roundtrip {
    ($alloc:expr, $data:expr) => {{
        let mut buf = $alloc;
        buf.put_slice($data);
        let bytes: Bytes = buf.freeze();
        black_box(&bytes);
    }};
}

/// `iters` calls of `op` on each of two threads started together; the wall
/// time, so the result is the time per call per thread.
fn two_threads(iters: u64, op: &(dyn Fn() + Sync)) -> Duration {
    let start = Barrier::new(3);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                start.wait();
                for _ in 0..iters {
                    op();
                }
            });
        }
        start.wait();
        let t = Instant::now();
        // The scope joins both threads before returning the time.
        t
    })
    .elapsed()
}

fn fixed(c: &mut Criterion) {
    for size in FIXED_SIZES {
        let data = vec![0xA5u8; size];
        let ours = arn::FixedArena::builder(SLOTS, size).build().unwrap();
        let theirs = arena_alligator::FixedArena::with_slot_capacity(nz(SLOTS), nz(size))
            .build()
            .unwrap();
        let face =
            arn::compat::arena_alligator::FixedArena::with_slot_capacity(nz(SLOTS), nz(size))
                .build()
                .unwrap();
        let mut g = c.benchmark_group(format!("fixed_{size}B"));
        g.bench_function("arn", |b| {
            b.iter(|| roundtrip!(ours.allocate().unwrap(), &data))
        });
        g.bench_function("arn_compat", |b| {
            b.iter(|| roundtrip!(face.allocate().unwrap(), &data))
        });
        g.bench_function("arena_alligator", |b| {
            b.iter(|| roundtrip!(theirs.allocate().unwrap(), &data))
        });
        g.bench_function("arn_2threads", |b| {
            b.iter_custom(|n| two_threads(n, &|| roundtrip!(ours.allocate().unwrap(), &data)))
        });
        g.bench_function("arena_alligator_2threads", |b| {
            b.iter_custom(|n| two_threads(n, &|| roundtrip!(theirs.allocate().unwrap(), &data)))
        });
        let c = CFixed::new(SLOTS, size);
        g.bench_function("arn_c_abi", |b| b.iter(|| c.roundtrip(&data)));
        g.bench_function("arn_c_abi_2threads", |b| {
            b.iter_custom(|n| two_threads(n, &|| c.roundtrip(&data)))
        });
        g.finish();
    }
}

fn our_buddy(region: usize) -> arn::BuddyArena {
    arn::BuddyArena::builder(region, MIN_BLOCK).build().unwrap()
}

fn their_buddy(region: usize) -> arena_alligator::BuddyArena {
    let geometry = arena_alligator::BuddyGeometry::exact(nz(region), nz(MIN_BLOCK)).unwrap();
    arena_alligator::BuddyArena::builder(geometry)
        .build()
        .unwrap()
}

fn face_buddy(region: usize) -> arn::compat::arena_alligator::BuddyArena {
    use arn::compat::arena_alligator::{BuddyArena, BuddyGeometry};
    BuddyArena::builder(BuddyGeometry::exact(nz(region), nz(MIN_BLOCK)).unwrap())
        .build()
        .unwrap()
}

fn buddy(c: &mut Criterion) {
    let ours = our_buddy(64 * MIB);
    let theirs = their_buddy(64 * MIB);
    let face = face_buddy(64 * MIB);
    for size in BUDDY_SIZES {
        let data = vec![0x5Au8; size];
        let mut g = c.benchmark_group(format!("buddy_{size}B"));
        g.bench_function("arn", |b| {
            b.iter(|| roundtrip!(ours.allocate(size).unwrap(), &data))
        });
        g.bench_function("arn_compat", |b| {
            b.iter(|| roundtrip!(face.allocate(nz(size)).unwrap(), &data))
        });
        g.bench_function("arena_alligator", |b| {
            b.iter(|| roundtrip!(theirs.allocate(nz(size)).unwrap(), &data))
        });
        g.finish();
    }
    let data = vec![0x5Au8; 256];
    let small = our_buddy(MIB);
    let their_small = their_buddy(MIB);
    let mut g = c.benchmark_group("buddy_flat_256B");
    g.bench_function("arn_1MiB", |b| {
        b.iter(|| roundtrip!(small.allocate(256).unwrap(), &data))
    });
    g.bench_function("arn_64MiB", |b| {
        b.iter(|| roundtrip!(ours.allocate(256).unwrap(), &data))
    });
    g.bench_function("arena_alligator_1MiB", |b| {
        b.iter(|| roundtrip!(their_small.allocate(nz(256)).unwrap(), &data))
    });
    g.finish();
}

fn report() {
    let ids = [
        "arn",
        "arena_alligator",
        "arn_compat",
        "arn_2threads",
        "arena_alligator_2threads",
        "arn_c_abi",
        "arn_c_abi_2threads",
    ];
    // The face: within 5 % of arn, and ahead of arena-alligator.
    let face = [(2, 0, "<= 1.05"), (2, 1, "< 1.00")];
    for size in FIXED_SIZES {
        let mut ratios = vec![
            (0, 1, "<= 0.33"),
            (3, 4, "<= 0.25"),
            (5, 1, "<= 1.00"),
            (6, 5, "<= 1.33: two threads at >= 1.5x one's throughput"),
        ];
        ratios.extend(face);
        report_group(&format!("fixed_{size}B"), &ids, &ratios);
    }
    for size in BUDDY_SIZES {
        let target = if size == 256 { "<= 0.05" } else { "<= 0.20" };
        let mut ratios = vec![(0, 1, target)];
        ratios.extend(face);
        report_group(&format!("buddy_{size}B"), &ids[..3], &ratios);
    }
    report_group(
        "buddy_flat_256B",
        &["arn_1MiB", "arn_64MiB", "arena_alligator_1MiB"],
        &[(1, 0, "<= 1.50"), (0, 2, "(reference)")],
    );
}

/// Runs `n` calls of `op` inside one function whose name callgrind can
/// select (`--toggle-collect=*timed_roundtrips*`); set-up stays outside.
#[inline(never)]
fn timed_roundtrips(n: u64, op: impl Fn()) {
    for _ in 0..n {
        op();
    }
}

/// The callgrind mode: `n` roundtrips of `mode`.
fn count(mode: &str, n: u64) {
    let data = vec![0xA5u8; 256];
    match mode {
        "fixed" => {
            let a = arn::FixedArena::builder(SLOTS, 64).build().unwrap();
            timed_roundtrips(n, || roundtrip!(a.allocate().unwrap(), &data[..64]));
        }
        "alligator_fixed" => {
            let a = arena_alligator::FixedArena::with_slot_capacity(nz(SLOTS), nz(64))
                .build()
                .unwrap();
            timed_roundtrips(n, || roundtrip!(a.allocate().unwrap(), &data[..64]));
        }
        "buddy" => {
            let a = our_buddy(64 * MIB);
            timed_roundtrips(n, || roundtrip!(a.allocate(256).unwrap(), &data));
        }
        "compat_fixed" => {
            let a = arn::compat::arena_alligator::FixedArena::with_slot_capacity(nz(SLOTS), nz(64))
                .build()
                .unwrap();
            timed_roundtrips(n, || roundtrip!(a.allocate().unwrap(), &data[..64]));
        }
        "compat_buddy" => {
            let a = face_buddy(64 * MIB);
            timed_roundtrips(n, || roundtrip!(a.allocate(nz(256)).unwrap(), &data));
        }
        "alligator_buddy" => {
            let a = their_buddy(64 * MIB);
            timed_roundtrips(n, || roundtrip!(a.allocate(nz(256)).unwrap(), &data));
        }
        "fixed_c" => {
            let c = CFixed::new(SLOTS, 64);
            timed_roundtrips(n, || c.roundtrip(&data[..64]));
        }
        // The baseline of a heap `Bytes`: copy 64 bytes in, drop.
        "bytes_copy" => timed_roundtrips(n, || {
            black_box(Bytes::copy_from_slice(&data[..64]));
        }),
        other => panic!("unknown mode {other}"),
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = fixed, buddy
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
