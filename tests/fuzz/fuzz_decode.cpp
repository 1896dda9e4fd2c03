// libFuzzer target: arbitrary bytes through the decoders and the PDQ hasher
// (all 8 dihedral hashes), with limits small enough that the fuzzer's memory
// and time budgets catch real problems, not large legal images.
#include <cstddef>
#include <cstdint>

#include "hashguard/image.hpp"
#include "hashguard/pdq.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static hashguard::PdqHasher hasher;
    static hashguard::Image image;
    hashguard::DecodeOptions opt;
    opt.max_pixels = 4u << 20;
    opt.max_frames = 64;
    opt.strict = size > 0 && (data[size - 1] & 1);  // both strict and lenient paths
    const hashguard::Error e = hashguard::decode_image(data, size, image, opt);
    if (!e) {
        hashguard::PdqDihedral h;
        if (hasher.hash_dihedral(image, h)) __builtin_trap();  // a decoded image must always hash
    } else if (e.message.empty()) {
        __builtin_trap();  // every failure names its cause
    }
    return 0;
}
