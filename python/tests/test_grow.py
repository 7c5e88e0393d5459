"""The growing arena and its vector and map; a locked arena from two
threads."""

import struct
import threading

import pytest

import arn
from arn._base import address_of


def test_grow_arena():
    with arn.GrowArena(chunk_size=4096, retain=1) as g:
        v = g.alloc(40)
        assert bytes(v) == bytes(40)
        v[:4] = b"keep"
        w = g.alloc(40, align=64)
        assert address_of(w) % 64 == 0
        bigger = g.realloc(v, 400)
        assert bytes(bigger[:4]) == b"keep" and bytes(bigger[40:]) == bytes(360)
        with pytest.raises(ValueError):
            v[0]  # released by the realloc
        gone = g.alloc(24)
        assert len(g.realloc(gone, 0)) == 0
        with pytest.raises(ValueError):
            gone[0]  # freed by the realloc to 0
        with pytest.raises(arn.DoubleFreeError):
            g.free(gone)
        c = g.copy(b"copied")
        assert bytes(c) == b"copied" and g.owns(c) and not g.owns(bytearray(4))
        g.free(bigger)
        with pytest.raises(arn.DoubleFreeError, match="^grwfe: "):
            g.free(bigger)
        with pytest.raises(arn.ForeignPointerError):
            g.free(bytearray(16))
        st = g.stats()
        assert isinstance(st, arn.GrowStats) and st.chunk_size == 4096 and st.frees >= 1
        huge = g.alloc(10_000)  # above a quarter chunk: a chunk of its own
        assert len(huge) == 10_000
        g.reset()
        assert g.stats().bytes_live == 0 and g.stats().resets == 1
        with pytest.raises(arn.StaleHandleError):
            g.free(c)  # its memory went with the reset
        with pytest.raises(arn.InvalidArgumentError):
            g.alloc(8, align=3)
    with pytest.raises(arn.InvalidArgumentError):
        arn.GrowArena(chunk_size=100)


def test_vector():
    with arn.GrowArena() as g:
        v = arn.Vector(g, 4)
        for i in range(10):
            v.append(struct.pack("<i", i))
        assert len(v) == 10 and v.capacity >= 10
        assert v[3] == struct.pack("<i", 3) and v[-1] == struct.pack("<i", 9)
        v[5] = struct.pack("<i", 50)
        assert v.index(struct.pack("<i", 50)) == 5 and struct.pack("<i", 5) not in v
        assert v.remove(struct.pack("<i", 50)) and not v.remove(struct.pack("<i", 50))
        del v[0]
        assert [struct.unpack("<i", e)[0] for e in v] == [1, 2, 3, 4, 6, 7, 8, 9]
        with pytest.raises(arn.OutOfBoundsError):
            v[100]
        with pytest.raises(arn.InvalidArgumentError, match="^vecps: element of 8 bytes"):
            v.append(b"too long")
        with pytest.raises(ValueError):
            v.index(struct.pack("<i", 123))
        ptrs = arn.Vector(g, 8)
        inside = g.alloc(8)
        ptrs.append(struct.pack("<Q", address_of(inside)))
        ptrs.append(struct.pack("<Q", address_of(bytearray(8))))
        ptrs.append(bytes(8))
        assert ptrs.audit(0) == [1]
        v.clear()
        assert len(v) == 0
        g.reset()
        with pytest.raises(arn.StaleHandleError):
            v.append(bytes(4))
        v.close()
        with pytest.raises(arn.ClosedError):
            len(v)


def test_map():
    with arn.GrowArena() as g:
        m = arn.Map(g)
        m[b"one"] = b"1"
        m[b"two"] = b"2"
        assert m.add(b"three", b"3") and not m.add(b"three", b"x")
        assert m[b"two"] == b"2" and m.get(b"none") is None and b"one" in m
        with pytest.raises(KeyError):
            m[b"none"]
        del m[b"one"]
        with pytest.raises(KeyError):
            del m[b"one"]
        assert len(m) == 2 and sorted(m.keys()) == [b"three", b"two"]
        assert dict(m.items()) == {b"two": b"2", b"three": b"3"}
        m[b""] = b""  # the empty key is a key like any other
        assert m[b""] == b"" and len(m) == 3
        assert m.audit(0) == []
        m.clear()
        assert len(m) == 0 and list(m) == []
        m.close()
        with pytest.raises(arn.ClosedError):
            m[b"k"] = b"v"


def test_locked_grow_arena_from_two_threads():
    errors = []
    with arn.GrowArena(lock=True) as g:
        def worker():
            try:
                views = [g.alloc(32) for _ in range(500)]
                for v in views:
                    g.free(v)
            except Exception as e:
                errors.append(e)

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and g.stats().bytes_live == 0
