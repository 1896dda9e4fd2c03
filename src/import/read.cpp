// Reading a feed: the format table, files mapped read-only, column mappings
// and provenance text.
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "common/errors.hpp"
#include "common/io.hpp"
#include "import/feed.hpp"

namespace hashguard {

namespace {

struct FormatInfo {
    FeedFormat format;
    const char* name;
    const char* source;  // the default provenance name
    Error (*read)(std::string_view, feeds::Reader&);
};

const FormatInfo kFormats[] = {
    {FeedFormat::text, "text", "text", feeds::read_text},
    {FeedFormat::te_csv, "te-csv", "threatexchange", feeds::read_te_csv},
    {FeedFormat::te_json, "te-json", "threatexchange", feeds::read_te_json},
    {FeedFormat::ncmec_xml, "ncmec-xml", "ncmec", feeds::read_ncmec_xml},
    {FeedFormat::stopncii_json, "stopncii-json", "stopncii", feeds::read_stopncii},
    {FeedFormat::tat_json, "tat-json", "tat", feeds::read_tat},
    {FeedFormat::vpdq_json, "vpdq-json", "vpdq", feeds::read_vpdq_json},
    {FeedFormat::mapped_csv, "csv", "csv", feeds::read_mapped_csv},
    {FeedFormat::mapped_json, "json", "json", feeds::read_mapped_json},
};

const FormatInfo* info(FeedFormat f) {
    for (const auto& i : kFormats)
        if (i.format == f) return &i;
    return nullptr;
}

// Escapes the separators of provenance text.
void append_escaped(std::string& out, std::string_view v) {
    for (char c : v) {
        switch (c) {
            case ';': out += "%3B"; break;
            case '=': out += "%3D"; break;
            case '|': out += "%7C"; break;
            case '\n': out += "%0A"; break;
            case '\r': out += "%0D"; break;
            case '%': out += "%25"; break;
            default: out.push_back(c);
        }
    }
}

}  // namespace

const char* feed_format_name(FeedFormat f) noexcept {
    const FormatInfo* i = info(f);
    return i ? i->name : "unknown";
}

bool feed_format_from_name(std::string_view name, FeedFormat& out) noexcept {
    for (const auto& i : kFormats) {
        std::string_view n = i.name;
        if (n.size() != name.size()) continue;
        bool same = true;
        for (std::size_t k = 0; k < n.size() && same; ++k)
            same = n[k] == name[k] || (n[k] == '-' && name[k] == '_');
        if (same) {
            out = i.format;
            return true;
        }
    }
    return false;
}

Error parse_column_mapping(std::string_view spec, ColumnMapping& out) noexcept {
    return detail::guard([&]() -> Error {
        out = ColumnMapping{};
        for (std::size_t pos = 0; pos <= spec.size();) {
            std::size_t end = spec.find(',', pos);
            if (end == std::string_view::npos) end = spec.size();
            const std::string_view part = feeds::trim(spec.substr(pos, end - pos));
            pos = end + 1;
            if (part.empty()) continue;
            const std::size_t eq = part.find('=');
            if (eq == std::string_view::npos || eq + 1 == part.size())
                return {Status::invalid_argument, "column mapping: expected key=value, got '" + std::string(part) + "'"};
            const std::string_view key = part.substr(0, eq), value = part.substr(eq + 1);
            std::string* field = key == "hash" ? &out.hash : key == "type" ? &out.type : key == "id" ? &out.id
                               : key == "deleted" ? &out.deleted : key == "records" ? &out.records
                               : key == "kind" ? &out.kind : nullptr;
            if (key == "labels") {
                for (std::size_t p = 0; p <= value.size();) {
                    std::size_t bar = value.find('|', p);
                    if (bar == std::string_view::npos) bar = value.size();
                    if (bar > p) out.labels.emplace_back(value.substr(p, bar - p));
                    p = bar + 1;
                }
                continue;
            }
            if (!field)
                return {Status::invalid_argument, "column mapping: unknown key '" + std::string(key) +
                                                      "' (hash, type, kind, id, deleted, labels, records)"};
            *field = std::string(value);
        }
        if (out.hash.empty()) return {Status::invalid_argument, "column mapping: hash=COLUMN is required"};
        if (out.type.empty() && out.kind.empty())
            return {Status::invalid_argument, "column mapping: type=COLUMN or kind=pdq|md5|sha1|sha256|vpdq is required"};
        if (!out.kind.empty() && !feeds::kind_from_name(out.kind).known)
            return {Status::invalid_argument, "column mapping: unknown kind '" + out.kind + "'"};
        return {};
    });
}

std::string provenance_text(const FeedRecord& r) {
    std::string out;
    auto add = [&](std::string_view k, std::string_view v) {
        if (v.empty()) return;
        if (!out.empty()) out.push_back(';');
        append_escaped(out, k);
        out.push_back('=');
        append_escaped(out, v);
    };
    add("source", r.source);
    add("id", r.id);
    add("media", r.media);
    for (const auto& [k, v] : r.labels) add(k, v);
    return out;
}

Error read_feed(std::string_view text, const std::string& name, const FeedOptions& options, const FeedSink& sink,
                FeedReport* report) noexcept {
    return detail::guard([&]() -> Error {
        FeedReport local;
        FeedReport& rep = report ? *report : local;
        rep = FeedReport{};
        const FormatInfo* fi = info(options.format);
        if (!fi) return {Status::invalid_argument, "unknown feed format"};
        if (!sink) return {Status::invalid_argument, "no record sink"};
        const bool mapped = options.format == FeedFormat::mapped_csv || options.format == FeedFormat::mapped_json;
        if (mapped && options.mapping.hash.empty())
            return {Status::invalid_argument, "the csv and json formats need a column mapping (hash=...,type=...)"};
        FeedOptions opt = options;
        if (opt.source.empty()) opt.source = fi->source;
        feeds::Reader reader(name, opt, sink, rep);
        return fi->read(text, reader);
    });
}

namespace feeds {

MappedFile::~MappedFile() {
    if (p) ::munmap(p, n);
}

Error map_file(const std::string& path, std::size_t max_bytes, MappedFile& out) {
    detail::FileDescriptor fd(-1);
    std::uint64_t size = 0;
    if (Error e = detail::open_regular_file(path, fd, size)) return {e.code, path + ": " + e.message};
    if (size > max_bytes) return {Status::limit_bytes, path + ": larger than max_file_bytes"};
    if (size == 0) return {};
    void* p = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ, MAP_PRIVATE, fd.fd, 0);
    if (p == MAP_FAILED) return {Status::io_error, path + ": cannot map: " + std::strerror(errno)};
    out.p = p;
    out.n = static_cast<std::size_t>(size);
    ::madvise(p, out.n, MADV_SEQUENTIAL);
    return {};
}

}  // namespace feeds

Error read_feed_file(const std::string& path, const FeedOptions& options, const FeedSink& sink,
                     FeedReport* report) noexcept {
    return detail::guard([&]() -> Error {
        feeds::MappedFile m;
        if (Error e = feeds::map_file(path, options.max_file_bytes, m)) return e;
        return read_feed(m.text(), path, options, sink, report);
    });
}

}  // namespace hashguard
