// vPDQ (include/hashguard/video.hpp): the reference's per-frame hashes on
// ../shared/vpdq-reference, sampling, and every limit's own status.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "hashguard/video.hpp"
#include "support/test_support.hpp"

using namespace hashguard;

namespace {

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
    for (const auto& entry : std::filesystem::directory_iterator(dir + "/videos")) {
        const std::string stem = entry.path().stem().string();
        INFO(stem);
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
    CHECK(videos == 15);
    CHECK(identical_upstream == 13);
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
    CHECK(errors >= 8);
    std::printf("damaged videos: %d refused, %d still decodable\n", errors, hashed);
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
