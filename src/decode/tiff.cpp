// TIFF through libtiff, from memory (TIFFClientOpenExt over the caller's bytes,
// mapped, never a temp file). First directory only.
//
// Pixels are what the previous OpenCV 4.6 imdecode(IMREAD_UNCHANGED) path gave,
// with alpha dropped: 8-bit and lower depths, palette, grey+alpha, YCbCr,
// CMYK... go through libtiff's RGBA interface strip by strip or tile by tile
// (so its conversions, unassociated-alpha premultiplication and orientation
// handling apply, and bottom-origin orientations are flipped back as OpenCV
// did); 16-bit grey, RGB and RGBA are read as raw samples and scaled with
// ImageMagick's 16-to-8 rule. Every libtiff message goes to our error string.
//
// Limits are checked on the values libtiff itself decodes with (the first of
// duplicated tags, the tile or strip size it will allocate), before any pixel
// buffer: the image and its tile against max_dimension/max_pixels, and output
// plus strip/tile buffers against max_memory_bytes. libtiff's own single
// allocations are capped at the same budget.
#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <tiffio.h>

#include "decode/decode_internal.hpp"

namespace hashguard::detail {

namespace {

struct TiffSource {
    const std::uint8_t* data;
    std::size_t len, pos;
    char message[256];  // the first libtiff error
};

extern "C" tmsize_t tiff_read(thandle_t h, void* buf, tmsize_t n) {
    auto* s = static_cast<TiffSource*>(h);
    if (n <= 0 || s->pos >= s->len) return 0;
    const std::size_t k = std::min(static_cast<std::size_t>(n), s->len - s->pos);
    std::memcpy(buf, s->data + s->pos, k);
    s->pos += k;
    return static_cast<tmsize_t>(k);
}
extern "C" tmsize_t tiff_write(thandle_t, void*, tmsize_t) { return -1; }
extern "C" toff_t tiff_seek(thandle_t h, toff_t off, int whence) {
    auto* s = static_cast<TiffSource*>(h);
    const toff_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? s->pos : s->len;
    if (off > ~toff_t{0} - base) return static_cast<toff_t>(-1);
    s->pos = static_cast<std::size_t>(std::min<toff_t>(base + off, s->len));
    return base + off;
}
extern "C" int tiff_close(thandle_t) { return 0; }
extern "C" toff_t tiff_size(thandle_t h) { return static_cast<TiffSource*>(h)->len; }
extern "C" int tiff_map(thandle_t h, void** base, toff_t* size) {
    auto* s = static_cast<TiffSource*>(h);
    *base = const_cast<std::uint8_t*>(s->data);
    *size = s->len;
    return 1;
}
extern "C" void tiff_unmap(thandle_t, void*, toff_t) {}

// Non-zero: libtiff does not go on to its global (printing) handlers.
extern "C" int tiff_on_error(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
    auto* s = static_cast<TiffSource*>(user);
    if (s->message[0] == 0) {
        char text[200];
        std::vsnprintf(text, sizeof text, fmt, ap);
        std::snprintf(s->message, sizeof s->message, "%s%s%s", module ? module : "", module ? ": " : "", text);
    }
    return 1;
}
extern "C" int tiff_on_warning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

struct TiffCloser {
    TIFF* t;
    ~TiffCloser() {
        if (t) TIFFClose(t);
    }
};

// What libtiff will decode with, read back from it after it parsed the directory.
struct TiffLayout {
    std::uint32_t width = 0, height = 0;
    std::uint16_t bps = 1, spp = 1, photometric = 0, sample_format = SAMPLEFORMAT_UINT;
    std::uint16_t planar = PLANARCONFIG_CONTIG, orientation = ORIENTATION_TOPLEFT;
    bool tiled = false;
    std::uint32_t tile_w = 0, tile_h = 0;  // the strip or tile grid (strips: width x rows)
    bool raw16 = false;                    // 16-bit samples read directly, else the RGBA interface
    int out_channels = 3;
};

Error tiff_error(const TiffSource& src, const char* what) {
    return {Status::decode_failed, std::string("tiff: ") + what + (src.message[0] ? ": " : "") + src.message};
}

Error read_layout(TIFF* t, const TiffSource& src, TiffLayout& L) {
    if (!TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &L.width) || !TIFFGetField(t, TIFFTAG_IMAGELENGTH, &L.height))
        return tiff_error(src, "no ImageWidth/ImageLength");
    if (!TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &L.photometric)) return tiff_error(src, "no PhotometricInterpretation");
    if (!TIFFGetField(t, TIFFTAG_BITSPERSAMPLE, &L.bps)) L.bps = 1;  // bilevel files may omit it
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &L.spp);
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLEFORMAT, &L.sample_format);
    TIFFGetFieldDefaulted(t, TIFFTAG_PLANARCONFIG, &L.planar);
    TIFFGetFieldDefaulted(t, TIFFTAG_ORIENTATION, &L.orientation);
    L.tiled = TIFFIsTiled(t) != 0;
    if (L.tiled) {
        if (!TIFFGetField(t, TIFFTAG_TILEWIDTH, &L.tile_w) || !TIFFGetField(t, TIFFTAG_TILELENGTH, &L.tile_h) ||
            L.tile_w == 0 || L.tile_h == 0)
            return tiff_error(src, "tiled image without a tile size");
    } else {
        std::uint32_t rows = 0;
        TIFFGetFieldDefaulted(t, TIFFTAG_ROWSPERSTRIP, &rows);
        L.tile_w = L.width;
        L.tile_h = (rows == 0 || rows > L.height) ? L.height : rows;
    }
    return {};
}

// Which path and output shape, as the OpenCV 4.6 decoder chose them.
Error choose_path(const TiffLayout& in, TiffLayout& L) {
    L = in;
    const bool grey = L.photometric == PHOTOMETRIC_MINISWHITE || L.photometric == PHOTOMETRIC_MINISBLACK;
    std::uint16_t bps = L.bps;
    if (bps > 8 && (L.photometric > PHOTOMETRIC_RGB || (L.spp != 1 && L.spp != 3 && L.spp != 4))) bps = 8;
    if (L.sample_format != SAMPLEFORMAT_UINT)
        return {Status::decode_failed, "tiff has an unsupported sample format " + std::to_string(L.sample_format) +
                                           " (only unsigned integer samples)"};
    if (bps == 16) {
        if (L.planar != PLANARCONFIG_CONTIG)
            return {Status::decode_failed, "tiff: 16-bit samples in separate planes are not supported"};
        if (grey && L.spp != 1)
            return {Status::decode_failed, "tiff: 16-bit grey with " + std::to_string(L.spp) + " samples is not supported"};
        L.raw16 = true;
        L.out_channels = grey ? 1 : 3;
        return {};
    }
    if (bps != 1 && bps != 2 && bps != 4 && bps != 8)
        return {Status::decode_failed, "tiff has an unsupported bit depth " + std::to_string(L.bps)};
    if (L.photometric == PHOTOMETRIC_PALETTE) L.out_channels = 3;
    else if (grey) L.out_channels = 1;
    else if (L.spp >= 3) L.out_channels = 3;
    else
        return {Status::decode_failed, "tiff has " + std::to_string(L.spp) + " samples for photometric " +
                                           std::to_string(L.photometric) + " (unsupported)"};
    return {};
}

// Output + the strip/tile buffers of the chosen path + libtiff's decoded strip/tile.
Error check_tiff_limits(TIFF* t, const TiffLayout& L, const DecodeOptions& opt) {
    if (Error e = check_dimensions(L.width, L.height, opt, "tiff")) return e;
    if (L.tiled)
        if (Error e = check_dimensions(L.tile_w, L.tile_h, opt, "tiff tile")) return e;
    const std::uint64_t grid = std::uint64_t{L.tile_w} * L.tile_h;
    const std::uint64_t own = L.raw16 ? grid * L.spp * 2 : grid * 4;
    const std::uint64_t lib = L.raw16 ? 0
                                      : static_cast<std::uint64_t>(L.tiled ? TIFFTileSize64(t) : TIFFStripSize64(t)) *
                                            (L.planar == PLANARCONFIG_SEPARATE ? L.spp : 1);
    const std::uint64_t image = std::uint64_t{L.width} * L.height * L.out_channels;
    const bool transposed = L.orientation >= ORIENTATION_LEFTTOP && L.orientation <= ORIENTATION_LEFTBOT;
    const std::uint64_t need = image * (transposed ? 2 : 1) + own + lib;
    if (need > opt.max_memory_bytes)
        return {Status::limit_memory, "tiff image of " + std::to_string(L.width) + "x" + std::to_string(L.height) +
                                          " with " + (L.tiled ? "tiles" : "strips") + " of " + std::to_string(L.tile_w) +
                                          "x" + std::to_string(L.tile_h) + " needs about " + std::to_string(need) +
                                          " bytes to decode, above the max_memory_bytes limit of " +
                                          std::to_string(opt.max_memory_bytes)};
    return {};
}

// One RGBA strip/tile (libtiff's raster: origin bottom-left) into the output.
void put_rgba(const std::vector<std::uint32_t>& raster, const TiffLayout& L, std::uint32_t x0, std::uint32_t y0,
              Image& out) {
    const std::uint32_t tw = std::min(L.tile_w, L.width - x0), th = std::min(L.tile_h, L.height - y0);
    const bool flip = L.orientation == ORIENTATION_BOTRIGHT || L.orientation == ORIENTATION_RIGHTBOT ||
                      L.orientation == ORIENTATION_BOTLEFT || L.orientation == ORIENTATION_LEFTBOT;
    const std::uint32_t img_y = flip ? L.height - y0 - th : y0;
    const std::size_t skip = L.tiled ? std::size_t{L.tile_h - th} * L.tile_w : 0;  // tiles fill from the bottom
    const int ch = out.channels;
    for (std::uint32_t i = 0; i < th; ++i) {
        const std::uint32_t* s = raster.data() + skip + std::size_t{i} * L.tile_w;
        std::uint8_t* o = out.pixels.data() + (std::size_t{img_y + th - 1 - i} * L.width + x0) * ch;
        for (std::uint32_t x = 0; x < tw; ++x, o += ch) {
            o[0] = static_cast<std::uint8_t>(TIFFGetR(s[x]));
            if (ch == 3) {
                o[1] = static_cast<std::uint8_t>(TIFFGetG(s[x]));
                o[2] = static_cast<std::uint8_t>(TIFFGetB(s[x]));
            }
        }
    }
}

Error read_rgba(TIFF* t, TiffSource& src, const TiffLayout& L, const DecodeOptions& opt, Image& out) {
    char why[1024] = {};
    if (!TIFFRGBAImageOK(t, why)) return {Status::decode_failed, std::string("tiff: ") + why};
    std::vector<std::uint32_t> raster(std::size_t{L.tile_w} * L.tile_h);
    for (std::uint32_t y = 0; y < L.height; y += L.tile_h) {
        for (std::uint32_t x = 0; x < L.width; x += L.tile_w) {
            if (past_deadline()) return time_limit_error(opt);
            const int ok = L.tiled ? TIFFReadRGBATile(t, x, y, raster.data()) : TIFFReadRGBAStrip(t, y, raster.data());
            if (!ok) return tiff_error(src, L.tiled ? "cannot read a tile" : "cannot read a strip");
            put_rgba(raster, L, x, y, out);
        }
    }
    return {};
}

// 16-bit grey (1 sample), RGB (3) or RGBA (4) samples, host order from libtiff.
Error read_raw16(TIFF* t, TiffSource& src, const TiffLayout& L, const DecodeOptions& opt, Image& out) {
    std::vector<std::uint16_t> buf(std::size_t{L.tile_w} * L.tile_h * L.spp);
    const tmsize_t bytes = static_cast<tmsize_t>(buf.size() * 2);
    std::uint32_t index = 0;
    for (std::uint32_t y = 0; y < L.height; y += L.tile_h) {
        const std::uint32_t th = std::min(L.tile_h, L.height - y);
        for (std::uint32_t x = 0; x < L.width; x += L.tile_w, ++index) {
            if (past_deadline()) return time_limit_error(opt);
            const tmsize_t got = L.tiled ? TIFFReadEncodedTile(t, index, buf.data(), bytes)
                                         : TIFFReadEncodedStrip(t, index, buf.data(), bytes);
            if (got < 0) return tiff_error(src, L.tiled ? "cannot read a tile" : "cannot read a strip");
            const std::uint32_t tw = std::min(L.tile_w, L.width - x);
            for (std::uint32_t i = 0; i < th; ++i) {
                const std::uint16_t* s = buf.data() + std::size_t{i} * L.tile_w * L.spp;
                std::uint8_t* o = out.pixels.data() + (std::size_t{y + i} * L.width + x) * out.channels;
                for (std::uint32_t k = 0; k < tw; ++k, s += L.spp) {
                    if (out.channels == 1) {
                        *o++ = scale16to8(s[0]);
                    } else {  // 1 sample: v,v,v; 3 or 4: R,G,B
                        const int g = L.spp == 1 ? 0 : 1, b = L.spp == 1 ? 0 : 2;
                        *o++ = scale16to8(s[0]);
                        *o++ = scale16to8(s[g]);
                        *o++ = scale16to8(s[b]);
                    }
                }
            }
        }
    }
    return {};
}

// The Orientation tag, applied as OpenCV 4.6's TIFF decoder did even under
// IMREAD_UNCHANGED: libtiff's RGBA interface already mirrors rows and
// columns, so 8-bit images only get the transposition of orientations 5-8;
// raw 16-bit images get the whole transform.
void flip(Image& img, bool rows, bool cols) {
    const std::size_t ch = img.channels, w = img.width, h = img.height, stride = w * ch;
    std::uint8_t* p = img.pixels.data();
    if (rows)
        for (std::size_t y = 0; y < h / 2; ++y) std::swap_ranges(p + y * stride, p + (y + 1) * stride, p + (h - 1 - y) * stride);
    if (cols)
        for (std::size_t y = 0; y < h; ++y)
            for (std::size_t x = 0; x < w / 2; ++x) std::swap_ranges(p + y * stride + x * ch, p + y * stride + (x + 1) * ch,
                                                                      p + y * stride + (w - 1 - x) * ch);
}

void transpose(Image& img) {
    const std::size_t ch = img.channels, w = img.width, h = img.height;
    std::vector<std::uint8_t> t(img.pixels.size());
    for (std::size_t y = 0; y < h; ++y)
        for (std::size_t x = 0; x < w; ++x) std::memcpy(&t[(x * h + y) * ch], &img.pixels[(y * w + x) * ch], ch);
    img.pixels.swap(t);
    std::swap(img.width, img.height);
}

void orient(const TiffLayout& L, Image& img) {
    const int o = L.orientation;
    if (o >= ORIENTATION_LEFTTOP && o <= ORIENTATION_LEFTBOT) {
        if (!L.raw16 && (o == ORIENTATION_RIGHTTOP || o == ORIENTATION_LEFTBOT)) flip(img, true, true);
        transpose(img);
        if (L.raw16 && o != ORIENTATION_LEFTTOP)
            flip(img, o == ORIENTATION_RIGHTBOT || o == ORIENTATION_LEFTBOT, o == ORIENTATION_RIGHTTOP || o == ORIENTATION_RIGHTBOT);
    } else if (L.raw16 && o >= ORIENTATION_TOPRIGHT && o <= ORIENTATION_BOTLEFT) {
        flip(img, o != ORIENTATION_TOPRIGHT, o != ORIENTATION_BOTLEFT);
    }
}

TIFF* open_tiff(TiffSource& src, const DecodeOptions& opt) {
    TIFFOpenOptions* o = TIFFOpenOptionsAlloc();
    if (!o) return nullptr;
    const std::uint64_t cap = std::min<std::uint64_t>(opt.max_memory_bytes, std::uint64_t{1} << 40);
    TIFFOpenOptionsSetMaxSingleMemAlloc(o, static_cast<tmsize_t>(cap));
    TIFFOpenOptionsSetErrorHandlerExtR(o, tiff_on_error, &src);
    TIFFOpenOptionsSetWarningHandlerExtR(o, tiff_on_warning, &src);
    TIFF* t = TIFFClientOpenExt("tiff", "r", &src, tiff_read, tiff_write, tiff_seek, tiff_close, tiff_size, tiff_map,
                                tiff_unmap, o);
    TIFFOpenOptionsFree(o);
    return t;
}

}  // namespace

Error decode_tiff(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, Image& out) {
    TiffSource src{data, len, 0, {}};
    TiffCloser tif{open_tiff(src, opt)};
    if (!tif.t) return tiff_error(src, "cannot open");
    TiffLayout raw, L;
    if (Error e = read_layout(tif.t, src, raw)) return e;
    if (Error e = choose_path(raw, L)) return e;
    if (Error e = check_tiff_limits(tif.t, L, opt)) return e;
    allocate(out, static_cast<int>(L.width), static_cast<int>(L.height), L.out_channels);
    if (Error e = L.raw16 ? read_raw16(tif.t, src, L, opt, out) : read_rgba(tif.t, src, L, opt, out)) return e;
    orient(L, out);
    return {};
}

}  // namespace hashguard::detail
