// What a loaded list is searched with: a PdqIndex (PDQ lists) or a sorted
// digest table (exact lists), built once per list content and shared.
//
// Reloads rebuild only what changed: indexes are kept in a process-wide cache
// of weak references. A list handed again as the same HashList object (an
// hg_lists that kept it) finds its index by identity at once; a list re-read
// into a new object with the same hashes in the same order finds it by content
// (a hash of the column, then a full comparison: never reused on a hash alone).
#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "common/secure.hpp"
#include "hashguard/index.hpp"
#include "hashguard/lists.hpp"
#include "scan/entries.hpp"

namespace hashguard::scan {

/// Exact digests: (first 8 bytes, entry) sorted, for equal_range + compare.
class ExactTable {
public:
    explicit ExactTable(const ListEntries& entries);
    /// Entries whose digest equals d (their indices in the HashList).
    template <class F>
    void for_each_equal(const ListEntries& entries, const Digest& d, F&& f) const {
        const std::pair<std::uint64_t, std::uint32_t> lo{prefix(d), 0};
        for (auto it = std::lower_bound(table_.begin(), table_.end(), lo); it != table_.end() && it->first == lo.first;
             ++it)
            if (entries.digest(it->second) == d) f(it->second);
    }
    std::size_t memory_bytes() const noexcept { return table_.capacity() * sizeof(table_[0]); }
    static std::uint64_t prefix(const Digest& d) noexcept;

private:
    detail::SecureVector<std::pair<std::uint64_t, std::uint32_t>> table_;
};

/// The index for a PDQ list's entries at `radius` (the list's threshold picks
/// the index kind), from the cache or newly built (then cached).
Error pdq_index_for(const std::shared_ptr<const ListEntries>& entries, int radius,
                    std::shared_ptr<const PdqIndex>& out);

/// The digest table of an exact list's entries, from the cache or newly built.
Error exact_table_for(const std::shared_ptr<const ListEntries>& entries, std::shared_ptr<const ExactTable>& out);

/// Indexes built (not found in the cache) since the process started: tests
/// check that a reload rebuilt only what changed.
std::uint64_t indexes_built() noexcept;

}  // namespace hashguard::scan
