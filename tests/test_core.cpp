// The hash core without decoders: Hash256, the pipeline steps, degenerate
// images, argument errors, and that the column-blocked box filter keeps the
// reference's per-column summation order exactly.
#include <catch2/catch.hpp>

#include <cstring>
#include <thread>

#include "kernels/kernels.hpp"
#include "pdq/pdq_core.hpp"
#include "support/test_support.hpp"

using namespace hashguard;

TEST_CASE("Hash256 hex round trip and word order") {
    const std::string hex = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";
    Hash256 h;
    REQUIRE(Hash256::from_hex(hex, h));
    CHECK(h.to_hex() == hex);
    CHECK(h.w[15] == 0xd8f8);  // first printed word is w[15]
    CHECK(h.w[0] == 0x9b22);
    CHECK(h.bit(1));             // 0x9b22 = ...0010: bit 1 set
    CHECK_FALSE(h.bit(0));
    Hash256 upper;
    std::string up = hex;
    for (auto& c : up) c = static_cast<char>(std::toupper(c));
    REQUIRE(Hash256::from_hex(up, upper));
    CHECK(upper == h);
}

TEST_CASE("Hash256 rejects malformed hex") {
    Hash256 h;
    CHECK_FALSE(Hash256::from_hex("", h));
    CHECK_FALSE(Hash256::from_hex(std::string(63, 'a'), h));
    CHECK_FALSE(Hash256::from_hex(std::string(65, 'a'), h));
    CHECK_FALSE(Hash256::from_hex(std::string(63, 'a') + "g", h));
    CHECK_FALSE(Hash256::from_hex(std::string(63, 'a') + " ", h));
}

TEST_CASE("Hamming distance and popcount") {
    Hash256 a, b;
    CHECK(hamming_distance(a, b) == 0);
    b.set_bit(0);
    b.set_bit(255);
    b.set_bit(100);
    CHECK(hamming_distance(a, b) == 3);
    CHECK(b.popcount() == 3);
    for (int k = 0; k < 256; ++k) a.set_bit(k);
    CHECK(hamming_distance(a, Hash256{}) == 256);
    CHECK(hamming_distance(a, b) == 253);
}

namespace {
Image make_image(int w, int h, int ch, std::uint64_t seed) {
    Image img;
    img.width = w;
    img.height = h;
    img.channels = ch;
    img.pixels.resize(static_cast<std::size_t>(w) * h * ch);
    hgtest::Rng rng(seed);
    for (auto& p : img.pixels) p = static_cast<std::uint8_t>(rng.below(256));
    return img;
}
}  // namespace

TEST_CASE("Images under 5 px a side give the flagged all-zero hash") {
    PdqHasher hasher;
    for (auto [w, h] : {std::pair{4, 100}, std::pair{100, 4}, std::pair{1, 1}, std::pair{4, 4}}) {
        const Image img = make_image(w, h, 3, 7);
        PdqDihedral d;
        REQUIRE(hasher.hash_dihedral(img, d).ok());
        CHECK(d.degenerate);
        CHECK(d.quality == 0);
        for (const auto& x : d.hashes) CHECK(x.is_zero());
    }
    const Image ok = make_image(5, 5, 3, 7);
    PdqHash h;
    REQUIRE(hasher.hash(ok, h).ok());
    CHECK_FALSE(h.degenerate);
    CHECK_FALSE(h.hash.is_zero());
}

TEST_CASE("Malformed Image arguments are rejected, not crashed on") {
    PdqHasher hasher;
    PdqHash h;
    Image empty;
    CHECK(hasher.hash(empty, h).code == Status::invalid_argument);
    Image two = make_image(10, 10, 2, 1);
    CHECK(hasher.hash(two, h).code == Status::invalid_argument);
    Image short_buf = make_image(10, 10, 3, 1);
    short_buf.pixels.resize(10);
    const Error e = hasher.hash(short_buf, h);
    CHECK(e.code == Status::invalid_argument);
    CHECK_FALSE(e.message.empty());
}

TEST_CASE("hash() and hash_dihedral() agree on the original hash") {
    PdqHasher hasher;
    const Image img = make_image(300, 200, 3, 42);
    PdqHash h;
    PdqDihedral d;
    REQUIRE(hasher.hash(img, h).ok());
    REQUIRE(hasher.hash_dihedral(img, d).ok());
    CHECK(h.hash == d[Transform::original]);
    CHECK(h.quality == d.quality);
    // The 8 variants of a random image are all different.
    for (int i = 0; i < 8; ++i)
        for (int j = i + 1; j < 8; ++j) CHECK(d.hashes[i] != d.hashes[j]);
}

TEST_CASE("Column box filter equals the reference's strided per-column filter, bit for bit") {
    // The reference filters one column at a time with a stride; we advance
    // all columns together. Per column the additions must be identical.
    auto reference_cols = [](const float* in, float* out, int rows, int cols, int window) {
        const int half = (window + 2) / 2;
        for (int c = 0; c < cols; ++c) {
            int li = 0, ri = 0, oi = 0, count = 0;
            float sum = 0.0f;
            for (int i = 0; i < half - 1; ++i) { sum += in[ri * cols + c]; ++count; ++ri; }
            for (int i = 0; i < window - half + 1; ++i) {
                sum += in[ri * cols + c]; ++count; ++ri;
                out[oi++ * cols + c] = sum / count;
            }
            for (int i = 0; i < rows - window; ++i) {
                sum += in[ri * cols + c]; sum -= in[li * cols + c]; ++ri; ++li;
                out[oi++ * cols + c] = sum / count;
            }
            for (int i = 0; i < half - 1; ++i) {
                sum -= in[li * cols + c]; --count; ++li;
                out[oi++ * cols + c] = sum / count;
            }
        }
    };
    hgtest::Rng rng(3);
    for (auto [rows, cols] : {std::pair{5, 7}, std::pair{129, 300}, std::pair{512, 512}, std::pair{1000, 3},
                              std::pair{77, 513}, std::pair{300, 1}}) {
        std::vector<float> in(static_cast<std::size_t>(rows) * cols), a(in.size()), b(in.size());
        for (auto& v : in) v = static_cast<float>(rng.below(25500)) / 100.0f;
        const int window = detail::jarosz_window(rows);
        kernels::scalar_kernels().box_cols(in.data(), a.data(), rows, cols, window);
        reference_cols(in.data(), b.data(), rows, cols, window);
        INFO(rows << "x" << cols << " window " << window);
        CHECK(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
    }
}

TEST_CASE("Jarosz window sizes follow (dim + 127) / 128") {
    CHECK(detail::jarosz_window(5) == 1);
    CHECK(detail::jarosz_window(128) == 1);
    CHECK(detail::jarosz_window(129) == 2);
    CHECK(detail::jarosz_window(512) == 4);
    CHECK(detail::jarosz_window(513) == 5);
    CHECK(detail::jarosz_window(4000) == 32);
}

TEST_CASE("Pre-resize maps large images to 512x512 by nearest neighbour") {
    int rows, cols;
    detail::luma_dims(1000, 10, true, rows, cols);
    CHECK((rows == 512 && cols == 512));
    detail::luma_dims(512, 512, true, rows, cols);
    CHECK((rows == 512 && cols == 512));
    detail::luma_dims(300, 200, true, rows, cols);
    CHECK((rows == 200 && cols == 300));
    detail::luma_dims(1000, 10, false, rows, cols);
    CHECK((rows == 10 && cols == 1000));
    // Grey pixel 3 of a 1024-wide row lands at x = 1 (floor(1*1024/512) = 2 -> value 2).
    std::vector<std::uint8_t> px(1024 * 2);
    for (int x = 0; x < 1024; ++x) px[x] = px[1024 + x] = static_cast<std::uint8_t>(x & 255);
    std::vector<float> out(512 * 512);
    kernels::luma_image(kernels::scalar_kernels(), px.data(), 1024, 2, 1, 1024, out.data(), 512, 512);
    CHECK(out[1] == 2.0f);
    CHECK(out[511] == static_cast<float>(1022 & 255));
}

TEST_CASE("Hashers are independent across threads") {
    std::vector<Image> imgs;
    for (int i = 0; i < 4; ++i) imgs.push_back(make_image(200 + 37 * i, 150 + 11 * i, i % 2 ? 1 : 3, 100 + i));
    std::vector<PdqDihedral> expect(imgs.size());
    {
        PdqHasher h;
        for (std::size_t i = 0; i < imgs.size(); ++i) REQUIRE(h.hash_dihedral(imgs[i], expect[i]).ok());
    }
    std::vector<int> mismatches(4, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            PdqHasher h;
            for (int rep = 0; rep < 20; ++rep) {
                const std::size_t i = static_cast<std::size_t>(t + rep) % imgs.size();
                PdqDihedral d;
                if (!h.hash_dihedral(imgs[i], d).ok() || d.hashes != expect[i].hashes) ++mismatches[t];
            }
        });
    for (auto& th : threads) th.join();
    for (int m : mismatches) CHECK(m == 0);
}

TEST_CASE("Version and status strings") {
    CHECK(std::string(version()) == HASHGUARD_VERSION_STRING);
    CHECK(std::string(status_str(Status::limit_pixels)) == "pixel limit exceeded");
    CHECK(std::string(status_str(static_cast<Status>(9999))) == "unknown status");
}
