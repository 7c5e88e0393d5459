#!/bin/sh
# Instructions per byte-arena roundtrip (allocate + write + freeze + drop),
# counted by callgrind inside the bench binary's timed_roundtrips, ours,
# arena-alligator's and ours through its face (arn::compat). $1 is the `bytes` bench binary.
set -eu
bin=$1
n=200000
toggle=timed_roundtrips
. "$(dirname "$0")/callgrind_modes.sh"
fixed=$(count fixed)
cfixed=$(count fixed_c)
afixed=$(count alligator_fixed)
buddy=$(count buddy)
abuddy=$(count alligator_buddy)
cfixed=$(count compat_fixed)
cbuddy=$(count compat_buddy)
copy=$(count bytes_copy)
echo "callgrind instructions per roundtrip ($n roundtrips):"
printf '  %-34s %8s %8s\n' roundtrip instr ratio
echo "fixed_64B_arn $fixed $afixed" | awk '{ printf "  %-34s %8s %8.2f\n", $1, $2, $2 / $3 }'
echo "fixed_64B_arn_c_abi $cfixed $afixed" | awk '{ printf "  %-34s %8s %8.2f\n", $1, $2, $2 / $3 }'
echo "fixed_64B_arena_alligator $afixed" | awk '{ printf "  %-34s %8s\n", $1, $2 }'
echo "buddy_256B_64MiB_arn $buddy $abuddy" | awk '{ printf "  %-34s %8s %8.4f\n", $1, $2, $2 / $3 }'
echo "buddy_256B_64MiB_arena_alligator $abuddy" | awk '{ printf "  %-34s %8s\n", $1, $2 }'
echo "fixed_64B_arn_compat $cfixed $fixed" | awk '{ printf "  %-34s %8s %8.2f (/ arn)\n", $1, $2, $2 / $3 }'
echo "buddy_256B_64MiB_arn_compat $cbuddy $buddy" | awk '{ printf "  %-34s %8s %8.2f (/ arn)\n", $1, $2, $2 / $3 }'
echo "Bytes::copy_from_slice_64B $copy" | awk '{ printf "  %-34s %8s\n", $1, $2 }'
rm -rf "$out"
