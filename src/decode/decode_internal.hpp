// Per-format decoders behind decode_image(). Internal to the library.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "hashguard/image.hpp"
#include "modules/pixels.h"

namespace hashguard::detail {

/// Width/height read from a format's header without decoding pixels.
struct HeaderInfo {
    std::uint64_t width = 0;
    std::uint64_t height = 0;
    /// Working memory estimated from the header (0: working_bytes_per_pixel x pixels).
    std::uint64_t working_bytes = 0;
};

/// A JPEG frame header (SOFn) as far as decode memory depends on it.
struct JpegFrame {
    std::uint32_t width = 0, height = 0;
    int components = 0;  ///< at most 10 (libjpeg's limit)
    int h[10] = {}, v[10] = {};
    bool multi_scan = false;  ///< progressive, or a first scan without every component
};
/// libjpeg's whole-image coefficient buffer (2 bytes per coefficient, when
/// multi-scan), the output (and CMYK conversion rows), its row buffers.
std::uint64_t jpeg_working_bytes(const JpegFrame& f);

/// The checks every decode starts with: arguments, the input byte limit, the
/// format's signature, and the header's dimensions against the limits.
Error precheck(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, Format& f);

/// Reads dimensions from the header. Error on a header too short or invalid.
Error probe_header(Format f, const std::uint8_t* data, std::size_t len, HeaderInfo& info);

/// Checks declared dimensions against the options' limits.
Error check_dimensions(std::uint64_t width, std::uint64_t height, const DecodeOptions& opt,
                       const char* what = "image");

Error decode_jpeg(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, Image& out);
Error decode_gif(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, Image& out);

/// Receives decoded frames one after the other.
using FrameSink = std::function<Error(const Image&)>;
/// Every frame of a GIF, composited, to `sink` (one pass; opt.frame ignored).
Error decode_gif_frames(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, const FrameSink& sink);
/// Every frame of an attachment (one for still images) to `sink`, checked and
/// normalised exactly as decode_image() does for each frame index.
Error decode_frames(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, const FrameSink& sink);
Error decode_png(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, Image& out);
Error decode_pnm(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, Image& out);
Error decode_webp(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, Image& out);
Error decode_bmp(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, Image& out);
/// HEIC/AVIF through the heif module (modules.hpp): its size from the
/// container, then the primary image decoded by libheif.
Error probe_heif(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, HeaderInfo& info);
Error decode_heif(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, Image& out);
/// An ISO-BMFF file whose ftyp box names a HEIF still-image brand: heic or
/// avif; Format::unknown otherwise (MP4 and other ISO-BMFF files included).
Format sniff_heif(const std::uint8_t* data, std::size_t len) noexcept;
/// TIFF through the tiff module (hashguard-tiff.so: libtiff), which checks
/// its own dimensions, tile/strip size and buffers against the limits.
Error decode_tiff(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, Image& out);

/// Probe / decode through the format module `name` (modules.hpp); `what`
/// names the format in messages ("heic/avif", "tiff"). module_unavailable
/// when the module cannot be loaded.
Error probe_with_module(const char* name, const char* what, const std::uint8_t* data, std::size_t len,
                        const DecodeOptions& opt, HeaderInfo& info);
Error decode_with_module(const char* name, const char* what, const std::uint8_t* data, std::size_t len,
                         const DecodeOptions& opt, Image& out);

/// Bytes per pixel a decoder of format f may hold at once (output, intermediate
/// and canvas buffers, worst case over its paths): the memory-limit estimate.
unsigned working_bytes_per_pixel(Format f) noexcept;

/// The decode time budget: decode_image() arms a per-thread deadline from
/// DecodeOptions::max_decode_ms; decoders with loops poll past_deadline().
bool past_deadline() noexcept;
Error time_limit_error(const DecodeOptions& opt);

/// Allocates out.pixels for w x h x channels (limits already checked).
void allocate(Image& out, int width, int height, int channels);

/// ImageMagick Q16's 16-bit to 8-bit scaling (ScaleQuantumToChar).
inline std::uint8_t scale16to8(unsigned q) noexcept { return hg_scale16to8(q); }

}  // namespace hashguard::detail
