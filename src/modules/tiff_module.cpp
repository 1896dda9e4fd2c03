// The TIFF module (hashguard-tiff.so): libtiff behind the module interface
// of module_abi.h, from memory (TIFFClientOpenExt over the caller's bytes,
// mapped, never a temp file). First directory only. A module because libtiff
// brings libzstd, liblzma, libjbig, libdeflate and libLerc, ~3 ms of start-up
// for every process, and TIFF attachments are rare.
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
// buffer: the image and its tile against max_dimension/max_pixels (the
// library's check_size), and output plus strip/tile buffers against
// max_memory_bytes. libtiff's own single allocations are capped at the same
// budget; loops poll the library's time budget (check_time).
#include <tiffio.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "hashguard/status.hpp"
#include "modules/module_abi.h"
#include "modules/pixels.h"

namespace {

using hashguard::Status;

int fail(hg_module_request* r, Status s, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
int fail(hg_module_request* r, Status s, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    return static_cast<int>(s);
}

struct TiffSource {
    const std::uint8_t* data;
    std::size_t len, pos;
    char message[200];  // the first libtiff error
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
        char text[160];
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

// The image being decoded: in the caller's buffer, or in `own` when the
// orientation transposes it (the caller's buffer is then allocated after).
struct Pixels {
    std::uint8_t* p = nullptr;
    std::size_t width = 0, height = 0;
    int channels = 3;
    std::vector<std::uint8_t> own;
};

int tiff_error(hg_module_request* r, const TiffSource& src, const char* what) {
    return fail(r, Status::decode_failed, "tiff: %s%s%s", what, src.message[0] ? ": " : "", src.message);
}

int read_layout(hg_module_request* r, TIFF* t, const TiffSource& src, TiffLayout& L) {
    if (!TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &L.width) || !TIFFGetField(t, TIFFTAG_IMAGELENGTH, &L.height))
        return tiff_error(r, src, "no ImageWidth/ImageLength");
    if (!TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &L.photometric)) return tiff_error(r, src, "no PhotometricInterpretation");
    if (!TIFFGetField(t, TIFFTAG_BITSPERSAMPLE, &L.bps)) L.bps = 1;  // bilevel files may omit it
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &L.spp);
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLEFORMAT, &L.sample_format);
    TIFFGetFieldDefaulted(t, TIFFTAG_PLANARCONFIG, &L.planar);
    TIFFGetFieldDefaulted(t, TIFFTAG_ORIENTATION, &L.orientation);
    L.tiled = TIFFIsTiled(t) != 0;
    if (L.tiled) {
        if (!TIFFGetField(t, TIFFTAG_TILEWIDTH, &L.tile_w) || !TIFFGetField(t, TIFFTAG_TILELENGTH, &L.tile_h) ||
            L.tile_w == 0 || L.tile_h == 0)
            return tiff_error(r, src, "tiled image without a tile size");
    } else {
        std::uint32_t rows = 0;
        TIFFGetFieldDefaulted(t, TIFFTAG_ROWSPERSTRIP, &rows);
        L.tile_w = L.width;
        L.tile_h = (rows == 0 || rows > L.height) ? L.height : rows;
    }
    return 0;
}

// Which path and output shape, as the OpenCV 4.6 decoder chose them.
int choose_path(hg_module_request* r, const TiffLayout& in, TiffLayout& L) {
    L = in;
    const bool grey = L.photometric == PHOTOMETRIC_MINISWHITE || L.photometric == PHOTOMETRIC_MINISBLACK;
    std::uint16_t bps = L.bps;
    if (bps > 8 && (L.photometric > PHOTOMETRIC_RGB || (L.spp != 1 && L.spp != 3 && L.spp != 4))) bps = 8;
    if (L.sample_format != SAMPLEFORMAT_UINT)
        return fail(r, Status::decode_failed, "tiff has an unsupported sample format %u (only unsigned integer samples)",
                    unsigned{L.sample_format});
    if (bps == 16) {
        if (L.planar != PLANARCONFIG_CONTIG)
            return fail(r, Status::decode_failed, "tiff: 16-bit samples in separate planes are not supported");
        if (grey && L.spp != 1)
            return fail(r, Status::decode_failed, "tiff: 16-bit grey with %u samples is not supported", unsigned{L.spp});
        L.raw16 = true;
        L.out_channels = grey ? 1 : 3;
        return 0;
    }
    if (bps != 1 && bps != 2 && bps != 4 && bps != 8)
        return fail(r, Status::decode_failed, "tiff has an unsupported bit depth %u", unsigned{L.bps});
    if (L.photometric == PHOTOMETRIC_PALETTE) L.out_channels = 3;
    else if (grey) L.out_channels = 1;
    else if (L.spp >= 3) L.out_channels = 3;
    else
        return fail(r, Status::decode_failed, "tiff has %u samples for photometric %u (unsupported)", unsigned{L.spp},
                    unsigned{L.photometric});
    return 0;
}

bool transposed(const TiffLayout& L) {
    return L.orientation >= ORIENTATION_LEFTTOP && L.orientation <= ORIENTATION_LEFTBOT;
}

// Output + the strip/tile buffers of the chosen path + libtiff's decoded strip/tile.
int check_tiff_limits(hg_module_request* r, TIFF* t, const TiffLayout& L) {
    if (int s = r->check_size(r, L.width, L.height, "tiff")) return s;
    if (L.tiled)
        if (int s = r->check_size(r, L.tile_w, L.tile_h, "tiff tile")) return s;
    const std::uint64_t grid = std::uint64_t{L.tile_w} * L.tile_h;
    const std::uint64_t own = L.raw16 ? grid * L.spp * 2 : grid * 4;
    const std::uint64_t lib = L.raw16 ? 0
                                      : static_cast<std::uint64_t>(L.tiled ? TIFFTileSize64(t) : TIFFStripSize64(t)) *
                                            (L.planar == PLANARCONFIG_SEPARATE ? L.spp : 1);
    const std::uint64_t image = std::uint64_t{L.width} * L.height * L.out_channels;
    const std::uint64_t need = image * (transposed(L) ? 2 : 1) + own + lib;
    if (need > r->max_memory_bytes)
        return fail(r, Status::limit_memory,
                    "tiff image of %ux%u with %s of %ux%u needs about %llu bytes to decode, above the max_memory_bytes "
                    "limit of %llu",
                    L.width, L.height, L.tiled ? "tiles" : "strips", L.tile_w, L.tile_h,
                    static_cast<unsigned long long>(need), static_cast<unsigned long long>(r->max_memory_bytes));
    return 0;
}

// One RGBA strip/tile (libtiff's raster: origin bottom-left) into the output.
void put_rgba(const std::vector<std::uint32_t>& raster, const TiffLayout& L, std::uint32_t x0, std::uint32_t y0,
              Pixels& out) {
    const std::uint32_t tw = std::min(L.tile_w, L.width - x0), th = std::min(L.tile_h, L.height - y0);
    const bool flip = L.orientation == ORIENTATION_BOTRIGHT || L.orientation == ORIENTATION_RIGHTBOT ||
                      L.orientation == ORIENTATION_BOTLEFT || L.orientation == ORIENTATION_LEFTBOT;
    const std::uint32_t img_y = flip ? L.height - y0 - th : y0;
    const std::size_t skip = L.tiled ? std::size_t{L.tile_h - th} * L.tile_w : 0;  // tiles fill from the bottom
    const int ch = out.channels;
    for (std::uint32_t i = 0; i < th; ++i) {
        const std::uint32_t* s = raster.data() + skip + std::size_t{i} * L.tile_w;
        std::uint8_t* o = out.p + (std::size_t{img_y + th - 1 - i} * L.width + x0) * ch;
        for (std::uint32_t x = 0; x < tw; ++x, o += ch) {
            o[0] = static_cast<std::uint8_t>(TIFFGetR(s[x]));
            if (ch == 3) {
                o[1] = static_cast<std::uint8_t>(TIFFGetG(s[x]));
                o[2] = static_cast<std::uint8_t>(TIFFGetB(s[x]));
            }
        }
    }
}

int read_rgba(hg_module_request* r, TIFF* t, TiffSource& src, const TiffLayout& L, Pixels& out) {
    char why[1024] = {};
    if (!TIFFRGBAImageOK(t, why)) return fail(r, Status::decode_failed, "tiff: %s", why);
    std::vector<std::uint32_t> raster(std::size_t{L.tile_w} * L.tile_h);
    for (std::uint32_t y = 0; y < L.height; y += L.tile_h) {
        for (std::uint32_t x = 0; x < L.width; x += L.tile_w) {
            if (int s = r->check_time(r)) return s;
            const int ok = L.tiled ? TIFFReadRGBATile(t, x, y, raster.data()) : TIFFReadRGBAStrip(t, y, raster.data());
            if (!ok) return tiff_error(r, src, L.tiled ? "cannot read a tile" : "cannot read a strip");
            put_rgba(raster, L, x, y, out);
        }
    }
    return 0;
}

// 16-bit grey (1 sample), RGB (3) or RGBA (4) samples, host order from libtiff.
int read_raw16(hg_module_request* r, TIFF* t, TiffSource& src, const TiffLayout& L, Pixels& out) {
    std::vector<std::uint16_t> buf(std::size_t{L.tile_w} * L.tile_h * L.spp);
    const tmsize_t bytes = static_cast<tmsize_t>(buf.size() * 2);
    std::uint32_t index = 0;
    for (std::uint32_t y = 0; y < L.height; y += L.tile_h) {
        const std::uint32_t th = std::min(L.tile_h, L.height - y);
        for (std::uint32_t x = 0; x < L.width; x += L.tile_w, ++index) {
            if (int s = r->check_time(r)) return s;
            const tmsize_t got = L.tiled ? TIFFReadEncodedTile(t, index, buf.data(), bytes)
                                         : TIFFReadEncodedStrip(t, index, buf.data(), bytes);
            if (got < 0) return tiff_error(r, src, L.tiled ? "cannot read a tile" : "cannot read a strip");
            const std::uint32_t tw = std::min(L.tile_w, L.width - x);
            for (std::uint32_t i = 0; i < th; ++i) {
                const std::uint16_t* s = buf.data() + std::size_t{i} * L.tile_w * L.spp;
                std::uint8_t* o = out.p + (std::size_t{y + i} * L.width + x) * out.channels;
                for (std::uint32_t k = 0; k < tw; ++k, s += L.spp) {
                    if (out.channels == 1) {
                        *o++ = hg_scale16to8(s[0]);
                    } else {  // 1 sample: v,v,v; 3 or 4: R,G,B
                        const int g = L.spp == 1 ? 0 : 1, b = L.spp == 1 ? 0 : 2;
                        *o++ = hg_scale16to8(s[0]);
                        *o++ = hg_scale16to8(s[g]);
                        *o++ = hg_scale16to8(s[b]);
                    }
                }
            }
        }
    }
    return 0;
}

void flip(Pixels& img, bool rows, bool cols) {
    const std::size_t ch = img.channels, w = img.width, h = img.height, stride = w * ch;
    std::uint8_t* p = img.p;
    if (rows)
        for (std::size_t y = 0; y < h / 2; ++y) std::swap_ranges(p + y * stride, p + (y + 1) * stride, p + (h - 1 - y) * stride);
    if (cols)
        for (std::size_t y = 0; y < h; ++y)
            for (std::size_t x = 0; x < w / 2; ++x)
                std::swap_ranges(p + y * stride + x * ch, p + y * stride + (x + 1) * ch, p + y * stride + (w - 1 - x) * ch);
}

// img (in img.own) transposed into the caller's buffer, allocated now.
int transpose_out(hg_module_request* r, Pixels& img) {
    const std::size_t ch = img.channels, w = img.width, h = img.height;
    std::uint8_t* t = r->alloc_pixels(r->alloc_ctx, static_cast<int>(h), static_cast<int>(w), img.channels);
    if (!t) return fail(r, Status::out_of_memory, "tiff: out of memory for the output image");
    for (std::size_t y = 0; y < h; ++y)
        for (std::size_t x = 0; x < w; ++x) std::memcpy(&t[(x * h + y) * ch], &img.p[(y * w + x) * ch], ch);
    img.own = {};
    img.p = t;
    std::swap(img.width, img.height);
    return 0;
}

// The Orientation tag, applied as OpenCV 4.6's TIFF decoder did even under
// IMREAD_UNCHANGED: libtiff's RGBA interface already mirrors rows and
// columns, so 8-bit images only get the transposition of orientations 5-8;
// raw 16-bit images get the whole transform.
int orient(hg_module_request* r, const TiffLayout& L, Pixels& img) {
    const int o = L.orientation;
    if (transposed(L)) {
        if (!L.raw16 && (o == ORIENTATION_RIGHTTOP || o == ORIENTATION_LEFTBOT)) flip(img, true, true);
        if (int s = transpose_out(r, img)) return s;
        if (L.raw16 && o != ORIENTATION_LEFTTOP)
            flip(img, o == ORIENTATION_RIGHTBOT || o == ORIENTATION_LEFTBOT, o == ORIENTATION_RIGHTTOP || o == ORIENTATION_RIGHTBOT);
    } else if (L.raw16 && o >= ORIENTATION_TOPRIGHT && o <= ORIENTATION_BOTLEFT) {
        flip(img, o != ORIENTATION_TOPRIGHT, o != ORIENTATION_BOTLEFT);
    }
    return 0;
}

// Where the pixels are decoded: straight into the caller's buffer, or into
// our own when the orientation transposes the image.
int start_pixels(hg_module_request* r, const TiffLayout& L, Pixels& img) {
    img.width = L.width;
    img.height = L.height;
    img.channels = L.out_channels;
    if (transposed(L)) {
        img.own.resize(img.width * img.height * img.channels);
        img.p = img.own.data();
    } else {
        img.p = r->alloc_pixels(r->alloc_ctx, static_cast<int>(L.width), static_cast<int>(L.height), L.out_channels);
        if (!img.p) return fail(r, Status::out_of_memory, "tiff: out of memory for the output image");
    }
    return 0;
}

TIFF* open_tiff(TiffSource& src, std::uint64_t max_memory) {
    TIFFOpenOptions* o = TIFFOpenOptionsAlloc();
    if (!o) return nullptr;
    const std::uint64_t cap = std::min<std::uint64_t>(max_memory, std::uint64_t{1} << 40);
    TIFFOpenOptionsSetMaxSingleMemAlloc(o, static_cast<tmsize_t>(cap));
    TIFFOpenOptionsSetErrorHandlerExtR(o, tiff_on_error, &src);
    TIFFOpenOptionsSetWarningHandlerExtR(o, tiff_on_warning, &src);
    TIFF* t = TIFFClientOpenExt("tiff", "r", &src, tiff_read, tiff_write, tiff_seek, tiff_close, tiff_size, tiff_map,
                                tiff_unmap, o);
    TIFFOpenOptionsFree(o);
    return t;
}

int decode_tiff(hg_module_request* r) {
    TiffSource src{r->data, r->len, 0, {}};
    TiffCloser tif{open_tiff(src, r->max_memory_bytes)};
    if (!tif.t) return tiff_error(r, src, "cannot open");
    TiffLayout raw, L;
    if (int s = read_layout(r, tif.t, src, raw)) return s;
    if (int s = choose_path(r, raw, L)) return s;
    if (int s = check_tiff_limits(r, tif.t, L)) return s;
    Pixels img;
    if (int s = start_pixels(r, L, img)) return s;
    if (int s = L.raw16 ? read_raw16(r, tif.t, src, L, img) : read_rgba(r, tif.t, src, L, img)) return s;
    if (int s = orient(r, L, img)) return s;
    r->width = img.width;
    r->height = img.height;
    return 0;
}

int decode(hg_module_request* r) {
    r->message[0] = 0;
    try {
        return decode_tiff(r);
    } catch (const std::bad_alloc&) {
        return fail(r, Status::out_of_memory, "tiff: out of memory");
    } catch (...) {
        return fail(r, Status::internal, "tiff: internal error");
    }
}

char g_library[64];

const hg_module_v1 kModule = {HG_MODULE_ABI, sizeof(hg_module_v1), "tiff", g_library, nullptr, decode, nullptr};

}  // namespace

extern "C" __attribute__((visibility("default"))) const hg_module_v1* hashguard_module_v1(void) {
    // TIFFGetVersion(): "LIBTIFF, Version 4.5.0\nCopyright ..."; keep the first line.
    static const bool named = [] {
        const char* v = TIFFGetVersion();
        std::snprintf(g_library, sizeof g_library, "%.*s", v ? static_cast<int>(std::strcspn(v, "\n")) : 0, v ? v : "");
        return true;
    }();
    (void)named;
    return &kModule;
}
