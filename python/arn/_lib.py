"""Finding libarn and the table of every C function the package calls.

Each row of ``_TABLE`` names one C function once: the attribute the
classes call it by, its C name, its prototype and how it reports failure.
A renamed C function is therefore a one-word change here.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from ctypes import POINTER, c_char_p, c_int, c_int64, c_size_t, c_uint, c_uint64, c_void_p
from pathlib import Path

from . import _structs as S
from .errors import error_from

handle = c_uint64
size_t = c_size_t
ptr = c_void_p

# How a function reports failure; the wrapper raises arn.Error for it.
RC = "rc"  # int: nonzero is the ARN_E_* code
NONZERO = "nonzero"  # handle or pointer: 0 / NULL is a failure
ZERO_MAYBE = "zero?"  # 0 is a value or a failure: the last error tells
NULL_MAYBE = "null?"  # NULL is "absent" or a failure: the last error tells
NEGATIVE = "negative"  # int: below 0 is a failure
BELOW_M1 = "below-1"  # int64: -1 is "absent", below it a failure
NONE = "none"  # cannot fail

_VECTOR_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_size_t, c_void_p)
_MAP_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_void_p, c_size_t, c_void_p, c_size_t)

# attribute, C name, result type, argument types, failure convention
_TABLE = [
    # errors and version
    ("last_code", "arner", c_int, [], NONE),
    ("last_message", "arnem", c_char_p, [], NONE),
    ("clear_error", "arnec", None, [], NONE),
    ("version", "arnvr", c_char_p, [], NONE),
    ("version_number", "arnvn", c_uint, [], NONE),
    ("align_size", "arnln", size_t, [size_t, size_t], ZERO_MAYBE),
    # arena and typed arena
    ("arena_make", "arnmk", handle, [size_t], NONZERO),
    ("arena_alloc", "arnal", ptr, [handle, size_t], NONZERO),
    ("arena_alloc_aligned", "arnaa", ptr, [handle, size_t, size_t], NONZERO),
    ("arena_copy", "arncp", ptr, [handle, c_char_p, size_t], NONZERO),
    ("arena_owns", "arnow", c_int, [handle, ptr], ZERO_MAYBE),
    ("arena_reset", "arnrs", c_int, [handle], RC),
    ("arena_free", "arnfr", c_int, [handle], RC),
    ("arena_stats", "arnst", c_int, [handle, POINTER(S.ArenaStatsC)], RC),
    ("typed_make", "arntm", handle, [size_t, size_t], NONZERO),
    ("typed_alloc", "arnta", ptr, [handle, POINTER(c_size_t)], NONZERO),
    ("typed_at", "arnti", ptr, [handle, size_t], NONZERO),
    # bump
    ("bump_make", "bmpmk", handle, [size_t], NONZERO),
    ("bump_alloc", "bumpl", ptr, [handle, size_t], NONZERO),
    ("bump_reset", "bmprs", c_int, [handle], RC),
    ("bump_free", "bmpfr", c_int, [handle], RC),
    ("bump_stats", "bmpst", c_int, [handle, POINTER(S.BumpStatsC)], RC),
    # object pool
    ("pool_make", "polmx", handle, [POINTER(S.PoolOpts)], NONZERO),
    ("pool_get", "polgt", ptr, [handle], NONZERO),
    ("pool_put", "polrt", c_int, [handle, ptr], RC),
    ("pool_stats", "polst", c_int, [handle, POINTER(S.PoolStatsC)], RC),
    ("pool_shrink", "polsh", c_int, [handle], RC),
    ("pool_free", "polfr", c_int, [handle], RC),
    # block allocator
    ("block_make", "blckm", handle, [size_t, size_t], NONZERO),
    ("block_alloc", "blckl", ptr, [handle], NONZERO),
    ("block_put", "blckf", c_int, [handle, ptr], RC),
    ("block_stats", "blcks", c_int, [handle, POINTER(S.BlockStatsC)], RC),
    ("block_free", "blckd", c_int, [handle], RC),
    # stack
    ("stack_make", "stckm", handle, [size_t], NONZERO),
    ("stack_mark", "stckt", c_int, [handle, POINTER(c_size_t)], RC),
    ("stack_push", "stckl", ptr, [handle, c_char_p, size_t], NONZERO),
    ("stack_pop", "stckp", c_int, [handle, size_t], RC),
    ("stack_restore", "stckr", c_int, [handle, size_t], RC),
    ("stack_free", "stckf", c_int, [handle], RC),
    # mmap arena
    ("mmap_make", "mmpmk", handle, [size_t, POINTER(S.MmapOpts)], NONZERO),
    ("mmap_commit", "mmpcm", c_int, [handle, size_t], RC),
    ("mmap_alloc", "mmapl", ptr, [handle, size_t], NONZERO),
    ("mmap_reset", "mmprs", c_int, [handle], RC),
    ("mmap_free", "mmpfr", c_int, [handle], RC),
    ("mmap_stats", "mmpst", c_int, [handle, POINTER(S.MmapStatsC)], RC),
    # region
    ("region_make", "regin", handle, [], NONZERO),
    ("region_alloc", "regnl", ptr, [handle, size_t], NONZERO),
    ("region_free_all", "rgnfr", c_int, [handle], RC),
    ("region_stats", "rgnst", c_int, [handle, POINTER(S.RegionStatsC)], RC),
    ("region_free", "rgndl", c_int, [handle], RC),
    # scratch
    ("scratch_make", "scrt1", handle, [size_t], NONZERO),
    ("scratch_checkpoint", "scrt3", c_int, [handle], RC),
    ("scratch_alloc", "scrtc", ptr, [handle, size_t], NONZERO),
    ("scratch_restore", "scrt2", c_int, [handle], RC),
    ("scratch_free", "scrt0", c_int, [handle], RC),
    # fixed and buddy byte arenas
    ("fixed_make", "fxdmk", handle, [size_t, size_t, POINTER(S.ByteOpts)], NONZERO),
    ("fixed_alloc", "fxdal", handle, [handle], NONZERO),
    ("fixed_wait", "fxdwt", handle, [handle, c_uint64], NONZERO),
    ("fixed_stats", "fxdst", c_int, [handle, POINTER(S.FixedStatsC)], RC),
    ("fixed_free", "fxdfr", c_int, [handle], RC),
    ("buddy_make", "bdymk", handle, [size_t, size_t, POINTER(S.ByteOpts)], NONZERO),
    ("buddy_alloc", "bdyal", handle, [handle, size_t], NONZERO),
    ("buddy_wait", "bdywt", handle, [handle, size_t, c_uint64], NONZERO),
    ("buddy_stats", "bdyst", c_int, [handle, POINTER(S.BuddyStatsC)], RC),
    ("buddy_free", "bdyfr", c_int, [handle], RC),
    # buffers and bytes
    ("buffer_write", "bufwr", c_int, [handle, c_char_p, size_t], RC),
    ("buffer_len", "bufln", size_t, [handle], ZERO_MAYBE),
    ("buffer_capacity", "bufca", size_t, [handle], ZERO_MAYBE),
    ("buffer_spilled", "bufsp", c_int, [handle], NEGATIVE),
    ("buffer_freeze", "bufrz", handle, [handle], NONZERO),
    ("buffer_drop", "bufdr", c_int, [handle], RC),
    ("bytes_data", "bytdt", ptr, [handle], NONZERO),
    ("bytes_len", "bytln", size_t, [handle], ZERO_MAYBE),
    ("bytes_clone", "bytcl", handle, [handle], NONZERO),
    ("bytes_slice", "bytsl", handle, [handle, size_t, size_t], NONZERO),
    ("bytes_drop", "bytdr", c_int, [handle], RC),
    # chunk slices
    ("chunks_make", "chkmk", handle, [size_t, size_t, size_t], NONZERO),
    ("chunks_alloc", "chkal", handle, [handle, size_t, c_char_p], NONZERO),
    ("chunks_stats", "chkst", c_int, [handle, POINTER(S.ChunkStatsC)], RC),
    ("chunks_free", "chkfr", c_int, [handle], RC),
    ("slice_data", "slcdt", ptr, [handle], NONZERO),
    ("slice_len", "slcln", size_t, [handle], ZERO_MAYBE),
    ("slice_clone", "slccl", handle, [handle], NONZERO),
    ("slice_drop", "slcdr", c_int, [handle], RC),
    # growing arena
    ("grow_make", "grwmk", handle, [POINTER(S.GrowOpts)], NONZERO),
    ("grow_alloc_zeroed", "grwaz", ptr, [handle, size_t, size_t], NONZERO),
    ("grow_put", "grwfe", c_int, [handle, ptr], RC),
    ("grow_realloc", "grwre", ptr, [handle, ptr, size_t], NONZERO),
    ("grow_copy", "grwcp", ptr, [handle, c_char_p, size_t], NONZERO),
    ("grow_owns", "grwow", c_int, [handle, ptr], NEGATIVE),
    ("grow_reset", "grwrs", c_int, [handle], RC),
    ("grow_stats", "grwst", c_int, [handle, POINTER(S.GrowStatsC)], RC),
    ("grow_free", "grwfr", c_int, [handle], RC),
    # vector
    ("vector_make", "vecmk", handle, [handle, size_t, size_t], NONZERO),
    ("vector_push", "vecps", c_int, [handle, c_char_p], RC),
    ("vector_at", "vecat", ptr, [handle, size_t], NONZERO),
    ("vector_set", "vecpt", c_int, [handle, size_t, c_char_p], RC),
    ("vector_remove", "vecrm", c_int, [handle, c_char_p], NEGATIVE),
    ("vector_remove_at", "vecri", c_int, [handle, size_t], RC),
    ("vector_index", "vecix", c_int64, [handle, c_char_p], BELOW_M1),
    ("vector_len", "vecln", size_t, [handle], ZERO_MAYBE),
    ("vector_capacity", "vecca", size_t, [handle], ZERO_MAYBE),
    ("vector_clear", "vecrs", c_int, [handle], RC),
    ("vector_walk", "vecit", c_int, [handle, _VECTOR_FN, c_void_p], NEGATIVE),
    ("vector_audit", "vecau", c_int,
     [handle, size_t, POINTER(c_size_t), POINTER(c_size_t), size_t], RC),
    ("vector_free", "vecfr", c_int, [handle], RC),
    # map
    ("map_make", "mapmk", handle, [handle, size_t], NONZERO),
    ("map_put", "mappt", c_int, [handle, c_char_p, size_t, c_char_p, size_t], RC),
    ("map_get", "mapgt", ptr, [handle, c_char_p, size_t, POINTER(c_size_t)], NULL_MAYBE),
    ("map_has", "maphs", c_int, [handle, c_char_p, size_t], NEGATIVE),
    ("map_remove", "maprm", c_int, [handle, c_char_p, size_t], NEGATIVE),
    ("map_add", "mapad", c_int, [handle, c_char_p, size_t, c_char_p, size_t], NEGATIVE),
    ("map_len", "mapln", size_t, [handle], ZERO_MAYBE),
    ("map_clear", "maprs", c_int, [handle], RC),
    ("map_walk", "mapit", c_int, [handle, _MAP_FN, c_void_p], NEGATIVE),
    ("map_audit", "mapau", c_int,
     [handle, size_t, POINTER(c_size_t), POINTER(c_void_p), POINTER(c_size_t), size_t], RC),
    ("map_free", "mapfr", c_int, [handle], RC),
]

# The C name of each attribute, for messages written on the Python side.
NAMES = {attr: cname for attr, cname, *_ in _TABLE}

VECTOR_FN = _VECTOR_FN
MAP_FN = _MAP_FN


def _candidates():
    """Where to look for libarn, in order: ARN_LIBRARY, the installed
    library, the build tree next to this package's source."""
    named = os.environ.get("ARN_LIBRARY")
    if named:
        yield named
        return
    yield "libarn.so.0"  # the dynamic loader's search: an installed library
    found = ctypes.util.find_library("arn")
    if found:
        yield found
    for prefix in dict.fromkeys([sys.prefix, "/usr/local", "/usr"]):
        for lib in ("lib", "lib64"):
            yield os.path.join(prefix, lib, "libarn.so.0")
    yield str(Path(__file__).resolve().parents[2] / "target" / "release" / "libarn.so")


def _load():
    tried = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append(f"{path}: {e}")
    raise ImportError(
        "arn: libarn not found; install it (make install) or set ARN_LIBRARY to its path. Tried:\n  "
        + "\n  ".join(tried)
    )


class _Calls:
    """The C functions, each checked by its failure convention."""


def _last_error():
    code = _lib.arner()
    message = (_lib.arnem() or b"").decode("utf-8", "replace")
    return error_from(code, message)


def _wrap(fn, convention):
    if convention == NONE:
        return fn
    if convention == RC:
        def call(*args):
            rc = fn(*args)
            if rc != 0:
                raise _last_error()
            return rc
    elif convention == NONZERO:
        def call(*args):
            value = fn(*args)
            if not value:
                raise _last_error()
            return value
    elif convention == ZERO_MAYBE:
        def call(*args):
            _lib.arnec()
            value = fn(*args)
            if value == 0 and _lib.arner() != 0:
                raise _last_error()
            return value
    elif convention == NULL_MAYBE:
        def call(*args):
            _lib.arnec()
            value = fn(*args)
            if not value and _lib.arner() != 0:
                raise _last_error()
            return value
    elif convention == NEGATIVE:
        def call(*args):
            value = fn(*args)
            if value < 0:
                raise _last_error()
            return value
    elif convention == BELOW_M1:
        def call(*args):
            value = fn(*args)
            if value < -1:
                raise _last_error()
            return value
    else:  # pragma: no cover - a typo in the table
        raise ValueError(f"unknown failure convention {convention!r}")
    call.__name__ = fn.__name__
    return call


def _bind(lib):
    calls = _Calls()
    for attr, cname, restype, argtypes, convention in _TABLE:
        fn = getattr(lib, cname)
        fn.restype = restype
        fn.argtypes = argtypes
        setattr(calls, attr, _wrap(fn, convention))
    return calls


_lib, path = _load()
try:
    C = _bind(_lib)
except AttributeError as e:
    raise ImportError(f"arn: {path} is not a libarn this package can use ({e})") from None

if C.version_number() // 10000 != 0:
    raise ImportError(f"arn: {path} is libarn {C.version().decode()}, this package needs 0.x")
