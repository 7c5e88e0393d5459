//! Where the containers give memory back to their arena, and, in the
//! tracking build, the quarantine that keeps it poisoned for a while
//! first.
//!
//! The growing arena does not report its blocks to the memory checkers
//! yet, so a block a container frees would be live to them again at
//! once, and one a container poisoned before freeing would stay poisoned
//! when the arena hands it out again (a false report). So in the tracking
//! build a container never frees a block at once: [`Hold::free`] poisons
//! it and keeps it here; the oldest blocks are opened again and freed
//! when the hold passes [`LIMIT_BLOCKS`] blocks or [`LIMIT_BYTES`] bytes,
//! and all of them when the container goes ([`Hold::release`]). A use of
//! a vector's old storage after it moved, or of a map's value after it was
//! replaced or removed, is then reported. In the normal build [`Hold`] is
//! empty and [`Hold::free`] frees at once.

use std::ptr::NonNull;

use crate::error::Result;
use crate::grow::ArenaAlloc;

/// Most blocks a hold keeps before it frees the oldest.
#[cfg_attr(not(feature = "track"), allow(dead_code))]
pub(super) const LIMIT_BLOCKS: usize = 256;

/// Most bytes a hold keeps before it frees the oldest blocks.
#[cfg_attr(not(feature = "track"), allow(dead_code))]
pub(super) const LIMIT_BYTES: usize = 4 << 20;

/// The bytes the tracking build poisons and opens for the block at `p` of
/// which a container uses `n`: the whole block as the arena sized it, so
/// that a read past the end of what the container uses is reported too.
/// `n` in the normal build, which asks nothing.
#[inline(always)]
pub(super) fn room<A: ArenaAlloc + ?Sized>(arena: &A, p: *const u8, n: usize) -> usize {
    if crate::track::ON {
        arena.usable_size(p).map_or(n, |u| u.max(n))
    } else {
        n
    }
}

/// Blocks a container gave up, still poisoned (tracking build only).
#[derive(Default)]
pub(super) struct Hold {
    #[cfg(feature = "track")]
    blocks: std::collections::VecDeque<(NonNull<u8>, usize)>,
    #[cfg(feature = "track")]
    bytes: usize,
}

// SAFETY: the addresses of the container's own blocks, owned with it.
unsafe impl Send for Hold {}

impl Hold {
    /// Gives back the block at `p`, of which the container used `n`
    /// bytes: at once in the normal build, after a while in the tracking
    /// build (the whole block poisoned until then).
    ///
    /// # Safety
    ///
    /// `p` is a live block of `arena`, used no more, at least `n` bytes.
    #[inline(always)]
    pub(super) unsafe fn free<A: ArenaAlloc + ?Sized>(
        &mut self,
        arena: &A,
        p: NonNull<u8>,
        n: usize,
    ) -> Result<()> {
        #[cfg(feature = "track")]
        if crate::track::ON {
            let n = room(arena, p.as_ptr(), n);
            crate::track::taken_back(p.as_ptr(), n);
            self.bytes += n;
            self.blocks.push_back((p, n));
            while self.blocks.len() > LIMIT_BLOCKS || self.bytes > LIMIT_BYTES {
                // SAFETY: the caller's promise, made when the block came.
                let freed = unsafe { self.free_oldest(arena) };
                debug_assert!(freed.is_ok(), "held block refused: {freed:?}");
            }
            return Ok(());
        }
        let _ = n;
        // SAFETY: the caller's promise.
        unsafe { arena.free(p) }
    }

    /// Frees every block held.
    ///
    /// # Safety
    ///
    /// `arena` is the one the held blocks came from, not reset since.
    #[inline(always)]
    pub(super) unsafe fn release<A: ArenaAlloc + ?Sized>(&mut self, arena: &A) -> Result<()> {
        #[cfg(feature = "track")]
        while !self.blocks.is_empty() {
            // SAFETY: the caller's promise.
            unsafe { self.free_oldest(arena) }?;
        }
        let _ = arena;
        Ok(())
    }

    /// How many blocks are held (0 in the normal build).
    #[cfg(all(test, not(arn_loom)))]
    pub(super) fn len(&self) -> usize {
        #[cfg(feature = "track")]
        return self.blocks.len();
        #[cfg(not(feature = "track"))]
        0
    }

    /// # Safety
    ///
    /// As for [`Hold::release`].
    #[cfg(feature = "track")]
    unsafe fn free_oldest<A: ArenaAlloc + ?Sized>(&mut self, arena: &A) -> Result<()> {
        let Some((p, n)) = self.blocks.pop_front() else {
            return Ok(());
        };
        self.bytes -= n;
        // The arena writes its free list into the block: open it first.
        crate::track::open(p.as_ptr(), n);
        // SAFETY: a live block of `arena` (the caller's promise), used no
        // more since it came here.
        unsafe { arena.free(p) }
    }
}
