/*
 * hashguard — C API (C99). The library's only ABI-stable surface.
 *
 * Scan each attachment against known-bad (and known-benign) hash lists
 * before it is stored:
 *
 *     hg_lists* lists = hg_lists_create();
 *     if (hg_lists_add_file(lists, "ncmec", "ncmec-pdq.txt", HG_KIND_PDQ) != HG_OK) ...
 *     hg_scanner* s = hg_scanner_create();
 *     if (hg_scanner_set_lists(s, lists) != HG_OK) ...   // again at any time: hot reload
 *     hg_lists_free(lists);                               // the scanner keeps its own frozen copy
 *     hg_result* r = NULL;
 *     if (hg_scan(s, bytes, len, &r) == HG_OK && hg_result_verdict(r) == HG_VERDICT_NO_MATCH) store(...);
 *     hg_result_free(r);
 *     hg_scanner_free(s);
 *
 * Conventions
 *  - Never fails open: a failure inside a scan (out of memory, an index or
 *    digest error) is a result with HG_VERDICT_ERROR and its status, never
 *    HG_VERDICT_NO_MATCH. Store an attachment only on NO_MATCH (or ALLOWED).
 *  - Every function that can fail returns an hg_status (or NULL) and sets the
 *    calling thread's last-error message (hg_last_error()). Nothing is ever
 *    printed, thrown or aborted across this API. Ignoring a returned status is
 *    a compiler warning (HG_NODISCARD).
 *  - Options, settings and result fields are read and written by key (*_int,
 *    *_str, *_bytes), never through structs, so new ones never change a layout.
 *    Every enum value is explicit, pinned, and never reused or renumbered.
 *    Keys, kinds and other enum arguments are taken as int (as TurboJPEG 3
 *    does): any value is safe to pass; unknown ones give
 *    HG_ERR_INVALID_ARGUMENT, -1 or NULL.
 *  - Strings returned by the library: NULL means the value is absent (not
 *    computed, out of range, an unknown key, or empty); a non-NULL string is
 *    never empty. They stay valid until the object they came from is freed.
 *    hg_last_error() is the exception: never NULL ("" before any failure).
 *  - *_free functions accept NULL.
 *  - ABI: the shared library's soname changes with every incompatible 0.x
 *    release (libhashguard.so.0.3 here); within a release symbols only grow,
 *    each in the symbol-version node of the release that added it.
 */
#ifndef HASHGUARD_H
#define HASHGUARD_H

#include <stddef.h>

#include "hashguard/version.h"

#if defined(_WIN32)
#define HG_API
#else
#define HG_API __attribute__((visibility("default")))
#endif

#if defined(__cplusplus) && __cplusplus >= 201703L
#define HG_NODISCARD [[nodiscard]]
#elif defined(__GNUC__) || defined(__clang__)
#define HG_NODISCARD __attribute__((warn_unused_result))
#else
#define HG_NODISCARD
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ version */
/* HG_VERSION_MAJOR, _MINOR, _PATCH, _STRING and
 * HG_VERSION_NUMBER (MAJOR * 10000 + MINOR * 100 + PATCH) come from version.h. */

/** The library's version string at run time ("0.3.0"). Thread-safe. */
HG_API const char* hg_version(void);
/** The library's HG_VERSION_NUMBER at run time (compare with the header's). Thread-safe. */
HG_API int hg_version_number(void);
/** The SIMD kernel set in use ("avx2", "scalar", ...). Thread-safe. */
HG_API const char* hg_kernel(void);

/* ------------------------------------------------------------------ status */
typedef enum hg_status {
    HG_OK = 0,
    HG_ERR_INVALID_ARGUMENT = 1,    /* a caller error: NULL pointer, unknown key, bad value */
    HG_ERR_UNSUPPORTED_FORMAT = 2,  /* magic bytes name no image format hashguard decodes */
    HG_ERR_DECODE_FAILED = 3,       /* corrupt or truncated image */
    HG_ERR_LIMIT_BYTES = 4,         /* input larger than HG_OPT_MAX_INPUT_BYTES */
    HG_ERR_LIMIT_PIXELS = 5,        /* declared width*height above HG_OPT_MAX_PIXELS */
    HG_ERR_LIMIT_DIMENSION = 6,     /* a side above HG_OPT_MAX_DIMENSION */
    HG_ERR_LIMIT_FRAMES = 7,        /* more frames than HG_OPT_MAX_FRAMES */
    HG_ERR_IO = 8,                  /* a file could not be read (or is not a regular file) */
    HG_ERR_OUT_OF_MEMORY = 9,
    HG_ERR_INTERNAL = 10,           /* a bug or an injected failure: please report hg_last_error() */
    HG_ERR_LIMIT_SCANS = 11,        /* progressive JPEG with too many scans */
    HG_ERR_LIST_FORMAT = 12,        /* a hash list or lists config is malformed or empty (file:line: reason) */
    HG_ERR_LIMIT_MEMORY = 13,       /* decoding would need more than HG_OPT_MAX_MEMORY_BYTES */
    HG_ERR_LIMIT_TIME = 14,         /* decoding ran past HG_OPT_MAX_DECODE_MS */
    HG_ERR_MODULE_UNAVAILABLE = 15, /* the format's decoder module (HEIC/AVIF: hashguard-heif.so) could not be loaded */
    HG_ERR_LIMIT_DURATION = 16      /* a video longer than its duration limit (declared or reached) */
} hg_status;

/** Short name of a status ("decode_failed"); "unknown" for other values. Thread-safe. */
HG_API const char* hg_status_name(int status);
/** Message of the last failing call on this thread ("" if none yet; never NULL). Thread-safe. */
HG_API const char* hg_last_error(void);

/* ------------------------------------------------------------------ hashes */
typedef enum hg_kind {
    HG_KIND_PDQ = 0,     /* PDQ perceptual hashes (64 hex digits), matched within a distance */
    HG_KIND_MD5 = 1,     /* exact digests of the attachment's bytes */
    HG_KIND_SHA1 = 2,
    HG_KIND_SHA256 = 3,
    HG_KIND_VPDQ = 4     /* vPDQ video hashes: one video per line (HMA's JSON array of "hex,quality,timestamp"),
                            or the reference's per-frame output as one video; matched by query% / compared% */
} hg_kind;

/** The dihedral variant of the attachment that matched (HG_MATCH_TRANSFORM),
 *  in the reference CLI's column order; rotations are counter-clockwise. */
typedef enum hg_transform {
    HG_TRANSFORM_ORIGINAL = 0,
    HG_TRANSFORM_ROT90 = 1,
    HG_TRANSFORM_ROT180 = 2,
    HG_TRANSFORM_ROT270 = 3,
    HG_TRANSFORM_FLIPX = 4,
    HG_TRANSFORM_FLIPY = 5,
    HG_TRANSFORM_FLIPPLUS1 = 6,
    HG_TRANSFORM_FLIPMINUS1 = 7
} hg_transform;

/* ------------------------------------------------------------------ lists */
typedef enum hg_role {
    HG_ROLE_BLOCK = 0,  /* known-bad: a match makes the verdict HG_VERDICT_MATCH */
    HG_ROLE_ALLOW = 1   /* known-benign: a match overrides block matches (HG_VERDICT_ALLOWED) */
} hg_role;

/** Per-list settings (hg_lists_set_int with a list name), defaults for lists
 *  added later (list name NULL), and read-only figures (hg_lists_get_int). */
typedef enum hg_list_key {
    HG_LIST_THRESHOLD = 0,       /* PDQ: match at distance <= value, 0..256 (default 31) */
    HG_LIST_MIN_QUALITY = 1,     /* PDQ: skip images of lower quality, 0..100 (default 50) */
    HG_LIST_ROLE = 2,            /* an hg_role (default HG_ROLE_BLOCK) */
    HG_LIST_SKIP_BAD_LINES = 3,  /* when loading (name NULL): 1 = skip malformed lines instead of failing (default 0) */
    HG_LIST_ALLOW_EMPTY = 4,     /* when loading (name NULL): 1 = accept a list with no entries (default 0: an error) */
    HG_LIST_QUERY_PCT = 5,       /* vPDQ: % of the video's unique frame hashes that must match a listed video (default 80) */
    HG_LIST_COMPARED_PCT = 6,    /* vPDQ: % of the listed video's unique frame hashes that must be matched (default 0) */
    HG_LIST_ENTRIES = 100,       /* read-only: entries now (loaded, minus removed, plus added by deltas) */
    HG_LIST_BAD_LINES = 101,     /* read-only: malformed lines skipped */
    HG_LIST_DUPLICATES = 102,    /* read-only: duplicate lines merged */
    HG_LIST_KIND = 103,          /* read-only: the list's hg_kind */
    HG_LIST_DELTA_ADDED = 104,   /* read-only: entries added by deltas and not yet merged into the base */
    HG_LIST_DELTA_REMOVED = 105  /* read-only: base entries removed by deltas, not yet merged */
} hg_list_key;

/** A mutable set of named lists, built before being handed to a scanner.
 *  Not thread-safe: use one hg_lists from one thread at a time. */
typedef struct hg_lists hg_lists;

/** A new, empty list set; NULL when out of memory. */
HG_NODISCARD HG_API hg_lists* hg_lists_create(void);
/** Frees a list set (NULL is fine). Scanners it was given to keep their own copy. */
HG_API void hg_lists_free(hg_lists* lists);

/** Loads a list file (text: one hash per line, `hash,metadata`, `hash=...` or CSV with a
 *  header; or a binary snapshot from `hashguard list build`) under a unique `name`. On a
 *  malformed or empty file nothing is added and the message names file and line. A
 *  snapshot is mapped, not copied, and every byte is checksummed before use; when it
 *  stores its PDQ index (`list build --index`, the default), scanners search that index in
 *  place and build nothing. */
HG_NODISCARD HG_API hg_status hg_lists_add_file(hg_lists* lists, const char* name, const char* path, int kind);
/** Same from text in memory; `source` names it in error messages (may be NULL). */
HG_NODISCARD HG_API hg_status hg_lists_add_text(hg_lists* lists, const char* name, const char* text, size_t len,
                                                int kind, const char* source);
/** Adds a list from binary hashes: `count` entries of 32 bytes (PDQ: the bytes the 64 hex
 *  digits spell, in order), 16 (MD5), 20 (SHA-1) or 32 (SHA-256). Entry ids are 1..count,
 *  no metadata; duplicates are merged. */
HG_NODISCARD HG_API hg_status hg_lists_add_binary(hg_lists* lists, const char* name, const void* data, size_t count,
                                                  int kind);
/** Adds every list named in a JSON config file (shared with `hashguard scan --lists`):
 *    {"lists": [{"name": "ncmec", "path": "ncmec.txt", "kind": "pdq", "threshold": 31,
 *                "min_quality": 50, "role": "block"}, ...]}
 *  kind defaults to "pdq" (or "md5", "sha1", "sha256"), role to "block"; "skip_bad_lines"
 *  and "allow_empty" (true/false) override the loading defaults per list; "deltas" is an
 *  array of delta files applied in order (hg_lists_apply_delta_file); relative paths
 *  are relative to the config file. Strict: unknown or repeated keys and an empty "lists"
 *  array are errors. All or nothing: on any error no list is added and the message names
 *  the file and line. */
HG_NODISCARD HG_API hg_status hg_lists_add_config(hg_lists* lists, const char* path);
/** Follows a directory of published list versions (`hashguard store sync --dir DIR`: CURRENT
 *  names the newest complete version, v<N>/lists.json its lists as snapshots plus delta
 *  files). The first call adds every list of the newest version; each later call brings
 *  the set to the version CURRENT names then, applying to each list only the delta files
 *  published since the last call (the list's built index is kept: no rebuild), reloading
 *  a list whose base snapshot or settings changed and removing a list the version no
 *  longer has. Lists added otherwise stay as they are (a name clash is an error). All or
 *  nothing: on any error the set is unchanged and the message names the directory and
 *  version. Hand the set to the scanner afterwards (hg_scanner_set_lists): scans see the
 *  previous version until that call returns, then the new one, never a mix. `version`
 *  (may be NULL) receives the version now held; `changed` (may be NULL) 1 when the set
 *  changed, 0 when CURRENT names the version already held. Needs no database access:
 *  only read access to DIR. (Since 0.3.1.) */
HG_NODISCARD HG_API hg_status hg_lists_follow_dir(hg_lists* lists, const char* dir, long long* version, int* changed);
/** Removes the list called `name` from the set (to replace it: add the new version
 *  under the same name). The other lists keep their built indexes: handing the set to
 *  a scanner again rebuilds nothing but what changed. */
HG_NODISCARD HG_API hg_status hg_lists_remove(hg_lists* lists, const char* name);
/** Changes the list called `name` without rebuilding its index: each line of `text`
 *  adds an entry (any line form of a list, optionally after '+'), or, when it starts
 *  with '-', removes the entry with that hash. Within one delta removals apply first.
 *  Additions already listed and removals of absent hashes are ignored (counted).
 *  Additions are searched in a small index beside the list's own, removals filtered
 *  from its matches, until the changes outgrow max(65536, entries / 8): then the list
 *  is merged into a new base (and its index rebuilt at the next hg_scanner_set_lists).
 *  All or nothing: a malformed line changes nothing and names `source`:line. */
HG_NODISCARD HG_API hg_status hg_lists_apply_delta_text(hg_lists* lists, const char* name, const char* text,
                                                        size_t len, const char* source);
/** Same from a file (a regular file). */
HG_NODISCARD HG_API hg_status hg_lists_apply_delta_file(hg_lists* lists, const char* name, const char* path);
/** Sets `key` of the list called `name`, or the default for lists added later when
 *  `name` is NULL. */
HG_NODISCARD HG_API hg_status hg_lists_set_int(hg_lists* lists, const char* name, int key, long long value);
/** Reads `key` of the list called `name` (or a default when `name` is NULL). */
HG_NODISCARD HG_API hg_status hg_lists_get_int(const hg_lists* lists, const char* name, int key, long long* value);
/** Number of lists in the set (0 for NULL). */
HG_API size_t hg_lists_count(const hg_lists* lists);
/** Name of the i-th list (in the order added), or NULL when out of range. */
HG_API const char* hg_lists_name(const hg_lists* lists, size_t i);

/* ------------------------------------------------------------------ scanner */

/** Bits of HG_OPT_DIGESTS. */
#define HG_DIGEST_MD5 (1 << HG_KIND_MD5)
#define HG_DIGEST_SHA1 (1 << HG_KIND_SHA1)
#define HG_DIGEST_SHA256 (1 << HG_KIND_SHA256)
#define HG_DIGESTS_ALL (HG_DIGEST_MD5 | HG_DIGEST_SHA1 | HG_DIGEST_SHA256)

typedef enum hg_option {
    /* decode limits, checked against the header before any pixel buffer is allocated */
    HG_OPT_MAX_INPUT_BYTES = 0,       /* default 268435456 (256 MiB) */
    HG_OPT_MAX_PIXELS = 1,            /* width*height; default 100000000 */
    HG_OPT_MAX_DIMENSION = 2,         /* per side; default 65535 */
    HG_OPT_MAX_FRAMES = 3,            /* animated images; default 1000 */
    HG_OPT_MAX_MEMORY_BYTES = 4,      /* decoder working memory, estimated from the header; default 2 GiB */
    HG_OPT_MAX_DECODE_MS = 5,         /* wall-clock budget per decode, 0 = none; default 10000 */
    /* decoding and hashing */
    HG_OPT_STRICT = 10,               /* 1 = refuse truncated/corrupt-but-decodable images; default 1 */
    HG_OPT_FAST = 11,                 /* 1 = fast JPEG mode (DCT scaling, luma only): not reference-exact; default 0 */
    HG_OPT_LETTERBOX = 12,            /* 1 = also hash the content inside uniform borders; default 1 */
    HG_OPT_LETTERBOX_TOLERANCE = 13,  /* per-channel difference still "uniform", 0..255; default 24 */
    /* digests of the raw bytes */
    HG_OPT_DIGESTS = 20,              /* HG_DIGEST_* bits always computed (those lists need are computed
                                         anyway); HG_DIGESTS_ALL for all three; default 0 */
    /* results */
    HG_OPT_MAX_MATCHES = 30,          /* matches kept per result; default 100 */
    /* the seen-bytes cache (keyed by the attachment's SHA-256) */
    HG_OPT_CACHE_ENTRIES = 40,        /* entries, 0 disables; default 4096 */
    HG_OPT_CACHE_BYTES = 41,          /* memory bound; default 16 MiB */
    /* videos: decoded and vPDQ-hashed when a HG_KIND_VPDQ list is loaded (else refused as an unknown format) */
    HG_OPT_VIDEO_MS_PER_HASH = 50,    /* hash one frame every N ms (the reference's secondsPerHash); 0 = every frame (default) */
    HG_OPT_VIDEO_MAX_FRAMES = 51,     /* frames decoded; default 1000000 */
    HG_OPT_VIDEO_MAX_DURATION_S = 52, /* seconds, declared or reached; default 14400 */
    HG_OPT_VIDEO_MAX_DECODE_MS = 53,  /* wall-clock budget per video, 0 = none; default 120000 */
    HG_OPT_VIDEO_THREADS = 54,        /* decoder slice threads; default 1 */
    HG_OPT_VIDEO_MAX_PIXELS = 55,     /* per frame; default 8912896 (4096x2176); bounds the decoder's memory too */
    HG_OPT_VIDEO_DIHEDRAL = 56,       /* 1 = also match the 7 rotated/mirrored variants of every frame; default 0 */
    HG_OPT_VIDEO_HASH_THREADS = 57,   /* 2 = hash frames on a second thread while decoding (latency); default 1 */
    HG_OPT_VIDEO_KEEP_HASHES = 58,    /* 1 = hash videos even when no vPDQ list is loaded, and keep each one's
                                         per-frame vPDQ hashes in its result (HG_RESULT_VPDQ); default 0 */
    /* read-only */
    HG_OPT_CACHE_SIZE = 100,          /* results now cached */
    HG_OPT_GENERATION = 101,          /* bumped by every hg_scanner_set_lists / hg_scanner_set_int */
    HG_OPT_LIST_COUNT = 102           /* lists in the active set */
} hg_option;

/** Scans attachments. hg_scan may be called from any number of threads at once
 *  on one scanner; hg_scanner_set_lists and hg_scanner_set_int may be called while
 *  scans run (they never wait for scans; scans never see a half-built list). */
typedef struct hg_scanner hg_scanner;

/** A new scanner with default options and no lists; NULL when out of memory. Thread-safe. */
HG_NODISCARD HG_API hg_scanner* hg_scanner_create(void);
/** Frees a scanner (NULL is fine). No scan may be running on it. */
HG_API void hg_scanner_free(hg_scanner* scanner);
/** Sets an option for scans that start afterwards. Thread-safe. */
HG_NODISCARD HG_API hg_status hg_scanner_set_int(hg_scanner* scanner, int key, long long value);
/** Reads an option or a read-only figure. Thread-safe. */
HG_NODISCARD HG_API hg_status hg_scanner_get_int(const hg_scanner* scanner, int key, long long* value);
/** Atomically replaces the scanner's lists with a frozen copy of `lists` (NULL: none),
 *  building in the calling thread first the indexes not already built for the same
 *  entries (a list that did not change keeps its index; its deltas get a small one). Scans in progress finish with the
 *  old lists, which are freed when the last of them returns. Clears the seen-bytes
 *  cache. On failure the old lists stay in use. Thread-safe with hg_scan; `lists` is
 *  only read. */
HG_NODISCARD HG_API hg_status hg_scanner_set_lists(hg_scanner* scanner, const hg_lists* lists);

/* ------------------------------------------------------------------ scanning */
typedef enum hg_verdict {
    HG_VERDICT_NO_MATCH = 0,       /* fully checked, no list matched: safe to store */
    HG_VERDICT_MATCH = 1,          /* a block list matched (and no allow list) */
    HG_VERDICT_ALLOWED = 2,        /* an allow list matched: overrides block matches */
    HG_VERDICT_ERROR = 3,          /* could not be checked completely (a bad attachment, or a failure
                                      inside the scan); see hg_result_status. Never store as clean. */
    HG_VERDICT_BELOW_QUALITY = 4   /* decoded, but too flat/small for some PDQ list's min quality; no match */
} hg_verdict;

typedef struct hg_result hg_result;

/** Scans one attachment: decodes it once, computes its PDQ hash (8 dihedral variants;
 *  also inside letterbox borders) and the digests lists need, and looks all of it up.
 *  On HG_OK, *result is a new result to free with hg_result_free — also when the
 *  attachment was bad or the scan failed inside (verdict HG_VERDICT_ERROR, cause in
 *  hg_result_status). Other statuses mean no result (*result is NULL): invalid
 *  arguments, or no memory for the result object itself. Thread-safe. */
HG_NODISCARD HG_API hg_status hg_scan(hg_scanner* scanner, const void* data, size_t len, hg_result** result);
/** Reads the file (a regular file of up to HG_OPT_MAX_INPUT_BYTES) and scans it; an
 *  unreadable file is HG_ERR_IO with no result, a larger one a result with verdict
 *  HG_VERDICT_ERROR and status HG_ERR_LIMIT_BYTES. Thread-safe. */
HG_NODISCARD HG_API hg_status hg_scan_file(hg_scanner* scanner, const char* path, hg_result** result);
/** Looks up a hash the caller already has (hash-sharing pipelines), with the same
 *  lists and verdict rules as hg_scan:
 *   - HG_KIND_PDQ: `len` 32 (one hash, the bytes its 64 hex digits spell) or 256 (the
 *     8 dihedral variants in hg_transform order), and its PDQ `quality` 0..100;
 *   - HG_KIND_MD5 / SHA1 / SHA256: the 16 / 20 / 32 digest bytes; `quality` is ignored.
 *  Never cached. Thread-safe. */
HG_NODISCARD HG_API hg_status hg_scan_hash(hg_scanner* scanner, int kind, const void* hash, size_t len, int quality,
                                           hg_result** result);

/** Frees a result (NULL is fine). Results are independent of their scanner. */
HG_API void hg_result_free(hg_result* result);

/* Result accessors: read-only; one result may be read from several threads. */
/** The verdict; HG_VERDICT_ERROR for a NULL result. */
HG_API hg_verdict hg_result_verdict(const hg_result* result);
/** "no_match", "match", "allowed", "error", "below_quality"; "unknown" for other values. */
HG_API const char* hg_verdict_name(int verdict);
/** Why the verdict is HG_VERDICT_ERROR (HG_OK when the attachment was checked). */
HG_API hg_status hg_result_status(const hg_result* result);

typedef enum hg_result_key {
    HG_RESULT_HAS_PDQ = 0,        /* 1 when a PDQ hash was computed (or given) */
    HG_RESULT_QUALITY = 1,        /* PDQ quality 0..100 */
    HG_RESULT_WIDTH = 2,
    HG_RESULT_HEIGHT = 3,
    HG_RESULT_LETTERBOXED = 4,    /* 1 when uniform borders were found and the inside hashed too */
    HG_RESULT_INNER_QUALITY = 5,
    HG_RESULT_MATCH_COUNT = 6,    /* all matches found (hg_result_match_count may be fewer: HG_OPT_MAX_MATCHES) */
    HG_RESULT_CACHED = 7,         /* 1 when answered from the seen-bytes cache */
    HG_RESULT_GENERATION = 8,     /* the scanner generation (lists + options) that answered */
    HG_RESULT_INPUT_BYTES = 9,
    HG_RESULT_VIDEO = 10,         /* 1 when scanned as a video (vPDQ) */
    HG_RESULT_VIDEO_FRAMES = 11,  /* frames decoded */
    HG_RESULT_VIDEO_HASHES = 12,  /* frames hashed (the sampled ones) */
    HG_RESULT_DECODE_US = 20,     /* timings per stage, microseconds */
    HG_RESULT_PDQ_US = 21,
    HG_RESULT_DIGEST_US = 22,
    HG_RESULT_MATCH_US = 23,
    HG_RESULT_TOTAL_US = 24
} hg_result_key;
/** An integer field; -1 for an unknown key or a NULL result. */
HG_API long long hg_result_int(const hg_result* result, int key);

typedef enum hg_result_str_key {
    HG_RESULT_PDQ_HEX = 0,        /* 64 hex digits, original orientation */
    HG_RESULT_INNER_PDQ_HEX = 1,  /* inside the letterbox borders */
    HG_RESULT_MD5_HEX = 2,
    HG_RESULT_SHA1_HEX = 3,
    HG_RESULT_SHA256_HEX = 4,
    HG_RESULT_ERROR = 5,          /* message for hg_result_status (NULL when HG_OK) */
    HG_RESULT_FORMAT = 6,         /* "jpeg", "png", ... (NULL when not recognised) */
    HG_RESULT_JSON = 7,           /* the whole result as one JSON object (NULL only when out of memory) */
    HG_RESULT_VIDEO_CODEC = 8,    /* the video's decoder ("h264", ...); NULL for images */
    HG_RESULT_VPDQ = 9            /* with HG_OPT_VIDEO_KEEP_HASHES: the video's hashed frames, one reference line
                                     "frame,quality,hash,timestamp" per frame, each ending in '\n' (the format
                                     `hashguard vpdq` prints and vPDQ lists load); NULL otherwise, and when no
                                     frame was hashable (under 5 px a side: HG_RESULT_VIDEO_HASHES is 0) */
} hg_result_str_key;
/** A string field; NULL when absent (see the conventions above). */
HG_API const char* hg_result_str(const hg_result* result, int key);

typedef enum hg_result_bytes_key {
    HG_BYTES_PDQ = 0,             /* 32: the original-orientation hash, the bytes its hex digits spell */
    HG_BYTES_PDQ_DIHEDRAL = 1,    /* 256: the 8 dihedral variants in hg_transform order (as hg_scan_hash takes) */
    HG_BYTES_INNER_PDQ = 2,       /* 32: inside the letterbox borders */
    HG_BYTES_MD5 = 3,             /* 16 */
    HG_BYTES_SHA1 = 4,            /* 20 */
    HG_BYTES_SHA256 = 5           /* 32 */
} hg_result_bytes_key;
/** Raw hash bytes; NULL (and *len = 0) when absent. `len` may be NULL. */
HG_API const unsigned char* hg_result_bytes(const hg_result* result, int key, size_t* len);

/** Matches kept in the result. */
HG_API size_t hg_result_match_count(const hg_result* result);

typedef enum hg_match_key {
    HG_MATCH_DISTANCE = 0,   /* PDQ Hamming distance; 0 for exact digests */
    HG_MATCH_TRANSFORM = 1,  /* the hg_transform of the attachment that matched */
    HG_MATCH_ROLE = 2,       /* hg_role of the list */
    HG_MATCH_KIND = 3,       /* hg_kind of the list */
    HG_MATCH_INNER = 4,      /* 1 when the content inside letterbox borders matched */
    HG_MATCH_QUERY_PCT = 5,  /* vPDQ: % of the video's unique frame hashes that matched this listed video
                                (rounded down); -1 for other kinds */
    HG_MATCH_COMPARED_PCT = 6 /* vPDQ: % of the listed video's unique frame hashes matched (rounded down); -1 for others */
} hg_match_key;
/** An integer field of match i; -1 when i or key is out of range. */
HG_API long long hg_match_int(const hg_result* result, size_t i, int key);

typedef enum hg_match_str_key {
    HG_MATCH_LIST = 0,            /* the list's name */
    HG_MATCH_ID = 1,              /* the entry's id (id column, else its line number) */
    HG_MATCH_METADATA = 2,        /* the rest of the entry's line (NULL when it has none) */
    HG_MATCH_TRANSFORM_NAME = 3,  /* "original", "rot90", ... (NULL for exact digests) */
    HG_MATCH_TIMESTAMPS = 4       /* vPDQ: the attachment's matched frames, seconds, "0.000,0.033,..." */
} hg_match_str_key;
/** A string field of match i; NULL when absent or i or key is out of range. */
HG_API const char* hg_match_str(const hg_result* result, size_t i, int key);

#ifdef __cplusplus
}
#endif

#endif /* HASHGUARD_H */
