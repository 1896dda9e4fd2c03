// Multi-index hashing (Norouzi, Punjani, Fleet: arXiv 1307.2982) sized to the
// list: the 256 bits are cut into m chunks of ~log2(n) bits (chosen from n
// and the typical radius by a cost model), each chunk a table of slots
// over entry ids sorted by that chunk's key. A search probes, per chunk,
// every key within that chunk's probe radius of the query's; the radii come
// from the generalised pigeonhole (mih_probe_radii), so it is exact for any
// radius 0..256 and chunks of unequal width. Candidates are verified by the
// kernels' range_pairs. When the probes would cost more than reading every
// hash, it scans the rows instead.
//
// A chunk's table has one 32-bit slot per key: kEmpty, or a bucket of one
// entry as that entry's id with kSingle set, or the position of the bucket's
// run in the ids array, whose last id has kSingle set (the run's end). At
// 10^7 hashes (23-24 bit chunks, 0.6-1.2 ids per key) most probed buckets are
// empty or hold one id, so a probe reads its slot and, for one id, goes
// straight to the hash: the ids array is read only for buckets of two or
// more (0.27 reads per probe instead of 0.63 with (begin, end) offsets).
#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "index/index_impl.hpp"

namespace hashguard::detail {

namespace {

constexpr std::size_t kMaxBytesPerHash = 112;           // tables + ids; with the 32-byte hashes <= 144
constexpr std::uint32_t kEmpty = 0xFFFFFFFFu, kSingle = 0x80000000u, kIdMask = 0x7FFFFFFFu;
constexpr std::size_t kSmallTables = std::size_t{4} << 20;

// Keys within s bits of a b-bit key (all 2^b when s >= b; none when s < 0).
double probe_count(int b, int s) {
    if (s < 0) return 0;
    if (s >= b) return std::ldexp(1.0, b);
    double c = 1, sum = 1;
    for (int k = 1; k <= s; ++k) {
        c = c * (b - k + 1) / k;
        sum += c;
    }
    return sum;
}

// Expected random reads per probe of a b-bit chunk over n hashes: the slot,
// the id run when the bucket holds two or more, and its lambda candidates.
double probe_cost(int b, std::size_t n) {
    const double lambda = static_cast<double>(n) / std::ldexp(1.0, b);
    return 1 + (1 - std::exp(-lambda) * (1 + lambda)) + lambda;
}

// Expected random reads of one query.
double query_cost(const MihShape& shape, std::size_t n, const std::array<int, kMihMaxChunks>& radii) {
    double cost = 0;
    for (int c = 0; c < shape.chunks; ++c) cost += probe_count(shape.width[c], radii[c]) * probe_cost(shape.width[c], n);
    return cost;
}

// Bits [start, start + width) of a hash's words (width <= 32).
inline std::uint32_t chunk_key(const std::uint64_t* w, int start, int width) {
    const int wi = start >> 6, sh = start & 63;
    std::uint64_t v = w[wi] >> sh;
    if (sh + width > 64) v |= w[wi + 1] << (64 - sh);
    return static_cast<std::uint32_t>(v & ((std::uint64_t{1} << width) - 1));
}

// f(key) for every width-bit key within s bits of key0, by increasing
// distance (Gosper's hack walks the masks of each popcount).
template <class F>
void for_each_key(std::uint32_t key0, int width, int s, F&& f) {
    const std::uint64_t end = std::uint64_t{1} << width;
    if (s >= width) {
        for (std::uint64_t k = 0; k < end; ++k) f(static_cast<std::uint32_t>(k));
        return;
    }
    f(key0);
    for (int bits = 1; bits <= s; ++bits)
        for (std::uint64_t m = (std::uint64_t{1} << bits) - 1; m < end;) {
            f(key0 ^ static_cast<std::uint32_t>(m));
            const std::uint64_t t = m | (m - 1);
            m = (t + 1) | (((~t & (t + 1)) - 1) >> (std::countr_zero(m) + 1));
        }
}

struct Slot {
    std::uint32_t key;
    std::uint16_t chunk, query;
};
struct Run {
    std::uint64_t begin, end;  // ids_[begin] starts the run; `end` bounds it (its chunk's end)
    std::uint32_t query;
};

// Per-thread buffers of the staged search, reused between searches. The
// stages run over windows of slots and pairs small enough to stay in L1/L2:
// buffers for a whole batch (~0.8 MB of slots, runs and pairs at 10^7, r = 31)
// were cold after a decode between two lookups (bench_index evict/: a lookup
// after 32 MB of other writes took up to 2.6x one without), and their write
// misses queued behind the index's reads. Windows, same 10^7 list, three
// interleaved runs: 1.73-1.99 -> 1.43-1.80 ms fresh, 2.64-2.93 -> 2.24-2.49
// ms after the 32 MB.
struct Scratch {
    std::vector<Slot> slots;
    std::vector<Run> runs;
    std::vector<kernels::RangePair> pairs;
    std::vector<kernels::RangeHit> hits, found;
};
constexpr std::size_t kSlotWindow = 1024, kPairWindow = 2048;

}  // namespace

MihShape mih_shape_of(int chunks) {
    MihShape s;
    s.chunks = chunks;
    int bit = 0;
    for (int i = 0; i < chunks; ++i) {
        s.width[i] = static_cast<std::uint8_t>(256 / chunks + (i < 256 % chunks ? 1 : 0));
        s.start[i] = static_cast<std::uint16_t>(bit);
        bit += s.width[i];
    }
    return s;
}

std::size_t mih_table_bytes(const MihShape& shape, std::size_t n) {
    std::size_t bytes = 4 * static_cast<std::size_t>(shape.chunks) * n;
    for (int c = 0; c < shape.chunks; ++c) bytes += 4 * ((std::size_t{1} << shape.width[c]) + 1);
    return bytes;
}

std::array<int, kMihMaxChunks> mih_probe_radii(const MihShape& shape, std::size_t n, int radius) {
    // Greedy: radius + 1 increments, each to the chunk whose next probe ring
    // costs least (rings grow with the radius, so this is the cheapest split).
    std::array<int, kMihMaxChunks> s;
    s.fill(-1);
    double cost[kMihMaxChunks];
    for (int c = 0; c < shape.chunks; ++c) cost[c] = probe_cost(shape.width[c], n);
    for (int step = 0; step <= radius; ++step) {
        int best = 0;
        double best_cost = std::numeric_limits<double>::infinity();
        for (int c = 0; c < shape.chunks; ++c) {
            const double ring = (probe_count(shape.width[c], s[c] + 1) - probe_count(shape.width[c], s[c])) * cost[c];
            if (ring < best_cost) best_cost = ring, best = c;
        }
        ++s[best];
    }
    return s;
}

MihShape mih_shape(std::size_t n, int radius) {
    MihShape best = mih_shape_of(kMihMinChunks), smallest = best;
    double best_cost = std::numeric_limits<double>::infinity();
    const std::size_t budget = std::max(kMaxBytesPerHash * n, kSmallTables);
    for (int m = kMihMinChunks; m <= kMihMaxChunks; ++m) {
        const MihShape s = mih_shape_of(m);
        const std::size_t bytes = mih_table_bytes(s, n);
        if (bytes < mih_table_bytes(smallest, n)) smallest = s;
        if (bytes > budget) continue;
        const double cost = query_cost(s, n, mih_probe_radii(s, n, radius));
        if (cost < best_cost) best_cost = cost, best = s;
    }
    return std::isinf(best_cost) ? smallest : best;
}

namespace {

class MihIndex final : public PdqIndex, public StorableIndex {
public:
    // Builds the tables (owned, on huge pages).
    MihIndex(const std::vector<Hash256>& h, const MihShape& shape)
        : own_words_(pack(h)), n_(h.size()), shape_(shape) {
        if (n_ >= kMihMaxHashes) throw std::length_error("MIH holds fewer than 2^31 - 1 hashes");
        set_bases();
        own_offsets_.resize(base_[shape_.chunks]);  // every entry written by build_chunk
        own_ids_.resize(static_cast<std::size_t>(shape_.chunks) * n_);
        words_ = own_words_.data();
        offsets_ = own_offsets_.data();
        ids_ = own_ids_.data();
        build_chunks();
    }
    // Reads tables stored elsewhere (a mapped snapshot, kept alive by `keep`).
    MihIndex(const MihShape& shape, std::size_t n, const std::uint64_t* words, const std::uint32_t* offsets,
             const std::uint32_t* ids, std::shared_ptr<const void> keep)
        : n_(n), shape_(shape), words_(words), offsets_(offsets), ids_(ids), keep_(std::move(keep)) {
        set_bases();
    }
    void arrays(IndexArrays& out) const override {
        out.kind = "mih";
        out.param = static_cast<std::uint32_t>(shape_.chunks);
        out.parts = {{offsets_, 4 * base_[shape_.chunks]}, {ids_, 4 * static_cast<std::size_t>(shape_.chunks) * n_}};
    }
    const char* name() const noexcept override { return "mih"; }
    std::size_t size() const noexcept override { return n_; }
    std::size_t memory_bytes() const noexcept override {
        return 32 * n_ + mih_table_bytes(shape_, n_);
    }

protected:
    void range_one(const Hash256& q, std::uint32_t qi, int radius, std::vector<IndexMatch>& out) const override {
        search(&q, 1, radius, qi, out);
    }
    void range_batch(const Hash256* qs, std::size_t n, int radius, std::vector<IndexMatch>& out) const override {
        constexpr std::size_t kBatch = 64;  // queries per staged search (bounds the scratch)
        for (std::size_t q0 = 0; q0 < n; q0 += kBatch) search(qs + q0, std::min(kBatch, n - q0), radius, q0, out);
    }
    // The smallest radius with a hit, in steps of 8 (each search is exact).
    int nearest_distance(const Hash256& q) const override {
        std::vector<IndexMatch> hits;
        for (int r = 0;; r = std::min(256, r + 8)) {
            search(&q, 1, r, 0, hits);
            if (!hits.empty() || r == 256) {
                int best = 257;
                for (const auto& m : hits) best = std::min(best, static_cast<int>(m.distance));
                return best;
            }
        }
    }

private:
    std::uint32_t key(std::size_t entry, int c) const {
        return chunk_key(&words_[4 * entry], shape_.start[c], shape_.width[c]);
    }

    void set_bases() {
        std::size_t base = 0;
        for (int c = 0; c < shape_.chunks; ++c) {
            base_[c] = base;
            base += (std::size_t{1} << shape_.width[c]) + 1;
        }
        base_[shape_.chunks] = base;
    }

    // Every chunk's key of every hash, in one pass over the rows (a pass per
    // chunk would read all 32 bytes of every row for 2-4 of them), into the
    // ids array (chunk c's keys where its ids go): build_chunk turns them into
    // ids in place.
    void extract_keys(std::size_t begin, std::size_t end) noexcept {
        for (std::size_t i = begin; i < end; ++i)
            for (int c = 0; c < shape_.chunks; ++c)
                own_ids_[static_cast<std::size_t>(c) * n_ + i] = key(i, c);
    }

    // Chunk c's ids sorted by key, stably (each key's ids ascend), and its
    // slots, in two passes: (key, id) pairs scattered by the key's high half
    // into buckets (at most 2^15 write streams, on huge pages), then each
    // bucket, small enough for the caches, counted by the low half straight
    // into its ids and its range of bucket starts (to_slots then makes those
    // slots). A counting sort
    // straight into the 2^width-entry table, reading the rows per chunk, did
    // ~2n random increments and writes per chunk: 10^7 hashes took ~7 s to
    // index (2 threads), this ~1 s.
    void build_chunk(int c, HugeVector<std::uint64_t>& pairs, std::vector<std::uint32_t>& high,
                     std::vector<std::uint32_t>& low, std::vector<std::uint32_t>& next) {
        const int width = shape_.width[c], hb = (width + 1) / 2, lb = width - hb;
        const std::uint32_t low_mask = (std::uint32_t{1} << lb) - 1;
        std::uint32_t* keys = own_ids_.data() + static_cast<std::size_t>(c) * n_;  // keys in, ids out
        std::uint32_t* off = own_offsets_.data() + base_[c];
        high.assign((std::size_t{1} << hb) + 1, 0);
        for (std::size_t i = 0; i < n_; ++i) ++high[(keys[i] >> lb) + 1];
        for (std::size_t h = 1; h < high.size(); ++h) high[h] += high[h - 1];
        low.resize(std::size_t{1} << lb);
        next.assign(high.begin(), high.end() - 1);
        for (std::size_t i = 0; i < n_; ++i)
            pairs[next[keys[i] >> lb]++] = std::uint64_t{keys[i]} << 32 | static_cast<std::uint32_t>(i);
        for (std::size_t h = 0; h + 1 < high.size(); ++h) {
            const std::uint32_t b = high[h], e = high[h + 1];
            std::fill(low.begin(), low.end(), 0u);
            for (std::uint32_t p = b; p < e; ++p) ++low[static_cast<std::uint32_t>(pairs[p] >> 32) & low_mask];
            std::uint32_t start = b;
            for (std::size_t l = 0; l < low.size(); ++l) {
                off[(h << lb) + l] = start;
                const std::uint32_t count = low[l];
                low[l] = start;
                start += count;
            }
            for (std::uint32_t p = b; p < e; ++p)
                keys[low[static_cast<std::uint32_t>(pairs[p] >> 32) & low_mask]++] = static_cast<std::uint32_t>(pairs[p]);
        }
        to_slots(off, std::size_t{1} << width, keys);
    }
    // Bucket starts (off[k] = position of key k's first id, ascending) into
    // slots: kEmpty, kSingle | id, or the run's start with kSingle on its last id.
    void to_slots(std::uint32_t* off, std::size_t keys, std::uint32_t* ids) const noexcept {
        for (std::size_t k = 0; k < keys; ++k) {
            const std::uint32_t b = off[k], e = k + 1 < keys ? off[k + 1] : static_cast<std::uint32_t>(n_);
            if (e > b) ids[e - 1] |= kSingle;
            off[k] = e == b ? kEmpty : e - b == 1 ? ids[b] : b;
        }
        off[keys] = kEmpty;  // the table's spare slot (the layout keeps 2^width + 1)
    }
    // Keys on two threads by rows, then the chunks (independent) on two
    // threads, each with its own buffers (wiped: the pairs hold keys, parts of
    // the hashes).
    void build_chunks() {
        const int threads = n_ >= ParallelFrom::mih_hashes.load() ? 2 : 1;
        std::atomic<int> part{0};
        auto keys = [&]() noexcept {
            for (int t; (t = part.fetch_add(1)) < threads;)
                extract_keys(n_ * static_cast<std::size_t>(t) / threads, n_ * static_cast<std::size_t>(t + 1) / threads);
        };
        run_on_threads(threads, keys);
        std::atomic<int> next{0};
        std::atomic<bool> failed{false};
        auto work = [&]() noexcept {
            try {
                HugeVector<std::uint64_t> pairs(n_);
                std::vector<std::uint32_t> high, low, starts;
                for (int c; !failed && (c = next.fetch_add(1)) < shape_.chunks;)
                    build_chunk(c, pairs, high, low, starts);
            } catch (...) {  // out of memory for the buffers
                failed = true;
            }
        };
        run_on_threads(threads, work);
        if (failed) throw std::bad_alloc();
    }

    void search(const Hash256* qs, std::size_t nq, int radius, std::size_t q0, std::vector<IndexMatch>& out) const;
    template <class F>
    void probe_slots(const std::vector<std::uint64_t>& qw, std::size_t nq, const std::array<int, kMihMaxChunks>& radii,
                     Scratch& s, F&& window) const;
    void read_runs(Scratch& s) const;
    template <class V>
    void expand_runs(Scratch& s, V&& verify) const;

    HugeVector<std::uint64_t> own_words_;
    HugeVector<std::uint32_t> own_offsets_, own_ids_;
    std::size_t n_;
    MihShape shape_;
    std::array<std::size_t, kMihMaxChunks + 1> base_{};  // each chunk's first offset; [chunks]: the total
    // The arrays searched: the owned ones, or stored ones (a snapshot). Stored
    // tables are bounds-clamped where read (read_runs, expand_runs), so any
    // bytes are memory-safe.
    const std::uint64_t* words_ = nullptr;
    const std::uint32_t* offsets_ = nullptr;
    const std::uint32_t* ids_ = nullptr;
    std::shared_ptr<const void> keep_;
};

// A batch (the 8 dihedral variants) runs in stages, so that the random reads
// of each stage overlap instead of waiting one after another: probe slots,
// by windows of kSlotWindow; their table slots (prefetched a few ahead) into
// candidates (a one-id bucket, its hash prefetched at once) and id runs, each
// run's first id line prefetched as soon as its slot is read; the runs into
// candidates, each candidate's hash
// prefetched as soon as its id is read; the candidates verified by the kernel
// by the thousand; then matches found through several chunks are merged. Each
// stage thus finds most of its lines on the way when it starts. With the index
// cold in cache (a scan decodes an image between lookups) this is several
// times faster than query by query, and the windows keep the stages' own
// buffers in L1/L2.
void MihIndex::search(const Hash256* qs, std::size_t nq, int radius, std::size_t q0, std::vector<IndexMatch>& out) const {
    if (n_ == 0 || nq == 0) return;
    const std::vector<std::uint64_t> qw = pack_queries(qs, nq);
    const auto radii = mih_probe_radii(shape_, n_, radius);
    // A unit of query_cost took ~33 ns in bench_index at 10^7 hashes, r = 63
    // (candidates by the million), a hash of a row scan ~1.9 ns per query.
    if (query_cost(shape_, n_, radii) > 0.05 * static_cast<double>(n_)) {
        const std::size_t start = out.size();
        range_rows_all(words_, n_, qs, nq, radius, out);
        for (std::size_t i = start; i < out.size(); ++i) out[i].query += static_cast<std::uint32_t>(q0);
        return;
    }
    thread_local Scratch s;
    s.slots.clear();
    s.pairs.clear();
    s.found.clear();
    auto by_query_entry = [](const kernels::RangeHit& a, const kernels::RangeHit& b) {
        return a.query != b.query ? a.query < b.query : a.entry < b.entry;
    };
    auto same_hit = [](const kernels::RangeHit& a, const kernels::RangeHit& b) {
        return a.query == b.query && a.entry == b.entry;
    };
    std::size_t compact_at = std::size_t{1} << 16;  // hits kept before duplicates are merged
    auto verify = [&] {
        s.hits.resize(s.pairs.size());
        const std::size_t k =
            kernels::active().range_pairs(qw.data(), words_, s.pairs.data(), s.pairs.size(), radius, s.hits.data());
        s.found.insert(s.found.end(), s.hits.begin(), s.hits.begin() + static_cast<std::ptrdiff_t>(k));
        s.pairs.clear();
        if (s.found.size() >= compact_at) {  // a match seen through many chunks (or a stored table's repeats)
            std::sort(s.found.begin(), s.found.end(), by_query_entry);
            s.found.erase(std::unique(s.found.begin(), s.found.end(), same_hit), s.found.end());
            compact_at = std::max(compact_at, 2 * s.found.size());
        }
    };
    auto window = [&] {  // the slots so far into runs, the runs into candidates, verified by the thousand
        read_runs(s);
        expand_runs(s, verify);
        s.slots.clear();
        if (s.pairs.size() >= kPairWindow) verify();
    };
    probe_slots(qw, nq, radii, s, window);
    window();
    verify();
    std::sort(s.found.begin(), s.found.end(), by_query_entry);
    s.found.erase(std::unique(s.found.begin(), s.found.end(), same_hit), s.found.end());
    for (const kernels::RangeHit& h : s.found)
        out.push_back({static_cast<std::uint32_t>(q0 + h.query), h.entry, h.distance});
}

// Every probe slot of the batch, handed on by windows of kSlotWindow.
template <class F>
void MihIndex::probe_slots(const std::vector<std::uint64_t>& qw, std::size_t nq,
                           const std::array<int, kMihMaxChunks>& radii, Scratch& s, F&& window) const {
    for (std::size_t qi = 0; qi < nq; ++qi)
        for (int c = 0; c < shape_.chunks; ++c) {
            if (radii[c] < 0) continue;
            const std::uint32_t key0 = chunk_key(&qw[4 * qi], shape_.start[c], shape_.width[c]);
            for_each_key(key0, shape_.width[c], radii[c], [&](std::uint32_t k) {
                s.slots.push_back({k, static_cast<std::uint16_t>(c), static_cast<std::uint16_t>(qi)});
                if (s.slots.size() == kSlotWindow) window();
            });
        }
}

// Branch-free (a mispredicted test of a just-loaded slot would discard the
// loads in flight behind it): a one-id bucket becomes a candidate at once,
// its hash line prefetched; a run's first id line is prefetched.
void MihIndex::read_runs(Scratch& s) const {
    constexpr std::size_t kAhead = 16;
    const std::size_t n = s.slots.size();
    s.runs.resize(n);
    const std::size_t first_pair = s.pairs.size();
    s.pairs.resize(first_pair + n);
    std::size_t runs = 0, singles = first_pair;
    const auto last = static_cast<std::uint32_t>(n_ - 1);
    for (std::size_t i = 0; i < n; ++i) {
        if (i + kAhead < n) __builtin_prefetch(&offsets_[base_[s.slots[i + kAhead].chunk] + s.slots[i + kAhead].key]);
        const Slot& sl = s.slots[i];
        const std::uint32_t v = offsets_[base_[sl.chunk] + sl.key];
        const std::size_t ids_base = static_cast<std::size_t>(sl.chunk) * n_;
        const bool single = (v & kSingle) && v != kEmpty, run = !(v & kSingle);
        const std::uint32_t id = std::min(v & kIdMask, last);  // a stored table: any value stays in bounds
        __builtin_prefetch(&words_[single ? 4 * static_cast<std::size_t>(id) : 0]);
        __builtin_prefetch(&ids_[ids_base + (run ? id : 0)]);
        s.pairs[singles] = {id, sl.query};
        singles += single;
        s.runs[runs] = {ids_base + id, ids_base + n_, sl.query};
        runs += run;
    }
    s.runs.resize(runs);
    s.pairs.resize(singles);
}

// A run's ids up to the one marked last (or its chunk's end, for a stored
// table); each candidate's hash line is prefetched as soon as its id is read.
// Candidates past 4 windows are verified on the way, so a huge bucket (or a
// stored table whose runs never end) cannot grow the buffer past that.
template <class V>
void MihIndex::expand_runs(Scratch& s, V&& verify) const {
    constexpr std::size_t kAhead = 16;
    const std::size_t n = s.runs.size();  // appended to s.pairs
    const auto last = static_cast<std::uint32_t>(n_ - 1);
    for (std::size_t i = 0; i < n; ++i) {
        if (i + kAhead < n) __builtin_prefetch(&ids_[s.runs[i + kAhead].begin]);
        for (std::uint64_t p = s.runs[i].begin; p < s.runs[i].end; ++p) {
            const std::uint32_t v = ids_[p];
            const std::uint32_t id = std::min(v & kIdMask, last);  // a stored table: any value stays in bounds
            __builtin_prefetch(&words_[4 * static_cast<std::size_t>(id)]);
            s.pairs.push_back({id, s.runs[i].query});
            if (s.pairs.size() >= 4 * kPairWindow) verify();
            if (v & kSingle) break;
        }
    }
}

}  // namespace

std::unique_ptr<PdqIndex> make_mih_index(const std::vector<Hash256>& hashes, const MihShape& shape) {
    return std::make_unique<MihIndex>(hashes, shape);
}

std::unique_ptr<PdqIndex> adopt_mih_index(const MihShape& shape, std::size_t n, const std::uint64_t* words,
                                          const std::uint32_t* offsets, const std::uint32_t* ids,
                                          std::shared_ptr<const void> keep) {
    return std::make_unique<MihIndex>(shape, n, words, offsets, ids, std::move(keep));
}

}  // namespace hashguard::detail
