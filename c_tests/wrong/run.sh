#!/bin/sh
# The misuse suite: every program here misuses memory arn handed out, on
# the line marked WRONG, and says in its `expect-asan:` and
# `expect-memcheck:` lines how the checker must report it. Built against
# the tracking library, each must be reported with that kind, access and
# size, at that line; a program the checker misses, or reports otherwise,
# fails the suite.
#
#   run.sh asan|valgrind LIBDIR OUTDIR
set -u
mode=$1 lib=$2 out=$3
here=$(dirname "$0")
cc=${CC:-cc}
mkdir -p "$out"
pass=0 fail=0
for src in "$here"/*.c; do
    name=$(basename "$src" .c)
    line=$(grep -n '/\* WRONG \*/' "$src" | cut -d: -f1)
    bin=$out/${mode}_$name
    log=$out/${mode}_$name.log
    flags="-std=c11 -Wall -Wextra -Werror -g -O0 -fno-omit-frame-pointer -I$here/../../include"
    [ "$mode" = asan ] && flags="$flags -fsanitize=address"
    if ! $cc $flags "$src" -o "$bin" -L"$lib" -larn -Wl,-rpath,"$lib" -pthread -ldl; then
        echo "$name: does not compile"; fail=$((fail + 1)); continue
    fi
    why=""
    if [ "$mode" = asan ]; then
        set -- $(sed -n 's|^// expect-asan: ||p' "$src")
        kind=$1 dir=$2 size=$3
        ASAN_OPTIONS=detect_leaks=0 "$bin" >"$log" 2>&1 && why="exited cleanly"
        grep -q "ERROR: AddressSanitizer: $kind " "$log" || why="${why:-no $kind report}"
        grep -q "^$dir of size $size at " "$log" || why="${why:-not a $dir of size $size}"
        grep -q "#0 .* in main .*$name.c:$line\$" "$log" || why="${why:-not reported at $name.c:$line}"
        said="$kind, $dir of size $size"
    else
        want=$(sed -n 's|^// expect-memcheck: ||p' "$src")
        valgrind --error-exitcode=99 "$bin" >"$log" 2>&1
        grep -q "== $want\$" "$log" || why="no '$want'"
        # The access itself, at the WRONG line, is the first frame after it.
        awk -v w="$want" -v at="($name.c:$line)" '
            index($0, w) { getline; if (index($0, at)) found = 1 }
            END { exit !found }' "$log" || why="${why:-not reported at $name.c:$line}"
        said=$want
    fi
    if [ -z "$why" ]; then
        echo "$name: ok ($said)"; pass=$((pass + 1))
    else
        echo "$name: FAILED: $why (see $log)"; fail=$((fail + 1))
    fi
done
echo "wrong ($mode): $pass passed, $fail failed"
[ "$fail" -eq 0 ]
