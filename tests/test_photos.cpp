// The bundled photos in data/ (copied from ../shared/photos with their
// reference hashes) through the full decode path, so a plain clone still
// tests real images end to end.
#include <catch2/catch.hpp>

#include "support/test_support.hpp"

using namespace hashguard;

TEST_CASE("Bundled photos give the reference's 8 dihedral hashes and quality") {
    const std::string dir = hgtest::data_dir() + "/photos/";
    const auto rows = hgtest::read_ref_csv(dir + "reference-dihedral-across.csv");
    REQUIRE(rows.size() == 30);
    int matched = 0;
    for (const auto& row : rows)
        matched += hgtest::check_ref_row(row, hgtest::hash_bytes(hgtest::read_bytes(dir + row.path), true, row.frame));
    CHECK(matched == 30);
    std::printf("bundled photos: %d/30 bit-identical (8 hashes + quality)\n", matched);
}

TEST_CASE("Animated GIF: frame selection, frame count and the out-of-range error") {
    const auto bytes = hgtest::read_bytes(hgtest::data_dir() + "/photos/formats/anim-2frames.gif");
    Image img;
    DecodeOptions opt;
    REQUIRE(decode_image(bytes.data(), bytes.size(), img, opt).ok());
    CHECK(img.frame_count == 2);
    CHECK(img.format == Format::gif);
    opt.frame = 2;
    const Error e = decode_image(bytes.data(), bytes.size(), img, opt);
    CHECK(e.code == Status::limit_frames);
    CHECK(e.message.find("2 frame(s)") != std::string::npos);
    CHECK(img.pixels.empty());
    opt.frame = 0;
    opt.max_frames = 1;
    CHECK(decode_image(bytes.data(), bytes.size(), img, opt).code == Status::limit_frames);
}

TEST_CASE("EXIF orientation is ignored and grey+alpha PNG decodes as grey") {
    const std::string dir = hgtest::data_dir() + "/photos/";
    Image a, b;
    const auto rot = hgtest::read_bytes(dir + "formats/starry-exif-orient6.jpg");
    REQUIRE(decode_image(rot.data(), rot.size(), a).ok());
    const auto plain = hgtest::read_bytes(dir + "starry_night.jpg");
    REQUIRE(decode_image(plain.data(), plain.size(), b).ok());
    CHECK(a.width == b.width);  // not rotated to portrait
    CHECK(a.height == b.height);
    const auto ga = hgtest::read_bytes(dir + "formats/fruits-gray-alpha.png");
    REQUIRE(decode_image(ga.data(), ga.size(), a).ok());
    CHECK(a.channels == 1);
    DecodeOptions keep;
    keep.collapse_grey = false;
    REQUIRE(decode_image(ga.data(), ga.size(), a, keep).ok());
    CHECK(a.channels == 1);  // grey+alpha is grey by colour type, not by content
}
