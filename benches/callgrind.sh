#!/bin/sh
# Instructions per operation, counted by callgrind over a million
# operations: inside arnal itself, or inside the driver's timed_* loop
# (the loop's own few instructions included).
set -eu
bin=$1
n=1000000
if ! command -v valgrind >/dev/null 2>&1; then
    echo "callgrind: valgrind is not installed; skipping instruction counts"
    exit 0
fi
out=$(mktemp -d)
count() {
    mode=$1
    shift
    valgrind --tool=callgrind --callgrind-out-file="$out/$mode.out" \
        --collect-atstart=no "$@" "$bin" "$mode" "$n" >/dev/null 2>&1
    total=$(sed -n 's/^summary: *//p; s/^totals: *//p' "$out/$mode.out" | head -n 1)
    echo "$total $n" | awk '{ printf "%.1f", $1 / $2 }'
}
arnal=$(count arnal --toggle-collect=arnal)
malloc=$(count malloc --toggle-collect=timed_malloc)
block1=$(count block1 --toggle-collect=timed_block)
block99=$(count block99 --toggle-collect=timed_block)
pool=$(count pool --toggle-collect=timed_pool)
region=$(count region --toggle-collect=timed_region)
echo "callgrind instructions per operation (64 B, $n operations):"
printf '  %-22s %8s %8s\n' operation instr "/malloc+free"
for pair in "arnal:$arnal" "blckl+blckf_1pct:$block1" "blckl+blckf_99pct:$block99" \
            "polgt+polrt:$pool" "regnl:$region" "malloc+free:$malloc"; do
    name=${pair%%:*}
    v=${pair#*:}
    echo "$name $v $malloc" | awk '{ printf "  %-22s %8s %8.2f\n", $1, $2, $2 / $3 }'
done
rm -rf "$out"
