// The HEIC/AVIF module (hashguard-heif.so): libheif behind the module
// interface of module_abi.h. Loaded by libhashguard the first time an
// attachment sniffs as HEIF, so libheif and its codecs (libde265, x265,
// dav1d, libaom) never enter an image-only process.
//
// Pixels as the reference gets them: the reference CLI decodes through
// ImageMagick's libheif delegate, which asks libheif for interleaved 8-bit
// RGB of the primary image with its transformations (irot, imir, clap)
// applied, so libheif's own YCbCr -> RGB conversion makes the pixels; alpha
// is dropped (hashguard drops it for every format).
#include <libheif/heif.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "hashguard/status.hpp"
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

int decode(hg_module_request* r) noexcept {
    try {
        Context c;
        if (int s = open_primary(r, c)) return s;
        c.options = heif_decoding_options_alloc();
        if (!c.options) return fail(r, Status::out_of_memory, "heif: could not allocate decoding options%s");
        c.options->ignore_transformations = 0;
        c.options->convert_hdr_to_8bit = 1;
        heif_error e = heif_decode_image(c.handle, &c.image, heif_colorspace_RGB, heif_chroma_interleaved_RGB, c.options);
        if (e.code != heif_error_Ok) return heif_fail(r, e, "decode");
        const int w = heif_image_get_width(c.image, heif_channel_interleaved);
        const int h = heif_image_get_height(c.image, heif_channel_interleaved);
        int stride = 0;
        const std::uint8_t* p = heif_image_get_plane_readonly(c.image, heif_channel_interleaved, &stride);
        if (!p || w <= 0 || h <= 0 || stride < 3 * w)
            return fail(r, Status::decode_failed, "heif: the decoder returned no interleaved RGB plane%s");
        if (static_cast<std::uint64_t>(w) > r->max_dimension || static_cast<std::uint64_t>(h) > r->max_dimension ||
            static_cast<std::uint64_t>(w) * static_cast<std::uint64_t>(h) > r->max_pixels)
            return fail(r, Status::limit_pixels, "heif: the decoded image is larger than the limits allow%s");
        std::uint8_t* out = r->alloc_pixels(r->alloc_ctx, w, h, 3);
        if (!out) return fail(r, Status::out_of_memory, "heif: could not allocate the output pixels%s");
        const std::size_t row = static_cast<std::size_t>(w) * 3;
        for (int y = 0; y < h; ++y) std::memcpy(out + row * static_cast<std::size_t>(y), p + static_cast<std::size_t>(stride) * y, row);
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
        return hg_module_v1{HG_MODULE_ABI, sizeof(hg_module_v1), "heif", g_library, probe, decode};
    }();
    return &module;
}
