// Copied from arena-alligator 0.7.0 (src/error.rs, its unit tests), MIT licence: see LICENSE-arena-alligator
// in this folder. Changed: only the crate path (see README.md).

use std::boxed::Box;
use std::string::ToString;

use arn::compat::arena_alligator::*;

#[test]
fn alloc_error_display() {
    let err = AllocError::ArenaFull;
    assert_eq!(err.to_string(), "arena is full");
}

#[test]
fn request_too_large_display() {
    assert_eq!(
        AllocError::RequestTooLarge.to_string(),
        "request exceeds total arena capacity"
    );
}

#[test]
fn alloc_error_is_std_error() {
    let err: Box<dyn core::error::Error> = Box::new(AllocError::ArenaFull);
    assert_eq!(err.to_string(), "arena is full");
}

#[test]
fn build_error_display_variants() {
    assert_eq!(
        BuildError::SizeOverflow.to_string(),
        "total arena size overflows usize"
    );
    assert_eq!(
        BuildError::InvalidAlignment.to_string(),
        "alignment must be a power of 2"
    );
    assert_eq!(
        BuildError::InvalidGeometry.to_string(),
        "buddy arena geometry must be a power-of-two multiple of min block size"
    );
    assert_eq!(
        BuildError::SlotSizeExceedsBacking.to_string(),
        "requested slot size exceeds backing memory length"
    );
    assert_eq!(
        BuildError::ZeroUsableSlots.to_string(),
        "no usable slots fit in the provided backing memory"
    );
    assert_eq!(
        BuildError::NullPointer.to_string(),
        "null pointer provided to from_raw"
    );
}

#[test]
fn build_error_is_std_error() {
    let err: Box<dyn core::error::Error> = Box::new(BuildError::SizeOverflow);
    assert!(err.to_string().contains("overflows"));
}
