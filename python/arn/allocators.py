"""The arn family: arena, typed arena, bump, object pool, block allocator,
stack, mmap arena, region and scratch space. One thread at a time each."""

from __future__ import annotations

import ctypes

from . import _structs as S
from ._base import ViewOwner, as_bytes
from ._lib import C


class Arena(ViewOwner):
    """A zero-filled buffer of ``size`` bytes, handed out by bumping
    (8-aligned), taken back all at once by ``reset()``."""

    _free = "arena_free"

    def __init__(self, size: int):
        super().__init__(C.arena_make(size))

    def alloc(self, size: int, align: int = 8) -> memoryview:
        """``size`` zeroed bytes at a multiple of ``align`` (a power of two
        up to 4096)."""
        if align == 8:
            address = C.arena_alloc(self._live(), size)
        else:
            address = C.arena_alloc_aligned(self._live(), size, align)
        return self._view(address, size)

    def copy(self, data) -> memoryview:
        """A copy of ``data`` (bytes-like) in the arena."""
        data = as_bytes(data)
        return self._view(C.arena_copy(self._live(), data, len(data)), len(data))

    def owns(self, view) -> bool:
        """Whether ``view`` lies in the bytes handed out since the last reset."""
        live = self._live()
        address = self._owned_address(view)
        return address is not None and C.arena_owns(live, address) == 1

    def reset(self) -> None:
        """Everything back; the views handed out so far are released."""
        C.arena_reset(self._live())
        self._invalidate()

    def stats(self) -> S.ArenaStats:
        return S.read(S.ArenaStatsC, C.arena_stats, self._live())


class TypedArena(ViewOwner):
    """``capacity`` slots of ``type_size`` bytes, addressed by index."""

    _free = "arena_free"

    def __init__(self, type_size: int, capacity: int):
        super().__init__(C.typed_make(type_size, capacity))
        self.type_size = type_size

    def alloc(self) -> tuple[int, memoryview]:
        """The next slot: ``(index, view)``."""
        index = ctypes.c_size_t()
        address = C.typed_alloc(self._live(), ctypes.byref(index))
        return index.value, self._view(address, self.type_size)

    def __getitem__(self, index: int) -> memoryview:
        """The slot at ``index`` (below the number handed out)."""
        if index < 0:
            raise IndexError(f"TypedArena index {index} is negative")
        return self._view(C.typed_at(self._live(), index), self.type_size)

    def reset(self) -> None:
        C.arena_reset(self._live())
        self._invalidate()

    def stats(self) -> S.ArenaStats:
        return S.read(S.ArenaStatsC, C.arena_stats, self._live())


class Bump(ViewOwner):
    """A bump allocator of ``size`` bytes."""

    _free = "bump_free"

    def __init__(self, size: int):
        super().__init__(C.bump_make(size))

    def alloc(self, size: int) -> memoryview:
        return self._view(C.bump_alloc(self._live(), size), size)

    def reset(self) -> None:
        C.bump_reset(self._live())
        self._invalidate()

    def stats(self) -> S.BumpStats:
        return S.read(S.BumpStatsC, C.bump_stats, self._live())


class Pool(ViewOwner):
    """An object pool of zero-filled blocks of ``object_size`` bytes;
    ``initial_capacity`` are made up front and kept by ``shrink()``."""

    _free = "pool_free"

    def __init__(self, object_size: int = 64, initial_capacity: int = 0):
        opts = S.PoolOpts(object_size=object_size, initial_capacity=initial_capacity)
        super().__init__(C.pool_make(ctypes.byref(opts)))
        self.object_size = object_size or 64

    def get(self) -> memoryview:
        """A zero-filled block (a returned one is zeroed again)."""
        return self._view(C.pool_get(self._live()), self.object_size)

    def put(self, view) -> None:
        """Gives the block back; the view is released."""
        C.pool_put(self._live(), self._address(view, "pool_put"))
        self._gone(view)

    def shrink(self) -> None:
        C.pool_shrink(self._live())

    def stats(self) -> S.PoolStats:
        return S.read(S.PoolStatsC, C.pool_stats, self._live())


class BlockPool(ViewOwner):
    """``block_count`` zero-filled blocks of ``block_size`` bytes."""

    _free = "block_free"

    def __init__(self, block_size: int, block_count: int):
        super().__init__(C.block_make(block_size, block_count))
        self.block_size = block_size

    def alloc(self) -> memoryview:
        return self._view(C.block_alloc(self._live()), self.block_size)

    def free(self, view) -> None:
        """Gives the block back (zeroed); the view is released."""
        C.block_put(self._live(), self._address(view, "block_put"))
        self._gone(view)

    def stats(self) -> S.BlockStats:
        return S.read(S.BlockStatsC, C.block_stats, self._live())


class Stack(ViewOwner):
    """A stack allocator of ``size`` bytes with markers."""

    _free = "stack_free"

    def __init__(self, size: int):
        super().__init__(C.stack_make(size))

    def mark(self) -> int:
        """A marker at the top (its offset), for ``restore``."""
        marker = ctypes.c_size_t()
        C.stack_mark(self._live(), ctypes.byref(marker))
        return marker.value

    def push(self, data=None, size: int | None = None) -> memoryview:
        """Pushes a copy of ``data`` (bytes-like), or ``size`` zero bytes."""
        live = self._live()
        if data is not None:
            data = as_bytes(data)
            if size is not None and size != len(data):
                raise ValueError(f"push: size {size} is not len(data) {len(data)}")
            size = len(data)
        elif size is None:
            raise TypeError("push: give data or size")
        top = self.mark()
        view = self._view(C.stack_push(live, data, size), size)
        self._views[id(view)].seq = top  # a view lives while the top is above it
        return view

    def pop(self, size: int) -> None:
        C.stack_pop(self._live(), size)
        self._drop_above()

    def restore(self, marker: int) -> None:
        C.stack_restore(self._live(), marker)
        self._drop_above()

    def _drop_above(self):
        top = self.mark()
        self._invalidate(keep=lambda entry: entry.seq < top)


class MmapArena(ViewOwner):
    """An arena over ``size`` bytes of reserved address space, committed as
    it is used."""

    _free = "mmap_free"

    def __init__(self, size: int, *, huge_pages: bool = False, prefault: bool = False,
                 guard_page: bool = True, retain: int = 0):
        opts = S.MmapOpts(huge_pages=int(huge_pages), prefault=int(prefault),
                          no_guard_page=int(not guard_page), retain=retain)
        super().__init__(C.mmap_make(size, ctypes.byref(opts)))

    def commit(self, size: int) -> None:
        C.mmap_commit(self._live(), size)

    def alloc(self, size: int) -> memoryview:
        return self._view(C.mmap_alloc(self._live(), size), size)

    def reset(self) -> None:
        C.mmap_reset(self._live())
        self._invalidate()

    def stats(self) -> S.MmapStats:
        return S.read(S.MmapStatsC, C.mmap_stats, self._live())


class Region(ViewOwner):
    """A region: 64 KiB arenas made on demand, without bound."""

    _free = "region_free"

    def __init__(self):
        super().__init__(C.region_make())

    def alloc(self, size: int) -> memoryview:
        return self._view(C.region_alloc(self._live(), size), size)

    def free_all(self) -> None:
        """Frees every arena; the region stays usable."""
        C.region_free_all(self._live())
        self._invalidate()

    def stats(self) -> S.RegionStats:
        return S.read(S.RegionStatsC, C.region_stats, self._live())


class Scratch(ViewOwner):
    """Scratch space of ``size`` bytes with nested checkpoints."""

    _free = "scratch_free"

    def __init__(self, size: int):
        super().__init__(C.scratch_make(size))
        self._checkpoints: list[int] = []

    def checkpoint(self) -> None:
        C.scratch_checkpoint(self._live())
        self._checkpoints.append(self._seq)

    def alloc(self, size: int) -> memoryview:
        return self._view(C.scratch_alloc(self._live(), size), size)

    def restore(self) -> None:
        """Back to the last checkpoint, which is dropped; views handed out
        since are released."""
        C.scratch_restore(self._live())
        since = self._checkpoints.pop()
        self._invalidate(keep=lambda entry: entry.seq <= since)
