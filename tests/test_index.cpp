// Every index against a scalar brute force: random and clustered lists of 0,
// 1 and many entries, radii 0..80 and 256, single queries and 8-query batches,
// range search and nearest; plus concurrent queries on one shared index.
#include <catch2/catch.hpp>

#include <thread>

#include <algorithm>
#include <iterator>
#include <string>

#include "hashguard/index.hpp"
#include "index/index_impl.hpp"
#include "support/test_support.hpp"

using namespace hashguard;

namespace {

using hgtest::brute_range;
using hgtest::flip_bits;
using hgtest::random_hash;

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

// "mih" and "auto" choose their shape from the size and the typical radius;
// "mih:<m>" fixes the chunk count (unequal widths when m does not divide 256).
const char* kSpecs[] = {"scan", "mih", "bktree", "auto", "mih:13", "mih:17", "mih:23", "mih:48"};
const int kRadii[] = {0, 1, 2, 5, 8, 15, 16, 17, 23, 31, 32, 33, 47, 48, 63, 64, 80, 256};

// Queries: near copies of entries (a dihedral-like batch of 8) and random ones.
std::vector<Hash256> make_queries(const std::vector<Hash256>& list, hgtest::Rng& rng) {
    std::vector<Hash256> qs;
    for (int i = 0; i < 6 && !list.empty(); ++i)
        qs.push_back(flip_bits(list[rng.below(static_cast<std::uint32_t>(list.size()))], static_cast<int>(rng.below(50)), rng));
    while (qs.size() < 8) qs.push_back(random_hash(rng));
    return qs;
}

// Range search at every radius of kRadii (batch and, for a few, one query at
// a time) and nearest, against brute force. Returns the range searches run.
int check_index(const char* spec, const std::vector<Hash256>& list, const std::vector<Hash256>& qs, int typical_radius,
                const std::string& what) {
    std::unique_ptr<PdqIndex> idx;
    REQUIRE(make_pdq_index(spec, list, idx, typical_radius).ok());
    REQUIRE(idx->size() == list.size());
    int cases = 0;
    const auto all = brute_range(list, qs, 256);  // every pair, by query then entry
    for (int r : kRadii) {
        INFO(spec << " " << what << " typical radius " << typical_radius << " r=" << r);
        std::vector<IndexMatch> want;
        std::copy_if(all.begin(), all.end(), std::back_inserter(want), [r](const IndexMatch& m) { return static_cast<int>(m.distance) <= r; });
        std::vector<IndexMatch> got;
        REQUIRE(idx->range_search(qs.data(), qs.size(), r, got).ok());
        REQUIRE(got == want);
        got.clear();
        REQUIRE(idx->range_search(&qs[0], 1, r, got).ok());
        REQUIRE(got == std::vector<IndexMatch>(want.begin(), std::find_if(want.begin(), want.end(), [](const IndexMatch& m) { return m.query > 0; })));
        ++cases;
    }
    std::vector<IndexMatch> near;
    REQUIRE(idx->nearest(qs.data(), qs.size(), near).ok());
    INFO(spec << " nearest " << what);
    REQUIRE(near == brute_nearest(list, qs));
    return cases;
}

}  // namespace

TEST_CASE("Every index returns exactly the brute-force answer") {
    hgtest::Rng rng(77);
    int cases = 0;
    // around the scan's 512-hash blocks, and small lists
    for (std::size_t n : {0, 1, 2, 100, 511, 512, 513, 1025, 3000})
        for (bool clustered : {false, true}) {
            const auto list = make_list(n, clustered, rng);
            const auto qs = make_queries(list, rng);
            for (const char* spec : kSpecs)
                cases += check_index(spec, list, qs, 31, "n=" + std::to_string(n) + (clustered ? " clustered" : " random"));
        }
    std::printf("index property cases: %d range searches, all equal to brute force\n", cases);
}

TEST_CASE("MIH is exact for every chunk count (widths 5..19, equal and unequal)") {
    hgtest::Rng rng(78);
    int cases = 0;
    for (bool clustered : {false, true}) {
        const auto list = make_list(1500, clustered, rng);
        const auto qs = make_queries(list, rng);
        for (int m = 13; m <= detail::kMihMaxChunks; ++m)
            cases += check_index(("mih:" + std::to_string(m)).c_str(), list, qs, 31, clustered ? "clustered" : "random");
    }
    std::printf("MIH chunk counts: %d range searches, all equal to brute force\n", cases);
}

TEST_CASE("MIH and auto are exact at the list sizes where the chosen shape changes") {
    hgtest::Rng rng(79);
    int cases = 0, boundaries = 0;
    for (int typical : {31, 63}) {
        int prev = detail::mih_shape(900, typical).chunks;
        for (std::size_t n = 900; n <= 100'000; n += std::max<std::size_t>(1, n / 64)) {
            const int m = detail::mih_shape(n, typical).chunks;
            if (m == prev) continue;
            prev = m;
            ++boundaries;
            // the first size found with the new shape (within n / 64 of the boundary) and the size before
            for (std::size_t size : {n - std::max<std::size_t>(1, n / 64), n}) {
                const auto list = make_list(size, size % 2 == 1, rng);
                const auto qs = make_queries(list, rng);
                for (const char* spec : {"mih", "auto"})
                    cases += check_index(spec, list, qs, typical, "n=" + std::to_string(size) + " (" + std::to_string(m) + " chunks)");
            }
        }
    }
    std::printf("MIH shape boundaries: %d, %d range searches, all equal to brute force\n", boundaries, cases);
    CHECK(boundaries >= 5);
}

TEST_CASE("MIH built on two threads equals the one-thread build and brute force") {
    hgtest::Rng rng(83);
    const auto list = make_list(20000, true, rng);
    const auto qs = make_queries(list, rng);
    const std::size_t saved = detail::ParallelFrom::mih_hashes.exchange(0);  // every build threaded
    int cases = 0;
    for (const char* spec : {"mih", "mih:16", "mih:48"}) cases += check_index(spec, list, qs, 31, "threaded");
    detail::ParallelFrom::mih_hashes = saved;
    CHECK(cases > 0);
}

TEST_CASE("MIH probe radii: the pigeonhole split covers the radius; the shape fits its budget") {
    for (std::size_t n : {std::size_t{10}, std::size_t{3000}, std::size_t{1'000'000}, std::size_t{10'000'000}})
        for (int m = detail::kMihMinChunks; m <= detail::kMihMaxChunks; ++m) {
            const auto shape = detail::mih_shape_of(m);
            int bits = 0;
            for (int c = 0; c < m; ++c) bits += shape.width[c];
            REQUIRE(bits == 256);
            for (int r = 0; r <= 256; ++r) {
                const auto radii = detail::mih_probe_radii(shape, n, r);
                int sum = 0;
                for (int c = 0; c < m; ++c) {
                    REQUIRE(radii[c] >= -1);
                    sum += radii[c] + 1;
                }
                INFO("n=" << n << " m=" << m << " r=" << r);
                REQUIRE(sum == r + 1);
            }
        }
    for (std::size_t n : {std::size_t{100'000}, std::size_t{1'000'000}, std::size_t{10'000'000}})
        for (int r : {8, 31, 63}) {
            const auto shape = detail::mih_shape(n, r);
            INFO("n=" << n << " r=" << r << " chunks " << shape.chunks);
            CHECK(detail::mih_table_bytes(shape, n) + 32 * n <= 150 * n);
        }
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

TEST_CASE("A fixed MIH shape whose tables dwarf the list is refused") {
    std::vector<Hash256> list(100);
    std::unique_ptr<PdqIndex> idx;
    const Error e = make_pdq_index("mih:9", list, idx);
    CHECK(e.code == Status::invalid_argument);
    CHECK(e.message == "index spec 'mih:9' needs 13312 MiB of tables for 100 hashes (more than 256 B per hash); use 'mih' or more chunks");
    CHECK_FALSE(idx);
    CHECK(make_pdq_index("mih:16", list, idx).ok());
}

TEST_CASE("Index argument errors") {
    std::unique_ptr<PdqIndex> idx;
    const Error e = make_pdq_index("kdtree", {}, idx);
    CHECK(e.code == Status::invalid_argument);
    CHECK(e.message == "unknown index spec 'kdtree' (scan, mih, mih:<9..48 chunks>, bktree, auto)");
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
