//! `Debug` for the allocators, written once: an allocator shows its
//! counters, never the bytes it holds (they may be anything, and they may
//! be lent out as `&mut`).

use std::fmt;

use crate::{Arena, BlockPool, Bump, MmapArena, ObjectPool, Region, Scratch, Stack, TypedArena};

macro_rules! debug_by_stats {
    ($($t:ident),+) => {$(
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($t))
                    .field("stats", &self.stats())
                    .finish_non_exhaustive()
            }
        }
    )+};
}

debug_by_stats!(
    Arena, TypedArena, Bump, MmapArena, Region, BlockPool, ObjectPool
);

impl fmt::Debug for Scratch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scratch")
            .field("used", &self.used())
            .field("capacity", &self.capacity())
            .field("depth", &self.depth())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Stack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stack")
            .field("top", &self.top())
            .field("capacity", &self.capacity())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn allocators_show_their_counters() {
        let a = crate::Arena::new(64).unwrap();
        a.alloc(8).unwrap();
        let s = format!("{a:?}");
        assert!(
            s.starts_with("Arena { stats: ArenaStats { size: 64, offset: 8"),
            "{s}"
        );
        let st = crate::Stack::new(64).unwrap();
        assert_eq!(format!("{st:?}"), "Stack { top: 0, capacity: 64, .. }");
        let sc = crate::Scratch::new(64).unwrap();
        assert_eq!(
            format!("{sc:?}"),
            "Scratch { used: 0, capacity: 64, depth: 0, .. }"
        );
        assert!(format!("{:?}", crate::Region::new()).starts_with("Region { stats"));
    }
}
