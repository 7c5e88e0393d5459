//! The test suites of arena-alligator 0.7 and arena-arc 0.1, run against
//! arn's compat faces (`arn::compat::arena_alligator`,
//! `arn::compat::arena_arc`). Each file is a copy of the original's test
//! module, integration test, example or documentation example, with its
//! crate path changed; README.md in this folder lists what was copied,
//! what was left out and why. The copies are under the MIT licence of
//! their crates (LICENSE-arena-alligator, LICENSE-arena-arc).
//!
//! Features: the async tests and examples need `async-alloc`, the raw
//! access ones `hazmat-raw-access`, as in arena-alligator (`make test`
//! runs them with both).

mod alligator {
    mod docs;
    mod example_buddy_buffer;
    mod example_fixed_buffer;
    mod example_spill_buffer;
    mod from_raw;
    mod lifecycle;
    mod unit_arena;
    mod unit_buddy;
    mod unit_buffer;
    mod unit_dealloc;
    mod unit_error;
    mod unit_ext;
    mod unit_geometry;
    mod unit_handle;

    #[cfg(feature = "async-alloc")]
    mod example_async_alloc;
    #[cfg(feature = "async-alloc")]
    mod example_treiber_waker;
    #[cfg(feature = "async-alloc")]
    mod unit_async_alloc;

    #[cfg(feature = "hazmat-raw-access")]
    mod example_hazmat_buddy_raw;
    #[cfg(feature = "hazmat-raw-access")]
    mod example_hazmat_fixed_raw;
    mod hazmat_raw_access;
    #[cfg(feature = "hazmat-raw-access")]
    mod unit_raw_region;
}

mod arc {
    mod docs;
    mod unit;
}
