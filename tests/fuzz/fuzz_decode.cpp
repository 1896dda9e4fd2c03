// libFuzzer target: arbitrary bytes through the decoders and the PDQ hasher
// (all 8 dihedral hashes), with limits small enough that the fuzzer's memory
// and time budgets catch real problems, not large legal images. Every input
// must leave stdout/stderr untouched and (ASan) keep the heap within the
// memory limit plus a margin (fuzz_checks.hpp).
#include <cstddef>
#include <cstdint>

#include "fuzz_checks.hpp"
#include "hashguard/image.hpp"
#include "hashguard/pdq.hpp"

namespace {
constexpr std::uint64_t kMaxMemory = std::uint64_t{256} << 20;
// The margin over max_memory_bytes: what the decoders' estimates leave out
// by design and the hasher needs after them — libpng's largest ancillary
// chunk (png_set_chunk_malloc_max, 8 MiB), codec state and tables (libjpeg
// pools beyond the 2 MiB counted, zlib windows, libtiff directories: a few
// MiB), the PDQ hasher's buffers for a 4 MP image (pre-resized to 512x512:
// under 8 MiB) and the previous image's pixels while the reused buffer grows
// (12 MiB at 4 MP RGB). 48 MiB covers them with room to spare, while a
// decoder that outgrows its estimate by a real factor (a tile or strip
// buffer left out, a whole-image buffer of the wrong size) is caught.
constexpr std::size_t kHeapBound = kMaxMemory + (std::size_t{48} << 20);
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static hashguard::PdqHasher hasher;
    static hashguard::Image image;
    const std::int64_t start = hgfuzz::begin_input();
    hashguard::DecodeOptions opt;
    opt.max_pixels = 4u << 20;
    opt.max_frames = 64;
    opt.max_memory_bytes = kMaxMemory;
    opt.strict = size > 0 && (data[size - 1] & 1);  // both strict and lenient paths
    const hashguard::Error e = hashguard::decode_image(data, size, image, opt);
    bool bad = false;
    if (!e) {
        hashguard::PdqDihedral h;
        bad = !hasher.hash_dihedral(image, h).ok();  // a decoded image must always hash
    } else {
        bad = e.message.empty();  // every failure names its cause
    }
    hgfuzz::end_input(start, kHeapBound);
    if (bad) __builtin_trap();
    return 0;
}
