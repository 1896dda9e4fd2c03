// Smallest use of the C++ API: hash each file given on the command line.
//   build/examples/hash_file photo.jpg ...
#include <cstdio>
#include <vector>

#include "hashguard/image.hpp"
#include "hashguard/pdq.hpp"

int main(int argc, char** argv) {
    int failures = 0;
    for (int i = 1; i < argc; ++i) {
        std::vector<std::uint8_t> bytes;
        hashguard::PdqDihedral h;
        hashguard::Error e = hashguard::read_file(argv[i], bytes);
        if (!e) e = hashguard::pdq_hash_bytes(bytes.data(), bytes.size(), h);
        if (e) {
            std::fprintf(stderr, "%s: %s (%s)\n", argv[i], e.message.c_str(), hashguard::status_str(e.code));
            ++failures;
            continue;
        }
        if (h.degenerate) {
            std::printf("%s: too small to hash\n", argv[i]);
            continue;
        }
        std::printf("%s  quality %3d  %s\n", h[hashguard::Transform::original].to_hex().c_str(), h.quality, argv[i]);
    }
    return failures ? 1 : 0;
}
