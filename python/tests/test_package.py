"""The package against the repository: errors and structs match arn.h,
versions match Cargo.toml, the library search, closed objects, and the
README's example."""

import ctypes
import inspect
import os
import re
import subprocess
import sys

import pytest

import arn
from arn import _lib, _structs, errors
from conftest import PYTHON_DIR, REPO

HEADER = (REPO / "include" / "arn.h").read_text()


def test_an_error_class_per_code():
    codes = {name: int(value) for name, value in re.findall(r"#define (ARN_E_\w+) (\d+)", HEADER)}
    assert len(codes) >= 14
    for name, code in codes.items():
        e = errors.error_from(code, f"fn: {name}")
        assert isinstance(e, arn.Error) and e.code == code and str(e) == f"fn: {name}"
        assert type(e) is not arn.Error, f"{name} has no class of its own"
        assert getattr(errors, name[len("ARN_E_"):]) == code
    assert len({type(errors.error_from(c, "")) for c in codes.values()}) == len(codes)
    assert issubclass(arn.InvalidArgumentError, ValueError)
    assert issubclass(arn.OutOfBoundsError, IndexError)
    assert issubclass(arn.TimedOutError, TimeoutError)
    assert issubclass(arn.ClosedError, ValueError) and arn.ClosedError("x").code == errors.STALE_HANDLE


C_TYPES = {"size_t": ctypes.c_size_t, "uint64_t": ctypes.c_uint64, "int": ctypes.c_int,
           "double": ctypes.c_double, "arn_ctor": ctypes.c_void_p, "arn_reset": ctypes.c_void_p,
           "arn_destructor": ctypes.c_void_p}


def header_fields(cname):
    body = re.search(r"typedef struct %s \{(.*?)\} %s;" % (cname, cname), HEADER, re.S)
    assert body, f"{cname} not in arn.h"
    fields = []
    for line in body.group(1).splitlines():
        line = line.strip()
        if not line or line.startswith(("/*", "*")):
            continue
        pointer = re.match(r".*\(\*(\w+)\)\(.*\);$", line)  # a function pointer
        if pointer:
            fields.append((pointer.group(1), ctypes.c_void_p))
            continue
        m = re.match(r"(?:const )?(\w+)\s*(\*?)\s*(\w+);$", line)
        assert m, f"cannot read {line!r} of {cname}"
        fields.append((m.group(3), ctypes.c_void_p if m.group(2) else C_TYPES[m.group(1)]))
    return fields


@pytest.mark.parametrize("cstruct", _structs.STRUCTS, ids=lambda s: s.c_name)
def test_structs_match_the_header(cstruct):
    assert header_fields(cstruct.c_name) == list(cstruct._fields_)


def test_every_prototype_names_a_header_function():
    declared = set(re.findall(r"\b(\w{5})\((?:void|[^)]*)\);", HEADER))
    for attr, cname, *_ in _lib._TABLE:
        assert cname in declared, f"{attr}: {cname} is not in arn.h"
    assert len({row[1] for row in _lib._TABLE}) == len(_lib._TABLE), "a C name twice in the table"


def test_versions_match_cargo():
    cargo = re.search(r'^version = "(\d+)\.(\d+)\.(\d+)"', (REPO / "Cargo.toml").read_text(), re.M)
    major, minor, patch = (int(x) for x in cargo.groups())
    assert arn.library_version() == f"{major}.{minor}.{patch}" == arn.__version__
    assert arn.library_version_number() == major * 10000 + minor * 100 + patch
    pyproject = (PYTHON_DIR / "pyproject.toml").read_text()
    assert f'version = "{arn.__version__}"' in pyproject


def run_python(code, **env):
    full = dict(os.environ, PYTHONPATH=str(PYTHON_DIR), **env)
    return subprocess.run([sys.executable, "-c", code], env=full, capture_output=True, text=True)


def test_arn_library_comes_first():
    bad = run_python("import arn", ARN_LIBRARY="/nonexistent/libarn.so")
    assert bad.returncode != 0 and "ARN_LIBRARY" in bad.stderr and "/nonexistent/libarn.so" in bad.stderr
    good = run_python("import arn; print(arn.library_path)", ARN_LIBRARY=arn.library_path)
    assert good.returncode == 0 and good.stdout.strip() == arn.library_path


def test_without_arn_library_the_search_order():
    env = {k: v for k, v in os.environ.items() if k != "ARN_LIBRARY"}
    order = subprocess.run(
        [sys.executable, "-c", "from arn import _lib; print('\\n'.join(_lib._candidates()))"],
        env=dict(env, ARN_LIBRARY="", PYTHONPATH=str(PYTHON_DIR)), capture_output=True, text=True)
    candidates = order.stdout.split()
    assert candidates[0] == "libarn.so.0"  # the installed library, through the loader
    assert candidates[-1] == str(REPO / "target" / "release" / "libarn.so")  # the build tree last


MAKERS = {
    arn.Arena: lambda: arn.Arena(64),
    arn.TypedArena: lambda: arn.TypedArena(8, 4),
    arn.Bump: lambda: arn.Bump(64),
    arn.Pool: lambda: arn.Pool(),
    arn.BlockPool: lambda: arn.BlockPool(8, 4),
    arn.Stack: lambda: arn.Stack(64),
    arn.MmapArena: lambda: arn.MmapArena(1 << 16),
    arn.Region: lambda: arn.Region(),
    arn.Scratch: lambda: arn.Scratch(64),
    arn.FixedArena: lambda: arn.FixedArena(2, 16),
    arn.BuddyArena: lambda: arn.BuddyArena(1024, 256),
    arn.Chunks: lambda: arn.Chunks(8, 4),
    arn.GrowArena: lambda: arn.GrowArena(),
}


@pytest.mark.parametrize("cls", list(MAKERS), ids=lambda c: c.__name__)
def test_a_call_on_a_closed_object_raises(cls):
    with MAKERS[cls]() as obj:
        assert not obj.closed and obj.handle
    assert obj.closed
    called = 0
    for name in ("alloc", "stats", "reset", "get", "mark", "checkpoint", "free_all", "commit",
                 "push", "pop", "restore", "free", "shrink"):
        method = getattr(obj, name, None)
        if method is not None:
            required = [p for p in inspect.signature(method).parameters.values()
                        if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD]
            with pytest.raises(arn.ClosedError, match="is closed"):
                method(*[8] * len(required))
            called += 1
    assert called >= 2
    with pytest.raises(arn.ClosedError):
        obj.handle
    obj.close()  # closing again does nothing


def test_closed_buffers_bytes_slices_vectors_maps():
    with arn.FixedArena(2, 16) as fa, arn.Chunks(8, 4) as ch, arn.GrowArena() as g:
        buf = fa.alloc()
        buf.close()
        b = fa.alloc().freeze()
        b.close()
        s = ch.alloc(1)
        s.close()
        v = arn.Vector(g, 8)
        v.close()
        m = arn.Map(g)
        m.close()
        for call in (lambda: buf.write(b"x"), lambda: len(buf), lambda: bytes(b), b.clone,
                     lambda: len(s), s.clone, lambda: v.append(bytes(8)), lambda: len(m),
                     lambda: m.get(b"k")):
            with pytest.raises(arn.ClosedError):
                call()


def test_a_freed_handle_behind_the_wrapper_is_an_error_not_a_crash():
    a = arn.Arena(64)
    _lib.C.arena_free(a.handle)  # freed through the C table, not the wrapper
    with pytest.raises(arn.StaleHandleError):
        a.alloc(8)
    with pytest.raises(arn.DoubleFreeError):
        a.close()
    assert a.closed


def test_readme_example(capsys):
    from snippets import snippet

    code = snippet(REPO / "README.md", "python/readme_example.py")
    exec(compile(code, "README.md (Python)", "exec"), {})
    out = capsys.readouterr().out
    assert "ArenaStats(size=65536, offset=16, objects=1" in out
    assert out.splitlines()[-1].startswith("4 arnmk: ")
