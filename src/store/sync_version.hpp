// Writing one published version into the sync directory (sync.cpp: layout).
#pragma once
#include <string>
#include <vector>

#include "pq.hpp"

namespace hashguard::store {

/// Where a list stands in a written version.
struct ListState {
    std::string name, kind, role;
    long long base = 0;           ///< the version its base snapshot holds
    long long entries = 0;        ///< entries at this version
    long long delta_entries = 0;  ///< lines in its deltas since the base
    long long base_entries = 0;   ///< entries its base snapshot holds (the follower's compaction limit is of these)
    std::vector<long long> deltas;  ///< versions with a delta file, after the base, in order
};

/// Reads DIR/v<version>/state (none for version 0).
Error read_state(const std::string& dir, long long version, std::vector<ListState>& out);

/// Writes DIR/v<version>/ from `prev` (the state of version - 1), then
/// DIR/CURRENT. Files first, the version directory by rename, CURRENT last.
Error write_version(Connection& db, const std::string& dir, long long version, std::vector<ListState>& state);

/// Removes the version directories older than the `keep` newest (`newest`
/// included) and the list files none of the kept versions names.
Error prune_versions(const std::string& dir, long long newest, long long keep);

}  // namespace hashguard::store
