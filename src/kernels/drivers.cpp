// Loops over one kernel table that the pipeline, the indexes and the start-up
// self-check share: whole-image luma (the only caller of luma_row, so the
// self-check tests it exactly as it is used) and blocked Hamming distances.
#include <algorithm>
#include <vector>

#include "kernels/kernels.hpp"
#include "kernels/reference.hpp"

namespace hashguard::kernels {

void luma_image(const Kernels& k, const std::uint8_t* px, int width, int height, int channels, std::size_t stride,
                float* out, int rows, int cols) {
    // Byte offset of each output column's source pixel in a row.
    std::vector<std::int32_t> xs(static_cast<std::size_t>(cols));
    for (int x = 0; x < cols; ++x) xs[x] = resample_index(x, width, cols) * channels;
    // Bytes readable from px: whole rows but the last, which ends at its last pixel.
    const std::size_t total =
        stride * static_cast<std::size_t>(height - 1) + static_cast<std::size_t>(width) * channels;
    for (int y = 0; y < rows; ++y) {
        const std::size_t off = static_cast<std::size_t>(resample_index(y, height, rows)) * stride;
        k.luma_row(px + off, total - off, xs.data(), channels, out + static_cast<std::size_t>(y) * cols, cols);
    }
}

void hamming_mxn(const Kernels& k, const std::uint64_t* q, std::size_t m, const std::uint64_t* db, std::size_t n,
                 std::uint16_t* out) noexcept {
    constexpr std::size_t kBlock = 512;  // 16 KiB of hashes
    for (std::size_t j0 = 0; j0 < n; j0 += kBlock) {
        const std::size_t nb = std::min(kBlock, n - j0);
        for (std::size_t i = 0; i < m; ++i) k.hamming_1xn(q + 4 * i, db + 4 * j0, nb, out + i * n + j0);
    }
}

}  // namespace hashguard::kernels
