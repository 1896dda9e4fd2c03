// pdq_hash_bytes(): decode + hash. Kept apart from pdq.cpp so the hash core
// builds without the decoders (the AArch64 cross test links only the core).
//
// Exact-mode JPEG (the common attachment) takes the fused path: decoded
// scanline by scanline straight into the luma buffer, never materialising the
// RGB image. Everything else decodes to an Image first.
#include "common/errors.hpp"
#include "decode/decode_internal.hpp"
#include "hashguard/pdq.hpp"
#include "kernels/kernels.hpp"
#include "pdq/pdq_core.hpp"

namespace hashguard {

Error pdq_hash_bytes(const std::uint8_t* data, std::size_t len, PdqDihedral& out,
                     const DecodeOptions& decode_options, const PdqOptions& pdq_options) noexcept {
    return detail::guard([&]() -> Error {
        thread_local detail::LumaPipeline pipeline;
        thread_local PdqHasher hasher;
        thread_local Image image;
        out = PdqDihedral{};
        Format f;
        if (Error e = detail::precheck(data, len, decode_options, f)) return e;
        if (f == Format::jpeg && !decode_options.fast) {
            int rows = 0, cols = 0;
            bool handled = false;
            if (Error e = detail::decode_jpeg_luma(data, len, decode_options, pdq_options.pre_resize, pipeline, rows,
                                                   cols, handled))
                return e;
            if (handled) {
                pipeline.finish(kernels::active(), rows, cols, out);
                return {};
            }
        }
        if (Error e = decode_image(data, len, image, decode_options)) return e;
        return hasher.hash_dihedral(image, out, pdq_options);
    });
}

}  // namespace hashguard
