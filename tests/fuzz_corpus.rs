//! Replays the fuzz targets' seed corpus (`fuzz/corpus/<target>/`) with
//! stable Rust: the bodies in `fuzz/bodies/` run on every file, so a
//! regression the fuzzer once found, or any input that reached new code,
//! is checked on every `make test`. `make fuzz` (nightly) runs the
//! fuzzer itself.

extern crate arn;

#[path = "../fuzz/bodies/mod.rs"]
mod bodies;

use std::path::Path;

fn replay(target: &str, body: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seed corpus in {}", dir.display());
    for f in &files {
        let data = std::fs::read(f).expect("a corpus file");
        body(&data);
    }
    println!("{target}: {} inputs replayed", files.len());
}

#[test]
fn calls_corpus() {
    replay("calls", bodies::calls);
}

#[test]
fn grow_trace_corpus() {
    replay("grow_trace", bodies::grow_trace);
}

#[test]
fn byte_arenas_corpus() {
    replay("byte_arenas", bodies::byte_arenas);
}

/// Inputs of every length up to a few hundred bytes from a fixed
/// generator: the bodies run on input the corpus does not hold, so a
/// fresh clone checks them even before the fuzzer ever ran.
#[test]
fn generated_inputs() {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for len in 0..200 {
        let data: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        bodies::calls(&data);
        bodies::grow_trace(&data);
        bodies::byte_arenas(&data);
    }
}
