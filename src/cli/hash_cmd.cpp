// `hashguard hash` and `hashguard decode`: the hash core through the public
// C++ API (include/hashguard/pdq.hpp, image.hpp).
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "args.hpp"
#include "commands.hpp"
#include "hashguard/image.hpp"
#include "hashguard/pdq.hpp"

namespace hgcli {

namespace {

using namespace hashguard;

struct HashArgs {
    bool dihedral = false, all_frames = false, no_resize = false, fast = false;
    long long max_pixels = 100'000'000, max_bytes = 256ll << 20;
    std::vector<std::string> paths;
};

void print_line(const PdqDihedral& h, bool dihedral, const std::string& label) {
    std::string line;
    line.reserve(600);
    for (int t = 0; t < (dihedral ? 8 : 1); ++t) line += h.hashes[t].to_hex() + ',';
    line += std::to_string(h.quality) + ',' + label + '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
}

// Hashes one file; false (after reporting on stderr) on failure.
bool hash_one(const std::string& path, const HashArgs& a, std::vector<std::uint8_t>& bytes) {
    DecodeOptions opt;
    opt.fast = a.fast;
    opt.max_pixels = static_cast<std::uint64_t>(a.max_pixels);
    opt.max_input_bytes = static_cast<std::size_t>(a.max_bytes);
    PdqOptions po;
    po.pre_resize = !a.no_resize;
    std::vector<PdqDihedral> frames;
    Error e = read_file(path, bytes, opt.max_input_bytes);
    if (!e && a.all_frames) e = pdq_hash_frames(bytes.data(), bytes.size(), frames, opt, po);
    if (!e && !a.all_frames) e = pdq_hash_bytes(bytes.data(), bytes.size(), frames.emplace_back(), opt, po);
    if (e) {
        std::fflush(stdout);
        std::fprintf(stderr, "%s: %s\n", path.c_str(), e.message.c_str());
        return false;
    }
    for (std::size_t f = 0; f < frames.size(); ++f)
        print_line(frames[f], a.dihedral, frames.size() > 1 ? path + "#frame" + std::to_string(f) : path);
    return true;
}

}  // namespace

int cmd_hash(int argc, char** argv) {
    HashArgs a;
    Args args("hashguard hash", "[options] FILE...",
              "Prints the PDQ hash of each image in the reference CLI's format: hash,quality,path\n"
              "(or with --dihedral the 8 dihedral hashes: orig,rot90,rot180,rot270,flipx,flipy,\n"
              "flipplus1,flipminus1,quality,path). FILE '-' reads further paths from standard input.\n"
              "Images under 5 px a side hash to all zeros with quality 0, as in the reference; such\n"
              "hashes must never be matched against a list.",
              "A file that cannot be hashed prints 'path: reason' on stderr; the others continue.\n"
              "Exit status: 0 all hashed, 1 any failed, 2 usage.");
    args.flag("--dihedral", a.dihedral, "print the 8 dihedral hashes")
        .flag("--all-frames", a.all_frames, "hash every frame of an animated GIF (path#frameN); default: the first")
        .flag("--no-resize", a.no_resize, "skip the reference's 512x512 pre-resize of large images")
        .flag("--fast", a.fast, "decode JPEGs scaled down, luma only: faster, a few bits from the reference")
        .integer("--max-pixels", "N", a.max_pixels, 1, 1ll << 40, "decode limit (default 100000000)")
        .integer("--max-bytes", "N", a.max_bytes, 1, 1ll << 40, "input size limit (default 268435456)")
        .operands("FILE", a.paths, 1);
    if (const int rc = args.parse(argc, argv); rc >= 0) return rc;
    std::vector<std::uint8_t> bytes;
    bool any_failed = false;
    for (const auto& p : a.paths) {
        if (p != "-") {
            any_failed |= !hash_one(p, a, bytes);
            continue;
        }
        std::string line;
        while (std::getline(std::cin, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (!line.empty()) any_failed |= !hash_one(line, a, bytes);
        }
    }
    return any_failed ? 1 : 0;
}

int cmd_decode(int argc, char** argv) {
    std::vector<std::string> files;
    Args args("hashguard decode", "FILE OUT.pnm",
              "Writes the pixels the hash is computed from (after decode, before the pre-resize)\n"
              "as binary PNM, for comparing decoders.");
    args.operands("FILE OUT.pnm", files, 2);
    if (const int rc = args.parse(argc, argv); rc >= 0) return rc;
    if (files.size() != 2) return std::fprintf(stderr, "hashguard decode: need FILE OUT.pnm\n"), 2;
    std::vector<std::uint8_t> bytes;
    Image img;
    Error e = read_file(files[0], bytes);
    if (!e) e = decode_image(bytes.data(), bytes.size(), img);
    if (e) return std::fprintf(stderr, "%s: %s\n", files[0].c_str(), e.message.c_str()), 1;
    std::FILE* f = std::fopen(files[1].c_str(), "wb");
    if (!f) return std::fprintf(stderr, "%s: cannot write: %s\n", files[1].c_str(), std::strerror(errno)), 1;
    std::fprintf(f, "P%c\n%d %d\n255\n", img.channels == 1 ? '5' : '6', img.width, img.height);
    const bool ok = std::fwrite(img.pixels.data(), 1, img.pixels.size(), f) == img.pixels.size();
    if (std::fclose(f) != 0 || !ok) return std::fprintf(stderr, "%s: write failed\n", files[1].c_str()), 1;
    return 0;
}

}  // namespace hgcli
