#!/bin/sh
# Instructions per shared-slice op (allocate 16 u64 + clone + drop both),
# counted by callgrind inside the bench binary's timed_ops: ours,
# arena-arc's, Arc<[u64]>'s and ours through arena-arc's face. $1 is the `chunk` bench binary.
set -eu
bin=$1
n=200000
toggle=timed_ops
. "$(dirname "$0")/callgrind_modes.sh"
ours=$(count arn)
theirs=$(count arena_arc)
arc=$(count arc)
face=$(count arn_compat)
echo "callgrind instructions per op: alloc 16 x u64 + clone + drop both ($n ops):"
printf '  %-12s %8s %8s\n' variant instr "vs arena-arc"
echo "arn $ours $theirs" | awk '{ printf "  %-12s %8s %8.2f\n", $1, $2, $2 / $3 }'
echo "arena_arc $theirs" | awk '{ printf "  %-12s %8s\n", $1, $2 }'
echo "Arc<[u64]> $arc $theirs" | awk '{ printf "  %-12s %8s %8.2f\n", $1, $2, $2 / $3 }'
echo "arn_compat $face $theirs $ours" | awk '{ printf "  %-12s %8s %8.2f (%.2f of arn)\n", $1, $2, $2 / $3, $2 / $4 }'
rm -rf "$out"
