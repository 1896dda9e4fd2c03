#!/usr/bin/env python3
"""The Python binding's cost per attachment, side by side with the C API in one
process (issue 15's goal: a Python loop calling Scanner.scan on in-memory bytes
within 5% of the C API per attachment).

Per image, --rounds rounds run three loops of N scans on the same scanner, in a
shuffled order per round (cache off, a list of 10^5 random PDQ hashes plus the
image's own):
  c       hg_scan + hg_result_free in a C++ loop inside the extension (no Python)
  raw     the extension's Scanner.scan from a Python loop (handle only)
  python  hashguard.Scanner.scan from a Python loop (the ScanResult dataclass,
          built from the result's JSON)
and print the medians of the per-round ratios to the C loop.

    PYTHONPATH=build/python /usr/bin/python3 bench/python_scan.py [--n 40] [IMAGE...]
"""
import argparse
import pathlib
import random
import statistics
import time

import numpy as np

import hashguard

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=40, help="scans per loop (default 40)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("images", nargs="*", type=pathlib.Path)
    a = ap.parse_args()
    images = a.images or [ROOT / "data/photos/fruits.jpg", ROOT / "data/photos/building.jpg",
                          ROOT / "data/photos/formats/baboon-lossless.webp"]
    print(f"hashguard {hashguard.version()}, kernel {hashguard.kernel()}; {a.rounds} rounds of {a.n} scans per loop")
    print(f"{'image':34} {'C ms/scan':>10} {'raw':>8} {'python':>8}   (time per attachment vs the C loop)")
    rng = np.random.default_rng(1)
    for path in images:
        blob = path.read_bytes()
        hashes = rng.integers(0, 256, size=(100_000, 32), dtype=np.uint8)
        hashes[0] = np.frombuffer(hashguard.hash_bytes(blob).bytes, dtype=np.uint8)
        scanner = hashguard.Scanner(hashguard.Lists().add_hashes("bench", hashes), cache_entries=0)
        raw = scanner._c
        raw._c_scan_loop(blob, 3)  # warm up
        ratios = {"raw": [], "python": []}
        c_times = []

        def python_loop(scan):
            t0 = time.perf_counter()
            for _ in range(a.n):
                scan(blob)
            return time.perf_counter() - t0

        loops = {"c": lambda: raw._c_scan_loop(blob, a.n), "raw": lambda: python_loop(raw.scan),
                 "python": lambda: python_loop(scanner.scan)}
        order = random.Random(7)
        for _ in range(a.rounds):
            names = list(loops)
            order.shuffle(names)  # no loop always runs first or last in a round
            t = {name: loops[name]() for name in names}
            c_times.append(t["c"])
            ratios["raw"].append(t["raw"] / t["c"])
            ratios["python"].append(t["python"] / t["c"])
        print(f"{path.name:34} {1e3 * statistics.median(c_times) / a.n:10.2f} "
              f"{statistics.median(ratios['raw']):7.3f}x {statistics.median(ratios['python']):7.3f}x")


if __name__ == "__main__":
    main()
