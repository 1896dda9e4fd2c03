// Hash-list text formats: bare hashes, the reference tools' `hash,meta` and
// `hash=...,k=v` lines, and CSV with a header naming the hash column.
//
// List contents are sensitive. Every buffer holding them is reserved once at
// its final size (no growth frees an unwiped copy), merged metadata replaces
// its old string only after wiping it, and the raw file text is wiped when
// freed (SecureBytes).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <string>

#include <xxhash.h>

#include "common/errors.hpp"
#include "common/hex.hpp"
#include "common/io.hpp"
#include "common/secure.hpp"
#include "hashguard/csv.hpp"
#include "hashguard/lists.hpp"
#include "index/dedupe.hpp"

namespace hashguard {

const char* hash_kind_name(HashKind k) noexcept {
    switch (k) {
        case HashKind::pdq: return "pdq";
        case HashKind::md5: return "md5";
        case HashKind::sha1: return "sha1";
        case HashKind::sha256: return "sha256";
        case HashKind::vpdq: return "vpdq";
    }
    return "unknown";
}

std::string Digest::to_hex() const { return detail::hex_string(bytes.data(), size); }

namespace {

bool parse_digest(std::string_view hex, Digest& d) {
    switch (hex.size()) {
        case 32: d.kind = HashKind::md5; break;
        case 40: d.kind = HashKind::sha1; break;
        case 64: d.kind = HashKind::sha256; break;
        default: return false;
    }
    d.size = static_cast<std::uint8_t>(hex.size() / 2);
    d.bytes.fill(0);
    return detail::hex_decode(hex, d.bytes.data());
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

bool is_hash_column(std::string_view name) {
    static const char* kNames[] = {"hash", "pdq", "pdq_hash", "signal", "signal_value", "md5", "sha1", "sha-1",
                                   "sha256", "sha-256", "sha_256", "sha_1"};
    for (const char* n : kNames)
        if (iequals(name, n)) return true;
    return false;
}

// Whether `meta` is one of the " | "-separated parts of `joined`.
bool has_part(std::string_view joined, std::string_view meta) {
    for (std::size_t pos = 0;;) {
        const std::size_t end = joined.find(" | ", pos);
        if (joined.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos) == meta) return true;
        if (end == std::string_view::npos) return false;
        pos = end + 3;
    }
}

// The unique entries of a list in a flat open-addressing table (a slot holds
// the high 32 bits of the hash's XXH3 and the entry number; load <= 2/3, so a
// 10^7-entry list dedupes without 10^7 small allocations). A duplicate keeps
// the first id and joins its metadata (once, ' | '-separated, up to meta_cap).
struct EntryIndex {
    static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
    HashList& list;
    std::size_t meta_cap;
    std::vector<std::uint64_t> table;

    EntryIndex(HashList& l, std::size_t cap) : list(l), meta_cap(cap) {
        rehash(std::max(l.ids.capacity(), l.size()));
    }

    std::uint64_t key(const Hash256& h, const Digest& d) const {
        return list.kind == ListKind::pdq ? XXH3_64bits(h.w.data(), sizeof h.w) : XXH3_64bits(d.bytes.data(), d.size);
    }
    std::uint64_t key_of(std::size_t i) const {
        return list.kind == ListKind::pdq ? key(list.pdq[i], Digest{}) : key(Hash256{}, list.digests[i]);
    }
    bool same(std::size_t e, const Hash256& h, const Digest& d) const {
        return list.kind == ListKind::pdq ? list.pdq[e] == h : list.digests[e] == d;
    }

    // Room for `expected` entries; every current entry placed again.
    void rehash(std::size_t expected) {
        std::size_t slots = 16;
        while (slots < expected + expected / 2) slots <<= 1;
        table.assign(slots, kEmpty);
        for (std::size_t i = 0; i < list.size(); ++i) {
            const std::uint64_t k = key_of(i);
            std::size_t a = k & (slots - 1);
            while (table[a] != kEmpty) a = (a + 1) & (slots - 1);
            table[a] = (k & 0xFFFFFFFF00000000ull) | i;
        }
    }

    // The slot holding an equal entry, or the empty slot where it goes.
    std::size_t slot(const Hash256& h, const Digest& d, std::uint64_t k) const {
        const std::size_t mask = table.size() - 1;
        for (std::size_t a = k & mask;; a = (a + 1) & mask) {
            const std::uint64_t there = table[a];
            if (there == kEmpty) return a;
            if ((there & 0xFFFFFFFF00000000ull) == (k & 0xFFFFFFFF00000000ull) && same(there & 0xFFFFFFFFu, h, d))
                return a;
        }
    }

    void join_metadata(std::string& m, std::string_view meta) const {
        if (meta.empty() || has_part(m, meta) || m.size() + meta.size() >= meta_cap) return;
        std::string joined;
        joined.reserve(m.size() + 3 + meta.size());
        joined.append(m).append(m.empty() ? "" : " | ").append(meta);
        detail::wipe(m);
        m = std::move(joined);
    }

    // Adds the entry; false when it was a duplicate (merged).
    bool add(const Hash256& h, const Digest& d, std::string id, std::string meta) {
        if ((list.size() + 1) * 3 > table.size() * 2) rehash(2 * (list.size() + 1));
        const std::uint64_t k = key(h, d);
        const std::size_t a = slot(h, d, k);
        if (table[a] != kEmpty) {
            join_metadata(list.metadata[table[a] & 0xFFFFFFFFu], meta);
            detail::wipe(meta);
            detail::wipe(id);
            return false;
        }
        table[a] = (k & 0xFFFFFFFF00000000ull) | list.size();
        if (list.kind == ListKind::pdq) list.pdq.push_back(h);
        else list.digests.push_back(d);
        list.ids.push_back(std::move(id));
        list.metadata.push_back(std::move(meta));
        return true;
    }
};

// Reserves room for `n` more entries in every column, so that adding them
// never reallocates (a reallocation would free an unwiped copy).
void reserve_entries(HashList& l, std::size_t n) {
    const std::size_t total = l.size() + n;
    if (l.kind == ListKind::pdq) l.pdq.reserve(total);
    else l.digests.reserve(total);
    l.ids.reserve(total);
    l.metadata.reserve(total);
}

// Where the line starting at pos ends: the first LF or CR (memchr for each,
// the CR only up to the LF: string_view::find_first_of calls memchr per byte).
std::size_t line_end(std::string_view text, std::size_t pos) {
    const char* b = text.data() + pos;
    const std::size_t left = text.size() - pos;
    const void* lf = std::memchr(b, '\n', left);
    const std::size_t upto = lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - b) : left;
    const void* cr = std::memchr(b, '\r', upto);
    return pos + (cr ? static_cast<std::size_t>(static_cast<const char*>(cr) - b) : upto);
}

// Calls f(line_number, line) for each line; lines end with LF, CRLF or CR.
template <class F>
std::size_t for_each_line(std::string_view text, F&& f) {
    std::size_t n = 0, pos = 0;
    while (pos < text.size()) {
        const std::size_t stop = line_end(text, pos);
        f(++n, text.substr(pos, stop - pos));
        pos = stop + 1;
        if (stop < text.size() && text[stop] == '\r' && pos < text.size() && text[pos] == '\n') ++pos;
    }
    return n;
}

// Lines long enough to hold an entry (the shortest hash, MD5, has 32 hex
// digits): what the columns are reserved for, so blank or short lines do not
// make a small file reserve much.
std::size_t count_entry_lines(std::string_view text) {
    std::size_t n = 0;
    for_each_line(text, [&](std::size_t, std::string_view line) { n += line.size() >= 32; });
    return n;
}

struct Parser {
    Parser(std::string_view src, const ListParseOptions& o, HashList& l, ListParseReport& r)
        : source(src), opt(o), out(l), rep(r), entries(l, o.max_line_bytes) {}
    std::string_view source;
    const ListParseOptions& opt;
    HashList& out;
    ListParseReport& rep;
    EntryIndex entries;
    bool header_seen = false, csv = false;
    std::vector<std::string> header, fields;
    int hash_col = -1, id_col = -1;

    ~Parser() {
        for (auto* v : {&header, &fields})
            for (std::string& s : *v) detail::wipe(s);
    }

    std::string where(std::size_t line) const { return std::string(source) + ":" + std::to_string(line); }

    void problem(std::size_t line, const std::string& why) {
        ++rep.bad_lines;
        if (rep.problems.size() < 100) rep.problems.push_back(where(line) + ": " + why);
    }

    std::string bad_hash_reason() const {
        return opt.kind == ListKind::pdq ? "not a 64-digit hex PDQ hash"
                                         : "not an MD5, SHA-1 or SHA-256 hex digest (32, 40 or 64 hex digits)";
    }

    // Parses one hash field; false when malformed.
    bool parse_hash(std::string_view hex, Hash256& h, Digest& d) const {
        hex = trim(hex);
        if (hex.size() > 5 && iequals(hex.substr(0, 5), "hash=")) hex.remove_prefix(5);
        return opt.kind == ListKind::pdq ? Hash256::from_hex(hex, h) : parse_digest(hex, d);
    }

    void add(std::size_t line, const Hash256& h, const Digest& d, std::string id, std::string meta) {
        if (!entries.add(h, d, id.empty() ? std::to_string(line) : std::move(id), std::move(meta)))
            ++rep.duplicates_merged;
    }

    // The first non-blank line is either data or a CSV header naming the hash column.
    void read_header(std::size_t n, std::string_view text) {
        if (!csv::split(text, header)) return problem(n, "unterminated quote in header");
        for (std::size_t i = 0; i < header.size(); ++i) {
            if (hash_col < 0 && is_hash_column(header[i])) hash_col = static_cast<int>(i);
            if (id_col < 0 && iequals(header[i], "id")) id_col = static_cast<int>(i);
        }
        if (hash_col < 0) return problem(n, bad_hash_reason() + ", and not a CSV header naming a hash column");
        csv = true;
        ++rep.ignored_lines;
    }

    void csv_line(std::size_t n, std::string_view text) {
        if (!csv::split(text, fields)) return problem(n, "unterminated quote");
        if (fields.size() != header.size())
            return problem(n, "has " + std::to_string(fields.size()) + " fields, the header has " +
                                  std::to_string(header.size()));
        Hash256 h;
        Digest d;
        const auto hc = static_cast<std::size_t>(hash_col);
        if (!parse_hash(fields[hc], h, d)) return problem(n, bad_hash_reason() + " in column '" + header[hc] + "'");
        std::string meta;
        for (std::size_t i = 0; i < fields.size(); ++i) {
            if (static_cast<int>(i) == hash_col || static_cast<int>(i) == id_col) continue;
            if (!meta.empty()) meta += ';';
            meta.append(header[i]).append("=").append(fields[i]);
        }
        add(n, h, d, id_col >= 0 ? fields[static_cast<std::size_t>(id_col)] : std::string(), std::move(meta));
    }

    void line(std::size_t n, std::string_view text) {
        ++rep.lines;
        if (text.size() > opt.max_line_bytes)
            return problem(n, "line longer than " + std::to_string(opt.max_line_bytes) + " bytes");
        text = trim(text);
        if (text.empty() || text.front() == '#') {
            ++rep.ignored_lines;
            return;
        }
        Hash256 h;
        Digest d;
        const auto comma = text.find(',');
        const bool is_data = parse_hash(text.substr(0, comma), h, d);
        if (!header_seen) {
            header_seen = true;
            if (!is_data) return read_header(n, text);
        }
        if (csv) return csv_line(n, text);
        if (!is_data) return problem(n, bad_hash_reason());
        add(n, h, d, std::string(),
            comma == std::string_view::npos ? std::string() : std::string(trim(text.substr(comma + 1))));
    }
};

Error no_entries(std::string_view source, const ListParseReport& rep) {
    std::string why = std::string(source) + ": the list has no entries";
    if (rep.lines == 0) why += " (empty)";
    else if (rep.bad_lines) why += " (every entry line was malformed and skipped)";
    else why += " (only blank lines, comments or a header)";
    return {Status::list_format, why + "; a list may be empty only when allowed explicitly"};
}

}  // namespace

Error parse_hash_list(std::string_view text, std::string_view source, HashList& out, const ListParseOptions& opt,
                      ListParseReport* report) noexcept {
    Error e = detail::guard([&]() -> Error {
        secure_clear(out);
        out.kind = opt.kind;
        ListParseReport local;
        ListParseReport& rep = report ? *report : local;
        rep = ListParseReport{};
        if (text.size() >= 3 && std::memcmp(text.data(), "\xEF\xBB\xBF", 3) == 0) text.remove_prefix(3);
        reserve_entries(out, count_entry_lines(text));
        Parser p(source, opt, out, rep);
        for_each_line(text, [&](std::size_t n, std::string_view line) { p.line(n, line); });
        rep.entries = out.size();
        if (rep.bad_lines && !opt.skip_bad_lines) {
            std::string msg = rep.problems.front();
            if (rep.bad_lines > 1) msg += " (and " + std::to_string(rep.bad_lines - 1) + " more malformed lines)";
            return {Status::list_format, msg};
        }
        if (out.size() == 0 && !opt.allow_empty) return no_entries(source, rep);
        return {};
    });
    if (e) secure_clear(out);
    return e;
}

void secure_clear(HashList& list) noexcept {
    detail::wipe(list.pdq);
    detail::wipe(list.digests);
    for (auto* strings : {&list.ids, &list.metadata}) {
        for (std::string& str : *strings) detail::wipe(str);
        strings->clear();
    }
}

Error merge_hash_lists(HashList& into, const HashList& from, std::size_t* merged) noexcept {
    return detail::guard([&]() -> Error {
        if (merged) *merged = 0;
        if (into.kind != from.kind) return {Status::invalid_argument, "cannot merge a PDQ list with an exact-hash list"};
        if (into.size() + from.size() > into.ids.capacity()) {  // grow once, by copies that are wiped
            HashList grown;
            grown.kind = into.kind;
            reserve_entries(grown, into.size() + from.size());
            grown.pdq = into.pdq;
            grown.digests = into.digests;
            grown.ids = into.ids;
            grown.metadata = into.metadata;
            secure_clear(into);
            into = std::move(grown);
        }
        EntryIndex entries(into, SIZE_MAX);  // same rule as the parser, without its line-length cap
        const bool pdq = from.kind == ListKind::pdq;
        for (std::size_t i = 0; i < from.size(); ++i)
            if (!entries.add(pdq ? from.pdq[i] : Hash256{}, pdq ? Digest{} : from.digests[i], from.ids[i],
                             from.metadata[i]) &&
                merged)
                ++*merged;
        return {};
    });
}

Error load_hash_list(const std::string& path, HashList& out, const ListParseOptions& opt,
                     ListParseReport* report) noexcept {
    Error e = detail::guard([&]() -> Error {
        detail::SecureBytes bytes;
        if (Error re = detail::read_regular_file(path, bytes, std::size_t{4} << 30)) {
            re.message = path + ": " + re.message;
            return re;
        }
        return parse_hash_list(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path,
                               out, opt, report);
    });
    return e;
}

namespace detail {

// The positions of the first occurrence of every distinct record, in input
// order: one pass through an open-addressing table of positions (keyed by the
// XXH3 of each record, compared in full on a hit; load <= 2/3), linear in the
// count. The table is larger than the caches: each batch of records first
// prefetches its slots, so the misses overlap instead of queueing.
std::vector<std::uint32_t> first_occurrences(const std::uint8_t* data, std::size_t count, std::size_t width) {
    std::size_t slots = 16;
    while (slots < count + count / 2) slots <<= 1;
    constexpr std::uint64_t kEmpty = ~std::uint64_t{0};  // a slot: high 32 bits of the XXH3, then the position
    constexpr std::size_t kBatch = 16;
    std::vector<std::uint64_t> table(slots, kEmpty);
    std::vector<std::uint32_t> keep;
    keep.reserve(count);
    std::uint64_t hash[kBatch];
    for (std::size_t b = 0; b < count; b += kBatch) {
        const std::size_t n = std::min(kBatch, count - b);
        for (std::size_t k = 0; k < n; ++k) {
            hash[k] = XXH3_64bits(data + (b + k) * width, width);
            __builtin_prefetch(&table[hash[k] & (slots - 1)]);
        }
        for (std::size_t k = 0; k < n; ++k) {
            const std::uint8_t* rec = data + (b + k) * width;
            const std::uint64_t tag = hash[k] & 0xFFFFFFFF00000000ull;
            for (std::size_t a = hash[k] & (slots - 1);; a = (a + 1) & (slots - 1)) {
                const std::uint64_t there = table[a];
                if (there == kEmpty) {
                    table[a] = tag | (b + k);
                    keep.push_back(static_cast<std::uint32_t>(b + k));
                    break;
                }
                if ((there & 0xFFFFFFFF00000000ull) == tag &&
                    std::memcmp(data + (there & 0xFFFFFFFFu) * width, rec, width) == 0)
                    break;  // a duplicate
            }
        }
    }
    return keep;
}

}  // namespace detail

Error load_binary_hashes(const std::string& path, HashList& out, ListParseReport* report) noexcept {
    Error e = detail::guard([&]() -> Error {
        secure_clear(out);
        out.kind = ListKind::pdq;
        detail::SecureBytes bytes;
        if (Error re = detail::read_regular_file(path, bytes, std::size_t{4} << 30)) {
            re.message = path + ": " + re.message;
            return re;
        }
        if (bytes.size() % 32 != 0)
            return {Status::list_format, path + ": " + std::to_string(bytes.size()) +
                                             " bytes is not a whole number of 32-byte PDQ hashes"};
        const std::size_t n = bytes.size() / 32;
        if (n >= UINT32_MAX) return {Status::list_format, path + ": more than 2^32-2 hashes"};
        const std::vector<std::uint32_t> keep = detail::first_occurrences(bytes.data(), n, 32);
        reserve_entries(out, keep.size());
        for (const std::uint32_t i : keep) {
            out.pdq.push_back(Hash256::from_bytes(bytes.data() + 32 * std::size_t{i}));
            out.ids.push_back(std::to_string(std::size_t{i} + 1));
        }
        out.metadata.resize(keep.size());
        const std::size_t dups = n - keep.size();
        if (report) {
            *report = ListParseReport{};
            report->entries = out.size();
            report->duplicates_merged = dups;
        }
        return {};
    });
    if (e) secure_clear(out);
    return e;
}

}  // namespace hashguard
