"""The growing arena (individual frees, reallocation, reset) and the vector
and map stored in it."""

from __future__ import annotations

import ctypes

from . import _structs as S
from . import errors
from ._base import Owner, ViewOwner, as_bytes
from ._lib import MAP_FN, NAMES, VECTOR_FN, C


class GrowArena(ViewOwner):
    """A growing arena: chunks of ``chunk_size`` bytes (0: 64 KiB), up to
    ``retain`` kept across ``reset()``, safe from any thread with
    ``lock=True``. Blocks are freed one by one or all at once."""

    _free = "grow_free"

    def __init__(self, chunk_size: int = 0, retain: int = 1, lock: bool = False):
        opts = S.GrowOpts(chunk_size=chunk_size, retain=retain, lock=int(lock))
        super().__init__(C.grow_make(ctypes.byref(opts)))

    def alloc(self, size: int, align: int = 0) -> memoryview:
        """``size`` zero-filled bytes at ``align`` (0: 16; up to 4096)."""
        return self._view(C.grow_alloc_zeroed(self._live(), size, align), size)

    def copy(self, data) -> memoryview:
        """A copy of ``data`` (bytes-like) in the arena."""
        data = as_bytes(data)
        return self._view(C.grow_copy(self._live(), data, len(data)), len(data))

    def free(self, view) -> None:
        """Gives the block back for reuse; the view is released."""
        C.grow_put(self._live(), self._address(view, "grow_put"))
        self._gone(view)

    def realloc(self, view, size: int) -> memoryview:
        """The block resized to ``size`` (in place when it can be), its bytes
        kept and any new ones zeroed; ``view`` is released. A size of 0
        frees the block, as C's ``grwre``, and gives an empty view."""
        if size == 0:
            self.free(view)
            return memoryview(b"")
        entry = self._entry(view, "grow_realloc")
        old = entry.size if entry is not None else len(view)
        address = C.grow_realloc(self._live(), self._address(view, "grow_realloc"), size)
        self._gone(view)
        if size > old:
            ctypes.memset(address + old, 0, size - old)
        return self._view(address, size)

    def owns(self, view) -> bool:
        """Whether ``view`` lies in one of the arena's chunks."""
        live = self._live()
        address = self._owned_address(view)
        return address is not None and C.grow_owns(live, address) == 1

    def reset(self) -> None:
        """Every block back at once; views, vectors and maps on it go."""
        C.grow_reset(self._live())
        self._invalidate()

    def stats(self) -> S.GrowStats:
        return S.read(S.GrowStatsC, C.grow_stats, self._live())


class Vector(Owner):
    """A vector of ``elem_size``-byte elements stored in a growing arena.
    Elements are bytes of exactly that size; reading gives copies."""

    _free = "vector_free"

    def __init__(self, grow: GrowArena, elem_size: int, capacity: int = 0):
        super().__init__(C.vector_make(grow._live(), elem_size, capacity))
        self.elem_size = elem_size
        self._grow = grow  # keeps the arena's handle from closing first by accident

    def _elem(self, data, call: str) -> bytes:
        data = as_bytes(data)
        if len(data) != self.elem_size:
            raise errors.InvalidArgumentError(
                errors.INVALID_ARGUMENT,
                f"{NAMES[call]}: element of {len(data)} bytes, the vector's are {self.elem_size}")
        return data

    def append(self, data) -> None:
        C.vector_push(self._live(), self._elem(data, "vector_push"))

    def _index(self, index: int) -> int:
        if index < 0:
            index += len(self)
            if index < 0:
                raise errors.OutOfBoundsError(errors.OUT_OF_BOUNDS, "vector index out of range")
        return index

    def __getitem__(self, index: int) -> bytes:
        address = C.vector_at(self._live(), self._index(index))
        return ctypes.string_at(address, self.elem_size)

    def __setitem__(self, index: int, data) -> None:
        C.vector_set(self._live(), self._index(index), self._elem(data, "vector_set"))

    def __delitem__(self, index: int) -> None:
        C.vector_remove_at(self._live(), self._index(index))

    def remove(self, data) -> bool:
        """Removes the first equal element; whether there was one."""
        return C.vector_remove(self._live(), self._elem(data, "vector_remove")) == 1

    def index(self, data) -> int:
        """Index of the first equal element; ValueError when none is."""
        found = C.vector_index(self._live(), self._elem(data, "vector_index"))
        if found < 0:
            raise ValueError("element not in vector")
        return found

    def __contains__(self, data) -> bool:
        return C.vector_index(self._live(), self._elem(data, "vector_index")) >= 0

    def __len__(self) -> int:
        return C.vector_len(self._live())

    @property
    def capacity(self) -> int:
        return C.vector_capacity(self._live())

    def clear(self) -> None:
        C.vector_clear(self._live())

    def __iter__(self):
        items = []

        def collect(_ctx, _index, elem):
            items.append(ctypes.string_at(elem, self.elem_size))
            return 0

        C.vector_walk(self._live(), VECTOR_FN(collect), None)
        return iter(items)

    def audit(self, offset: int, max_report: int = 64) -> list[int]:
        """Indexes of the elements whose pointer at byte ``offset`` is
        neither null nor in the arena (the first ``max_report``)."""
        count = ctypes.c_size_t()
        found = (ctypes.c_size_t * max_report)()
        C.vector_audit(self._live(), offset, ctypes.byref(count), found, max_report)
        return list(found[: min(count.value, max_report)])


class Map(Owner):
    """A hash map of byte strings stored in a growing arena. Keys and values
    are bytes-like; reading gives copies."""

    _free = "map_free"

    def __init__(self, grow: GrowArena, capacity: int = 0):
        super().__init__(C.map_make(grow._live(), capacity))
        self._grow = grow

    def __setitem__(self, key, value) -> None:
        key, value = as_bytes(key), as_bytes(value)
        C.map_put(self._live(), key, len(key), value, len(value))

    def get(self, key, default=None):
        key = as_bytes(key)
        n = ctypes.c_size_t()
        address = C.map_get(self._live(), key, len(key), ctypes.byref(n))
        if not address:
            return default
        return ctypes.string_at(address, n.value)

    def __getitem__(self, key) -> bytes:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __contains__(self, key) -> bool:
        key = as_bytes(key)
        return C.map_has(self._live(), key, len(key)) == 1

    def __delitem__(self, key) -> None:
        if not self.discard(key):
            raise KeyError(key)

    def discard(self, key) -> bool:
        """Removes the key; whether it was there."""
        key = as_bytes(key)
        return C.map_remove(self._live(), key, len(key)) == 1

    def add(self, key, value) -> bool:
        """Puts only when the key is absent; whether it was added."""
        key, value = as_bytes(key), as_bytes(value)
        return C.map_add(self._live(), key, len(key), value, len(value)) == 1

    def __len__(self) -> int:
        return C.map_len(self._live())

    def clear(self) -> None:
        C.map_clear(self._live())

    def items(self) -> list[tuple[bytes, bytes]]:
        pairs = []

        def collect(_ctx, key, klen, val, vlen):
            pairs.append((ctypes.string_at(key, klen), ctypes.string_at(val, vlen)))
            return 0

        C.map_walk(self._live(), MAP_FN(collect), None)
        return pairs

    def keys(self) -> list[bytes]:
        return [k for k, _ in self.items()]

    def values(self) -> list[bytes]:
        return [v for _, v in self.items()]

    def __iter__(self):
        return iter(self.keys())

    def audit(self, offset: int, max_report: int = 64) -> list[bytes]:
        """Keys whose value's pointer at byte ``offset`` is neither null nor
        in the arena (the first ``max_report``)."""
        count = ctypes.c_size_t()
        keys = (ctypes.c_void_p * max_report)()
        lens = (ctypes.c_size_t * max_report)()
        C.map_audit(self._live(), offset, ctypes.byref(count), keys, lens, max_report)
        n = min(count.value, max_report)
        return [ctypes.string_at(keys[i], lens[i]) if keys[i] else b"" for i in range(n)]


_MISSING = object()
