"""Byte arenas, buffers, frozen bytes, chunk slices; two threads."""

import threading

import pytest

import arn


def test_fixed_arena_buffer_bytes():
    with arn.FixedArena(2, 64) as fa:
        buf = fa.alloc()
        assert isinstance(buf, arn.Buffer) and len(buf) == 0 and buf.capacity == 64
        buf.write(b"hello, ")
        buf.write(bytearray(b"world"))
        assert len(buf) == 12 and not buf.spilled
        with pytest.raises(arn.CapacityError):
            buf.write(b"x" * 60)
        b = buf.freeze()
        assert buf.closed
        with pytest.raises(arn.ClosedError):
            buf.write(b"more")
        assert isinstance(b, arn.Bytes)
        assert bytes(b) == b"hello, world" and len(b) == 12 and b == b"hello, world"
        mv = memoryview(b)
        assert mv.nbytes == 12 and mv[:5] == b"hello" and mv.cast("B")[1] == ord("e")
        assert b[0] == ord("h") and b[7:] == b"world"
        assert list(b)[:2] == [104, 101] and hash(b) == hash(b"hello, world")
        with pytest.raises(TypeError):
            b[0] = 1
        world = b.slice(7, 5)
        again = b.clone()
        del mv
        b.close()
        assert bytes(world) == b"world" and bytes(again) == b"hello, world"
        with pytest.raises(arn.ClosedError):
            bytes(b)
        with pytest.raises(arn.OutOfBoundsError):
            again.slice(10, 5)
        second = fa.alloc()
        with pytest.raises(arn.CapacityError):
            fa.alloc()  # `world` and `again` keep the first slot
        with pytest.raises(arn.TimedOutError):
            fa.alloc(timeout=0.01)
        with pytest.raises(TimeoutError):
            fa.alloc(timeout=0)
        second.close()  # dropped unfrozen: its slot is back
        st = fa.stats()
        assert isinstance(st, arn.FixedStats) and st.slots == 2 and st.slot_size == 64
        assert st.slots_free == 1
        world.close()
        again.close()
        assert fa.stats().slots_free == 2


def test_byte_options_and_spill():
    with arn.FixedArena(1, 16, auto_spill=True, zero_init=True) as fa:
        buf = fa.alloc()
        buf.write(b"x" * 40)
        assert buf.spilled and len(buf) == 40
        assert bytes(buf.freeze()) == b"x" * 40
    with pytest.raises(arn.InvalidArgumentError):
        arn.FixedArena(0, 16)
    with pytest.raises(arn.InvalidArgumentError):
        arn.FixedArena(4, 16, alignment=3)


def test_buddy_arena():
    with arn.BuddyArena(4096, 256) as ba:
        buf = ba.alloc(300)
        assert buf.capacity == 512
        buf.write(b"buddy")
        frozen = buf.freeze()
        st = ba.stats()
        assert isinstance(st, arn.BuddyStats) and st.bytes_live == 512 and st.min_block == 256
        assert st.splits > 0
        with pytest.raises(arn.InvalidArgumentError):
            ba.alloc(0)
        with pytest.raises(arn.InvalidArgumentError):
            ba.alloc(8192)
        assert ba.alloc(256, timeout=0.0).capacity == 256
        frozen.close()
    with pytest.raises(arn.InvalidArgumentError):
        arn.BuddyArena(1000, 300)


def test_bytes_outlive_their_arena():
    fa = arn.FixedArena(1, 32)
    buf = fa.alloc()
    buf.write(b"still here")
    b = buf.freeze()
    fa.close()
    assert bytes(b) == b"still here"  # the mapping goes with the last bytes
    b.close()


def test_chunks_and_slices():
    with arn.Chunks(4, 16) as ch:
        s = ch.alloc(3, (1).to_bytes(4, "little") * 3)
        z = ch.alloc(2)
        assert isinstance(s, arn.Slice) and len(s) == 3 and s.nbytes == 12
        assert memoryview(s).cast("B").cast("I").tolist() == [1, 1, 1] and bytes(z) == bytes(8)
        c = s.clone()
        s.close()
        assert len(c) == 3
        st = ch.stats()
        assert isinstance(st, arn.ChunkStats) and st.slices == 2 and st.element_size == 4
        with pytest.raises(arn.InvalidArgumentError):
            ch.alloc(0)
        with pytest.raises(arn.InvalidArgumentError):
            ch.alloc(2, b"short")
        big = ch.alloc(40)  # longer than a chunk: a chunk of its own
        assert len(big) == 40
    with pytest.raises(arn.InvalidArgumentError):
        arn.Chunks(0, 16)


def test_two_threads_share_one_fixed_arena():
    rounds = 2000
    errors = []
    with arn.FixedArena(8, 64) as fa:
        def worker(tag):
            try:
                for i in range(rounds):
                    buf = fa.alloc(timeout=5)
                    payload = f"{tag}:{i}".encode()
                    buf.write(payload)
                    b = buf.freeze()
                    if bytes(b) != payload:
                        errors.append((tag, i, bytes(b)))
                    b.close()
            except Exception as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=worker, args=(t,)) for t in "ab"]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        st = fa.stats()
        assert st.allocations == 2 * rounds and st.slots_free == 8


def test_last_error_is_per_thread():
    seen = {}

    def fail_in_thread():
        try:
            arn.Arena(0)
        except arn.Error as e:
            seen["thread"] = (e.code, str(e))

    t = threading.Thread(target=fail_in_thread)
    t.start()
    t.join()
    with pytest.raises(arn.CapacityError) as here:
        arn.Bump(8).alloc(16)
    assert seen["thread"][0] == 4 and seen["thread"][1].startswith("arnmk: ")
    assert here.value.code == 5
