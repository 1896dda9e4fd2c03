// PDQ indexes: the bit-sliced scan and the BK-tree (MIH is in mih.cpp); the
// base class and the factory.
#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <numeric>
#include <string>

#include "common/errors.hpp"
#include "common/fault.hpp"
#include "index/index_impl.hpp"

namespace hashguard {

PdqIndex::~PdqIndex() = default;

void PdqIndex::range_batch(const Hash256* qs, std::size_t n, int radius, std::vector<IndexMatch>& out) const {
    for (std::size_t i = 0; i < n; ++i) range_one(qs[i], static_cast<std::uint32_t>(i), radius, out);
}

namespace detail {

std::atomic<std::size_t> ParallelFrom::mih_hashes{std::size_t{1} << 18};
std::atomic<std::size_t> ParallelFrom::verify_bytes{std::size_t{128} << 20};

void range_rows_all(const std::uint64_t* words, std::size_t n, const Hash256* qs, std::size_t m, int radius,
                    std::vector<IndexMatch>& out) {
    constexpr std::size_t kRows = 2048, kQueries = 16;
    const std::vector<std::uint64_t> qw = pack_queries(qs, m);
    std::vector<kernels::RangeHit> hits(std::min(kQueries, m) * std::min(kRows, n));
    const auto& k = kernels::active();
    for (std::size_t q0 = 0; q0 < m; q0 += kQueries) {
        const std::size_t mq = std::min(kQueries, m - q0);
        for (std::size_t j0 = 0; j0 < n; j0 += kRows) {
            const std::size_t found = k.range_rows(&qw[4 * q0], mq, words + 4 * j0, std::min(kRows, n - j0),
                                                   static_cast<std::uint32_t>(j0), radius, hits.data());
            append_hits(hits.data(), found, q0, out);
        }
    }
}

}  // namespace detail

namespace {

using detail::HugeVector;
using detail::Words;
using detail::pack;
using detail::to_words;

int distance(const Words& a, const std::uint64_t* b) {
    return std::popcount(a[0] ^ b[0]) + std::popcount(a[1] ^ b[1]) + std::popcount(a[2] ^ b[2]) +
           std::popcount(a[3] ^ b[3]);
}

// ---------------------------------------------------------------- scan
// The hashes in the kernels' bit-sliced layout (33.25 bytes per hash): a
// batch shares one pass, each query reads about half of the planes, and
// only matches leave the kernel.
class ScanIndex final : public PdqIndex, public detail::StorableIndex {
public:
    explicit ScanIndex(const std::vector<Hash256>& h) : n_(h.size()) {
        const HugeVector<std::uint64_t> rows = pack(h);
        own_planes_.resize(blocks(n_) * kernels::kSliceBlockWords);
        kernels::slice_pack(rows.data(), n_, own_planes_.data());
        planes_ = own_planes_.data();
    }
    // Planes stored elsewhere (a mapped snapshot, kept alive by `keep`).
    ScanIndex(std::size_t n, const std::uint64_t* planes, std::shared_ptr<const void> keep)
        : n_(n), planes_(planes), keep_(std::move(keep)) {}
    static std::size_t blocks(std::size_t n) { return (n + kernels::kSliceLanes - 1) / kernels::kSliceLanes; }
    void arrays(detail::IndexArrays& out) const override {
        out.kind = "scan";
        out.param = 0;
        out.parts = {{planes_, blocks(n_) * kernels::kSliceBlockWords * 8}};
    }
    const char* name() const noexcept override { return "scan"; }
    std::size_t size() const noexcept override { return n_; }
    std::size_t memory_bytes() const noexcept override { return blocks(n_) * kernels::kSliceBlockWords * 8; }

protected:
    void range_one(const Hash256& q, std::uint32_t qi, int radius, std::vector<IndexMatch>& out) const override {
        const std::size_t start = out.size();
        range_batch(&q, 1, radius, out);
        for (std::size_t i = start; i < out.size(); ++i) out[i].query = qi;
    }
    void range_batch(const Hash256* qs, std::size_t m, int radius, std::vector<IndexMatch>& out) const override {
        constexpr std::size_t kQueries = 16;  // per pass (a block part stays in L1 while they pass over it)
        std::vector<kernels::SlicedQuery> sq(std::min(m, kQueries));
        std::vector<kernels::RangeHit> hits(2 * sq.size() * kernels::kSliceLanes);
        const auto& k = kernels::active();
        for (std::size_t q0 = 0; q0 < m; q0 += kQueries) {
            const std::size_t mq = std::min(kQueries, m - q0);
            for (std::size_t i = 0; i < mq; ++i)
                kernels::slice_query(to_words(qs[q0 + i]).data(), radius, static_cast<std::uint16_t>(i), sq[i]);
            for (std::size_t b0 = 0, done = 0; b0 * kernels::kSliceLanes < n_; b0 += done) {
                const std::size_t found =
                    k.range_sliced(sq.data(), mq, &planes_[b0 * kernels::kSliceBlockWords],
                                   n_ - b0 * kernels::kSliceLanes, static_cast<std::uint32_t>(b0 * kernels::kSliceLanes),
                                   hits.data(), hits.size(), &done);
                detail::append_hits(hits.data(), found, q0, out);
            }
        }
    }
    // The smallest radius with a hit, in steps of 8 (each pass is exact).
    int nearest_distance(const Hash256& q) const override {
        std::vector<IndexMatch> hits;
        for (int r = 0;; r = std::min(256, r + 8)) {
            range_batch(&q, 1, r, hits);
            if (!hits.empty() || r == 256) {
                int best = 257;
                for (const auto& m : hits) best = std::min(best, static_cast<int>(m.distance));
                return best;
            }
        }
    }

private:
    std::size_t n_;
    HugeVector<std::uint64_t> own_planes_;
    const std::uint64_t* planes_ = nullptr;  // own_planes_, or stored planes
    std::shared_ptr<const void> keep_;
};

// ---------------------------------------------------------------- BK-tree
// Nodes in one vector; an internal node's children are a contiguous run of
// (distance, node) edges. Subtrees of at most kLeaf hashes become leaf buckets
// scanned with the Hamming kernel. Hashes are stored permuted so each bucket
// is contiguous; perm maps back to list positions.
class BkTreeIndex final : public PdqIndex {
public:
    static constexpr std::size_t kLeaf = 64;

    explicit BkTreeIndex(const std::vector<Hash256>& h) : n_(h.size()) {
        std::vector<std::uint32_t> items(n_);
        std::iota(items.begin(), items.end(), 0u);
        const HugeVector<std::uint64_t> all = pack(h);
        words_.reserve(all.size());
        perm_.reserve(n_);
        if (n_) build(items, all);
    }
    const char* name() const noexcept override { return "bktree"; }
    std::size_t size() const noexcept override { return n_; }
    std::size_t memory_bytes() const noexcept override {
        return words_.size() * 8 + perm_.size() * 4 + nodes_.size() * sizeof(Node) + edges_.size() * sizeof(Edge);
    }

protected:
    // Pivots are checked one by one, leaf buckets by the range kernel.
    void range_one(const Hash256& q, std::uint32_t qi, int radius, std::vector<IndexMatch>& out) const override {
        if (!n_) return;
        const Words qw = to_words(q);
        auto pivot = [&](std::uint32_t slot, int d) {
            if (d <= radius) out.push_back({qi, perm_[slot], static_cast<std::uint32_t>(d)});
        };
        auto leaf = [&](std::uint32_t first, std::uint32_t count) {
            kernels::RangeHit hits[kLeaf];
            const std::size_t found =
                kernels::active().range_rows(qw.data(), 1, &words_[4 * static_cast<std::size_t>(first)], count, first, radius, hits);
            for (std::size_t i = 0; i < found; ++i) out.push_back({qi, perm_[hits[i].entry], hits[i].distance});
        };
        walk(qw, 0, pivot, leaf, [&](int dp) { return std::pair{dp - radius, dp + radius}; });
    }
    int nearest_distance(const Hash256& q) const override {
        const Words qw = to_words(q);
        int best = 257;
        auto leaf = [&](std::uint32_t first, std::uint32_t count) {
            std::uint16_t d[kLeaf];
            kernels::active().hamming_1xn(qw.data(), &words_[4 * static_cast<std::size_t>(first)], count, d);
            for (std::uint32_t i = 0; i < count; ++i) best = std::min<int>(best, d[i]);
        };
        walk(qw, 0, [&](std::uint32_t, int d) { best = std::min(best, d); }, leaf,
             [&](int dp) { return std::pair{dp - best, dp + best}; });
        return best;
    }

private:
    struct Node {
        std::uint32_t pivot;       // slot of the pivot hash (internal) / first slot (leaf)
        std::uint32_t count;       // leaf: number of slots; internal: 0
        std::uint32_t edge_begin, edge_end;
    };
    struct Edge {
        std::uint32_t distance, node;
    };

    std::uint32_t add_slot(std::uint32_t item, const HugeVector<std::uint64_t>& all) {
        const auto slot = static_cast<std::uint32_t>(perm_.size());
        perm_.push_back(item);
        words_.insert(words_.end(), &all[4 * static_cast<std::size_t>(item)], &all[4 * static_cast<std::size_t>(item)] + 4);
        return slot;
    }

    std::uint32_t build(std::vector<std::uint32_t>& items, const HugeVector<std::uint64_t>& all) {
        const auto id = static_cast<std::uint32_t>(nodes_.size());
        nodes_.push_back({});
        if (items.size() <= kLeaf) {
            const auto first = static_cast<std::uint32_t>(perm_.size());
            for (auto it : items) add_slot(it, all);
            nodes_[id] = {first, static_cast<std::uint32_t>(items.size()), 0, 0};
            return id;
        }
        const std::uint32_t pivot_item = items[0];
        const std::uint32_t pivot = add_slot(pivot_item, all);
        Words pw;
        std::memcpy(pw.data(), &all[4 * static_cast<std::size_t>(pivot_item)], 32);
        std::vector<std::vector<std::uint32_t>> groups(257);
        for (std::size_t i = 1; i < items.size(); ++i)
            groups[static_cast<std::size_t>(distance(pw, &all[4 * static_cast<std::size_t>(items[i])]))].push_back(items[i]);
        items.clear();
        items.shrink_to_fit();
        std::vector<Edge> mine;
        for (std::uint32_t dist = 0; dist <= 256; ++dist)
            if (!groups[dist].empty()) mine.push_back({dist, build(groups[dist], all)});
        const auto b = static_cast<std::uint32_t>(edges_.size());
        edges_.insert(edges_.end(), mine.begin(), mine.end());
        nodes_[id] = {pivot, 0, b, static_cast<std::uint32_t>(edges_.size())};
        return id;
    }

    // Visits the tree: report(slot, d) for each internal pivot, leaf(first
    // slot, count) for each leaf bucket reached; `window(d_pivot)` gives the
    // child distance range still worth descending (it may shrink as they run).
    template <class Report, class Leaf, class Window>
    void walk(const Words& q, std::uint32_t node, Report&& report, Leaf&& leaf, Window&& window) const {
        const Node& nd = nodes_[node];
        if (nd.count) {
            leaf(nd.pivot, nd.count);
            return;
        }
        const int dp = distance(q, &words_[4 * static_cast<std::size_t>(nd.pivot)]);
        report(nd.pivot, dp);
        for (std::uint32_t e = nd.edge_begin; e < nd.edge_end; ++e) {
            const auto [lo, hi] = window(dp);  // re-read: nearest search tightens it
            const int cd = static_cast<int>(edges_[e].distance);
            if (cd < lo) continue;
            if (cd > hi) break;  // edges are sorted by distance
            walk(q, edges_[e].node, report, leaf, window);
        }
    }

    std::size_t n_;
    HugeVector<std::uint64_t> words_;
    std::vector<std::uint32_t> perm_;
    std::vector<Node> nodes_;
    std::vector<Edge> edges_;
};

}  // namespace

std::unique_ptr<PdqIndex> detail::adopt_scan_index(std::size_t n, const std::uint64_t* planes,
                                                   std::shared_ptr<const void> keep) {
    return std::make_unique<ScanIndex>(n, planes, std::move(keep));
}

Error PdqIndex::range_search(const Hash256* queries, std::size_t n, int radius, std::vector<IndexMatch>& out) const noexcept {
    const std::size_t start = out.size();
    Error e = detail::guard([&]() -> Error {
        if (!queries && n) return {Status::invalid_argument, "null queries with a non-zero count"};
        if (radius < 0 || radius > 256) return {Status::invalid_argument, "radius must be 0..256"};
        if (detail::inject_fault(detail::FaultSite::index_lookup))
            return {Status::internal, "injected failure: index_lookup"};
        range_batch(queries, n, radius, out);
        std::sort(out.begin() + static_cast<std::ptrdiff_t>(start), out.end(), [](const IndexMatch& a, const IndexMatch& b) {
            return a.query != b.query ? a.query < b.query : a.entry < b.entry;
        });
        return {};
    });
    if (e) out.resize(std::min(out.size(), start));  // no partial answer
    return e;
}

Error PdqIndex::nearest(const Hash256* queries, std::size_t n, std::vector<IndexMatch>& out) const noexcept {
    return detail::guard([&]() -> Error {
        if (!queries && n) return {Status::invalid_argument, "null queries with a non-zero count"};
        if (size() == 0) return {};
        std::vector<IndexMatch> at;
        for (std::size_t i = 0; i < n; ++i) {
            const int d = nearest_distance(queries[i]);
            // The lowest entry at that distance: the same answer from every index.
            at.clear();
            range_one(queries[i], static_cast<std::uint32_t>(i), d, at);
            std::uint32_t best = UINT32_MAX;
            for (const auto& m : at)
                if (static_cast<int>(m.distance) == d) best = std::min(best, m.entry);
            out.push_back({static_cast<std::uint32_t>(i), best, static_cast<std::uint32_t>(d)});
        }
        return {};
    });
}

namespace {

// "mih:<chunks>": MIH with a fixed number of chunks (kMihMinChunks..kMihMaxChunks), for tests and benches.
bool fixed_mih_chunks(std::string_view s, int& chunks) {
    if (s.substr(0, 4) != "mih:") return false;
    const char* end = s.data() + s.size();
    const auto r = std::from_chars(s.data() + 4, end, chunks);
    return r.ec == std::errc() && r.ptr == end && chunks >= detail::kMihMinChunks && chunks <= detail::kMihMaxChunks;
}

// Crossovers measured by bench_index (--benchmark_filter=xover; bench/README.md):
// 8-query batches, MIH shaped for the radius, against the bit-sliced scan.
// MIH wins up to r = 16 at 10^3 hashes, r = 31 at 10^4-10^5, r = 40 at 10^6
// and r = 47 at 10^7; beyond, its probes cost more than reading every
// hash. Under 1000 hashes the scan takes microseconds and MIH's smallest
// tables (4 MiB) are not worth it. The BK-tree lost to one or the other
// everywhere (it prunes little at these radii in 256 bits): never chosen.
std::string_view auto_index(std::size_t n, int radius) {
    if (n >= detail::kMihMaxHashes) return "scan";  // MIH's ids are 31 bits
    const int mih_up_to = n < 1'000 ? -1 : n < 3'000 ? 16 : n < 300'000 ? 31 : n < 3'000'000 ? 40 : 47;
    return radius <= mih_up_to ? "mih" : "scan";
}

}  // namespace

Error make_pdq_index(std::string_view spec, const std::vector<Hash256>& hashes, std::unique_ptr<PdqIndex>& out,
                     int typical_radius) noexcept {
    return detail::guard([&]() -> Error {
        out.reset();
        if (hashes.size() >= UINT32_MAX) return {Status::invalid_argument, "too many hashes for one index (max 2^32-2)"};
        const int radius = std::clamp(typical_radius, 0, 256);
        std::string_view s = spec;
        if (s == "auto") s = auto_index(hashes.size(), radius);
        int chunks = 0;
        if (s == "scan") out = std::make_unique<ScanIndex>(hashes);
        else if ((s == "mih" || fixed_mih_chunks(s, chunks)) && hashes.size() >= detail::kMihMaxHashes)
            return {Status::invalid_argument, "index spec '" + std::string(spec) + "': MIH holds at most 2^31-2 hashes, not " +
                                                  std::to_string(hashes.size()) + " (use 'scan' or 'auto')"};
        else if (s == "mih") out = detail::make_mih_index(hashes, detail::mih_shape(hashes.size(), radius));
        else if (fixed_mih_chunks(s, chunks)) {
            // A fixed shape's tables do not shrink with the list: mih:9 is ~14 GB of slots whatever n is.
            const auto shape = detail::mih_shape_of(chunks);
            const std::size_t bytes = detail::mih_table_bytes(shape, hashes.size());
            if (bytes > std::max<std::size_t>(256 * hashes.size(), std::size_t{256} << 20))
                return {Status::invalid_argument, "index spec '" + std::string(spec) + "' needs " +
                                                      std::to_string(bytes >> 20) + " MiB of tables for " +
                                                      std::to_string(hashes.size()) +
                                                      " hashes (more than 256 B per hash); use 'mih' or more chunks"};
            out = detail::make_mih_index(hashes, shape);
        }
        else if (s == "bktree") out = std::make_unique<BkTreeIndex>(hashes);
        else
            return {Status::invalid_argument,
                    "unknown index spec '" + std::string(spec) + "' (scan, mih, mih:<9..48 chunks>, bktree, auto)"};
        return {};
    });
}

}  // namespace hashguard
