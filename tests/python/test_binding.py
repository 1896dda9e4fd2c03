"""The Python binding against the C API, the reference vectors and its own contract."""
import csv
import json
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import hashguard
from conftest import DATA, SHARED


def test_hashes_equal_the_c_api_on_the_bundled_photos(cli, photos):
    # `hashguard scan` is a client of the same C API: one JSON line per file.
    out = subprocess.run([cli, "scan", "-q", "--threads", "1", "--no-digests", *map(str, photos)],
                         check=True, capture_output=True, text=True).stdout
    by_path = {json.loads(line)["path"]: json.loads(line) for line in out.splitlines()}
    assert len(by_path) == len(photos)
    for p in photos:
        h = hashguard.hash_file(p)
        c = by_path[str(p)]
        assert (h.pdq, h.quality, h.width, h.height, h.format) == (c["pdq"], c["quality"], c["width"], c["height"], c["format"]), p
        assert hashguard.hash_bytes(p.read_bytes()) == h  # from memory: the same


def test_dihedral_hashes_equal_the_reference_csv():
    rows = list(csv.reader(open(DATA / "photos" / "reference-dihedral-across.csv")))
    checked = 0
    for row in rows:
        name = row[-1]
        if "#" in name:  # an animation's later frame
            continue
        h = hashguard.hash_file(DATA / "photos" / name) if (DATA / "photos" / name).exists() else \
            hashguard.hash_file(DATA / "photos" / "formats" / name)
        assert h.dihedral == row[:8], name
        assert h.quality == int(row[8]), name
        checked += 1
    assert checked >= 20


@pytest.mark.shared
def test_reference_vectors_of_shared_pdq_reference():
    ref = SHARED / "pdq-reference" / "reference-hashes.csv"
    if not ref.exists():
        pytest.skip("../shared/pdq-reference is absent: no reference vectors to compare with")
    checked = 0
    for row in csv.reader(open(ref)):
        if not row or row[0].startswith("#") or len(row) < 3:
            continue
        hexhash, quality, name = row[0], row[1], row[-1]
        matches = list((SHARED / "pdq-reference").rglob(os.path.basename(name)))
        if len(hexhash) != 64 or not matches:
            continue
        h = hashguard.hash_file(matches[0])
        assert (h.pdq, h.quality) == (hexhash, int(quality)), name
        checked += 1
    assert checked >= 5


def test_scan_matches_a_numpy_list_and_reports_like_the_json():
    fruits = hashguard.hash_file(DATA / "photos" / "fruits.jpg")
    rng = np.random.default_rng(7)
    arr = rng.integers(0, 256, size=(1000, 32), dtype=np.uint8)
    near = bytearray(fruits.bytes)
    near[3] ^= 0x81  # 2 bits away
    arr[417] = np.frombuffer(bytes(near), dtype=np.uint8)
    lists = hashguard.Lists().add_hashes("planted", arr)
    assert lists.entries("planted") == 1000 and lists.names == ["planted"] and "planted" in lists
    scanner = hashguard.Scanner(lists)
    r = scanner.scan((DATA / "photos" / "fruits.jpg").read_bytes())
    assert r.verdict == "match" and r.matched and r.status == "ok" and r.error is None
    assert [(m.list, m.id, m.distance, m.transform, m.kind, m.role) for m in r.matches] == \
        [("planted", "418", 2, "original", "pdq", "block")]
    assert r.pdq == fruits.pdq and r.to_dict()["pdq"] == fruits.pdq and r.to_dict()["verdict"] == "match"
    assert scanner.scan(bytearray((DATA / "photos" / "baboon.jpg").read_bytes())).verdict == "no_match"
    assert scanner.scan(memoryview((DATA / "photos" / "fruits.jpg").read_bytes())).verdict == "match"
    # A hash the caller already has, and hex strings as a list.
    assert scanner.scan_hash(fruits.pdq, quality=100).verdict == "match"
    hexes = hashguard.Lists().add_hashes("hex", [bytes(near).hex()])
    assert hashguard.Scanner(hexes).scan_file(DATA / "photos" / "fruits.jpg").matches[0].id == "1"


def test_text_lists_snapshots_configs_and_allow_lists(cli, tmp_path):
    sample = DATA / "lists" / "sample-blocklist.txt"
    snap = tmp_path / "sample.hgl"
    subprocess.run([cli, "list", "build", str(sample), "-o", str(snap)], check=True, capture_output=True)
    fruits = (DATA / "photos" / "fruits.jpg").read_bytes()
    text = hashguard.Scanner(hashguard.Lists().add_file("t", sample)).scan(fruits)
    mapped = hashguard.Scanner(hashguard.Lists().add_file("t", snap)).scan(fruits)
    assert text.verdict == mapped.verdict == "match"
    assert [(m.id, m.distance, m.metadata) for m in text.matches] == [(m.id, m.distance, m.metadata) for m in mapped.matches]
    config = tmp_path / "lists.json"
    config.write_text(json.dumps({"lists": [{"name": "demo", "path": str(sample), "threshold": 8}]}))
    strict = hashguard.Scanner(hashguard.Lists().add_config(config)).scan(fruits)
    assert strict.verdict == "no_match"  # the match is at distance 12 > 8
    # An allow list covering the image overrides the block match.
    lists = hashguard.Lists().add_file("block", sample)
    lists.add_text("allow", hashguard.hash_bytes(fruits).pdq + "\n").configure("allow", role="allow")
    assert hashguard.Scanner(lists).scan(fruits).verdict == "allowed"


def test_errors_are_exceptions_with_the_status_and_message(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("5181e3bd6102cb1487b764289fcb0c317ce3da63c0d76fa636cfb666c93c09a3\nnot-a-hash\n")
    with pytest.raises(hashguard.HashguardError) as e:
        hashguard.Lists().add_file("bad", bad)
    assert e.value.status_name == "list_format" and e.value.status == 12
    assert f"{bad}:2" in e.value.message
    with pytest.raises(hashguard.HashguardError) as e:
        hashguard.Lists().add_file("x", tmp_path / "missing.txt")
    assert e.value.status_name == "io_error"
    with pytest.raises(hashguard.HashguardError) as e:
        hashguard.hash_bytes(b"not an image at all")
    assert e.value.status_name == "unsupported_format"
    with pytest.raises(hashguard.HashguardError) as e:
        hashguard.Scanner(no_such_option=1)
    assert e.value.status_name == "invalid_argument"
    with pytest.raises(hashguard.HashguardError):
        hashguard.Lists().add_hashes("wrong", np.zeros((4, 31), dtype=np.uint8))
    with pytest.raises(hashguard.HashguardError) as e:
        hashguard.Lists().add_file("x", DATA / "lists" / "sample-blocklist.txt").add_file("x", DATA / "lists" / "sample-blocklist.txt")
    assert e.value.status_name == "invalid_argument"
    # A bad attachment is a result, not an exception: the scanner never fails open.
    s = hashguard.Scanner(hashguard.Lists().add_file("t", DATA / "lists" / "sample-blocklist.txt"), max_pixels=1000)
    r = s.scan((DATA / "photos" / "fruits.jpg").read_bytes())
    assert (r.verdict, r.status) == ("error", "limit_pixels") and "max_pixels" in r.error
    truncated = (DATA / "photos" / "fruits.jpg").read_bytes()[:5000]
    assert s.scan(truncated).verdict == "error"
    with pytest.raises(hashguard.HashguardError) as e:
        s.scan_file(tmp_path / "missing.jpg")
    assert e.value.status_name == "io_error"


def test_one_scanner_from_many_threads_gives_the_single_threaded_answers(photos):
    scanner = hashguard.Scanner(hashguard.Lists().add_file("t", DATA / "lists" / "sample-blocklist.txt"), cache_entries=0)
    blobs = [p.read_bytes() for p in photos]
    expected = [scanner.scan(b) for b in blobs]
    got = [None] * (4 * len(blobs))

    def work(k):
        for i in range(k, len(got), 4):
            got[i] = scanner.scan(blobs[i % len(blobs)])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, r in enumerate(got):
        e = expected[i % len(blobs)]
        assert (r.verdict, r.pdq, r.quality, [m.id for m in r.matches]) == (e.verdict, e.pdq, e.quality, [m.id for m in e.matches])


def test_scans_release_the_gil():
    """Another Python thread runs while scans are in C++: with the switch
    interval made huge, the main thread gives the GIL up only where the binding
    releases it, so the spinning thread's count moves during the scans only if
    scan() released the GIL (deterministic: no timing threshold)."""
    blob = (DATA / "photos" / "building.jpg").read_bytes()
    scanner = hashguard.Scanner(cache_entries=0)
    count = 0
    done = False

    def spin():
        nonlocal count
        while not done:
            count += 1
            time.sleep(0)  # gives the GIL back at once: the main thread never waits on it

    old = sys.getswitchinterval()
    sys.setswitchinterval(1000)
    spinner = threading.Thread(target=spin)
    try:
        spinner.start()
        before = count
        for _ in range(20):
            scanner.scan(blob)
        after = count
    finally:
        done = True
        spinner.join()
        sys.setswitchinterval(old)
    assert after > before, "no other thread ran during 20 scans: the GIL was held"


def test_module_metadata():
    assert hashguard.version().count(".") == 2
    assert hashguard.kernel() in ("scalar", "avx2", "avx512", "avx512vbmi", "neon")
    assert hashguard.Kind.PDQ == 0 and hashguard.Kind["VPDQ"] == 4
    assert "Scanner" in hashguard.__all__ and hashguard.Scanner.scan.__doc__


def test_the_python_example_scans_a_folder_like_the_cli(cli, tmp_path):
    import sys
    folder = DATA / "photos" / "formats"
    out = subprocess.run([sys.executable, str(DATA.parent / "examples" / "python_scan.py"), "--threads", "2",
                          "--list", str(DATA / "lists" / "sample-blocklist.txt"), str(folder)],
                         capture_output=True, text=True, env=dict(os.environ)).stdout
    mine = {json.loads(line)["path"]: json.loads(line)["verdict"] for line in out.splitlines()}
    ref = subprocess.run([cli, "scan", "-q", "--all-files", "--list", str(DATA / "lists" / "sample-blocklist.txt"), str(folder)],
                         capture_output=True, text=True).stdout
    theirs = {json.loads(line)["path"]: json.loads(line)["verdict"] for line in ref.splitlines()}
    assert mine == theirs and "match" in mine.values()


def test_vpdq_of_a_video_equals_the_cli(cli):
    clip = DATA.parent / "tests" / "fuzz" / "seeds" / "video" / "h264-aac.mp4"
    ref = subprocess.run([cli, "vpdq", str(clip)], check=True, capture_output=True, text=True).stdout
    v = hashguard.hash_video(clip.read_bytes())
    assert v.text() == ref and len(v.frames) == 10 and v.decoded_frames == 10 and v.codec == "h264"
    assert (v.width, v.height) == (96, 64) and v.fps == 10
    assert [f.line() for f in hashguard.hash_video_file(clip, seconds_per_hash=0.5).frames] == \
        ref.splitlines()[::5]  # (int)(0.5 * 10) = every 5th frame
    # The lines are a vPDQ list of one video that the same scanner matches.
    lists = hashguard.Lists().add_text("self", v.text(), kind="vpdq")
    r = hashguard.Scanner(lists).scan(clip.read_bytes())
    assert r.verdict == "match" and r.matches[0].kind == "vpdq" and r.matches[0].query_pct == 100.0
    assert r.video["codec"] == "h264" and r.vpdq is None  # frames only with video_keep_hashes
    with pytest.raises(hashguard.HashguardError) as e:
        hashguard.hash_video((DATA / "photos" / "fruits.jpg").read_bytes())
    assert e.value.status_name == "unsupported_format"
    with pytest.raises(hashguard.HashguardError) as e:
        hashguard.hash_video(clip.read_bytes()[:2000])
    assert e.value.status_name != "ok"
    with pytest.raises(hashguard.HashguardError) as e:
        hashguard.hash_video(clip.read_bytes(), video_max_frames=3)
    assert e.value.status_name == "limit_frames"


def test_strided_buffers_are_refused_not_misread():
    jpg = (DATA / "photos" / "fruits.jpg").read_bytes()
    scanner = hashguard.Scanner()
    with pytest.raises(BufferError):
        scanner.scan(memoryview(jpg[::-1])[::-1])  # reversed view: its items are not adjacent going forward
    with pytest.raises((BufferError, ValueError)):  # numpy says ValueError: "ndarray is not C-contiguous"
        scanner.scan(np.frombuffer(jpg + jpg, dtype=np.uint8)[::2])
    assert scanner.scan(np.frombuffer(jpg, dtype=np.uint8)).pdq == hashguard.hash_bytes(jpg).pdq  # contiguous: fine


def test_result_fields_mirror_the_json_exactly(photos, tmp_path):
    # The dataclass is built from the C accessors; to_dict() is the result's JSON. They must agree.
    jpg = (DATA / "photos" / "fruits.jpg").read_bytes()
    import hashlib
    lists = hashguard.Lists().add_file("pdq", DATA / "lists" / "sample-blocklist.txt")
    lists.add_text("md5", hashlib.md5(jpg).hexdigest() + ",exact copy\n", kind="md5")
    scanner = hashguard.Scanner(lists, digests=hashguard.DIGEST_MD5 | hashguard.DIGEST_SHA256, max_pixels=300000)
    blobs = [p.read_bytes() for p in photos] + [jpg, jpg[:4000], b"", b"garbage bytes"]
    for b in blobs:
        r = scanner.scan(b)
        d = r.to_dict()
        for name in ("verdict", "format", "width", "height", "pdq", "quality", "md5", "sha1", "sha256", "match_count",
                     "cached"):
            assert getattr(r, name) == d.get(name, None if name not in ("match_count", "cached") else 0), name
        assert r.error == (d["error"]["message"] if "error" in d else None)
        assert r.status == (d["error"]["status"] if "error" in d else "ok")
        assert r.matches == [hashguard._match(m) for m in d["matches"]]
    assert any(len(scanner.scan(b).matches) == 2 for b in blobs)  # fruits: a PDQ and an MD5 match
