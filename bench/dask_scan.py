#!/usr/bin/env python3
"""hashguard.dask against `hashguard scan` on the same files, as users run them
(issue 15's goals: 2 local workers >= 0.85x the throughput of `hashguard scan
--threads 2`, 1 worker >= 0.9x of `--threads 1`).

The corpus: the bundled photos (JPEG and PNG, 300-900 px) copied --copies times
into a temporary folder; the seen-bytes cache is off on both sides (--cache 0),
so every copy is decoded and hashed. Per worker count, --rounds rounds alternate
the two commands (wall time of the whole command: for Dask that includes
starting the LocalCluster, planning the manifest and writing the results), and
the medians of the per-round throughput ratios are printed. A run over a single
file gives Dask's fixed cost (cluster start, plan, summary).

    PYTHONPATH=build/python /usr/bin/python3 bench/dask_scan.py [--copies 60] [--rounds 3]
"""
import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def timed(cmd, env):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=False, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--copies", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cli", default=str(ROOT / "build" / "hashguard"))
    a = ap.parse_args()
    lst = str(ROOT / "data" / "lists" / "sample-blocklist.txt")
    photos = sorted(p for p in (ROOT / "data" / "photos").iterdir() if p.suffix in (".jpg", ".png"))
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = pathlib.Path(tmp) / "corpus"
        for c in range(a.copies):
            d = corpus / f"c{c:03d}"
            d.mkdir(parents=True)
            for p in photos:
                shutil.copy(p, d / p.name)
        files = a.copies * len(photos)
        one = pathlib.Path(tmp) / "one"
        one.mkdir()
        shutil.copy(photos[0], one / photos[0].name)
        print(f"corpus: {files} files ({len(photos)} bundled photos x {a.copies}), cache off; {a.rounds} rounds")
        print(f"{'workers':>7} {'hashguard scan files/s':>23} {'hashguard.dask files/s':>23} {'ratio':>7} {'(min-max)':>11}"
              f" {'dask fixed s':>13}")
        for w in (2, 1):
            cli = [a.cli, "scan", "-q", "--cache", "0", "--threads", str(w), "--list", lst, "-o", os.devnull, str(corpus)]
            ratios, rc, rd, fixed = [], [], [], []
            for r in range(a.rounds):
                out = pathlib.Path(tmp) / f"out-{w}-{r}"
                dask = [sys.executable, "-m", "hashguard.dask", "scan", "-q", "--cache", "0", "--local", str(w),
                        "--shard-size", "500", "--list", lst, "--out", str(out), str(corpus)]
                tc = timed(cli, env)
                td = timed(dask, env)
                shutil.rmtree(out, ignore_errors=True)
                ratios.append(tc / td)
                rc.append(files / tc)
                rd.append(files / td)
                fixed.append(timed([sys.executable, "-m", "hashguard.dask", "scan", "-q", "--local", str(w),
                                    "--list", lst, "--out", str(pathlib.Path(tmp) / f"one-{w}-{r}"), str(one)], env))
            ratios.sort()
            print(f"{w:>7} {statistics.median(rc):23.1f} {statistics.median(rd):23.1f} {statistics.median(ratios):6.2f}x"
                  f" {ratios[0]:5.2f}-{ratios[-1]:.2f} {statistics.median(fixed):13.2f}")


if __name__ == "__main__":
    main()
