// Core conformance without decoders, for the AArch64 cross build: the
// reference's PNM vectors (un-gzipped by scripts/test-neon.sh into
// $HG_VECTORS_DIR) through PdqHasher, with whichever kernel set is active.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "decode/pnm_header.hpp"
#include "hashguard/pdq.hpp"

namespace {

std::vector<std::string> lines_of(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> out;
    std::string l;
    while (std::getline(in, l))
        if (!l.empty()) out.push_back(l);
    return out;
}

bool load_pnm(const std::string& path, hashguard::Image& img) {
    std::ifstream in(path, std::ios::binary);
    std::vector<std::uint8_t> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    hashguard::detail::PnmHeader h;
    if (!hashguard::detail::parse_pnm_header(b.data(), b.size(), h) || h.maxval != 255) return false;
    img.width = static_cast<int>(h.width);
    img.height = static_cast<int>(h.height);
    img.channels = h.channels;
    img.pixels.assign(b.begin() + static_cast<std::ptrdiff_t>(h.data_offset), b.end());
    return img.pixels.size() == img.size_bytes();
}

}  // namespace

TEST_CASE("Reference PNM vectors hash bit-identically with the active kernel set") {
    const char* dir = std::getenv("HG_VECTORS_DIR");
    if (!dir || !*dir) {
        WARN("HG_VECTORS_DIR not set (no ../shared): core vectors skipped");
        return;
    }
    std::printf("kernel set: %s\n", hashguard::active_kernel());
    int total = 0, matched = 0;
    hashguard::PdqHasher hasher;
    // (csv, pre_resize, number of hashes per row)
    for (auto [csv, resize] : {std::pair{"pnm-hashes-noresize.csv", false}, std::pair{"core-hashes-noresize.csv", false},
                               std::pair{"cli-dihedral-across.csv", true}}) {
        for (const auto& line : lines_of(std::string(dir) + "/" + csv)) {
            std::vector<std::string> f;
            std::stringstream ss(line);
            std::string x;
            while (std::getline(ss, x, ',')) f.push_back(x);
            hashguard::Image img;
            INFO(f.back());
            REQUIRE(load_pnm(std::string(dir) + "/" + f.back(), img));
            hashguard::PdqOptions opt;
            opt.pre_resize = resize;
            hashguard::PdqDihedral h;
            REQUIRE(hasher.hash_dihedral(img, h, opt).ok());
            bool ok = std::to_string(h.quality) == f[f.size() - 2];
            for (std::size_t t = 0; t + 2 < f.size(); ++t) ok = ok && h.hashes[t].to_hex() == f[t];
            CHECK(ok);
            matched += ok;
            ++total;
        }
    }
    CHECK(total == 81);
    CHECK(matched == total);
    std::printf("core vectors: %d/%d bit-identical\n", matched, total);
}
