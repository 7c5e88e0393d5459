//! The one error type of arn and its stable C codes.
//!
//! Every variant maps to an `ARN_E_*` number. A number, once published, is
//! never reused for another meaning; new classes get new numbers.

use std::ffi::c_int;

/// Success. Functions returning `int` return this when they succeed.
pub const ARN_OK: c_int = 0;
/// The handle is 0, forged, or names no object this library ever made.
pub const ARN_E_INVALID_HANDLE: c_int = 1;
/// The handle named an object that has been freed (its slot may be reused).
pub const ARN_E_STALE_HANDLE: c_int = 2;
/// The handle is live but of another kind (a bump handle passed to `arnal`).
pub const ARN_E_WRONG_KIND: c_int = 3;
/// A size of zero, a size computation that overflows, an alignment that is
/// not a power of two (or above the page size), or a NULL pointer where one
/// is required.
pub const ARN_E_INVALID_ARGUMENT: c_int = 4;
/// The allocator is full: the arena, bump buffer or typed arena has no room.
pub const ARN_E_CAPACITY: c_int = 5;
/// The operating system or the C heap refused memory.
pub const ARN_E_SYSTEM: c_int = 6;
/// An index at or beyond the number of allocated elements.
pub const ARN_E_OUT_OF_BOUNDS: c_int = 7;
/// A pointer that this allocator did not hand out.
pub const ARN_E_FOREIGN_POINTER: c_int = 8;
/// An object or handle freed a second time.
pub const ARN_E_DOUBLE_FREE: c_int = 9;
/// Stack underflow, or a stack marker that was never taken or was discarded.
pub const ARN_E_STACK: c_int = 10;
/// A scratch restore with no checkpoint to restore.
pub const ARN_E_NO_CHECKPOINT: c_int = 11;
/// A bug inside arn panicked; the panic was caught at the C boundary.
pub const ARN_E_PANIC: c_int = 12;
/// The object is busy: a callback of it is still running (an object pool's
/// constructor, reset or destructor called back into the pool's own free).
pub const ARN_E_BUSY: c_int = 13;
/// A blocking allocation gave up: nothing became free within its timeout.
pub const ARN_E_TIMEOUT: c_int = 14;

/// Everything that can go wrong in arn, from Rust or through the C ABI.
///
/// The `Display` text names the numbers involved; the C layer prefixes it
/// with the name of the function that failed.
///
/// ```
/// let arena = arn::Arena::new(64).unwrap();
/// let err = arena.alloc(100).unwrap_err();
/// assert!(matches!(err, arn::Error::OutOfMemory { asked: 100, .. }));
/// assert_eq!(err.code(), arn::error::ARN_E_CAPACITY);
/// assert_eq!(err.to_string(), "arena out of memory: asked 100 bytes (104 with rounding and alignment), 64 left of 64");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// See [`ARN_E_INVALID_HANDLE`].
    #[error("invalid handle {handle:#x}")]
    InvalidHandle {
        /// The handle passed.
        handle: u64,
    },
    /// See [`ARN_E_STALE_HANDLE`].
    #[error("stale handle {handle:#x}: its {kind} was freed")]
    StaleHandle {
        /// The handle passed.
        handle: u64,
        /// What it named.
        kind: &'static str,
    },
    /// See [`ARN_E_WRONG_KIND`].
    #[error("wrong kind of handle {handle:#x}: expected {expected}, got {found}")]
    WrongKind {
        /// The handle passed.
        handle: u64,
        /// The kind the call takes.
        expected: &'static str,
        /// The kind the handle names.
        found: &'static str,
    },
    /// See [`ARN_E_INVALID_ARGUMENT`].
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// See [`ARN_E_CAPACITY`]: a byte allocator ran out of room. `needed`
    /// is `asked` plus rounding and alignment padding.
    #[error(
        "{what} out of memory: asked {asked} bytes{}, {left} left of {capacity}",
        padding_note(.asked, .needed)
    )]
    OutOfMemory {
        /// The allocator.
        what: &'static str,
        /// Bytes asked for.
        asked: usize,
        /// `asked` with rounding and alignment padding.
        needed: usize,
        /// Bytes left.
        left: usize,
        /// The allocator's capacity in bytes.
        capacity: usize,
    },
    /// See [`ARN_E_CAPACITY`]: every slot of a slot allocator is in use.
    #[error("{what} full: all {capacity} slots in use")]
    Full {
        /// The allocator.
        what: &'static str,
        /// Its number of slots.
        capacity: usize,
    },
    /// See [`ARN_E_CAPACITY`]: every block of a block allocator is in use
    /// (the original arn API's words).
    #[error("no free blocks in pool: all {capacity} blocks in use")]
    NoFreeBlocks {
        /// Its number of blocks.
        capacity: usize,
    },
    /// See [`ARN_E_CAPACITY`]: a buddy arena has no free block big enough.
    #[error(
        "buddy arena has no free block of {block} bytes for {asked} asked: largest free block {largest} of {capacity}"
    )]
    NoBlock {
        /// Bytes asked for.
        asked: usize,
        /// The block size that would hold them.
        block: usize,
        /// The largest free block.
        largest: usize,
        /// The arena's size.
        capacity: usize,
    },
    /// See [`ARN_E_CAPACITY`]: a write past the end of a buffer that may
    /// not spill to the heap.
    #[error("buffer full: writing {asked} bytes, {remaining} left of {capacity} (no auto-spill)")]
    BufferFull {
        /// Bytes being written.
        asked: usize,
        /// Bytes left in the buffer.
        remaining: usize,
        /// The buffer's capacity.
        capacity: usize,
    },
    /// See [`ARN_E_SYSTEM`].
    #[error("the system refused {bytes} bytes of memory")]
    System {
        /// Bytes asked of the system.
        bytes: usize,
    },
    /// See [`ARN_E_SYSTEM`]: a system call refused memory and said why.
    #[error("the system refused {bytes} bytes of memory: {reason}")]
    Refused {
        /// Bytes asked of the system.
        bytes: usize,
        /// What the system said.
        reason: String,
    },
    /// See [`ARN_E_OUT_OF_BOUNDS`].
    #[error("index {index} out of bounds: {len} allocated")]
    OutOfBounds {
        /// The index given.
        index: usize,
        /// Elements allocated.
        len: usize,
    },
    /// See [`ARN_E_FOREIGN_POINTER`].
    #[error("pointer {addr:#x} was not handed out by this {what}")]
    ForeignPointer {
        /// The pointer's address.
        addr: usize,
        /// The allocator.
        what: &'static str,
    },
    /// See [`ARN_E_DOUBLE_FREE`].
    #[error("double free: {0}")]
    DoubleFree(String),
    /// See [`ARN_E_STACK`].
    #[error("stack: {0}")]
    Stack(String),
    /// See [`ARN_E_NO_CHECKPOINT`].
    #[error("no checkpoint to restore")]
    NoCheckpoint,
    /// See [`ARN_E_PANIC`].
    #[error("internal panic: {0}")]
    Panic(String),
    /// See [`ARN_E_BUSY`].
    #[error("busy: {0}")]
    Busy(String),
    /// See [`ARN_E_TIMEOUT`].
    #[error("timed out: {what} had nothing free within {ms} ms")]
    Timeout {
        /// The allocator.
        what: &'static str,
        /// The timeout.
        ms: u64,
    },
}

impl Error {
    /// The stable `ARN_E_*` code of this error.
    pub fn code(&self) -> c_int {
        match self {
            Error::InvalidHandle { .. } => ARN_E_INVALID_HANDLE,
            Error::StaleHandle { .. } => ARN_E_STALE_HANDLE,
            Error::WrongKind { .. } => ARN_E_WRONG_KIND,
            Error::InvalidArgument(_) => ARN_E_INVALID_ARGUMENT,
            Error::OutOfMemory { .. }
            | Error::Full { .. }
            | Error::NoFreeBlocks { .. }
            | Error::NoBlock { .. }
            | Error::BufferFull { .. } => ARN_E_CAPACITY,
            Error::System { .. } | Error::Refused { .. } => ARN_E_SYSTEM,
            Error::OutOfBounds { .. } => ARN_E_OUT_OF_BOUNDS,
            Error::ForeignPointer { .. } => ARN_E_FOREIGN_POINTER,
            Error::DoubleFree(_) => ARN_E_DOUBLE_FREE,
            Error::Stack(_) => ARN_E_STACK,
            Error::NoCheckpoint => ARN_E_NO_CHECKPOINT,
            Error::Panic(_) => ARN_E_PANIC,
            Error::Busy(_) => ARN_E_BUSY,
            Error::Timeout { .. } => ARN_E_TIMEOUT,
        }
    }

    /// Builds an [`Error::InvalidArgument`] from anything printable.
    #[cold]
    pub(crate) fn invalid(msg: impl Into<String>) -> Error {
        Error::InvalidArgument(msg.into())
    }

    /// Builds an [`Error::Timeout`]: `what` had nothing free in `waited`.
    #[cold]
    pub(crate) fn timeout(what: &'static str, waited: std::time::Duration) -> Error {
        Error::Timeout {
            what,
            ms: u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

fn padding_note(asked: &usize, needed: &usize) -> String {
    if needed > asked {
        format!(" ({needed} with rounding and alignment)")
    } else {
        String::new()
    }
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_nonzero() {
        let all = [
            Error::InvalidHandle { handle: 0 },
            Error::StaleHandle {
                handle: 0,
                kind: "arena",
            },
            Error::WrongKind {
                handle: 0,
                expected: "arena",
                found: "bump",
            },
            Error::invalid("x"),
            Error::OutOfMemory {
                what: "arena",
                asked: 1,
                needed: 8,
                left: 0,
                capacity: 0,
            },
            Error::System { bytes: 1 },
            Error::OutOfBounds { index: 1, len: 0 },
            Error::ForeignPointer {
                addr: 1,
                what: "arena",
            },
            Error::DoubleFree("x".into()),
            Error::Stack("x".into()),
            Error::NoCheckpoint,
            Error::Panic("x".into()),
            Error::Busy("x".into()),
            Error::Timeout {
                what: "fixed arena",
                ms: 1,
            },
        ];
        let mut codes: Vec<c_int> = all.iter().map(Error::code).collect();
        assert!(codes.iter().all(|&c| c != ARN_OK));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }

    #[test]
    fn messages_carry_the_numbers() {
        let e = Error::OutOfMemory {
            what: "arena",
            asked: 128,
            needed: 128,
            left: 64,
            capacity: 1_048_576,
        };
        assert_eq!(
            e.to_string(),
            "arena out of memory: asked 128 bytes, 64 left of 1048576"
        );
        let e = Error::OutOfMemory {
            what: "arena",
            asked: 4,
            needed: 8,
            left: 4,
            capacity: 20,
        };
        assert_eq!(
            e.to_string(),
            "arena out of memory: asked 4 bytes (8 with rounding and alignment), 4 left of 20"
        );
    }
}
