# Sourced by the callgrind_<bench>.sh drivers, with `bin` (a bench binary),
# `n` and `toggle` (the function whose instructions count) set. Gives
# `count MODE`: instructions per operation of the binary run with
# ARN_COUNT=MODE. Exits quietly when valgrind is missing.
if ! command -v valgrind >/dev/null 2>&1; then
    echo "callgrind: valgrind is not installed; skipping instruction counts"
    exit 0
fi
out=$(mktemp -d)
count() {
    ARN_COUNT=$1 ARN_COUNT_N=$n valgrind --tool=callgrind --callgrind-out-file="$out/$1.out" \
        --collect-atstart=no "--toggle-collect=*$toggle*" "$bin" >/dev/null 2>&1
    total=$(sed -n 's/^summary: *//p; s/^totals: *//p' "$out/$1.out" | head -n 1)
    echo "$total $n" | awk '{ printf "%.1f", $1 / $2 }'
}
