#!/usr/bin/env python3
"""Sums `twiggy top -f csv` (stdin) by crate: the first `name::` path segment of
each item's demangled name (for `<T as Trait>::f` the type's crate). Items with
no such name (data segments, the function table, unnamed code) are "(other)".
The function names and wasm-bindgen's own section are left out: neither is
served (wasm-bindgen and wasm-opt remove them). Used by scripts/sizes.sh."""
import csv
import re
import sys
from collections import Counter

SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)::")

sizes = Counter()
total = 0
for row in csv.DictReader(sys.stdin):
    if row["Name"].startswith(('"function names"', "custom section")):
        continue
    size = int(row["ShallowSize"])
    total += size
    found = SEGMENT.search(row["Name"])
    crate = found.group(1) if found else "(other)"
    sizes[crate] += size

print(f"{'crate':<28} {'bytes':>10} {'share':>7}")
for crate, size in sizes.most_common(25):
    print(f"{crate:<28} {size:>10} {100 * size / max(total, 1):>6.1f}%")
print(f"{'total':<28} {total:>10}")
