// Every index at several list sizes and radii, random and clustered lists,
// one query and an 8-variant batch; build time and bytes per hash as counters.
//
//   build/bench/bench_index --benchmark_min_time=0.2
//   (10^7 hashes: --benchmark_filter=10000000 ; needs ~1.5 GB)
#include <benchmark/benchmark.h>

#include <chrono>
#include <map>
#include <memory>
#include <random>

#include "hashguard/index.hpp"

#if defined(HG_HAVE_FAISS)
#include <faiss/IndexBinaryFlat.h>
#include <faiss/IndexBinaryHash.h>
#include <faiss/impl/AuxIndexStructures.h>
#endif

namespace {

using hashguard::Hash256;

std::vector<Hash256> make_list(std::size_t n, bool clustered) {
    std::mt19937_64 rng(n * 2 + clustered);
    std::vector<Hash256> centres(1000);
    for (auto& c : centres)
        for (auto& w : c.w) w = static_cast<std::uint16_t>(rng());
    std::vector<Hash256> v(n);
    for (auto& h : v) {
        if (clustered) {
            h = centres[rng() % centres.size()];
            for (int i = 0; i < 24; ++i) {
                const int b = static_cast<int>(rng() % 256);
                h.w[b >> 4] = static_cast<std::uint16_t>(h.w[b >> 4] ^ (1u << (b & 15)));
            }
        } else {
            for (auto& w : h.w) w = static_cast<std::uint16_t>(rng());
        }
    }
    return v;
}

struct Built {
    std::vector<Hash256> list;
    std::unique_ptr<hashguard::PdqIndex> index;
    double build_seconds;
};

const Built& get(const std::string& spec, std::size_t n, bool clustered) {
    static std::map<std::tuple<std::string, std::size_t, bool>, Built> cache;
    auto key = std::make_tuple(spec, n, clustered);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    if (!cache.empty() && std::get<1>(cache.begin()->first) != n) cache.clear();  // bound memory
    Built b;
    b.list = make_list(n, clustered);
    const auto t0 = std::chrono::steady_clock::now();
    if (hashguard::make_pdq_index(spec, b.list, b.index)) std::abort();
    b.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return cache.emplace(key, std::move(b)).first->second;
}

void BM_Range(benchmark::State& state, std::string spec, bool clustered) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const int radius = static_cast<int>(state.range(1));
    const std::size_t batch = static_cast<std::size_t>(state.range(2));
    const Built& b = get(spec, n, clustered);
    // Queries: noisy copies of entries (a hit exists) for clustered, random otherwise.
    std::mt19937_64 rng(7);
    std::vector<Hash256> qs(batch);
    for (auto& q : qs) {
        q = b.list[rng() % n];
        for (int i = 0; i < 16; ++i) q.w[rng() % 16] ^= static_cast<std::uint16_t>(1u << (rng() % 16));
    }
    std::vector<hashguard::IndexMatch> out;
    for (auto _ : state) {
        out.clear();
        if (b.index->range_search(qs.data(), qs.size(), radius, out)) state.SkipWithError("search failed");
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["bytes_per_hash"] = static_cast<double>(b.index->memory_bytes()) / static_cast<double>(n);
    state.counters["build_s"] = b.build_seconds;
    state.counters["matches"] = static_cast<double>(out.size());
    state.SetItemsProcessed(state.iterations());
}

#if defined(HG_HAVE_FAISS)
// FAISS peers, same lists and queries. FAISS's binary range search keeps
// distances strictly below the radius, so it is given radius + 1.
// MultiHash: 16 maps of 16 bits, nflip = r / 16 (exact by the same pigeonhole).
void BM_Faiss(benchmark::State& state, bool multihash, bool clustered) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const int radius = static_cast<int>(state.range(1));
    const auto batch = static_cast<faiss::IndexBinary::idx_t>(state.range(2));
    static std::map<std::tuple<bool, std::size_t, bool>, std::unique_ptr<faiss::IndexBinary>> cache;
    const std::vector<Hash256> list = make_list(n, clustered);
    auto& idx = cache[std::make_tuple(multihash, n, clustered)];
    double build_s = 0;
    if (!idx) {
        const auto t0 = std::chrono::steady_clock::now();
        if (multihash) idx = std::make_unique<faiss::IndexBinaryMultiHash>(256, 16, 16);
        else idx = std::make_unique<faiss::IndexBinaryFlat>(256);
        idx->add(static_cast<faiss::IndexBinary::idx_t>(n), reinterpret_cast<const std::uint8_t*>(list.data()));
        build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    if (multihash) static_cast<faiss::IndexBinaryMultiHash*>(idx.get())->nflip = radius / 16;
    std::mt19937_64 rng(7);
    std::vector<Hash256> qs(static_cast<std::size_t>(batch));
    for (auto& q : qs) {
        q = list[rng() % n];
        for (int i = 0; i < 16; ++i) q.w[rng() % 16] ^= static_cast<std::uint16_t>(1u << (rng() % 16));
    }
    std::size_t matches = 0;
    for (auto _ : state) {
        faiss::RangeSearchResult res(batch);
        idx->range_search(batch, reinterpret_cast<const std::uint8_t*>(qs.data()), radius + 1, &res);
        matches = res.lims[batch];
        benchmark::DoNotOptimize(res.labels);
    }
    state.counters["matches"] = static_cast<double>(matches);
    if (build_s > 0) state.counters["build_s"] = build_s;
    state.SetItemsProcessed(state.iterations());
}
#endif

int register_all() {
    for (const char* spec : {"scan", "mih", "bktree"})
        for (bool clustered : {false, true}) {
            const std::string name = std::string(spec) + (clustered ? "/clustered" : "/random");
            auto* b = benchmark::RegisterBenchmark(name.c_str(), BM_Range, std::string(spec), clustered);
            b->ArgNames({"n", "r", "batch"})->Unit(benchmark::kMillisecond)->UseRealTime();
            for (long n : {10'000L, 100'000L, 1'000'000L})
                for (long r : {8L, 31L, 47L, 63L})
                    for (long batch : {1L, 8L}) b->Args({n, r, batch});
            for (long r : {31L, 63L}) b->Args({10'000'000L, r, 8L});
        }
#if defined(HG_HAVE_FAISS)
    for (bool mh : {false, true})
        for (bool clustered : {false, true}) {
            const std::string name = std::string(mh ? "faiss_multihash" : "faiss_flat") + (clustered ? "/clustered" : "/random");
            auto* b = benchmark::RegisterBenchmark(name.c_str(), BM_Faiss, mh, clustered);
            b->ArgNames({"n", "r", "batch"})->Unit(benchmark::kMillisecond)->UseRealTime();
            for (long n : {10'000L, 100'000L, 1'000'000L})
                for (long r : {8L, 31L, 47L, 63L})
                    for (long batch : {1L, 8L}) b->Args({n, r, batch});
        }
#endif
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    register_all();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
