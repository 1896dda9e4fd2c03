/*
 * hashguard — C API (C99). The library's only ABI-stable surface.
 *
 * Scan each image attachment against known-bad (and known-benign) hash lists
 * before it is stored:
 *
 *     hg_lists* lists = hg_lists_create();
 *     hg_lists_add_file(lists, "ncmec", "ncmec-pdq.txt", HG_KIND_PDQ);
 *     hg_scanner* s = hg_scanner_create();
 *     hg_scanner_set_lists(s, lists);      // may be called again at any time (hot reload)
 *     hg_lists_free(lists);                 // the scanner keeps its own frozen copy
 *     hg_result* r = NULL;
 *     if (hg_scan(s, bytes, len, &r) == HG_OK && hg_result_verdict(r) == HG_VERDICT_MATCH) ...
 *     hg_result_free(r);
 *     hg_scanner_free(s);
 *
 * Conventions
 *  - Every function that can fail returns an hg_status (or NULL) and sets the
 *    calling thread's last-error message (hg_last_error()). Nothing is ever
 *    printed, thrown or aborted across this API.
 *  - Options are set by key (hg_*_set_int) rather than through structs, so new
 *    options never change a layout. Enum values are explicit and never reused.
 *    Keys, kinds and other enum arguments are taken as int (as TurboJPEG 3 does):
 *    any value is safe to pass; unknown ones give HG_ERR_INVALID_ARGUMENT / -1 / NULL.
 *  - *_free functions accept NULL.
 *  - Strings returned by the library stay valid until the object they came from
 *    is freed (or, for hg_last_error, until the thread's next failing call).
 */
#ifndef HASHGUARD_H
#define HASHGUARD_H

#include <stddef.h>

#if defined(_WIN32)
#define HG_API
#else
#define HG_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ version */
#define HG_VERSION_MAJOR 0
#define HG_VERSION_MINOR 2
#define HG_VERSION_PATCH 0
#define HG_VERSION_STRING "0.2.0"
/** MAJOR * 10000 + MINOR * 100 + PATCH */
#define HG_VERSION_NUMBER (HG_VERSION_MAJOR * 10000 + HG_VERSION_MINOR * 100 + HG_VERSION_PATCH)

/** The library's version string at run time ("0.2.0"). Thread-safe. */
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
    HG_ERR_IO = 8,                  /* a file could not be read */
    HG_ERR_OUT_OF_MEMORY = 9,
    HG_ERR_INTERNAL = 10,           /* a bug: please report it with hg_last_error() */
    HG_ERR_LIMIT_SCANS = 11,        /* progressive JPEG with too many scans */
    HG_ERR_LIST_FORMAT = 12,        /* a hash list is malformed (message: file:line: reason) */
    HG_ERR_LIMIT_MEMORY = 13,       /* decoding would need more than HG_OPT_MAX_MEMORY_BYTES */
    HG_ERR_LIMIT_TIME = 14          /* decoding ran past HG_OPT_MAX_DECODE_MS */
} hg_status;

/** Short name of a status ("decode_failed"); "unknown" for other values. Thread-safe. */
HG_API const char* hg_status_name(int status);
/** Message of the last failing call on this thread ("" if none yet). Thread-safe (per thread). */
HG_API const char* hg_last_error(void);

/* ------------------------------------------------------------------ lists */
typedef enum hg_kind {
    HG_KIND_PDQ = 0,     /* 64 hex digits: PDQ perceptual hashes, matched within a distance */
    HG_KIND_MD5 = 1,     /* exact digests of the attachment's bytes */
    HG_KIND_SHA1 = 2,
    HG_KIND_SHA256 = 3
} hg_kind;

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
    HG_LIST_SKIP_BAD_LINES = 3,  /* defaults only: 1 = skip malformed lines instead of failing (default 0) */
    HG_LIST_ENTRIES = 100,       /* read-only: unique entries loaded */
    HG_LIST_BAD_LINES = 101,     /* read-only: malformed lines skipped */
    HG_LIST_DUPLICATES = 102,    /* read-only: duplicate lines merged */
    HG_LIST_KIND = 103           /* read-only: the list's hg_kind */
} hg_list_key;

/** A mutable set of named lists, built before being handed to a scanner.
 *  Not thread-safe: use one hg_lists from one thread at a time. */
typedef struct hg_lists hg_lists;

/** A new, empty list set; NULL when out of memory. */
HG_API hg_lists* hg_lists_create(void);
/** Frees a list set (NULL is fine). Scanners it was given to keep their own copy. */
HG_API void hg_lists_free(hg_lists* lists);

/** Loads a list file (text: one hash per line, `hash,metadata`, `hash=...` or CSV with a
 *  header; or a binary snapshot from `hashguard list build`) under a unique `name`. On a
 *  malformed file nothing is added and the message names file and line. */
HG_API hg_status hg_lists_add_file(hg_lists* lists, const char* name, const char* path, int kind);
/** Same from text in memory; `source` names it in error messages (may be NULL). */
HG_API hg_status hg_lists_add_text(hg_lists* lists, const char* name, const char* text, size_t len,
                                   int kind, const char* source);
/** Adds a list from binary hashes: `count` entries of 32 bytes (PDQ: the bytes the 64 hex
 *  digits spell, in order), 16 (MD5), 20 (SHA-1) or 32 (SHA-256). Entry ids are 1..count,
 *  no metadata; duplicates are merged. */
HG_API hg_status hg_lists_add_binary(hg_lists* lists, const char* name, const void* data, size_t count, int kind);
/** Adds every list named in a JSON config file (shared with `hashguard scan --lists`):
 *    {"lists": [{"name": "ncmec", "path": "ncmec.txt", "kind": "pdq", "threshold": 31,
 *                "min_quality": 50, "role": "block"}, ...]}
 *  kind defaults to "pdq" (or "md5", "sha1", "sha256"), role to "block"; relative paths are
 *  relative to the config file. All or nothing: on any error no list is added and the
 *  message names the file and line. */
HG_API hg_status hg_lists_add_config(hg_lists* lists, const char* path);
/** Sets `key` of the list called `name`, or the default for lists added later when
 *  `name` is NULL. */
HG_API hg_status hg_lists_set_int(hg_lists* lists, const char* name, int key, long long value);
/** Reads `key` of the list called `name` (or a default when `name` is NULL). */
HG_API hg_status hg_lists_get_int(const hg_lists* lists, const char* name, int key, long long* value);
/** Number of lists in the set (0 for NULL). */
HG_API size_t hg_lists_count(const hg_lists* lists);
/** Name of the i-th list (in the order added), or NULL when out of range. */
HG_API const char* hg_lists_name(const hg_lists* lists, size_t i);

/* ------------------------------------------------------------------ scanner */
typedef enum hg_option {
    HG_OPT_MAX_INPUT_BYTES = 0,       /* default 268435456 (256 MiB) */
    HG_OPT_MAX_PIXELS = 1,            /* width*height from the header, before any allocation; default 100000000 */
    HG_OPT_MAX_DIMENSION = 2,         /* default 65535 */
    HG_OPT_MAX_FRAMES = 3,            /* animated images; default 1000 */
    HG_OPT_FAST = 4,                  /* 1 = fast JPEG mode (DCT scaling, luma only): not reference-exact; default 0 */
    HG_OPT_STRICT = 5,                /* 1 = refuse truncated/corrupt-but-decodable images; default 1 */
    HG_OPT_LETTERBOX = 6,             /* 1 = also hash the content inside uniform borders; default 1 */
    HG_OPT_LETTERBOX_TOLERANCE = 7,   /* per-channel difference still "uniform", 0..255; default 24 */
    HG_OPT_ALL_DIGESTS = 8,           /* 1 = always compute MD5/SHA-1/SHA-256; default 0 (only those lists need) */
    HG_OPT_MAX_MATCHES = 9,           /* matches kept per result; default 100 */
    HG_OPT_CACHE_ENTRIES = 10,        /* seen-bytes cache entries, 0 disables; default 4096 */
    HG_OPT_CACHE_BYTES = 11,          /* seen-bytes cache memory bound; default 16 MiB */
    HG_OPT_MAX_MEMORY_BYTES = 13,     /* decoder working memory, estimated from the header; default 2 GiB */
    HG_OPT_MAX_DECODE_MS = 14,        /* wall-clock budget per decode, 0 = none; default 10000 */
    HG_OPT_DIGESTS = 12,              /* digests always computed, as bits 1<<HG_KIND_MD5 | 1<<HG_KIND_SHA1 |
                                         1<<HG_KIND_SHA256 (lists' own kinds are computed anyway); default 0 */
    HG_OPT_CACHE_SIZE = 100,          /* read-only: results now cached */
    HG_OPT_GENERATION = 101,          /* read-only: bumped by every set_lists / set_int */
    HG_OPT_LIST_COUNT = 102           /* read-only: lists in the active set */
} hg_option;

/** Scans attachments. hg_scan may be called from any number of threads at once
 *  on one scanner; hg_scanner_set_lists and hg_scanner_set_int may be called while
 *  scans run (they never wait for scans; scans never see a half-built list). */
typedef struct hg_scanner hg_scanner;

/** A new scanner with default options and no lists; NULL when out of memory. Thread-safe. */
HG_API hg_scanner* hg_scanner_create(void);
/** Frees a scanner (NULL is fine). No scan may be running on it. */
HG_API void hg_scanner_free(hg_scanner* scanner);
/** Sets an option for scans that start afterwards. Thread-safe. */
HG_API hg_status hg_scanner_set_int(hg_scanner* scanner, int key, long long value);
/** Reads an option or a read-only figure. Thread-safe. */
HG_API hg_status hg_scanner_get_int(const hg_scanner* scanner, int key, long long* value);
/** Atomically replaces the scanner's lists with a frozen copy of `lists` (NULL: none),
 *  building the indexes in the calling thread first. Scans in progress finish with the
 *  old lists, which are freed when the last of them returns. Clears the seen-bytes
 *  cache. Thread-safe with hg_scan; `lists` is only read. */
HG_API hg_status hg_scanner_set_lists(hg_scanner* scanner, const hg_lists* lists);

/* ------------------------------------------------------------------ scanning */
typedef enum hg_verdict {
    HG_VERDICT_NO_MATCH = 0,       /* scanned, no list matched */
    HG_VERDICT_MATCH = 1,          /* a block list matched (and no allow list) */
    HG_VERDICT_ALLOWED = 2,        /* an allow list matched: overrides block matches */
    HG_VERDICT_ERROR = 3,          /* not decodable/hashable and no exact-digest match; see hg_result_status */
    HG_VERDICT_BELOW_QUALITY = 4   /* decoded, but too flat/small for some PDQ list's min quality; no match */
} hg_verdict;

typedef struct hg_result hg_result;

/** Scans one attachment: decodes it once, computes its PDQ hash (8 dihedral variants;
 *  also inside letterbox borders) and the digests lists need, and looks all of it up.
 *  On HG_OK, *result is a new result to free with hg_result_free, even when the
 *  attachment itself was bad (verdict HG_VERDICT_ERROR, cause in hg_result_status).
 *  Other statuses mean no result (*result is NULL): NULL arguments, out of memory.
 *  Thread-safe. */
HG_API hg_status hg_scan(hg_scanner* scanner, const void* data, size_t len, hg_result** result);
/** Reads the file (up to HG_OPT_MAX_INPUT_BYTES) and scans it; an unreadable file is
 *  HG_ERR_IO with no result. Thread-safe. */
HG_API hg_status hg_scan_file(hg_scanner* scanner, const char* path, hg_result** result);

/** Frees a result (NULL is fine). Results are independent of their scanner. */
HG_API void hg_result_free(hg_result* result);

/* Result accessors: read-only; one result may be read from several threads. */
HG_API hg_verdict hg_result_verdict(const hg_result* result);
HG_API const char* hg_verdict_name(int verdict);
/** Why the attachment could not be hashed (HG_OK when it was). */
HG_API hg_status hg_result_status(const hg_result* result);

typedef enum hg_result_key {
    HG_RESULT_HAS_PDQ = 0,        /* 1 when a PDQ hash was computed */
    HG_RESULT_QUALITY = 1,        /* PDQ quality 0..100 */
    HG_RESULT_WIDTH = 2,
    HG_RESULT_HEIGHT = 3,
    HG_RESULT_LETTERBOXED = 4,    /* 1 when uniform borders were found and the inside hashed too */
    HG_RESULT_INNER_QUALITY = 5,
    HG_RESULT_MATCH_COUNT = 6,    /* all matches found (hg_result_match_count may be fewer: HG_OPT_MAX_MATCHES) */
    HG_RESULT_CACHED = 7,         /* 1 when answered from the seen-bytes cache */
    HG_RESULT_GENERATION = 8,     /* the scanner generation (lists + options) that answered */
    HG_RESULT_INPUT_BYTES = 9,
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
    HG_RESULT_ERROR = 5,          /* message for hg_result_status */
    HG_RESULT_FORMAT = 6,         /* "jpeg", "png", ... ("unknown") */
    HG_RESULT_JSON = 7            /* the whole result as one JSON object */
} hg_result_str_key;
/** A string field; NULL when not computed (e.g. no PDQ hash) or an unknown key. */
HG_API const char* hg_result_str(const hg_result* result, int key);

/** Matches kept in the result. */
HG_API size_t hg_result_match_count(const hg_result* result);

typedef enum hg_match_key {
    HG_MATCH_DISTANCE = 0,   /* PDQ Hamming distance; 0 for exact digests */
    HG_MATCH_TRANSFORM = 1,  /* which dihedral variant of the attachment matched: 0 original, 1 rot90,
                                2 rot180, 3 rot270, 4 flipx, 5 flipy, 6 flipplus1, 7 flipminus1 */
    HG_MATCH_ROLE = 2,       /* hg_role of the list */
    HG_MATCH_KIND = 3,       /* hg_kind of the list */
    HG_MATCH_INNER = 4       /* 1 when the content inside letterbox borders matched */
} hg_match_key;
/** An integer field of match i; -1 when i or key is out of range. */
HG_API long long hg_match_int(const hg_result* result, size_t i, int key);

typedef enum hg_match_str_key {
    HG_MATCH_LIST = 0,            /* the list's name */
    HG_MATCH_ID = 1,              /* the entry's id (id column, else its line number) */
    HG_MATCH_METADATA = 2,        /* the rest of the entry's line */
    HG_MATCH_TRANSFORM_NAME = 3   /* "original", "rot90", ... */
} hg_match_str_key;
/** A string field of match i; NULL when i or key is out of range. */
HG_API const char* hg_match_str(const hg_result* result, size_t i, int key);

#ifdef __cplusplus
}
#endif

#endif /* HASHGUARD_H */
