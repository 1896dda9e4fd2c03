// TIFF through the tiff module (hashguard-tiff.so, libtiff: see
// src/modules/tiff_module.cpp), loaded the first time a TIFF arrives. The
// header was already read and checked by probe_tiff (headers.cpp); the module
// checks libtiff's own values again.
#include "decode/decode_internal.hpp"

namespace hashguard::detail {

Error decode_tiff(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, Image& out) {
    return decode_with_module("tiff", "tiff", data, len, opt, out);
}

}  // namespace hashguard::detail
