// The HEIC/AVIF module (hashguard-heif.so): libheif behind the module
// interface of module_abi.h. Loaded by libhashguard the first time an
// attachment sniffs as HEIF, so libheif and its codecs (libde265, x265,
// dav1d, libaom) never enter an image-only process.
//
// Pixels as the reference gets them: the reference CLI loads a HEIC/AVIF
// file through CImg, which runs ImageMagick's `convert FILE pnm:-`.
// ImageMagick 6.9.11's reader asks libheif for the primary image (its
// transformations irot, imir, clap applied) as 8-bit YCbCr 4:2:0 planes and
// converts them to sRGB with its own Q16 arithmetic: see ycbcr420_to_rgb.
//
// Never printing: AV1 goes through the module's own dav1d plugin
// (heif_dav1d.cpp, silent logger), HEVC through its own libavcodec plugin
// (heif_hevc.cpp, silenced per codec context): libheif's built-in libde265
// writes bitstream errors to stderr.
#include <libheif/heif.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "hashguard/status.hpp"
#include "modules/heif_dav1d.hpp"
#include "modules/heif_hevc.hpp"
#include "modules/module_abi.h"

namespace {

using hashguard::Status;

int fail(hg_module_request* r, Status s, const char* fmt, const char* detail = "") {
    std::snprintf(r->message, sizeof r->message, fmt, detail);
    return static_cast<int>(s);
}

int heif_fail(hg_module_request* r, const heif_error& e, const char* what) {
    std::snprintf(r->message, sizeof r->message, "heif: %s: %s", what, e.message ? e.message : "unknown error");
    if (e.code == heif_error_Memory_allocation_error) return static_cast<int>(Status::out_of_memory);
    if (e.code == heif_error_Unsupported_feature || e.code == heif_error_Unsupported_filetype)
        return static_cast<int>(Status::unsupported_format);
    return static_cast<int>(Status::decode_failed);
}

// RAII owners of libheif's objects.
struct Context {
    heif_context* ctx = heif_context_alloc();
    heif_image_handle* handle = nullptr;
    heif_image* image = nullptr;
    heif_decoding_options* options = nullptr;
    ~Context() {
        if (options) heif_decoding_options_free(options);
        if (image) heif_image_release(image);
        if (handle) heif_image_handle_release(handle);
        if (ctx) heif_context_free(ctx);
    }
};

void init_once() {
    static std::once_flag once;
    std::call_once(once, [] { heif_init(nullptr); });
}

// Parses the container (no decoding) and reads the primary image's size; the
// library checks it against the limits (check_dimensions) before decode is
// called, and decode checks the decoded image again.
int open_primary(hg_module_request* r, Context& c) {
    init_once();
    if (!c.ctx) return fail(r, Status::out_of_memory, "heif: could not allocate a decoding context%s");
    // libheif's own limit: no image (or grid tile) above max_dimension a side.
    heif_context_set_maximum_image_size_limit(c.ctx, static_cast<int>(std::min<std::uint32_t>(r->max_dimension, 1u << 30)));
    // Decode on the calling thread: the scanner runs its own threads.
    heif_context_set_max_decoding_threads(c.ctx, 0);
    heif_error e = heif_context_read_from_memory_without_copy(c.ctx, r->data, r->len, nullptr);
    if (e.code != heif_error_Ok) return heif_fail(r, e, "container");
    e = heif_context_get_primary_image_handle(c.ctx, &c.handle);
    if (e.code != heif_error_Ok) return heif_fail(r, e, "primary image");
    const int w = heif_image_handle_get_width(c.handle), h = heif_image_handle_get_height(c.handle);
    if (w <= 0 || h <= 0) return fail(r, Status::decode_failed, "heif: the primary image has no size%s");
    r->width = static_cast<std::uint64_t>(w);
    r->height = static_cast<std::uint64_t>(h);
    return 0;
}

int probe(hg_module_request* r) noexcept {
    try {
        Context c;
        return open_primary(r, c);
    } catch (...) {
        return fail(r, Status::internal, "heif: unexpected exception while reading the container%s");
    }
}

// ImageMagick 6.9.11's YCbCr -> sRGB in Q16 (colorspace.c, the BT.601
// full-range inverse with its published 20-digit coefficients), with its
// rounding: each 8-bit sample becomes the quantum v * 257, is scaled to [0, 1]
// by multiplying with 1/65535, the three weighted terms are summed left to
// right in double, times 65535, clamped, rounded half up to a 16-bit quantum,
// then reduced to 8 bits with ((q + 128) - ((q + 128) >> 8)) >> 8.
//
// Each weighted term depends on one sample only, so it is tabulated: the
// products are the same doubles ImageMagick computes, and only the two sums,
// the scaling and the rounding are done per pixel, in ImageMagick's order.
struct YccTables {
    // [channel][sample]: the luma term, the Cb term and the Cr term for R, G, B.
    double luma[3][256], cb[3][256], cr[3][256];
    YccTables() {
        // Coefficients of ImageMagick 6.9.11's ConvertYPbPrToRGB. The signs are
        // folded in: R = Y - cb + cr, G = Y - cb - cr, B = Y + cb + cr.
        static const double kY[3] = {0.99999999999914679361, 0.99999975910502514331, 1.00000124040004623180};
        static const double kCb[3] = {1.2188941887145875e-06, 0.34413567816504303521, 1.77200006607230409200};
        static const double kCr[3] = {1.4019995886561440468, 0.71413649331646789076, 2.1453384174593273e-06};
        const double scale = 1.0 / 65535.0;  // ImageMagick's QuantumScale
        for (int v = 0; v < 256; ++v) {
            const double x = scale * static_cast<double>(v * 257);  // ScaleCharToQuantum, then QuantumScale
            for (int c = 0; c < 3; ++c) {
                luma[c][v] = kY[c] * x;
                cb[c][v] = kCb[c] * (x - 0.5);
                cr[c][v] = kCr[c] * (x - 0.5);
            }
        }
    }
};

// One channel: the sum in ImageMagick's order and sign, then its Q16 clamp
// and rounding (ClampToQuantum), then its Q16 -> 8-bit reduction.
inline std::uint8_t to_8bit(double sum) {
    const double v = 65535.0 * sum;
    unsigned q;
    if (!(v > 0.0))
        q = 0;
    else if (v >= 65535.0)
        q = 65535;
    else
        q = static_cast<unsigned>(v + 0.5);
    return static_cast<std::uint8_t>(((q + 128u) - ((q + 128u) >> 8)) >> 8);
}

// The reference's pixels: ImageMagick 6.9.11's HEIC/AVIF reader asks libheif
// for 8-bit YCbCr 4:2:0 planes of the primary image (transformations applied,
// libheif converting when the coded image is not 4:2:0), upsamples chroma by
// repetition (sample (x/2, y/2)), stores the result in an image of colorspace
// YCbCr, and converts it to sRGB with its own formula (when the reader finds
// an ICC profile, or when the reference's `convert FILE pnm:-` writes it).
// libheif's own YCbCr -> RGB conversion (bilinear chroma, integer
// arithmetic) is not used by it. Alpha is ignored by that reader. No
// (Y, Cb, Cr) triple converts to R == G == B (checked over all 2^24), so the
// result never collapses to grey, and `convert` writes it as RGB (P6) too.
void ycbcr420_to_rgb(const std::uint8_t* py, int sy, const std::uint8_t* pcb, int scb, const std::uint8_t* pcr, int scr,
                     int w, int h, std::uint8_t* out) {
    static const YccTables t;
    for (int y = 0; y < h; ++y) {
        const std::uint8_t* ly = py + static_cast<std::size_t>(sy) * y;
        const std::uint8_t* lcb = pcb + static_cast<std::size_t>(scb) * (y / 2);
        const std::uint8_t* lcr = pcr + static_cast<std::size_t>(scr) * (y / 2);
        for (int x = 0; x < w; ++x, out += 3) {
            const int Y = ly[x], Cb = lcb[x / 2], Cr = lcr[x / 2];
            out[0] = to_8bit((t.luma[0][Y] - t.cb[0][Cb]) + t.cr[0][Cr]);
            out[1] = to_8bit((t.luma[1][Y] - t.cb[1][Cb]) - t.cr[1][Cr]);
            out[2] = to_8bit((t.luma[2][Y] + t.cb[2][Cb]) + t.cr[2][Cr]);
        }
    }
}

int decode(hg_module_request* r) noexcept {
    try {
        Context c;
        if (int s = open_primary(r, c)) return s;
        // AV1 through the module's own dav1d plugin (heif_dav1d.cpp): libheif's
        // built-in one lets dav1d log bitstream errors to stderr.
        heif_error e = heif_register_decoder(c.ctx, hashguard_heif::silent_dav1d_plugin());
        if (e.code != heif_error_Ok) return heif_fail(r, e, "installing the AV1 decoder");
        // HEVC through the module's own libavcodec plugin (heif_hevc.cpp):
        // libheif's built-in libde265 prints bitstream errors to stderr.
        e = heif_register_decoder(c.ctx, hashguard_heif::silent_hevc_plugin());
        if (e.code != heif_error_Ok) return heif_fail(r, e, "installing the HEVC decoder");
        const hashguard_heif::FrameSizeLimit frame_limit(r->max_pixels);
        c.options = heif_decoding_options_alloc();
        if (!c.options) return fail(r, Status::out_of_memory, "heif: could not allocate decoding options%s");
        c.options->ignore_transformations = 0;
        c.options->convert_hdr_to_8bit = 1;
        e = heif_decode_image(c.handle, &c.image, heif_colorspace_YCbCr, heif_chroma_420, c.options);
        if (e.code != heif_error_Ok) return heif_fail(r, e, "decode");
        const int w = heif_image_get_width(c.image, heif_channel_Y);
        const int h = heif_image_get_height(c.image, heif_channel_Y);
        int sy = 0, scb = 0, scr = 0;
        const std::uint8_t* py = heif_image_get_plane_readonly(c.image, heif_channel_Y, &sy);
        const std::uint8_t* pcb = heif_image_get_plane_readonly(c.image, heif_channel_Cb, &scb);
        const std::uint8_t* pcr = heif_image_get_plane_readonly(c.image, heif_channel_Cr, &scr);
        if (!py || !pcb || !pcr || w <= 0 || h <= 0)
            return fail(r, Status::decode_failed, "heif: the decoder returned no YCbCr 4:2:0 planes%s");
        const int cw = (w + 1) / 2, ch = (h + 1) / 2;
        if (heif_image_get_bits_per_pixel_range(c.image, heif_channel_Y) != 8 ||
            heif_image_get_bits_per_pixel_range(c.image, heif_channel_Cb) != 8 ||
            heif_image_get_bits_per_pixel_range(c.image, heif_channel_Cr) != 8)
            return fail(r, Status::unsupported_format, "heif: the decoder returned samples of more than 8 bits%s");
        if (sy < w || heif_image_get_width(c.image, heif_channel_Cb) < cw ||
            heif_image_get_height(c.image, heif_channel_Cb) < ch || heif_image_get_width(c.image, heif_channel_Cr) < cw ||
            heif_image_get_height(c.image, heif_channel_Cr) < ch || scb < cw || scr < cw)
            return fail(r, Status::decode_failed, "heif: the decoder returned inconsistent YCbCr 4:2:0 planes%s");
        if (static_cast<std::uint64_t>(w) > r->max_dimension || static_cast<std::uint64_t>(h) > r->max_dimension ||
            static_cast<std::uint64_t>(w) * static_cast<std::uint64_t>(h) > r->max_pixels)
            return fail(r, Status::limit_pixels, "heif: the decoded image is larger than the limits allow%s");
        std::uint8_t* out = r->alloc_pixels(r->alloc_ctx, w, h, 3);
        if (!out) return fail(r, Status::out_of_memory, "heif: could not allocate the output pixels%s");
        ycbcr420_to_rgb(py, sy, pcb, scb, pcr, scr, w, h, out);
        r->width = static_cast<std::uint64_t>(w);
        r->height = static_cast<std::uint64_t>(h);
        return 0;
    } catch (...) {
        return fail(r, Status::internal, "heif: unexpected exception while decoding%s");
    }
}

char g_library[64];

}  // namespace

extern "C" __attribute__((visibility("default"))) const hg_module_v1* hashguard_module_v1(void) {
    static const hg_module_v1 module = [] {
        std::snprintf(g_library, sizeof g_library, "libheif %s", heif_get_version());
        return hg_module_v1{HG_MODULE_ABI, sizeof(hg_module_v1), "heif", g_library, probe, decode, nullptr};
    }();
    return &module;
}
