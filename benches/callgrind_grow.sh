#!/bin/sh
# Instructions of the growing arena, counted by callgrind: per step of the
# ring of 64 mixed-size blocks (16 B to 1 KiB), through the C ABI, through
# the Rust API and through libc; and per call, inside each exported
# function (grwal, grwaz, grwfe, grwre) beside its Rust twin.
# $1 is the C driver (benches/callgrind.c), $2 the `grow` bench binary.
set -eu
c=$1
rust=$2
n=${ARN_GROW_STEPS:-200000}
if ! command -v valgrind >/dev/null 2>&1; then
    echo "callgrind: valgrind is not installed; skipping instruction counts"
    exit 0
fi
out=$(mktemp -d)
# count TOGGLE MODE: instructions per step of the C driver's MODE counted
# inside functions matching TOGGLE.
count() {
    valgrind --tool=callgrind --callgrind-out-file="$out/x.out" \
        --collect-atstart=no "--toggle-collect=$1" "$c" "$2" "$n" >/dev/null 2>&1
    total=$(sed -n 's/^summary: *//p; s/^totals: *//p' "$out/x.out" | head -n 1)
    echo "$total $n" | awk '{ printf "%.1f", $1 / $2 }'
}
# rcount TOGGLE MODE: the same for the Rust ring MODE of the bench binary.
rcount() {
    ARN_COUNT=$2 ARN_COUNT_N=$n valgrind --tool=callgrind --callgrind-out-file="$out/x.out" \
        --collect-atstart=no "--toggle-collect=$1" "$rust" >/dev/null 2>&1
    total=$(sed -n 's/^summary: *//p; s/^totals: *//p' "$out/x.out" | head -n 1)
    echo "$total $n" | awk '{ printf "%.1f", $1 / $2 }'
}
ring_c=$(count timed_grwring grwring)
ring_r=$(rcount '*timed_ring*' ring)
ring_m=$(count timed_mallocring mallocring)
re_c=$(count timed_grwrering grwrering)
re_r=$(rcount '*timed_ring*' rering)
re_m=$(count timed_reallocring reallocring)
az_c=$(count timed_grwazring grwazring)
az_r=$(rcount '*timed_ring*' azring)
az_m=$(count timed_callocring callocring)
echo "callgrind instructions per step, growing arena ring of 64 blocks, 16 B-1 KiB ($n steps):"
printf '  %-22s %8s %8s %8s %8s\n' step "C ABI" Rust libc "C/libc"
for row in "free+alloc:$ring_c:$ring_r:$ring_m" "free+alloc_zeroed:$az_c:$az_r:$az_m" \
           "realloc:$re_c:$re_r:$re_m"; do
    echo "$row" | awk -F: '{ printf "  %-22s %8s %8s %8s %8.2f\n", $1, $2, $3, $4, $2 / $4 }'
done
echo "callgrind instructions per call, inside the function (C) and its Rust twin:"
printf '  %-8s %8s %8s %8s\n' call C Rust "C-Rust"
for row in "grwal:twin_al:grwring:ring" "grwaz:twin_az:grwazring:azring" \
           "grwfe:twin_fe:grwring:ring" "grwre:twin_re:grwrering:rering"; do
    f=$(echo "$row" | cut -d: -f1)
    t=$(echo "$row" | cut -d: -f2)
    cm=$(echo "$row" | cut -d: -f3)
    rm_=$(echo "$row" | cut -d: -f4)
    cv=$(count "$f" "$cm")
    rv=$(rcount "*$t*" "$rm_")
    echo "$f $cv $rv" | awk '{ printf "  %-8s %8s %8s %8.1f\n", $1, $2, $3, $2 - $3 }'
done
rm -rf "$out"
