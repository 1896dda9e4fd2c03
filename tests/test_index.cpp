// Every index against a scalar brute force: random and clustered lists of 0,
// 1 and many entries, radii 0..80 and 256, single queries and 8-query batches,
// range search and nearest; plus concurrent queries on one shared index.
#include <catch2/catch.hpp>

#include <thread>

#include "hashguard/index.hpp"
#include "support/test_support.hpp"

using namespace hashguard;

namespace {

Hash256 random_hash(hgtest::Rng& rng) {
    Hash256 h;
    for (auto& w : h.w) w = static_cast<std::uint16_t>(rng.next());
    return h;
}

Hash256 flip_bits(Hash256 h, int bits, hgtest::Rng& rng) {
    for (int i = 0; i < bits; ++i) {
        const int b = static_cast<int>(rng.below(256));
        h.w[b >> 4] = static_cast<std::uint16_t>(h.w[b >> 4] ^ (1u << (b & 15)));
    }
    return h;
}

std::vector<IndexMatch> brute_range(const std::vector<Hash256>& list, const std::vector<Hash256>& qs, int r) {
    std::vector<IndexMatch> out;
    for (std::uint32_t i = 0; i < qs.size(); ++i)
        for (std::uint32_t j = 0; j < list.size(); ++j) {
            const int d = hamming_distance(qs[i], list[j]);
            if (d <= r) out.push_back({i, j, static_cast<std::uint32_t>(d)});
        }
    return out;
}

std::vector<IndexMatch> brute_nearest(const std::vector<Hash256>& list, const std::vector<Hash256>& qs) {
    std::vector<IndexMatch> out;
    if (list.empty()) return out;
    for (std::uint32_t i = 0; i < qs.size(); ++i) {
        IndexMatch best{i, 0, 257};
        for (std::uint32_t j = 0; j < list.size(); ++j) {
            const auto d = static_cast<std::uint32_t>(hamming_distance(qs[i], list[j]));
            if (d < best.distance) best = {i, j, d};
        }
        out.push_back(best);
    }
    return out;
}

// Random hashes, or noisy copies of a few centres (clustered, like real lists
// of near-duplicate images).
std::vector<Hash256> make_list(std::size_t n, bool clustered, hgtest::Rng& rng) {
    std::vector<Hash256> centres;
    for (int i = 0; i < 20; ++i) centres.push_back(random_hash(rng));
    std::vector<Hash256> v;
    for (std::size_t i = 0; i < n; ++i)
        v.push_back(clustered ? flip_bits(centres[rng.below(20)], static_cast<int>(rng.below(40)), rng) : random_hash(rng));
    return v;
}

const char* kSpecs[] = {"scan", "mih", "bktree", "auto"};

}  // namespace

TEST_CASE("Every index returns exactly the brute-force answer") {
    hgtest::Rng rng(77);
    int cases = 0;
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{100}, std::size_t{3000}})
        for (bool clustered : {false, true}) {
            const auto list = make_list(n, clustered, rng);
            // Queries: near copies of entries (dihedral-like batch of 8) and random ones.
            std::vector<Hash256> qs;
            for (int i = 0; i < 6 && n; ++i) qs.push_back(flip_bits(list[rng.below(static_cast<std::uint32_t>(n))], static_cast<int>(rng.below(50)), rng));
            while (qs.size() < 8) qs.push_back(random_hash(rng));
            const auto want_nearest = brute_nearest(list, qs);
            for (const char* spec : kSpecs) {
                std::unique_ptr<PdqIndex> idx;
                REQUIRE(make_pdq_index(spec, list, idx).ok());
                REQUIRE(idx->size() == n);
                for (int r : {0, 1, 8, 15, 16, 17, 31, 32, 47, 48, 63, 64, 80, 256}) {
                    std::vector<IndexMatch> got;
                    REQUIRE(idx->range_search(qs.data(), qs.size(), r, got).ok());
                    INFO(spec << " n=" << n << (clustered ? " clustered" : " random") << " r=" << r);
                    REQUIRE(got == brute_range(list, qs, r));
                    ++cases;
                }
                std::vector<IndexMatch> near;
                REQUIRE(idx->nearest(qs.data(), qs.size(), near).ok());
                INFO(spec << " nearest n=" << n);
                REQUIRE(near == want_nearest);
            }
        }
    std::printf("index property cases: %d range searches, all equal to brute force\n", cases);
}

TEST_CASE("Single queries and duplicates in the list") {
    hgtest::Rng rng(5);
    auto list = make_list(500, true, rng);
    list.push_back(list[3]);  // exact duplicate entries both reported
    for (const char* spec : kSpecs) {
        std::unique_ptr<PdqIndex> idx;
        REQUIRE(make_pdq_index(spec, list, idx).ok());
        std::vector<IndexMatch> got;
        REQUIRE(idx->range_search(&list[3], 1, 0, got).ok());
        INFO(spec);
        REQUIRE(got.size() >= 2);
        CHECK(got.front() == IndexMatch{0, 3, 0});
        CHECK(got.back() == IndexMatch{0, 500, 0});
        std::vector<IndexMatch> near;
        REQUIRE(idx->nearest(&list[500], 1, near).ok());
        CHECK(near == std::vector<IndexMatch>{{0, 3, 0}});  // lowest index among ties
    }
}

TEST_CASE("Index argument errors") {
    std::unique_ptr<PdqIndex> idx;
    const Error e = make_pdq_index("kdtree", {}, idx);
    CHECK(e.code == Status::invalid_argument);
    CHECK(e.message == "unknown index spec 'kdtree' (scan, mih, bktree, auto)");
    CHECK_FALSE(idx);
    REQUIRE(make_pdq_index("scan", {}, idx).ok());
    std::vector<IndexMatch> out;
    Hash256 q;
    CHECK(idx->range_search(&q, 1, 257, out).code == Status::invalid_argument);
    CHECK(idx->range_search(&q, 1, -1, out).code == Status::invalid_argument);
    CHECK(idx->range_search(nullptr, 3, 10, out).code == Status::invalid_argument);
    CHECK(idx->nearest(&q, 1, out).ok());
    CHECK(out.empty());
}

TEST_CASE("One index queried from many threads gives the single-threaded answers") {
    hgtest::Rng rng(9);
    const auto list = make_list(20000, true, rng);
    std::vector<Hash256> qs;
    for (int i = 0; i < 64; ++i) qs.push_back(flip_bits(list[rng.below(20000)], 10, rng));
    for (const char* spec : {"scan", "mih", "bktree"}) {
        std::unique_ptr<PdqIndex> idx;
        REQUIRE(make_pdq_index(spec, list, idx).ok());
        std::vector<IndexMatch> want;
        REQUIRE(idx->range_search(qs.data(), qs.size(), 31, want).ok());
        std::vector<int> bad(4, 0);
        std::vector<std::thread> ts;
        for (int t = 0; t < 4; ++t)
            ts.emplace_back([&, t] {
                for (int rep = 0; rep < 5; ++rep) {
                    std::vector<IndexMatch> got;
                    if (!idx->range_search(qs.data(), qs.size(), 31, got).ok() || got != want) ++bad[t];
                }
            });
        for (auto& th : ts) th.join();
        INFO(spec);
        for (int b : bad) CHECK(b == 0);
    }
}
