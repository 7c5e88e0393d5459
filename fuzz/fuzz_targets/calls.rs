//! Fuzz target `calls`: see `fuzz/bodies/mod.rs`.
#![no_main]

extern crate arn;

#[path = "../bodies/mod.rs"]
mod bodies;

libfuzzer_sys::fuzz_target!(|data: &[u8]| bodies::calls(data));
