// The indexes side by side in one process, per list: random hashes at 10^5,
// 10^6 and 10^7 and a clustered 10^7 list (10^5 centres, ~100 noisy copies
// each at 8-20 bits, shuffled: what real PDQ lists look like), r = 31 and 63,
// one query and an 8-query batch (the dihedral variants). Baseline in the
// same run: one read pass over the same hashes (`readpass`, the sum of the
// words: what any exact index that looks at every hash must at least pay).
// Peers: FAISS IndexBinaryMultiHash (16 maps of 16 bits, nflip = r / 16) when
// built with libfaiss-dev. Counters: bytes per hash (hashes included), build
// seconds, matches. The kernel set is the process's (`set` label):
//
//   build/bench/bench_index --benchmark_min_time=0.2
//   HASHGUARD_FORCE_KERNEL=scalar build/bench/bench_index --benchmark_min_time=0.2
//   build/bench/bench_index --benchmark_filter=xover   (crossovers `auto` encodes)
//
// Needs ~4 GB at 10^7 (the list, one index, the FAISS peer). Every benchmark
// of one list runs before the next list is generated.
#include <benchmark/benchmark.h>

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>

#include "hashguard/index.hpp"
#include "kernels/kernels.hpp"

#if defined(HG_HAVE_FAISS)
#include <faiss/IndexBinaryFlat.h>
#include <faiss/IndexBinaryHash.h>
#include <faiss/impl/AuxIndexStructures.h>
#endif

namespace {

using hashguard::Hash256;

Hash256 flip(Hash256 h, int bits, std::mt19937_64& rng) {
    for (int i = 0; i < bits; ++i) {
        const auto b = static_cast<unsigned>(rng() % 256);
        h.w[b >> 4] = static_cast<std::uint16_t>(h.w[b >> 4] ^ (1u << (b & 15)));
    }
    return h;
}

// n random hashes, or noisy copies of n / 100 random centres (each copy
// 8-20 distinct bits off its centre, centres picked at random: shuffled).
std::vector<Hash256> make_list(std::size_t n, bool clustered) {
    std::mt19937_64 rng(n * 2 + clustered);
    auto random_hash = [&] {
        Hash256 h;
        for (auto& w : h.w) w = static_cast<std::uint16_t>(rng());
        return h;
    };
    std::vector<Hash256> v(n);
    if (!clustered) {
        for (auto& h : v) h = random_hash();
        return v;
    }
    std::vector<Hash256> centres(std::max<std::size_t>(1, n / 100));
    for (auto& c : centres) c = random_hash();
    for (auto& h : v) {
        h = centres[rng() % centres.size()];
        std::uint64_t used[4] = {};
        const int bits = 8 + static_cast<int>(rng() % 13);
        for (int flipped = 0; flipped < bits;) {
            const auto b = static_cast<unsigned>(rng() % 256);
            if ((used[b >> 6] >> (b & 63)) & 1) continue;
            used[b >> 6] |= std::uint64_t{1} << (b & 63);
            h.w[b >> 4] = static_cast<std::uint16_t>(h.w[b >> 4] ^ (1u << (b & 15)));
            ++flipped;
        }
    }
    return v;
}

// Hashes as 4 x u64 words on huge pages, as the indexes hold them.
struct Words {
    std::uint64_t* p = nullptr;
    std::size_t n = 0;
    explicit Words(const std::vector<Hash256>& h) : n(h.size()) {
        const std::size_t huge = std::size_t{2} << 20, bytes = (32 * n + huge - 1) / huge * huge;
        p = static_cast<std::uint64_t*>(std::aligned_alloc(huge, std::max(bytes, huge)));
        if (!p) std::abort();
        madvise(p, bytes, MADV_HUGEPAGE);
        for (std::size_t i = 0; i < n; ++i) std::memcpy(p + 4 * i, h[i].w.data(), 32);
    }
    ~Words() { std::free(p); }
    Words(const Words&) = delete;
    Words& operator=(const Words&) = delete;
};

// The list being measured (one at a time) and its queries: kPool batches of
// 8 noisy copies (16 random bit flips) of random entries. A benchmark with
// fresh = 0 searches the first batch every iteration (what it touches stays
// in cache); fresh = 1 takes the next batch each time, as a scanner does
// with the index cold after each decode.
constexpr std::size_t kPool = 256;
struct List {
    std::size_t n = 0;
    bool clustered = false;
    std::vector<Hash256> hashes, queries;
    std::unique_ptr<Words> words;
};

const List& get_list(std::size_t n, bool clustered) {
    static List cur;
    if (cur.n == n && cur.clustered == clustered && !cur.hashes.empty()) return cur;
    cur = List{};
    cur.n = n;
    cur.clustered = clustered;
    cur.hashes = make_list(n, clustered);
    std::mt19937_64 rng(7);
    for (std::size_t i = 0; i < 8 * kPool; ++i) cur.queries.push_back(flip(cur.hashes[rng() % n], 16, rng));
    cur.words = std::make_unique<Words>(cur.hashes);
    return cur;
}

struct Built {
    std::string spec;
    std::size_t n = 0;
    bool clustered = false;
    int radius = -1;
    std::unique_ptr<hashguard::PdqIndex> index;
    double build_seconds = 0;
};

// One index at a time, built for the radius it is searched at (as the
// scanner builds a list's index for its threshold).
const Built& get_index(const std::string& spec, const List& l, int radius) {
    static Built cur;
    if (cur.index && cur.spec == spec && cur.n == l.n && cur.clustered == l.clustered && cur.radius == radius) return cur;
    cur = Built{};
    const auto t0 = std::chrono::steady_clock::now();
    if (hashguard::make_pdq_index(spec, l.hashes, cur.index, radius)) std::abort();
    cur.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    cur.spec = spec;
    cur.n = l.n;
    cur.clustered = l.clustered;
    cur.radius = radius;
    return cur;
}

void label(benchmark::State& state) { state.SetLabel(hashguard::kernels::active().name); }

void BM_Range(benchmark::State& state, std::string spec, bool clustered) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const int radius = static_cast<int>(state.range(1));
    const auto batch = static_cast<std::size_t>(state.range(2));
    const bool fresh = state.range(3) != 0;
    const List& l = get_list(n, clustered);
    const Built& b = get_index(spec, l, radius);
    std::vector<hashguard::IndexMatch> out;
    std::size_t next = 0, matches = 0;
    for (auto _ : state) {
        out.clear();
        const Hash256* qs = &l.queries[8 * next];
        if (b.index->range_search(qs, batch, radius, out)) state.SkipWithError("search failed");
        benchmark::DoNotOptimize(out.data());
        matches += out.size();
        if (fresh) next = (next + 1) % kPool;
    }
    out.resize(matches / std::max<std::size_t>(1, state.iterations()));  // matches per search, for the counter
    state.counters["bytes_per_hash"] = static_cast<double>(b.index->memory_bytes()) / static_cast<double>(n);
    state.counters["build_s"] = b.build_seconds;
    state.counters["matches"] = static_cast<double>(out.size());
    label(state);
}

// What a scanner does between two lookups, roughly: a decode and hash write
// tens of MB. Fresh 8-query batches with, between searches (not timed), 32 MB
// on 4 KiB pages touched one byte per page (evicts TLB entries, few cache
// lines) or one byte per 64-byte line (evicts the caches too). mode 0: nothing.
void BM_Evict(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const int mode = static_cast<int>(state.range(1));
    const List& l = get_list(n, false);
    const Built& b = get_index("auto", l, 31);
    constexpr std::size_t kBytes = std::size_t{32} << 20;
    static std::vector<char> other(kBytes, 1);  // plain malloc: 4 KiB pages unless THP is "always"
    const std::size_t step = mode == 1 ? 4096 : 64;
    std::vector<hashguard::IndexMatch> out;
    std::size_t next = 0;
    for (auto _ : state) {
        if (mode != 0) {
            state.PauseTiming();
            for (std::size_t i = 0; i < kBytes; i += step) other[i] = static_cast<char>(other[i] + 1);
            benchmark::ClobberMemory();
            state.ResumeTiming();
        }
        out.clear();
        if (b.index->range_search(&l.queries[8 * next], 8, 31, out)) state.SkipWithError("search failed");
        benchmark::DoNotOptimize(out.data());
        next = (next + 1) % kPool;
    }
    label(state);
}

// The baseline: one pass reading every word of the list (4 independent sums).
void BM_ReadPass(benchmark::State& state, bool clustered) {
    const List& l = get_list(static_cast<std::size_t>(state.range(0)), clustered);
    const std::uint64_t* p = l.words->p;
    for (auto _ : state) {
        std::uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (std::size_t i = 0; i < 4 * l.n; i += 4) {
            s0 += p[i];
            s1 += p[i + 1];
            s2 += p[i + 2];
            s3 += p[i + 3];
        }
        benchmark::DoNotOptimize(s0 + s1 + s2 + s3);
    }
    state.counters["bytes_per_hash"] = 32;
    label(state);
}

#if defined(HG_HAVE_FAISS)
// FAISS's binary range search keeps distances strictly below the radius, so
// it is given radius + 1. MultiHash: exact by the same pigeonhole as 16x16 MIH.
void BM_Faiss(benchmark::State& state, bool multihash, bool clustered) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const int radius = static_cast<int>(state.range(1));
    const auto batch = static_cast<faiss::IndexBinary::idx_t>(state.range(2));
    const bool fresh = state.range(3) != 0;
    const List& l = get_list(n, clustered);
    static std::unique_ptr<faiss::IndexBinary> idx;
    static std::tuple<bool, std::size_t, bool> key;
    static double build_s = 0;
    if (!idx || key != std::make_tuple(multihash, n, clustered)) {
        idx.reset();
        const auto t0 = std::chrono::steady_clock::now();
        if (multihash) idx = std::make_unique<faiss::IndexBinaryMultiHash>(256, 16, 16);
        else idx = std::make_unique<faiss::IndexBinaryFlat>(256);
        idx->add(static_cast<faiss::IndexBinary::idx_t>(n), reinterpret_cast<const std::uint8_t*>(l.hashes.data()));
        build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        key = std::make_tuple(multihash, n, clustered);
    }
    if (multihash) static_cast<faiss::IndexBinaryMultiHash*>(idx.get())->nflip = radius / 16;
    std::size_t matches = 0, next = 0;
    for (auto _ : state) {
        faiss::RangeSearchResult res(batch);
        idx->range_search(batch, reinterpret_cast<const std::uint8_t*>(&l.queries[8 * next]), radius + 1, &res);
        matches += res.lims[batch];
        benchmark::DoNotOptimize(res.labels);
        if (fresh) next = (next + 1) % kPool;
    }
    state.counters["matches"] = static_cast<double>(matches) / static_cast<double>(std::max<benchmark::IterationCount>(1, state.iterations()));
    state.counters["build_s"] = build_s;
    state.SetLabel("faiss");
}
#endif

benchmark::internal::Benchmark* reg(benchmark::internal::Benchmark* b) {
    return b->Unit(benchmark::kMillisecond)->UseRealTime();
}

// r = 31 then 63 (one index build each), batches of 1 and 8, the same or
// fresh queries.
benchmark::internal::Benchmark* radii_batches(benchmark::internal::Benchmark* b, long n) {
    b->ArgNames({"n", "r", "batch", "fresh"});
    for (long r : {31L, 63L})
        for (long batch : {1L, 8L})
            for (long fresh : {0L, 1L}) b->Args({n, r, batch, fresh});
    return b;
}

// The main matrix, list by list: read pass, then each index at r = 31, 63
// and batches 1, 8, then the peers.
void register_lists() {
    const std::pair<long, bool> lists[] = {{100'000, false}, {1'000'000, false}, {10'000'000, false}, {10'000'000, true}};
    for (auto [n, clustered] : lists) {
        const std::string kind = clustered ? "/clustered" : "/random";
        reg(benchmark::RegisterBenchmark(("readpass" + kind).c_str(), BM_ReadPass, clustered))
            ->ArgNames({"n"})->Args({n});
        for (const char* spec : {"scan", "mih", "bktree", "auto"})
            radii_batches(reg(benchmark::RegisterBenchmark((std::string(spec) + kind).c_str(), BM_Range, std::string(spec), clustered)), n);
#if defined(HG_HAVE_FAISS)
        if (n <= 1'000'000)
            radii_batches(reg(benchmark::RegisterBenchmark(("faiss_flat" + kind).c_str(), BM_Faiss, false, clustered)), n);
        radii_batches(reg(benchmark::RegisterBenchmark(("faiss_multihash" + kind).c_str(), BM_Faiss, true, clustered)), n);
#endif
    }
}

// A lookup after other work (BM_Evict): 10^6 and 10^7, r = 31, 8 fresh queries.
void register_evict() {
    reg(benchmark::RegisterBenchmark("evict/auto/random", BM_Evict))
        ->ArgNames({"n", "mode"})
        ->ArgsProduct({{1'000'000, 10'000'000}, {0, 1, 2}});
}

// Crossovers between the indexes (what `auto` encodes): 8-query batches,
// random lists, radii 8..80.
void register_crossovers() {
    for (long n : {1'000L, 10'000L, 100'000L, 1'000'000L, 10'000'000L}) {
        reg(benchmark::RegisterBenchmark("xover/readpass", BM_ReadPass, false))->ArgNames({"n"})->Args({n});
        for (const char* spec : {"scan", "mih", "bktree"}) {
            if (n == 10'000'000L && std::strcmp(spec, "bktree") == 0) continue;
            reg(benchmark::RegisterBenchmark((std::string("xover/") + spec).c_str(), BM_Range, std::string(spec), false))
                ->ArgNames({"n", "r", "batch", "fresh"})->ArgsProduct({{n}, {8, 16, 24, 31, 40, 47, 56, 63, 80}, {8}, {1}});
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    register_lists();
    register_crossovers();
    register_evict();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
