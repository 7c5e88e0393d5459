"""arn.Error and one subclass per ARN_E_* code."""

from __future__ import annotations

# The ARN_E_* codes of arn.h.
INVALID_HANDLE = 1
STALE_HANDLE = 2
WRONG_KIND = 3
INVALID_ARGUMENT = 4
CAPACITY = 5
SYSTEM = 6
OUT_OF_BOUNDS = 7
FOREIGN_POINTER = 8
DOUBLE_FREE = 9
STACK = 10
NO_CHECKPOINT = 11
PANIC = 12
BUSY = 13
TIMEOUT = 14


class Error(Exception):
    """A failed arn call. ``code`` is the ``ARN_E_*`` value; the message is
    the library's (it names the C function and the numbers)."""

    code = 0

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


class InvalidHandleError(Error):
    """ARN_E_INVALID_HANDLE: a handle that is 0, forged or never issued."""


class StaleHandleError(Error):
    """ARN_E_STALE_HANDLE: the object was freed (or its arena reset)."""


class WrongKindError(Error):
    """ARN_E_WRONG_KIND: a live handle of another kind."""


class InvalidArgumentError(Error, ValueError):
    """ARN_E_INVALID_ARGUMENT: a zero or overflowing size, a bad alignment."""


class CapacityError(Error):
    """ARN_E_CAPACITY: the allocator is full."""


class SystemMemoryError(Error):
    """ARN_E_SYSTEM: the operating system or the C heap refused memory."""


class OutOfBoundsError(Error, IndexError):
    """ARN_E_OUT_OF_BOUNDS: an index past the elements."""


class ForeignPointerError(Error):
    """ARN_E_FOREIGN_POINTER: memory this allocator did not hand out."""


class DoubleFreeError(Error):
    """ARN_E_DOUBLE_FREE: freed or returned twice."""


class StackError(Error):
    """ARN_E_STACK: stack underflow, or a marker not live."""


class NoCheckpointError(Error):
    """ARN_E_NO_CHECKPOINT: a scratch restore with no checkpoint."""


class PanicError(Error):
    """ARN_E_PANIC: a bug inside arn, caught at the C boundary."""


class BusyError(Error):
    """ARN_E_BUSY: the object's own callback is running."""


class TimedOutError(Error, TimeoutError):
    """ARN_E_TIMEOUT: a blocking allocation found nothing free in time."""


class ClosedError(Error, ValueError):
    """A call on an object after its ``close()`` (code ARN_E_STALE_HANDLE)."""

    def __init__(self, message: str):
        super().__init__(STALE_HANDLE, message)


_BY_CODE = {
    INVALID_HANDLE: InvalidHandleError,
    STALE_HANDLE: StaleHandleError,
    WRONG_KIND: WrongKindError,
    INVALID_ARGUMENT: InvalidArgumentError,
    CAPACITY: CapacityError,
    SYSTEM: SystemMemoryError,
    OUT_OF_BOUNDS: OutOfBoundsError,
    FOREIGN_POINTER: ForeignPointerError,
    DOUBLE_FREE: DoubleFreeError,
    STACK: StackError,
    NO_CHECKPOINT: NoCheckpointError,
    PANIC: PanicError,
    BUSY: BusyError,
    TIMEOUT: TimedOutError,
}


def error_from(code: int, message: str) -> Error:
    """The exception for ``code`` (a plain Error for a code this package
    does not know yet)."""
    if code == 0:
        return PanicError(PANIC, message or "arn: a call failed without setting the last error")
    return _BY_CODE.get(code, Error)(code, message)
