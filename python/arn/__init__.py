"""arn: manual allocators (arena, bump, pool, block, stack, mmap, region,
scratch, byte arenas, chunk slices, growing arena with vector and map),
from libarn's C interface through ctypes.

The library is found through the ARN_LIBRARY environment variable (a path),
else the installed libarn.so.0, else the build tree next to this source.
"""

from ._lib import C as _C
from ._lib import path as library_path
from ._structs import (
    ArenaStats,
    BlockStats,
    BuddyStats,
    BumpStats,
    ChunkStats,
    FixedStats,
    GrowStats,
    MmapStats,
    PoolStats,
    RegionStats,
)
from .allocators import Arena, BlockPool, Bump, MmapArena, Pool, Region, Scratch, Stack, TypedArena
from .bytearenas import Buffer, BuddyArena, Bytes, Chunks, FixedArena, Slice
from .errors import (
    BusyError,
    CapacityError,
    ClosedError,
    DoubleFreeError,
    Error,
    ForeignPointerError,
    InvalidArgumentError,
    InvalidHandleError,
    NoCheckpointError,
    OutOfBoundsError,
    PanicError,
    StackError,
    StaleHandleError,
    SystemMemoryError,
    TimedOutError,
    WrongKindError,
)
from .grow import GrowArena, Map, Vector

__version__ = "0.1.0"


def library_version() -> str:
    """The loaded library's version string, e.g. "0.1.0"."""
    return _C.version().decode()


def library_version_number() -> int:
    """The loaded library's version as major * 10000 + minor * 100 + patch."""
    return _C.version_number()


def align_size(size: int, align: int) -> int:
    """``size`` rounded up to ``align``, a power of two up to 4096."""
    return _C.align_size(size, align)


__all__ = [
    "Arena", "TypedArena", "Bump", "Pool", "BlockPool", "Stack", "MmapArena", "Region",
    "Scratch", "FixedArena", "BuddyArena", "Buffer", "Bytes", "Chunks", "Slice", "GrowArena",
    "Vector", "Map",
    "ArenaStats", "BumpStats", "PoolStats", "BlockStats", "MmapStats", "RegionStats",
    "FixedStats", "BuddyStats", "ChunkStats", "GrowStats",
    "Error", "InvalidHandleError", "StaleHandleError", "WrongKindError", "InvalidArgumentError",
    "CapacityError", "SystemMemoryError", "OutOfBoundsError", "ForeignPointerError",
    "DoubleFreeError", "StackError", "NoCheckpointError", "PanicError", "BusyError",
    "TimedOutError", "ClosedError",
    "library_version", "library_version_number", "library_path", "align_size", "__version__",
]
