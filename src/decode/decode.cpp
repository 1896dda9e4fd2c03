// decode_image(): sniff, check limits from the header, dispatch to a decoder,
// then normalise (alpha dropped, all-grey RGB collapsed to grey).
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>

#include "common/errors.hpp"
#include "common/memory.hpp"
#include "decode/decode_internal.hpp"

namespace hashguard {

const char* format_name(Format f) noexcept {
    switch (f) {
        case Format::jpeg: return "jpeg";
        case Format::png: return "png";
        case Format::gif: return "gif";
        case Format::webp: return "webp";
        case Format::bmp: return "bmp";
        case Format::tiff: return "tiff";
        case Format::pnm: return "pnm";
        case Format::heic: return "heic";
        case Format::avif: return "avif";
        case Format::unknown: break;
    }
    return "unknown";
}

Format sniff_format(const std::uint8_t* d, std::size_t n) noexcept {
    if (!d) return Format::unknown;
    auto starts = [&](const char* magic, std::size_t off = 0) {
        const std::size_t m = std::strlen(magic);
        return n >= off + m && std::memcmp(d + off, magic, m) == 0;
    };
    if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return Format::jpeg;
    if (starts("\x89PNG\r\n\x1a\n")) return Format::png;
    if (starts("GIF87a") || starts("GIF89a")) return Format::gif;
    if (starts("RIFF") && starts("WEBP", 8)) return Format::webp;
    if (starts("BM")) return Format::bmp;
    if (n >= 4 && ((d[0] == 'I' && d[1] == 'I' && d[2] == 42 && d[3] == 0) ||
                   (d[0] == 'M' && d[1] == 'M' && d[2] == 0 && d[3] == 42)))
        return Format::tiff;
    if (n >= 3 && d[0] == 'P' && (d[1] == '5' || d[1] == '6') &&
        (d[2] == ' ' || d[2] == '\n' || d[2] == '\r' || d[2] == '\t'))
        return Format::pnm;
    return detail::sniff_heif(d, n);
}

namespace detail {

namespace {
thread_local bool t_deadline_armed = false;
thread_local std::chrono::steady_clock::time_point t_deadline;
}  // namespace

unsigned working_bytes_per_pixel(Format f) noexcept {
    switch (f) {
        case Format::jpeg: return 3;   // RGB out; the probe's jpeg_working_bytes() is used instead
        case Format::png: return 9;    // 16-bit RGB rows (6) + 8-bit out (3)
        case Format::gif: return 10;   // canvas (3) + saved canvas (3) + out (3) + indices (1)
        case Format::pnm: return 3;    // parsed in place into the output
        case Format::bmp: return 3;    // decoded row by row into the output
        case Format::webp: return 11;  // out (3) + libwebp's lossless ARGB and transform rows (<= 8)
        case Format::tiff: return 3;   // out; decode_tiff adds its strip/tile buffers from libtiff's layout
        case Format::heic:             // out (3) + libheif's RGB (3) + YCbCr planes (<= 3) + the codec's frame (<= 3)
        case Format::avif: return 12;
        case Format::unknown: break;
    }
    return 11;
}

bool past_deadline() noexcept { return t_deadline_armed && std::chrono::steady_clock::now() > t_deadline; }

Error time_limit_error(const DecodeOptions& opt) {
    return {Status::limit_time, "decoding took longer than the max_decode_ms limit of " +
                                    std::to_string(opt.max_decode_ms) + " ms"};
}

Error check_dimensions(std::uint64_t w, std::uint64_t h, const DecodeOptions& opt, const char* what) {
    if (w == 0 || h == 0)
        return {Status::decode_failed, std::string(what) + " declares a zero dimension (" +
                                           std::to_string(w) + "x" + std::to_string(h) + ")"};
    const std::uint64_t maxdim = static_cast<std::uint64_t>(opt.max_dimension);
    if (w > maxdim || h > maxdim)
        return {Status::limit_dimension, std::string(what) + " is " + std::to_string(w) + "x" +
                                             std::to_string(h) + ", a side above the max_dimension limit of " +
                                             std::to_string(opt.max_dimension)};
    if (w * h > opt.max_pixels)
        return {Status::limit_pixels, std::string(what) + " is " + std::to_string(w) + "x" + std::to_string(h) +
                                          " = " + std::to_string(w * h) + " pixels, above the max_pixels limit of " +
                                          std::to_string(opt.max_pixels)};
    return {};
}

void allocate(Image& out, int width, int height, int channels) {
    out.width = width;
    out.height = height;
    out.channels = channels;
    const std::size_t n = static_cast<std::size_t>(width) * height * channels;
    reserve_huge(out.pixels, n);  // a fresh large buffer: huge pages, not 4 KiB faults
    out.pixels.resize(n);
}

namespace {

// Drops every pixel to grey when R == G == B throughout: the reference's
// ImageMagick pipeline writes such images as greyscale PNM (P5), and the
// reference then hashes y = v rather than the RGB luma formula.
void collapse_grey_if_uniform(Image& img) {
    if (img.channels != 3) return;
    const std::size_t n = static_cast<std::size_t>(img.width) * img.height;
    const std::uint8_t* p = img.pixels.data();
    for (std::size_t i = 0; i < n; ++i, p += 3)
        if (p[0] != p[1] || p[1] != p[2]) return;
    for (std::size_t i = 0; i < n; ++i) img.pixels[i] = img.pixels[i * 3];
    img.pixels.resize(n);
    img.channels = 1;
}

}  // namespace

Error precheck(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, Format& f) {
    if (!data && len) return {Status::invalid_argument, "null data pointer with non-zero length"};
    if (len == 0) return {Status::decode_failed, "empty input (0 bytes)"};
    if (len > opt.max_input_bytes)
        return {Status::limit_bytes, "input is " + std::to_string(len) +
                                         " bytes, above the max_input_bytes limit of " +
                                         std::to_string(opt.max_input_bytes)};
    if (opt.frame < 0) return {Status::invalid_argument, "negative frame index"};
    f = sniff_format(data, len);
    if (f == Format::unknown)
        return {Status::unsupported_format,
                "unrecognised format: the first bytes match no JPEG, PNG, GIF, WebP, BMP, TIFF, PNM or HEIF (HEIC/AVIF) "
                "signature"};
    detail::HeaderInfo info;
    if (Error he = f == Format::heic || f == Format::avif ? detail::probe_heif(data, len, opt, info)
                                                          : detail::probe_header(f, data, len, info))
        return he;
    if (Error le = detail::check_dimensions(info.width, info.height, opt)) return le;
    const std::uint64_t need = info.working_bytes ? info.working_bytes
                                                  : info.width * info.height * working_bytes_per_pixel(f);  // <= 65535^2 * 11
    if (need > opt.max_memory_bytes)
        return {Status::limit_memory, std::string(format_name(f)) + " image of " + std::to_string(info.width) + "x" +
                                          std::to_string(info.height) + " needs about " + std::to_string(need) +
                                          " bytes to decode, above the max_memory_bytes limit of " +
                                          std::to_string(opt.max_memory_bytes)};
    if (f != Format::gif && opt.frame > 0)
        return {Status::limit_frames, "frame " + std::to_string(opt.frame) + " requested of a " + format_name(f) +
                                          " image: only the first frame is decoded (later frames: GIF only)"};
    return {};
}

}  // namespace detail

namespace detail {

namespace {

// The time budget, for this thread, for one decode call.
struct ArmDeadline {
    explicit ArmDeadline(std::uint32_t ms) {
        t_deadline_armed = ms > 0;
        t_deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    }
    ~ArmDeadline() { t_deadline_armed = false; }
};

Error dispatch(Format f, const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, Image& out) {
    switch (f) {
        case Format::jpeg: return decode_jpeg(data, len, opt, out);
        case Format::png: return decode_png(data, len, opt, out);
        case Format::gif: return decode_gif(data, len, opt, out);
        case Format::pnm: return decode_pnm(data, len, opt, out);
        case Format::webp: return decode_webp(data, len, opt, out);
        case Format::bmp: return decode_bmp(data, len, opt, out);
        case Format::tiff: return decode_tiff(data, len, opt, out);
        case Format::heic:
        case Format::avif: return decode_heif(data, len, opt, out);
        case Format::unknown: break;
    }
    return {Status::unsupported_format, "unsupported format"};
}

}  // namespace

Error decode_frames(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, const FrameSink& sink) {
    return guard([&]() -> Error {
        Format f;
        DecodeOptions first = opt;
        first.frame = 0;
        if (Error pe = precheck(data, len, first, f)) return pe;
        if (f != Format::gif) {
            Image img;
            if (Error e = decode_image(data, len, img, first)) return e;
            return sink(img);
        }
        const ArmDeadline arm(opt.max_decode_ms);
        Image norm;
        return decode_gif_frames(data, len, first, [&](const Image& frame) -> Error {
            if (past_deadline()) return time_limit_error(opt);
            norm.width = frame.width, norm.height = frame.height, norm.channels = frame.channels;
            norm.pixels = frame.pixels;
            norm.format = Format::gif;
            if (opt.collapse_grey) collapse_grey_if_uniform(norm);
            return sink(norm);
        });
    });
}

}  // namespace detail

Error decode_image(const std::uint8_t* data, std::size_t len, Image& out, const DecodeOptions& opt) noexcept {
    Error e = detail::guard([&]() -> Error {
        // The pixel buffer is not cleared: decoders overwrite every byte, and a
        // caller reusing one Image keeps its allocation (and skips re-zeroing
        // it) across attachments of similar size.
        out.width = out.height = out.channels = 0;
        out.format = Format::unknown;
        out.frame_count = 1;
        Format f;
        if (Error pe = detail::precheck(data, len, opt, f)) return pe;
        const detail::ArmDeadline arm(opt.max_decode_ms);
        if (Error de = detail::dispatch(f, data, len, opt, out)) return de;
        if (detail::past_deadline()) return detail::time_limit_error(opt);
        out.format = f;
        if (opt.collapse_grey) detail::collapse_grey_if_uniform(out);
        return {};
    });
    if (e) {
        out.width = out.height = out.channels = 0;
        out.pixels.clear();
    }
    return e;
}

}  // namespace hashguard
