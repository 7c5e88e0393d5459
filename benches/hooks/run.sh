#!/bin/sh
# The growing arena under real programs against glibc, in one run: the
# SQLite workload, the Lua scripts and the malloc/realloc/free trace, each
# run ROUNDS times per allocator, alternating, as separate processes (so
# each has its own peak RSS). Prints the medians of time and peak resident
# memory and the arena/glibc ratios. A workload whose development package
# pkg-config cannot find is skipped with a message.
# Usage: benches/hooks/run.sh BUILD_DIR LINK_FLAGS...
set -eu
build=$1
shift
cc=${CC:-cc}
rounds=${ROUNDS:-5}
here=$(dirname "$0")
flags="-std=c11 -O2 -Wall -Wextra -Werror -Iinclude -I$here"

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf '%-8s %10s %10s %7s %12s %12s %7s\n' workload "glibc s" "arena s" ratio "glibc KiB" "arena KiB" ratio
for w in trace:none sqlite:sqlite3 lua:lua5.4,lua-5.4,lua54,lua; do
    name=${w%%:*}
    pkgs=$(echo "${w#*:}" | tr , ' ')
    extra=
    if [ "$pkgs" != none ]; then
        found=
        for p in $pkgs; do
            if pkg-config --exists "$p" 2>/dev/null; then found=$p; break; fi
        done
        if [ -z "$found" ]; then
            echo "$name: skipped: no development package (${w#*:}) found by pkg-config"
            continue
        fi
        extra="$(pkg-config --cflags "$found") $(pkg-config --libs "$found")"
    fi
    # shellcheck disable=SC2086
    $cc $flags "$here/${name}_bench.c" -o "$build/bench_$name" "$@" $extra
    : >"$build/bench_$name.glibc"
    : >"$build/bench_$name.arena"
    i=0
    while [ $i -lt "$rounds" ]; do
        "$build/bench_$name" glibc 2>/dev/null >>"$build/bench_$name.glibc"
        "$build/bench_$name" arena 2>/dev/null >>"$build/bench_$name.arena"
        i=$((i + 1))
    done
    gt=$(cut -d' ' -f1 "$build/bench_$name.glibc" | median)
    at=$(cut -d' ' -f1 "$build/bench_$name.arena" | median)
    gm=$(cut -d' ' -f2 "$build/bench_$name.glibc" | median)
    am=$(cut -d' ' -f2 "$build/bench_$name.arena" | median)
    echo "$name $gt $at $gm $am" |
        awk '{ printf "%-8s %10.3f %10.3f %7.2f %12d %12d %7.2f\n", $1, $2, $3, $3 / $2, $4, $5, $5 / $4 }'
done
