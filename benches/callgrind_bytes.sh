#!/bin/sh
# Instructions per byte-arena roundtrip (allocate + write + freeze + drop),
# counted by callgrind inside the bench binary's timed_roundtrips, ours and
# arena-alligator's. $1 is the `bytes` bench binary.
set -eu
bin=$1
n=200000
if ! command -v valgrind >/dev/null 2>&1; then
    echo "callgrind: valgrind is not installed; skipping instruction counts"
    exit 0
fi
out=$(mktemp -d)
count() {
    ARN_COUNT=$1 ARN_COUNT_N=$n valgrind --tool=callgrind --callgrind-out-file="$out/$1.out" \
        --collect-atstart=no '--toggle-collect=*timed_roundtrips*' "$bin" >/dev/null 2>&1
    total=$(sed -n 's/^summary: *//p; s/^totals: *//p' "$out/$1.out" | head -n 1)
    echo "$total $n" | awk '{ printf "%.1f", $1 / $2 }'
}
fixed=$(count fixed)
afixed=$(count alligator_fixed)
buddy=$(count buddy)
abuddy=$(count alligator_buddy)
copy=$(count bytes_copy)
echo "callgrind instructions per roundtrip ($n roundtrips):"
printf '  %-34s %8s %8s\n' roundtrip instr ratio
echo "fixed_64B_arn $fixed $afixed" | awk '{ printf "  %-34s %8s %8.2f\n", $1, $2, $2 / $3 }'
echo "fixed_64B_arena_alligator $afixed" | awk '{ printf "  %-34s %8s\n", $1, $2 }'
echo "buddy_256B_64MiB_arn $buddy $abuddy" | awk '{ printf "  %-34s %8s %8.4f\n", $1, $2, $2 / $3 }'
echo "buddy_256B_64MiB_arena_alligator $abuddy" | awk '{ printf "  %-34s %8s\n", $1, $2 }'
echo "Bytes::copy_from_slice_64B $copy" | awk '{ printf "  %-34s %8s\n", $1, $2 }'
rm -rf "$out"
