"""The byte arenas (fixed slots, buddy blocks), their buffers and frozen
bytes, and the chunk allocator with its shared slices. All of them may be
used from several threads at once (ctypes releases the GIL in each call);
only closing one must not race with another call on the same object."""

from __future__ import annotations

import ctypes
import functools

from . import _structs as S
from . import errors
from ._base import Owner, as_bytes
from ._lib import NAMES, C


def _byte_opts(alignment, zero_init, auto_spill, prefault, huge_pages):
    return S.ByteOpts(alignment=alignment, zero_init=int(zero_init), auto_spill=int(auto_spill),
                      prefault=int(prefault), huge_pages=int(huge_pages))


def _timeout_ms(timeout: float) -> int:
    if timeout < 0:
        raise errors.InvalidArgumentError(errors.INVALID_ARGUMENT, f"timeout {timeout} is negative")
    return int(timeout * 1000)


class _Shared(Owner):
    """Read-only shared memory exported through the buffer protocol: each
    instance is also a ctypes array over the library's memory, so
    ``memoryview(x)`` and ``bytes(x)`` read it without a copy of the view.

    The memory lives while the handle does; ``close()`` drops the handle at
    once (the memory goes back when the last handle over it, clones and
    slices included, is closed), so memoryviews taken from the object must
    be dropped first. The export's format is ctypes' ``<B``:
    ``memoryview(x).cast("B")`` indexes and casts like a view of bytes."""

    _h = 0
    _nbytes = 0

    @classmethod
    def _over(cls, handle: int, address: int, nbytes: int):
        obj = _array_class(cls, nbytes).from_address(address)  # no __init__ runs
        obj._h = handle
        obj._nbytes = nbytes
        return obj

    @property
    def nbytes(self) -> int:
        self._live()
        return self._nbytes

    def __bytes__(self) -> bytes:
        self._live()
        return ctypes.string_at(ctypes.addressof(self), self._nbytes)

    def __getitem__(self, index):
        self._live()
        item = memoryview(self).cast("B")[index]
        return bytes(item) if isinstance(index, slice) else item

    def __setitem__(self, index, value):
        raise TypeError(f"{type(self).__name__} is read-only")

    def __iter__(self):
        self._live()
        return iter(bytes(self))

    def __eq__(self, other):
        self._live()
        try:
            return memoryview(self) == memoryview(other).cast("B")
        except TypeError:
            return NotImplemented

    def __hash__(self):
        return hash(bytes(self))

    def __repr__(self):
        if not self._h:
            return f"<arn.{type(self).__name__} closed>"
        return f"<arn.{type(self).__name__} {bytes(self)[:32]!r}{'...' if self._nbytes > 32 else ''}>"


@functools.lru_cache(maxsize=512)
def _array_class(cls, nbytes: int):
    return type(cls.__name__, (cls, ctypes.c_ubyte * nbytes),
                {"__module__": "arn", "__qualname__": cls.__qualname__})


class Bytes(_Shared):
    """Frozen bytes of a byte arena: immutable, shared, cloned and sliced
    without copying. ``bytes(b)``, ``memoryview(b)``, ``len(b)``, ``b[i]``
    and ``b == b"..."`` work; the memory goes back to its arena when the
    last handle over it is closed."""

    _free = "bytes_drop"

    @classmethod
    def _adopt(cls, handle: int):
        try:
            address = C.bytes_data(handle)
            n = C.bytes_len(handle)
        except errors.Error:
            C.bytes_drop(handle)
            raise
        return cls._over(handle, address, n)

    def __len__(self) -> int:
        self._live()
        return self._nbytes

    def clone(self) -> "Bytes":
        """A second handle over the same memory."""
        return Bytes._adopt(C.bytes_clone(self._live()))

    def slice(self, offset: int, length: int) -> "Bytes":
        """A handle over ``length`` bytes from ``offset``, sharing memory."""
        return Bytes._adopt(C.bytes_slice(self._live(), offset, length))


class Slice(_Shared):
    """A reference-counted slice of a chunk allocator: ``len(s)`` elements of
    ``s.elem_size`` bytes, exported as bytes through the buffer protocol."""

    _free = "slice_drop"
    elem_size = 0

    @classmethod
    def _adopt(cls, handle: int, elem_size: int):
        try:
            address = C.slice_data(handle)
            n = C.slice_len(handle)
        except errors.Error:
            C.slice_drop(handle)
            raise
        obj = cls._over(handle, address, n * elem_size)
        obj.elem_size = elem_size
        return obj

    def __len__(self) -> int:
        self._live()
        return self._nbytes // self.elem_size

    def clone(self) -> "Slice":
        return Slice._adopt(C.slice_clone(self._live()), self.elem_size)


class Buffer(Owner):
    """A writable buffer from a byte arena: ``write`` appends, ``freeze``
    turns it into Bytes without copying, ``close`` drops it unfrozen."""

    _free = "buffer_drop"

    def write(self, data) -> None:
        data = as_bytes(data)
        C.buffer_write(self._live(), data, len(data))

    def __len__(self) -> int:
        return C.buffer_len(self._live())

    @property
    def capacity(self) -> int:
        return C.buffer_capacity(self._live())

    @property
    def spilled(self) -> bool:
        """Whether the buffer moved to the heap (arenas with auto_spill)."""
        return C.buffer_spilled(self._live()) == 1

    def freeze(self) -> Bytes:
        """The bytes written, frozen; this buffer is closed."""
        handle = C.buffer_freeze(self._live())
        self._h = 0
        return Bytes._adopt(handle)


class FixedArena(Owner):
    """``slot_count`` slots of ``slot_size`` bytes, allocated without a lock
    from any thread."""

    _free = "fixed_free"

    def __init__(self, slot_count: int, slot_size: int, *, alignment: int = 0,
                 zero_init: bool = False, auto_spill: bool = False, prefault: bool = False,
                 huge_pages: bool = False):
        opts = _byte_opts(alignment, zero_init, auto_spill, prefault, huge_pages)
        super().__init__(C.fixed_make(slot_count, slot_size, ctypes.byref(opts)))

    def alloc(self, timeout: float | None = None) -> Buffer:
        """A buffer over a free slot; with ``timeout`` (seconds), waits that
        long for one to come back (arn.TimedOutError)."""
        if timeout is None:
            return Buffer(C.fixed_alloc(self._live()))
        return Buffer(C.fixed_wait(self._live(), _timeout_ms(timeout)))

    def stats(self) -> S.FixedStats:
        return S.read(S.FixedStatsC, C.fixed_stats, self._live())


class BuddyArena(Owner):
    """A buddy arena over ``total_size`` bytes: power-of-two blocks of at
    least ``min_block``, from any thread."""

    _free = "buddy_free"

    def __init__(self, total_size: int, min_block: int, *, alignment: int = 0,
                 zero_init: bool = False, auto_spill: bool = False, prefault: bool = False,
                 huge_pages: bool = False):
        opts = _byte_opts(alignment, zero_init, auto_spill, prefault, huge_pages)
        super().__init__(C.buddy_make(total_size, min_block, ctypes.byref(opts)))

    def alloc(self, size: int, timeout: float | None = None) -> Buffer:
        if timeout is None:
            return Buffer(C.buddy_alloc(self._live(), size))
        return Buffer(C.buddy_wait(self._live(), size, _timeout_ms(timeout)))

    def stats(self) -> S.BuddyStats:
        return S.read(S.BuddyStatsC, C.buddy_stats, self._live())


class Chunks(Owner):
    """A chunk allocator: elements of ``elem_size`` bytes (aligned to
    ``elem_align``, 0 meaning 8), ``chunk_capacity`` per chunk, handed out
    as shared slices."""

    _free = "chunks_free"

    def __init__(self, elem_size: int, chunk_capacity: int, elem_align: int = 0):
        super().__init__(C.chunks_make(elem_size, elem_align, chunk_capacity))
        self.elem_size = elem_size

    def alloc(self, count: int, init=None) -> Slice:
        """A slice of ``count`` elements, copied from ``init`` (exactly
        ``count * elem_size`` bytes) or zero-filled."""
        if init is not None:
            init = as_bytes(init)
            if len(init) != count * self.elem_size:
                raise errors.InvalidArgumentError(
                    errors.INVALID_ARGUMENT,
                    f"{NAMES['chunks_alloc']}: init has {len(init)} bytes, {count} elements of {self.elem_size} need "
                    f"{count * self.elem_size}")
        return Slice._adopt(C.chunks_alloc(self._live(), count, init), self.elem_size)

    def stats(self) -> S.ChunkStats:
        return S.read(S.ChunkStatsC, C.chunks_stats, self._live())
