//! The growing arena of seed 001, with its vector and map.
