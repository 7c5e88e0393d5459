//! The arenas the container tests run on.

use crate::grow::GrowArena;

/// A growing arena of 4 KiB chunks, so that the tests roll over chunks
/// soon.
pub(super) fn small() -> GrowArena {
    GrowArena::builder().chunk_size(4096).build().unwrap()
}

/// Runs `$test`, generic over the arena (`fn(&A)` with
/// `A: ArenaAlloc + ?Sized`), on a plain arena, on a shared (locked) one,
/// and on a plain one behind `dyn ArenaAlloc`.
macro_rules! on_every_arena {
    ($test:ident) => {{
        use crate::grow::{ArenaAlloc, GrowArena, SharedGrowArena};
        $test(&super::test_arenas::small());
        let shared: SharedGrowArena = GrowArena::builder()
            .chunk_size(4096)
            .build_shared()
            .unwrap();
        $test(&shared);
        let a = super::test_arenas::small();
        $test::<dyn ArenaAlloc>(&a);
    }};
}
pub(super) use on_every_arena;
