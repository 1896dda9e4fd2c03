// Decoding: format sniffing, error paths, limits (checked before any
// allocation), and that hostile input never makes the library print.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include <turbojpeg.h>
#include <zlib.h>

#include "support/gen_images.hpp"
#include "support/test_support.hpp"

using namespace hashguard;

#if defined(__SANITIZE_ADDRESS__)
#define HG_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HG_TEST_ASAN 1
#endif
#endif

// ---- allocation tracking: the largest single operator-new request while armed.
namespace {
std::atomic<bool> g_track{false};
std::atomic<std::size_t> g_largest{0};
void note(std::size_t n) {
    if (!g_track.load(std::memory_order_relaxed)) return;
    std::size_t cur = g_largest.load();
    while (n > cur && !g_largest.compare_exchange_weak(cur, n)) {}
}
}  // namespace

// These replace the global operators as a pair (malloc/free underneath);
// GCC cannot see that and warns that free() meets an operator-new pointer.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t n) {
    note(n);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    note(n);
    return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return ::operator new(n, t); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes photo(const std::string& rel) { return hgtest::read_bytes(hgtest::data_dir() + "/photos/" + rel); }

Error decode(const Bytes& b, const DecodeOptions& opt = {}) {
    Image img;
    Error e = decode_image(b.data(), b.size(), img, opt);
    if (e) {
        CHECK(img.pixels.empty());
        CHECK(img.width == 0);
    }
    return e;
}

void put_be32(Bytes& b, std::size_t o, std::uint32_t v) {
    b[o] = v >> 24; b[o + 1] = v >> 16; b[o + 2] = v >> 8; b[o + 3] = v;
}
void put_le32(Bytes& b, std::size_t o, std::uint32_t v) {
    b[o] = v; b[o + 1] = v >> 8; b[o + 2] = v >> 16; b[o + 3] = v >> 24;
}
void put_le16(Bytes& b, std::size_t o, std::uint32_t v) { b[o] = v; b[o + 1] = v >> 8; }

// Minimal headers declaring w x h, with no pixel data behind them.
Bytes png_header(std::uint32_t w, std::uint32_t h) {
    Bytes b(33, 0);
    const std::uint8_t sig[16] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
    std::memcpy(b.data(), sig, sizeof sig);
    put_be32(b, 16, w);
    put_be32(b, 20, h);
    b[24] = 8;
    b[25] = 2;
    return b;
}
Bytes jpeg_header(std::uint16_t w, std::uint16_t h) {
    Bytes b = {0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, std::uint8_t(h >> 8), std::uint8_t(h), std::uint8_t(w >> 8),
               std::uint8_t(w), 0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1};
    return b;
}
Bytes gif_header(std::uint16_t w, std::uint16_t h) {
    Bytes b = {'G', 'I', 'F', '8', '9', 'a', 0, 0, 0, 0, 0, 0, 0};
    put_le16(b, 6, w);
    put_le16(b, 8, h);
    return b;
}
Bytes webp_header(std::uint32_t w, std::uint32_t h) {
    Bytes b(30, 0);
    std::memcpy(&b[0], "RIFF", 4);
    put_le32(b, 4, 22);
    std::memcpy(&b[8], "WEBPVP8X", 8);
    put_le32(b, 16, 10);
    b[24] = (w - 1) & 0xff; b[25] = ((w - 1) >> 8) & 0xff; b[26] = ((w - 1) >> 16) & 0xff;
    b[27] = (h - 1) & 0xff; b[28] = ((h - 1) >> 8) & 0xff; b[29] = ((h - 1) >> 16) & 0xff;
    return b;
}
Bytes bmp_header(std::uint32_t w, std::uint32_t h) {
    Bytes b(54, 0);
    b[0] = 'B'; b[1] = 'M';
    put_le32(b, 10, 54);
    put_le32(b, 14, 40);
    put_le32(b, 18, w);
    put_le32(b, 22, h);
    put_le16(b, 26, 1);
    put_le16(b, 28, 24);
    return b;
}
Bytes tiff_header(std::uint32_t w, std::uint32_t h) {
    Bytes b(8 + 2 + 24 + 4, 0);
    b[0] = 'I'; b[1] = 'I'; b[2] = 42;
    put_le32(b, 4, 8);
    put_le16(b, 8, 2);
    put_le16(b, 10, 256); put_le16(b, 12, 4); put_le32(b, 14, 1); put_le32(b, 18, w);
    put_le16(b, 22, 257); put_le16(b, 24, 4); put_le32(b, 26, 1); put_le32(b, 30, h);
    return b;
}
Bytes pnm_header(std::uint32_t w, std::uint32_t h) {
    const std::string s = "P6\n" + std::to_string(w) + " " + std::to_string(h) + "\n255\n";
    return Bytes(s.begin(), s.end());
}

}  // namespace

TEST_CASE("Formats are sniffed from magic bytes") {
    CHECK(sniff_format(photo("baboon.jpg").data(), 100) == Format::jpeg);
    CHECK(sniff_format(photo("graf1.png").data(), 100) == Format::png);
    CHECK(sniff_format(photo("formats/fruits.gif").data(), 100) == Format::gif);
    CHECK(sniff_format(photo("formats/fruits-lossy.webp").data(), 100) == Format::webp);
    CHECK(sniff_format(photo("formats/messi5.bmp").data(), 100) == Format::bmp);
    CHECK(sniff_format(photo("formats/messi5.tiff").data(), 100) == Format::tiff);
    CHECK(sniff_format(pnm_header(2, 2).data(), 10) == Format::pnm);
    const Bytes riff_wave = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'A', 'V', 'E'};
    CHECK(sniff_format(riff_wave.data(), riff_wave.size()) == Format::unknown);
    CHECK(sniff_format(nullptr, 0) == Format::unknown);
    CHECK(sniff_format(reinterpret_cast<const std::uint8_t*>("\xFF\xD8"), 2) == Format::unknown);
}

TEST_CASE("Every bundled format decodes to the expected shape") {
    struct Case { const char* file; int w, h, ch; Format f; };
    const Case cases[] = {
        {"messi5.jpg", 548, 342, 3, Format::jpeg},
        {"formats/messi5-cmyk.jpg", 548, 342, 3, Format::jpeg},
        {"formats/aero1-gray.jpg", 640, 480, 1, Format::jpeg},
        {"formats/building-progressive.jpg", 868, 600, 3, Format::jpeg},
        {"formats/baboon-16bit.png", 512, 512, 3, Format::png},
        {"formats/fruits-gray-alpha.png", 512, 480, 1, Format::png},
        {"formats/tiny-3x3.png", 3, 3, 3, Format::png},
        {"formats/fruits-lossy.webp", 512, 480, 3, Format::webp},
        {"formats/baboon-lossless.webp", 512, 512, 3, Format::webp},
        {"formats/messi5.bmp", 548, 342, 3, Format::bmp},
        {"formats/messi5.tiff", 548, 342, 3, Format::tiff},
        {"formats/fruits.gif", 512, 480, 3, Format::gif},
    };
    for (const auto& c : cases) {
        INFO(c.file);
        const Bytes b = photo(c.file);
        Image img;
        REQUIRE(decode_image(b.data(), b.size(), img).ok());
        CHECK(img.width == c.w);
        CHECK(img.height == c.h);
        CHECK(img.channels == c.ch);
        CHECK(img.format == c.f);
        CHECK(img.pixels.size() == img.size_bytes());
    }
}

TEST_CASE("Empty, null and garbage input give clear errors") {
    Image img;
    Error e = decode_image(nullptr, 0, img);
    CHECK(e.code == Status::decode_failed);
    CHECK(e.message.find("empty") != std::string::npos);
    e = decode_image(nullptr, 10, img);
    CHECK(e.code == Status::invalid_argument);
    hgtest::Rng rng(9);
    Bytes garbage(5000);
    for (auto& x : garbage) x = static_cast<std::uint8_t>(rng.below(256));
    garbage[0] = 0;  // no accidental signature
    e = decode(garbage);
    CHECK(e.code == Status::unsupported_format);
    CHECK(e.message.find("unrecognised format") != std::string::npos);
}

TEST_CASE("Unsupported formats are refused by signature") {
    const std::string psd = "8BPS\x00\x01\x00\x00\x00\x00\x00\x00\x00\x03";
    CHECK(decode(Bytes(psd.begin(), psd.end())).code == Status::unsupported_format);
    const std::string svg = "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>";
    CHECK(decode(Bytes(svg.begin(), svg.end())).code == Status::unsupported_format);
    // A BMP with JPEG compression inside (BI_JPEG) is not decoded.
    Bytes bmp = bmp_header(10, 10);
    put_le32(bmp, 30, 4);
    bmp.resize(400, 0);
    CHECK(decode(bmp).code == Status::unsupported_format);
}

TEST_CASE("Truncated JPEG and PNG fail with a decode error naming the problem") {
    const Bytes jpg = photo("baboon.jpg");
    for (std::size_t n : {std::size_t{3}, std::size_t{200}, jpg.size() / 2, jpg.size() - 10}) {
        INFO("jpeg cut at " << n);
        const Error e = decode(Bytes(jpg.begin(), jpg.begin() + n));
        CHECK(e.code == Status::decode_failed);
        CHECK_FALSE(e.message.empty());
    }
    const Bytes png = photo("box_in_scene.png");
    for (std::size_t n : {std::size_t{10}, std::size_t{40}, png.size() / 2, png.size() - 20}) {
        INFO("png cut at " << n);
        const Error e = decode(Bytes(png.begin(), png.begin() + n));
        CHECK(e.code == Status::decode_failed);
        CHECK(e.message.find("png") != std::string::npos);
    }
    const Error half = decode(Bytes(jpg.begin(), jpg.begin() + jpg.size() / 2));
    CHECK(half.message.find("Premature end of JPEG file") != std::string::npos);
    // Non-strict decoding hashes what a lenient decoder recovers.
    DecodeOptions lenient;
    lenient.strict = false;
    CHECK(decode(Bytes(jpg.begin(), jpg.begin() + jpg.size() / 2), lenient).ok());
    // The one-call hash reports the same, and a lenient hash of the
    // truncated file equals decode + hash of it.
    const Bytes cut(jpg.begin(), jpg.begin() + jpg.size() / 2);
    PdqDihedral h;
    const Error strict_err = pdq_hash_bytes(cut.data(), cut.size(), h);
    CHECK(strict_err.code == Status::decode_failed);
    CHECK(strict_err.message.find("Premature end of JPEG file") != std::string::npos);
    REQUIRE(pdq_hash_bytes(cut.data(), cut.size(), h, lenient).ok());
    Image img;
    REQUIRE(decode_image(cut.data(), cut.size(), img, lenient).ok());
    PdqDihedral via_image;
    REQUIRE(PdqHasher().hash_dihedral(img, via_image).ok());
    CHECK(h.hashes == via_image.hashes);
    const Bytes huge = jpeg_header(60000, 60000);
    CHECK(pdq_hash_bytes(huge.data(), huge.size(), h).code == Status::limit_pixels);
}

TEST_CASE("Huge declared dimensions fail on the limit before anything is allocated") {
    struct Case { const char* name; Bytes b; };
    // Each case must fail with `code`, name the limit in its message, and the
    // largest allocation made while deciding must stay tiny.
    auto expect_limit = [](const std::vector<Case>& cases, Status code, const char* needle) {
        for (const auto& c : cases) {
            INFO(c.name);
            g_largest = 0;
            g_track = true;
            const Error e = decode(c.b);
            g_track = false;
            CHECK(e.code == code);
            CHECK(e.message.find(needle) != std::string::npos);
            CHECK(g_largest.load() < (1u << 16));
        }
    };
    expect_limit({{"png 100000x100000", png_header(100000, 100000)},
                  {"webp 100000x100000", webp_header(100000, 100000)},
                  {"bmp 100000x100000", bmp_header(100000, 100000)},
                  {"tiff 100000x100000", tiff_header(100000, 100000)},
                  {"pnm 100000x100000", pnm_header(100000, 100000)}},
                 Status::limit_dimension, "is 100000x100000, a side above the max_dimension limit");
    // Within the per-side limit but 3.6 GP: the pixel limit.
    expect_limit({{"png 60000x60000", png_header(60000, 60000)},
                  {"jpeg 60000x60000", jpeg_header(60000, 60000)},
                  {"gif 60000x60000", gif_header(60000, 60000)},
                  {"webp 60000x60000", webp_header(60000, 60000)},
                  {"bmp 60000x60000", bmp_header(60000, 60000)},
                  {"tiff 60000x60000", tiff_header(60000, 60000)},
                  {"pnm 60000x60000", pnm_header(60000, 60000)}},
                 Status::limit_pixels, "max_pixels limit of 100000000");
}

TEST_CASE("Limits are configurable and name themselves") {
    const Bytes b = photo("messi5.jpg");  // 548 x 342 = 187416 px
    DecodeOptions opt;
    opt.max_pixels = 187415;
    Error e = decode(b, opt);
    CHECK(e.code == Status::limit_pixels);
    CHECK(e.message.find("548x342") != std::string::npos);
    opt.max_pixels = 187416;
    CHECK(decode(b, opt).ok());
    opt.max_dimension = 547;
    CHECK(decode(b, opt).code == Status::limit_dimension);
    DecodeOptions bytes_opt;
    bytes_opt.max_input_bytes = b.size() - 1;
    e = decode(b, bytes_opt);
    CHECK(e.code == Status::limit_bytes);
    CHECK(e.message.find("max_input_bytes") != std::string::npos);
    // A GIF frame larger than its canvas is checked too.
    DecodeOptions frame_opt;
    frame_opt.max_pixels = 1000;
    CHECK(decode(photo("formats/fruits.gif"), frame_opt).code == Status::limit_pixels);
}

namespace {

// A real w x h 8-bit grey PNG (a gradient), written with zlib.
Bytes make_png_grey(std::uint32_t w, std::uint32_t h) {
    Bytes raw;
    raw.reserve(static_cast<std::size_t>(w + 1) * h);
    for (std::uint32_t y = 0; y < h; ++y) {
        raw.push_back(0);  // filter: none
        for (std::uint32_t x = 0; x < w; ++x) raw.push_back(static_cast<std::uint8_t>((x * 7 + y * 3) ^ (x * y)));
    }
    uLongf zlen = compressBound(static_cast<uLong>(raw.size()));
    Bytes z(zlen);
    REQUIRE(compress2(z.data(), &zlen, raw.data(), static_cast<uLong>(raw.size()), 1) == Z_OK);
    z.resize(zlen);
    Bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    auto chunk = [&](const char* type, const Bytes& body) {
        Bytes c(8 + body.size() + 4);
        put_be32(c, 0, static_cast<std::uint32_t>(body.size()));
        std::memcpy(&c[4], type, 4);
        if (!body.empty()) std::memcpy(&c[8], body.data(), body.size());
        put_be32(c, 8 + body.size(), static_cast<std::uint32_t>(crc32(0, &c[4], static_cast<uInt>(4 + body.size()))));
        png.insert(png.end(), c.begin(), c.end());
    };
    Bytes ihdr(13, 0);
    put_be32(ihdr, 0, w);
    put_be32(ihdr, 4, h);
    ihdr[8] = 8;  // bit depth; colour type 0 (grey)
    chunk("IHDR", ihdr);
    chunk("IDAT", z);
    chunk("IEND", {});
    return png;
}

}  // namespace

TEST_CASE("Decode memory and time budgets are limits with their own status") {
    const Bytes b = photo("messi5.jpg");  // 548 x 342 baseline: output + row buffers, ~1.7 MB
    DecodeOptions opt;
    opt.max_memory_bytes = 1'000'000;
    Error e = decode(b, opt);
    CHECK(e.code == Status::limit_memory);
    CHECK(e.message.find("548x342") != std::string::npos);
    CHECK(e.message.find("max_memory_bytes limit of 1000000") != std::string::npos);
    const std::size_t at = e.message.find("needs about ");
    REQUIRE(at != std::string::npos);
    const std::uint64_t estimate = std::stoull(e.message.substr(at + 12));
    CHECK(estimate > 548 * 342 * 3);
    CHECK(estimate < 4'000'000);
    opt.max_memory_bytes = estimate - 1;
    CHECK(decode(b, opt).code == Status::limit_memory);
    opt.max_memory_bytes = estimate;
    CHECK(decode(b, opt).ok());

    // A bomb the pixel limit was raised for: refused on memory before any allocation.
    DecodeOptions wide;
    wide.max_pixels = std::uint64_t{1} << 40;
    g_largest = 0;
    g_track = true;
    e = decode(png_header(60000, 60000), wide);
    g_track = false;
    CHECK(e.code == Status::limit_memory);
    CHECK(g_largest.load() < (1u << 16));

    // Time: a real 4000x4000 PNG stops mid-image (row callback); a 12 MP JPEG
    // when TurboJPEG returns. Both decode fine without the budget.
    const Bytes png = make_png_grey(4000, 4000);
    DecodeOptions fast_budget;
    fast_budget.max_decode_ms = 1;
    e = decode(png, fast_budget);
    CHECK(e.code == Status::limit_time);
    CHECK(e.message.find("max_decode_ms limit of 1 ms") != std::string::npos);
    CHECK(decode(png).ok());
    tjhandle tj = tjInitCompress();
    std::vector<unsigned char> rgb(4000 * 3000 * 3);
    for (std::size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<unsigned char>(i * 31 >> 5);
    unsigned char* jpeg = nullptr;
    unsigned long size = 0;
    REQUIRE(tjCompress2(tj, rgb.data(), 4000, 0, 3000, TJPF_RGB, &jpeg, &size, TJSAMP_420, 90, 0) == 0);
    const Bytes big(jpeg, jpeg + size);
    tjFree(jpeg);
    tjDestroy(tj);
    CHECK(decode(big, fast_budget).code == Status::limit_time);
    CHECK(decode(big).ok());
}

TEST_CASE("A progressive JPEG with an enormous scan count is refused") {
    // building-progressive.jpg with its first scan repeated 600 times before EOI.
    const Bytes src = photo("formats/building-progressive.jpg");
    std::size_t sos = 0, next = 0;
    for (std::size_t i = 2; i + 1 < src.size(); ++i)
        if (src[i] == 0xFF && src[i + 1] == 0xDA) {
            sos = i;
            break;
        }
    REQUIRE(sos > 0);
    for (std::size_t i = sos + 2; i + 1 < src.size(); ++i)
        if (src[i] == 0xFF && src[i + 1] != 0 && !(src[i + 1] >= 0xD0 && src[i + 1] <= 0xD7)) {
            next = i;
            break;
        }
    REQUIRE(next > sos);
    Bytes bomb(src.begin(), src.end() - 2);  // without EOI
    for (int k = 0; k < 600; ++k) bomb.insert(bomb.end(), src.begin() + static_cast<std::ptrdiff_t>(sos), src.begin() + static_cast<std::ptrdiff_t>(next));
    bomb.push_back(0xFF);
    bomb.push_back(0xD9);
    DecodeOptions lenient;
    lenient.strict = false;  // strict mode already stops at the first bogus rescan
    const Error e = decode(bomb, lenient);
    INFO(e.message);
    CHECK(e.code == Status::limit_scans);
    CHECK(decode(bomb).code != Status::ok);
}

TEST_CASE("read_file reports missing files and the byte limit") {
    std::vector<std::uint8_t> out;
    Error e = read_file("/nonexistent/hashguard-test", out);
    CHECK(e.code == Status::io_error);
    CHECK(e.message.find("No such file") != std::string::npos);
    e = read_file(hgtest::data_dir() + "/photos/baboon.jpg", out, 1000);
    CHECK(e.code == Status::limit_bytes);
}

namespace {

// Generated TIFF, BMP and WebP variants (the decoders' less common paths), for
// the corrupted corpus: each is truncated and byte-flipped like the files.
std::vector<Bytes> generated_variants() {
    std::vector<Bytes> v;
    auto tiff = [&](auto edit) {
        hgtest::TiffSpec s;
        s.width = 45;
        s.height = 31;
        edit(s);
        v.push_back(hgtest::make_tiff(s));
    };
    tiff([](hgtest::TiffSpec& s) { s.compression = 5; s.predictor = 2; });            // LZW RGB
    tiff([](hgtest::TiffSpec& s) { s.tiled = true; s.compression = 8; });             // tiled deflate
    tiff([](hgtest::TiffSpec& s) { s.photometric = 3; s.spp = 1; s.compression = 32773; });  // palette
    tiff([](hgtest::TiffSpec& s) { s.bps = 16; s.spp = 4; s.extra = 2; });           // 16-bit RGBA
    tiff([](hgtest::TiffSpec& s) { s.photometric = 1; s.spp = 2; s.extra = 2; });    // grey + alpha
    tiff([](hgtest::TiffSpec& s) { s.photometric = 0; s.spp = 1; s.bps = 1; });     // bilevel
    tiff([](hgtest::TiffSpec& s) { s.compression = 7; s.rows_per_strip = 8; });     // JPEG-in-TIFF
    tiff([](hgtest::TiffSpec& s) { s.planar_separate = true; s.rows_per_strip = 4; });
    auto bmp = [&](auto edit) {
        hgtest::BmpSpec s;
        s.width = 45;
        s.height = 31;
        edit(s);
        v.push_back(hgtest::make_bmp(s));
    };
    bmp([](hgtest::BmpSpec& s) { s.bpp = 8; s.compression = 1; });
    bmp([](hgtest::BmpSpec& s) { s.bpp = 4; s.compression = 2; });
    bmp([](hgtest::BmpSpec& s) { s.bpp = 16; s.compression = 3; s.masks[0] = 0xF800; s.masks[1] = 0x7E0; s.masks[2] = 0x1F; });
    bmp([](hgtest::BmpSpec& s) { s.bpp = 32; s.header = 124; s.top_down = true; });
    bmp([](hgtest::BmpSpec& s) { s.bpp = 8; s.header = 12; });
    bmp([](hgtest::BmpSpec& s) { s.bpp = 1; s.colors_used = 2; });
    v.push_back(hgtest::make_webp(45, 31, true, false, 80, 5));
    v.push_back(hgtest::make_webp(45, 31, true, true, 0, 6));
    return v;
}

}  // namespace

TEST_CASE("Corrupted files never crash the decoder and never print") {
    // Truncations and byte flips of every bundled format. Standard error is
    // redirected to a file for the duration; it must stay empty.
    const char* files[] = {"baboon.jpg", "formats/building-progressive.jpg", "formats/messi5-cmyk.jpg",
                           "box_in_scene.png", "formats/fruits-gray-alpha.png", "formats/tiny-3x3.png",
                           "formats/fruits-lossy.webp", "formats/baboon-lossless.webp", "formats/messi5.bmp",
                           "formats/messi5.tiff", "formats/fruits.gif", "formats/anim-2frames.gif",
                           "formats/anim-2frames.webp"};
    char path[] = "/tmp/hashguard-stderr-XXXXXX";
    const int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    std::fflush(stderr);
    const int saved = dup(2);
    dup2(fd, 2);
    hgtest::Rng rng(2024);
    int decoded = 0, failed = 0, bad_errors = 0, poisoned = 0, path_mismatch = 0;
    PdqHasher hasher;
    const Bytes good = photo("messi5.jpg");
    const std::string good_hash = "c86f3d1bb60a7b4371c1cbf2b05bec65d8180c030fc14389e542bb26ef43f6cb";
    std::vector<Bytes> originals;
    for (const char* f : files) originals.push_back(photo(f));
    for (Bytes& g : generated_variants()) originals.push_back(std::move(g));
    for (const Bytes& orig : originals) {
        for (int k = 0; k < 24; ++k) {
            Bytes b = orig;
            if (k < 12) {
                b.resize(1 + rng.below(static_cast<std::uint32_t>(orig.size())));
            } else {
                const int flips = 1 + static_cast<int>(rng.below(20));
                const std::uint32_t span = k % 2 ? std::min<std::uint32_t>(4096, b.size()) : b.size();
                for (int i = 0; i < flips; ++i) b[rng.below(span)] = static_cast<std::uint8_t>(rng.below(256));
            }
            Image img;
            const Error e = decode_image(b.data(), b.size(), img);
            // The one-call path (thread-local buffers reused across calls)
            // must agree with decode + hash: same success, same hashes.
            PdqDihedral direct;
            const Error e2 = pdq_hash_bytes(b.data(), b.size(), direct);
            if (e.ok() != e2.ok() || (e2 && e2.message.empty())) ++path_mismatch;
            if (!e && !e2) {
                PdqDihedral via_image;
                if (!hasher.hash_dihedral(img, via_image).ok() || via_image.hashes != direct.hashes) ++path_mismatch;
            }
            if (e) {
                ++failed;
                if (e.message.empty() || !img.pixels.empty()) ++bad_errors;
                // A failed decode must not poison the next one on this thread.
                PdqDihedral after;
                if (!pdq_hash_bytes(good.data(), good.size(), after).ok() ||
                    after[Transform::original].to_hex() != good_hash)
                    ++poisoned;
            } else {
                ++decoded;
                PdqHash h;
                if (!hasher.hash(img, h).ok()) ++bad_errors;
            }
        }
    }
    std::fflush(stderr);
    dup2(saved, 2);
    close(saved);
    std::FILE* in = std::fopen(path, "rb");
    std::string printed;
    char buf[512];
    std::size_t n;
    while (in && (n = std::fread(buf, 1, sizeof buf, in)) > 0) printed.append(buf, n);
    if (in) std::fclose(in);
    close(fd);
    unlink(path);
    INFO("printed to stderr: " << printed);
    CHECK(printed.empty());
    CHECK(bad_errors == 0);
    CHECK(poisoned == 0);
    CHECK(path_mismatch == 0);
    CHECK(failed > 300);  // the corpus really exercised the error paths
    std::printf("corrupted corpus: %d decoded, %d rejected with a message\n", decoded, failed);
}

TEST_CASE("YCCK JPEG is converted to RGB like CMYK (Adobe-inverted samples)") {
    // TurboJPEG writes CMYK pixels as a YCCK JPEG; decoding must give
    // R = C*K/255 (samples are stored inverted, as ImageMagick reads them).
    const int w = 64, h = 48;
    std::vector<std::uint8_t> cmyk(static_cast<std::size_t>(w) * h * 4);
    for (std::size_t i = 0; i < cmyk.size(); i += 4) {
        cmyk[i] = 200; cmyk[i + 1] = 120; cmyk[i + 2] = 255; cmyk[i + 3] = 100;
    }
    tjhandle tj = tjInitCompress();
    REQUIRE(tj);
    unsigned char* jpeg = nullptr;
    unsigned long size = 0;
    REQUIRE(tjCompress2(tj, cmyk.data(), w, 0, h, TJPF_CMYK, &jpeg, &size, TJSAMP_444, 100, 0) == 0);
    Bytes b(jpeg, jpeg + size);
    tjFree(jpeg);
    tjDestroy(tj);
    tjhandle d = tjInitDecompress();
    int hw, hh, ss, cs;
    REQUIRE(tjDecompressHeader3(d, b.data(), b.size(), &hw, &hh, &ss, &cs) == 0);
    tjDestroy(d);
    CHECK(cs == TJCS_YCCK);
    Image img;
    const Error e = decode_image(b.data(), b.size(), img);
    INFO(e.message);
    REQUIRE(e.ok());
    CHECK(img.channels == 3);
    CHECK(img.width == w);
    const int want[3] = {200 * 100 / 255, 120 * 100 / 255, 255 * 100 / 255};  // 78, 47, 100
    int worst = 0;
    for (std::size_t i = 0; i < img.pixels.size(); i += 3)
        for (int c = 0; c < 3; ++c) worst = std::max(worst, std::abs(img.pixels[i + c] - want[c]));
    CHECK(worst <= 2);  // quality-100 JPEG round trip
}

// ---------------------------------------------------------------- regressions (issue 11)
namespace {

// A little-endian TIFF built by hand: `data` at offset 8, then one IFD with
// the entries in the order given (duplicates and disorder allowed).
struct TiffEntry {
    std::uint16_t tag, type;
    std::uint32_t value;
};
Bytes tiff_by_hand(const std::vector<TiffEntry>& entries, const Bytes& data) {
    Bytes b(8 + data.size() + data.size() % 2, 0);
    b[0] = 'I'; b[1] = 'I'; b[2] = 42;
    if (!data.empty()) std::memcpy(&b[8], data.data(), data.size());
    put_le32(b, 4, static_cast<std::uint32_t>(b.size()));
    const std::size_t ifd = b.size();
    b.resize(ifd + 2 + entries.size() * 12 + 4, 0);
    put_le16(b, ifd, static_cast<std::uint32_t>(entries.size()));
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const std::size_t e = ifd + 2 + i * 12;
        put_le16(b, e, entries[i].tag);
        put_le16(b, e + 2, entries[i].type);
        put_le32(b, e + 4, 1);
        put_le32(b, e + 8, entries[i].value);  // SHORT values sit in the low bytes (little-endian)
    }
    return b;
}

// PackBits data for n zero bytes (128 per two-byte run).
Bytes packbits_zeros(std::size_t n) {
    Bytes d;
    d.reserve(n / 64 + 2);
    while (n > 0) {
        const std::size_t k = std::min<std::size_t>(n, 128);
        d.push_back(static_cast<std::uint8_t>(257 - k));  // -(k-1) as a byte
        d.push_back(0);
        n -= k;
    }
    return d;
}

constexpr std::uint16_t kShort = 3, kLong = 4;

Bytes grey_tiff_dup(std::uint32_t w1, std::uint32_t h1, std::uint32_t w2, std::uint32_t h2, const Bytes& data) {
    return tiff_by_hand({{256, kLong, w1}, {257, kLong, h1}, {258, kShort, 8}, {259, kShort, 32773},
                         {262, kShort, 1}, {273, kLong, 8}, {277, kShort, 1},
                         {279, kLong, static_cast<std::uint32_t>(data.size())},
                         {256, kLong, w2}, {257, kLong, h2}},
                        data);
}

struct DecodeJob {
    const Bytes* bytes;
    DecodeOptions opt;
    Status status = Status::ok;
};
int run_decode(void* p) {
    auto* job = static_cast<DecodeJob*>(p);
    Image img;
    return static_cast<int>(decode_image(job->bytes->data(), job->bytes->size(), img, job->opt).code);
}

// Decodes in a forked child; returns the status and the peak memory it added.
Status decode_peak(const Bytes& b, const DecodeOptions& opt, long& peak_kib) {
    DecodeJob job{&b, opt};
    int code = -1;
    peak_kib = hgtest::peak_rss_delta_kib(run_decode, &job, code);
    REQUIRE(peak_kib >= 0);
    return static_cast<Status>(code);
}

}  // namespace

TEST_CASE("TIFF: duplicate ImageWidth/ImageLength tags cannot bypass the limits") {
    // libtiff decodes with the *first* of duplicated tags. A file declaring
    // 11000x11000 (121 MP, above max_pixels) and then 8x8 must be refused,
    // not decoded at 121 MP because a header probe believed the later tags.
    const Bytes data = packbits_zeros(std::size_t{11000} * 11000);
    const Bytes huge_first = grey_tiff_dup(11000, 11000, 8, 8, data);
    long peak = 0;
    const Status st = decode_peak(huge_first, {}, peak);
    INFO("peak KiB " << peak);
    CHECK(st == Status::limit_pixels);
    CHECK(peak < 64 * 1024);
    const Error e = decode(huge_first);
    CHECK(e.message.find("11000x11000") != std::string::npos);
    // The other order: the small size first is what libtiff decodes (or the
    // probe refuses the huge one); either way nothing big is allocated.
    const Bytes small_first = grey_tiff_dup(8, 8, 11000, 11000, data);
    const Status st2 = decode_peak(small_first, {}, peak);
    INFO("peak KiB " << peak << ", status " << status_name(st2));
    CHECK((st2 == Status::ok || st2 == Status::limit_pixels));
    CHECK(peak < 64 * 1024);
}

TEST_CASE("TIFF: a 1x1 image with a 16384x16368 tile is refused before allocating") {
    const Bytes data = packbits_zeros(std::size_t{16384} * 16368 * 3);
    const Bytes b = tiff_by_hand({{256, kLong, 1}, {257, kLong, 1}, {258, kShort, 8}, {259, kShort, 32773},
                                  {262, kShort, 2}, {277, kShort, 3}, {322, kLong, 16384}, {323, kLong, 16368},
                                  {324, kLong, 8}, {325, kLong, static_cast<std::uint32_t>(data.size())}},
                                 data);
    long peak = 0;
    const Status st = decode_peak(b, {}, peak);
    INFO("peak KiB " << peak << ", status " << status_name(st));
    CHECK(st == Status::limit_pixels);
    CHECK(peak < 64 * 1024);
    const Error e = decode(b);
    CHECK(e.message.find("tile") != std::string::npos);
    CHECK(e.message.find("16384x16368") != std::string::npos);
    // A tile within max_pixels still counts against the memory budget.
    const Bytes small = tiff_by_hand({{256, kLong, 1}, {257, kLong, 1}, {258, kShort, 8}, {259, kShort, 32773},
                                      {262, kShort, 2}, {277, kShort, 3}, {322, kLong, 4096}, {323, kLong, 4096},
                                      {324, kLong, 8}, {325, kLong, 2}},
                                     Bytes{0x81, 0});
    DecodeOptions opt;
    opt.max_memory_bytes = 64u << 20;
    const Error em = decode(small, opt);
    CHECK(em.code == Status::limit_memory);
    CHECK(em.message.find("max_memory_bytes") != std::string::npos);
}

TEST_CASE("JPEG: the decode budget is enforced inside a progressive decode") {
    // A flat 8000x6000 progressive JPEG whose final AC refinement scan is
    // repeated 480 times: ~220 KB, ~490 scans, each a pass over 750000 blocks
    // (~20 s to decode in full). A 200 ms budget must stop it mid-way.
    const Bytes b = hgtest::repeat_last_scan(hgtest::make_progressive_jpeg(8000, 6000, 1, 0, 0), 480);
    DecodeOptions opt;
    opt.max_decode_ms = 200;
    opt.strict = false;  // strict decoding already stops at the first repeated scan
    const auto t0 = std::chrono::steady_clock::now();
    const Error e = decode(b, opt);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    INFO(e.message << " after " << secs << " s");
    CHECK(e.code == Status::limit_time);
    CHECK(secs < 3.0);
}

TEST_CASE("JPEG: a progressive CMYK image's memory estimate covers its real peak") {
    const Bytes b = hgtest::make_progressive_jpeg(1600, 1200, 4, 0, 12);
    DecodeOptions tiny;
    tiny.max_memory_bytes = 1;
    const Error e = decode(b, tiny);
    REQUIRE(e.code == Status::limit_memory);
    const std::size_t at = e.message.find("needs about ");
    REQUIRE(at != std::string::npos);
    const long estimate_kib = std::stol(e.message.substr(at + 12)) / 1024;
    long peak = 0;
    CHECK(decode_peak(b, {}, peak) == Status::ok);
    INFO("estimate " << estimate_kib << " KiB, measured peak " << peak << " KiB");
#ifdef HG_TEST_ASAN
    peak = (peak - 4096) * 8 / 9;  // ASan: shadow memory (1/8 of what is touched) and redzones
#endif
    CHECK(estimate_kib >= peak);
}

TEST_CASE("PNG: a thousand zTXt chunks neither burn the budget nor escape it") {
    // 990 zTXt chunks, each inflating to ~8 MB, before a small image.
    Bytes text(8'000'000, 'a');
    uLongf zlen = compressBound(static_cast<uLong>(text.size()));
    Bytes z(zlen);
    REQUIRE(compress2(z.data(), &zlen, text.data(), static_cast<uLong>(text.size()), 9) == Z_OK);
    z.resize(zlen);
    Bytes body = {'C', 'o', 'm', 'm', 'e', 'n', 't', 0, 0};
    body.insert(body.end(), z.begin(), z.end());
    Bytes chunk(8 + body.size() + 4);
    put_be32(chunk, 0, static_cast<std::uint32_t>(body.size()));
    std::memcpy(&chunk[4], "zTXt", 4);
    std::memcpy(&chunk[8], body.data(), body.size());
    put_be32(chunk, 8 + body.size(), static_cast<std::uint32_t>(crc32(0, &chunk[4], static_cast<uInt>(4 + body.size()))));
    const Bytes plain = make_png_grey(64, 64);
    Bytes bomb(plain.begin(), plain.begin() + 33);  // signature + IHDR
    for (int i = 0; i < 990; ++i) bomb.insert(bomb.end(), chunk.begin(), chunk.end());
    bomb.insert(bomb.end(), plain.begin() + 33, plain.end());
    auto timed = [&](const DecodeOptions& opt, double& secs) {
        const auto t0 = std::chrono::steady_clock::now();
        const Error e = decode(bomb, opt);
        secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return e;
    };
    double secs = 0;
    const Error e = timed({}, secs);
    INFO(e.message << " after " << secs << " s");
    CHECK(e.ok());
    CHECK(secs < 3.0);
    DecodeOptions tiny;
    tiny.max_decode_ms = 1;
    const Error et = timed(tiny, secs);
    CHECK(et.code == Status::limit_time);
    CHECK(secs < 3.0);
}
