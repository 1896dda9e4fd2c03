// Conformance against Meta's reference implementation, from ../shared.
// Exits 77 (skipped) when ../shared is absent; see support/catch_main.cpp.
#include <catch2/catch.hpp>

#include <cstring>
#include <map>

#include "kernels/reference.hpp"
#include "support/test_support.hpp"

bool hg_test_needs_shared = true;

using namespace hashguard;

namespace {

std::string ref_path(const std::string& rel) { return hgtest::shared_dir() + "/pdq-reference/" + rel; }

void check_row(const hgtest::RefRow& row, const PdqDihedral& got, int& matched) {
    matched += hgtest::check_ref_row(row, got) ? 1 : 0;
}

// Every vector present and every one bit-identical; prints the count for the log.
void expect_all(const char* what, int matched, int total, int expected_total) {
    CHECK(total == expected_total);
    CHECK(matched == total);
    std::printf("%s: %d/%d bit-identical\n", what, matched, total);
}

}  // namespace

TEST_CASE("DCT matrix is bit-identical to the reference's") {
    const auto lines = hgtest::read_lines(ref_path("dct_matrix_16x64_float_bits.txt"));
    REQUIRE(lines.size() == 16);
    const auto& d = kernels::dct_matrix();
    int equal = 0;
    for (int i = 0; i < 16; ++i) {
        const auto words = hgtest::split(lines[i], ' ');
        REQUIRE(words.size() == 64);
        for (int j = 0; j < 64; ++j) {
            std::uint32_t bits;
            std::memcpy(&bits, &d[i][j], 4);
            if (bits == std::stoul(words[j], nullptr, 16)) ++equal;
        }
    }
    CHECK(equal == 16 * 64);
}

TEST_CASE("Core: every reference PNM hashes to its listed hash from the pixels alone") {
    // decoded/ (real images' pixels) and synthetic/ edge cases, no pre-resize.
    int total = 0, matched = 0;
    for (const auto& [csv, dir] : {std::pair{ref_path("decoded/pnm-hashes-noresize.csv"), ref_path("decoded/")},
                                  std::pair{ref_path("synthetic/core-hashes-noresize.csv"), ref_path("synthetic/")}}) {
        for (const auto& row : hgtest::read_ref_csv(csv)) {
            const auto px = hgtest::read_maybe_gz(dir + row.file + ".gz");
            check_row(row, hgtest::hash_bytes(px, /*pre_resize=*/false), matched);
            ++total;
        }
    }
    expect_all("core PNM vectors", matched, total, 66);
}

TEST_CASE("Synthetic edge cases through the CLI path give the reference's 8 hashes") {
    int total = 0, matched = 0;
    for (const auto& row : hgtest::read_ref_csv(ref_path("synthetic/cli-dihedral-across.csv"))) {
        const auto px = hgtest::read_maybe_gz(ref_path("synthetic/") + row.file + ".gz");
        check_row(row, hgtest::hash_bytes(px), matched);
        ++total;
    }
    expect_all("synthetic dihedral", matched, total, 15);
}

TEST_CASE("The constant image hashes to the reference's float-rounding noise") {
    // Only an identical float operation order (no FMA) reproduces this.
    const auto px = hgtest::read_maybe_gz(ref_path("synthetic/grey_256x256_constant.pgm.gz"));
    const auto h = hgtest::hash_bytes(px);
    CHECK(h[Transform::original].to_hex() == "00002c4b2c4b0000000000008200017e0000cc530000554b13a0554b585e1706");
    CHECK(h.quality == 0);
    CHECK_FALSE(h.degenerate);
}

TEST_CASE("ThreatExchange sample images: full decode path gives all 8 reference hashes") {
    int total = 0, matched = 0;
    for (const auto& row : hgtest::read_ref_csv(ref_path("reference-dihedral-across.csv"))) {
        check_row(row, hgtest::hash_bytes(hgtest::read_bytes(ref_path(row.file))), matched);
        ++total;
    }
    expect_all("pdq-reference/data dihedral", matched, total, 49);
}

TEST_CASE("Full-resolution hashes without the pre-resize match the reference harness") {
    int total = 0, matched = 0;
    const auto lines = hgtest::read_lines(ref_path("decoded/harness-dump.csv"));
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto f = hgtest::split(lines[i], ',');
        REQUIRE(f.size() == 8);
        Image img;
        const auto bytes = hgtest::read_bytes(ref_path(f[0]));
        REQUIRE(decode_image(bytes.data(), bytes.size(), img).ok());
        INFO(f[0]);
        CHECK(img.width == std::stoi(f[1]));
        CHECK(img.height == std::stoi(f[2]));
        CHECK(img.channels == std::stoi(f[3]));  // 1 when every pixel is grey
        hgtest::RefRow row;
        row.hashes = {f[6]};
        row.quality = std::stoi(f[7]);
        row.file = row.path = f[0];
        check_row(row, hgtest::hash_bytes(bytes, /*pre_resize=*/false), matched);
        ++total;
    }
    expect_all("harness no-resize", matched, total, 49);
}

TEST_CASE("Decoders reproduce the reference's exact pixels for small images") {
    // decoded/*.decoded.pnm are the decoder's output for images <= 512 px.
    const std::map<std::string, std::string> sources = {
        {"data_bridge-mods_shrink-a-lot.jpg", "data/bridge-mods/shrink-a-lot.jpg"},
        {"data_bridge-mods_square-128x128.jpg", "data/bridge-mods/square-128x128.jpg"},
        {"data_misc-images_small.jpg", "data/misc-images/small.jpg"},
        {"data_misc-images_wee.jpg", "data/misc-images/wee.jpg"},
        {"data_reg-test-input_labelme-subset_q0003.jpg", "data/reg-test-input/labelme-subset/q0003.jpg"},
        {"data_reg-test-input_labelme-subset_q0122.jpg", "data/reg-test-input/labelme-subset/q0122.jpg"},
        {"data_reg-test-input_labelme-subset_q2821.jpg", "data/reg-test-input/labelme-subset/q2821.jpg"},
    };
    for (const auto& [vec, src] : sources) {
        INFO(src);
        Image want, got;
        const auto pnm = hgtest::read_maybe_gz(ref_path("decoded/" + vec + ".decoded.pnm.gz"));
        REQUIRE(decode_image(pnm.data(), pnm.size(), want).ok());
        const auto bytes = hgtest::read_bytes(ref_path(src));
        REQUIRE(decode_image(bytes.data(), bytes.size(), got).ok());
        CHECK(got.width == want.width);
        CHECK(got.height == want.height);
        CHECK(got.channels == want.channels);
        CHECK(got.pixels == want.pixels);
    }
}

TEST_CASE("Photos in every format, both GIF frames, give the reference's 8 hashes") {
    int total = 0, matched = 0;
    const std::string dir = hgtest::shared_dir() + "/photos/";
    for (const auto& row : hgtest::read_ref_csv(dir + "reference-dihedral-across.csv")) {
        check_row(row, hgtest::hash_bytes(hgtest::read_bytes(dir + row.path), true, row.frame), matched);
        ++total;
    }
    expect_all("shared photos dihedral", matched, total, 30);
}

namespace {
// Runs the CLI from `dir` on the files of a reference CSV, in its order, and
// returns stdout; the reference's own file is the expected output byte for byte.
std::string cli_on_csv(const std::string& dir, const std::string& csv, const std::string& flags) {
    std::string cmd = "cd '" + dir + "' && '" + hgtest::cli_path() + "' hash " + flags;
    std::string last;
    for (const auto& row : hgtest::read_ref_csv(csv)) {
        if (row.path == last) continue;  // frames of one file come from one argument
        last = row.path;
        cmd += " '" + row.path + "'";
    }
    std::string out;
    const int rc = hgtest::run(cmd, out);
    CHECK(rc == 0);
    return out;
}
std::string file_text(const std::string& path) {
    const auto b = hgtest::read_bytes(path);
    return std::string(b.begin(), b.end());
}
}  // namespace

TEST_CASE("CLI output equals the reference CLI's files byte for byte") {
    const std::string pr = hgtest::shared_dir() + "/pdq-reference";
    const std::string ph = hgtest::shared_dir() + "/photos";
    CHECK(cli_on_csv(pr, pr + "/reference-hashes.csv", "") == file_text(pr + "/reference-hashes.csv"));
    CHECK(cli_on_csv(pr, pr + "/reference-dihedral-across.csv", "--dihedral") ==
          file_text(pr + "/reference-dihedral-across.csv"));
    CHECK(cli_on_csv(ph, ph + "/reference-dihedral-across.csv", "--dihedral --all-frames") ==
          file_text(ph + "/reference-dihedral-across.csv"));
}
