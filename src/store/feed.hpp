// Feed records for the store: hashguard::read_feed_file and provenance_text
// (include/hashguard/import.hpp). TEMPORARY: while the importers are not in
// the library (no src/import/; CMake then defines
// HASHGUARD_STORE_TEXT_FEED_ONLY), feed.cpp reads the plain "<type> <hash>"
// text format itself and the other formats are refused.
#pragma once
#include <string>

#include "hashguard/import.hpp"

namespace hashguard::store {

Error read_feed_path(const std::string& path, const FeedOptions& options, const FeedSink& sink,
                     FeedReport& report) noexcept;
std::string record_provenance(const FeedRecord& r);
bool feed_format_named(const std::string& name, FeedFormat& out);
Error column_mapping(const std::string& spec, ColumnMapping& out);

}  // namespace hashguard::store
