// What every feed reader shares: hash kinds by name, validation and
// normalisation of a record's hash, and the bookkeeping of one read (counts,
// problems, skip-or-stop on a malformed record).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "hashguard/import.hpp"
#include "hashguard/json.hpp"

namespace hashguard::feeds {

/// What a hash type name means: a kind we match (with the media it implies),
/// or a kind we do not match (counted as unsupported).
struct KindName {
    bool known = false;
    HashKind kind = HashKind::pdq;
    const char* media = "";
};
/// Text-format and HMA signal type names, case-insensitive: pdq, md5, sha1,
/// sha256, vpdq, video_md5, video_sha256, photo_md5, ... ; TE's HASH_* names.
KindName kind_from_name(std::string_view name);

std::string lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
std::string_view trim(std::string_view s);
/// "true", "1", "yes", "deleted", "withdrawn" (any case).
bool truthy(std::string_view s);
/// A JSON value as label text: strings as they are, numbers and booleans
/// printed, arrays of those joined by ' ', objects as their keys joined by ' '.
std::string label_text(const json::Value& v);

class Reader {
public:
    Reader(const std::string& name, const FeedOptions& opt, const FeedSink& sink, FeedReport& rep)
        : name_(name), opt_(opt), sink_(sink), rep_(rep) {}

    const FeedOptions& options() const { return opt_; }
    const std::string& name() const { return name_; }
    FeedReport& report() { return rep_; }
    std::string where(std::size_t line) const { return name_ + ":" + std::to_string(line); }
    /// The id of a record from a feed without ids: "<file name>:<line>" (unique
    /// across the files of one import, unlike a bare line number).
    std::string line_id(std::size_t line) const;

    /// A malformed record: an error that stops the read, or (skip_bad_records)
    /// counted and reported, and ok.
    Error bad(std::size_t line, const std::string& why);
    /// A fingerprint of a kind no list here matches.
    void unsupported(std::string_view kind);
    /// Checks and normalises r.hash for r.kind (lowercase hex of the kind's
    /// length; vPDQ: a valid frame array), fills source, counts, and hands the
    /// record to the sink. A bad hash goes through bad().
    Error emit(FeedRecord& r);
    /// A record of hash type `type`: unsupported types are counted and skipped.
    Error emit_typed(FeedRecord& r, std::string_view type);
    /// Every record read, once.
    void counted() { ++rep_.records; }

private:
    const std::string& name_;
    const FeedOptions& opt_;
    const FeedSink& sink_;
    FeedReport& rep_;
};

/// A feed file mapped read-only (not copied).
struct MappedFile {
    void* p = nullptr;
    std::size_t n = 0;
    MappedFile() = default;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    ~MappedFile();
    std::string_view text() const { return std::string_view(n ? static_cast<const char*>(p) : "", n); }
};
Error map_file(const std::string& path, std::size_t max_bytes, MappedFile& out);

// One reader per format (feeds.cpp, ncmec_xml.cpp).
Error read_text(std::string_view text, Reader& r);
Error read_te_csv(std::string_view text, Reader& r);
Error read_te_json(std::string_view text, Reader& r);
Error read_stopncii(std::string_view text, Reader& r);
Error read_tat(std::string_view text, Reader& r);
Error read_vpdq_json(std::string_view text, Reader& r);
Error read_mapped_csv(std::string_view text, Reader& r);
Error read_mapped_json(std::string_view text, Reader& r);
Error read_ncmec_xml(std::string_view text, Reader& r);

/// Calls f(line_number, line) for each line (LF, CRLF or CR); stops at the
/// first error f returns.
template <class F>
Error for_each_line(std::string_view text, F&& f) {
    std::size_t n = 0, pos = 0;
    if (text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;
    while (pos < text.size()) {
        std::size_t stop = text.find_first_of("\r\n", pos);
        if (stop == std::string_view::npos) stop = text.size();
        if (Error e = f(++n, text.substr(pos, stop - pos))) return e;
        pos = stop + 1;
        if (stop < text.size() && text[stop] == '\r' && pos < text.size() && text[pos] == '\n') ++pos;
    }
    return {};
}

}  // namespace hashguard::feeds
