// What the heif module's own libheif decoder plugins (heif_dav1d.cpp: AV1,
// heif_hevc.cpp: HEVC) share: errors, buffering pushed data, the picture
// handed to libheif, the exception guard and the plugin table.
#pragma once
#include <libheif/heif_plugin.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hashguard_heif {

heif_error plugin_ok();
heif_error plugin_error(heif_error_code code, const char* message);

/// Appends libheif's pushed data to `buf` (decoded all at once later);
/// a memory error with `oom_message` when it cannot grow.
heif_error buffer_data(std::vector<std::uint8_t>& buf, const void* data, std::size_t size, const char* oom_message);

/// A decoded picture as the codec returned it: planes Y, Cb, Cr (one for
/// monochrome) at `depth` bits, and the colour description of its bitstream
/// (ITU-T H.273 codes).
struct DecodedPicture {
    int width = 0, height = 0, depth = 8, planes = 3;
    heif_colorspace colorspace = heif_colorspace_YCbCr;
    heif_chroma chroma = heif_chroma_420;
    struct Plane {
        const std::uint8_t* data = nullptr;
        std::ptrdiff_t stride = 0;
        int width = 0, height = 0;
    } plane[3];
    std::uint16_t primaries = 2, transfer = 2, matrix = 2;  // 2: unspecified
    bool full_range = false;
};

/// The picture as a heif_image of the same colourspace, chroma and depth
/// with its nclx profile, planes copied as they are (what libheif's own
/// plugins hand it). `no_data` is the message when a plane has no data.
heif_error to_heif_image(const DecodedPicture& pic, heif_image** out, const char* no_data);

/// libheif's decode_image entry for `Decode`: nothing thrown crosses into
/// libheif (an exception is a plugin error with `Message`).
template <heif_error (*Decode)(void*, heif_image**), const char* Message>
heif_error decode_noexcept(void* decoder, heif_image** out) noexcept {
    try {
        return Decode(decoder, out);
    } catch (...) {
        return plugin_error(heif_error_Decoder_plugin_error, Message);
    }
}

/// A plugin table of libheif 1.15's plugin API 3, strict decoding ignored
/// (the codecs decode the same either way), no init/deinit.
heif_decoder_plugin plugin_table(const char* (*name)(), int (*supports)(heif_compression_format),
                                 heif_error (*create)(void**), void (*destroy)(void*),
                                 heif_error (*push)(void*, const void*, std::size_t),
                                 heif_error (*decode)(void*, heif_image**), const char* id);

}  // namespace hashguard_heif
