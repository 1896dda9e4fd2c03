// Every SIMD kernel set against the scalar oracle, bit for bit, on random
// inputs of awkward sizes (1..4097 wide, odd heights, every window the
// pipeline can use and more).
#include <catch2/catch.hpp>

#include <cstring>

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
    if (kernels::cpu_features() & kernels::kFeatureAVX2) CHECK(kernels::find("avx2") != nullptr);
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
                    // identity, pre-resize-like downscale and an upscale
                    for (auto [rows, cols] : {std::pair{h, w}, std::pair{std::max(1, h / 3), std::max(1, w / 3)},
                                              std::pair{h + 7, w + 9}}) {
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
