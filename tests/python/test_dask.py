"""hashguard.dask on a real multi-process LocalCluster (worker processes, so the
plugin and the tasks are really pickled), against `hashguard scan`."""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

distributed = pytest.importorskip("distributed")

import hashguard  # noqa: E402
import hashguard.dask as hgdask  # noqa: E402
from conftest import DATA  # noqa: E402

LIST = str(DATA / "lists" / "sample-blocklist.txt")


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """~60 files in nested folders: the bundled photos twice over, a truncated
    JPEG, an empty file and non-media files (skipped by `hashguard scan`)."""
    root = tmp_path_factory.mktemp("tree")
    photos = sorted(p for p in (DATA / "photos").rglob("*") if p.is_file())
    for i, p in enumerate(photos):
        for copy in range(2):
            d = root / f"batch{(i + copy) % 3}" / ("sub" if copy else "")
            d.mkdir(parents=True, exist_ok=True)
            shutil.copy(p, d / f"{copy}-{p.name}")
    (root / "batch0" / "truncated.jpg").write_bytes((DATA / "photos" / "fruits.jpg").read_bytes()[:3000])
    (root / "batch1" / "empty.jpg").write_bytes(b"")
    (root / "batch2" / "notes.txt").write_text("not media\n")
    return root


def cli_results(cli, tree):
    out = subprocess.run([cli, "scan", "-q", "--threads", "2", "--list", LIST, str(tree)],
                         capture_output=True, text=True).stdout
    return {json.loads(line)["path"]: json.loads(line) for line in out.splitlines()}


def dask_results(out_dir):
    seen = {}
    for part in sorted(glob.glob(os.path.join(out_dir, "parts", "part-*.jsonl"))):
        for line in open(part):
            d = json.loads(line)
            assert d["path"] not in seen, f"{d['path']} scanned twice"
            seen[d["path"]] = d
    return seen


def same_verdicts(mine, theirs):
    assert set(mine) == set(theirs)
    for p, c in theirs.items():
        d = mine[p]
        assert (d["verdict"], d.get("pdq"), d.get("quality"), [m["id"] for m in d.get("matches", [])], d.get("error")) == \
            (c["verdict"], c.get("pdq"), c.get("quality"), [m["id"] for m in c.get("matches", [])], c.get("error")), p
        assert set(d) == set(c), p  # the same fields as hashguard scan's lines


def test_a_local_cluster_gives_exactly_the_verdicts_of_hashguard_scan(cli, tree, tmp_path):
    theirs = cli_results(cli, tree)
    assert {d["verdict"] for d in theirs.values()} >= {"match", "no_match", "error", "below_quality"}
    summary = hgdask.scan([str(tree)], str(tmp_path / "out"), lists=[LIST], local_workers=2, shard_size=8, progress=None)
    mine = dask_results(tmp_path / "out")
    same_verdicts(mine, theirs)
    total = sum(1 for p in tree.rglob("*") if p.is_file())
    assert summary["files"] == len(theirs) and summary["skipped_non_media"] == total - len(theirs) >= 2  # notes.txt, empty.jpg, CSVs
    assert summary["match"] == sum(d["verdict"] == "match" for d in theirs.values())
    assert summary["shards"] == len(glob.glob(str(tmp_path / "out" / "manifest" / "shard-*.txt"))) > 5
    assert json.loads((tmp_path / "out" / "summary.json").read_text()) == summary
    workers = {json.loads(open(s).read())["worker"] for s in glob.glob(str(tmp_path / "out" / "parts" / "*.summary.json"))}
    assert len(workers) == 2  # both worker processes scanned shards


def test_a_worker_killed_mid_run_loses_and_repeats_nothing(cli, tree, tmp_path):
    theirs = cli_results(cli, tree)
    killed = []
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        def kill_a_busy_worker(counts, client):
            if killed:
                return
            busy = [w for w, tasks in client.processing().items() if tasks]
            if busy:
                pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                os.kill(pid, signal.SIGKILL)  # mid-shard: its nanny starts a new worker, the shard runs again
                killed.append(busy[0])
        summary = hgdask.scan([str(tree)], str(tmp_path / "out"), lists=[LIST], client=client, shard_size=3,
                              progress=None, on_shard=kill_a_busy_worker)
    assert killed, "no worker was busy when the first shard finished"
    mine = dask_results(tmp_path / "out")  # asserts nothing twice
    same_verdicts(mine, theirs)  # and nothing lost
    assert summary["files"] == len(theirs)


class Interrupt(Exception):
    pass


def test_a_resumed_run_skips_finished_shards_and_completes_the_rest(cli, tree, tmp_path):
    theirs = cli_results(cli, tree)
    out = tmp_path / "out"

    def stop_after_three(counts, client, seen=[]):
        seen.append(counts["shard"])
        if len(seen) == 3:
            raise Interrupt()
    with pytest.raises(Interrupt):
        hgdask.scan([str(tree)], str(out), lists=[LIST], local_workers=2, shard_size=4, progress=None,
                    on_shard=stop_after_three)
    finished = {p: (os.stat(p).st_ino, os.stat(p).st_mtime_ns) for p in glob.glob(str(out / "parts" / "part-*.jsonl"))}
    plan = json.loads((out / "plan.json").read_text())
    assert 3 <= len(finished) < plan["shards"]
    summary = hgdask.scan([str(tree)], str(out), lists=[LIST], local_workers=2, shard_size=4, progress=None)
    assert summary["shards_resumed"] == len(finished)
    for p, stamp in finished.items():  # finished shards were not scanned again
        assert (os.stat(p).st_ino, os.stat(p).st_mtime_ns) == stamp
    same_verdicts(dask_results(out), theirs)
    # A different set of inputs in the same OUT is refused.
    with pytest.raises(ValueError):
        hgdask.scan([str(tree / "batch0")], str(out), lists=[LIST], local_workers=1, progress=None)


def test_the_command_line_on_a_running_scheduler(cli, tree, tmp_path):
    # --scheduler: a cluster started elsewhere (here a LocalCluster of 2 worker processes in this test).
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        run = subprocess.run([sys.executable, "-m", "hashguard.dask", "scan", "-q", "--list", LIST, "--out",
                              str(tmp_path / "out"), "--scheduler", cluster.scheduler_address, "--shard-size", "16",
                              str(tree)], capture_output=True, text=True, env=dict(os.environ))
        assert run.returncode == 4, run.stderr
        assert len(cluster.scheduler.workers) == 2  # the cluster outlives the run: the client closed only itself
    same_verdicts(dask_results(tmp_path / "out"), cli_results(cli, tree))


def test_the_command_line(tree, tmp_path):
    env = dict(os.environ)
    config = tmp_path / "lists.json"
    config.write_text(json.dumps({"lists": [{"name": "demo", "path": LIST}]}))
    run = subprocess.run([sys.executable, "-m", "hashguard.dask", "scan", "--lists", str(config), "--out",
                          str(tmp_path / "out"), "--local", "2", "--shard-size", "20", str(tree)],
                         capture_output=True, text=True, env=env)
    assert run.returncode == 4, run.stderr  # matches and an error (the truncated JPEG)
    assert "shards" in run.stderr and "results in" in run.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["match"] > 0 and summary["error"] == 1
    bad = tmp_path / "bad.txt"
    bad.write_text("zz\n")
    run = subprocess.run([sys.executable, "-m", "hashguard.dask", "scan", "--list", str(bad), "--out",
                          str(tmp_path / "out2"), str(tree)], capture_output=True, text=True, env=env)
    assert run.returncode == 2 and f"{bad}:1" in run.stderr
    assert not (tmp_path / "out2").exists()  # nothing planned for a run whose lists do not load


def test_awkward_file_names_and_overlapping_inputs(cli, tmp_path):
    root = tmp_path / "odd"
    root.mkdir()
    jpg = (DATA / "photos" / "fruits.jpg").read_bytes()
    names = [b"cr\rin-name.jpg", b"not-utf8-\xff\xfe.jpg", "unicode-\u2028-sep.jpg".encode(), b"plain.jpg"]
    for n in names:
        with open(os.path.join(os.fsencode(root), n), "wb") as f:
            f.write(jpg)
    os.symlink(root / "plain.jpg", root / "link-to-plain.jpg")
    out = tmp_path / "out"
    summary = hgdask.scan([str(root), str(root / "plain.jpg")], str(out), lists=[LIST], local_workers=1, progress=None)
    # each file once (the symlink and the repeated input resolve to plain.jpg), each a match, no phantom paths
    assert summary["files"] == 4 and summary["match"] == 4 and summary["error"] == 0
    got = dask_results(out)
    assert sorted(os.path.realpath(os.fsencode(p)) for p in got) == \
        sorted(os.path.realpath(os.path.join(os.fsencode(root), n)) for n in names)


def test_a_resume_with_changed_lists_is_refused(tmp_path, tree):
    lst = tmp_path / "list.txt"
    lst.write_text((DATA / "lists" / "sample-blocklist.txt").read_text())
    out = tmp_path / "out"
    hgdask.scan([str(tree / "batch0")], str(out), lists=[str(lst)], local_workers=1, progress=None)
    again = hgdask.scan([str(tree / "batch0")], str(out), lists=[str(lst)], local_workers=1, progress=None)
    assert again["shards_resumed"] == again["shards"]  # same lists: everything kept
    with open(lst, "a") as f:
        f.write("0000000000000000000000000000000000000000000000000000000000000000\n")  # the list grew
    with pytest.raises(ValueError, match="other lists"):
        hgdask.scan([str(tree / "batch0")], str(out), lists=[str(lst)], local_workers=1, progress=None)
    with pytest.raises(ValueError, match="other lists"):
        hgdask.scan([str(tree / "batch0")], str(out), lists=[str(lst)], local_workers=1, progress=None, digests=False)
