//! Shared chunk slices against arena-arc 0.1.2 and `Arc<[u64]>`, side by
//! side in one process (`make bench`). One op = allocate a slice of 16
//! `u64` (element `i` = `i`), clone the handle, drop both.
//!
//! - `arn`: `arn::ChunkAllocator<u64, 1024>`;
//! - `arena_arc`: `arena_arc::Allocator<u64, u32, 1024>`;
//! - `arn_compat`: the same type through arn's face,
//!   `arn::compat::arena_arc::Allocator<u64, u32, 1024>`;
//! - `arc`: `Arc<[u64]>` collected from the same iterator.
//!
//! Prints the criterion medians and their ratios at the end. With
//! `ARN_COUNT=<arn|arena_arc|arc> ARN_COUNT_N=<n>` it instead runs `n` ops
//! of one variant inside a function named `timed_ops`, for callgrind
//! (`benches/callgrind_chunk.sh`).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group};

mod common;
use common::report_group;

const LEN: usize = 16;
const CHUNK: usize = 1024;

type Ours = arn::ChunkAllocator<u64, CHUNK>;
type Theirs = arena_arc::Allocator<u64, u32, CHUNK>;
type Face = arn::compat::arena_arc::Allocator<u64, u32, CHUNK>;

/// One op on ours.
#[inline(always)]
fn ours(a: &mut Ours) {
    let s = a.alloc(black_box(LEN), |i| i as u64);
    let t = s.clone();
    black_box(&s);
    black_box(&t);
}

/// One op on arena-arc.
#[inline(always)]
fn theirs(a: &mut Theirs) {
    let s = a.alloc(black_box(LEN as u32), |i| i as u64);
    let t = s.clone();
    black_box(&s);
    black_box(&t);
}

/// One op on arn through arena-arc's face.
#[inline(always)]
fn face(a: &mut Face) {
    let s = a.alloc(black_box(LEN as u32), |i| i as u64);
    let t = s.clone();
    black_box(&s);
    black_box(&t);
}

/// One op on `Arc<[u64]>`.
#[inline(always)]
fn arc() {
    let s: Arc<[u64]> = (0..black_box(LEN)).map(|i| i as u64).collect();
    let t = s.clone();
    black_box(&s);
    black_box(&t);
}

fn slices(c: &mut Criterion) {
    let mut g = c.benchmark_group("slice_16xu64");
    let mut a = Ours::new();
    g.bench_function("arn", |b| b.iter(|| ours(&mut a)));
    let mut t = Theirs::new();
    g.bench_function("arena_arc", |b| b.iter(|| theirs(&mut t)));
    let mut f = Face::new();
    g.bench_function("arn_compat", |b| b.iter(|| face(&mut f)));
    g.bench_function("arc", |b| b.iter(arc));
    g.finish();
}

fn report() {
    report_group(
        "slice_16xu64",
        &["arn", "arena_arc", "arc", "arn_compat"],
        &[
            (0, 1, "<= 0.80"),
            (3, 0, "<= 1.05"),
            (3, 1, "< 1.00"),
            (0, 2, "(reference)"),
            (1, 2, "(reference)"),
        ],
    );
}

/// Runs `n` calls of `op` inside one function whose name callgrind can
/// select (`--toggle-collect=*timed_ops*`); set-up stays outside.
#[inline(never)]
fn timed_ops(n: u64, mut op: impl FnMut()) {
    for _ in 0..n {
        op();
    }
}

/// The callgrind mode: `n` ops of `mode`.
fn count(mode: &str, n: u64) {
    match mode {
        "arn" => {
            let mut a = Ours::new();
            timed_ops(n, || ours(&mut a));
        }
        "arena_arc" => {
            let mut a = Theirs::new();
            timed_ops(n, || theirs(&mut a));
        }
        "arc" => timed_ops(n, arc),
        "arn_compat" => {
            let mut a = Face::new();
            timed_ops(n, || face(&mut a));
        }
        other => panic!("unknown mode {other}"),
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = slices
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
