//! Containers whose storage lives in an arena (`Vector` and `Map` of the
//! Go arena limpo1989/arena): [`ArenaVec`], [`ArenaMap`], the pointer audit ([`Pointers`],
//! [`audit`]) and their C functions (`vec*`, `map*`).
//!
//! They reach their arena only through the allocation trait
//! [`ArenaAlloc`](crate::grow::ArenaAlloc), so any arena implementing it can
//! hold them; the growing arenas are the ones that do.

mod audit;
pub(crate) mod ffi;
mod hold;
mod map;
mod table;
mod vec;

pub use audit::{Pointers, Violation, Walker, audit, audit_as};
pub use map::ArenaMap;
pub use vec::ArenaVec;

#[cfg(all(test, not(arn_loom)))]
mod map_tests;
#[cfg(all(test, not(arn_loom)))]
mod test_arenas;
#[cfg(all(test, not(arn_loom)))]
mod vec_tests;
