"""What every class shares: owning a handle, closing it once, and the
memoryviews an allocator hands out.

An allocator remembers (weakly) each view it handed out, so that when the
memory goes (a reset, a free, close) it releases the view: touching it then
raises ValueError instead of reading freed memory. A view given back twice,
or after a reset, is refused before the C library is called.
"""

from __future__ import annotations

import ctypes
import weakref

from . import errors
from ._lib import NAMES, C

_FREED = "freed"
_RESET = "reset"


class _Entry:
    __slots__ = ("ref", "address", "size", "seq", "gone")

    def __init__(self, ref, address, size, seq):
        self.ref = ref
        self.address = address
        self.size = size
        self.seq = seq
        self.gone = None  # _FREED or _RESET once the memory went


def _release(view):
    try:
        view.release()
    except BufferError:
        # Something exports from it (a ctypes object over it, say): it
        # cannot be revoked; the documentation says to drop such things.
        pass


def as_bytes(data) -> bytes:
    """Any bytes-like object as bytes (a copy unless it is bytes)."""
    return data if isinstance(data, bytes) else bytes(memoryview(data))


def make_view(address: int, size: int) -> memoryview:
    """A writable byte view of ``size`` bytes at ``address``."""
    return memoryview((ctypes.c_ubyte * size).from_address(address)).cast("B")


def address_of(data) -> int:
    """The address of a writable buffer (a view not from this package)."""
    return ctypes.addressof(ctypes.c_char.from_buffer(data))


class Owner:
    """Owns one handle; freed by ``close()``, the context manager or the
    garbage collector, once."""

    _free = ""  # attribute of C that frees the handle

    def __init__(self, handle: int):
        self._h = handle

    @property
    def closed(self) -> bool:
        return not self._h

    @property
    def handle(self) -> int:
        """The raw C handle (for calls through another binding)."""
        return self._live()

    def _live(self) -> int:
        if not self._h:
            raise errors.ClosedError(f"{type(self).__name__} is closed")
        return self._h

    def _forget(self):
        """Before the handle goes: what a subclass must let go of."""

    def close(self) -> None:
        """Frees the object; later calls raise arn.ClosedError. Closing twice
        does nothing."""
        h, self._h = self._h, 0
        if h:
            self._forget()
            getattr(C, self._free)(h)

    def __enter__(self):
        self._live()
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # at interpreter exit the library may be gone
            pass

    def __repr__(self):
        state = "closed" if not self._h else f"handle {self._h:#x}"
        return f"<arn.{type(self).__name__} {state}>"


class ViewOwner(Owner):
    """An allocator whose allocations are memoryviews."""

    def __init__(self, handle: int):
        super().__init__(handle)
        self._views: dict[int, _Entry] = {}
        self._seq = 0

    def _view(self, address: int, size: int) -> memoryview:
        view = make_view(address, size)
        key = id(view)
        owner = weakref.ref(self)

        def gone(_ref, key=key):
            me = owner()
            if me is not None and me._views.get(key) is entry:
                del me._views[key]

        self._seq += 1
        entry = _Entry(weakref.ref(view, gone), address, size, self._seq)
        self._views[key] = entry
        return view

    def _entry(self, view, call: str):
        """The live entry of a view this allocator handed out, or None for
        any other buffer; raises for one whose memory went (the message
        names the C function of ``call``, an attribute of C)."""
        entry = self._views.get(id(view))
        if entry is None or entry.ref() is not view:
            return None
        fn = NAMES[call]
        if entry.gone == _FREED:
            raise errors.DoubleFreeError(errors.DOUBLE_FREE, f"{fn}: this memoryview was already given back")
        if entry.gone == _RESET:
            raise errors.StaleHandleError(
                errors.STALE_HANDLE, f"{fn}: this memoryview's memory went with a reset")
        return entry

    def _address(self, view, call: str) -> int:
        """The address behind ``view``: one of ours, or any writable buffer
        (the library then tells whether it is foreign)."""
        entry = self._entry(view, call)
        return entry.address if entry is not None else address_of(view)

    def _owned_address(self, view):
        """The address to ask ``owns`` about: None for a view of ours whose
        memory went (it is owned by nobody now)."""
        entry = self._views.get(id(view))
        if entry is not None and entry.ref() is view:
            return None if entry.gone is not None else entry.address
        return address_of(view)

    def _gone(self, view, how=_FREED):
        entry = self._views.get(id(view))
        if entry is not None and entry.ref() is view:
            entry.gone = how
        _release(view)

    def _invalidate(self, keep=lambda entry: False):
        """Releases every view not kept (after a reset or free-all)."""
        for entry in list(self._views.values()):
            if entry.gone is None and not keep(entry):
                entry.gone = _RESET
                view = entry.ref()
                if view is not None:
                    _release(view)

    def _forget(self):
        self._invalidate()
