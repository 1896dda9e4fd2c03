// hashguard — vPDQ video hashes, bit-identical to Meta's reference (vpdq/), from memory.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hashguard/config.hpp"
#include "hashguard/pdq.hpp"
#include "hashguard/status.hpp"

namespace hashguard {

/// Limits and sampling of a video decode. Every limit has its own status
/// (limit_bytes, limit_dimension, limit_pixels, limit_frames, limit_duration,
/// limit_time); 0 turns a limit off.
struct VideoOptions {
    std::uint64_t max_input_bytes = std::uint64_t{1} << 31;  ///< the attachment's size
    std::uint32_t max_dimension = 8192;                      ///< a frame's side
    std::uint64_t max_pixels = std::uint64_t{1} << 25;       ///< a frame's width x height
    std::uint64_t max_frames = 1000000;                      ///< frames decoded
    double max_duration_s = 4 * 3600.0;                      ///< declared, and reached (frames / fps)
    std::uint32_t max_decode_ms = 0;                         ///< wall-clock budget, checked per packet and frame
    int threads = 1;                                         ///< decoder slice threads
    /// The reference's secondsPerHash: frame n is hashed iff
    /// n % max(1, (int)(seconds_per_hash * fps)) == 0; 0 hashes every frame.
    double seconds_per_hash = 0;
};

/// One hashed frame, as a line of the reference's output.
struct VpdqFrame {
    std::uint64_t frame = 0;  ///< 0-based count of the frames the decoder returned
    Hash256 hash;
    int quality = 0;
    float timestamp = 0;      ///< (float)frame / (float)fps, as the reference computes it
};

struct VpdqVideo {
    std::vector<VpdqFrame> frames;    ///< the sampled frames, in order
    double fps = 0;                   ///< the stream's average frame rate (else its base rate)
    std::uint64_t decoded_frames = 0; ///< every frame decoded, sampled or not
    int width = 0, height = 0;        ///< of the last frame
    std::string container, codec;     ///< libavformat's demuxer and libavcodec's decoder names
};

/// vPDQ of a video held in memory (MP4/MOV/3GP, Matroska/WebM, AVI; H.264,
/// HEVC, VP8, VP9, AV1, MPEG-4 Part 2, ...): the first video stream, every
/// frame decoded (also the decoder's delayed frames when audio comes first),
/// the sampled ones converted to RGB with libswscale's portable C arithmetic
/// (so hashes do not depend on the CPU) and hashed with PDQ at native size.
/// The video decoders live in the video module (hashguard-video.so), loaded
/// on first use; without it: module_unavailable. Never a partial result: any
/// decode error fails the whole video, as in the reference.
HASHGUARD_API Error vpdq_hash_bytes(const std::uint8_t* data, std::size_t len, VpdqVideo& out,
                                   const VideoOptions& options = {}) noexcept;

/// "<frame>,<quality>,<64 hex>,<timestamp %.3f>": the reference CLI's line.
HASHGUARD_API std::string vpdq_line(const VpdqFrame& frame);

}  // namespace hashguard
