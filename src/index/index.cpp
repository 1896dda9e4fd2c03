// PDQ indexes: SIMD linear scan, multi-index hashing, BK-tree; the factory.
#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <new>
#include <bit>
#include <cstring>
#include <numeric>
#include <string>

#include "common/errors.hpp"
#include "common/fault.hpp"
#include "common/secure.hpp"
#include "hashguard/index.hpp"
#include "kernels/kernels.hpp"

namespace hashguard {

PdqIndex::~PdqIndex() = default;

void PdqIndex::range_batch(const Hash256* qs, std::size_t n, int radius, std::vector<IndexMatch>& out) const {
    for (std::size_t i = 0; i < n; ++i) range_one(qs[i], static_cast<std::uint32_t>(i), radius, out);
}

namespace {

using Words = std::array<std::uint64_t, 4>;

Words to_words(const Hash256& h) {
    Words w;
    std::memcpy(w.data(), h.w.data(), sizeof w);
    return w;
}

int distance(const Words& a, const std::uint64_t* b) {
    return std::popcount(a[0] ^ b[0]) + std::popcount(a[1] ^ b[1]) + std::popcount(a[2] ^ b[2]) +
           std::popcount(a[3] ^ b[3]);
}

// Index arrays (copies of list hashes) are zeroed when freed. Large ones are read at random: on 4 KiB pages nearly every read is
// also a TLB miss. Arrays of 2 MiB and more are allocated 2 MiB-aligned and
// marked for transparent huge pages (Linux madvise mode), which cut the 8-query
// MIH lookup at 10^6 hashes by a third here. Falls back silently elsewhere.
template <class T>
struct HugePageAllocator {
    using value_type = T;
    HugePageAllocator() = default;
    template <class U>
    HugePageAllocator(const HugePageAllocator<U>&) noexcept {}
    static constexpr std::size_t kHuge = std::size_t{2} << 20;
    T* allocate(std::size_t n) {
        const std::size_t bytes = n * sizeof(T);
        if (bytes < kHuge) return std::allocator<T>().allocate(n);
        const std::size_t rounded = (bytes + kHuge - 1) / kHuge * kHuge;
        void* p = std::aligned_alloc(kHuge, rounded);
        if (!p) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
        madvise(p, rounded, MADV_HUGEPAGE);
#endif
        return static_cast<T*>(p);
    }
    void deallocate(T* p, std::size_t n) noexcept {
        detail::wipe(p, n * sizeof(T));  // list contents are sensitive: never left in freed memory
        if (n * sizeof(T) < kHuge) std::allocator<T>().deallocate(p, n);
        else std::free(p);
    }
    template <class U>
    bool operator==(const HugePageAllocator<U>&) const noexcept { return true; }
};
template <class T>
using HugeVector = std::vector<T, HugePageAllocator<T>>;

// Hashes as contiguous 4 x uint64 words, the layout the Hamming kernels scan.
HugeVector<std::uint64_t> pack(const std::vector<Hash256>& hashes) {
    HugeVector<std::uint64_t> v(4 * hashes.size());
    for (std::size_t i = 0; i < hashes.size(); ++i) std::memcpy(&v[4 * i], hashes[i].w.data(), 32);
    return v;
}

// ---------------------------------------------------------------- scan
class ScanIndex final : public PdqIndex {
public:
    explicit ScanIndex(const std::vector<Hash256>& h) : words_(pack(h)), n_(h.size()) {}
    const char* name() const noexcept override { return "scan"; }
    std::size_t size() const noexcept override { return n_; }
    std::size_t memory_bytes() const noexcept override { return words_.size() * 8; }

protected:
    static constexpr std::size_t kBlock = 4096;
    void range_one(const Hash256& q, std::uint32_t qi, int radius, std::vector<IndexMatch>& out) const override {
        const Words qw = to_words(q);
        std::uint16_t d[kBlock];
        const auto& k = kernels::active();
        for (std::size_t j0 = 0; j0 < n_; j0 += kBlock) {
            const std::size_t nb = std::min(kBlock, n_ - j0);
            k.hamming_1xn(qw.data(), &words_[4 * j0], nb, d);
            for (std::size_t j = 0; j < nb; ++j)
                if (d[j] <= radius) out.push_back({qi, static_cast<std::uint32_t>(j0 + j), d[j]});
        }
    }
    // A batch shares one pass over the list: each block of hashes is compared
    // with every query while it is in cache.
    void range_batch(const Hash256* qs, std::size_t m, int radius, std::vector<IndexMatch>& out) const override {
        constexpr std::size_t kQ = 16;  // queries per pass
        std::vector<std::uint64_t> qw(4 * kQ);
        std::vector<std::uint16_t> d(kQ * kBlock);
        const auto& k = kernels::active();
        for (std::size_t q0 = 0; q0 < m; q0 += kQ) {
            const std::size_t mq = std::min(kQ, m - q0);
            for (std::size_t i = 0; i < mq; ++i) std::memcpy(&qw[4 * i], qs[q0 + i].w.data(), 32);
            for (std::size_t j0 = 0; j0 < n_; j0 += kBlock) {
                const std::size_t nb = std::min(kBlock, n_ - j0);
                kernels::hamming_mxn(k, qw.data(), mq, &words_[4 * j0], nb, d.data());
                for (std::size_t i = 0; i < mq; ++i)
                    for (std::size_t j = 0; j < nb; ++j)
                        if (d[i * nb + j] <= radius)
                            out.push_back({static_cast<std::uint32_t>(q0 + i), static_cast<std::uint32_t>(j0 + j),
                                           d[i * nb + j]});
            }
        }
    }
    int nearest_distance(const Hash256& q) const override {
        const Words qw = to_words(q);
        std::uint16_t d[kBlock];
        int best = 257;
        const auto& k = kernels::active();
        for (std::size_t j0 = 0; j0 < n_; j0 += kBlock) {
            const std::size_t nb = std::min(kBlock, n_ - j0);
            k.hamming_1xn(qw.data(), &words_[4 * j0], nb, d);
            for (std::size_t j = 0; j < nb; ++j) best = std::min<int>(best, d[j]);
        }
        return best;
    }

private:
    HugeVector<std::uint64_t> words_;
    std::size_t n_;
};

// ---------------------------------------------------------------- MIH
// 16 chunks of 16 bits. If d(q, h) <= r then, by pigeonhole, some chunk of h
// is within floor(r / 16) of q's chunk: probing every key within that radius
// in every chunk finds all candidates, which are then verified. Exact for any
// radius (r >= 256 degenerates to probing everything). Each chunk is a
// 65537-entry offset table into entry ids sorted by that chunk's key.
class MihIndex final : public PdqIndex {
public:
    explicit MihIndex(const std::vector<Hash256>& h) : words_(pack(h)), n_(h.size()) {
        offsets_.assign(16 * 65537, 0);
        ids_.resize(16 * n_);
        for (int c = 0; c < 16; ++c) {
            std::uint32_t* off = &offsets_[static_cast<std::size_t>(c) * 65537];
            for (std::size_t i = 0; i < n_; ++i) ++off[h[i].w[c] + 1];
            for (int k = 0; k < 65536; ++k) off[k + 1] += off[k];
            std::vector<std::uint32_t> fill(off, off + 65536);
            for (std::size_t i = 0; i < n_; ++i) ids_[c * n_ + fill[h[i].w[c]]++] = static_cast<std::uint32_t>(i);
        }
    }
    const char* name() const noexcept override { return "mih"; }
    std::size_t size() const noexcept override { return n_; }
    std::size_t memory_bytes() const noexcept override {
        return words_.size() * 8 + offsets_.size() * 4 + ids_.size() * 4;
    }

protected:
    // Calls f(entry) for every entry sharing a chunk within `s` bits of q's.
    template <class F>
    void probe(const Hash256& q, int s, F&& f) const {
        if (n_ == 0) return;
        for (int c = 0; c < 16; ++c) {
            const std::uint32_t* off = &offsets_[static_cast<std::size_t>(c) * 65537];
            const std::uint32_t* ids = ids_.data() + static_cast<std::size_t>(c) * n_;
            const unsigned key = q.w[c];
            auto visit = [&](unsigned k) {
                const std::uint32_t end = off[k + 1];
                for (std::uint32_t p = off[k]; p < end; ++p) {
                    // The hashes are read at random: ask for them a few ahead.
                    if (p + 8 < end) __builtin_prefetch(&words_[4 * static_cast<std::size_t>(ids[p + 8])]);
                    f(ids[p]);
                }
            };
            // all 16-bit masks with popcount <= s, by increasing popcount
            visit(key);
            if (s >= 16) {
                for (unsigned m = 1; m < 65536; ++m) visit(key ^ m);
                continue;
            }
            for (int bits = 1; bits <= s; ++bits) {
                unsigned m = (1u << bits) - 1;  // Gosper's hack over 16-bit masks
                while (m < 65536) {
                    visit(key ^ m);
                    const unsigned t = m | (m - 1);
                    m = (t + 1) | (((~t & -~t) - 1) >> (std::countr_zero(m) + 1));
                }
            }
        }
    }
    void range_one(const Hash256& q, std::uint32_t qi, int radius, std::vector<IndexMatch>& out) const override {
        // Candidates are verified as they come (independent loads the core
        // overlaps); only matches, found once per agreeing chunk, are deduplicated.
        const Words qw = to_words(q);
        const std::size_t start = out.size();
        probe(q, std::min(radius / 16, 16), [&](std::uint32_t e) {
            const int d = distance(qw, &words_[4 * static_cast<std::size_t>(e)]);
            if (d <= radius) out.push_back({qi, e, static_cast<std::uint32_t>(d)});
        });
        const auto first = out.begin() + static_cast<std::ptrdiff_t>(start);
        std::sort(first, out.end(), [](const IndexMatch& a, const IndexMatch& b) { return a.entry < b.entry; });
        out.erase(std::unique(first, out.end(), [](const IndexMatch& a, const IndexMatch& b) { return a.entry == b.entry; }),
                  out.end());
    }
    // A batch (the 8 dihedral variants) at probe radius 0 or 1 in stages, so
    // the random reads overlap instead of waiting one after another: all probe
    // slots (prefetching the offset pairs), then all id runs (prefetched), then
    // the candidates verified with their hashes prefetched a few ahead. With
    // the index cold in cache (a scan decodes an image between lookups) this
    // is several times faster than probing query by query.
    void range_batch(const Hash256* qs, std::size_t n, int radius, std::vector<IndexMatch>& out) const override {
        const int s = std::min(radius / 16, 16);
        if (n_ == 0 || s >= 2) {
            PdqIndex::range_batch(qs, n, radius, out);
            return;
        }
        thread_local std::vector<std::uint32_t> slot, query;
        thread_local std::vector<std::pair<std::uint32_t, std::uint32_t>> cand;  // (query, entry)
        slot.clear();
        query.clear();
        cand.clear();
        for (std::uint32_t qi = 0; qi < n; ++qi)
            for (int c = 0; c < 16; ++c) {
                const std::uint32_t base = static_cast<std::uint32_t>(c) * 65537u, key = qs[qi].w[c];
                for (int b = -1; b < (s ? 16 : 0); ++b) {
                    const std::uint32_t k = base + (b < 0 ? key : key ^ (1u << b));
                    __builtin_prefetch(&offsets_[k]);
                    slot.push_back(k);
                    query.push_back(qi);
                }
            }
        std::vector<std::pair<std::uint32_t, std::uint32_t>> runs(slot.size());
        for (std::size_t i = 0; i < slot.size(); ++i) {
            const std::size_t ids_base = static_cast<std::size_t>(slot[i] / 65537u) * n_;
            runs[i] = {static_cast<std::uint32_t>(offsets_[slot[i]]), static_cast<std::uint32_t>(offsets_[slot[i] + 1])};
            if (runs[i].first < runs[i].second) __builtin_prefetch(&ids_[ids_base + runs[i].first]);
        }
        for (std::size_t i = 0; i < slot.size(); ++i) {
            const std::uint32_t* ids = ids_.data() + static_cast<std::size_t>(slot[i] / 65537u) * n_;
            for (std::uint32_t p = runs[i].first; p < runs[i].second; ++p) cand.emplace_back(query[i], ids[p]);
        }
        thread_local std::vector<Words> qw;
        qw.resize(n);
        for (std::size_t i = 0; i < n; ++i) qw[i] = to_words(qs[i]);
        const std::size_t start = out.size();
        constexpr std::size_t kAhead = 16;
        for (std::size_t i = 0; i < cand.size(); ++i) {
            if (i + kAhead < cand.size()) __builtin_prefetch(&words_[4 * static_cast<std::size_t>(cand[i + kAhead].second)]);
            const int d = distance(qw[cand[i].first], &words_[4 * static_cast<std::size_t>(cand[i].second)]);
            if (d <= radius) out.push_back({cand[i].first, cand[i].second, static_cast<std::uint32_t>(d)});
        }
        const auto first = out.begin() + static_cast<std::ptrdiff_t>(start);
        std::sort(first, out.end(), [](const IndexMatch& a, const IndexMatch& b) {
            return a.query != b.query ? a.query < b.query : a.entry < b.entry;
        });
        out.erase(std::unique(first, out.end(),
                              [](const IndexMatch& a, const IndexMatch& b) { return a.query == b.query && a.entry == b.entry; }),
                  out.end());
    }
    int nearest_distance(const Hash256& q) const override {
        // Widen the probe radius until a candidate is found within the
        // radius the probe guarantees complete: s probes cover d <= 16*s+15.
        const Words qw = to_words(q);
        int best = 257;
        for (int s = 0; s <= 16; ++s) {
            probe(q, s, [&](std::uint32_t e) { best = std::min(best, distance(qw, &words_[4 * static_cast<std::size_t>(e)])); });
            if (best <= 16 * s + 15 || s == 16) return best;
        }
        return best;
    }

private:
    HugeVector<std::uint64_t> words_;
    std::size_t n_;
    HugeVector<std::uint32_t> offsets_, ids_;
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
    void range_one(const Hash256& q, std::uint32_t qi, int radius, std::vector<IndexMatch>& out) const override {
        if (!n_) return;
        const Words qw = to_words(q);
        walk(qw, 0, [&](std::uint32_t slot, int d) {
            if (d <= radius) out.push_back({qi, perm_[slot], static_cast<std::uint32_t>(d)});
        }, [&](int dp) { return std::pair{dp - radius, dp + radius}; });
    }
    int nearest_distance(const Hash256& q) const override {
        const Words qw = to_words(q);
        int best = 257;
        walk(qw, 0, [&](std::uint32_t, int d) { best = std::min(best, d); },
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

    // Visits candidate slots; `window(d_pivot)` gives the child distance
    // range still worth descending (it may shrink as `report` is called).
    template <class Report, class Window>
    void walk(const Words& q, std::uint32_t node, Report&& report, Window&& window) const {
        const Node& nd = nodes_[node];
        if (nd.count) {
            std::uint16_t d[kLeaf];
            kernels::active().hamming_1xn(q.data(), &words_[4 * static_cast<std::size_t>(nd.pivot)], nd.count, d);
            for (std::uint32_t i = 0; i < nd.count; ++i) report(nd.pivot + i, d[i]);
            return;
        }
        const int dp = distance(q, &words_[4 * static_cast<std::size_t>(nd.pivot)]);
        report(nd.pivot, dp);
        for (std::uint32_t e = nd.edge_begin; e < nd.edge_end; ++e) {
            const auto [lo, hi] = window(dp);  // re-read: nearest search tightens it
            const int cd = static_cast<int>(edges_[e].distance);
            if (cd < lo) continue;
            if (cd > hi) break;  // edges are sorted by distance
            walk(q, edges_[e].node, report, window);
        }
    }

    std::size_t n_;
    HugeVector<std::uint64_t> words_;
    std::vector<std::uint32_t> perm_;
    std::vector<Node> nodes_;
    std::vector<Edge> edges_;
};

}  // namespace

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

Error make_pdq_index(std::string_view spec, const std::vector<Hash256>& hashes, std::unique_ptr<PdqIndex>& out,
                     int typical_radius) noexcept {
    return detail::guard([&]() -> Error {
        out.reset();
        if (hashes.size() >= UINT32_MAX) return {Status::invalid_argument, "too many hashes for one index (max 2^32-2)"};
        std::string_view s = spec;
        if (s == "auto") {
            // Crossovers measured by bench_index on this machine kind (bench/README.md):
            // MIH is 10-300x faster than a scan at r <= 31 from 10^4 hashes up,
            // still faster at r = 47 up to ~10^5 hashes, slower at r = 63. The
            // BK-tree beats the scan only at small radii, where MIH beats it more.
            const std::size_t n = hashes.size();
            const bool mih = n >= 1'000 && (typical_radius <= 31 || (typical_radius <= 47 && n <= 300'000));
            s = mih ? "mih" : "scan";
        }
        if (s == "scan") out = std::make_unique<ScanIndex>(hashes);
        else if (s == "mih") out = std::make_unique<MihIndex>(hashes);
        else if (s == "bktree") out = std::make_unique<BkTreeIndex>(hashes);
        else return {Status::invalid_argument, "unknown index spec '" + std::string(spec) + "' (scan, mih, bktree, auto)"};
        return {};
    });
}

}  // namespace hashguard
