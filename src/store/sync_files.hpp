// Files of the sync directory: written to a temporary name, flushed and
// renamed, so that a reader (or a kill -9) never sees a partial file.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "hashguard/status.hpp"

namespace hashguard::store {

Error write_file_atomic(const std::string& path, std::string_view content);
Error make_dir(const std::string& path);
Error fsync_dir(const std::string& path);
Error rename_path(const std::string& from, const std::string& to);
/// Removes a file or a directory tree; absent is fine.
Error remove_tree(const std::string& path);
bool path_exists(const std::string& path);
Error read_small_file(const std::string& path, std::string& out);
/// Names in `dir` (not "." or "..").
Error list_dir(const std::string& dir, std::vector<std::string>& names);

}  // namespace hashguard::store
