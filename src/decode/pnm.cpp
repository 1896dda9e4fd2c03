// Binary PNM (P5/P6): the format the reference's pixel vectors are stored in.
#include <string>

#include "decode/decode_internal.hpp"
#include "decode/pnm_header.hpp"

namespace hashguard::detail {

Error decode_pnm(const std::uint8_t* data, std::size_t len, const DecodeOptions&, Image& out) {
    PnmHeader h;
    if (!parse_pnm_header(data, len, h)) return {Status::decode_failed, "pnm header is truncated or invalid"};
    const std::size_t bps = h.maxval > 255 ? 2 : 1;
    const std::size_t samples = static_cast<std::size_t>(h.width) * h.height * h.channels;
    if (len - h.data_offset < samples * bps)
        return {Status::decode_failed, "pnm is truncated: " + std::to_string(len - h.data_offset) + " sample bytes, " +
                                           std::to_string(samples * bps) + " needed"};
    allocate(out, static_cast<int>(h.width), static_cast<int>(h.height), h.channels);
    const std::uint8_t* s = data + h.data_offset;
    for (std::size_t i = 0; i < samples; ++i) {
        unsigned v = bps == 2 ? (unsigned{s[2 * i]} << 8) | s[2 * i + 1] : s[i];
        if (v > h.maxval) v = h.maxval;
        // Rescale to 0..255 when maxval differs (ImageMagick-style for 16-bit).
        if (h.maxval == 255) out.pixels[i] = static_cast<std::uint8_t>(v);
        else if (h.maxval == 65535) out.pixels[i] = scale16to8(v);
        else out.pixels[i] = static_cast<std::uint8_t>((v * 255u + h.maxval / 2) / h.maxval);
    }
    return {};
}

}  // namespace hashguard::detail
