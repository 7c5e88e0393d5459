"""The arn family: arena, typed arena, bump, pool, block, stack, mmap
arena, region, scratch."""

import pytest

import arn
from arn._base import address_of


def zeroed(view):
    return bytes(view) == bytes(len(view))


def test_arena():
    with arn.Arena(1024) as a:
        v = a.alloc(24)
        assert isinstance(v, memoryview) and not v.readonly and len(v) == 24 and zeroed(v)
        v[:3] = b"abc"
        w = a.alloc(10, align=256)
        assert zeroed(w) and address_of(w) % 256 == 0
        c = a.copy(b"copied")
        assert bytes(c) == b"copied"
        assert a.owns(v) and a.owns(c) and not a.owns(bytearray(8))
        st = a.stats()
        assert isinstance(st, arn.ArenaStats) and st.size == 1024 and st.objects == 3
        assert st == (st.size, st.offset, st.objects, st.type_size, st.count)
        with pytest.raises(arn.CapacityError) as e:
            a.alloc(4096)
        assert e.value.code == 5 and str(e.value).startswith("arnal: ")
        with pytest.raises(arn.InvalidArgumentError):
            a.alloc(8, align=3)
        with pytest.raises(arn.InvalidArgumentError):
            a.alloc(0)
        a.reset()
        assert a.stats().offset == 0 and not a.owns(v)
        with pytest.raises(ValueError):
            v[0]  # released with the reset
        again = a.alloc(24)
        assert zeroed(again)  # the reset zeroed what was used
    assert a.closed
    with pytest.raises(ValueError):
        again[0]  # released with close
    with pytest.raises(arn.ClosedError):
        a.alloc(8)
    with pytest.raises(arn.InvalidArgumentError):
        arn.Arena(0)


def test_typed_arena():
    with arn.TypedArena(12, 3) as t:
        i, v = t.alloc()
        assert i == 0 and len(v) == 12 and zeroed(v)
        v[0] = 7
        assert t[0][0] == 7
        t.alloc()
        assert t.stats().count == 2 and t.stats().type_size == 12
        with pytest.raises(arn.OutOfBoundsError):
            t[2]
        with pytest.raises(IndexError):
            t[5]
        t.alloc()
        with pytest.raises(arn.CapacityError):
            t.alloc()
        t.reset()
        assert t.stats().count == 0


def test_bump():
    b = arn.Bump(64)
    v = b.alloc(20)
    assert zeroed(v) and b.stats().used == 24 and b.stats().allocations == 1
    with pytest.raises(arn.CapacityError):
        b.alloc(64)
    b.reset()
    assert b.stats().used == 0
    b.close()
    b.close()  # twice is fine
    with pytest.raises(arn.ClosedError):
        b.stats()
    with pytest.raises(arn.InvalidArgumentError):
        arn.Bump(4)


def test_pool():
    with arn.Pool(object_size=32, initial_capacity=2) as p:
        o = p.get()
        assert len(o) == 32 and zeroed(o)
        o[:4] = b"used"
        st = p.stats()
        assert st.in_use == 1 and st.available == 1 and st.capacity == 2
        p.put(o)
        with pytest.raises(ValueError):
            o[0]
        with pytest.raises(arn.DoubleFreeError):
            p.put(o)
        assert zeroed(p.get())  # came back zeroed
        with pytest.raises(arn.ForeignPointerError):
            p.put(bytearray(32))
        extra = [p.get() for _ in range(3)]
        for x in extra:
            p.put(x)
        p.shrink()
        assert p.stats().available == 2


def test_block_pool():
    with arn.BlockPool(24, 2) as bp:
        x, y = bp.alloc(), bp.alloc()
        assert zeroed(x) and len(y) == 24
        with pytest.raises(arn.CapacityError) as e:
            bp.alloc()
        assert "no free blocks" in str(e.value)
        x[:2] = b"hi"
        bp.free(x)
        with pytest.raises(arn.DoubleFreeError):
            bp.free(x)
        with pytest.raises(arn.ForeignPointerError):
            bp.free(bytearray(24))
        st = bp.stats()
        assert st.used == 1 and st.free == 1 and st.utilization == 0.5
        assert zeroed(bp.alloc())


def test_stack():
    with arn.Stack(128) as s:
        m = s.mark()
        low = s.push(b"bottom")
        assert bytes(low) == b"bottom"
        top = s.push(size=16)
        assert zeroed(top)
        s.pop(16)
        with pytest.raises(ValueError):
            top[0]  # popped
        assert bytes(low) == b"bottom"  # still on the stack
        s.restore(m)
        with pytest.raises(ValueError):
            low[0]
        with pytest.raises(arn.StackError):
            s.pop(8)
        with pytest.raises(arn.CapacityError):
            s.push(size=256)
        with pytest.raises(TypeError):
            s.push()


def test_mmap_arena():
    with arn.MmapArena(1 << 20, retain=4096) as m:
        assert m.stats().committed == 0
        m.commit(8192)
        v = m.alloc(100)
        assert zeroed(v)
        st = m.stats()
        assert st.committed >= 8192 and st.used == 104 and st.retain == 4096
        with pytest.raises(arn.CapacityError):
            m.alloc(2 << 20)
        with pytest.raises(arn.InvalidArgumentError):
            m.commit(4 << 20)
        m.reset()
        assert m.stats().used == 0


def test_region():
    with arn.Region() as r:
        big = r.alloc(100_000)
        small = r.alloc(10)
        assert zeroed(big) and zeroed(small)
        st = r.stats()
        assert st.arns == 2 and st.current_arn_size == 65536
        r.free_all()
        assert r.stats().arns == 0
        with pytest.raises(ValueError):
            small[0]
        r.alloc(8)  # usable after free_all
        with pytest.raises(arn.InvalidArgumentError):
            r.alloc(0)


def test_scratch():
    with arn.Scratch(256) as s:
        keep = s.alloc(8)
        s.checkpoint()
        tmp = s.alloc(200)
        with pytest.raises(arn.CapacityError):
            s.alloc(200)
        s.restore()
        with pytest.raises(ValueError):
            tmp[0]
        keep[0] = 1  # allocated before the checkpoint: still live
        with pytest.raises(arn.NoCheckpointError):
            s.restore()


def test_align_size():
    assert arn.align_size(13, 8) == 16
    assert arn.align_size(0, 8) == 0
    with pytest.raises(arn.InvalidArgumentError):
        arn.align_size(8, 3)
