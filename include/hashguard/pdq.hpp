// hashguard — PDQ perceptual hashes, bit-identical to Meta's reference (pdq/cpp).
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hashguard/config.hpp"
#include "hashguard/image.hpp"
#include "hashguard/status.hpp"

namespace hashguard {

/// A 256-bit hash as 16 words; bit i*16+j is bit j of word i. Printed as the
/// reference does: words 15..0, each as 4 lower-case hex digits.
struct HASHGUARD_API Hash256 {
    std::array<std::uint16_t, 16> w{};

    bool bit(int k) const noexcept { return (w[k >> 4] >> (k & 15)) & 1u; }
    void set_bit(int k) noexcept { w[k >> 4] = static_cast<std::uint16_t>(w[k >> 4] | (1u << (k & 15))); }
    bool is_zero() const noexcept;
    int popcount() const noexcept;
    std::string to_hex() const;
    /// Parses exactly 64 hex digits (either case); false on anything else.
    static bool from_hex(std::string_view hex, Hash256& out) noexcept;
    /// The 32 bytes the 64 hex digits spell, in order (how binary hash lists
    /// and the C API's hg_result_bytes carry a PDQ hash).
    void to_bytes(std::uint8_t out[32]) const noexcept;
    static Hash256 from_bytes(const std::uint8_t in[32]) noexcept;

    friend bool operator==(const Hash256&, const Hash256&) = default;
};

/// Hamming distance, 0..256.
HASHGUARD_API int hamming_distance(const Hash256& a, const Hash256& b) noexcept;

/// The eight dihedral transforms, in the reference CLI's column order.
enum class Transform : int {
    original = 0, rot90, rot180, rot270, flip_x, flip_y, flip_plus1, flip_minus1
};
HASHGUARD_API const char* transform_name(Transform t) noexcept;

struct PdqHash {
    Hash256 hash;
    int quality = 0;  ///< 0..100
    /// True when the image was under 5 px on a side: hash is all-zero and
    /// quality 0 by definition, and must never be matched against a list.
    bool degenerate = false;
};

struct PdqDihedral {
    std::array<Hash256, 8> hashes;  ///< indexed by Transform
    int quality = 0;
    bool degenerate = false;

    const Hash256& operator[](Transform t) const noexcept { return hashes[static_cast<int>(t)]; }
};

/// A rectangle of an image, in pixels.
struct Rect {
    int x = 0, y = 0, width = 0, height = 0;
    friend bool operator==(const Rect&, const Rect&) = default;
};

struct PdqOptions {
    /// The reference first resizes images larger than 512 px on a side to
    /// 512x512 by nearest neighbour. Keep it on to match shared lists.
    bool pre_resize = true;
};

/// Holds the scratch buffers of the hash pipeline so repeated calls do not
/// allocate. Not thread-safe: use one per thread (it is cheap to create).
class HASHGUARD_API PdqHasher {
public:
    PdqHasher();
    ~PdqHasher();
    PdqHasher(PdqHasher&&) noexcept;
    PdqHasher& operator=(PdqHasher&&) noexcept;
    PdqHasher(const PdqHasher&) = delete;
    PdqHasher& operator=(const PdqHasher&) = delete;

    Error hash(const Image& image, PdqHash& out, const PdqOptions& options = {}) noexcept;
    Error hash_dihedral(const Image& image, PdqDihedral& out, const PdqOptions& options = {}) noexcept;
    /// Hashes the rectangle `region` of `image` as if it were a whole image (no copy);
    /// invalid_argument when the rectangle is empty or leaves the image.
    Error hash_dihedral(const Image& image, const Rect& region, PdqDihedral& out,
                        const PdqOptions& options = {}) noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Name of the kernel set in use ("avx512", "avx2", "neon" or "scalar"):
/// the best the CPU supports, or HASHGUARD_FORCE_KERNEL=<name> if available.
HASHGUARD_API const char* active_kernel() noexcept;

/// Convenience: decode + hash with a thread-local PdqHasher.
HASHGUARD_API Error pdq_hash_bytes(const std::uint8_t* data, std::size_t len, PdqDihedral& out,
                                   const DecodeOptions& decode_options = {},
                                   const PdqOptions& pdq_options = {}) noexcept;

/// Every frame of an attachment, hashed: one entry for a still image; for an
/// animated GIF each frame as composited (what DecodeOptions::frame = N gives),
/// in one pass over the file (time linear in the number of frames).
/// decode_options.frame is ignored; max_frames and the other limits apply.
HASHGUARD_API Error pdq_hash_frames(const std::uint8_t* data, std::size_t len, std::vector<PdqDihedral>& out,
                                    const DecodeOptions& decode_options = {},
                                    const PdqOptions& pdq_options = {}) noexcept;

}  // namespace hashguard
