// Loops over one kernel table that the pipeline, the indexes and the start-up
// self-check share: the luma offsets and rows (luma_image, the 64x64 case of
// the pipeline and the scalar oracle read luma_row through them), blocked Hamming distances, and
// the bit-sliced layout and query preparation of range_sliced.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/kernels.hpp"
#include "kernels/reference.hpp"

namespace hashguard::kernels {

void luma_offsets(int width, int height, int channels, int rows, int cols, std::int32_t* xs,
                  std::int32_t* ys) noexcept {
    for (int x = 0; x < cols; ++x) xs[x] = resample_index(x, width, cols) * channels;
    for (int y = 0; y < rows; ++y) ys[y] = resample_index(y, height, rows);
}

void luma_rows(const Kernels& k, const LumaSource& src, int y0, int y1, int cols, float* out) noexcept {
    const PixelView& v = src.view;
    for (int y = y0; y < y1; ++y, out += cols)
        if (src.fill) src.fill(src.ctx, y, out);
        else k.luma_row(v.px + static_cast<std::size_t>(src.ys[y]) * v.stride, luma_avail(v, src.ys[y]), src.xs,
                   v.channels, out, cols);
}

void luma_image(const Kernels& k, const std::uint8_t* px, int width, int height, int channels, std::size_t stride,
                float* out, int rows, int cols) {
    std::vector<std::int32_t> xs(static_cast<std::size_t>(cols)), ys(static_cast<std::size_t>(rows));
    luma_offsets(width, height, channels, rows, cols, xs.data(), ys.data());
    const LumaSource src{{px, width, height, channels, stride}, xs.data(), ys.data()};
    luma_rows(k, src, 0, rows, cols, out);
}

void hamming_mxn(const Kernels& k, const std::uint64_t* q, std::size_t m, const std::uint64_t* db, std::size_t n,
                 std::uint16_t* out) noexcept {
    constexpr std::size_t kBlock = 512;  // 16 KiB of hashes
    for (std::size_t j0 = 0; j0 < n; j0 += kBlock) {
        const std::size_t nb = std::min(kBlock, n - j0);
        for (std::size_t i = 0; i < m; ++i) k.hamming_1xn(q + 4 * i, db + 4 * j0, nb, out + i * n + j0);
    }
}

namespace {

// In place: bit j of a[i] <-> bit i of a[j] (a 64 x 64 bit matrix). Swaps
// the off-diagonal blocks of every 2w x 2w tile for w = 32, 16, ..., 1; low
// holds the positions of the lower half of each 2w-bit group.
void transpose64(std::uint64_t* a) noexcept {
    std::uint64_t low = 0x00000000FFFFFFFFull;
    for (int w = 32; w > 0; w >>= 1) {
        for (int i = 0; i < 64; ++i) {
            if (i & w) continue;
            const std::uint64_t t = ((a[i] >> w) ^ a[i + w]) & low;
            a[i + w] ^= t;
            a[i] ^= t << w;
        }
        low ^= low << (w >> 1);
    }
}

// One block: rows [0, count) of the block (count <= kSliceLanes).
void slice_block(const std::uint64_t* rows, std::size_t count, std::uint64_t* block) noexcept {
    std::memset(block, 0, kSliceBlockWords * sizeof(std::uint64_t));
    std::uint64_t m[64];
    for (std::size_t g = 0; g * 64 < count; ++g) {
        const std::size_t lanes = std::min<std::size_t>(64, count - 64 * g);
        for (int w = 0; w < 4; ++w) {
            for (std::size_t l = 0; l < 64; ++l) m[l] = l < lanes ? rows[4 * (64 * g + l) + w] : 0;
            transpose64(m);
            for (int b = 0; b < 64; ++b) block[(64 * static_cast<std::size_t>(w) + b) * kSliceWords + g] = m[b];
        }
        for (std::size_t l = 0; l < lanes; ++l) {
            const std::uint64_t* h = rows + 4 * (64 * g + l);
            const int pc = std::popcount(h[0]) + std::popcount(h[1]) + std::popcount(h[2]) + std::popcount(h[3]);
            for (int k = 0; k < 9; ++k)
                block[(kSlicePopcount + k) * kSliceWords + g] |= static_cast<std::uint64_t>((pc >> k) & 1) << l;
        }
    }
}

// After which group range_sliced tests a block part for lanes that can still
// match (a speed choice only; 0: never). For a lane of random bits, 2c - |h|
// after k planes is about normal with mean k - 128 and deviation 8, and in
// both modes the lane can still match only while it is below
// k - (k + 128 - |S| - r): probability P(Z > (k + 128 - |S| - r) / 8). The
// test (~65 vector operations) pays when a part of 256 such lanes is then
// out of reach often enough to save the groups left (~83 operations each).
std::uint16_t early_check(const SlicedQuery& q, int radius) noexcept {
    double best = 0;
    std::uint16_t at = 0;
    for (int g = 1; g < q.groups; ++g) {
        const double z = (16.0 * g + 128 - q.selected - radius) / 8;
        const double lane = 0.5 * std::erfc(z / std::sqrt(2.0));
        const double gain = std::pow(1 - lane, 256) * (q.groups - g) * 83 - 65;
        if (gain > best) best = gain, at = static_cast<std::uint16_t>(g);
    }
    return at;
}

}  // namespace

void slice_pack(const std::uint64_t* rows, std::size_t n, std::uint64_t* planes) noexcept {
    for (std::size_t b = 0; b * kSliceLanes < n; ++b)
        slice_block(rows + 4 * kSliceLanes * b, std::min(kSliceLanes, n - kSliceLanes * b), planes + kSliceBlockWords * b);
}

void slice_query(const std::uint64_t* q, int radius, std::uint16_t index, SlicedQuery& out) noexcept {
    const int ones = std::popcount(q[0]) + std::popcount(q[1]) + std::popcount(q[2]) + std::popcount(q[3]);
    out.zeros = ones > 128;
    int sel = 0;
    for (int j = 0; j < 256; ++j)
        if (static_cast<bool>((q[j >> 6] >> (j & 63)) & 1) != out.zeros)
            out.plane[sel++] = static_cast<std::uint16_t>(j * kSliceWords);
    out.selected = static_cast<std::uint16_t>(sel);
    while (sel % 16) out.plane[sel++] = static_cast<std::uint16_t>(kSliceZero * kSliceWords);
    out.groups = static_cast<std::uint16_t>(sel / 16);
    out.bias = static_cast<std::uint16_t>(out.zeros ? radius + out.selected : out.selected - radius + 256);
    out.query = index;
    out.check = early_check(out, radius);
}

}  // namespace hashguard::kernels
