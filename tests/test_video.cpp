// vPDQ (include/hashguard/video.hpp): the reference's per-frame hashes on
// ../shared/vpdq-reference, sampling, and every limit's own status.
#include <catch2/catch.hpp>
#include <webp/encode.h>
#include <webp/mux.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "hashguard/hashguard.h"
#include "hashguard/video.hpp"
#include "support/test_support.hpp"
#include "kernels/kernels.hpp"
#include "kernels/reference.hpp"
#include "video/yuv_rgb.hpp"

using namespace hashguard;

namespace {

// Under ASan/UBSan (the fuzz build's ctest) hashing every frame of all 15
// videos takes minutes; there the bit-exactness case checks three of them
// (the audio-first flush, the padded 1080x1080, a 720p one) and the damaged-
// copies case half its variants. The Release run checks everything.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

std::string vpdq_dir() {
    const std::string s = hgtest::shared_dir();
    if (s.empty() || !std::filesystem::exists(s + "/vpdq-reference/videos")) return {};
    return s + "/vpdq-reference";
}

std::vector<std::string> lines_of(const VpdqVideo& v) {
    std::vector<std::string> out;
    for (const auto& f : v.frames) out.push_back(vpdq_line(f));
    return out;
}

}  // namespace

TEST_CASE("vPDQ equals the reference's C-path hashes on every sample video", "[skippable]") {
    const std::string dir = vpdq_dir();
    if (dir.empty()) HG_SKIP("../shared/vpdq-reference is absent: no sample videos to compare with");
    int videos = 0, identical_upstream = 0, worst_simd = 0;
    int skipped = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir + "/videos")) {
        const std::string stem = entry.path().stem().string();
        INFO(stem);
        if (kSanitized && stem != "chair-19-audiofirst" && stem != "test-padded-dimensions" && stem != "doorknob-hd-no-bar") {
            ++skipped;
            continue;
        }
        const auto bytes = hgtest::read_bytes(entry.path().string());
        VpdqVideo v;
        const Error e = vpdq_hash_bytes(bytes.data(), bytes.size(), v);
        REQUIRE(e.message == "");
        CHECK(v.container == "mov,mp4,m4a,3gp,3g2,mj2");
        CHECK(v.codec == "h264");
        CHECK(v.fps == 30.0);
        CHECK(v.decoded_frames == v.frames.size());
        const auto got = lines_of(v);
        const auto want = hgtest::read_lines(dir + "/expected/c-path/" + stem + ".txt");
        if (stem == "chair-19-audiofirst") {
            // The reference flushes the decoder only when video is stream 0 and
            // loses the 2 delayed frames here; every decoded frame is hashed.
            REQUIRE(want.size() == 562);
            REQUIRE(got.size() == 564);
            CHECK(std::equal(want.begin(), want.end(), got.begin()));
        } else {
            CHECK(got == want);
        }
        const std::string up = dir + "/expected/upstream/" + stem + ".txt";
        if (std::filesystem::exists(up) && hgtest::read_lines(up) == got) ++identical_upstream;
        // How far libswscale's x86 SIMD converter (what the reference gives on x86 by default) is.
        const auto simd = hgtest::read_lines(dir + "/expected/x86-simd/" + stem + ".txt");
        for (std::size_t i = 0; i < std::min(simd.size(), v.frames.size()); ++i) {
            Hash256 h;
            REQUIRE(Hash256::from_hex(hgtest::split(simd[i], ',')[2], h));
            worst_simd = std::max(worst_simd, hamming_distance(h, v.frames[i].hash));
        }
        ++videos;
    }
    CHECK(videos + skipped == 15);
    CHECK(videos == (kSanitized ? 3 : 15));
    CHECK(identical_upstream == (kSanitized ? 1 : 13));
    if (kSanitized) std::printf("vpdq: sanitizer build, 3 of the 15 videos compared\n");
    std::printf("vpdq: %d videos equal to the C path, %d to upstream; x86-simd differs by up to %d bits\n", videos,
                identical_upstream, worst_simd);
}

TEST_CASE("vPDQ samples one frame per secondsPerHash as the reference does", "[skippable]") {
    const std::string dir = vpdq_dir();
    if (dir.empty()) HG_SKIP("../shared/vpdq-reference is absent: no sample videos to compare with");
    const auto bytes = hgtest::read_bytes(dir + "/videos/chair-19-sd-bar.mp4");
    const auto all = hgtest::read_lines(dir + "/expected/c-path/chair-19-sd-bar.txt");
    for (double s : {1.0, 0.5, 0.01}) {
        INFO(s);
        VideoOptions opt;
        opt.seconds_per_hash = s;
        VpdqVideo v;
        REQUIRE(vpdq_hash_bytes(bytes.data(), bytes.size(), v, opt).message == "");
        const std::size_t every = std::max(1, static_cast<int>(s * 30.0));
        std::vector<std::string> want;
        for (std::size_t i = 0; i < all.size(); i += every) want.push_back(all[i]);
        CHECK(lines_of(v) == want);
        CHECK(v.decoded_frames == all.size());
    }
}

TEST_CASE("Every video limit stops the decode with its own status and no partial result", "[skippable]") {
    const std::string dir = vpdq_dir();
    if (dir.empty()) HG_SKIP("../shared/vpdq-reference is absent: no sample videos to compare with");
    const auto bytes = hgtest::read_bytes(dir + "/videos/doorknob-hd-no-bar.mp4");  // 1280x720, 120 frames, 4 s
    struct Case {
        const char* what;
        VideoOptions opt;
        Status want;
    };
    std::vector<Case> cases;
    VideoOptions o;
    o.max_input_bytes = bytes.size() - 1;
    cases.push_back({"max_input_bytes", o, Status::limit_bytes});
    o = {};
    o.max_dimension = 1279;
    cases.push_back({"max_dimension", o, Status::limit_dimension});
    o = {};
    o.max_pixels = 1280 * 720 - 1;
    cases.push_back({"max_pixels", o, Status::limit_pixels});
    o = {};
    o.max_frames = 100;
    cases.push_back({"max_frames", o, Status::limit_frames});
    o = {};
    o.max_duration_s = 3.5;
    cases.push_back({"max_duration_s", o, Status::limit_duration});
    for (const Case& c : cases) {
        INFO(c.what);
        VpdqVideo v;
        const Error e = vpdq_hash_bytes(bytes.data(), bytes.size(), v, c.opt);
        CHECK(e.code == c.want);
        CHECK(!e.message.empty());
        CHECK(v.frames.empty());
    }
    // At the limits exactly, the video passes.
    VideoOptions at;
    at.max_input_bytes = bytes.size();
    at.max_dimension = 1280;
    at.max_pixels = 1280 * 720;
    at.max_frames = 120;
    at.max_duration_s = 4.01;
    VpdqVideo v;
    CHECK(vpdq_hash_bytes(bytes.data(), bytes.size(), v, at).message == "");
    CHECK(v.frames.size() == 120);
}

TEST_CASE("Damaged videos fail closed: an error, never a partial or empty success", "[skippable]") {
    const std::string dir = vpdq_dir();
    if (dir.empty()) HG_SKIP("../shared/vpdq-reference is absent: no sample videos to compare with");
    const auto bytes = hgtest::read_bytes(dir + "/videos/pattern-sd-grey-bar.mp4");
    hgtest::Rng rng(14);
    int errors = 0, hashed = 0;
    for (int i = 0; i < 16; ++i) {
        if (kSanitized && i % 2) continue;
        std::vector<std::uint8_t> b = bytes;
        if (i < 8) {
            b.resize(b.size() * static_cast<std::size_t>(i + 1) / 9);  // truncated
        } else {
            for (int k = 0; k < 1 + i; ++k) b[rng.below(static_cast<std::uint32_t>(b.size()))] ^= static_cast<std::uint8_t>(1 + rng.below(255));
        }
        VpdqVideo v;
        const Error e = vpdq_hash_bytes(b.data(), b.size(), v);
        if (e) {
            ++errors;
            CHECK(v.frames.empty());
            CHECK(!e.message.empty());
        } else {
            ++hashed;  // a flip in padding or audio may leave the video decodable
            CHECK(!v.frames.empty());
        }
    }
    CHECK(errors >= (kSanitized ? 4 : 8));
    std::printf("damaged videos: %d refused, %d still decodable\n", errors, hashed);
}

TEST_CASE("The YUV->RGB tables cover every index the conversion forms; the SIMD paths equal them") {
    using hashguard::detail::YuvPath;
    CHECK(hashguard::detail::YuvToRgb(false).in_range());
    CHECK(hashguard::detail::YuvToRgb(true).in_range());
    const unsigned f = hashguard::kernels::cpu_features();
    std::vector<std::pair<YuvPath, const char*>> paths;
    if (f & hashguard::kernels::kFeatureAVX2) paths.push_back({YuvPath::avx2, "avx2"});
    if (f & hashguard::kernels::kFeatureAVX512) paths.push_back({YuvPath::avx512, "avx512"});
    paths.push_back({YuvPath::best, "best"});
    hgtest::Rng rng(420);
    int cases = 0;
    for (bool full : {false, true})
        for (bool c422 : {false, true})
            for (int w : {1, 2, 3, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 100, 127, 128, 129, 257})
                for (int h : {1, 2, 3, 8}) {
                    const hashguard::detail::YuvToRgb conv(full);
                    const int cw = (w + 1) / 2, ch = c422 ? h : (h + 1) / 2;
                    const int st[3] = {w + 5, cw + 3, cw + 7};  // padded rows
                    std::vector<std::uint8_t> py(static_cast<std::size_t>(st[0]) * h), pu(static_cast<std::size_t>(st[1]) * ch),
                        pv(static_cast<std::size_t>(st[2]) * ch);
                    for (auto* p : {&py, &pu, &pv})
                        for (auto& b : *p) b = static_cast<std::uint8_t>(rng.next());
                    const std::uint8_t* planes[3] = {py.data(), pu.data(), pv.data()};
                    std::vector<std::uint8_t> a(static_cast<std::size_t>(w) * h * 3);
                    REQUIRE(conv.convert_with(YuvPath::scalar, planes, st, w, h, c422, a.data()));
                    std::vector<float> la(static_cast<std::size_t>(w) * h);  // the luma vPDQ hashes, from a's bytes
                    for (std::size_t i = 0; i < la.size(); ++i)
                        la[i] = hashguard::kernels::luma_rgb(a[3 * i], a[3 * i + 1], a[3 * i + 2]);
                    for (const auto& [path, name] : paths) {
                        std::vector<std::uint8_t> b(a.size(), 0xEE);
                        std::vector<float> lb(la.size(), -1.0f);
                        INFO(w << "x" << h << (full ? " full" : " video") << (c422 ? " 4:2:2 " : " 4:2:0 ") << name);
                        REQUIRE(conv.convert_with(path, planes, st, w, h, c422, b.data()));
                        REQUIRE(a == b);
                        REQUIRE(conv.luma_with(path, planes, st, w, h, c422, lb.data()));
                        REQUIRE(std::memcmp(la.data(), lb.data(), la.size() * sizeof(float)) == 0);
                    }
                    ++cases;
                }
    CHECK(cases == 288);
    std::printf("YUV->RGB: %zu paths equal the tables on %d shapes\n", paths.size(), cases);
}

// Every (Y, U, V) triple once, both ranges: a 512 x 32768 4:2:0 frame whose
// chroma sample (column c, chroma row r) is U = c and V = r / 64, and whose
// luma over that sample's 2 x 2 block is 4 (r % 64) + 0..3, so the 64 chroma
// rows of one V run Y through 0..255 for every U.
TEST_CASE("The SIMD YUV->RGB paths equal the tables on every (Y, U, V) triple", "[skippable]") {
    using hashguard::detail::YuvPath;
    const unsigned f = hashguard::kernels::cpu_features();
    if (!(f & hashguard::kernels::kFeatureAVX2)) HG_SKIP("no SIMD YUV->RGB path on this CPU (x86-64 without AVX2, or AArch64)");
    // Sanitizer builds take every 8th V value (32 of 256): the same code, an eighth of the time.
    const int vs = kSanitized ? 32 : 256, vstep = 256 / vs;
    const int w = 512, h = vs * 128, cw = 256, ch = h / 2;
    std::vector<std::uint8_t> py(static_cast<std::size_t>(w) * h), pu(static_cast<std::size_t>(cw) * ch), pv(pu.size());
    for (int r = 0; r < ch; ++r)
        for (int c = 0; c < cw; ++c) {
            pu[static_cast<std::size_t>(r) * cw + c] = static_cast<std::uint8_t>(c);
            pv[static_cast<std::size_t>(r) * cw + c] = static_cast<std::uint8_t>(r / 64 * vstep);
            for (int k = 0; k < 4; ++k)  // the block's four luma samples: Y = 4 (r % 64) + k
                py[static_cast<std::size_t>(2 * r + k / 2) * w + 2 * c + k % 2] = static_cast<std::uint8_t>(4 * (r % 64) + k);
        }
    const std::uint8_t* planes[3] = {py.data(), pu.data(), pv.data()};
    const int st[3] = {w, cw, cw};
    for (bool full : {false, true}) {
        const hashguard::detail::YuvToRgb conv(full);
        std::vector<std::uint8_t> a(static_cast<std::size_t>(w) * h * 3), b(a.size());
        std::vector<float> luma(static_cast<std::size_t>(w) * h);
        REQUIRE(conv.convert_with(YuvPath::scalar, planes, st, w, h, false, a.data()));
        for (YuvPath path : {YuvPath::avx2, YuvPath::avx512}) {
            if (path == YuvPath::avx512 && !(f & hashguard::kernels::kFeatureAVX512)) continue;
            std::fill(b.begin(), b.end(), 0xEE);
            REQUIRE(conv.convert_with(path, planes, st, w, h, false, b.data()));
            std::size_t bad = 0, bad_luma = 0;
            for (std::size_t i = 0; i < a.size(); ++i) bad += a[i] != b[i];
            REQUIRE(conv.luma_with(path, planes, st, w, h, false, luma.data()));
            for (std::size_t i = 0; i < luma.size(); ++i)
                bad_luma += luma[i] != hashguard::kernels::luma_rgb(a[3 * i], a[3 * i + 1], a[3 * i + 2]);
            INFO((full ? "full range " : "video range ") << (path == YuvPath::avx2 ? "avx2" : "avx512"));
            CHECK(bad == 0);
            CHECK(bad_luma == 0);
        }
    }
}

TEST_CASE("An animated GIF hashes as a video on request, as the reference reads it (libavcodec's GIF decoder)") {
    const auto gif = hgtest::read_bytes(hgtest::data_dir() + "/../tests/fuzz/seeds/video/testsrc-anim.gif");
    VpdqVideo v;
    REQUIRE(vpdq_hash_bytes(gif.data(), gif.size(), v).message == "");
    CHECK(v.container == "gif");
    CHECK(v.codec == "gif");
    CHECK(v.frames.size() == 10);
    CHECK(v.fps == 10.0);
    CHECK_FALSE(sniff_video(gif.data(), gif.size()));  // the scanner still treats a GIF as an image
    // libavcodec's GIF frames are the pixels our own GIF decoder composites (giflib): the
    // frames' PDQ hashes equal the image path's, frame for frame.
    std::vector<PdqDihedral> img;
    PdqOptions po;
    po.pre_resize = false;
    REQUIRE(pdq_hash_frames(gif.data(), gif.size(), img, DecodeOptions{}, po).message == "");
    REQUIRE(img.size() == v.frames.size());
    for (std::size_t i = 0; i < img.size(); ++i) CHECK(img[i].hashes[0] == v.frames[i].hash);
}

TEST_CASE("Non-video bytes are unsupported_format, naming what was found") {
    VpdqVideo v;
    const std::vector<std::uint8_t> junk(4096, 0x5a);
    Error e = vpdq_hash_bytes(junk.data(), junk.size(), v);
    CHECK(e.code == Status::unsupported_format);
    const auto png = hgtest::read_bytes(hgtest::data_dir() + "/photos/graf1.png");
    e = vpdq_hash_bytes(png.data(), png.size(), v);
    CHECK(e.code == Status::unsupported_format);
    CHECK(e.message.find("not supported") != std::string::npos);
    CHECK(v.frames.empty());
    e = vpdq_hash_bytes(nullptr, 0, v);
    CHECK(e.code == Status::unsupported_format);
}

TEST_CASE("vPDQ lists: HMA's JSON arrays one video per line, with ids, prefixes and file:line errors") {
    const std::string h1(64, 'a'), h2(64, 'b'), h3 = std::string(63, 'c') + "d";
    const std::string text = "# a comment\n"
                             "vpdq [\"" + h1 + ",100,0.000\", \"" + h2 + ",80,1.0\"]\n"
                             "\n"
                             "video-7\t[\"" + h3 + ",49,18.7\"] extra words {\"tags\":[\"x]\"]}\n"
                             "[\"" + h1 + ",100,0.0\", \"" + h2 + ",100,1.23e+03\"]\n";  // Python's 3 significant digits
    VpdqList l;
    REQUIRE(parse_vpdq_list(text, "x.txt", l).message == "");
    REQUIRE(l.videos.size() == 3);
    CHECK(l.videos[0].id == "2");
    REQUIRE(l.videos[0].frames.size() == 2);
    CHECK(l.videos[0].frames[1].hash.to_hex() == h2);
    CHECK(l.videos[0].frames[1].quality == 80);
    CHECK(l.videos[0].frames[1].timestamp == 1.0f);
    CHECK(l.videos[1].id == "video-7");
    CHECK(l.videos[1].metadata == "extra words {\"tags\":[\"x]\"]}");  // brackets after the array are metadata
    CHECK(l.videos[1].frames[0].timestamp == 18.7f);
    CHECK(l.videos[2].id == "5");
    REQUIRE(l.videos[2].frames.size() == 2);
    CHECK(l.videos[2].frames[1].timestamp == 1230.0f);
    struct Bad {
        std::string text, where;
    };
    for (const Bad& b : {Bad{"[\"" + h1 + ",100\"]\n", "x.txt:1: frame 0: "},
                         Bad{"\n[\"" + h1 + ",101,0.0\"]\n", "x.txt:2: frame 0: bad quality"},
                         Bad{"[\"zz,100,0.0\"]\n", "x.txt:1: frame 0: bad hash"},
                         Bad{"[1, 2]\n", "x.txt:1: frame 0 is a number"},
                         Bad{"[]\n", "x.txt:1: a video with no frames"},
                         Bad{"[\"" + h1 + ",100,0.0\"\n", "x.txt:1: unterminated"},
                         Bad{"# nothing\n", "x.txt: no videos"},
                         Bad{"[\"" + h1 + ",100,-1\"]\n", "x.txt:1: frame 0: bad timestamp"},
                         Bad{"[\"" + h1 + ",100,inf\"]\n", "x.txt:1: frame 0: bad timestamp"}}) {
        INFO(b.text);
        const Error e = parse_vpdq_list(b.text, "x.txt", l);
        CHECK(e.code == Status::list_format);
        CHECK(e.message.rfind(b.where, 0) == 0);
        CHECK(l.videos.empty());
    }
}

TEST_CASE("vPDQ lists: the reference's per-frame output is one video; matching as HMA does") {
    // Made-up videos: A has 10 random frames (any two ~128 bits apart), B is A
    // with 40 bits of every frame flipped, C is A's first 3 frames.
    hgtest::Rng rng(22);
    auto frame = [&](int i, const Hash256* from, int flip) {
        VpdqFrame f;
        if (from) f.hash = *from;
        else
            for (auto& w : f.hash.w) w = static_cast<std::uint16_t>(rng.next());
        for (int k = 0; k < flip; ++k) f.hash.w[static_cast<std::size_t>(k % 16)] ^= static_cast<std::uint16_t>(1u << (k / 16));
        f.frame = static_cast<std::uint64_t>(i);
        f.quality = 100;
        f.timestamp = static_cast<float>(i) / 30.0f;
        return f;
    };
    std::string a_txt;
    std::vector<VpdqFrame> a, b, c;
    for (int i = 0; i < 10; ++i) {
        a.push_back(frame(i * 16, nullptr, 0));
        a_txt += vpdq_line(a.back()) + "\n";
        b.push_back(frame(i * 16, &a.back().hash, 40));
        if (i < 3) c.push_back(a.back());
    }
    VpdqList list;
    REQUIRE(parse_vpdq_list(a_txt, "lists/a.txt", list).message == "");
    REQUIRE(list.videos.size() == 1);
    CHECK(list.videos[0].id == "a");
    REQUIRE(list.videos[0].frames.size() == 10);
    CHECK(list.videos[0].frames[3].frame == 48);
    std::unique_ptr<VpdqIndex> idx;
    REQUIRE(VpdqIndex::build(list, {}, idx).message == "");
    CHECK(idx->frames() == 10);
    std::vector<VpdqMatch> m;
    REQUIRE(idx->match(a, m).message == "");
    REQUIRE(m.size() == 1);
    CHECK(m[0].query_pct == 100.0);
    CHECK(m[0].compared_pct == 100.0);
    CHECK(m[0].timestamps.size() == 10);
    REQUIRE(idx->match(b, m).message == "");  // every frame 40 bits away: no frame within 31
    CHECK(m.empty());
    REQUIRE(idx->match(c, m).message == "");  // a clip of the listed video: query% 100, compared% 30
    REQUIRE(m.size() == 1);
    CHECK(m[0].compared_pct == 30.0);
    VpdqMatchOptions strict;
    strict.compared_pct = 50;
    REQUIRE(VpdqIndex::build(list, strict, idx).message == "");
    REQUIRE(idx->match(c, m).message == "");
    CHECK(m.empty());
    // Query frames below the quality floor are ignored; none left: not usable.
    std::vector<VpdqFrame> low = a;
    for (auto& f : low) f.quality = 49;
    bool usable = true;
    REQUIRE(idx->match(low, m, &usable).message == "");
    CHECK_FALSE(usable);
    CHECK(m.empty());
    // Duplicated query hashes count once: 10 copies of one listed frame + 1 unlisted = 50%.
    std::vector<VpdqFrame> dup(10, a[0]);
    dup.push_back(b[5]);
    REQUIRE(VpdqIndex::build(list, {}, idx).message == "");
    REQUIRE(idx->match(dup, m).message == "");
    CHECK(m.empty());  // 50% < 80%
    VpdqMatchOptions half;
    half.query_pct = 50;
    REQUIRE(VpdqIndex::build(list, half, idx).message == "");
    REQUIRE(idx->match(dup, m).message == "");
    REQUIRE(m.size() == 1);
    CHECK(m[0].query_pct == 50.0);
    CHECK(m[0].compared_pct == 10.0);
    VpdqMatchOptions bad;
    bad.query_pct = 101;
    CHECK(VpdqIndex::build(list, bad, idx).code == Status::invalid_argument);
}

TEST_CASE("vPDQ matching on the sample videos: each matches itself, a logo variant its original", "[skippable]") {
    const std::string dir = vpdq_dir();
    if (dir.empty()) HG_SKIP("../shared/vpdq-reference is absent: no sample videos to compare with");
    const char* listed[] = {"chair-orig-22-sd-bar", "doorknob-hd-no-bar", "pattern-sd-grey-bar"};
    std::string text;
    VpdqList list;
    for (const char* stem : listed) {
        VpdqList one;
        const auto bytes = hgtest::read_bytes(dir + "/expected/c-path/" + stem + ".txt");
        REQUIRE(parse_vpdq_list(std::string(bytes.begin(), bytes.end()), stem, one).message == "");
        list.videos.push_back(one.videos.at(0));
    }
    std::unique_ptr<VpdqIndex> idx;
    REQUIRE(VpdqIndex::build(list, {}, idx).message == "");
    for (const char* query : {"chair-orig-22-sd-bar", "chair-22-with-small-logo-bar", "chair-22-sd-sepia-bar",
                              "doorknob-hd-no-bar", "pattern-sd-grey-bar", "pattern-sd-with-small-logo-bar",
                              "pattern-hd-no-bar", "chair-19-sd-bar"}) {
        INFO(query);
        const auto bytes = hgtest::read_bytes(dir + "/videos/" + query + ".mp4");
        VideoOptions o;
        o.seconds_per_hash = 1;  // HMA's usual sampling
        VpdqVideo v;
        REQUIRE(vpdq_hash_bytes(bytes.data(), bytes.size(), v, o).message == "");
        std::vector<VpdqMatch> m;
        REQUIRE(idx->match(v.frames, m).message == "");
        std::string got;
        for (const auto& x : m) got += list.videos[x.video].id + " " + std::to_string(static_cast<int>(x.query_pct)) + "/" +
                                       std::to_string(static_cast<int>(x.compared_pct)) + "; ";
        std::printf("vpdq match %s -> %s\n", query, got.c_str());
        const std::string q = query;
        if (q == "chair-orig-22-sd-bar" || q == "doorknob-hd-no-bar" || q == "pattern-sd-grey-bar") {
            REQUIRE(!m.empty());
            CHECK(list.videos[m[0].video].id == q);
            CHECK(m[0].query_pct == 100.0);
        }
        // Edited copies (a logo, a sepia tint) still match their original; the
        // door video matches nothing else.
        const char* original = q.rfind("chair-22", 0) == 0 ? "chair-orig-22-sd-bar"
                               : q == "pattern-sd-with-small-logo-bar" ? "pattern-sd-grey-bar" : nullptr;
        if (original) {
            REQUIRE(!m.empty());
            CHECK(list.videos[m[0].video].id == original);
        }
        if (q == "doorknob-hd-no-bar") CHECK(m.size() == 1);
    }
}

TEST_CASE("The scanner matches videos against vPDQ lists through the C API", "[skippable]") {
    const std::string dir = vpdq_dir();
    if (dir.empty()) HG_SKIP("../shared/vpdq-reference is absent: no sample videos to compare with");
    // A vPDQ block list in HMA's form (one video per line) made from the
    // reference's hashes of two videos, an MD5 list, and a PDQ list (images only).
    std::string listed;
    for (const char* stem : {"chair-orig-22-sd-bar", "pattern-sd-grey-bar"}) {
        listed += std::string(stem) + "\t[";
        bool first = true;
        for (const auto& line : hgtest::read_lines(dir + "/expected/c-path/" + stem + ".txt")) {
            const auto f = hgtest::split(line, ',');
            listed += (first ? "\"" : ",\"") + f[2] + "," + f[1] + "," + f[3] + "\"";
            first = false;
        }
        listed += "] source=test\n";
    }
    hg_lists* lists = hg_lists_create();
    REQUIRE(lists);
    REQUIRE(hg_lists_add_text(lists, "videos", listed.data(), listed.size(), HG_KIND_VPDQ, "videos.txt") == HG_OK);
    long long n = 0;
    REQUIRE(hg_lists_get_int(lists, "videos", HG_LIST_ENTRIES, &n) == HG_OK);
    CHECK(n == 2);
    CHECK(hg_lists_set_int(lists, "videos", HG_LIST_QUERY_PCT, 101) == HG_ERR_INVALID_ARGUMENT);
    REQUIRE(hg_lists_set_int(lists, "videos", HG_LIST_QUERY_PCT, 80) == HG_OK);
    const std::string bad = "[\"nothex,100,0.0\"]\n";
    CHECK(hg_lists_add_text(lists, "bad", bad.data(), bad.size(), HG_KIND_VPDQ, "bad.txt") == HG_ERR_LIST_FORMAT);
    CHECK(std::string(hg_last_error()).find("bad.txt:1:") != std::string::npos);
    hg_scanner* s = hg_scanner_create();
    REQUIRE(s);
    REQUIRE(hg_scanner_set_lists(s, lists) == HG_OK);
    REQUIRE(hg_scanner_set_int(s, HG_OPT_VIDEO_MS_PER_HASH, 1000) == HG_OK);
    long long ms = 0;
    REQUIRE(hg_scanner_get_int(s, HG_OPT_VIDEO_MS_PER_HASH, &ms) == HG_OK);
    CHECK(ms == 1000);
    struct Want {
        const char* video;
        hg_verdict verdict;
        const char* id;
    };
    for (const Want& w : {Want{"chair-22-with-small-logo-bar", HG_VERDICT_MATCH, "chair-orig-22-sd-bar"},
                          Want{"pattern-sd-with-small-logo-bar", HG_VERDICT_MATCH, "pattern-sd-grey-bar"},
                          Want{"doorknob-hd-no-bar", HG_VERDICT_NO_MATCH, nullptr}}) {
        INFO(w.video);
        const auto bytes = hgtest::read_bytes(dir + "/videos/" + w.video + ".mp4");
        hg_result* r = nullptr;
        REQUIRE(hg_scan(s, bytes.data(), bytes.size(), &r) == HG_OK);
        CHECK(hg_result_verdict(r) == w.verdict);
        CHECK(hg_result_int(r, HG_RESULT_VIDEO) == 1);
        CHECK(hg_result_int(r, HG_RESULT_VIDEO_FRAMES) > 100);
        CHECK(hg_result_int(r, HG_RESULT_VIDEO_HASHES) < hg_result_int(r, HG_RESULT_VIDEO_FRAMES));  // 1 per second
        CHECK(std::string(hg_result_str(r, HG_RESULT_VIDEO_CODEC)) == "h264");
        if (w.id) {
            REQUIRE(hg_result_match_count(r) >= 1);
            CHECK(std::string(hg_match_str(r, 0, HG_MATCH_ID)) == w.id);
            CHECK(std::string(hg_match_str(r, 0, HG_MATCH_METADATA)) == "source=test");
            CHECK(hg_match_int(r, 0, HG_MATCH_KIND) == HG_KIND_VPDQ);
            CHECK(hg_match_int(r, 0, HG_MATCH_QUERY_PCT) >= 80);
            CHECK(hg_match_int(r, 0, HG_MATCH_COMPARED_PCT) > 0);
            const char* ts = hg_match_str(r, 0, HG_MATCH_TIMESTAMPS);
            REQUIRE(ts);
            CHECK(std::string(ts).rfind("0.000,1.000,", 0) == 0);
            const std::string json = hg_result_str(r, HG_RESULT_JSON);
            CHECK(json.find("\"kind\":\"vpdq\"") != std::string::npos);
            CHECK(json.find("\"query_pct\":") != std::string::npos);
        }
        hg_result_free(r);
    }
    // A damaged video is an error verdict, never a no-match.
    auto bytes = hgtest::read_bytes(dir + "/videos/doorknob-hd-no-bar.mp4");
    bytes.resize(bytes.size() / 3);
    hg_result* r = nullptr;
    REQUIRE(hg_scan(s, bytes.data(), bytes.size(), &r) == HG_OK);
    CHECK(hg_result_verdict(r) == HG_VERDICT_ERROR);
    CHECK(hg_result_status(r) != HG_OK);
    hg_result_free(r);
    // Video limits by key: a frame limit makes the same video an error.
    REQUIRE(hg_scanner_set_int(s, HG_OPT_VIDEO_MAX_FRAMES, 10) == HG_OK);
    bytes = hgtest::read_bytes(dir + "/videos/chair-22-with-small-logo-bar.mp4");
    REQUIRE(hg_scan(s, bytes.data(), bytes.size(), &r) == HG_OK);
    CHECK(hg_result_verdict(r) == HG_VERDICT_ERROR);
    CHECK(hg_result_status(r) == HG_ERR_LIMIT_FRAMES);
    hg_result_free(r);
    CHECK(hg_scan_hash(s, HG_KIND_VPDQ, bytes.data(), 32, 100, &r) == HG_ERR_INVALID_ARGUMENT);
    hg_scanner_free(s);
    hg_lists_free(lists);
}

TEST_CASE("Without a vPDQ list a video is not decoded: unsupported, its digests still matched") {
    const auto bytes = hgtest::read_bytes(hgtest::data_dir() + "/../tests/fuzz/seeds/video/h264-aac.mp4");
    hg_lists* lists = hg_lists_create();
    const std::string md5 = "00000000000000000000000000000000\n";
    REQUIRE(hg_lists_add_text(lists, "md5", md5.data(), md5.size(), HG_KIND_MD5, "md5.txt") == HG_OK);
    hg_scanner* s = hg_scanner_create();
    REQUIRE(hg_scanner_set_lists(s, lists) == HG_OK);
    hg_result* r = nullptr;
    REQUIRE(hg_scan(s, bytes.data(), bytes.size(), &r) == HG_OK);
    CHECK(hg_result_verdict(r) == HG_VERDICT_ERROR);
    CHECK(hg_result_status(r) == HG_ERR_UNSUPPORTED_FORMAT);
    CHECK(hg_result_int(r, HG_RESULT_VIDEO) == 0);
    CHECK(hg_result_str(r, HG_RESULT_MD5_HEX) != nullptr);
    hg_result_free(r);
    hg_scanner_free(s);
    hg_lists_free(lists);
}

TEST_CASE("hashguard vpdq and hashguard scan: a folder with videos against a vPDQ list built by the CLI") {
    namespace fs = std::filesystem;
    const fs::path tmp = fs::temp_directory_path() / ("hg-video-cli-" + std::to_string(::getpid()));
    fs::remove_all(tmp);
    fs::create_directories(tmp / "in");
    const std::string seeds = hgtest::data_dir() + "/../tests/fuzz/seeds/video/";
    for (const char* f : {"h264-aac.mp4", "h264-10bit.mp4", "vp9.webm", "mpeg4.avi", "hevc.mkv"})
        fs::copy_file(seeds + f, tmp / "in" / f);
    fs::copy_file(hgtest::data_dir() + "/photos/aero1.jpg", tmp / "in" / "aero1.jpg");
    const std::string cli = hgtest::cli_path();
    std::string out;
    REQUIRE(hgtest::run(cli + " vpdq " + seeds + "h264-aac.mp4 > " + (tmp / "h264.txt").string(), out) == 0);
    REQUIRE(hgtest::read_lines((tmp / "h264.txt").string()).size() == 10);  // 1 s at 10 fps, every frame
    {
        std::ofstream(tmp / "lists.json") << R"({"lists": [{"name": "v", "kind": "vpdq", "path": "h264.txt"}]})";
    }
    const int rc = hgtest::run(cli + " scan -q --format csv --lists " + (tmp / "lists.json").string() + " " +
                                   (tmp / "in").string() + " | sort",
                               out);
    CHECK(rc == 0);
    INFO(out);
    auto line_of = [&](const std::string& name) {
        for (const auto& l : hgtest::split(out, '\n'))
            if (l.find("/in/" + name + ",") != std::string::npos) return l;
        return std::string();
    };
    CHECK(line_of("h264-aac.mp4").find(",match,") != std::string::npos);
    CHECK(line_of("h264-aac.mp4").find("v:h264:") != std::string::npos);  // list:id of the match
    CHECK(line_of("h264-10bit.mp4").find(",error,") != std::string::npos);
    CHECK(line_of("h264-10bit.mp4").find("unsupported_format") != std::string::npos);
    for (const char* f : {"vp9.webm", "mpeg4.avi", "aero1.jpg"}) CHECK(line_of(f).find(",no_match,") != std::string::npos);
    // No vPDQ list: videos are not media to the batch scanner (skipped, as before).
    {
        std::ofstream(tmp / "md5.txt") << "00000000000000000000000000000000\n";
        std::ofstream(tmp / "lists2.json") << R"({"lists": [{"name": "m", "kind": "md5", "path": "md5.txt"}]})";
    }
    REQUIRE(hgtest::run(cli + " scan --format csv --lists " + (tmp / "lists2.json").string() + " " +
                            (tmp / "in").string() + " 2>&1",
                        out) == 0);
    CHECK(out.find("skipped 5 non-media") != std::string::npos);
    fs::remove_all(tmp);
}

TEST_CASE("A vPDQ allow list overrides a block match only when it covers the whole video") {
    // 1.6 s of a test pattern then 0.4 s of colour bars (20 frames at 10 fps).
    const auto bytes = hgtest::read_bytes(hgtest::data_dir() + "/../tests/fuzz/seeds/video/testsrc-then-bars.mp4");
    VpdqVideo v;
    REQUIRE(vpdq_hash_bytes(bytes.data(), bytes.size(), v).message == "");
    REQUIRE(v.frames.size() == 20);
    auto json_line = [&](std::size_t from, std::size_t to) {
        std::string s = "[";
        for (std::size_t i = from; i < to; ++i)
            s += (i > from ? ",\"" : "\"") + v.frames[i].hash.to_hex() + "," + std::to_string(v.frames[i].quality) +
                 "," + std::to_string(v.frames[i].timestamp) + "\"";
        return s + "]\n";
    };
    const std::string bars = json_line(16, 20);
    for (const bool whole : {false, true}) {
        INFO((whole ? "allow list: the whole video" : "allow list: the test pattern only"));
        const std::string allowed = json_line(0, whole ? 20 : 16);
        hg_lists* lists = hg_lists_create();
        REQUIRE(hg_lists_add_text(lists, "bars", bars.data(), bars.size(), HG_KIND_VPDQ, "bars") == HG_OK);
        REQUIRE(hg_lists_set_int(lists, "bars", HG_LIST_QUERY_PCT, 5) == HG_OK);  // any shot of the bars is a match
        REQUIRE(hg_lists_add_text(lists, "benign", allowed.data(), allowed.size(), HG_KIND_VPDQ, "benign") == HG_OK);
        REQUIRE(hg_lists_set_int(lists, "benign", HG_LIST_ROLE, HG_ROLE_ALLOW) == HG_OK);
        hg_scanner* s = hg_scanner_create();
        REQUIRE(hg_scanner_set_lists(s, lists) == HG_OK);
        hg_result* r = nullptr;
        REQUIRE(hg_scan(s, bytes.data(), bytes.size(), &r) == HG_OK);
        CHECK(hg_result_match_count(r) == 2);  // both lists matched
        CHECK(hg_result_verdict(r) == (whole ? HG_VERDICT_ALLOWED : HG_VERDICT_MATCH));
        for (std::size_t i = 0; i < hg_result_match_count(r); ++i)
            if (std::string(hg_match_str(r, i, HG_MATCH_LIST)) == "benign")
                CHECK((hg_match_int(r, i, HG_MATCH_QUERY_PCT) == 100) == whole);
        hg_result_free(r);
        hg_scanner_free(s);
        hg_lists_free(lists);
    }
}

TEST_CASE("Concurrent video scans on one scanner give the single-threaded answers") {
    const std::string dir = hgtest::data_dir() + "/../tests/fuzz/seeds/video/";
    const char* files[] = {"h264-aac.mp4", "vp9.webm", "hevc.mkv", "mpeg4.avi", "testsrc-then-bars.mp4", "h264-10bit.mp4"};
    std::vector<std::vector<std::uint8_t>> clips;
    for (const char* f : files) clips.push_back(hgtest::read_bytes(dir + f));
    VpdqVideo listed;
    REQUIRE(vpdq_hash_bytes(clips[0].data(), clips[0].size(), listed).message == "");
    std::string line = "[";
    for (std::size_t i = 0; i < listed.frames.size(); ++i)
        line += (i ? ",\"" : "\"") + listed.frames[i].hash.to_hex() + ",100,0\"";
    line += "]\n";
    hg_lists* lists = hg_lists_create();
    REQUIRE(hg_lists_add_text(lists, "v", line.data(), line.size(), HG_KIND_VPDQ, "v") == HG_OK);
    hg_scanner* s = hg_scanner_create();
    REQUIRE(hg_scanner_set_lists(s, lists) == HG_OK);
    REQUIRE(hg_scanner_set_int(s, HG_OPT_CACHE_ENTRIES, 0) == HG_OK);  // every scan decodes
    auto verdicts = [&](std::vector<int>& out) {
        for (const auto& c : clips) {
            hg_result* r = nullptr;
            out.push_back(hg_scan(s, c.data(), c.size(), &r) == HG_OK ? hg_result_verdict(r) * 100 + hg_result_status(r) : -1);
            hg_result_free(r);
        }
    };
    std::vector<int> want;
    verdicts(want);
    CHECK(want[0] == HG_VERDICT_MATCH * 100);
    CHECK(want.back() == HG_VERDICT_ERROR * 100 + HG_ERR_UNSUPPORTED_FORMAT);
    for (const int hash_threads : {1, 2}) {  // 2: each scan also runs a hashing thread of its own
        INFO("hash_threads " << hash_threads);
        REQUIRE(hg_scanner_set_int(s, HG_OPT_VIDEO_HASH_THREADS, hash_threads) == HG_OK);
        std::vector<std::vector<int>> got(4);
        std::vector<std::thread> threads;
        for (auto& g : got) threads.emplace_back([&, p = &g] { verdicts(*p); });
        for (auto& t : threads) t.join();
        for (const auto& g : got) CHECK(g == want);
    }
    hg_scanner_free(s);
    hg_lists_free(lists);
}

TEST_CASE("With HG_OPT_VIDEO_DIHEDRAL a rotated copy of a listed video matches, naming the rotation") {
    const std::string dir = hgtest::data_dir() + "/../tests/fuzz/seeds/video/";
    const auto original = hgtest::read_bytes(dir + "h264-aac.mp4");
    const auto rotated = hgtest::read_bytes(dir + "h264-rot90.mp4");  // the same clip turned 90 degrees and re-encoded
    VpdqVideo v;
    REQUIRE(vpdq_hash_bytes(original.data(), original.size(), v).message == "");
    std::string line = "clip\t[";
    for (std::size_t i = 0; i < v.frames.size(); ++i)
        line += (i ? ",\"" : "\"") + v.frames[i].hash.to_hex() + "," + std::to_string(v.frames[i].quality) + ",0\"";
    line += "]\n";
    hg_lists* lists = hg_lists_create();
    REQUIRE(hg_lists_add_text(lists, "v", line.data(), line.size(), HG_KIND_VPDQ, "v") == HG_OK);
    hg_scanner* s = hg_scanner_create();
    REQUIRE(hg_scanner_set_lists(s, lists) == HG_OK);
    hg_result* r = nullptr;
    REQUIRE(hg_scan(s, rotated.data(), rotated.size(), &r) == HG_OK);
    CHECK(hg_result_verdict(r) == HG_VERDICT_NO_MATCH);  // every frame ~140 bits from the original's
    hg_result_free(r);
    REQUIRE(hg_scanner_set_int(s, HG_OPT_VIDEO_DIHEDRAL, 1) == HG_OK);
    REQUIRE(hg_scan(s, rotated.data(), rotated.size(), &r) == HG_OK);
    CHECK(hg_result_verdict(r) == HG_VERDICT_MATCH);
    REQUIRE(hg_result_match_count(r) == 1);
    CHECK(std::string(hg_match_str(r, 0, HG_MATCH_ID)) == "clip");
    const std::string t = hg_match_str(r, 0, HG_MATCH_TRANSFORM_NAME);
    CHECK((t == "rot90" || t == "rot270"));
    CHECK(hg_match_int(r, 0, HG_MATCH_QUERY_PCT) >= 80);
    hg_result_free(r);
    REQUIRE(hg_scan(s, original.data(), original.size(), &r) == HG_OK);  // the original itself: untransformed
    CHECK(hg_result_verdict(r) == HG_VERDICT_MATCH);
    CHECK(std::string(hg_match_str(r, 0, HG_MATCH_TRANSFORM_NAME)) == "original");
    hg_result_free(r);
    VideoOptions o;
    o.dihedral = true;
    REQUIRE(vpdq_hash_bytes(original.data(), original.size(), v, o).message == "");
    REQUIRE(v.dihedral.size() == v.frames.size());
    CHECK(v.dihedral[3][0] == v.frames[3].hash);
    hg_scanner_free(s);
    hg_lists_free(lists);
}

TEST_CASE("Hashing on a second thread gives the same frames, and its failures and the decoder's stop both") {
    const std::string dir = hgtest::data_dir() + "/../tests/fuzz/seeds/video/";
    for (const char* f : {"h264-aac.mp4", "h264-422-odd.mkv", "vp9-65x49.webm", "hevc.mkv", "testsrc-then-bars.mp4",
                          "testsrc-anim.gif"}) {
        INFO(f);
        const auto bytes = hgtest::read_bytes(dir + f);
        for (double s : {0.0, 0.3}) {
            VideoOptions one, two;
            one.seconds_per_hash = two.seconds_per_hash = s;
            two.hash_threads = 2;
            two.dihedral = one.dihedral = s > 0;
            VpdqVideo a, b;
            REQUIRE(vpdq_hash_bytes(bytes.data(), bytes.size(), a, one).message == "");
            REQUIRE(vpdq_hash_bytes(bytes.data(), bytes.size(), b, two).message == "");
            std::vector<std::string> la, lb;
            for (const auto& x : a.frames) la.push_back(vpdq_line(x));
            for (const auto& x : b.frames) lb.push_back(vpdq_line(x));
            CHECK(la == lb);
            CHECK(a.dihedral == b.dihedral);
            CHECK(a.decoded_frames == b.decoded_frames);
            CHECK(b.width == a.width);
        }
    }
    // The decoder fails (truncated): an error, no frames, the worker joined.
    auto bytes = hgtest::read_bytes(dir + "testsrc-then-bars.mp4");
    bytes.resize(bytes.size() * 2 / 3);
    VideoOptions two;
    two.hash_threads = 2;
    VpdqVideo v;
    const Error e = vpdq_hash_bytes(bytes.data(), bytes.size(), v, two);
    CHECK(e.code != Status::ok);
    CHECK(v.frames.empty());
    // A limit hit while frames are queued: its status, no frames.
    bytes = hgtest::read_bytes(dir + "testsrc-then-bars.mp4");
    two.max_frames = 12;
    CHECK(vpdq_hash_bytes(bytes.data(), bytes.size(), v, two).code == Status::limit_frames);
    CHECK(v.frames.empty());
}

TEST_CASE("decode_only decodes and checks every frame but hashes none") {
    const auto clip = hgtest::read_bytes(hgtest::data_dir() + "/../tests/fuzz/seeds/video/h264-aac.mp4");  // 96x64, 10 frames
    REQUIRE(!clip.empty());
    hashguard::VideoOptions o;
    hashguard::VpdqVideo all, none;
    REQUIRE(!hashguard::vpdq_hash_bytes(clip.data(), clip.size(), all, o));
    CHECK(all.frames.size() == 10);
    o.decode_only = true;
    for (int threads : {1, 2}) {
        o.hash_threads = threads;
        REQUIRE(!hashguard::vpdq_hash_bytes(clip.data(), clip.size(), none, o));
        CHECK(none.frames.empty());
        CHECK(none.decoded_frames == 10);
        CHECK(none.width == 96);
        CHECK(none.height == 64);
        CHECK(none.codec == "h264");
        CHECK(none.fps == all.fps);
    }
    o.max_frames = 5;  // the limits still hold
    const hashguard::Error e = hashguard::vpdq_hash_bytes(clip.data(), clip.size(), none, o);
    CHECK(e.code == hashguard::Status::limit_frames);
}

namespace {

// An animated WebP of `frames` (RGB, one size) with the given durations,
// lossless, through libwebp's own animation encoder (it may store sub-frames
// and blend them: the composited canvases are still the frames exactly).
std::vector<std::uint8_t> encode_webp_animation(const std::vector<hashguard::Image>& frames, const std::vector<int>& ms) {
    WebPAnimEncoderOptions eo;
    REQUIRE(WebPAnimEncoderOptionsInit(&eo));
    WebPAnimEncoder* enc = WebPAnimEncoderNew(frames[0].width, frames[0].height, &eo);
    REQUIRE(enc);
    WebPConfig cfg;
    REQUIRE(WebPConfigInit(&cfg));
    cfg.lossless = 1;
    int t = 0;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        WebPPicture pic;
        REQUIRE(WebPPictureInit(&pic));
        pic.use_argb = 1;
        pic.width = frames[i].width;
        pic.height = frames[i].height;
        REQUIRE(WebPPictureImportRGB(&pic, frames[i].pixels.data(), frames[i].width * 3));
        REQUIRE(WebPAnimEncoderAdd(enc, &pic, t, &cfg));
        WebPPictureFree(&pic);
        t += ms[i];
    }
    REQUIRE(WebPAnimEncoderAdd(enc, nullptr, t, nullptr));
    WebPData out;
    WebPDataInit(&out);
    REQUIRE(WebPAnimEncoderAssemble(enc, &out));
    std::vector<std::uint8_t> bytes(out.bytes, out.bytes + out.size);
    WebPDataClear(&out);
    WebPAnimEncoderDelete(enc);
    return bytes;
}

}  // namespace

TEST_CASE("An animated WebP hashes as a video on request: every composited frame, its own rate") {
    using namespace hashguard;
    // Three frames cut from a bundled photo at different offsets (so they differ), 120x90.
    Image photo;
    const std::vector<std::uint8_t> jpg = hgtest::read_bytes(hgtest::data_dir() + "/photos/fruits.jpg");
    REQUIRE(!decode_image(jpg.data(), jpg.size(), photo));
    std::vector<Image> frames(3);
    for (int i = 0; i < 3; ++i) {
        Image& f = frames[static_cast<std::size_t>(i)];
        f.width = 120, f.height = 90, f.channels = 3;
        f.pixels.resize(120 * 90 * 3);
        for (int y = 0; y < 90; ++y)
            std::memcpy(&f.pixels[static_cast<std::size_t>(y) * 360],
                        &photo.pixels[(static_cast<std::size_t>(y + 60 * i) * photo.width + 80 * i) * 3], 360);
    }
    const std::vector<std::uint8_t> webp = encode_webp_animation(frames, {100, 200, 100});  // 400 ms: 7.5 fps
    REQUIRE(sniff_format(webp.data(), webp.size()) == Format::webp);

    VpdqVideo v;
    VideoOptions o;
    REQUIRE(!vpdq_hash_bytes(webp.data(), webp.size(), v, o));
    CHECK(v.container == "webp");
    CHECK(v.decoded_frames == 3);
    CHECK(v.fps == Approx(7.5));
    REQUIRE(v.frames.size() == 3);
    PdqHasher hasher;
    PdqOptions native;
    native.pre_resize = false;  // vPDQ hashes frames at their own size
    for (std::size_t i = 0; i < 3; ++i) {
        PdqHash h;
        REQUIRE(!hasher.hash(frames[i], h, native));
        INFO("frame " << i);
        CHECK(v.frames[i].frame == i);
        CHECK(v.frames[i].hash == h.hash);
        CHECK(v.frames[i].quality == h.quality);
        CHECK(v.frames[i].timestamp == static_cast<float>(i) / 7.5f);
    }
    // The second thread, sampling and the limits behave as for any video.
    o.hash_threads = 2;
    VpdqVideo two;
    REQUIRE(!vpdq_hash_bytes(webp.data(), webp.size(), two, o));
    REQUIRE(two.frames.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) CHECK(two.frames[i].hash == v.frames[i].hash);
    o.hash_threads = 1;
    o.seconds_per_hash = 0.3;  // (int)(0.3 * 7.5) = 2: frames 0 and 2
    VpdqVideo sampled;
    REQUIRE(!vpdq_hash_bytes(webp.data(), webp.size(), sampled, o));
    REQUIRE(sampled.frames.size() == 2);
    CHECK(sampled.frames[1].frame == 2);
    o.seconds_per_hash = 0;
    for (auto [field, status] : {std::pair{0, Status::limit_frames}, {1, Status::limit_pixels},
                                 {2, Status::limit_dimension}, {3, Status::limit_duration}}) {
        VideoOptions lim;
        if (field == 0) lim.max_frames = 2;
        if (field == 1) lim.max_pixels = 120 * 90 - 1;
        if (field == 2) lim.max_dimension = 100;
        if (field == 3) lim.max_duration_s = 0.3;
        VpdqVideo out;
        const Error e = vpdq_hash_bytes(webp.data(), webp.size(), out, lim);
        INFO(e.message);
        CHECK(e.code == status);
        CHECK(out.frames.empty());
    }
    // Damaged: every truncation fails closed (an error, never a partial result).
    int refused = 0;
    for (std::size_t cut : {webp.size() - 1, webp.size() / 2, std::size_t{40}, std::size_t{21}}) {
        VpdqVideo out;
        const Error e = vpdq_hash_bytes(webp.data(), cut, out, o);
        INFO("cut at " << cut << ": " << e.message);
        if (e) {
            ++refused;
            CHECK(out.frames.empty());
        }
    }
    CHECK(refused == 4);
    // The scanner still reads it as an image (its first frame); only a request hashes it as a video.
    Image still;
    REQUIRE(!decode_image(webp.data(), webp.size(), still));
    CHECK(still.frame_count == 3);
}

TEST_CASE("HG_OPT_VIDEO_KEEP_HASHES: videos hashed without a vPDQ list, their frames in the result as the reference's lines") {
    const auto clip = hgtest::read_bytes(hgtest::data_dir() + "/../tests/fuzz/seeds/video/h264-aac.mp4");  // 10 frames
    REQUIRE(!clip.empty());
    hashguard::VpdqVideo direct;
    REQUIRE(!hashguard::vpdq_hash_bytes(clip.data(), clip.size(), direct));
    std::string expected;
    for (const auto& f : direct.frames) expected += hashguard::vpdq_line(f) + "\n";
    hg_scanner* s = hg_scanner_create();
    REQUIRE(s);
    hg_result* r = nullptr;
    // Off (the default) and no vPDQ list: a video is an unknown format, as before.
    REQUIRE(hg_scan(s, clip.data(), clip.size(), &r) == HG_OK);
    CHECK(hg_result_status(r) == HG_ERR_UNSUPPORTED_FORMAT);
    CHECK(hg_result_str(r, HG_RESULT_VPDQ) == nullptr);
    hg_result_free(r);
    REQUIRE(hg_scanner_set_int(s, HG_OPT_VIDEO_KEEP_HASHES, 1) == HG_OK);
    CHECK(hg_scanner_set_int(s, HG_OPT_VIDEO_KEEP_HASHES, 2) == HG_ERR_INVALID_ARGUMENT);
    REQUIRE(hg_scan(s, clip.data(), clip.size(), &r) == HG_OK);
    CHECK(hg_result_verdict(r) == HG_VERDICT_NO_MATCH);  // checked: no list to match
    CHECK(hg_result_int(r, HG_RESULT_VIDEO) == 1);
    CHECK(hg_result_int(r, HG_RESULT_VIDEO_HASHES) == 10);
    const char* lines = hg_result_str(r, HG_RESULT_VPDQ);
    REQUIRE(lines);
    CHECK(std::string(lines) == expected);
    const std::string json = hg_result_str(r, HG_RESULT_JSON);
    CHECK(json.find("\"vpdq\":[\"" + hashguard::vpdq_line(direct.frames[0]) + "\"") != std::string::npos);
    hg_result_free(r);
    // The lines load as a vPDQ list (the reference's per-frame form) that matches the clip itself.
    hg_lists* lists = hg_lists_create();
    REQUIRE(hg_lists_add_text(lists, "self", expected.data(), expected.size(), HG_KIND_VPDQ, "self.txt") == HG_OK);
    REQUIRE(hg_scanner_set_lists(s, lists) == HG_OK);
    REQUIRE(hg_scan(s, clip.data(), clip.size(), &r) == HG_OK);
    CHECK(hg_result_verdict(r) == HG_VERDICT_MATCH);
    hg_result_free(r);
    // An image is unaffected.
    const auto jpg = hgtest::read_bytes(hgtest::data_dir() + "/photos/fruits.jpg");
    REQUIRE(hg_scan(s, jpg.data(), jpg.size(), &r) == HG_OK);
    CHECK(hg_result_int(r, HG_RESULT_VIDEO) == 0);
    CHECK(hg_result_str(r, HG_RESULT_VPDQ) == nullptr);
    hg_result_free(r);
    hg_lists_free(lists);
    hg_scanner_free(s);
}
