// Every SIMD kernel set against the scalar oracle, bit for bit, on random
// inputs of awkward sizes (1..4097 wide, odd heights, every window the
// pipeline can use and more).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <tuple>

#include "kernels/kernels.hpp"
#include "pdq/pdq_core.hpp"
#include "support/test_support.hpp"

using hashguard::kernels::Kernels;
namespace kernels = hashguard::kernels;

namespace {

std::vector<const Kernels*> simd_sets() {
    std::vector<const Kernels*> v;
    for (const Kernels* k : kernels::available())
        if (std::strcmp(k->name, "scalar") != 0) v.push_back(k);
    return v;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

std::vector<float> random_floats(hgtest::Rng& rng, std::size_t n) {
    std::vector<float> v(n);
    for (auto& x : v) x = static_cast<float>(rng.below(2550000)) / 10000.0f;
    return v;
}

const int kWidths[] = {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129, 255, 257, 511, 512, 513, 1000, 4097};
const int kHeights[] = {1, 3, 5, 7, 9, 13, 33, 65, 129, 511};

}  // namespace

TEST_CASE("Kernel sets: scalar is always available; the CPU's sets are listed") {
    const auto& avail = kernels::available();
    REQUIRE_FALSE(avail.empty());
    CHECK(std::string(avail.back()->name) == "scalar");
    std::string names;
    for (auto* k : avail) names += std::string(k->name) + " ";
    std::printf("available kernel sets: %s(active: %s)\n", names.c_str(), kernels::active().name);
    CHECK(kernels::find("scalar") == &kernels::scalar_kernels());
    CHECK(kernels::find("no-such-set") == nullptr);
#if defined(__x86_64__)
    // A set the CPU supports that fails its self-check drops out silently at
    // run time; here it is a failure.
    if (kernels::cpu_features() & kernels::kFeatureAVX2) CHECK(kernels::find("avx2") != nullptr);
    if (kernels::cpu_features() & kernels::kFeatureAVX512) CHECK(kernels::find("avx512") != nullptr);
    if (kernels::cpu_features() & kernels::kFeatureVBMI) CHECK(kernels::find("avx512vbmi") != nullptr);
#endif
}

TEST_CASE("SIMD luma equals scalar for every size, channel count and resampling", "[skippable]") {
    const auto sets = simd_sets();
    if (sets.empty()) HG_SKIP("no SIMD kernel set on this CPU: nothing to compare with scalar");
    hgtest::Rng rng(11);
    for (const Kernels* k : sets)
        for (int w : kWidths)
            for (int h : {1, 5, 33, 129})
                for (int ch : {1, 3}) {
                    std::vector<std::uint8_t> px(static_cast<std::size_t>(w) * h * ch);
                    for (auto& p : px) p = static_cast<std::uint8_t>(rng.below(256));
                    // identity, pre-resize-like downscales (steps of 3, 6, 12
                    // and 20 pixels) and an upscale
                    for (auto [rows, cols] : {std::pair{h, w}, std::pair{std::max(1, h / 3), std::max(1, w / 3)},
                                              std::pair{h, std::max(1, w / 6)}, std::pair{h, std::max(1, w / 12)},
                                              std::pair{h, std::max(1, w / 20)}, std::pair{h + 7, w + 9}}) {
                        std::vector<float> a(static_cast<std::size_t>(rows) * cols), b(a.size());
                        kernels::luma_image(kernels::scalar_kernels(), px.data(), w, h, ch, std::size_t(w) * ch, a.data(), rows, cols);
                        kernels::luma_image(*k, px.data(), w, h, ch, std::size_t(w) * ch, b.data(), rows, cols);
                        INFO(k->name << " " << w << "x" << h << "x" << ch << " -> " << cols << "x" << rows);
                        REQUIRE(same_bits(a, b));
                    }
                }
}

TEST_CASE("SIMD box filters equal scalar for every size and window", "[skippable]") {
    if (simd_sets().empty()) HG_SKIP("no SIMD kernel set on this CPU: nothing to compare with scalar");
    hgtest::Rng rng(12);
    for (const Kernels* k : simd_sets())
        for (int w : kWidths)
            for (int h : kHeights) {
                const auto in = random_floats(rng, static_cast<std::size_t>(w) * h);
                std::vector<int> windows = {1, 2, 3, 4, 5, hashguard::detail::jarosz_window(w),
                                            hashguard::detail::jarosz_window(h)};
                for (int win : windows) {
                    std::vector<float> a(in.size()), b(in.size());
                    if (win <= w) {
                        kernels::scalar_kernels().box_rows(in.data(), a.data(), h, w, win);
                        k->box_rows(in.data(), b.data(), h, w, win);
                        INFO(k->name << " box_rows " << w << "x" << h << " window " << win);
                        REQUIRE(same_bits(a, b));
                    }
                    if (win <= h) {
                        kernels::scalar_kernels().box_cols(in.data(), a.data(), h, w, win);
                        k->box_cols(in.data(), b.data(), h, w, win);
                        INFO(k->name << " box_cols " << w << "x" << h << " window " << win);
                        REQUIRE(same_bits(a, b));
                    }
                }
            }
}

namespace {

// One blur_decimate of k on src at shape, into a 64x64 array; the scratch is
// filled with NaNs first (the kernel must not read what it did not write).
std::vector<float> blur_decimate(const Kernels& k, const kernels::LumaSource& src, const kernels::BlurShape& shape) {
    std::vector<float> scratch(k.blur_scratch(shape), std::numeric_limits<float>::quiet_NaN()), out(64 * 64, -1.0f);
    k.blur_decimate(src, shape, scratch.data(), out.data());
    return out;
}

}  // namespace

TEST_CASE("SIMD blur_decimate equals the scalar whole-buffer oracle on awkward sizes and windows", "[skippable]") {
    const auto sets = simd_sets();
    if (sets.empty()) HG_SKIP("no SIMD kernel set on this CPU: nothing to compare with scalar");
    hgtest::Rng rng(16);
    // width x height of the source; each is blurred whole (rows = height,
    // cols = width) and pre-resized as the pipeline would (<= 512 a side).
    const std::pair<int, int> sizes[] = {{1, 1},     {5, 5},     {1, 700},   {700, 1},   {5, 700},  {700, 5},
                                         {63, 65},   {65, 63},   {64, 64},   {17, 33},   {33, 17},  {513, 511},
                                         {511, 513}, {512, 512}, {1000, 750}, {31, 4097}, {4097, 31}, {100, 9000},
                                         {2000, 1500}, {1920, 1080}, {2700, 20}};
    int checked = 0;
    for (auto [w, h] : sizes)
        for (int ch : {1, 3}) {
            const std::size_t stride = static_cast<std::size_t>(w) * ch + (w % 2 ? 5 : 0);  // odd widths: padded rows
            std::vector<std::uint8_t> px(stride * h);
            for (auto& p : px) p = static_cast<std::uint8_t>(rng.below(256));
            int pr, pc;
            hashguard::detail::luma_dims(w, h, true, pr, pc);
            for (auto [rows, cols] : {std::pair{h, w}, std::pair{pr, pc}}) {
                std::vector<std::int32_t> xs(static_cast<std::size_t>(cols)), ys(static_cast<std::size_t>(rows));
                kernels::luma_offsets(w, h, ch, rows, cols, xs.data(), ys.data());
                const kernels::LumaSource src{{px.data(), w, h, ch, stride}, xs.data(), ys.data()};
                const int jh = hashguard::detail::jarosz_window(cols), jv = hashguard::detail::jarosz_window(rows);
                std::vector<std::pair<int, int>> windows = {{jh, jv}, {1, 1}, {2, 3}, {4, 4}, {5, 17}, {16, 33},
                                                            {cols, rows}, {jh, rows / 2 + 1}};
                for (auto [wh, wv] : windows) {
                    if (wh > cols || wv > rows || (rows * cols > 300000 && wh != jh)) continue;
                    const kernels::BlurShape shape{rows, cols, wh, wv};
                    const auto want = blur_decimate(kernels::scalar_kernels(), src, shape);
                    for (const Kernels* k : sets) {
                        INFO(k->name << " " << w << "x" << h << "x" << ch << " -> " << cols << "x" << rows
                                     << " windows " << wh << "," << wv);
                        REQUIRE(same_bits(want, blur_decimate(*k, src, shape)));
                        ++checked;
                    }
                }
            }
        }
    std::printf("blur_decimate: %d (set, size, windows) cases equal to the scalar oracle\n", checked);
}

TEST_CASE("SIMD DCT equals scalar", "[skippable]") {
    if (simd_sets().empty()) HG_SKIP("no SIMD kernel set on this CPU: nothing to compare with scalar");
    hgtest::Rng rng(13);
    for (const Kernels* k : simd_sets())
        for (int rep = 0; rep < 50; ++rep) {
            const auto a = random_floats(rng, 64 * 64);
            std::vector<float> b1(256), b2(256);
            kernels::scalar_kernels().dct64to16(a.data(), b1.data());
            k->dct64to16(a.data(), b2.data());
            INFO(k->name << " rep " << rep);
            REQUIRE(same_bits(b1, b2));
        }
}

TEST_CASE("Hamming kernels equal scalar and a bit-by-bit count") {
    hgtest::Rng rng(14);
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{3}, std::size_t{17}, std::size_t{1000},
                          std::size_t{4099}}) {
        std::vector<std::uint64_t> db(4 * n), q(4 * 8);
        for (auto& x : db) x = rng.next();
        for (auto& x : q) x = rng.next();
        std::vector<std::uint16_t> ref(8 * n);
        for (std::size_t i = 0; i < 8; ++i)
            for (std::size_t j = 0; j < n; ++j) {
                int d = 0;
                for (int w = 0; w < 4; ++w)
                    for (int bit = 0; bit < 64; ++bit) d += ((q[4 * i + w] ^ db[4 * j + w]) >> bit) & 1;
                ref[i * n + j] = static_cast<std::uint16_t>(d);
            }
        for (const Kernels* k : kernels::available()) {
            std::vector<std::uint16_t> got(8 * n, 999);
            kernels::hamming_mxn(*k, q.data(), 8, db.data(), n, got.data());
            INFO(k->name << " n=" << n);
            CHECK(got == ref);
            std::vector<std::uint16_t> one(n, 999);
            k->hamming_1xn(q.data() + 4, db.data(), n, one.data());
            CHECK(std::equal(one.begin(), one.end(), ref.begin() + static_cast<std::ptrdiff_t>(n)));
        }
    }
}

namespace {

using kernels::RangeHit;

// Hashes for the range kernels: random ones, near copies of the queries at
// every distance 0..140 (so each radius has hits), and a query's complement.
struct RangeCase {
    std::vector<std::uint64_t> q, db;
    std::vector<int> dist;  // bit-by-bit distances, query-major
    std::size_t m = 0, n = 0;
};

void flip_bits(hgtest::Rng& rng, std::uint64_t* h, int bits) {
    for (int i = 0; i < bits; ++i) {
        const unsigned b = rng.below(256);
        h[b / 64] ^= std::uint64_t{1} << (b % 64);
    }
}

RangeCase make_range_case(hgtest::Rng& rng, std::size_t m, std::size_t n) {
    RangeCase c;
    c.m = m;
    c.n = n;
    c.q.resize(4 * m);
    for (auto& x : c.q) x = rng.next();
    // Awkward queries: all zeros, all ones, 127/128/129 ones (the sliced kernel's two modes and its boundary).
    const int ones[] = {0, 256, 127, 128, 129};
    for (std::size_t i = 0; i < m && i < 5; ++i) {
        std::uint64_t* q = &c.q[4 * i];
        std::fill(q, q + 4, 0);
        for (int b = 0; b < ones[i]; ++b) q[b / 64] |= std::uint64_t{1} << (b % 64);
    }
    c.db.resize(4 * n);
    for (std::size_t j = 0; j < n; ++j) {
        std::uint64_t* h = &c.db[4 * j];
        const std::uint64_t* src = &c.q[4 * rng.below(static_cast<std::uint32_t>(m))];
        switch (rng.below(3)) {
            case 0: for (int w = 0; w < 4; ++w) h[w] = rng.next(); break;
            case 1: std::copy(src, src + 4, h); flip_bits(rng, h, static_cast<int>(rng.below(141))); break;
            default: for (int w = 0; w < 4; ++w) h[w] = ~src[w]; flip_bits(rng, h, static_cast<int>(rng.below(20)));
        }
    }
    c.dist.resize(m * n);
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) {
            int d = 0;
            for (int w = 0; w < 4; ++w)
                for (int bit = 0; bit < 64; ++bit) d += ((c.q[4 * i + w] ^ c.db[4 * j + w]) >> bit) & 1;
            c.dist[i * n + j] = d;
        }
    return c;
}

std::vector<std::tuple<std::uint32_t, int, int>> sorted_hits(const std::vector<RangeHit>& h, std::size_t count) {
    std::vector<std::tuple<std::uint32_t, int, int>> v;
    for (std::size_t i = 0; i < count; ++i) v.emplace_back(h[i].entry, h[i].query, h[i].distance);
    std::sort(v.begin(), v.end());
    return v;
}

std::vector<std::tuple<std::uint32_t, int, int>> want_hits(const RangeCase& c, int r, std::uint32_t first) {
    std::vector<std::tuple<std::uint32_t, int, int>> v;
    for (std::size_t j = 0; j < c.n; ++j)
        for (std::size_t i = 0; i < c.m; ++i)
            if (c.dist[i * c.n + j] <= r) v.emplace_back(first + j, static_cast<int>(i), c.dist[i * c.n + j]);
    return v;
}

const std::size_t kRangeSizes[] = {0, 1, 3, 7, 8, 9, 17, 63, 64, 65, 127, 129, 255, 256, 257, 511, 512, 513, 1000, 1025, 1537, 4099};
const int kRadii[] = {0, 1, 8, 31, 32, 63, 64, 100, 127, 128, 129, 160, 200, 255, 256};

}  // namespace

TEST_CASE("slice_pack: plane j holds bit j of every hash, then the popcount bits and a zero plane") {
    hgtest::Rng rng(21);
    for (std::size_t n : {std::size_t{1}, std::size_t{63}, std::size_t{512}, std::size_t{700}}) {
        std::vector<std::uint64_t> rows(4 * n);
        for (auto& x : rows) x = rng.next();
        const std::size_t blocks = (n + kernels::kSliceLanes - 1) / kernels::kSliceLanes;
        std::vector<std::uint64_t> planes(blocks * kernels::kSliceBlockWords, 0xdeadbeef);
        kernels::slice_pack(rows.data(), n, planes.data());
        auto bit = [&](std::size_t lane, std::size_t plane) {
            const std::uint64_t* blk = &planes[lane / 512 * kernels::kSliceBlockWords];
            return static_cast<int>((blk[plane * 8 + (lane % 512) / 64] >> (lane % 64)) & 1);
        };
        for (std::size_t l = 0; l < blocks * 512; ++l) {
            int pc = 0;
            for (int j = 0; j < 256; ++j) {
                const int want = l < n ? static_cast<int>((rows[4 * l + j / 64] >> (j % 64)) & 1) : 0;
                pc += want;
                REQUIRE(bit(l, static_cast<std::size_t>(j)) == want);
            }
            for (int k = 0; k < 9; ++k) REQUIRE(bit(l, 256 + static_cast<std::size_t>(k)) == ((pc >> k) & 1));
            REQUIRE(bit(l, kernels::kSliceZero) == 0);
        }
    }
}

TEST_CASE("Range kernels (rows, pairs, sliced) of every set equal a bit-by-bit count") {
    hgtest::Rng rng(15);
    int checked = 0;
    for (std::size_t n : kRangeSizes)
        for (std::size_t m : {std::size_t{1}, std::size_t{5}, std::size_t{8}, std::size_t{9}}) {
            const RangeCase c = make_range_case(rng, m, n);
            const std::size_t blocks = (n + kernels::kSliceLanes - 1) / kernels::kSliceLanes;
            std::vector<std::uint64_t> planes(blocks * kernels::kSliceBlockWords);
            kernels::slice_pack(c.db.data(), n, planes.data());
            // pairs: every (query, entry) once, in a shuffled order, plus repeats
            std::vector<kernels::RangePair> pairs;
            for (std::size_t j = 0; j < n; ++j)
                for (std::size_t i = 0; i < m; ++i) pairs.push_back({static_cast<std::uint32_t>(j), static_cast<std::uint32_t>(i)});
            for (std::size_t i = pairs.size(); i > 1; --i) std::swap(pairs[i - 1], pairs[rng.below(static_cast<std::uint32_t>(i))]);
            std::vector<RangeHit> hits(m * std::max<std::size_t>(blocks, 1) * kernels::kSliceLanes + 1);
            for (int r : kRadii) {
                const auto want = want_hits(c, r, 1000);
                std::vector<kernels::SlicedQuery> sq(m);
                for (std::size_t i = 0; i < m; ++i) kernels::slice_query(&c.q[4 * i], r, static_cast<std::uint16_t>(i), sq[i]);
                for (const Kernels* k : kernels::available()) {
                    INFO(k->name << " n=" << n << " m=" << m << " r=" << r);
                    std::size_t got = k->range_rows(c.q.data(), m, c.db.data(), n, 1000, r, hits.data());
                    REQUIRE(sorted_hits(hits, got) == want);
                    std::size_t done = 99;
                    got = k->range_sliced(sq.data(), m, planes.data(), n, 1000, hits.data(), hits.size(), &done);
                    REQUIRE(done == blocks);
                    REQUIRE(sorted_hits(hits, got) == want);
                    // in pieces: a capacity of one block's worst case scans block by block
                    std::vector<RangeHit> all;
                    for (std::size_t b0 = 0; b0 < blocks; b0 += done) {
                        const std::size_t nb = n - b0 * kernels::kSliceLanes;
                        got = k->range_sliced(sq.data(), m, planes.data() + b0 * kernels::kSliceBlockWords, nb,
                                              static_cast<std::uint32_t>(1000 + b0 * kernels::kSliceLanes), hits.data(),
                                              m * kernels::kSliceLanes, &done);
                        REQUIRE(done >= 1);
                        all.insert(all.end(), hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(got));
                    }
                    REQUIRE(sorted_hits(all, all.size()) == want);
                    got = k->range_pairs(c.q.data(), c.db.data(), pairs.data(), pairs.size(), r, hits.data());
                    for (std::size_t h = 0; h < got; ++h) hits[h].entry += 1000;
                    REQUIRE(sorted_hits(hits, got) == want);
                    ++checked;
                }
            }
        }
    std::printf("range kernels: %d (set, size, batch, radius) cases equal to the bit count\n", checked);
}
