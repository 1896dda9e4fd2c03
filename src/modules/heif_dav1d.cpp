// A silent AV1 decoder for libheif: a decoder plugin (libheif/heif_plugin.h,
// plugin API version 3, libheif >= 1.15) driving libdav1d directly.
//
// Why: libheif's built-in dav1d plugin opens dav1d with its default settings,
// and dav1d's default logger writes bitstream errors ("Error parsing OBU
// data", ...) to stderr; a library scanning untrusted attachments must never
// print. This plugin gives dav1d a logger that discards everything, decodes on
// the calling thread (the scanner runs its own threads), and caps the frame
// size at the request's pixel limit. Its output is the built-in plugin's: the
// decoded planes as they are, in a heif_image of the same colorspace, chroma,
// bit depth and nclx colour profile, so libheif's later steps (transformations,
// 4:2:0 conversion for non-4:2:0 images) see the same image.
//
// It is registered on each heif_context the module creates (heif_context's
// own plugin list), with a priority above the built-in dav1d (150) and libaom
// (100) plugins, so other libheif users in the process are left alone.
#include "modules/heif_dav1d.hpp"
#include "modules/heif_plugin.hpp"

#include <dav1d/dav1d.h>
#include <libheif/heif_plugin.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <new>
#include <vector>

namespace hashguard_heif {

namespace {

constexpr int kPriority = 200;           // wins over libheif's dav1d (150) and aom (100)
constexpr unsigned kDefaultLimit = 1u << 28;  // pixels, when no request set one

thread_local unsigned t_frame_size_limit = 0;

struct Decoder {
    Dav1dContext* ctx = nullptr;
    std::vector<std::uint8_t> data;  // everything pushed, sent at decode time
};

void silent_log(void*, const char*, va_list) {}

const char* plugin_name() { return "hashguard silent dav1d"; }

int supports(heif_compression_format format) { return format == heif_compression_AV1 ? kPriority : 0; }

heif_error new_decoder(void** out) {
    *out = nullptr;
    Decoder* d = new (std::nothrow) Decoder;
    if (!d) return plugin_error(heif_error_Memory_allocation_error, "could not allocate the AV1 decoder");
    Dav1dSettings s;
    dav1d_default_settings(&s);
    s.n_threads = 1;        // no worker threads: decode on the caller's thread
    s.max_frame_delay = 1;  // one still image: no frame pipelining
    s.all_layers = 0;       // the highest spatial layer only, as libheif's plugin
    s.frame_size_limit = t_frame_size_limit ? t_frame_size_limit : kDefaultLimit;
    s.logger.cookie = nullptr;
    s.logger.callback = silent_log;
    if (dav1d_open(&d->ctx, &s) != 0) {
        delete d;
        return plugin_error(heif_error_Decoder_plugin_error, "could not open the AV1 decoder");
    }
    *out = d;
    return plugin_ok();
}

void free_decoder(void* raw) {
    Decoder* d = static_cast<Decoder*>(raw);
    if (!d) return;
    if (d->ctx) dav1d_close(&d->ctx);
    delete d;
}

heif_error push_data(void* raw, const void* data, size_t size) {
    return buffer_data(static_cast<Decoder*>(raw)->data, data, size, "could not buffer the AV1 data");
}

// Owns a Dav1dPicture / Dav1dData until the end of the scope.
struct PictureRef {
    Dav1dPicture pic;
    PictureRef() { std::memset(&pic, 0, sizeof pic); }
    ~PictureRef() { dav1d_picture_unref(&pic); }
};
struct DataRef {
    Dav1dData data;
    DataRef() { std::memset(&data, 0, sizeof data); }
    ~DataRef() {
        if (data.ref) dav1d_data_unref(&data);
    }
};

// Sends all the data, then takes the first picture out. dav1d returns
// EAGAIN from get_picture until it has one; once all data is sent, one more
// EAGAIN means the stream holds no picture.
int decode_picture(Decoder* d, Dav1dPicture& pic) {
    DataRef in;
    std::uint8_t* buf = dav1d_data_create(&in.data, d->data.size());
    if (!buf) return DAV1D_ERR(ENOMEM);
    if (!d->data.empty()) std::memcpy(buf, d->data.data(), d->data.size());
    std::vector<std::uint8_t>().swap(d->data);
    bool drained = false;
    for (;;) {
        if (in.data.sz > 0) {
            const int res = dav1d_send_data(d->ctx, &in.data);
            if (res < 0 && res != DAV1D_ERR(EAGAIN)) return res;
        }
        const int res = dav1d_get_picture(d->ctx, &pic);
        if (res == 0) return 0;
        if (res != DAV1D_ERR(EAGAIN)) return res;
        if (in.data.sz == 0) {
            if (drained) return res;
            drained = true;
        }
    }
}

heif_error decode_image(void* raw, heif_image** out) {
    *out = nullptr;
    Decoder* d = static_cast<Decoder*>(raw);
    PictureRef ref;
    const int res = decode_picture(d, ref.pic);
    if (res == DAV1D_ERR(ENOMEM)) return plugin_error(heif_error_Memory_allocation_error, "AV1 decoder out of memory");
    if (res != 0) return plugin_error(heif_error_Decoder_plugin_error, "the AV1 data could not be decoded");
    const Dav1dPicture& pic = ref.pic;

    heif_colorspace colorspace = heif_colorspace_YCbCr;
    heif_chroma chroma;
    switch (pic.p.layout) {
        case DAV1D_PIXEL_LAYOUT_I420: chroma = heif_chroma_420; break;
        case DAV1D_PIXEL_LAYOUT_I422: chroma = heif_chroma_422; break;
        case DAV1D_PIXEL_LAYOUT_I444: chroma = heif_chroma_444; break;
        case DAV1D_PIXEL_LAYOUT_I400:
            chroma = heif_chroma_monochrome;
            colorspace = heif_colorspace_monochrome;
            break;
        default: return plugin_error(heif_error_Decoder_plugin_error, "unknown AV1 pixel layout");
    }
    if (pic.p.w <= 0 || pic.p.h <= 0 || !pic.seq_hdr)
        return plugin_error(heif_error_Decoder_plugin_error, "the AV1 decoder returned an empty picture");

    DecodedPicture out_pic;
    out_pic.width = pic.p.w;
    out_pic.height = pic.p.h;
    out_pic.depth = pic.p.bpc;
    out_pic.colorspace = colorspace;
    out_pic.chroma = chroma;
    out_pic.planes = chroma == heif_chroma_monochrome ? 1 : 3;
    const int ss_x = chroma == heif_chroma_420 || chroma == heif_chroma_422;
    const int ss_y = chroma == heif_chroma_420;
    for (int c = 0; c < out_pic.planes; ++c)
        out_pic.plane[c] = {static_cast<const std::uint8_t*>(pic.data[c]), pic.stride[c ? 1 : 0],
                            c ? (pic.p.w + ss_x) >> ss_x : pic.p.w, c ? (pic.p.h + ss_y) >> ss_y : pic.p.h};
    // The colour description of the AV1 sequence header, as libheif's plugin
    // attaches it (values libheif does not know are left at its defaults).
    out_pic.primaries = static_cast<std::uint16_t>(pic.seq_hdr->pri);
    out_pic.transfer = static_cast<std::uint16_t>(pic.seq_hdr->trc);
    out_pic.matrix = static_cast<std::uint16_t>(pic.seq_hdr->mtrx);
    out_pic.full_range = pic.seq_hdr->color_range != 0;
    return to_heif_image(out_pic, out, "the AV1 picture has no plane data");
}

constexpr char kUnexpected[] = "unexpected exception in the AV1 decoder";

const heif_decoder_plugin kPlugin = plugin_table(plugin_name, supports, new_decoder, free_decoder, push_data,
                                                 decode_noexcept<decode_image, kUnexpected>, "hashguard-dav1d");

}  // namespace

const heif_decoder_plugin* silent_dav1d_plugin() { return &kPlugin; }

unsigned frame_size_limit() { return t_frame_size_limit; }

FrameSizeLimit::FrameSizeLimit(std::uint64_t max_pixels) : previous_(t_frame_size_limit) {
    t_frame_size_limit = max_pixels == 0 ? 1u : max_pixels >= 0xffffffffu ? 0xffffffffu : static_cast<unsigned>(max_pixels);
}

FrameSizeLimit::~FrameSizeLimit() { t_frame_size_limit = previous_; }

}  // namespace hashguard_heif
