#include "feed.hpp"

namespace hashguard::store {

Error read_feed_path(const std::string& path, const FeedOptions& options, const FeedSink& sink,
                     FeedReport& report) noexcept {
    return read_feed_file(path, options, sink, &report);
}

std::string record_provenance(const FeedRecord& r) { return provenance_text(r); }

bool feed_format_named(const std::string& name, FeedFormat& out) { return feed_format_from_name(name, out); }

Error column_mapping(const std::string& spec, ColumnMapping& out) { return parse_column_mapping(spec, out); }

}  // namespace hashguard::store
