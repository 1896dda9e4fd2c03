// Changes to a loaded list without rebuilding its index: additions searched
// beside the base (in a small index of their own), removals filtered out of
// the base's matches. Immutable once built, like everything a ListSet holds;
// applying more changes makes a new ListDelta. Merged into a new base when it
// grows large (ListStaging compacts it).
#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hashguard/index.hpp"
#include "hashguard/lists.hpp"
#include "scan/list_index.hpp"

namespace hashguard::scan {

struct ListDelta {
    HashList added;                      ///< entries not in the base (same kind)
    std::vector<std::uint32_t> removed;  ///< base entries withdrawn, sorted
    std::size_t ignored = 0;             ///< additions already listed, removals of absent hashes

    bool removes(std::uint32_t base_entry) const noexcept {
        return std::binary_search(removed.begin(), removed.end(), base_entry);
    }
    std::size_t size() const noexcept { return added.size() + removed.size(); }
};

/// The base a delta applies to: its entries and what finds an entry by hash.
struct DeltaBase {
    std::shared_ptr<const ListEntries> entries;
    std::shared_ptr<const PdqIndex> index;      ///< PDQ lists
    std::shared_ptr<const ExactTable> exact;  ///< exact lists
};

/// Applies delta text to `current` (null: no delta yet) over `base`, giving a
/// new delta. Lines use the list formats; a line whose first character is
/// '-' removes the entry with that hash, '+' (optional) adds. A removal of a
/// hash added earlier drops the addition; an addition of a removed base entry
/// brings it back. All or nothing: a malformed line is an error (source:line).
Error apply_delta(const DeltaBase& base, const ListDelta* current, std::string_view text, const std::string& source,
                  const ListParseOptions& options, std::shared_ptr<const ListDelta>& out);

/// base minus removed plus added: the list the delta describes, as one list.
Error merge_delta(const ListEntries& base, const ListDelta& delta, HashList& out);

}  // namespace hashguard::scan
