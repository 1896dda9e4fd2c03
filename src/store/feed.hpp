// Feed records for the store, through the library's importers
// (include/hashguard/import.hpp): the store reads every feed format
// `hashguard list import` reads.
#pragma once
#include <string>

#include "hashguard/import.hpp"

namespace hashguard::store {

Error read_feed_path(const std::string& path, const FeedOptions& options, const FeedSink& sink,
                     FeedReport& report) noexcept;
/// The "k=v;..." provenance an entry's metadata holds (provenance_text).
std::string record_provenance(const FeedRecord& r);
bool feed_format_named(const std::string& name, FeedFormat& out);
Error column_mapping(const std::string& spec, ColumnMapping& out);

}  // namespace hashguard::store
