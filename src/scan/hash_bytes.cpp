// pdq_hash_bytes() and pdq_hash_frames(): decode + hash with thread-local
// buffers. Kept apart from pdq.cpp so the hash core builds without the
// decoders (the AArch64 cross test links only the core).
//
// A fused JPEG path (libjpeg scanlines straight into the luma buffer, no RGB
// image) was tried and measured: no faster than decoding into a reused
// buffer on these machines (equal at 12 MP, slower for small photos), so it
// was removed; see HACKING.md.
#include "common/errors.hpp"
#include "decode/decode_internal.hpp"
#include "hashguard/pdq.hpp"
#include "scan/scanner.hpp"

namespace hashguard {

Error pdq_hash_bytes(const std::uint8_t* data, std::size_t len, PdqDihedral& out,
                     const DecodeOptions& decode_options, const PdqOptions& pdq_options) noexcept {
    return detail::guard([&]() -> Error {
        thread_local PdqHasher hasher;
        thread_local Image image;  // reused: no per-call pixel allocation
        out = PdqDihedral{};
        Error e = decode_image(data, len, image, decode_options);
        if (!e) e = hasher.hash_dihedral(image, out, pdq_options);
        // A huge image's buffer is not kept for the thread's lifetime.
        if (image.pixels.capacity() > scan::Scanner::kMaxKeptScratch) std::vector<std::uint8_t>().swap(image.pixels);
        return e;
    });
}

Error pdq_hash_frames(const std::uint8_t* data, std::size_t len, std::vector<PdqDihedral>& out,
                      const DecodeOptions& decode_options, const PdqOptions& pdq_options) noexcept {
    return detail::guard([&]() -> Error {
        out.clear();
        PdqHasher hasher;
        DecodeOptions opt = decode_options;
        opt.frame = 0;
        return detail::decode_frames(data, len, opt, [&](const Image& frame) -> Error {
            PdqDihedral h;
            if (Error e = hasher.hash_dihedral(frame, h, pdq_options)) return e;
            out.push_back(h);
            return {};
        });
    });
}

}  // namespace hashguard
