#!/bin/sh
# Instructions per call, counted by callgrind inside the named functions
# only (their callees included), over a million calls.
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
malloc=$(count malloc --toggle-collect=malloc --toggle-collect=free)
echo "callgrind instructions per call (64 B, $n calls):"
echo "  arnal        $arnal"
echo "  malloc+free  $malloc"
echo "$arnal $malloc" | awk '{ printf "  ratio        %.2f\n", $1 / $2 }'
rm -rf "$out"
