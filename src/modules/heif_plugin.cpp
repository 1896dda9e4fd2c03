// Pieces shared by the heif module's decoder plugins. See heif_plugin.hpp.
#include "modules/heif_plugin.hpp"

#include <cstring>

namespace hashguard_heif {

namespace {
const char kOk[] = "Success";
void ignore_strict_decoding(void*, int) {}
}  // namespace

heif_error plugin_ok() { return heif_error{heif_error_Ok, heif_suberror_Unspecified, kOk}; }

heif_error plugin_error(heif_error_code code, const char* message) {
    return heif_error{code, heif_suberror_Unspecified, message};
}

heif_error buffer_data(std::vector<std::uint8_t>& buf, const void* data, std::size_t size, const char* oom_message) {
    try {
        const auto* p = static_cast<const std::uint8_t*>(data);
        buf.insert(buf.end(), p, p + size);
    } catch (...) {
        return plugin_error(heif_error_Memory_allocation_error, oom_message);
    }
    return plugin_ok();
}

heif_error to_heif_image(const DecodedPicture& pic, heif_image** out, const char* no_data) {
    heif_image* img = nullptr;
    heif_error e = heif_image_create(pic.width, pic.height, pic.colorspace, pic.chroma, &img);
    if (e.code != heif_error_Ok) return e;
    if (heif_color_profile_nclx* nclx = heif_nclx_color_profile_alloc()) {
        heif_nclx_color_profile_set_color_primaries(nclx, pic.primaries);
        heif_nclx_color_profile_set_transfer_characteristics(nclx, pic.transfer);
        heif_nclx_color_profile_set_matrix_coefficients(nclx, pic.matrix);
        nclx->full_range_flag = pic.full_range;
        heif_image_set_nclx_color_profile(img, nclx);
        heif_nclx_color_profile_free(nclx);
    }
    static const heif_channel kPlanes[3] = {heif_channel_Y, heif_channel_Cb, heif_channel_Cr};
    const int bytes = (pic.depth + 7) / 8;
    for (int c = 0; c < pic.planes; ++c) {
        const DecodedPicture::Plane& p = pic.plane[c];
        e = heif_image_add_plane(img, kPlanes[c], p.width, p.height, pic.depth);
        if (e.code != heif_error_Ok) {
            heif_image_release(img);
            return e;
        }
        int dst_stride = 0;
        std::uint8_t* dst = heif_image_get_plane(img, kPlanes[c], &dst_stride);
        if (!dst || !p.data) {
            heif_image_release(img);
            return plugin_error(heif_error_Decoder_plugin_error, no_data);
        }
        for (int y = 0; y < p.height; ++y)
            std::memcpy(dst + static_cast<std::ptrdiff_t>(dst_stride) * y, p.data + p.stride * y,
                        static_cast<std::size_t>(p.width) * bytes);
    }
    *out = img;
    return plugin_ok();
}

heif_decoder_plugin plugin_table(const char* (*name)(), int (*supports)(heif_compression_format),
                                 heif_error (*create)(void**), void (*destroy)(void*),
                                 heif_error (*push)(void*, const void*, std::size_t),
                                 heif_error (*decode)(void*, heif_image**), const char* id) {
    return heif_decoder_plugin{
        3,  // plugin_api_version: libheif 1.15's
        name,   nullptr /* init_plugin */, nullptr /* deinit_plugin */, supports, create, destroy, push, decode,
        ignore_strict_decoding, id,
    };
}

}  // namespace hashguard_heif
