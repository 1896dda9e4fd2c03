// Shared by every feed reader: kind names, hash normalisation, counting.
#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/hex.hpp"
#include "common/utf8.hpp"
#include "hashguard/video.hpp"
#include "import/feed.hpp"

namespace hashguard::feeds {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

bool truthy(std::string_view s) {
    s = trim(s);
    for (const char* t : {"true", "1", "yes", "deleted", "withdrawn"})
        if (iequals(s, t)) return true;
    return false;
}

KindName kind_from_name(std::string_view name) {
    struct Entry {
        const char* name;
        HashKind kind;
        const char* media;
    };
    static const Entry kNames[] = {
        {"pdq", HashKind::pdq, ""},           {"photo_pdq", HashKind::pdq, "image"},
        {"image_pdq", HashKind::pdq, "image"}, {"hash_pdq", HashKind::pdq, "image"},
        {"imagepdq", HashKind::pdq, "image"}, {"md5", HashKind::md5, ""},
        {"photo_md5", HashKind::md5, "image"}, {"image_md5", HashKind::md5, "image"},
        {"video_md5", HashKind::md5, "video"}, {"hash_md5", HashKind::md5, ""},
        {"hash_video_md5", HashKind::md5, "video"}, {"videomd5", HashKind::md5, "video"},
        {"sha1", HashKind::sha1, ""},          {"sha-1", HashKind::sha1, ""},
        {"photo_sha1", HashKind::sha1, "image"}, {"image_sha1", HashKind::sha1, "image"},
        {"video_sha1", HashKind::sha1, "video"}, {"hash_sha1", HashKind::sha1, ""},
        {"sha256", HashKind::sha256, ""},      {"sha-256", HashKind::sha256, ""},
        {"photo_sha256", HashKind::sha256, "image"}, {"image_sha256", HashKind::sha256, "image"},
        {"video_sha256", HashKind::sha256, "video"}, {"hash_sha256", HashKind::sha256, ""},
        {"hash_video_sha256", HashKind::sha256, "video"}, {"vpdq", HashKind::vpdq, "video"},
        {"video_vpdq", HashKind::vpdq, "video"},
    };
    for (const Entry& e : kNames)
        if (iequals(name, e.name)) return {true, e.kind, e.media};
    return {};
}

std::string label_text(const json::Value& v) {
    switch (v.type) {
        case json::Value::Type::string: return v.string;
        case json::Value::Type::boolean: return v.boolean ? "true" : "false";
        case json::Value::Type::number: {
            if (v.integral) return std::to_string(v.integer);
            char buf[64];
            const auto r = std::to_chars(buf, buf + sizeof buf, v.number);
            return std::string(buf, r.ptr);
        }
        case json::Value::Type::array:
        case json::Value::Type::object: {
            std::string out;
            const auto& items = v.type == json::Value::Type::array ? v.array : v.members;
            for (std::size_t i = 0; i < items.size(); ++i) {
                const std::string part = v.type == json::Value::Type::array ? label_text(items[i]) : v.keys[i];
                if (part.empty()) continue;
                if (!out.empty()) out += ' ';
                out += part;
            }
            return out;
        }
        case json::Value::Type::null: break;
    }
    return {};
}

namespace {

std::size_t hex_digits(HashKind k) {
    switch (k) {
        case HashKind::pdq: return 64;
        case HashKind::md5: return 32;
        case HashKind::sha1: return 40;
        case HashKind::sha256: return 64;
        case HashKind::vpdq: break;
    }
    return 0;
}

// A vPDQ frame array: checked by the vPDQ list parser, then written compactly.
bool normalise_vpdq(std::string& hash, std::string& why) {
    json::Value v;
    if (Error e = json::parse(hash, "vpdq", v, 4); e || v.type != json::Value::Type::array) {
        why = "a vPDQ hash is a JSON array of \"hex,quality,timestamp\" strings";
        return false;
    }
    VpdqList list;
    if (Error e = parse_vpdq_list(hash, "vpdq", list)) {
        const std::size_t colon = e.message.find(": ", 0);
        why = "bad vPDQ frame array: " + (colon == std::string::npos ? e.message : e.message.substr(colon + 2));
        return false;
    }
    std::string out;
    json::Writer w(out);
    w.begin_array();
    for (const auto& item : v.array) w.value(item.string);
    w.end_array();
    hash = std::move(out);
    return true;
}

// Text a record carries into lists, delta files and the store: an id must be
// valid UTF-8 without control characters (it is a field of line formats);
// labels get U+FFFD for invalid bytes and spaces for control characters.
bool clean_id(std::string_view id) {
    for (std::size_t i = 0; i < id.size();) {
        const std::size_t n = detail::utf8_sequence(id, i);
        if (n == 0 || (n == 1 && (static_cast<unsigned char>(id[i]) < 0x20 || id[i] == 0x7F))) return false;
        i += n;
    }
    return true;
}

void clean_label(std::string& v) {
    std::string out;
    for (std::size_t i = 0; i < v.size();) {
        const std::size_t n = detail::utf8_sequence(v, i);
        if (n == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
        } else if (n == 1 && (static_cast<unsigned char>(v[i]) < 0x20 || v[i] == 0x7F)) {
            out += ' ';
            ++i;
        } else {
            out.append(v, i, n);
            i += n;
        }
    }
    v.swap(out);
}

}  // namespace

Error Reader::bad(std::size_t line, const std::string& why) {
    ++rep_.bad_records;
    const std::string msg = where(line) + ": " + why;
    if (!opt_.skip_bad_records) return {Status::list_format, msg};
    if (rep_.problems.size() < 100) rep_.problems.push_back(msg);
    return {};
}

std::string Reader::line_id(std::size_t line) const {
    const std::size_t slash = name_.rfind('/');
    return (slash == std::string::npos ? name_ : name_.substr(slash + 1)) + ":" + std::to_string(line);
}

// Counted by kind name; past 32 distinct names the rest count as "other" (a
// feed of a million made-up type names must not make this quadratic).
void Reader::unsupported(std::string_view kind) {
    std::string k = lower(kind.substr(0, 64));
    if (rep_.unsupported.size() >= 32 && std::none_of(rep_.unsupported.begin(), rep_.unsupported.end(),
                                                      [&](const auto& u) { return u.first == k; }))
        k = "other";
    for (auto& [name, n] : rep_.unsupported)
        if (name == k) {
            ++n;
            return;
        }
    rep_.unsupported.emplace_back(k, 1);
}

Error Reader::emit(FeedRecord& r) {
    const std::string_view t = trim(r.hash);
    if (t.size() != r.hash.size()) r.hash = std::string(t);
    if (!(r.tombstone && r.hash.empty())) {
        std::string why;
        if (r.kind == HashKind::vpdq) {
            if (!normalise_vpdq(r.hash, why)) return bad(r.line, why);
        } else {
            for (char& c : r.hash)
                if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
            std::uint8_t bytes[32];
            if (r.hash.size() != hex_digits(r.kind) || !detail::hex_decode(r.hash, bytes))
                return bad(r.line, std::string("not a ") + hash_kind_name(r.kind) + " hash (" +
                                       std::to_string(hex_digits(r.kind)) + " hex digits): '" +
                                       r.hash.substr(0, 80) + "'");
        }
    } else if (r.id.empty()) {
        return bad(r.line, "a tombstone with neither a hash nor an id");
    }
    if (r.source.empty()) r.source = opt_.source;
    if (!clean_id(r.id) || r.id.size() > 4096)
        return bad(r.line, "an id that is not UTF-8 text of at most 4096 bytes without control characters");
    for (auto& [k, v] : r.labels) clean_label(v);
    clean_label(r.media);
    ++(r.tombstone ? rep_.tombstones : rep_.additions);
    return sink_(r);
}

Error Reader::emit_typed(FeedRecord& r, std::string_view type) {
    const KindName k = kind_from_name(trim(type));
    if (!k.known) {
        if (trim(type).empty()) return bad(r.line, "no hash type");
        unsupported(trim(type));
        return {};
    }
    r.kind = k.kind;
    if (r.media.empty()) r.media = k.media;
    return emit(r);
}

}  // namespace hashguard::feeds
