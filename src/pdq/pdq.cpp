// PdqHasher: decode-independent PDQ hashing of 8-bit pixels.
#include "hashguard/pdq.hpp"

#include <bit>
#include <new>
#include <vector>

#include "common/errors.hpp"
#include "common/hex.hpp"
#include "kernels/kernels.hpp"
#include "pdq/pdq_core.hpp"

namespace hashguard {

bool Hash256::is_zero() const noexcept {
    for (auto x : w)
        if (x) return false;
    return true;
}

int Hash256::popcount() const noexcept {
    int n = 0;
    for (auto x : w) n += std::popcount(static_cast<unsigned>(x));
    return n;
}

void Hash256::to_bytes(std::uint8_t out[32]) const noexcept {
    for (int i = 0; i < 16; ++i) {  // word 15 first, each big-endian: the printed order
        out[2 * i] = static_cast<std::uint8_t>(w[15 - i] >> 8);
        out[2 * i + 1] = static_cast<std::uint8_t>(w[15 - i] & 0xff);
    }
}

Hash256 Hash256::from_bytes(const std::uint8_t in[32]) noexcept {
    Hash256 h;
    for (int i = 0; i < 16; ++i) h.w[15 - i] = static_cast<std::uint16_t>((in[2 * i] << 8) | in[2 * i + 1]);
    return h;
}

std::string Hash256::to_hex() const {
    std::uint8_t b[32];
    to_bytes(b);
    return detail::hex_string(b, sizeof b);
}

bool Hash256::from_hex(std::string_view hex, Hash256& out) noexcept {
    std::uint8_t b[32];
    if (hex.size() != 64 || !detail::hex_decode(hex, b)) return false;
    out = from_bytes(b);
    return true;
}

int hamming_distance(const Hash256& a, const Hash256& b) noexcept {
    int n = 0;
    for (int i = 0; i < 16; ++i) n += std::popcount(static_cast<unsigned>(a.w[i] ^ b.w[i]));
    return n;
}

const char* transform_name(Transform t) noexcept {
    switch (t) {
        case Transform::original: return "original";
        case Transform::rot90: return "rot90";
        case Transform::rot180: return "rot180";
        case Transform::rot270: return "rot270";
        case Transform::flip_x: return "flipx";
        case Transform::flip_y: return "flipy";
        case Transform::flip_plus1: return "flipplus1";
        case Transform::flip_minus1: return "flipminus1";
    }
    return "unknown";
}

struct PdqHasher::Impl {
    detail::LumaPipeline pipeline;

    // Validates the image and region and runs the blur; hashable is
    // false when the region is too small to hash (under 5 px a side: the
    // flagged all-zero hash).
    Error blur(const Image& img, const Rect& r, const PdqOptions& opt, bool& hashable) {
        if (img.width <= 0 || img.height <= 0 || (img.channels != 1 && img.channels != 3) ||
            img.pixels.size() < img.size_bytes())
            return {Status::invalid_argument, "image has no pixels or an unsupported channel count (need 1 or 3)"};
        if (r.x < 0 || r.y < 0 || r.width <= 0 || r.height <= 0 || r.x > img.width - r.width ||
            r.y > img.height - r.height)
            return {Status::invalid_argument, "region is empty or outside the image"};
        hashable = r.width >= detail::kMinHashableDim && r.height >= detail::kMinHashableDim;
        if (!hashable) return {};
        const std::size_t stride = static_cast<std::size_t>(img.width) * img.channels;
        const std::uint8_t* origin =
            img.pixels.data() + static_cast<std::size_t>(r.y) * stride + static_cast<std::size_t>(r.x) * img.channels;
        int rows = 0, cols = 0;
        detail::luma_dims(r.width, r.height, opt.pre_resize, rows, cols);
        pipeline.blur(kernels::active(), {origin, r.width, r.height, img.channels, stride}, rows, cols);
        return {};
    }

    template <class Out>
    Error hash(const Image& image, const Rect& region, Out& out, const PdqOptions& options) {
        out = Out{};
        bool hashable = false;
        if (Error e = blur(image, region, options, hashable)) return e;
        if (!hashable) {
            out.degenerate = true;
            return {};
        }
        pipeline.finish(kernels::active(), out);
        return {};
    }
};

namespace {
Rect whole(const Image& img) { return {0, 0, img.width, img.height}; }
}  // namespace

PdqHasher::PdqHasher() : impl_(std::make_unique<Impl>()) {}
PdqHasher::~PdqHasher() = default;
PdqHasher::PdqHasher(PdqHasher&&) noexcept = default;
PdqHasher& PdqHasher::operator=(PdqHasher&&) noexcept = default;

Error PdqHasher::hash(const Image& image, PdqHash& out, const PdqOptions& options) noexcept {
    return detail::guard([&] { return impl_->hash(image, whole(image), out, options); });
}

Error PdqHasher::hash_dihedral(const Image& image, PdqDihedral& out, const PdqOptions& options) noexcept {
    return detail::guard([&] { return impl_->hash(image, whole(image), out, options); });
}

Error PdqHasher::hash_dihedral(const Image& image, const Rect& region, PdqDihedral& out,
                               const PdqOptions& options) noexcept {
    return detail::guard([&] { return impl_->hash(image, region, out, options); });
}

const char* active_kernel() noexcept { return kernels::active().name; }

}  // namespace hashguard
