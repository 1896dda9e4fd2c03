#include "feed.hpp"

#ifdef HASHGUARD_STORE_TEXT_FEED_ONLY
#include <fstream>
#include <sstream>
#endif

namespace hashguard::store {

#ifndef HASHGUARD_STORE_TEXT_FEED_ONLY

Error read_feed_path(const std::string& path, const FeedOptions& options, const FeedSink& sink,
                     FeedReport& report) noexcept {
    return read_feed_file(path, options, sink, &report);
}

std::string record_provenance(const FeedRecord& r) { return provenance_text(r); }

bool feed_format_named(const std::string& name, FeedFormat& out) { return feed_format_from_name(name, out); }

Error column_mapping(const std::string& spec, ColumnMapping& out) { return parse_column_mapping(spec, out); }

#else

namespace {

bool kind_of(const std::string& word, HashKind& k) {
    for (HashKind c : {HashKind::pdq, HashKind::md5, HashKind::sha1, HashKind::sha256}) {
        if (word == hash_kind_name(c)) {
            k = c;
            return true;
        }
    }
    return false;
}

bool is_hex(const std::string& s, std::size_t n) {
    if (s.size() != n) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

std::size_t hex_digits(HashKind k) {
    switch (k) {
        case HashKind::md5: return 32;
        case HashKind::sha1: return 40;
        default: return 64;
    }
}

}  // namespace

// TEMPORARY "<type> <hash>" reader (pdq md5 sha1 sha256), lowercase hex.
Error read_feed_path(const std::string& path, const FeedOptions& options, const FeedSink& sink,
                     FeedReport& report) noexcept {
    try {
        if (options.format != FeedFormat::text)
            return {Status::invalid_argument, "this build imports only the text format (the importers are not built)"};
        std::ifstream in(path);
        if (!in) return {Status::io_error, path + ": cannot open"};
        std::string line, type, hash;
        FeedRecord r;
        r.source = options.source.empty() ? "text" : options.source;
        for (std::size_t n = 1; std::getline(in, line); ++n) {
            if (line.empty() || line[0] == '#') continue;
            std::istringstream fields(line);
            fields >> type >> hash;
            for (char& c : hash) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (!kind_of(type, r.kind) || !is_hex(hash, hex_digits(r.kind))) {
                ++report.bad_records;
                if (options.skip_bad_records) continue;
                return {Status::list_format, path + ":" + std::to_string(n) + ": not '<type> <hash>'"};
            }
            r.hash = hash;
            r.line = n;
            ++report.records;
            ++report.additions;
            if (Error e = sink(r)) return e;
        }
        return {};
    } catch (const std::bad_alloc&) {
        return {Status::out_of_memory, "out of memory reading " + path};
    }
}

std::string record_provenance(const FeedRecord& r) {
    std::string out = "source=" + r.source;
    if (!r.id.empty()) out += ";id=" + r.id;
    return out;
}

bool feed_format_named(const std::string& name, FeedFormat& out) {
    out = FeedFormat::text;
    return name == "text";
}

Error column_mapping(const std::string& spec, ColumnMapping&) {
    return {Status::invalid_argument, "--map " + spec + ": this build imports only the text format"};
}

#endif

}  // namespace hashguard::store
