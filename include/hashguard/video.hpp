// hashguard — vPDQ video hashes, bit-identical to Meta's reference (vpdq/), from memory.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
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
    /// A frame's width x height: DCI 4K (4096 x 2176) by default. It also bounds
    /// the decoder's memory: up to 16 reference frames of 1.5 bytes per pixel
    /// (H.264/HEVC 4:2:0), ~210 MB at this limit, plus the RGB frame.
    std::uint64_t max_pixels = std::uint64_t{4096} * 2176;
    std::uint64_t max_frames = 1000000;                      ///< frames decoded
    double max_duration_s = 4 * 3600.0;                      ///< declared, and reached (frames / fps)
    std::uint32_t max_decode_ms = 0;                         ///< wall-clock budget, checked per packet and frame
    int threads = 1;                                         ///< decoder slice threads
    /// 2: sampled frames are converted and hashed on a second thread while the
    /// decoder goes on (a video's latency drops to about its decode time when
    /// a core is free; each queued frame is a copy, at most 3 in flight).
    int hash_threads = 1;
    /// The reference's secondsPerHash: frame n is hashed iff
    /// n % max(1, (int)(seconds_per_hash * fps)) == 0; 0 hashes every frame.
    double seconds_per_hash = 0;
    /// Also hash the other 7 dihedral variants of each sampled frame
    /// (VpdqVideo::dihedral), so rotated or mirrored copies can be matched.
    bool dihedral = false;
    /// Decode and check every frame (all limits apply) but hash none:
    /// VpdqVideo gets its counts and stream facts and no frames. What
    /// `hashguard bench` times as "decode alone" through the same module.
    bool decode_only = false;
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
    /// With VideoOptions::dihedral: per frame (parallel to `frames`) its 8
    /// dihedral variants in Transform order (index 0 is frames[i].hash).
    std::vector<std::array<Hash256, 8>> dihedral;
};

/// vPDQ of a video held in memory (MP4/MOV/3GP, Matroska/WebM, AVI; H.264,
/// HEVC, VP8, VP9, AV1, MPEG-4 Part 2, ...; an animated GIF too, through
/// libavcodec's GIF decoder as the reference reads it; an animated WebP through
/// libwebp's WebPAnimDecoder, every composited canvas, at the animation's
/// average frame rate, without the module): the first video stream, every
/// frame decoded (also the decoder's delayed frames when audio comes first),
/// the sampled ones converted to RGB with libswscale's portable C arithmetic
/// (so hashes do not depend on the CPU) and hashed with PDQ at native size.
/// The video decoders live in the video module (hashguard-video.so), loaded
/// on first use; without it: module_unavailable. Never a partial result: any
/// decode error fails the whole video, as in the reference.
HASHGUARD_API Error vpdq_hash_bytes(const std::uint8_t* data, std::size_t len, VpdqVideo& out,
                                   const VideoOptions& options = {}) noexcept;

/// Whether the bytes look like a video container the video module reads: an
/// ISO BMFF file (MP4/MOV/3GP: `ftyp`, `moov`, `mdat`, `free`, `skip` or
/// `wide` as the first box) that is not a HEIF/AVIF image, Matroska/WebM
/// (EBML magic) or AVI (RIFF....AVI ). Cheap: reads the first 12 bytes.
HASHGUARD_API bool sniff_video(const std::uint8_t* data, std::size_t len) noexcept;

/// "<frame>,<quality>,<64 hex>,<timestamp %.3f>": the reference CLI's line.
HASHGUARD_API std::string vpdq_line(const VpdqFrame& frame);

// ---- vPDQ lists and matching (as python-threatexchange / HMA match them) ----

/// One listed video: its id, the rest of its line, and its frames.
struct VpdqListVideo {
    std::string id;        ///< the id before a tab, else the line number (JSON form) or the source's file stem
    std::string metadata;  ///< what followed the array on its line (JSON form), else empty
    std::vector<VpdqFrame> frames;
};

struct VpdqList {
    std::vector<VpdqListVideo> videos;
};

/// Parses a vPDQ list held in memory; `source` names it in messages. Two forms:
///   - one video per line, HMA's signal value: a JSON array of
///     "<64 hex>,<quality>,<timestamp>" strings, optionally after `vpdq ` (HMA's
///     "signal_type value" file form) or after `<id>` and a tab;
///   - the reference's per-frame output (`hashguard vpdq`, vpdq-hash-video):
///     lines "<frame>,<quality>,<64 hex>,<timestamp>", the whole text one video
///     whose id is `source`'s file name without directory and extension.
/// Blank lines and lines starting with '#' are skipped. A malformed line, an
/// empty video or an empty list is Status::list_format, "source:line: reason".
HASHGUARD_API Error parse_vpdq_list(std::string_view text, const std::string& source, VpdqList& out) noexcept;

/// One video as a line parse_vpdq_list reads back: "<id>\t<array>\t<metadata>\n".
/// The id is written so that it survives the reader (which splits at the first
/// tab, wants '[' after it, takes '#' lines as comments and strips a leading
/// "vpdq"): tab, CR, LF and '[' become spaces, and an id starting with '#' or
/// "vpdq" gets a leading '_'. `array` is the frames' JSON array.
HASHGUARD_API void append_vpdq_list_line(std::string& out, std::string_view id, std::string_view array,
                                         std::string_view metadata);

/// How a video matches a listed one (HMA's defaults).
struct VpdqMatchOptions {
    int distance = 31;         ///< a query frame matches a listed frame within this Hamming distance
    int min_quality = 50;      ///< frames below this quality are ignored, on both sides
    double query_pct = 80;     ///< % of the query's unique frame hashes that must match the video
    double compared_pct = 0;   ///< % of the listed video's unique frame hashes that must be matched
};

struct VpdqMatch {
    std::size_t video = 0;      ///< index in VpdqList::videos
    double query_pct = 0;       ///< matched unique query hashes / unique query hashes, in %
    double compared_pct = 0;    ///< matched unique listed hashes / the video's unique hashes, in %
    std::vector<float> timestamps;  ///< the query frames that matched, by time
};

/// Every frame of every listed video (quality >= min_quality, identical hashes
/// of one video once) in one PDQ index with a frame-to-video map: a query
/// video's unique frames are looked up in one batched range search.
/// Immutable once built; match() may run on many threads at once.
class HASHGUARD_API VpdqIndex {
public:
    static Error build(const VpdqList& list, const VpdqMatchOptions& options, std::unique_ptr<VpdqIndex>& out) noexcept;
    ~VpdqIndex();
    VpdqIndex(const VpdqIndex&) = delete;
    VpdqIndex& operator=(const VpdqIndex&) = delete;

    /// The listed videos `query` matches under the options, best query_pct
    /// first. No frame of quality >= min_quality: no matches (`usable` false).
    Error match(const std::vector<VpdqFrame>& query, std::vector<VpdqMatch>& out, bool* usable = nullptr) const noexcept;

    std::size_t videos() const noexcept;
    std::size_t frames() const noexcept;  ///< indexed frame hashes
    const VpdqMatchOptions& options() const noexcept;
    std::size_t memory_bytes() const noexcept;

private:
    VpdqIndex();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace hashguard
