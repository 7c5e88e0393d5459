#!/bin/sh
# The consumer test: installs libarn into a temporary DESTDIR the way a
# user or a package would, then builds and runs, against that tree only,
# the README's C program with pkg-config (shared and static), its C++
# program, and its CMake project (arn::arn and arn::arn_static); finally
# uninstalls and checks that nothing is left. Run by `make consumer-test`.
#
# Two layouts: a plain prefix, and a distribution's (multiarch LIBDIR, its
# own INCLUDEDIR). Both are staged, so every path the .pc and CMake files
# give must be relative to where they lie.
set -eu
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
MAKE=${MAKE:-make}
CC=${CC:-cc}
CXX=${CXX:-c++}

fail() { echo "consumer-test: $*" >&2; exit 1; }

for tool in pkg-config cmake; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "consumer-test: $tool missing: skipped (.ci/run installs it)"
        exit 0
    fi
done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/src"
for f in app.c build.sh CMakeLists.txt app.cpp; do
    tests/consumer/snippet.sh README.md "consumer/$f" > "$WORK/src/$f"
done

checks=0
ok() { checks=$((checks + 1)); }

# check_layout NAME MAKE-VARIABLES...
check_layout() {
    name=$1; shift
    stage="$WORK/stage-$name"
    $MAKE --no-print-directory -s install DESTDIR="$stage" "$@" >"$WORK/install-$name.log" 2>&1 \
        || { cat "$WORK/install-$name.log"; fail "$name: make install failed"; }
    vars=$($MAKE --no-print-directory -s print-install-dirs "$@")
    eval "$vars"    # PREFIX LIBDIR INCLUDEDIR PKGCONFIGDIR CMAKEDIR
    lib="$stage$LIBDIR"

    # The library files, links and their targets.
    [ -f "$lib/libarn.so.0.1.0" ] && [ ! -L "$lib/libarn.so.0.1.0" ] || fail "$name: no libarn.so.0.1.0"
    [ "$(readlink "$lib/libarn.so.0")" = libarn.so.0.1.0 ] || fail "$name: libarn.so.0 is not a relative link"
    [ "$(readlink "$lib/libarn.so")" = libarn.so.0 ] || fail "$name: libarn.so is not a relative link"
    readelf -d "$lib/libarn.so.0.1.0" | grep -q 'SONAME.*\[libarn.so.0\]' || fail "$name: soname"
    if readelf -S "$lib/libarn.so.0.1.0" | grep -q '\.debug_\|\.symtab'; then fail "$name: libarn.so not stripped"; fi
    if readelf -S "$lib/libarn.a" 2>/dev/null | grep -q '\.debug_info\|\.llvmbc'; then fail "$name: libarn.a keeps debug info"; fi
    [ -f "$stage$INCLUDEDIR/arn.h" ] && [ -f "$stage$INCLUDEDIR/arn.hpp" ] || fail "$name: headers"
    ok

    # pkg-config, from the staging tree only.
    export PKG_CONFIG_LIBDIR="$stage$PKGCONFIGDIR"
    [ "$(pkg-config --modversion arn)" = 0.1.0 ] || fail "$name: pkg-config --modversion"
    out="$WORK/pc-$name"
    rm -rf "$out"; mkdir -p "$out"; cp "$WORK/src/app.c" "$WORK/src/app.cpp" "$WORK/src/build.sh" "$out/"
    (cd "$out" && CC="$CC" sh -e build.sh) >"$out/build.log" 2>&1 || { cat "$out/build.log"; fail "$name: README build.sh"; }
    LD_LIBRARY_PATH="$lib" "$out/app" | grep -q '^hello from libarn 0.1.0$' || fail "$name: shared app"
    readelf -d "$out/app" | grep -q 'NEEDED.*\[libarn.so.0\]' || fail "$name: app does not need libarn.so.0"
    "$out/app_static" | grep -q '^hello from libarn' || fail "$name: static app"
    if readelf -d "$out/app_static" 2>/dev/null | grep -q 'NEEDED'; then fail "$name: app_static is not static"; fi
    ok

    # C++: the README program, arn.hpp from the staging tree.
    $CXX -std=c++17 -Wall -Wextra -Wpedantic -Werror "$out/app.cpp" $(pkg-config --cflags --libs arn) \
        -o "$out/app_cpp" || fail "$name: README app.cpp"
    LD_LIBRARY_PATH="$lib" "$out/app_cpp" >"$out/cpp.out" || fail "$name: app.cpp run"
    grep -q '^code 4: arnmk: ' "$out/cpp.out" && grep -q '^5 words, one, frozen without a copy$' "$out/cpp.out" \
        || { cat "$out/cpp.out"; fail "$name: app.cpp output"; }
    unset PKG_CONFIG_LIBDIR
    ok

    # CMake: the README project, found through CMAKE_PREFIX_PATH.
    proj="$WORK/cmake-$name"
    rm -rf "$proj"; mkdir -p "$proj"; cp "$WORK/src/CMakeLists.txt" "$WORK/src/app.c" "$proj/"
    cmake -S "$proj" -B "$proj/build" -DCMAKE_PREFIX_PATH="$stage$PREFIX" -DCMAKE_C_COMPILER="$CC" \
        >"$proj/cmake.log" 2>&1 || { cat "$proj/cmake.log"; fail "$name: cmake configure"; }
    cmake --build "$proj/build" >>"$proj/cmake.log" 2>&1 || { cat "$proj/cmake.log"; fail "$name: cmake build"; }
    "$proj/build/app" | grep -q '^hello from libarn' || fail "$name: cmake app (arn::arn)"
    readelf -d "$proj/build/app" | grep -q 'NEEDED.*\[libarn.so.0\]' || fail "$name: cmake app does not need libarn.so.0"
    "$proj/build/app_static" | grep -q '^hello from libarn' || fail "$name: cmake app_static"
    if readelf -d "$proj/build/app_static" | grep -q 'NEEDED.*libarn'; then fail "$name: app_static needs libarn.so"; fi
    # A version above the installed one is refused.
    sed 's/find_package(arn 0.1 /find_package(arn 0.2 /' "$WORK/src/CMakeLists.txt" > "$proj/CMakeLists.txt"
    if cmake -S "$proj" -B "$proj/build2" -DCMAKE_PREFIX_PATH="$stage$PREFIX" >/dev/null 2>&1; then
        fail "$name: find_package(arn 0.2) accepted 0.1.0"
    fi
    ok

    # Uninstall removes every file it installed, and nothing else.
    touch "$stage$LIBDIR/someone-elses.so"
    $MAKE --no-print-directory -s uninstall DESTDIR="$stage" "$@" >/dev/null
    left=$(cd "$stage" && find . \( -type f -o -type l \) | sort)
    [ "$left" = "./${LIBDIR#/}/someone-elses.so" ] || fail "$name: after uninstall: $left"
    ok
}

check_layout prefix PREFIX=/opt/arn
check_layout distro PREFIX=/usr LIBDIR=/usr/lib/x86_64-linux-gnu INCLUDEDIR=/usr/include/arn-0 DEBUGDIR=/usr/lib/debug

echo "consumer-test: $checks passed, 0 failed"
