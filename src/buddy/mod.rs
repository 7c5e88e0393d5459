//! The buddy byte arena (being written).
pub(crate) mod ffi;
/// Placeholder.
pub struct BuddyArena;
/// Placeholder.
pub struct BuddyArenaBuilder;
/// Placeholder.
pub struct BuddyMetrics;
