//! Metrics snapshots, in arena-alligator's field names, read from arn's
//! counters.

/// A snapshot of a fixed arena's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FixedArenaMetrics {
    /// Allocations that got a slot.
    pub allocations_ok: u64,
    /// Allocations refused because every slot was in use.
    pub allocations_failed: u64,
    /// Slots that came back (dropped buffers, dropped bytes, spills).
    pub frees: u64,
    /// Buffers frozen into `Bytes` over their slot.
    pub frozen: u64,
    /// Buffers that moved to the heap.
    pub spills: u64,
    /// Bytes of memory under the slots.
    pub bytes_reserved: usize,
    /// Bytes of the slots out now.
    pub bytes_live: usize,
}

impl From<crate::fixed::FixedStats> for FixedArenaMetrics {
    fn from(m: crate::fixed::FixedStats) -> Self {
        FixedArenaMetrics {
            allocations_ok: m.allocations,
            allocations_failed: m.failures,
            frees: m.frees,
            frozen: m.frozen,
            spills: m.spills,
            bytes_reserved: m.bytes_reserved,
            bytes_live: m.bytes_live,
        }
    }
}

/// A snapshot of a buddy arena's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct BuddyArenaMetrics {
    /// Allocations that got a block.
    pub allocations_ok: u64,
    /// Allocations refused: no block big enough free now, or a request
    /// larger than the arena.
    pub allocations_failed: u64,
    /// Blocks that came back (dropped buffers, dropped bytes, spills).
    pub frees: u64,
    /// Buffers frozen into `Bytes` over their block.
    pub frozen: u64,
    /// Buffers that moved to the heap.
    pub spills: u64,
    /// Bytes of memory under the blocks.
    pub bytes_reserved: usize,
    /// Bytes of the blocks out now (block sizes, not bytes written).
    pub bytes_live: usize,
    /// Blocks split in two to serve an allocation.
    pub splits: u64,
    /// Pairs of free buddies merged.
    pub coalesces: u64,
    /// Bytes of the largest block free now; 0 when none is.
    pub largest_free_block: usize,
}

impl BuddyArenaMetrics {
    /// The face's metrics from the core's, plus its own count of requests
    /// too large for the arena.
    pub(crate) fn from_core(m: crate::buddy::BuddyStats, too_large: u64) -> Self {
        BuddyArenaMetrics {
            allocations_ok: m.allocations,
            allocations_failed: m.failures + too_large,
            frees: m.frees,
            frozen: m.frozen,
            spills: m.spills,
            bytes_reserved: m.bytes_reserved,
            bytes_live: m.bytes_live,
            splits: m.splits,
            coalesces: m.coalesces,
            largest_free_block: m.largest_free_block,
        }
    }
}
