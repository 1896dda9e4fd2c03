"""Scan archives of millions of files across a Dask cluster with hashguard.

A run has three steps, all restartable:

1. **Plan** (on the client): the input paths are walked once and written as
   manifest shards, ``OUT/manifest/shard-NNNNN.txt`` (``shard_size`` absolute
   paths each, 10^4 by default), with ``OUT/plan.json``. The graph holds one task
   per shard, never one per file.
2. **Scan** (on the workers): :class:`ScannerPlugin` builds one scanner per
   worker from list files on shared storage (a lists config, text lists or
   binary snapshots: each worker maps them itself; the lists are never
   scattered through the scheduler). A shard's task scans its files and writes
   ``OUT/parts/part-NNNNN.jsonl`` (one JSON object per file, the fields of
   ``hashguard scan``'s JSON Lines: ``path`` then the scanner's result) and its
   counts ``part-NNNNN.summary.json``. The part is written under a temporary
   name and renamed when complete, so a part file exists exactly when its
   shard is done; a worker killed mid-shard leaves only a temporary file, and
   the scheduler runs the shard again elsewhere.
3. **Summary**: ``OUT/summary.json`` totals every part.

Running the same command again with the same ``OUT`` resumes: finished shards
are skipped (their results are kept, not repeated), the others are scanned. A
resume finishes the planned files with the same lists: when a list file or an
option changed (by size or modification time), or the inputs differ, the run
is refused (its finished verdicts would be stale); use a new ``OUT``.

From Python::

    from hashguard.dask import scan
    summary = scan(["/archive"], "/results", lists_config="/etc/hashguard/lists.json", local_workers=4)

From the shell::

    python3 -m hashguard.dask scan --lists lists.json --out results/ [--local N | --scheduler tcp://HOST:8786] PATH...

On a real cluster every worker needs the ``hashguard`` package (the same
version) and the same view of the list files, the input paths and ``OUT``.
"""

from __future__ import annotations

import collections
import concurrent.futures
import json
import os
import pathlib
import stat
import sys
import time
import uuid
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence

from distributed import Client, LocalCluster, WorkerPlugin, as_completed, get_worker

PLUGIN_NAME = "hashguard-scanner"
PLAN_VERSION = 1
VERDICTS = ("no_match", "match", "allowed", "error", "below_quality")

__all__ = ["ScannerPlugin", "scan", "plan", "scan_shard", "lists_identity", "PLUGIN_NAME"]


def _restore_malloc_thresholds() -> None:
    """Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which also
    freezes glibc's mmap threshold at 128 KiB: every decode buffer (a 1080p
    frame is 6 MB) is then mmap'ed, faulted in page by page and unmapped again,
    scan after scan (measured: a worker scanned at ~60% of a plain process).
    Restore a threshold at which the scanner's buffers come from the heap and a
    trim that still returns idle memory (glibc's M_TRIM_THRESHOLD -1,
    M_MMAP_THRESHOLD -3). Only where glibc is the allocator."""
    import ctypes
    import ctypes.util
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    mallopt(-3, 64 << 20)   # M_MMAP_THRESHOLD: allocations above 64 MiB only go to mmap
    mallopt(-1, 128 << 20)  # M_TRIM_THRESHOLD: give memory back past 128 MiB of free heap


class ScannerPlugin(WorkerPlugin):
    """Builds one :class:`hashguard.Scanner` per worker, from paths only.

    The plugin is pickled to every worker (also to workers that join or are
    restarted later) carrying the list *paths*; each worker loads them itself
    (snapshots are mapped, so workers on one machine share the pages).

    Args:
        lists_config: a JSON lists config (what ``hashguard scan --lists`` reads).
        lists: PDQ block list files or snapshots, each named by its path (``--list``).
        options: scanner options (``hashguard.Scanner`` keywords).
        digests: compute MD5 and SHA-256 of every file, as ``hashguard scan`` does
            by default (False: only what the lists need, ``--no-digests``).
        all_files: report non-media files too (``--all-files``); by default a file
            whose bytes are no image (or video, with a vPDQ list) is skipped.
    """

    def __init__(self, lists_config: Optional[str] = None, lists: Sequence[str] = (),
                 options: Optional[Dict[str, int]] = None, digests: bool = True, all_files: bool = False) -> None:
        self.lists_config = os.path.abspath(lists_config) if lists_config else None
        self.lists = [os.path.abspath(p) for p in lists]
        self.options = dict(options or {})
        self.digests = digests
        self.all_files = all_files
        self.scanner = None

    def setup(self, worker=None) -> None:
        import hashguard
        _restore_malloc_thresholds()
        lists = hashguard.Lists()
        if self.lists_config:
            lists.add_config(self.lists_config)
        for p in self.lists:
            lists.add_file(p, p)
        options = dict(self.options)
        if self.digests:
            options.setdefault("digests", hashguard.DIGEST_MD5 | hashguard.DIGEST_SHA256)
        self.scanner = hashguard.Scanner(lists, **options)

    def teardown(self, worker=None) -> None:
        self.scanner = None


# ---------------------------------------------------------------- plan


def _walk(paths: Iterable[str]) -> Iterator[str]:
    """Regular files under the paths (directories recursively, symlinked
    directories not followed), as absolute paths, in a stable order; a file
    reached twice (overlapping inputs, a symlink to a file already listed) once."""
    seen = set()

    def once(full: str) -> bool:
        real = os.path.realpath(full)
        if real in seen:
            return False
        seen.add(real)
        return True

    for p in paths:
        p = os.path.abspath(p)
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for f in sorted(files):
                    full = os.path.join(root, f)
                    if os.path.isfile(full) and once(full):
                        yield full
        elif os.path.isfile(p):
            if once(p):
                yield p
        else:
            raise FileNotFoundError(f"{p}: no such file or directory")


def _file_stamp(path: str) -> List[int]:
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns]


def lists_identity(lists_config: Optional[str], lists: Sequence[str], settings: Dict[str, Any]) -> Dict[str, Any]:
    """What the results of a run depend on besides the files: every list file
    (the config, the lists and deltas it names, the --list files) by path,
    size and modification time, and the scanner settings. A resumed run must
    have the same identity, or its finished shards would keep verdicts from
    other lists."""
    files = []
    if lists_config:
        cfg = os.path.abspath(lists_config)
        files.append(cfg)
        base = os.path.dirname(cfg)
        try:
            entries = json.loads(pathlib.Path(cfg).read_text()).get("lists", [])
        except (OSError, ValueError, AttributeError):
            entries = []  # the loader reports what is wrong with it
        for e in entries if isinstance(entries, list) else []:
            for rel in ([e.get("path")] + list(e.get("deltas", []))) if isinstance(e, dict) else []:
                if isinstance(rel, str):
                    files.append(os.path.join(base, rel))
    files += [os.path.abspath(p) for p in lists]
    return {"files": {f: _file_stamp(f) if os.path.exists(f) else None for f in files}, "settings": settings}


def plan(paths: Sequence[str], out_dir: str, shard_size: int = 10_000,
         identity: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Writes (or, when OUT holds one for the same inputs and lists, reuses) the
    run's manifest shards and plan.json; returns the plan. A resume finishes the
    planned set of files: files added under the inputs since need a new OUT."""
    out = pathlib.Path(out_dir)
    inputs = [os.path.abspath(p) for p in paths]
    plan_file = out / "plan.json"
    if plan_file.exists():
        existing = json.loads(plan_file.read_text())
        if existing.get("inputs") != inputs:
            raise ValueError(f"{out_dir} holds a run over other inputs ({existing.get('inputs')}); use another --out")
        if identity is not None and existing.get("identity") != identity:
            raise ValueError(f"{out_dir} holds a run made with other lists or settings (a list file or an option "
                             "changed since); its verdicts would be stale: use another --out")
        return existing
    if shard_size < 1:
        raise ValueError("shard_size must be at least 1")
    manifest = out / "manifest"
    manifest.mkdir(parents=True, exist_ok=True)
    (out / "parts").mkdir(exist_ok=True)
    shards, files, batch = 0, 0, []

    def flush() -> None:
        nonlocal shards, batch
        _write_atomic(manifest / f"shard-{shards:05d}.txt", "".join(p + "\n" for p in batch))
        shards += 1
        batch = []

    for f in _walk(inputs):
        if "\n" in f:  # the manifest's one separator (read back with split("\n"), not splitlines())
            raise ValueError(f"{f!r}: a path with a newline cannot go into a manifest")
        batch.append(f)
        files += 1
        if len(batch) == shard_size:
            flush()
    if batch:
        flush()
    p = {"version": PLAN_VERSION, "inputs": inputs, "files": files, "shards": shards, "shard_size": shard_size,
         "identity": identity}
    _write_atomic(plan_file, json.dumps(p, indent=1) + "\n")  # last: a plan.json means a complete manifest
    return p


def _write_atomic(path: pathlib.Path, text: str) -> None:
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    # surrogateescape: file names that are not UTF-8 (os.walk's surrogates) round-trip
    with open(tmp, "w", encoding="utf-8", errors="surrogateescape", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _part(out_dir: str, index: int) -> pathlib.Path:
    return pathlib.Path(out_dir) / "parts" / f"part-{index:05d}.jsonl"


def _summary_path(part: pathlib.Path) -> pathlib.Path:
    return part.with_name(part.name.replace(".jsonl", ".summary.json"))


# ---------------------------------------------------------------- scan (workers)


def _skippable(result: Dict[str, Any]) -> bool:
    # What `hashguard scan` skips after sniffing the first bytes: bytes of no
    # image format (and no video the lists could match). The scanner says so as
    # unsupported_format without naming a format or a video, or, for an empty
    # file, as decode_failed of 0 bytes. (The C API has no sniffing call of its
    # own; test_dask checks the two agree file for file.)
    err = result.get("error")
    if not isinstance(err, dict) or "format" in result or "video" in result:
        return False
    return err.get("status") == "unsupported_format" or (err.get("status") == "decode_failed" and result.get("size") == 0)


_READ_AHEAD = 4


def _read(path: str, limit: int) -> Optional[bytes]:
    """A regular file's bytes, or None when the scanner should read it itself
    (larger than its limit, not a regular file, unreadable: scan_file reports it)."""
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
                return None
            return f.read()  # sized from fstat (read(limit + 1) would allocate the whole limit first)
    except OSError:
        return None


def scan_shard(index: int, out_dir: str) -> Dict[str, Any]:
    """A shard's task: scans the files of manifest shard ``index`` with this
    worker's scanner and commits ``parts/part-NNNNN.jsonl``; returns its counts.
    Already committed (a rerun or a retried task): returns the stored counts."""
    import hashguard
    part = _part(out_dir, index)
    if part.exists():
        return json.loads(_summary_path(part).read_text())
    plugin = get_worker().plugins[PLUGIN_NAME]
    scanner = plugin.scanner
    manifest = pathlib.Path(out_dir) / "manifest" / f"shard-{index:05d}.txt"
    counts: Dict[str, Any] = {"shard": index, "files": 0, "skipped_non_media": 0, "bytes": 0,
                              **{v: 0 for v in VERDICTS}}
    t0 = time.perf_counter()
    tmp = part.with_name(f"{part.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    with open(manifest, encoding="utf-8", errors="surrogateescape", newline="") as m:  # no newline translation
        paths = m.read().split("\n")[:-1]
    limit = scanner.get("max_input_bytes")
    with open(tmp, "w", encoding="utf-8") as f, concurrent.futures.ThreadPoolExecutor(1) as reader:
        # One reader thread keeps the next files' bytes coming while this one scans
        # (as `hashguard scan`'s reader threads do); reads release the GIL.
        ahead = collections.deque(reader.submit(_read, p, limit) for p in paths[:_READ_AHEAD])
        for i, path in enumerate(paths):
            data = ahead.popleft().result()
            if i + _READ_AHEAD < len(paths):
                ahead.append(reader.submit(_read, paths[i + _READ_AHEAD], limit))
            try:
                # bytes in hand; None (too large, unreadable): the C API reads it and says why
                d = (scanner.scan(data) if data is not None else scanner.scan_file(path)).to_dict()
            except hashguard.HashguardError as e:  # unreadable (gone, a directory now, permissions)
                d = {"verdict": "error", "error": {"status": e.status_name, "message": e.message}}
            except Exception as e:  # anything else is this file's error, never the shard's
                d = {"verdict": "error", "error": {"status": "internal", "message": f"{type(e).__name__}: {e}"}}
            if not plugin.all_files and _skippable(d):
                counts["skipped_non_media"] += 1
                continue
            f.write(json.dumps({"path": path, **d}, separators=(",", ":")) + "\n")
            counts["files"] += 1
            counts["bytes"] += int(d.get("size", 0))
            counts[d.get("verdict", "error")] = counts.get(d.get("verdict", "error"), 0) + 1
        f.flush()
        os.fsync(f.fileno())
    counts["elapsed_s"] = round(time.perf_counter() - t0, 3)
    counts["worker"] = get_worker().address
    _write_atomic(_summary_path(part), json.dumps(counts) + "\n")
    os.replace(tmp, part)  # the commit: the part exists only complete
    return counts


# ---------------------------------------------------------------- driver


def _total(parts: Iterable[Dict[str, Any]]) -> Dict[str, Any]:
    t: Dict[str, Any] = {"files": 0, "skipped_non_media": 0, "bytes": 0, **{v: 0 for v in VERDICTS}}
    for p in parts:
        for k in t:
            t[k] += int(p.get(k, 0))
    return t


def _progress_line(done: int, shards: int, files: int, elapsed: float) -> None:
    rate = files / elapsed if elapsed > 0 else 0.0
    print(f"hashguard.dask: {done}/{shards} shards, {files} files, {rate:.1f} files/s", file=sys.stderr, flush=True)


def scan(paths: Sequence[str], out_dir: str, *, lists_config: Optional[str] = None, lists: Sequence[str] = (),
         client: Optional[Client] = None, scheduler: Optional[str] = None, local_workers: Optional[int] = None,
         threads_per_worker: int = 1, shard_size: int = 10_000, options: Optional[Dict[str, int]] = None,
         digests: bool = True, all_files: bool = False,
         progress: Optional[Callable[[int, int, int, float], None]] = _progress_line,
         on_shard: Optional[Callable[[Dict[str, Any], Client], None]] = None) -> Dict[str, Any]:
    """Scans every file under ``paths`` into ``out_dir`` (see the module's docs);
    returns the summary also written to ``out_dir/summary.json``.

    The cluster: ``client`` if given, else ``scheduler`` (an address such as
    ``tcp://host:8786``), else a LocalCluster of ``local_workers`` processes
    (default: one per core) with ``threads_per_worker`` threads each, closed at
    the end. ``progress(done_shards, shards, files, elapsed_s)`` is called as
    shards finish (None: silent); ``on_shard(counts, client)`` too, with the
    shard's counts. Raises on a list error (on the client, before any task runs)
    or when a shard's task fails.
    """
    if not lists_config and not lists:
        raise ValueError("no lists: give lists_config or lists")
    import hashguard
    check = hashguard.Lists()  # a bad list fails here, with its file:line, not on every worker
    if lists_config:
        check.add_config(lists_config)
    for p in lists:
        check.add_file(p, p)
    del check
    t0 = time.perf_counter()
    out_dir = os.path.abspath(out_dir)
    settings = {"options": dict(sorted((options or {}).items())), "digests": digests, "all_files": all_files,
                "hashguard": hashguard.version()}
    p = plan(paths, out_dir, shard_size, lists_identity(lists_config, lists, settings))
    todo = [i for i in range(p["shards"]) if not _part(out_dir, i).exists()]
    owned: List[Any] = []
    try:
        if client is None:
            if scheduler:
                client = Client(scheduler)
            else:
                cluster = LocalCluster(n_workers=local_workers or os.cpu_count() or 1,
                                       threads_per_worker=threads_per_worker, processes=True,
                                       dashboard_address=None)
                owned.append(cluster)
                client = Client(cluster)
            owned.insert(0, client)
        client.register_worker_plugin(ScannerPlugin(lists_config, lists, options, digests, all_files),
                                      name=PLUGIN_NAME)
        run = uuid.uuid4().hex[:8]
        futures = [client.submit(scan_shard, i, out_dir, key=f"hashguard-shard-{i:05d}-{run}", pure=False)
                   for i in todo]
        results = []
        done_files = 0
        for fut in as_completed(futures):
            counts = fut.result()  # a failed shard raises here
            results.append(counts)
            done_files += counts["files"] + counts["skipped_non_media"]
            if on_shard:
                on_shard(counts, client)
            if progress:
                progress(p["shards"] - len(todo) + len(results), p["shards"], done_files, time.perf_counter() - t0)
    finally:
        for o in owned:
            o.close()
    parts = [json.loads(_summary_path(_part(out_dir, i)).read_text()) for i in range(p["shards"])]
    summary = {**_total(parts), "shards": p["shards"], "shards_resumed": p["shards"] - len(todo),
               "elapsed_s": round(time.perf_counter() - t0, 3), "out": out_dir}
    _write_atomic(pathlib.Path(out_dir) / "summary.json", json.dumps(summary, indent=1) + "\n")
    return summary
