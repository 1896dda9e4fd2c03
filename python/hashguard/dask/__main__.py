"""python3 -m hashguard.dask scan --lists CONFIG --out DIR [--local N | --scheduler ADDR] PATH..."""
import argparse
import sys

from . import scan


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m hashguard.dask",
                                 description="Scan archives across a Dask cluster (a LocalCluster by default).")
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("scan", help="scan files and folders into OUT (JSON Lines per shard, summary.json); "
                                    "rerun with the same OUT to resume",
                       epilog="Exit status: 0 clean, 1 some files failed, 3 something matched, 4 matched and "
                              "failures, 2 usage or list error.")
    s.add_argument("--lists", metavar="CONFIG", help="JSON lists config (as hashguard scan --lists)")
    s.add_argument("--list", metavar="FILE", action="append", default=[], help="a PDQ block list or snapshot; repeatable")
    s.add_argument("--out", required=True, metavar="DIR", help="results, manifest and summary (resumable)")
    where = s.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDR", help="a running Dask scheduler, e.g. tcp://host:8786")
    where.add_argument("--local", metavar="N", type=int, help="a LocalCluster of N worker processes (default: one per core)")
    s.add_argument("--threads-per-worker", type=int, default=1, metavar="N")
    s.add_argument("--shard-size", type=int, default=10_000, metavar="N", help="files per task (default 10000)")
    s.add_argument("--no-digests", action="store_true", help="skip MD5/SHA-256 unless a list needs them")
    s.add_argument("--cache", type=int, metavar="N", help="seen-bytes cache entries per worker (default 4096; 0 disables)")
    s.add_argument("--max-decode-ms", type=int, metavar="N", help="decode time per file (default 10000)")
    s.add_argument("--all-files", action="store_true", help="report non-media files too")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    s.add_argument("paths", nargs="+", metavar="PATH")
    a = ap.parse_args(argv)
    if not a.lists and not a.list:
        ap.error("give --lists CONFIG or --list FILE")
    import hashguard
    options = {k: v for k, v in (("cache_entries", a.cache), ("max_decode_ms", a.max_decode_ms)) if v is not None}
    try:
        summary = scan(a.paths, a.out, lists_config=a.lists, lists=a.list, scheduler=a.scheduler,
                       local_workers=a.local, threads_per_worker=a.threads_per_worker, shard_size=a.shard_size, options=options,
                       digests=not a.no_digests, all_files=a.all_files, progress=None if a.quiet else _line)
    except (hashguard.HashguardError, ValueError, FileNotFoundError) as e:
        print(f"hashguard.dask: {e}", file=sys.stderr)
        return 2
    print(f"hashguard.dask: {summary['files']} files ({summary['skipped_non_media']} non-media skipped) in "
          f"{summary['elapsed_s']:.1f} s: {summary['match']} match, {summary['allowed']} allowed, "
          f"{summary['error']} error, {summary['below_quality']} below quality, {summary['no_match']} no match; "
          f"{summary['shards_resumed']}/{summary['shards']} shards resumed; results in {summary['out']}",
          file=sys.stderr)
    matched, failed = summary["match"] > 0, summary["error"] > 0
    return 4 if matched and failed else 3 if matched else 1 if failed else 0


def _line(done, shards, files, elapsed):
    from . import _progress_line
    _progress_line(done, shards, files, elapsed)


if __name__ == "__main__":
    sys.exit(main())
