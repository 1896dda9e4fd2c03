// hashguard — hash lists: PDQ lists and exact-hash (MD5/SHA-1/SHA-256) lists,
// read from the text formats lists are shared in, and binary snapshots.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hashguard/config.hpp"
#include "hashguard/pdq.hpp"
#include "hashguard/status.hpp"

namespace hashguard {

enum class HashKind : int { pdq = 0, md5 = 1, sha1 = 2, sha256 = 3, vpdq = 4 };
HASHGUARD_API const char* hash_kind_name(HashKind k) noexcept;

/// What a list holds: PDQ hashes (64 hex digits), or exact digests recognised
/// by length (32 hex: MD5, 40: SHA-1, 64: SHA-256).
enum class ListKind : int { pdq = 0, exact = 1, vpdq = 2 /* videos: see video.hpp */ };

/// An exact digest (MD5, SHA-1 or SHA-256), bytes in printed order.
struct Digest {
    HashKind kind = HashKind::md5;
    std::uint8_t size = 0;  ///< 16, 20 or 32
    std::array<std::uint8_t, 32> bytes{};
    friend bool operator==(const Digest&, const Digest&) = default;
    HASHGUARD_API std::string to_hex() const;
};

/// The MD5, SHA-1 or SHA-256 digest of `len` bytes at `data`, computed by the
/// system's libcrypto, which is loaded the first time a digest is asked for
/// (a process that never needs one never loads it). Errors: invalid_argument
/// for HashKind::pdq; internal when libcrypto cannot be loaded (the message
/// names it and why). Thread-safe.
HASHGUARD_API Error compute_digest(HashKind kind, const void* data, std::size_t len, Digest& out) noexcept;

/// A parsed list. Entry i is pdq[i] (PDQ lists) or digests[i] (exact lists),
/// with ids[i] and metadata[i]. Entries are unique: duplicates were merged.
struct HashList {
    ListKind kind = ListKind::pdq;
    std::vector<Hash256> pdq;
    std::vector<Digest> digests;
    std::vector<std::string> ids;       ///< the "id" column, else the source line number
    std::vector<std::string> metadata;  ///< the rest of the line (see parse_hash_list)

    std::size_t size() const noexcept { return ids.size(); }
};

struct ListParseOptions {
    ListKind kind = ListKind::pdq;
    /// By default one malformed line rejects the whole list (nothing is
    /// returned). With skip_bad_lines they are skipped, counted and reported.
    bool skip_bad_lines = false;
    /// By default a list with no entries (an empty file, only blank lines,
    /// comments or a header, every line skipped, a 0-entry snapshot) is an
    /// error: a scanner must not silently run without the hashes it was given.
    bool allow_empty = false;
    std::size_t max_line_bytes = 64 * 1024;  ///< longer lines are malformed
};

struct ListParseReport {
    std::size_t lines = 0;              ///< lines read
    std::size_t entries = 0;            ///< unique entries kept
    std::size_t duplicates_merged = 0;  ///< lines whose hash was already listed
    std::size_t bad_lines = 0;          ///< malformed lines (skipped or fatal)
    std::size_t ignored_lines = 0;      ///< blank, comment (#) and header lines
    std::vector<std::string> problems;  ///< "source:line: reason", the first 100
};

/// Parses a list held in memory. Accepted line forms:
///   - a bare hash:                         `<hex>`
///   - the reference tools' form:           `<hex>,metadata...` or `hash=<hex>,k=v,...`
///   - CSV whose first line is a header naming the hash column (`hash`, `pdq`,
///     `signal`, `signal_value`, `md5`, `sha1`, `sha256`; optional `id`), fields
///     optionally double-quoted.
/// Metadata is the rest of the line after the hash (reference form) or the
/// other columns as `name=value` joined by `;` (CSV). Blank lines and lines
/// starting with '#' are ignored; a UTF-8 BOM is skipped; lines end with LF,
/// CRLF or a lone CR. Errors name the source and line. Never throws.
HASHGUARD_API Error parse_hash_list(std::string_view text, std::string_view source, HashList& out,
                                    const ListParseOptions& options = {}, ListParseReport* report = nullptr) noexcept;

/// Reads and parses a text list file (a regular file of at most 4 GiB).
HASHGUARD_API Error load_hash_list(const std::string& path, HashList& out, const ListParseOptions& options = {},
                                   ListParseReport* report = nullptr) noexcept;

/// Loads a list file of either form: a binary snapshot (recognised by its magic;
/// its kind must equal options.kind) or a text list (parse_hash_list rules).
HASHGUARD_API Error load_list_file(const std::string& path, HashList& out, const ListParseOptions& options = {},
                                   ListParseReport* report = nullptr) noexcept;

/// Reads a file of binary PDQ hashes (32 bytes each, the bytes the hex digits
/// spell, as hg_lists_add_binary takes them). Entry ids are the hashes'
/// 1-based positions in the file; duplicates are dropped (the first kept) and
/// counted in report->duplicates_merged.
HASHGUARD_API Error load_binary_hashes(const std::string& path, HashList& out,
                                       ListParseReport* report = nullptr) noexcept;

/// True when the file at `path` starts with the snapshot magic.
HASHGUARD_API bool is_snapshot_file(const std::string& path) noexcept;

/// Appends `from`'s entries to `into` (same kind), merging duplicates as the
/// parser does (first id kept, metadata joined). `merged` receives the number
/// of entries of `from` that were duplicates.
HASHGUARD_API Error merge_hash_lists(HashList& into, const HashList& from, std::size_t* merged = nullptr) noexcept;

/// Overwrites every hash, digest, id and metadata byte of `list` (the whole
/// capacity of each buffer, with explicit_bzero: not optimised away) and
/// empties it. List contents are sensitive: the library clears every list it
/// loads this way before freeing it.
HASHGUARD_API void secure_clear(HashList& list) noexcept;

/// What a snapshot stores beside the entries.
struct SnapshotOptions {
    /// A built PDQ index to store, so that opening the snapshot is a map plus
    /// checks, no build: "none", "auto" (the index a scanner builds for a list
    /// searched at `radius`), "mih", "mih:<9..48>" or "scan" (make_pdq_index's
    /// specs; a "bktree" cannot be stored). PDQ lists only. A scanner uses a
    /// stored index whatever its list's threshold (every index is exact at any
    /// radius); build it with the radius you match at for the fastest shape.
    std::string index = "none";
    int radius = 31;
};

/// Writes a binary snapshot: a versioned header, the hashes contiguous and
/// 64-byte aligned, ids and metadata behind an offset table (none when the ids
/// are 1..n with no metadata, as for binary lists), optionally a built index,
/// and a checksum of everything after the header (XXH3-64 over 64 MiB blocks).
/// Written to a temporary file and renamed, so readers never see a partial
/// snapshot.
HASHGUARD_API Error save_snapshot(const HashList& list, const std::string& path) noexcept;
HASHGUARD_API Error save_snapshot(const HashList& list, const std::string& path,
                                  const SnapshotOptions& options) noexcept;

namespace detail {
struct SnapshotAccess;
}

/// A snapshot mapped read-only into memory. open() checks the header, the
/// section bounds and the checksum before anything is used; nothing is parsed.
/// Immutable: safe to read from many threads.
class HASHGUARD_API Snapshot {
public:
    ~Snapshot();
    Snapshot(const Snapshot&) = delete;
    Snapshot& operator=(const Snapshot&) = delete;

    static Error open(const std::string& path, std::unique_ptr<Snapshot>& out) noexcept;

    ListKind kind() const noexcept { return kind_; }
    std::size_t size() const noexcept { return count_; }
    std::size_t file_bytes() const noexcept { return bytes_; }
    std::uint64_t checksum() const noexcept { return checksum_; }

    Hash256 pdq(std::size_t i) const noexcept;        ///< PDQ snapshots
    Digest digest(std::size_t i) const noexcept;      ///< exact snapshots
    /// Empty when the ids are implicit (implicit_ids(): id i is i + 1).
    std::string_view id(std::size_t i) const noexcept;
    std::string_view metadata(std::size_t i) const noexcept;
    /// Format version (1, 2 or 3).
    std::uint32_t version() const noexcept { return version_; }
    /// True when entry i's id is i + 1 and there is no metadata (nothing stored).
    bool implicit_ids() const noexcept { return implicit_ids_; }
    /// The stored index's kind ("mih", "scan"), or empty when none is stored or
    /// the stored one is not used (stored_index_outdated()).
    const std::string& index_kind() const noexcept { return index_kind_; }
    /// True when the file stores an index in a layout this version no longer
    /// reads (a version 2 file's MIH tables): the index is built from the
    /// hashes on load; `hashguard list build OLD -o NEW` stores it again.
    bool stored_index_outdated() const noexcept { return outdated_index_; }
    /// The raw hash section: 32 bytes per PDQ hash (words 0..15, little-endian)
    /// or 40 per digest (kind, size, 6 zero bytes, then 32 digest bytes).
    const std::uint8_t* hash_bytes() const noexcept;

    /// A HashList copy (for building indexes).
    Error to_list(HashList& out) const noexcept;

    /// Verifies a snapshot held in memory (copied), e.g. from a blob store; the
    /// same checks as open(). `name` labels error messages.
    static Error from_bytes(const std::uint8_t* data, std::size_t len, std::unique_ptr<Snapshot>& out,
                            const std::string& name = "snapshot") noexcept;

private:
    friend struct detail::SnapshotAccess;
    Snapshot() = default;
    static Error verify(std::unique_ptr<Snapshot>& s, const std::string& name);
    std::vector<std::uint8_t> owned_;  ///< from_bytes: the copy base_ points into (else base_ is mapped)
    const std::uint8_t* base_ = nullptr;
    std::size_t bytes_ = 0, count_ = 0;
    ListKind kind_ = ListKind::pdq;
    std::uint64_t hashes_off_ = 0, index_off_ = 0, strings_off_ = 0, strings_bytes_ = 0, checksum_ = 0;
    std::uint32_t version_ = 0;
    bool implicit_ids_ = false, outdated_index_ = false;
    std::uint64_t pdq_index_off_ = 0;
    std::string index_kind_;
};

}  // namespace hashguard
