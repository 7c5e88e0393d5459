"""The C structs of arn.h, and the named tuples that ``stats()`` returns.

Each stats struct is written once, as a list of (field, ctypes type); both
the ctypes mirror and the public named tuple come from it. A test checks
every list against the header.
"""

from __future__ import annotations

import ctypes
from collections import namedtuple
from ctypes import c_double, c_int, c_size_t, c_uint64, c_void_p


def _pair(name: str, cname: str, fields):
    cstruct = type(name + "C", (ctypes.Structure,), {"_fields_": fields, "c_name": cname})
    public = namedtuple(name, [f for f, _ in fields])
    public.__doc__ = f"Counters of ``{cname}``: " + ", ".join(f for f, _ in fields) + "."
    public.__module__ = "arn"
    cstruct.public = public
    return cstruct, public


ArenaStatsC, ArenaStats = _pair("ArenaStats", "arn_arena_stats", [
    ("size", c_size_t), ("offset", c_size_t), ("objects", c_size_t),
    ("type_size", c_size_t), ("count", c_size_t)])
BumpStatsC, BumpStats = _pair("BumpStats", "arn_bump_stats", [
    ("size", c_size_t), ("used", c_size_t), ("allocations", c_size_t)])
PoolStatsC, PoolStats = _pair("PoolStats", "arn_pool_stats", [
    ("available", c_size_t), ("in_use", c_size_t), ("total_allocated", c_size_t),
    ("capacity", c_size_t)])
BlockStatsC, BlockStats = _pair("BlockStats", "arn_block_stats", [
    ("total", c_size_t), ("used", c_size_t), ("free", c_size_t), ("utilization", c_double)])
MmapStatsC, MmapStats = _pair("MmapStats", "arn_mmap_stats", [
    ("reserved", c_size_t), ("committed", c_size_t), ("used", c_size_t),
    ("allocations", c_size_t), ("retain", c_size_t)])
RegionStatsC, RegionStats = _pair("RegionStats", "arn_region_stats", [
    ("arns", c_size_t), ("total_allocated", c_size_t), ("current_arn_used", c_size_t),
    ("current_arn_size", c_size_t)])
FixedStatsC, FixedStats = _pair("FixedStats", "arn_fixed_stats", [
    ("allocations", c_uint64), ("failures", c_uint64), ("frees", c_uint64),
    ("spills", c_uint64), ("bytes_live", c_size_t), ("bytes_reserved", c_size_t),
    ("slots", c_size_t), ("slots_free", c_size_t), ("slot_size", c_size_t),
    ("frozen", c_uint64)])
BuddyStatsC, BuddyStats = _pair("BuddyStats", "arn_buddy_stats", [
    ("allocations", c_uint64), ("failures", c_uint64), ("frees", c_uint64),
    ("spills", c_uint64), ("splits", c_uint64), ("coalesces", c_uint64),
    ("bytes_live", c_size_t), ("bytes_reserved", c_size_t),
    ("largest_free_block", c_size_t), ("min_block", c_size_t), ("total_size", c_size_t),
    ("frozen", c_uint64)])
ChunkStatsC, ChunkStats = _pair("ChunkStats", "arn_chunk_stats", [
    ("chunks_allocated", c_uint64), ("dedicated_chunks", c_uint64), ("chunks_live", c_uint64),
    ("slices", c_uint64), ("elements", c_uint64), ("bytes_handed_out", c_uint64),
    ("bytes_reserved", c_size_t), ("bytes_used", c_size_t), ("retired_bytes_used", c_size_t),
    ("dead_tail_bytes", c_size_t), ("free_tail_bytes", c_size_t), ("chunk_capacity", c_size_t),
    ("element_size", c_size_t)])
GrowStatsC, GrowStats = _pair("GrowStats", "arn_grow_stats", [
    ("chunks", c_size_t), ("chunk_bytes", c_size_t), ("spare_chunks", c_size_t),
    ("bytes_live", c_size_t), ("bytes_free", c_size_t), ("chunk_size", c_size_t),
    ("allocations", c_uint64), ("reused", c_uint64), ("frees", c_uint64),
    ("grown_in_place", c_uint64), ("resets", c_uint64), ("bytes_held", c_size_t),
    ("shrunk_in_place", c_uint64), ("chunks_returned", c_uint64)])


class PoolOpts(ctypes.Structure):
    c_name = "arn_pool_opts"
    _fields_ = [("ctor", c_void_p), ("reset", c_void_p), ("destructor", c_void_p),
                ("ctx", c_void_p), ("object_size", c_size_t), ("initial_capacity", c_size_t)]


class MmapOpts(ctypes.Structure):
    c_name = "arn_mmap_opts"
    _fields_ = [("huge_pages", c_int), ("prefault", c_int), ("no_guard_page", c_int),
                ("retain", c_size_t)]


class ByteOpts(ctypes.Structure):
    c_name = "arn_byte_opts"
    _fields_ = [("alignment", c_size_t), ("zero_init", c_int), ("auto_spill", c_int),
                ("prefault", c_int), ("huge_pages", c_int)]


class GrowOpts(ctypes.Structure):
    c_name = "arn_grow_opts"
    _fields_ = [("chunk_size", c_size_t), ("retain", c_size_t), ("lock", c_int),
                ("alloc", c_void_p), ("free", c_void_p), ("ctx", c_void_p)]


STRUCTS = [ArenaStatsC, BumpStatsC, PoolStatsC, BlockStatsC, MmapStatsC, RegionStatsC,
           FixedStatsC, BuddyStatsC, ChunkStatsC, GrowStatsC, PoolOpts, MmapOpts, ByteOpts,
           GrowOpts]


def read(cstruct, call, handle):
    """Fills a fresh ``cstruct`` with ``call(handle, &out)``; its named tuple."""
    out = cstruct()
    call(handle, ctypes.byref(out))
    return cstruct.public(*(getattr(out, f) for f, _ in cstruct._fields_))

