// hashguard — decoding attachments from memory into 8-bit pixels.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hashguard/config.hpp"
#include "hashguard/status.hpp"

namespace hashguard {

/// Container formats recognised from magic bytes (never from a file name).
enum class Format : int { unknown = 0, jpeg, png, gif, webp, bmp, tiff, pnm, heic, avif };

HASHGUARD_API const char* format_name(Format f) noexcept;

/// Sniffs the format from the first bytes; Format::unknown when none matches.
HASHGUARD_API Format sniff_format(const std::uint8_t* data, std::size_t len) noexcept;

/// Decoded pixels: 8-bit, interleaved, rows packed (stride = width*channels).
/// channels is 1 (grey) or 3 (RGB, in that order). Alpha is always dropped.
struct Image {
    int width = 0;
    int height = 0;
    int channels = 0;
    std::vector<std::uint8_t> pixels;
    Format format = Format::unknown;
    int frame_count = 1;  ///< frames in the source (animated GIF); 1 otherwise

    std::size_t size_bytes() const noexcept {
        return static_cast<std::size_t>(width) * height * channels;
    }
};

/// Decode limits and choices. Every limit is checked against the header
/// before any pixel buffer is allocated.
struct DecodeOptions {
    std::size_t max_input_bytes = std::size_t{256} << 20;  ///< 256 MiB
    std::uint64_t max_pixels = 100'000'000;                ///< 100 MP (width*height)
    int max_dimension = 65'535;                            ///< per side
    int max_frames = 1'000;                                ///< animated formats
    /// Working memory the decoder would need, estimated from the header per
    /// format (output, intermediate and canvas buffers; JPEG coefficient
    /// buffers, TIFF strip/tile buffers) before any allocation.
    std::uint64_t max_memory_bytes = std::uint64_t{2} << 30;  ///< 2 GiB
    /// Wall-clock budget for one decode, checked inside the decoders (JPEG per
    /// iMCU row and output batch, PNG per read and row, GIF per record, TIFF
    /// per strip/tile, BMP per row) and when the decoder returns; 0 = none.
    std::uint32_t max_decode_ms = 10'000;
    int frame = 0;  ///< which frame of an animated file to return (0 = first)
    /// Return images whose pixels all have R == G == B as 1-channel grey, as
    /// the reference's ImageMagick pipeline does. Needed for reference hashes.
    bool collapse_grey = true;
    /// Fail on data the decoder could only paper over (a truncated JPEG,
    /// corrupt entropy data) instead of hashing the grey-filled result.
    bool strict = true;
    /// Fast mode (opt-in, never the default): a JPEG is decoded scaled down in
    /// the DCT domain (by 1/2 .. 1/8) as far as its short side stays at least
    /// fast_min_side, and as luma (Y) only. Several times faster on large
    /// photos, but hashes then differ from the reference's by a few bits
    /// (measured in bench/README.md): keep it off where shared lists must
    /// match at tight thresholds. Other formats always decode exactly.
    bool fast = false;
    int fast_min_side = 300;
};

/// Decodes an attachment held in memory. Never throws; on failure `out` is
/// left empty and the Error names the cause (and the limit, for limit errors).
/// Reusing one Image across calls reuses its pixel allocation.
HASHGUARD_API Error decode_image(const std::uint8_t* data, std::size_t len, Image& out,
                                 const DecodeOptions& options = {}) noexcept;

/// Reads a whole file into `out`, refusing files above `max_bytes`.
HASHGUARD_API Error read_file(const std::string& path, std::vector<std::uint8_t>& out,
                              std::size_t max_bytes = std::size_t{256} << 20) noexcept;

}  // namespace hashguard
