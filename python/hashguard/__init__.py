"""hashguard: scan attachments against known-bad hash lists (PDQ, vPDQ, MD5/SHA).

The package wraps hashguard's C API (the stable ABI of libhashguard), so hashes
and verdicts are exactly those of the C library and of ``hashguard scan``.

Hash an image::

    >>> import hashguard
    >>> h = hashguard.hash_file("photo.jpg")
    >>> h.pdq, h.quality              # 64 hex digits, 0..100
    >>> h.dihedral[hashguard.Transform.ROT90]

Scan against lists::

    >>> lists = hashguard.Lists()
    >>> lists.add_file("ncmec", "/etc/lists/ncmec.txt")             # text list or binary snapshot
    >>> lists.add_hashes("internal", array_of_shape_n_32)            # numpy uint8 (n, 32)
    >>> scanner = hashguard.Scanner(lists)
    >>> r = scanner.scan(attachment_bytes)                           # thread-safe, releases the GIL
    >>> r.verdict, r.matches[0].list if r.matches else None

Every failure is a :class:`HashguardError` carrying the library's status. A
result whose verdict is ``"error"`` is an attachment that could not be checked
completely (never "clean"); its ``status`` and ``error`` say why.

For scanning millions of files across a Dask cluster see :mod:`hashguard.dask`.
"""

from __future__ import annotations

import enum
import json as _json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Union

from . import _hashguard as _c

__all__ = [
    "HashguardError", "Kind", "Role", "Verdict", "Transform", "PdqHash", "Match", "ScanResult",
    "VpdqFrame", "VpdqVideo", "Lists", "Scanner", "hash_bytes", "hash_file", "hash_video", "hash_video_file",
    "version", "kernel",
]

_K = _c.constants
BytesLike = Union[bytes, bytearray, memoryview]
PathLike = Union[str, "os.PathLike[str]"]


class HashguardError(Exception):
    """A hashguard call failed.

    Attributes:
        status: the C API's hg_status number (``HG_ERR_*``).
        status_name: its short name ("list_format", "io", "invalid_argument", ...).
        message: the library's message (for lists: file and line).
    """

    def __init__(self, status: int, status_name: str, message: str) -> None:
        super().__init__(f"{status_name}: {message}")
        self.status = status
        self.status_name = status_name
        self.message = message


_c._set_error_class(HashguardError)


class Kind(enum.IntEnum):
    """What a list holds."""
    PDQ = _K["KIND_PDQ"]
    MD5 = _K["KIND_MD5"]
    SHA1 = _K["KIND_SHA1"]
    SHA256 = _K["KIND_SHA256"]
    VPDQ = _K["KIND_VPDQ"]


class Role(enum.IntEnum):
    """BLOCK: a match is a verdict "match"; ALLOW: a match overrides block matches."""
    BLOCK = _K["ROLE_BLOCK"]
    ALLOW = _K["ROLE_ALLOW"]


class Verdict(str, enum.Enum):
    """A scan's verdict (the strings of the JSON results)."""
    NO_MATCH = "no_match"
    MATCH = "match"
    ALLOWED = "allowed"
    ERROR = "error"
    BELOW_QUALITY = "below_quality"


class Transform(enum.IntEnum):
    """Index of a dihedral variant (the reference CLI's order; rotations counter-clockwise)."""
    ORIGINAL = 0
    ROT90 = 1
    ROT180 = 2
    ROT270 = 3
    FLIPX = 4
    FLIPY = 5
    FLIPPLUS1 = 6
    FLIPMINUS1 = 7


def _kind(kind: Union[Kind, str, int]) -> int:
    if isinstance(kind, str):
        try:
            return int(Kind[kind.upper()])
        except KeyError:
            raise HashguardError(1, "invalid_argument", f"unknown list kind {kind!r} (pdq, md5, sha1, sha256, vpdq)") from None
    return int(kind)


@dataclass(frozen=True)
class PdqHash:
    """An image's PDQ hash as the C API computes it (bit-identical to Meta's reference)."""
    pdq: str                 #: 64 hex digits, original orientation
    quality: int             #: 0..100; lists skip images below their min_quality (default 50)
    dihedral: List[str]      #: the 8 variants in Transform order (dihedral[0] == pdq)
    width: int
    height: int
    format: Optional[str]    #: "jpeg", "png", ...

    @property
    def bytes(self) -> bytes:
        """The 32 bytes the hex digits spell (what Lists.add_hashes takes)."""
        return bytes.fromhex(self.pdq)


@dataclass(frozen=True)
class VpdqFrame:
    """One hashed frame of a video, as a line of the vPDQ reference's output."""
    frame: int        #: 0-based count of the frames the decoder returned
    quality: int
    hash: str         #: 64 hex digits (PDQ of the frame at its own size)
    timestamp: float  #: seconds (frame / fps)

    @staticmethod
    def parse(line: str) -> "VpdqFrame":
        frame, quality, h, ts = line.split(",")
        return VpdqFrame(int(frame), int(quality), h, float(ts))

    def line(self) -> str:
        """``frame,quality,hash,timestamp``: what ``hashguard vpdq`` prints and vPDQ lists load."""
        return f"{self.frame},{self.quality},{self.hash},{self.timestamp:.3f}"


@dataclass(frozen=True)
class VpdqVideo:
    """A video's vPDQ hash (bit-identical to the reference's C path)."""
    frames: List[VpdqFrame]  #: the sampled frames, in order
    fps: float
    decoded_frames: int      #: every frame decoded, sampled or not
    width: int
    height: int
    codec: str

    def text(self) -> str:
        """The reference's per-frame lines, one per frame: a vPDQ list of one video."""
        return "".join(f.line() + "\n" for f in self.frames)


@dataclass(frozen=True)
class Match:
    """One list entry the attachment matched (the JSON result's "matches" items)."""
    list: str
    id: str
    kind: str                       #: "pdq", "md5", "sha1", "sha256", "vpdq"
    role: str                       #: "block" or "allow"
    distance: int = 0               #: PDQ Hamming distance (0 for digests)
    transform: Optional[str] = None  #: which dihedral variant of the attachment matched
    metadata: Optional[str] = None
    inner: bool = False             #: the content inside letterbox borders matched
    query_pct: Optional[float] = None     #: vPDQ only
    compared_pct: Optional[float] = None  #: vPDQ only
    timestamps: Optional[List[float]] = None  #: vPDQ: the attachment's matched frames, seconds


@dataclass(frozen=True)
class ScanResult:
    """A scan's result, field for field the JSON object ``hashguard scan`` writes
    (``to_dict()`` gives that object, every field, also future ones; it is built
    from the C result only when asked for)."""
    verdict: str
    status: str = "ok"               #: why the verdict is "error" (an hg status name), else "ok"
    error: Optional[str] = None
    format: Optional[str] = None
    width: Optional[int] = None
    height: Optional[int] = None
    pdq: Optional[str] = None
    quality: Optional[int] = None
    md5: Optional[str] = None
    sha1: Optional[str] = None
    sha256: Optional[str] = None
    matches: List[Match] = field(default_factory=list)
    match_count: int = 0
    cached: bool = False
    video: Optional[Dict[str, Any]] = None    #: scanned as a video: codec, width, height, fps, frames, hashed
    vpdq: Optional[List[VpdqFrame]] = None    #: with the video_keep_hashes option: the hashed frames
    _handle: Any = field(default=None, repr=False, compare=False)  # the C result, for to_dict()
    _json: Optional[Dict[str, Any]] = field(default=None, repr=False, compare=False)

    @property
    def matched(self) -> bool:
        """True for the verdict "match" (a block list matched and no allow list)."""
        return self.verdict == Verdict.MATCH.value

    @property
    def raw(self) -> Dict[str, Any]:
        """The parsed JSON object of this result (shared: copy before changing it)."""
        if self._json is None:
            object.__setattr__(self, "_json", _json.loads(self._handle.get_str(_K["RESULT_JSON"])))
        return self._json

    def to_dict(self) -> Dict[str, Any]:
        """The JSON object of this result (as the C API's HG_RESULT_JSON)."""
        return dict(self.raw)


def _match(m: Dict[str, Any]) -> Match:
    ts = m.get("timestamps")
    return Match(list=m.get("list", ""), id=str(m.get("id", "")), kind=m.get("kind", ""), role=m.get("role", ""),
                 distance=int(m.get("distance", 0)), transform=m.get("transform"), metadata=m.get("metadata"),
                 inner=bool(m.get("inner", False)), query_pct=m.get("query_pct"), compared_pct=m.get("compared_pct"),
                 timestamps=[float(t) for t in ts] if isinstance(ts, list) else None)


_KIND_NAMES = {int(k): k.name.lower() for k in Kind}
_ROLE_NAMES = {int(r): r.name.lower() for r in Role}


def _accessor_match(r: "_c.Result", i: int) -> Match:
    kind = _KIND_NAMES.get(r.match_int(i, _K["MATCH_KIND"]), "")
    return Match(list=r.match_str(i, _K["MATCH_LIST"]) or "", id=r.match_str(i, _K["MATCH_ID"]) or "", kind=kind,
                 role=_ROLE_NAMES.get(r.match_int(i, _K["MATCH_ROLE"]), ""),
                 distance=r.match_int(i, _K["MATCH_DISTANCE"]), transform=r.match_str(i, _K["MATCH_TRANSFORM_NAME"]),
                 metadata=r.match_str(i, _K["MATCH_METADATA"]) or "",  # the JSON writes "" for none
                 inner=kind == "pdq" and r.match_int(i, _K["MATCH_INNER"]) == 1)


def _result(r: "_c.Result") -> ScanResult:
    # The common fields straight from the C accessors (parsing the result's JSON
    # per scan cost ~4% of a 1.7 ms scan in bench/python_scan.py); videos and
    # vPDQ matches, whose percentages and timestamps the JSON carries exactly,
    # from the JSON.
    n = r.match_count()
    video = r.get_int(_K["RESULT_VIDEO"]) == 1
    d = None
    if video or any(r.match_int(i, _K["MATCH_KIND"]) == int(Kind.VPDQ) for i in range(n)):
        d = _json.loads(r.get_str(_K["RESULT_JSON"]))
    fmt = r.get_str(_K["RESULT_FORMAT"])
    has_pdq = r.get_int(_K["RESULT_HAS_PDQ"]) == 1
    return ScanResult(verdict=_c.verdict_name(r.verdict()), status=_c.status_name(r.status()),
                      error=r.get_str(_K["RESULT_ERROR"]), format=fmt,
                      width=r.get_int(_K["RESULT_WIDTH"]) if fmt else None,
                      height=r.get_int(_K["RESULT_HEIGHT"]) if fmt else None,
                      pdq=r.get_str(_K["RESULT_PDQ_HEX"]) if has_pdq else None,
                      quality=r.get_int(_K["RESULT_QUALITY"]) if has_pdq else None,
                      md5=r.get_str(_K["RESULT_MD5_HEX"]), sha1=r.get_str(_K["RESULT_SHA1_HEX"]),
                      sha256=r.get_str(_K["RESULT_SHA256_HEX"]),
                      matches=[_match(m) for m in d["matches"]] if d is not None else
                      [_accessor_match(r, i) for i in range(n)],
                      match_count=r.get_int(_K["RESULT_MATCH_COUNT"]), cached=r.get_int(_K["RESULT_CACHED"]) == 1,
                      video=d.get("video") if d is not None else None,
                      vpdq=[VpdqFrame.parse(v) for v in d["vpdq"]] if d is not None and "vpdq" in d else None,
                      _handle=r, _json=d)


class Lists:
    """A set of named hash lists, handed to scanners (which keep their own frozen copy).

    Not thread-safe: build it on one thread, then give it to any number of
    scanners with :meth:`Scanner.set_lists`. Loading releases the GIL.
    """

    def __init__(self) -> None:
        self._c = _c.Lists()

    def add_file(self, name: str, path: PathLike, kind: Union[Kind, str] = Kind.PDQ) -> "Lists":
        """Loads a list file under a unique ``name``: a text list (one hash per line,
        ``hash,metadata``, CSV with a header; vPDQ: HMA's JSON arrays) or a binary
        snapshot from ``hashguard list build`` (mapped, checksummed, its index used
        in place). A malformed file adds nothing; the error names file and line."""
        self._c.add_file(name, os.fsencode(path), _kind(kind))
        return self

    def add_text(self, name: str, text: Union[str, bytes], kind: Union[Kind, str] = Kind.PDQ,
                 source: Optional[str] = None) -> "Lists":
        """Same from text in memory; ``source`` names it in error messages."""
        self._c.add_text(name, text.encode() if isinstance(text, str) else bytes(text), _kind(kind), source)
        return self

    def add_hashes(self, name: str, hashes: Any, kind: Union[Kind, str] = Kind.PDQ) -> "Lists":
        """Adds binary hashes: a numpy ``(n, 32)`` uint8 array (PDQ, SHA-256; 16 wide
        for MD5, 20 for SHA-1), or a sequence of hex strings or bytes. Entry ids are
        1..n, no metadata; duplicates merge."""
        import numpy as np
        width = {int(Kind.MD5): 16, int(Kind.SHA1): 20}.get(_kind(kind), 32)
        if isinstance(hashes, np.ndarray):
            arr = hashes
        else:
            rows = [bytes.fromhex(h) if isinstance(h, str) else bytes(h) for h in hashes]
            arr = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(len(rows), width) if rows else \
                np.zeros((0, width), dtype=np.uint8)
        if arr.dtype != np.uint8 or arr.ndim != 2 or arr.shape[1] != width:
            raise HashguardError(1, "invalid_argument",
                                 f"hashes must be a uint8 array of shape (n, {width}), got {arr.dtype} {arr.shape}")
        self._c.add_binary(name, np.ascontiguousarray(arr), _kind(kind))
        return self

    def add_config(self, path: PathLike) -> "Lists":
        """Adds every list of a JSON lists config (the one ``hashguard scan --lists`` reads).
        All or nothing."""
        self._c.add_config(os.fsencode(path))
        return self

    def remove(self, name: str) -> None:
        """Removes a list (the others keep their built indexes)."""
        self._c.remove(name)

    def apply_delta(self, name: str, text: Union[str, bytes], source: Optional[str] = None) -> None:
        """Adds ('+hash' or 'hash') and removes ('-hash') entries without a rebuild."""
        self._c.apply_delta_text(name, text.encode() if isinstance(text, str) else bytes(text), source)

    def configure(self, name: Optional[str] = None, *, threshold: Optional[int] = None,
                  min_quality: Optional[int] = None, role: Optional[Union[Role, str]] = None,
                  query_pct: Optional[int] = None, compared_pct: Optional[int] = None) -> "Lists":
        """Sets a list's matching settings, or (name None) the defaults of lists added later."""
        for key, value in (("LIST_THRESHOLD", threshold), ("LIST_MIN_QUALITY", min_quality),
                           ("LIST_QUERY_PCT", query_pct), ("LIST_COMPARED_PCT", compared_pct)):
            if value is not None:
                self._c.set_int(name, _K[key], int(value))
        if role is not None:
            self._c.set_int(name, _K["LIST_ROLE"], int(Role[role.upper()] if isinstance(role, str) else role))
        return self

    def entries(self, name: str) -> int:
        """Entries in the list now."""
        return self._c.get_int(name, _K["LIST_ENTRIES"])

    def bad_lines(self, name: str) -> int:
        """Malformed lines skipped while loading (with skip_bad_lines)."""
        return self._c.get_int(name, _K["LIST_BAD_LINES"])

    @property
    def names(self) -> List[str]:
        """The lists' names, in the order added."""
        return list(self._c.names())

    def __len__(self) -> int:
        return len(self._c.names())

    def __contains__(self, name: object) -> bool:
        return name in self._c.names()

    def __repr__(self) -> str:
        return f"Lists({self.names!r})"


_OPTIONS = {
    "max_input_bytes": "OPT_MAX_INPUT_BYTES", "max_pixels": "OPT_MAX_PIXELS", "max_dimension": "OPT_MAX_DIMENSION",
    "max_frames": "OPT_MAX_FRAMES", "max_memory_bytes": "OPT_MAX_MEMORY_BYTES", "max_decode_ms": "OPT_MAX_DECODE_MS",
    "strict": "OPT_STRICT", "fast": "OPT_FAST", "letterbox": "OPT_LETTERBOX",
    "letterbox_tolerance": "OPT_LETTERBOX_TOLERANCE", "digests": "OPT_DIGESTS", "max_matches": "OPT_MAX_MATCHES",
    "cache_entries": "OPT_CACHE_ENTRIES", "cache_bytes": "OPT_CACHE_BYTES",
    "video_ms_per_hash": "OPT_VIDEO_MS_PER_HASH", "video_max_frames": "OPT_VIDEO_MAX_FRAMES",
    "video_max_duration_s": "OPT_VIDEO_MAX_DURATION_S", "video_max_decode_ms": "OPT_VIDEO_MAX_DECODE_MS",
    "video_threads": "OPT_VIDEO_THREADS", "video_max_pixels": "OPT_VIDEO_MAX_PIXELS",
    "video_dihedral": "OPT_VIDEO_DIHEDRAL", "video_hash_threads": "OPT_VIDEO_HASH_THREADS",
    "video_keep_hashes": "OPT_VIDEO_KEEP_HASHES",
}

#: Digest bits for the ``digests`` option.
DIGEST_MD5, DIGEST_SHA1, DIGEST_SHA256 = _K["DIGEST_MD5"], _K["DIGEST_SHA1"], _K["DIGEST_SHA256"]


class Scanner:
    """Scans attachments against lists: decode once, PDQ (8 dihedral variants, also
    inside letterbox borders), the digests lists need, one lookup.

    ``scan`` / ``scan_file`` may be called from any number of threads at once and
    release the GIL while they work, so Python threads scale over cores.
    Options (keyword arguments, or :meth:`set`) are the C API's ``HG_OPT_*`` in
    lower case: max_input_bytes, max_pixels, max_dimension, max_frames,
    max_memory_bytes, max_decode_ms, strict, fast, letterbox, letterbox_tolerance,
    digests, max_matches, cache_entries, cache_bytes, video_*.
    """

    def __init__(self, lists: Optional[Lists] = None, **options: int) -> None:
        self._c = _c.Scanner()
        for k, v in options.items():
            self.set(k, v)
        if lists is not None:
            self.set_lists(lists)

    def set(self, option: str, value: int) -> "Scanner":
        """Sets an option for scans that start afterwards."""
        try:
            key = _K[_OPTIONS[option]]
        except KeyError:
            raise HashguardError(1, "invalid_argument", f"unknown scanner option {option!r}") from None
        self._c.set_int(key, int(value))
        return self

    def get(self, option: str) -> int:
        """Reads an option."""
        try:
            key = _K[_OPTIONS[option]]
        except KeyError:
            raise HashguardError(1, "invalid_argument", f"unknown scanner option {option!r}") from None
        return self._c.get_int(key)

    def set_lists(self, lists: Optional[Lists]) -> None:
        """Atomically replaces the lists (building the indexes that changed, GIL released);
        scans in progress finish with the old ones."""
        self._c.set_lists(lists._c if lists is not None else None)

    def scan(self, data: BytesLike) -> ScanResult:
        """Scans one attachment held in memory (any C-contiguous buffer: bytes, bytearray,
        memoryview, a numpy byte array; read in place, a strided view raises BufferError).
        A bad attachment is a result with verdict "error", not an exception."""
        return _result(self._c.scan(data))

    def scan_file(self, path: PathLike) -> ScanResult:
        """Reads a regular file and scans it. Raises HashguardError (status "io") when the
        file cannot be read."""
        return _result(self._c.scan_file(os.fsencode(path)))  # bytes: any file name, UTF-8 or not

    def scan_hash(self, hash: Union[str, bytes], kind: Union[Kind, str] = Kind.PDQ, quality: int = 100) -> ScanResult:
        """Looks up a hash the caller already has: PDQ (64 hex digits or 32 bytes, or the
        8 dihedral variants as 256 bytes) with its quality, or an MD5/SHA digest."""
        raw = bytes.fromhex(hash) if isinstance(hash, str) else bytes(hash)
        return _result(self._c.scan_hash(_kind(kind), raw, int(quality)))

    @property
    def generation(self) -> int:
        """Bumped by every set_lists / option change (results carry the one that answered)."""
        return self._c.get_int(_K["OPT_GENERATION"])


_hasher: Optional[Scanner] = None


def _plain() -> Scanner:
    global _hasher
    if _hasher is None:  # a race builds two; both are equivalent
        _hasher = Scanner(cache_entries=0)
    return _hasher


def _pdq(r: "_c.Result") -> PdqHash:
    if r.verdict() == _K["VERDICT_ERROR"]:
        raise HashguardError(r.status(), _c.status_name(r.status()), r.get_str(_K["RESULT_ERROR"]) or "")
    if not r.get_int(_K["RESULT_HAS_PDQ"]):  # under 5 px a side: the reference's all-zero hash, quality 0
        zero = "0" * 64
        return PdqHash(pdq=zero, quality=0, dihedral=[zero] * 8, width=r.get_int(_K["RESULT_WIDTH"]),
                       height=r.get_int(_K["RESULT_HEIGHT"]), format=r.get_str(_K["RESULT_FORMAT"]))
    dihedral = r.get_bytes(_K["BYTES_PDQ_DIHEDRAL"]) or b""
    return PdqHash(pdq=r.get_str(_K["RESULT_PDQ_HEX"]), quality=r.get_int(_K["RESULT_QUALITY"]),
                   dihedral=[dihedral[32 * t:32 * t + 32].hex() for t in range(len(dihedral) // 32)],
                   width=r.get_int(_K["RESULT_WIDTH"]), height=r.get_int(_K["RESULT_HEIGHT"]),
                   format=r.get_str(_K["RESULT_FORMAT"]))


def hash_bytes(data: BytesLike) -> PdqHash:
    """PDQ hash of an image in memory (JPEG, PNG, WebP, GIF, BMP, TIFF, PNM, HEIC, AVIF),
    bit-identical to Meta's reference; an image under 5 px a side gets the reference's
    all-zero hash with quality 0. Raises HashguardError when it cannot be decoded
    (status decode_failed, unsupported_format, limit_*...). Releases the GIL."""
    return _pdq(_plain()._c.scan(data))


def hash_file(path: PathLike) -> PdqHash:
    """PDQ hash of an image file."""
    return _pdq(_plain()._c.scan_file(os.fsencode(path)))


def _vpdq(r: ScanResult) -> VpdqVideo:
    if r.verdict == Verdict.ERROR.value or r.video is None:
        status = r.status if r.status != "ok" else "unsupported_format"
        raise HashguardError(_status_number(status), status, r.error or "not a video")
    v = r.video
    return VpdqVideo(frames=r.vpdq or [], fps=float(v.get("fps", 0)), decoded_frames=int(v.get("frames", 0)),
                     width=int(v.get("width", 0)), height=int(v.get("height", 0)), codec=str(v.get("codec", "")))


def _status_number(name: str) -> int:
    """The hg_status number of a status name (results carry names)."""
    for n in range(64):
        if _c.status_name(n) == name:
            return n
    return _K["STATUS_INTERNAL"]


def _video_scanner(seconds_per_hash: float, **options: int) -> Scanner:
    return Scanner(cache_entries=0, video_keep_hashes=1, video_ms_per_hash=int(round(seconds_per_hash * 1000)),
                   **options)


def hash_video(data: BytesLike, seconds_per_hash: float = 0, **options: int) -> VpdqVideo:
    """vPDQ of a video in memory (MP4/MOV/3GP, Matroska/WebM, AVI; H.264, HEVC, VP8, VP9,
    AV1, ...), bit-identical to the reference's C path: every frame decoded, one hashed
    every ``seconds_per_hash`` (0: every frame). Decoded from memory by the video module
    (loaded on first use). ``options``: the Scanner's video_* limits. Raises
    HashguardError for a file that is no video or cannot be decoded within the limits."""
    return _vpdq(_video_scanner(seconds_per_hash, **options).scan(data))


def hash_video_file(path: PathLike, seconds_per_hash: float = 0, **options: int) -> VpdqVideo:
    """hash_video of a file."""
    return _vpdq(_video_scanner(seconds_per_hash, **options).scan_file(path))


def version() -> str:
    """The library's version."""
    return _c.version()


def kernel() -> str:
    """The SIMD kernel set in use ("avx2", "avx512", "scalar", ...)."""
    return _c.kernel()
