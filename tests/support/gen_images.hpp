// Generated test images: TIFF through libtiff's writer, WebP through libwebp's
// encoder, BMP with hand-built headers (RLE, bitfields, OS/2), and the
// progressive/CMYK JPEGs of the decoder tests through libjpeg. Everything is
// made in memory from a seed, so tests need no fixture files.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace hgtest {

using Bytes = std::vector<std::uint8_t>;

/// A deterministic test pattern: gradients plus noise, `channels` samples of
/// `bytes_per_sample` (1 or 2, host order) per pixel.
Bytes pattern(int w, int h, int channels, int bytes_per_sample, std::uint64_t seed);

struct TiffSpec {
    int width = 37, height = 23;
    int spp = 3;            ///< samples per pixel (incl. extra samples)
    int bps = 8;            ///< bits per sample: 1, 2, 4, 8, 16
    int photometric = 2;    ///< PHOTOMETRIC_*
    int compression = 1;    ///< COMPRESSION_*
    int extra = 0;          ///< 0 none, 1 associated alpha, 2 unassociated alpha
    bool planar_separate = false;
    bool tiled = false;
    int tile_w = 16, tile_h = 16;
    int rows_per_strip = 0;  ///< 0 = libtiff's default
    int orientation = 1;
    int predictor = 1;
    std::uint64_t seed = 1;
};
/// A TIFF written by libtiff (palette images get a colour map from the seed).
Bytes make_tiff(const TiffSpec& spec);

/// A WebP from libwebp's encoder (quality ignored when lossless).
Bytes make_webp(int w, int h, bool alpha, bool lossless, int quality, std::uint64_t seed);

struct BmpSpec {
    int width = 37, height = 23;
    int bpp = 24;             ///< 1, 4, 8, 16, 24, 32
    int header = 40;          ///< 12 (OS/2), 40, 52, 56, 108, 124
    int compression = 0;      ///< 0 RGB, 1 RLE8, 2 RLE4, 3 BITFIELDS
    bool top_down = false;
    int colors_used = 0;      ///< palette entries written (0 = 1 << bpp)
    bool grey_palette = false;
    std::uint32_t masks[3] = {0, 0, 0};  ///< R, G, B for BITFIELDS
    std::uint64_t seed = 1;
};
/// A BMP with hand-built headers; RLE data is encoded here (runs, absolute
/// runs, end-of-line, delta and end-of-bitmap codes all appear).
Bytes make_bmp(const BmpSpec& spec);

/// A progressive JPEG through libjpeg. `scans` selects the scan script:
/// 0 = jpeg_simple_progression, otherwise a successive-approximation script of
/// about that many scans (every AC coefficient refined bit by bit). Seed 0
/// makes a flat mid-grey image (all AC coefficients zero: tiny scans).
Bytes make_progressive_jpeg(int w, int h, int components, int scans, std::uint64_t seed);

/// The JPEG with its last scan (for a progressive file: the final AC
/// refinement, the most expensive) repeated `copies` more times before EOI.
/// Every copy is decoded as a full pass; libjpeg warns of a bogus progression,
/// so only lenient decoding goes through them all.
Bytes repeat_last_scan(const Bytes& jpeg, int copies);

/// An animated GIF through giflib's writer: `frames` frames on a w x h canvas,
/// each a random patch of palette pixels (some transparent) at a random place,
/// with the disposal modes (none, background, previous) in turn.
Bytes make_gif_animation(int w, int h, int frames, std::uint64_t seed);

/// Peak resident memory (KiB) a call adds, measured in a forked child
/// (its high-water mark starts at the parent's size at fork time). The child
/// writes fn's return value to `result`. -1 if the child failed.
long peak_rss_delta_kib(int (*fn)(void*), void* arg, int& result);

}  // namespace hgtest
