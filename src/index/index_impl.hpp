// Internals shared by the index implementations (index.cpp: scan, BK-tree,
// the factory; mih.cpp: multi-index hashing): huge-page arrays, hashes as
// words, range hits into IndexMatch, and MIH's shape (tests check it).
#pragma once
#include <sys/mman.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/secure.hpp"
#include "hashguard/index.hpp"
#include "hashguard/lists.hpp"
#include "kernels/kernels.hpp"

namespace hashguard::detail {

// Index arrays (copies of list hashes) are zeroed when freed. Large ones are
// read at random: on 4 KiB pages nearly every read is also a TLB miss. Arrays
// of 2 MiB and more are allocated 2 MiB-aligned and marked for transparent
// huge pages (Linux madvise mode), which cut the 8-query MIH lookup at 10^6
// hashes by a third here. Falls back silently elsewhere.
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
        wipe(p, n * sizeof(T));  // list contents are sensitive: never left in freed memory
        if (n * sizeof(T) < kHuge) std::allocator<T>().deallocate(p, n);
        else std::free(p);
    }
    // Elements are default-initialised (resize leaves integers as the pages
    // come: zero from the kernel), not value-initialised: a second pass of
    // zeroes over a gigabyte of tables cost ~0.3 s at 10^7 hashes.
    template <class U>
    void construct(U* p) noexcept {
        ::new (static_cast<void*>(p)) U;
    }
    template <class U, class... A>
    void construct(U* p, A&&... a) {
        ::new (static_cast<void*>(p)) U(std::forward<A>(a)...);
    }
    template <class U>
    bool operator==(const HugePageAllocator<U>&) const noexcept { return true; }
};
template <class T>
using HugeVector = std::vector<T, HugePageAllocator<T>>;

using Words = std::array<std::uint64_t, 4>;

inline Words to_words(const Hash256& h) {
    Words w;
    std::memcpy(w.data(), h.w.data(), sizeof w);
    return w;
}

/// Hashes as contiguous 4 x uint64 words, the layout the row kernels scan.
inline HugeVector<std::uint64_t> pack(const std::vector<Hash256>& hashes) {
    HugeVector<std::uint64_t> v(4 * hashes.size());
    for (std::size_t i = 0; i < hashes.size(); ++i) std::memcpy(&v[4 * i], hashes[i].w.data(), 32);
    return v;
}

/// Queries of a batch as words, contiguous.
inline std::vector<std::uint64_t> pack_queries(const Hash256* qs, std::size_t n) {
    std::vector<std::uint64_t> v(4 * n);
    for (std::size_t i = 0; i < n; ++i) std::memcpy(&v[4 * i], qs[i].w.data(), 32);
    return v;
}

/// Appends kernel hits as matches; `q0` is added to each hit's query.
inline void append_hits(const kernels::RangeHit* hits, std::size_t n, std::size_t q0, std::vector<IndexMatch>& out) {
    for (std::size_t i = 0; i < n; ++i)
        out.push_back({static_cast<std::uint32_t>(q0 + hits[i].query), hits[i].entry, hits[i].distance});
}

/// Every entry of `words` (n rows) within `radius` of each query, by the
/// active set's row kernel in pieces (one pass over the rows per piece).
void range_rows_all(const std::uint64_t* words, std::size_t n, const Hash256* qs, std::size_t m, int radius,
                    std::vector<IndexMatch>& out);

// ---------------------------------------------------------------- MIH shape
// The hash's 256 bits split into `chunks` runs of consecutive bits, the first
// 256 % chunks one bit wider than the others.
inline constexpr int kMihMinChunks = 9;   // chunks of at most 29 bits (a table of 2^29 offsets: 2 GiB)
inline constexpr int kMihMaxChunks = 48;  // at least 5 bits

struct MihShape {
    int chunks = 0;
    std::array<std::uint8_t, kMihMaxChunks> width{};
    std::array<std::uint16_t, kMihMaxChunks> start{};
};

/// The shape with `chunks` chunks (kMihMinChunks..kMihMaxChunks).
MihShape mih_shape_of(int chunks);

/// The shape chosen for n hashes searched at `radius` most of the time: the
/// least expected probes + bucket reads + candidates per query (the cost
/// model in mih.cpp) among shapes whose tables and ids take at most 112
/// bytes per hash (or 4 MiB in all).
MihShape mih_shape(std::size_t n, int radius);

/// Probe radius per chunk (-1: chunk not probed) for `radius` over n hashes:
/// sum over chunks of (radius_i + 1) = radius + 1, the cheapest such split.
/// Exact by pigeonhole: if d(q, h) <= radius, the chunk distances d_i sum to
/// at most radius, so some d_i <= radius_i (else the sum would be at least
/// sum (radius_i + 1) = radius + 1).
std::array<int, kMihMaxChunks> mih_probe_radii(const MihShape& shape, std::size_t n, int radius);

/// Bytes of MIH's slot tables and ids for n hashes (hashes not included).
std::size_t mih_table_bytes(const MihShape& shape, std::size_t n);

/// MIH's ids are 31 bits (the top bit marks a slot's single id and a run's
/// last id): it holds fewer hashes than this.
inline constexpr std::size_t kMihMaxHashes = 0x7FFFFFFF;

std::unique_ptr<PdqIndex> make_mih_index(const std::vector<Hash256>& hashes, const MihShape& shape);

// ---------------------------------------------------------------- stored indexes
// A built index's arrays as a snapshot stores them (snapshot.cpp), and the
// index read back from them in place.
struct IndexArrays {
    std::string_view kind;   ///< "mih" or "scan"
    std::uint32_t param = 0; ///< mih: the chunk count
    std::vector<std::pair<const void*, std::size_t>> parts;  ///< mih: slot tables, ids; scan: planes
};

/// Implemented by the indexes a snapshot can store.
class StorableIndex {
public:
    virtual void arrays(IndexArrays& out) const = 0;

protected:
    ~StorableIndex() = default;
};

/// The arrays of `index`, or false when its kind cannot be stored (bktree).
inline bool index_arrays(const PdqIndex& index, IndexArrays& out) {
    const auto* s = dynamic_cast<const StorableIndex*>(&index);
    if (s) s->arrays(out);
    return s != nullptr;
}

/// MIH over stored arrays (n rows of 4 words, the shape's slot tables, and
/// chunks x n ids), which `keep` keeps alive. Table values are clamped where
/// read, so any bytes are memory-safe (sizes are the caller's to check).
std::unique_ptr<PdqIndex> adopt_mih_index(const MihShape& shape, std::size_t n, const std::uint64_t* words,
                                          const std::uint32_t* offsets, const std::uint32_t* ids,
                                          std::shared_ptr<const void> keep);

/// The scan over stored bit-sliced planes (ceil(n / 512) blocks).
std::unique_ptr<PdqIndex> adopt_scan_index(std::size_t n, const std::uint64_t* planes, std::shared_ptr<const void> keep);

/// The library's access to a snapshot's stored index (snapshot.cpp).
struct SnapshotAccess {
    /// The stored index read in place (null when none is stored); `keep`
    /// keeps the snapshot mapped for as long as the index lives.
    static Error stored_index(const Snapshot& s, std::shared_ptr<const void> keep, std::unique_ptr<PdqIndex>& out);
    /// The radius the stored index was built for, or -1.
    static int stored_radius(const Snapshot& s);
};

/// Sizes from which an MIH build and a snapshot's checksum use two threads
/// (tests lower them, so that small inputs take the threaded paths too).
struct ParallelFrom {
    static std::atomic<std::size_t> mih_hashes;   ///< default 2^18
    static std::atomic<std::size_t> verify_bytes; ///< default 128 MiB
};

/// Runs `work` on `threads` threads (this one included) and waits. `work`
/// takes its items from a shared atomic counter, so whichever threads start
/// finish everything: a thread that cannot be created is simply not used.
template <class F>
void run_on_threads(int threads, F& work) {
    static_assert(noexcept(work()), "a worker must not throw (it could not be joined)");
    std::vector<std::thread> extra;
    try {
        extra.reserve(static_cast<std::size_t>(threads > 1 ? threads - 1 : 0));
        for (int i = 1; i < threads; ++i) extra.emplace_back([&work]() noexcept { work(); });
    } catch (...) {  // no thread (or no memory for one): the others do its share
    }
    work();
    for (auto& t : extra) t.join();
}

}  // namespace hashguard::detail
