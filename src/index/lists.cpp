// Hash-list text formats: bare hashes, the reference tools' `hash,meta` and
// `hash=...,k=v` lines, and CSV with a header naming the hash column.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_map>

#include <xxhash.h>

#include "common/errors.hpp"
#include "hashguard/lists.hpp"

namespace hashguard {

const char* hash_kind_name(HashKind k) noexcept {
    switch (k) {
        case HashKind::pdq: return "pdq";
        case HashKind::md5: return "md5";
        case HashKind::sha1: return "sha1";
        case HashKind::sha256: return "sha256";
    }
    return "unknown";
}

std::string Digest::to_hex() const {
    static const char kDigits[] = "0123456789abcdef";
    std::string s(2 * size, '0');
    for (int i = 0; i < size; ++i) {
        s[2 * i] = kDigits[bytes[i] >> 4];
        s[2 * i + 1] = kDigits[bytes[i] & 15];
    }
    return s;
}

namespace {

int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool parse_digest(std::string_view hex, Digest& d) {
    switch (hex.size()) {
        case 32: d.kind = HashKind::md5; break;
        case 40: d.kind = HashKind::sha1; break;
        case 64: d.kind = HashKind::sha256; break;
        default: return false;
    }
    d.size = static_cast<std::uint8_t>(hex.size() / 2);
    d.bytes.fill(0);
    for (std::size_t i = 0; i < d.size; ++i) {
        const int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        d.bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s) {
    std::string r(s);
    for (auto& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return r;
}

// Splits a CSV line; fields may be double-quoted ("" is a quote inside).
// False on an unterminated quote.
bool split_csv(std::string_view line, std::vector<std::string>& fields) {
    fields.clear();
    std::string cur;
    bool quoted = false, was_quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < line.size() && line[i + 1] == '"') {
                    cur += '"';
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                cur += c;
            }
        } else if (c == '"' && trim(cur).empty()) {
            quoted = was_quoted = true;
            cur.clear();
        } else if (c == ',') {
            fields.push_back(was_quoted ? cur : std::string(trim(cur)));
            cur.clear();
            was_quoted = false;
        } else {
            cur += c;
        }
    }
    if (quoted) return false;
    fields.push_back(was_quoted ? cur : std::string(trim(cur)));
    return true;
}

bool is_hash_column(const std::string& name) {
    static const char* kNames[] = {"hash", "pdq", "pdq_hash", "signal", "signal_value", "md5", "sha1", "sha-1",
                                   "sha256", "sha-256", "sha_256", "sha_1"};
    for (const char* n : kNames)
        if (name == n) return true;
    return false;
}

// The unique entries of a list, keyed by XXH3 of the hash. A duplicate keeps
// the first id and joins its metadata (once, ' | '-separated, up to meta_cap).
struct EntryIndex {
    HashList& list;
    std::size_t meta_cap;
    std::unordered_map<std::uint64_t, std::vector<std::size_t>> buckets;

    EntryIndex(HashList& l, std::size_t cap) : list(l), meta_cap(cap) {
        const bool pdq = l.kind == ListKind::pdq;
        for (std::size_t i = 0; i < l.size(); ++i)
            buckets[key(pdq ? l.pdq[i] : Hash256{}, pdq ? Digest{} : l.digests[i])].push_back(i);
    }

    std::uint64_t key(const Hash256& h, const Digest& d) const {
        return list.kind == ListKind::pdq ? XXH3_64bits(h.w.data(), sizeof h.w) : XXH3_64bits(d.bytes.data(), d.size);
    }

    // Adds the entry; false when it was a duplicate (merged).
    bool add(const Hash256& h, const Digest& d, std::string id, std::string meta) {
        auto& bucket = buckets[key(h, d)];
        for (std::size_t e : bucket) {
            const bool same = list.kind == ListKind::pdq ? list.pdq[e] == h : list.digests[e] == d;
            if (!same) continue;
            std::string& m = list.metadata[e];
            const bool known = (" | " + m + " | ").find(" | " + meta + " | ") != std::string::npos;
            if (!meta.empty() && !known && m.size() + meta.size() < meta_cap) m += (m.empty() ? "" : " | ") + meta;
            return false;
        }
        bucket.push_back(list.ids.size());
        if (list.kind == ListKind::pdq) list.pdq.push_back(h);
        else list.digests.push_back(d);
        list.ids.push_back(std::move(id));
        list.metadata.push_back(std::move(meta));
        return true;
    }
};

struct Parser {
    std::string_view source;
    const ListParseOptions& opt;
    HashList& out;
    ListParseReport& rep;
    EntryIndex entries;
    // CSV state
    bool header_seen = false, csv = false;
    std::vector<std::string> header;
    int hash_col = -1, id_col = -1;
    std::vector<std::string> fields;

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
        if (hex.size() > 5 && lower(hex.substr(0, 5)) == "hash=") hex.remove_prefix(5);
        return opt.kind == ListKind::pdq ? Hash256::from_hex(hex, h) : parse_digest(hex, d);
    }

    void add(std::size_t line, const Hash256& h, const Digest& d, std::string id, std::string meta) {
        if (!entries.add(h, d, id.empty() ? std::to_string(line) : std::move(id), std::move(meta)))
            ++rep.duplicates_merged;
    }

    void line(std::size_t n, std::string_view text) {
        ++rep.lines;
        if (text.size() > opt.max_line_bytes) {
            problem(n, "line longer than " + std::to_string(opt.max_line_bytes) + " bytes");
            return;
        }
        text = trim(text);
        if (text.empty() || text.front() == '#') {
            ++rep.ignored_lines;
            return;
        }
        Hash256 h;
        Digest d;
        if (!header_seen) {
            header_seen = true;
            const auto comma = text.find(',');
            if (!parse_hash(text.substr(0, comma), h, d)) {
                // Not data: it must be a CSV header naming the hash column.
                if (!split_csv(text, header)) {
                    problem(n, "unterminated quote in header");
                    return;
                }
                for (std::size_t i = 0; i < header.size(); ++i) {
                    const std::string name = lower(header[i]);
                    if (hash_col < 0 && is_hash_column(name)) hash_col = static_cast<int>(i);
                    if (id_col < 0 && name == "id") id_col = static_cast<int>(i);
                }
                if (hash_col < 0) {
                    problem(n, bad_hash_reason() + ", and not a CSV header naming a hash column");
                    return;
                }
                csv = true;
                ++rep.ignored_lines;
                return;
            }
        }
        if (csv) {
            if (!split_csv(text, fields)) {
                problem(n, "unterminated quote");
                return;
            }
            if (fields.size() != header.size()) {
                problem(n, "has " + std::to_string(fields.size()) + " fields, the header has " +
                               std::to_string(header.size()));
                return;
            }
            if (!parse_hash(fields[static_cast<std::size_t>(hash_col)], h, d)) {
                problem(n, bad_hash_reason() + " in column '" + header[static_cast<std::size_t>(hash_col)] + "'");
                return;
            }
            std::string meta;
            for (std::size_t i = 0; i < fields.size(); ++i) {
                if (static_cast<int>(i) == hash_col || static_cast<int>(i) == id_col) continue;
                if (!meta.empty()) meta += ';';
                meta += header[i] + "=" + fields[i];
            }
            add(n, h, d, id_col >= 0 ? fields[static_cast<std::size_t>(id_col)] : std::string(), std::move(meta));
            return;
        }
        const auto comma = text.find(',');
        if (!parse_hash(text.substr(0, comma), h, d)) {
            problem(n, bad_hash_reason());
            return;
        }
        add(n, h, d, std::string(), comma == std::string_view::npos ? std::string() : std::string(trim(text.substr(comma + 1))));
    }
};

}  // namespace

Error parse_hash_list(std::string_view text, std::string_view source, HashList& out, const ListParseOptions& opt,
                      ListParseReport* report) noexcept {
    Error e = detail::guard([&]() -> Error {
        out = HashList{};
        out.kind = opt.kind;
        ListParseReport local;
        ListParseReport& rep = report ? *report : local;
        rep = ListParseReport{};
        if (text.size() >= 3 && std::memcmp(text.data(), "\xEF\xBB\xBF", 3) == 0) text.remove_prefix(3);
        Parser p{source, opt, out, rep, EntryIndex(out, opt.max_line_bytes), false, false, {}, -1, -1, {}};
        std::size_t n = 0, pos = 0;
        while (pos < text.size()) {
            const std::size_t end = text.find('\n', pos);
            const std::size_t stop = end == std::string_view::npos ? text.size() : end;
            p.line(++n, text.substr(pos, stop - pos));
            pos = stop + 1;
        }
        rep.entries = out.size();
        if (rep.bad_lines && !opt.skip_bad_lines) {
            std::string msg = rep.problems.front();
            if (rep.bad_lines > 1) msg += " (and " + std::to_string(rep.bad_lines - 1) + " more malformed lines)";
            return {Status::list_format, msg};
        }
        return {};
    });
    if (e) out = HashList{};
    return e;
}

void secure_clear(HashList& list) noexcept {
    if (!list.pdq.empty()) explicit_bzero(list.pdq.data(), list.pdq.size() * sizeof(Hash256));
    if (!list.digests.empty()) explicit_bzero(list.digests.data(), list.digests.size() * sizeof(Digest));
    for (auto* strings : {&list.ids, &list.metadata})
        for (std::string& str : *strings)
            if (str.capacity()) explicit_bzero(str.data(), str.capacity());
    list.pdq.clear();
    list.digests.clear();
    list.ids.clear();
    list.metadata.clear();
}

Error merge_hash_lists(HashList& into, const HashList& from, std::size_t* merged) noexcept {
    return detail::guard([&]() -> Error {
        if (merged) *merged = 0;
        if (into.kind != from.kind) return {Status::invalid_argument, "cannot merge a PDQ list with an exact-hash list"};
        EntryIndex entries(into, SIZE_MAX);  // same rule as the parser, without its line-length cap
        const bool pdq = from.kind == ListKind::pdq;
        for (std::size_t i = 0; i < from.size(); ++i)
            if (!entries.add(pdq ? from.pdq[i] : Hash256{}, pdq ? Digest{} : from.digests[i], from.ids[i], from.metadata[i]) &&
                merged)
                ++*merged;
        return {};
    });
}

Error load_hash_list(const std::string& path, HashList& out, const ListParseOptions& opt,
                     ListParseReport* report) noexcept {
    std::vector<std::uint8_t> bytes;
    if (Error e = read_file(path, bytes, std::size_t{4} << 30)) {
        e.message = path + ": " + e.message;
        return e;
    }
    return parse_hash_list(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path, out,
                           opt, report);
}

}  // namespace hashguard
