#!/bin/sh
# Instructions per operation, counted by callgrind, each beside its Rust
# twin and its peer:
#   $1  the C driver (benches/callgrind.c) linked to libarn.so
#   $2  the same driver linked to libarn.a (optional)
#   $3  the `alloc` bench binary (optional): the C functions and their Rust
#       twins, called in the same Rust loop
#   $4  the `bytes` bench binary (optional): the fixed roundtrip in Rust,
#       through the C ABI and with arena-alligator
#   $5  the `chunk` bench binary (optional): the slice op in Rust and with
#       arena-arc
#   $6  the `cpath` bench binary (optional): the Rust twins of the
#       collection calls, and the slice op through C called from Rust
# The C driver counts inside the function itself for arnal, bumpl, scrtc
# and mmapl, and inside its timed_* loop (a few loop instructions
# included) for the rest.
set -eu
so=$1
static=${2:-}
alloc=${3:-}
bytes=${4:-}
chunk=${5:-}
cpath=${6:-}
n=200000
if ! command -v valgrind >/dev/null 2>&1; then
    echo "callgrind: valgrind is not installed; skipping instruction counts"
    exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
per_op() {
    total=$(sed -n 's/^summary: *//p; s/^totals: *//p' "$1" | head -n 1)
    echo "$total $n" | awk '{ printf "%.1f", $1 / $2 }'
}
# c BINARY MODE TOGGLE: the C driver's count.
c() {
    [ -n "$1" ] || { echo "-"; return; }
    f="$out/c.$2.$(basename "$1")"
    valgrind --tool=callgrind --callgrind-out-file="$f" --collect-atstart=no \
        "--toggle-collect=$3" "$1" "$2" "$n" >/dev/null 2>&1
    per_op "$f"
}
# rust BINARY MODE TOGGLE: a bench binary's count mode.
rust() {
    [ -n "$1" ] || { echo "-"; return; }
    f="$out/r.$2"
    ARN_COUNT=$2 ARN_COUNT_N=$n valgrind --tool=callgrind --callgrind-out-file="$f" \
        --collect-atstart=no "--toggle-collect=*$3*" "$1" >/dev/null 2>&1
    per_op "$f"
}
row() {
    printf '  %-24s %8s %8s %9s %9s   %s\n' "$@"
}
malloc=$(c "$so" malloc 'timed_malloc*')
memcpy=$(c "$so" memcpy 'timed_memcpy*')
echo "callgrind instructions per operation ($n operations, 64 B):"
row operation "C .so" "C .a" "C in Rust" "Rust twin" peer
for f in arnal bumpl scrtc mmapl; do
    case $f in
        arnal) twin=arena_rust ;;
        bumpl) twin=bump_rust ;;
        scrtc) twin=scratch_rust ;;
        mmapl) twin=mmap_rust ;;
    esac
    row "$f" "$(c "$so" $f $f)" "$(c "$static" $f $f)" \
        "$(rust "$alloc" $f timed_calls)" "$(rust "$alloc" $twin timed_calls)" \
        "malloc+free $malloc"
done
row regnl "$(c "$so" region 'timed_region*')" "$(c "$static" region 'timed_region*')" \
    "$(rust "$alloc" regnl timed_calls)" "$(rust "$alloc" region_rust timed_calls)" \
    "malloc+free $malloc"
row "blckl+blckf 1 % fill" "$(c "$so" block1 'timed_block*')" \
    "$(c "$static" block1 'timed_block*')" "$(rust "$alloc" block timed_calls)" \
    "$(rust "$alloc" block_rust timed_calls)" "malloc+free $malloc"
row "blckl+blckf 99 % fill" "$(c "$so" block99 'timed_block*')" \
    "$(c "$static" block99 'timed_block*')" - - "malloc+free $malloc"
row polgt+polrt "$(c "$so" pool 'timed_pool*')" "$(c "$static" pool 'timed_pool*')" \
    "$(rust "$alloc" pool timed_calls)" "$(rust "$alloc" pool_rust timed_calls)" \
    "malloc+free $malloc"
row "fixed roundtrip" "$(c "$so" fixed 'timed_fixed*')" "$(c "$static" fixed 'timed_fixed*')" \
    "$(rust "$bytes" fixed_c timed_roundtrips)" "$(rust "$bytes" fixed timed_roundtrips)" \
    "arena-alligator $(rust "$bytes" alligator_fixed timed_roundtrips); malloc+memcpy+free $memcpy"
row "chunk slice op" "$(c "$so" chunk 'timed_chunk*')" "$(c "$static" chunk 'timed_chunk*')" \
    "$(rust "$cpath" chunk_c timed_ops)" "$(rust "$chunk" arn timed_ops)" \
    "arena-arc $(rust "$chunk" arena_arc timed_ops)"
for f in vecps vecat mappt mapgt; do
    row "$f" "$(c "$so" $f "timed_$f*")" "$(c "$static" $f "timed_$f*")" - \
        "$(rust "$cpath" ${f}_rust timed_ops)" -
done
echo "  (chunk slice op: chkal of 16 u64 + slccl + two slcdr, twin ChunkAllocator<u64>;"
echo "   vecps/vecat: 8-byte elements, twin ArenaVec<u64>; mappt/mapgt: 8-byte keys"
echo "   and values over 1024 keys, twin ArenaMap<u64, u64>; all on a GrowArena)"
echo "  (C .so / .a: benches/callgrind.c linked to libarn.so / libarn.a; C in Rust:"
echo "   the exported functions called from the Rust bench loop that also runs the twin)"
