// The scanner: what hg_scan() runs. Decodes an attachment once, computes its
// PDQ hash with the 8 dihedral variants (and of the content inside uniform
// borders), MD5/SHA-1/SHA-256 of the raw bytes, looks everything up in an
// immutable ListSet and returns a verdict with every match.
//
// Never fails open: any error inside a scan (an allocation, a digest, an index
// lookup, the cache, the hasher) makes the verdict `error` with its status,
// never `no_match`, and such a result is not cached.
//
// Concurrency: a Scanner is shared by any number of scanning threads. The
// lists and the options are held together in one shared_ptr: a scan copies
// it once at its start (a refcount bump under a short lock) and keeps it alive
// to its end, so set_lists() and set_options() never wait for scans and scans
// never see a half-built list; an old ListSet is freed when the last scan holding it returns. Every
// publish bumps a generation number; cached results of other generations are
// never returned.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/secure.hpp"
#include "scan/delta.hpp"
#include "scan/list_index.hpp"
#include "hashguard/image.hpp"
#include "hashguard/index.hpp"
#include "hashguard/lists.hpp"
#include "hashguard/pdq.hpp"
#include "hashguard/status.hpp"
#include "hashguard/video.hpp"

namespace hashguard::scan {

enum class Role : int { block = 0, allow = 1 };
enum class Verdict : int { no_match = 0, match = 1, allowed = 2, error = 3, below_quality = 4 };
const char* verdict_name(Verdict v) noexcept;
const char* role_name(Role r) noexcept;

struct ListConfig {
    std::string name;
    HashKind kind = HashKind::pdq;
    int threshold = 31;    ///< PDQ: match when distance <= threshold (0..256)
    int min_quality = 50;  ///< PDQ: images below this quality are not matched against the list (vPDQ: frames)
    Role role = Role::block;
    int query_pct = 80;    ///< vPDQ: % of the video's unique frame hashes that must match a listed video
    int compared_pct = 0;  ///< vPDQ: % of the listed video's unique frame hashes that must be matched
};

/// A new, empty HashList whose memory is wiped (secure_clear) when the last
/// owner lets go: how the scanner, the C API and the config loader hold lists.
std::shared_ptr<HashList> new_secure_list();

/// One loaded list: its configuration, its base entries with their index (or
/// digest table), and the changes since the base (a ListDelta: additions in a
/// small index of their own, removals filtered out). Entry numbers run over
/// the base, then the additions.
struct LoadedList {
    ListConfig config;
    std::shared_ptr<const ListEntries> entries;     ///< the base; shared with whoever loaded it
    std::shared_ptr<const PdqIndex> index;          ///< PDQ lists: the base's (cached across reloads)
    std::shared_ptr<const ExactTable> exact;        ///< exact lists: the base's digest table
    std::shared_ptr<const ListDelta> delta;         ///< changes since the base, or null
    std::shared_ptr<const PdqIndex> delta_index;    ///< PDQ lists with a delta: over its additions
    std::shared_ptr<const ExactTable> delta_exact;  ///< exact lists with a delta: over its additions
    std::shared_ptr<const ListEntries> delta_entries;  ///< exact lists with a delta: its additions, as entries
    std::shared_ptr<const VpdqIndex> vpdq;          ///< vPDQ lists: every listed frame, by video

    std::size_t base_size() const noexcept { return entries->size(); }
    std::string id(std::uint32_t entry) const;
    std::string metadata(std::uint32_t entry) const;
};

/// An immutable set of lists. Build with add(), then hand to a Scanner as a
/// shared_ptr<const ListSet>; never modified after that.
class ListSet {
public:
    ListSet();
    ~ListSet();
    ListSet(const ListSet&) = delete;
    ListSet& operator=(const ListSet&) = delete;

    /// Adds a list with its index (built, or reused from an earlier build over
    /// the same entries) and, optionally, the changes since those entries.
    /// Names must be unique and non-empty; an exact list must hold only digests
    /// of its kind.
    Error add(const ListConfig& config, std::shared_ptr<const ListEntries> entries,
              std::shared_ptr<const ListDelta> delta = nullptr);

    const std::vector<std::unique_ptr<LoadedList>>& lists() const noexcept { return lists_; }
    bool needs(HashKind k) const noexcept { return needs_[static_cast<int>(k)]; }

    /// ListSets alive in this process (tests check old sets are freed).
    static long live_count() noexcept;

private:
    std::vector<std::unique_ptr<LoadedList>> lists_;
    bool needs_[5] = {false, false, false, false, false};
};

/// Bit of ScanOptions::digests for a digest kind (md5, sha1, sha256).
constexpr unsigned digest_bit(HashKind k) noexcept { return 1u << static_cast<int>(k); }
constexpr unsigned kAllDigests = digest_bit(HashKind::md5) | digest_bit(HashKind::sha1) | digest_bit(HashKind::sha256);

struct ScanOptions {
    DecodeOptions decode;                 ///< limits, fast mode, frame
    /// Videos (hashed when a vPDQ list is loaded): limits, sampling; a 2-minute budget by default.
    VideoOptions video = [] {
        VideoOptions v;
        v.max_decode_ms = 120000;
        return v;
    }();
    bool letterbox = true;                ///< also hash the content inside uniform borders
    int letterbox_tolerance = 24;         ///< per-channel difference still counted as "uniform"
    unsigned digests = 0;                 ///< digests always computed (digest_bit); lists' own kinds are anyway
    std::size_t max_matches = 100;        ///< matches kept per result (the count of all is kept too)
    std::size_t cache_entries = 4096;     ///< seen-bytes cache; 0 disables it
    std::size_t cache_bytes = 16u << 20;  ///< memory bound for the cache's results
    /// Hash videos even without a vPDQ list, and keep their frames in the
    /// result (ScanResult::vpdq): what a hash-sharing pipeline submits.
    bool keep_video_hashes = false;
};

struct Match {
    std::string list;
    Role role = Role::block;
    HashKind kind = HashKind::pdq;
    std::string id, metadata;
    int distance = 0;                         ///< PDQ Hamming distance (0 for exact)
    Transform transform = Transform::original;  ///< which variant of the attachment matched
    bool inner = false;                       ///< matched the content inside letterbox borders
    double query_pct = 0, compared_pct = 0;   ///< vPDQ: HMA's two percentages
    std::vector<float> timestamps;            ///< vPDQ: the attachment's frames that matched (seconds)
    std::string timestamps_text;              ///< vPDQ: the same, "%.3f" comma-separated (the C API's string)
};

struct Timings {
    std::uint32_t decode_us = 0, pdq_us = 0, digest_us = 0, match_us = 0, total_us = 0;
};

struct ScanResult {
    Verdict verdict = Verdict::no_match;
    /// Why the verdict is `error`: the attachment (decode failure, a limit) or
    /// the scan itself (out_of_memory, internal). Also set when exact lists
    /// still matched an undecodable attachment.
    Error error;

    bool has_pdq = false;  ///< decoded and hashable (or a hash given to scan_hash)
    std::array<Hash256, 8> pdq{};  ///< the dihedral variants, indexed by Transform
    int pdq_variants = 8;          ///< how many of pdq[] are known (scan_hash may give only the original)
    int quality = 0;
    int width = 0, height = 0;
    Format format = Format::unknown;

    bool letterboxed = false;  ///< uniform borders found; inner_* describe the content inside
    Rect inner_rect;
    std::array<Hash256, 8> inner_pdq{};
    int inner_quality = 0;

    bool has_md5 = false, has_sha1 = false, has_sha256 = false;
    Digest md5, sha1, sha256;

    bool video = false;               ///< hashed as a video (vPDQ), not as an image
    std::uint64_t video_frames = 0;   ///< frames decoded
    std::size_t video_hashes = 0;     ///< frames hashed (sampled, of any quality)
    double fps = 0;
    std::string video_codec;          ///< libavcodec's decoder name
    std::vector<VpdqFrame> vpdq;      ///< with ScanOptions::keep_video_hashes: the hashed frames
    bool vpdq_kept = false;           ///< keep_video_hashes and the video decoded (vpdq may still be empty)

    std::vector<Match> matches;     ///< block and allow matches, by list order then distance
    std::size_t match_count = 0;    ///< all matches found (matches holds the first max_matches)
    bool cached = false;            ///< answered from the seen-bytes cache
    std::uint64_t lists_generation = 0;  ///< which lists+options answered (bumped by set_lists/set_options)
    std::size_t input_bytes = 0;
    Timings timings;

    std::size_t memory_bytes() const noexcept;  ///< approximate, for the cache's bound
};

/// Finds uniform borders (rows/columns whose pixels all lie within `tolerance`
/// of the corner pixel on their side) and returns the rectangle inside them.
/// False when there are none, or when the inside is under 16 px a side or the
/// whole image is one flat colour.
bool find_letterbox(const Image& img, int tolerance, Rect& inner) noexcept;

/// One JSON object (no newline) describing a result.
std::string to_json(const ScanResult& r);

class ResultCache;

/// A hash a caller already has (hash-sharing pipelines): PDQ with its quality
/// (the original orientation only, or all 8 dihedral variants), or a digest.
struct GivenHash {
    HashKind kind = HashKind::pdq;
    std::vector<Hash256> pdq;  ///< 1 or 8 (Transform order)
    int quality = 100;
    Digest digest;
};

class Scanner {
public:
    explicit Scanner(const ScanOptions& options = {});
    ~Scanner();
    Scanner(const Scanner&) = delete;
    Scanner& operator=(const Scanner&) = delete;

    /// Atomically replaces the lists (nullptr: no lists); returns the new generation
    /// (set_options also bumps it). Clears the seen-bytes cache. Safe while other threads scan.
    std::uint64_t set_lists(std::shared_ptr<const ListSet> lists);
    std::shared_ptr<const ListSet> lists() const;

    /// Replaces the options for scans that start afterwards. Thread-safe.
    void set_options(const ScanOptions& options);
    ScanOptions options() const;

    /// Scans one attachment. Never throws and always fills `out`: a bad
    /// attachment or a failure inside the scan is a verdict `error` with the
    /// cause in out.error. Returns a non-ok Error only for invalid arguments.
    Error scan(const std::uint8_t* data, std::size_t len, ScanResult& out) noexcept;

    /// Looks up a hash the caller already computed, with the same verdict rules.
    Error scan_hash(const GivenHash& hash, ScanResult& out) noexcept;

    std::size_t cache_size() const noexcept;
    std::uint64_t generation() const { return current()->generation; }

    /// Bytes of decode and hash scratch this thread keeps between scans
    /// (bounded: a huge attachment's buffer is released after its scan).
    static std::size_t thread_scratch_bytes() noexcept;
    static constexpr std::size_t kMaxKeptScratch = std::size_t{48} << 20;

private:
    // Lists + options + generation, swapped as one so a scan sees a consistent trio.
    struct Active {
        std::shared_ptr<const ListSet> lists;
        ScanOptions options;
        std::uint64_t generation = 0;
    };
    void publish(std::shared_ptr<const ListSet> lists, const ScanOptions& options);
    Error scan_bytes(const Active& active, const std::uint8_t* data, std::size_t len, ScanResult& out);
    // The active trio is read under a short lock, not through
    // std::atomic<std::shared_ptr>: GCC 12's lock-bit implementation of that
    // specialisation is invisible to ThreadSanitizer, which then reports the
    // store/load pair as a race. The critical section is one refcount bump.
    std::shared_ptr<const Active> current() const;
    mutable std::mutex active_mutex_;
    std::shared_ptr<const Active> active_;  // guarded by active_mutex_
    std::uint64_t generation_ = 0;  // guarded by writer_
    std::mutex writer_;  // serialises set_lists / set_options against each other
    std::unique_ptr<ResultCache> cache_;
};

}  // namespace hashguard::scan
