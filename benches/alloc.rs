//! 64-byte allocations side by side in one process: `arnal` through the C
//! ABI, `Arena::alloc` from Rust, bumpalo, and glibc malloc+free. Prints the
//! criterion medians and their ratios at the end (`make bench`).

use std::alloc::Layout;
use std::ffi::c_void;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};

unsafe extern "C" {
    fn arnmk(size: usize) -> u64;
    fn arnal(a: u64, bytes: usize) -> *mut c_void;
    fn arnrs(a: u64) -> i32;
    fn arnfr(a: u64) -> i32;
}

const SIZE: usize = 64;
/// Allocations between two (untimed) resets.
const BATCH: u64 = 16 * 1024;
const GROUP: &str = "alloc_64B";

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

    g.bench_function("malloc_free", |b| {
        b.iter(|| {
            // SAFETY: a plain malloc/free pair.
            unsafe {
                let p = libc::malloc(black_box(SIZE));
                libc::free(black_box(p));
            }
        });
    });
    g.finish();
}

fn median_ns(id: &str) -> Option<f64> {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let path = format!("{target}/criterion/{GROUP}/{id}/new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["median"]["point_estimate"].as_f64()
}

fn report() {
    let ids = ["arnal_c_abi", "arena_alloc_rust", "bumpalo", "malloc_free"];
    let medians: Vec<Option<f64>> = ids.iter().map(|id| median_ns(id)).collect();
    println!("\nmedians ({GROUP}):");
    for (id, m) in ids.iter().zip(&medians) {
        match m {
            Some(ns) => println!("  {id:<18} {ns:8.3} ns"),
            None => println!("  {id:<18} (not run)"),
        }
    }
    let ratio = |a: usize, b: usize, target: &str| {
        if let (Some(x), Some(y)) = (medians[a], medians[b]) {
            println!(
                "  {:<18} / {:<14} = {:5.2}   (target {target})",
                ids[a],
                ids[b],
                x / y
            );
        }
    };
    println!("ratios:");
    ratio(0, 3, "<= 0.50, stretch <= 0.33");
    ratio(0, 2, "<= 2.50");
    ratio(1, 2, "<= 1.00");
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = alloc_64
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    report();
}
