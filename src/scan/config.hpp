// The lists config file shared by the CLI (`hashguard scan --lists`) and the C
// API (hg_lists_add_config): JSON naming each list's file, kind, threshold,
// minimum quality and role.
//
//   {"lists": [
//     {"name": "ncmec", "path": "ncmec-pdq.txt", "kind": "pdq", "threshold": 31,
//      "min_quality": 50, "role": "block"},
//     {"name": "memes", "path": "benign.snap", "role": "allow"},
//     {"name": "md5",   "path": "md5.txt", "kind": "md5"}
//   ]}
//
// kind defaults to pdq, role to block, threshold 31, min_quality 50;
// "skip_bad_lines" and "allow_empty" (booleans) default to the loader's
// defaults; "deltas" lists files of changes applied in order (lines that add
// entries, or remove them with a leading '-'); relative paths are relative to
// the config file's directory.
// Strict: unknown or repeated keys, a missing "lists" array, an empty one,
// and values of the wrong type or range are errors naming file and line.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scan/scanner.hpp"

namespace hashguard::scan {

struct ListSpec {
    ListConfig config;
    std::string path;
    std::vector<std::string> deltas;  ///< changes applied in order (see staging.hpp)
    std::optional<bool> skip_bad_lines, allow_empty;  ///< unset: the loader's defaults
};

Error parse_lists_config(std::string_view text, const std::string& source, const std::string& base_dir,
                         std::vector<ListSpec>& out);
Error load_lists_config(const std::string& path, std::vector<ListSpec>& out);

}  // namespace hashguard::scan
