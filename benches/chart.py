#!/usr/bin/env python3
"""Draws the README's performance chart from criterion's results.

    python3 benches/chart.py target/criterion > benches/chart.svg

(`make chart` does this after `make bench`.) Each row is one family against
its peer, measured in the same run: the bar is arn's median time divided by
the peer's, on a logarithmic scale, so 0.5 is twice as fast and 2 twice as
slow. Python 3's standard library only.
"""

import json
import math
import os
import sys
from xml.sax.saxutils import escape

# (label, criterion group, arn's id, the peer's id, the peer's name)
ROWS = [
    ("Arena, Rust (Arena::alloc, 64 B)", "alloc_64B", "arena_alloc_rust", "bumpalo", "bumpalo"),
    ("Arena, C (arnal, 64 B)", "alloc_64B", "arnal_c_abi", "malloc_free", "malloc+free"),
    ("Block (blckl+blckf, 99% full)", "block_1M", "fill_99pct", "malloc_free", "malloc+free"),
    ("Object pool (polgt+polrt)", "pool_64B", "polgt_polrt_c_abi", "malloc_free", "malloc+free"),
    ("Region (regnl, 64 B)", "region_64B", "regnl_c_abi", "malloc_free", "malloc+free"),
    ("Fixed byte arena (64 B roundtrip)", "fixed_64B", "arn", "arena_alligator", "arena-alligator 0.7"),
    ("Fixed, 2 threads (64 B)", "fixed_64B", "arn_2threads", "arena_alligator_2threads",
     "arena-alligator 0.7"),
    ("Buddy byte arena (256 B roundtrip)", "buddy_256B", "arn", "arena_alligator", "arena-alligator 0.7"),
    ("Buddy byte arena (4 KiB roundtrip)", "buddy_4096B", "arn", "arena_alligator", "arena-alligator 0.7"),
    ("Chunk slice (16 x u64, clone, drop)", "slice_16xu64", "arn", "arena_arc", "arena-arc 0.1"),
    ("Growing arena (alloc+free, 16 B-1 KiB)", "grow_mixed", "grow_rust", "malloc_free", "malloc+free"),
    ("Map (1 M u64 put+get)", "map_put_get_1M", "arn_arena_map", "std_hashmap_sip", "std HashMap"),
]

LOW, HIGH = 0.005, 4.0  # the ratio axis
TICKS = [0.01, 0.1, 0.25, 0.5, 1, 2, 4]
LABEL_W, BAR_W, NOTE_W = 290, 360, 330
ROW_H, TOP, BOTTOM = 26, 56, 40


def median_ns(root, group, bench):
    path = os.path.join(root, group, bench, "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"]
    except (OSError, KeyError, ValueError):
        return None


def duration(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def x_of(ratio):
    r = min(max(ratio, LOW), HIGH)
    span = math.log(HIGH) - math.log(LOW)
    return LABEL_W + BAR_W * (math.log(r) - math.log(LOW)) / span


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "target/criterion"
    rows = []
    for label, group, ours, theirs, peer in ROWS:
        a, b = median_ns(root, group, ours), median_ns(root, group, theirs)
        if a is None or b is None:
            print(f"chart: no result for {group}/{ours} or {group}/{theirs}; row left out",
                  file=sys.stderr)
            continue
        rows.append((label, peer, a, b))
    if not rows:
        sys.exit("chart: no criterion results under " + root + " (run `make bench` first)")

    width = LABEL_W + BAR_W + NOTE_W
    height = TOP + ROW_H * len(rows) + BOTTOM
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="10" y="20" font-size="14" font-weight="bold">'
        "arn against its peers: median time, arn / peer (log scale, shorter is faster)</text>",
        '<text x="10" y="38" fill="#555">criterion medians from one `make bench` run; '
        "each ratio compares two benchmarks of the same run</text>",
    ]
    bottom = TOP + ROW_H * len(rows)
    for t in TICKS:
        x = x_of(t)
        stroke = "#333" if t == 1 else "#ddd"
        out.append(f'<line x1="{x:.1f}" y1="{TOP - 4}" x2="{x:.1f}" y2="{bottom}" stroke="{stroke}"/>')
        out.append(f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle" fill="#555">{t:g}</text>')
    out.append(f'<text x="{x_of(1):.1f}" y="{bottom + 32}" text-anchor="middle" fill="#555">'
               "peer = 1</text>")
    for i, (label, peer, a, b) in enumerate(rows):
        y = TOP + ROW_H * i
        ratio = a / b
        x0, x1 = x_of(LOW), x_of(ratio)
        color = "#2a7ab8" if ratio <= 1 else "#d2691e"
        out.append(f'<text x="{LABEL_W - 8}" y="{y + 17}" text-anchor="end">{escape(label)}</text>')
        out.append(f'<rect x="{x0:.1f}" y="{y + 5}" width="{x1 - x0:.1f}" height="{ROW_H - 10}" '
                   f'fill="{color}"/>')
        shown = f"{ratio:.2f}" if ratio >= 0.1 else f"{ratio:.3f}"
        note = f"{shown}x {escape(peer)} ({duration(a)} vs {duration(b)})"
        out.append(f'<text x="{LABEL_W + BAR_W + 8}" y="{y + 17}">{note}</text>')
    out.append("</svg>")
    print("\n".join(out))


if __name__ == "__main__":
    main()
