// Differential test: our TIFF, WebP and BMP decoders against the path they
// replaced — OpenCV 4.6's imdecode(IMREAD_UNCHANGED) followed by the old
// copy_drop_alpha (BGR(A) -> RGB, alpha dropped, 16-bit scaled with
// scale16to8, grey+alpha -> grey) and, for BMP, the old prepare_bmp (pixel
// data length checked, RLE streams padded with 2 x height + 64 zero bytes).
// OpenCV is the oracle here only; the library no longer links it.
//
// Every generated variant, and corrupted copies of each, must decode to
// exactly the oracle's pixels whenever the oracle decodes it.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <tiffio.h>

#include "decode/decode_internal.hpp"
#include "support/gen_images.hpp"
#include "support/test_support.hpp"

using namespace hashguard;
using hgtest::Bytes;

namespace {

struct Decoded {
    bool ok = false;
    int w = 0, h = 0, ch = 0;
    Bytes px;
};

template <class T>
void drop_alpha(const cv::Mat& m, Decoded& d) {
    const int ch = m.channels();
    d.w = m.cols;
    d.h = m.rows;
    d.ch = (ch == 1 || ch == 2) ? 1 : 3;
    for (int y = 0; y < m.rows; ++y) {
        const T* s = m.ptr<T>(y);
        for (int x = 0; x < m.cols; ++x, s += ch) {
            auto cvt = [](T v) -> std::uint8_t {
                if constexpr (sizeof(T) == 2) return detail::scale16to8(v);
                else return static_cast<std::uint8_t>(v);
            };
            if (d.ch == 1) {
                d.px.push_back(cvt(s[0]));
            } else {
                d.px.push_back(cvt(s[2]));
                d.px.push_back(cvt(s[1]));
                d.px.push_back(cvt(s[0]));
            }
        }
    }
    d.ok = true;
}

std::uint32_t le32(const std::uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (std::uint32_t{p[3]} << 24); }

// The old prepare_bmp: false = refused before OpenCV saw it.
bool old_prepare_bmp(Bytes& b) {
    if (b.size() < 26) return false;
    const std::uint32_t offset = le32(&b[10]), hsize = le32(&b[14]);
    std::uint64_t w, h, bpp, compression = 0;
    if (hsize == 12) {
        w = b[18] | (b[19] << 8);
        h = b[20] | (b[21] << 8);
        bpp = b[24] | (b[25] << 8);
    } else {
        if (b.size() < 34) return false;
        w = static_cast<std::int32_t>(le32(&b[18]));
        const auto sh = static_cast<std::int32_t>(le32(&b[22]));
        h = static_cast<std::uint64_t>(sh < 0 ? -static_cast<std::int64_t>(sh) : sh);
        bpp = b[28] | (b[29] << 8);
        compression = le32(&b[30]);
    }
    if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32) return false;
    if (compression == 0 || compression == 3 || compression == 6) {
        const std::uint64_t row = ((w * bpp + 31) / 32) * 4;
        return offset <= b.size() && (b.size() - offset) >= row * h;
    }
    if (compression == 1 || compression == 2) {
        b.resize(b.size() + 2 * h + 64, 0);
        return true;
    }
    return false;
}

Decoded oracle(Bytes b, Format f) {
    Decoded d;
    if (f == Format::bmp && !old_prepare_bmp(b)) return d;
    cv::Mat m;
    try {
        m = cv::imdecode(cv::Mat(1, static_cast<int>(b.size()), CV_8UC1, b.data()), cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception&) {
        return d;
    }
    if (m.empty() || m.channels() > 4) return d;
    if (m.depth() == CV_8U) drop_alpha<std::uint8_t>(m, d);
    else if (m.depth() == CV_16U) drop_alpha<std::uint16_t>(m, d);
    return d;
}

Decoded ours(const Bytes& b) {
    Decoded d;
    Image img;
    DecodeOptions opt;
    opt.collapse_grey = false;
    opt.strict = true;
    if (decode_image(b.data(), b.size(), img, opt)) return d;
    d = {true, img.width, img.height, img.channels, img.pixels};
    return d;
}

struct Tally {
    int compared = 0, identical = 0, both_failed = 0, only_ours = 0, only_oracle = 0;
    std::vector<std::string> notes;
};

void compare(const std::string& name, const Bytes& b, Format f, Tally& t) {
    const Decoded o = oracle(b, f), u = ours(b);
    if (!o.ok && !u.ok) {
        ++t.both_failed;
        return;
    }
    if (!o.ok) {
        ++t.only_ours;
        t.notes.push_back("decoded by us only: " + name);
        return;
    }
    ++t.compared;
    if (!u.ok) {
        ++t.only_oracle;
        t.notes.push_back("MISSING (oracle decodes, we fail): " + name);
        return;
    }
    if (o.w == u.w && o.h == u.h && o.ch == u.ch && o.px == u.px) {
        ++t.identical;
        return;
    }
    std::size_t first = 0;
    while (first < std::min(o.px.size(), u.px.size()) && o.px[first] == u.px[first]) ++first;
    t.notes.push_back("DIFFERENT: " + name + " oracle " + std::to_string(o.w) + "x" + std::to_string(o.h) + "x" +
                      std::to_string(o.ch) + " ours " + std::to_string(u.w) + "x" + std::to_string(u.h) + "x" +
                      std::to_string(u.ch) + ", first differing byte " + std::to_string(first));
}

// The variant itself plus truncated and byte-flipped copies.
void compare_with_corruptions(const std::string& name, const Bytes& b, Format f, Tally& t, std::uint64_t seed) {
    compare(name, b, f, t);
    hgtest::Rng rng(seed);
    for (int k = 0; k < 4; ++k) {
        Bytes c = b;
        if (k < 2) {
            c.resize(b.size() / 2 + rng.below(static_cast<std::uint32_t>(b.size() / 2)));
        } else if (c.size() > 16) {
            for (int i = 0; i < 3; ++i) c[16 + rng.below(static_cast<std::uint32_t>(c.size() - 16))] ^= 1u << rng.below(8);
        }
        compare(name + " corrupt#" + std::to_string(k), c, f, t);
    }
}

void report(const char* fmt, const Tally& t) {
    for (const auto& n : t.notes)
        if (n.rfind("decoded by us only", 0) != 0) UNSCOPED_INFO(n);
    int extra = 0;
    for (const auto& n : t.notes) extra += n.rfind("decoded by us only", 0) == 0;
    std::printf("%s: %d inputs compared with OpenCV, %d identical; %d refused by both; %d decoded by us only\n", fmt,
                t.compared, t.identical, t.both_failed, extra);
    for (const auto& n : t.notes)
        if (n.rfind("decoded by us only", 0) == 0) std::printf("  %s\n", n.c_str());
    CHECK(t.identical == t.compared);
}

struct Silence {  // OpenCV's imdecode prints caught exceptions on std::cerr
    int saved = -1;
    Silence() {
        cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
        std::fflush(stderr);
        saved = dup(2);
        std::FILE* null = std::fopen("/dev/null", "w");
        if (null) {
            dup2(fileno(null), 2);
            std::fclose(null);
        }
    }
    ~Silence() {
        std::fflush(stderr);
        dup2(saved, 2);
        close(saved);
    }
};

}  // namespace

TEST_CASE("TIFF decoder matches the old OpenCV path pixel for pixel") {
    Silence quiet;
    Tally t;
    std::uint64_t seed = 100;
    auto run = [&](const std::string& name, auto edit) {
        for (const auto& size : {std::pair{37, 23}, std::pair{1, 1}, std::pair{64, 70}}) {
            hgtest::TiffSpec s;
            s.width = size.first;
            s.height = size.second;
            s.seed = ++seed;
            edit(s);
            const std::string n = name + " " + std::to_string(s.width) + "x" + std::to_string(s.height);
            compare_with_corruptions(n, hgtest::make_tiff(s), Format::tiff, t, seed);
        }
    };
    using S = hgtest::TiffSpec;
    run("rgb8", [](S&) {});
    run("rgb8 lzw pred2", [](S& s) { s.compression = COMPRESSION_LZW; s.predictor = 2; });
    run("rgb8 deflate", [](S& s) { s.compression = COMPRESSION_ADOBE_DEFLATE; });
    run("rgb8 packbits rps1", [](S& s) { s.compression = COMPRESSION_PACKBITS; s.rows_per_strip = 1; });
    run("rgb8 rps5", [](S& s) { s.rows_per_strip = 5; });
    run("rgb8 jpeg", [](S& s) { s.compression = COMPRESSION_JPEG; s.rows_per_strip = 16; });
    run("ycbcr jpeg", [](S& s) { s.compression = COMPRESSION_JPEG; s.photometric = PHOTOMETRIC_YCBCR; s.rows_per_strip = 16; });
    run("rgb8 tiled16", [](S& s) { s.tiled = true; });
    run("rgb8 tiled32x48 deflate", [](S& s) { s.tiled = true; s.tile_w = 32; s.tile_h = 48; s.compression = 8; });
    run("rgb8 planar", [](S& s) { s.planar_separate = true; s.rows_per_strip = 7; });
    run("rgb8 planar tiled", [](S& s) { s.planar_separate = true; s.tiled = true; });
    run("rgba8 assoc", [](S& s) { s.spp = 4; s.extra = 1; });
    run("rgba8 unassoc", [](S& s) { s.spp = 4; s.extra = 2; });
    run("rgba8 unassoc tiled", [](S& s) { s.spp = 4; s.extra = 2; s.tiled = true; });
    run("grey8", [](S& s) { s.spp = 1; s.photometric = PHOTOMETRIC_MINISBLACK; });
    run("grey8 miniswhite", [](S& s) { s.spp = 1; s.photometric = PHOTOMETRIC_MINISWHITE; });
    run("grey8 tiled lzw", [](S& s) { s.spp = 1; s.photometric = 1; s.tiled = true; s.compression = 5; });
    run("grey+alpha8", [](S& s) { s.spp = 2; s.photometric = 1; s.extra = 2; });
    run("grey+alpha8 assoc", [](S& s) { s.spp = 2; s.photometric = 1; s.extra = 1; });
    run("grey4", [](S& s) { s.spp = 1; s.photometric = 1; s.bps = 4; });
    run("grey2", [](S& s) { s.spp = 1; s.photometric = 1; s.bps = 2; });
    run("bilevel", [](S& s) { s.spp = 1; s.photometric = 0; s.bps = 1; });
    run("bilevel black1", [](S& s) { s.spp = 1; s.photometric = 1; s.bps = 1; s.compression = COMPRESSION_PACKBITS; });
    run("palette8", [](S& s) { s.spp = 1; s.photometric = PHOTOMETRIC_PALETTE; });
    run("palette4", [](S& s) { s.spp = 1; s.photometric = PHOTOMETRIC_PALETTE; s.bps = 4; });
    run("palette8 tiled", [](S& s) { s.spp = 1; s.photometric = 3; s.tiled = true; });
    run("cmyk8", [](S& s) { s.spp = 4; s.photometric = PHOTOMETRIC_SEPARATED; });
    run("rgb16", [](S& s) { s.bps = 16; });
    run("rgb16 lzw pred2", [](S& s) { s.bps = 16; s.compression = 5; s.predictor = 2; });
    run("rgb16 tiled", [](S& s) { s.bps = 16; s.tiled = true; });
    run("rgba16", [](S& s) { s.bps = 16; s.spp = 4; s.extra = 2; });
    run("grey16", [](S& s) { s.bps = 16; s.spp = 1; s.photometric = 1; });
    run("grey16 miniswhite", [](S& s) { s.bps = 16; s.spp = 1; s.photometric = 0; });
    run("grey+alpha16", [](S& s) { s.bps = 16; s.spp = 2; s.photometric = 1; s.extra = 2; });
    for (int o = 1; o <= 8; ++o) {
        run("rgb8 orientation " + std::to_string(o), [o](S& s) { s.orientation = o; s.rows_per_strip = 6; });
        run("rgb8 tiled orientation " + std::to_string(o), [o](S& s) { s.orientation = o; s.tiled = true; });
        run("rgb16 orientation " + std::to_string(o), [o](S& s) { s.orientation = o; s.bps = 16; });
    }
    report("tiff", t);
    CHECK(t.compared > 300);
}

TEST_CASE("WebP decoder matches the old OpenCV path pixel for pixel") {
    Silence quiet;
    Tally t;
    std::uint64_t seed = 500;
    for (const auto& size : {std::pair{37, 23}, std::pair{1, 1}, std::pair{200, 150}, std::pair{16, 333}})
        for (bool alpha : {false, true})
            for (int q : {-1, 10, 50, 95}) {  // -1 = lossless
                const std::string n = std::string(q < 0 ? "lossless" : "lossy q" + std::to_string(q)) +
                                      (alpha ? " alpha " : " ") + std::to_string(size.first) + "x" + std::to_string(size.second);
                ++seed;
                compare_with_corruptions(n, hgtest::make_webp(size.first, size.second, alpha, q < 0, q, seed),
                                         Format::webp, t, seed);
            }
    report("webp", t);
    CHECK(t.compared > 60);
}

TEST_CASE("BMP decoder matches the old OpenCV path pixel for pixel") {
    Silence quiet;
    Tally t;
    std::uint64_t seed = 900;
    auto run = [&](const std::string& name, auto edit) {
        for (const auto& size : {std::pair{37, 23}, std::pair{1, 1}, std::pair{64, 9}, std::pair{3, 40}})
            for (bool top : {false, true}) {
                hgtest::BmpSpec s;
                s.width = size.first;
                s.height = size.second;
                s.top_down = top;
                s.seed = ++seed;
                edit(s);
                const std::string n = name + (top ? " top-down " : " ") + std::to_string(s.width) + "x" +
                                      std::to_string(s.height);
                compare_with_corruptions(n, hgtest::make_bmp(s), Format::bmp, t, seed);
            }
    };
    using S = hgtest::BmpSpec;
    for (int bpp : {1, 4, 8, 16, 24, 32}) {
        run("bpp" + std::to_string(bpp), [bpp](S& s) { s.bpp = bpp; });
        run("bpp" + std::to_string(bpp) + " v5", [bpp](S& s) { s.bpp = bpp; s.header = 124; });
    }
    for (int bpp : {1, 4, 8, 24, 32}) run("os2 bpp" + std::to_string(bpp), [bpp](S& s) { s.bpp = bpp; s.header = 12; s.top_down = false; });
    for (int bpp : {1, 4, 8}) {
        run("grey palette bpp" + std::to_string(bpp), [bpp](S& s) { s.bpp = bpp; s.grey_palette = true; });
        run("short palette bpp" + std::to_string(bpp), [bpp](S& s) { s.bpp = bpp; s.colors_used = 2; });
    }
    run("bitfields 565", [](S& s) { s.bpp = 16; s.compression = 3; s.masks[0] = 0xF800; s.masks[1] = 0x7E0; s.masks[2] = 0x1F; });
    run("bitfields 555", [](S& s) { s.bpp = 16; s.compression = 3; s.masks[0] = 0x7C00; s.masks[1] = 0x3E0; s.masks[2] = 0x1F; });
    run("bitfields 444", [](S& s) { s.bpp = 16; s.compression = 3; s.masks[0] = 0xF00; s.masks[1] = 0xF0; s.masks[2] = 0xF; });
    run("bitfields 32", [](S& s) { s.bpp = 32; s.compression = 3; s.masks[0] = 0xFF0000; s.masks[1] = 0xFF00; s.masks[2] = 0xFF; });
    run("bitfields 32 swapped", [](S& s) { s.bpp = 32; s.compression = 3; s.masks[0] = 0xFF; s.masks[1] = 0xFF00; s.masks[2] = 0xFF0000; });
    run("rle8", [](S& s) { s.bpp = 8; s.compression = 1; });
    run("rle8 grey", [](S& s) { s.bpp = 8; s.compression = 1; s.grey_palette = true; });
    run("rle8 short palette", [](S& s) { s.bpp = 8; s.compression = 1; s.colors_used = 5; });
    run("rle4", [](S& s) { s.bpp = 4; s.compression = 2; });
    run("rle4 grey", [](S& s) { s.bpp = 4; s.compression = 2; s.grey_palette = true; });
    run("rle4 v4", [](S& s) { s.bpp = 4; s.compression = 2; s.header = 108; });
    report("bmp", t);
    CHECK(t.compared > 600);
}
