// hashguard — hash lists: PDQ lists and exact-hash (MD5/SHA-1/SHA-256) lists,
// read from the text formats lists are shared in.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hashguard/config.hpp"
#include "hashguard/pdq.hpp"
#include "hashguard/status.hpp"

namespace hashguard {

enum class HashKind : int { pdq = 0, md5 = 1, sha1 = 2, sha256 = 3 };
HASHGUARD_API const char* hash_kind_name(HashKind k) noexcept;

/// What a list holds: PDQ hashes (64 hex digits), or exact digests recognised
/// by length (32 hex: MD5, 40: SHA-1, 64: SHA-256).
enum class ListKind : int { pdq = 0, exact = 1 };

/// An exact digest (MD5, SHA-1 or SHA-256), bytes in printed order.
struct Digest {
    HashKind kind = HashKind::md5;
    std::uint8_t size = 0;  ///< 16, 20 or 32
    std::array<std::uint8_t, 32> bytes{};
    friend bool operator==(const Digest&, const Digest&) = default;
    HASHGUARD_API std::string to_hex() const;
};

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
/// starting with '#' are ignored; a UTF-8 BOM and CR line ends are accepted.
/// Errors name the source and line. Never throws.
HASHGUARD_API Error parse_hash_list(std::string_view text, std::string_view source, HashList& out,
                                    const ListParseOptions& options = {}, ListParseReport* report = nullptr) noexcept;

/// Reads and parses a list file (size capped at 4 GiB).
HASHGUARD_API Error load_hash_list(const std::string& path, HashList& out, const ListParseOptions& options = {},
                                   ListParseReport* report = nullptr) noexcept;

}  // namespace hashguard
