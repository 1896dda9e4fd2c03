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
// kind defaults to pdq, role to block, threshold 31, min_quality 50; relative
// paths are relative to the config file's directory; unknown keys are errors.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "scan/scanner.hpp"

namespace hashguard::scan {

struct ListSpec {
    ListConfig config;
    std::string path;
};

Error parse_lists_config(std::string_view text, const std::string& source, const std::string& base_dir,
                         std::vector<ListSpec>& out);
Error load_lists_config(const std::string& path, std::vector<ListSpec>& out);

/// Reads one list file (text or snapshot) of the spec's kind; an exact list must
/// hold only digests of its kind.
Error load_list_entries(const ListSpec& spec, bool skip_bad_lines, std::shared_ptr<const HashList>& out,
                        ListParseReport* report = nullptr);

/// Loads every list of a config into a new ListSet.
Error build_list_set(const std::vector<ListSpec>& specs, bool skip_bad_lines, std::shared_ptr<const ListSet>& out);

}  // namespace hashguard::scan
