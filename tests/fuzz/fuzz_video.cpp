// libFuzzer target: arbitrary bytes through the video path (the video module's
// demuxers and decoders from memory, YUV -> RGB, PDQ per frame), with limits
// small enough that the fuzzer's memory and time budgets catch real problems.
// Every input must leave stdout/stderr untouched (libav's logging included),
// fail with a message or succeed, never both, and (ASan) keep the heap under
// the bound (fuzz_checks.hpp).
#include <cstddef>
#include <cstdint>

#include "fuzz_checks.hpp"
#include "hashguard/video.hpp"

namespace {
// Frames of at most 1 MP: the decoder's reference frames (H.264 keeps up to
// 16, HEVC and AV1 a few more, each ~1.5 MB at 1 MP 4:2:0) plus libav's
// per-stream state, the RGB frame (3 MB) and the hasher's buffers: well
// under 128 MiB; a decoder that allocates from a declared size past the
// limits would pass it.
constexpr std::size_t kHeapBound = std::size_t{128} << 20;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::int64_t start = hgfuzz::begin_input();
    hashguard::VideoOptions opt;
    opt.max_dimension = 2048;
    opt.max_pixels = 1u << 20;
    opt.max_frames = 48;
    opt.max_duration_s = 600;
    opt.seconds_per_hash = size > 0 && (data[size - 1] & 1) ? 0.5 : 0;  // both sampling paths
    opt.hash_threads = size > 0 && (data[size - 1] & 2) ? 2 : 1;         // and hashing inline or on a worker
    hashguard::VpdqVideo v;
    const hashguard::Error e = hashguard::vpdq_hash_bytes(data, size, v, opt);
    // A failure names its cause and returns no frames; a success decoded at least one.
    const bool bad = e ? (e.message.empty() || !v.frames.empty()) : v.decoded_frames == 0;
    hgfuzz::end_input(start, kHeapBound);
    if (bad) __builtin_trap();
    return 0;
}
