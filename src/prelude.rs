//! The allocation traits, to import at once: `use arn::prelude::*;`.
//!
//! Every allocator has its typed methods (`alloc_value`, ...) as inherent
//! methods too, so the prelude is needed only for code generic over
//! allocators, and for the growing arenas' byte-level [`ArenaAlloc`]
//! methods (`alloc`, `free`, `realloc`, ...).
//!
//! ```
//! use arn::prelude::*;
//!
//! /// Works with any arn allocator.
//! fn pair<A: TypedAlloc>(a: &A) -> arn::Result<&mut (u32, u32)> {
//!     a.alloc_value((1, 2))
//! }
//! # fn main() -> arn::Result<()> {
//! assert_eq!(*pair(&arn::Bump::new(64)?)?, (1, 2));
//! assert_eq!(*pair(&arn::GrowArena::new())?, (1, 2));
//! # Ok(()) }
//! ```

pub use crate::collections::Pointers;
pub use crate::grow::{ArenaAlloc, MemorySource};
pub use crate::typed::TypedAlloc;
pub use allocator_api2::alloc::Allocator;
