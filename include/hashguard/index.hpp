// hashguard — indexes over PDQ hash lists: every entry within a Hamming radius
// of a query (or of each query of a batch, e.g. the 8 dihedral variants), and
// the nearest entry. Several implementations behind one interface; each
// returns exactly the brute-force answer.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "hashguard/config.hpp"
#include "hashguard/pdq.hpp"
#include "hashguard/status.hpp"

namespace hashguard {

struct IndexMatch {
    std::uint32_t query;   ///< position of the query in the batch
    std::uint32_t entry;   ///< position of the hash in the list the index was built from
    std::uint32_t distance;
    friend bool operator==(const IndexMatch&, const IndexMatch&) = default;
};

/// An immutable index. Built once; every const method may be called from many
/// threads at once without locks (they keep no state between calls).
class HASHGUARD_API PdqIndex {
public:
    virtual ~PdqIndex();
    virtual const char* name() const noexcept = 0;
    virtual std::size_t size() const noexcept = 0;
    /// Bytes held by the index, hashes included.
    virtual std::size_t memory_bytes() const noexcept = 0;

    /// Appends to `out` every (query, entry) with distance <= radius (0..256),
    /// sorted by query, then entry.
    Error range_search(const Hash256* queries, std::size_t n, int radius, std::vector<IndexMatch>& out) const noexcept;

    /// For each query, the nearest entry (lowest entry index among ties),
    /// appended to `out` in query order. Nothing is appended for an empty index.
    Error nearest(const Hash256* queries, std::size_t n, std::vector<IndexMatch>& out) const noexcept;

protected:
    // Implementations append unsorted matches for one query; the base sorts.
    virtual void range_one(const Hash256& q, std::uint32_t qi, int radius, std::vector<IndexMatch>& out) const = 0;
    // A whole batch (default: range_one per query). Any order; the base sorts.
    virtual void range_batch(const Hash256* qs, std::size_t n, int radius, std::vector<IndexMatch>& out) const;
    // Smallest distance from q to any entry (size() > 0).
    virtual int nearest_distance(const Hash256& q) const = 0;
};

/// Builds an index over `hashes` (copied). spec: "scan" (bit-sliced SIMD
/// scan: one pass for a batch, ~half the planes read per query), "mih"
/// (multi-index hashing with chunk count and widths chosen from the list size
/// and `typical_radius`; exact for any radius), "mih:<9..48>" (MIH with that
/// many chunks), "bktree" (BK-tree with contiguous nodes and scanned leaf
/// buckets), or "auto" (from the list size and `typical_radius` by measured
/// crossovers: MIH up to r = 31 below 300k hashes, 40 below 3M, 47 above,
/// 16 below 3000, none below 1000; else the scan).
HASHGUARD_API Error make_pdq_index(std::string_view spec, const std::vector<Hash256>& hashes,
                                   std::unique_ptr<PdqIndex>& out, int typical_radius = 31) noexcept;

}  // namespace hashguard
