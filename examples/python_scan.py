#!/usr/bin/env python3
"""Scan files or folders against hash lists with the hashguard Python package,
on a thread pool (scans release the GIL), printing one JSON line per file as
`hashguard scan` does.

    PYTHONPATH=build/python /usr/bin/python3 examples/python_scan.py \
        --list data/lists/sample-blocklist.txt data/photos
"""
import argparse
import concurrent.futures
import json
import os
import pathlib
import sys

import hashguard


def files(paths):
    for p in map(pathlib.Path, paths):
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*") if f.is_file())
        else:
            yield p


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--list", action="append", default=[], help="a PDQ block list file (repeatable)")
    ap.add_argument("--lists", help="a JSON lists config (as hashguard scan --lists)")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()

    lists = hashguard.Lists()
    for path in a.list:
        lists.add_file(path, path)
    if a.lists:
        lists.add_config(a.lists)
    scanner = hashguard.Scanner(lists)

    def scan(path):
        try:
            r = scanner.scan_file(path)
        except hashguard.HashguardError as e:  # unreadable: no result
            return {"path": str(path), "verdict": "error", "error": {"status": e.status_name, "message": e.message}}
        return {"path": str(path), **r.to_dict()}

    flagged = 0
    with concurrent.futures.ThreadPoolExecutor(a.threads) as pool:
        for out in pool.map(scan, files(a.paths)):
            flagged += out["verdict"] in ("match", "error")
            print(json.dumps(out))
    return 1 if flagged else 0


if __name__ == "__main__":
    sys.exit(main())
