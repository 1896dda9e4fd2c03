// Shared PDQ pipeline pieces. See pdq_core.hpp.
#include "pdq/pdq_core.hpp"

#include "kernels/kernels.hpp"
#include "kernels/reference.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

namespace hashguard::detail {

void luma_dims(int width, int height, bool pre_resize, int& rows, int& cols) noexcept {
    rows = height;
    cols = width;
    if (pre_resize && (width > kPreResizeDim || height > kPreResizeDim)) {
        rows = kPreResizeDim;
        cols = kPreResizeDim;
    }
}

int jarosz_window(int dim) noexcept { return (dim + 2 * 64 - 1) / (2 * 64); }

void jarosz_filter(const kernels::Kernels& k, float* buf1, float* buf2, int rows, int cols) noexcept {
    const int w_rows = jarosz_window(cols);  // window along each row
    const int w_cols = jarosz_window(rows);  // window down each column
    for (int pass = 0; pass < 2; ++pass) {
        k.box_rows(buf1, buf2, rows, cols, w_rows);  // H
        k.box_cols(buf2, buf1, rows, cols, w_cols);  // V
    }
}

void decimate64(const float* in, int rows, int cols, float out[64][64]) noexcept {
    for (int i = 0; i < 64; ++i) {
        const float* row = in + static_cast<std::size_t>(kernels::decimate_index(i, rows)) * cols;
        for (int j = 0; j < 64; ++j) out[i][j] = row[kernels::decimate_index(j, cols)];
    }
}

int quality64(const float a[64][64]) noexcept {
    int gradient_sum = 0;
    for (int i = 0; i < 63; ++i)
        for (int j = 0; j < 64; ++j) {
            const int d = static_cast<int>(((a[i][j] - a[i + 1][j]) * 100) / 255);
            gradient_sum += std::abs(d);
        }
    for (int i = 0; i < 64; ++i)
        for (int j = 0; j < 63; ++j) {
            const int d = static_cast<int>(((a[i][j] - a[i][j + 1]) * 100) / 255);
            gradient_sum += std::abs(d);
        }
    return std::min(100, gradient_sum / 90);
}

namespace {
float lower_median(const float* v) noexcept {
    float s[256];
    std::memcpy(s, v, sizeof s);
    std::nth_element(s, s + 127, s + 256);
    return s[127];
}
}  // namespace

void bits_from_dct(const float b[16][16], std::uint16_t words[16]) noexcept {
    const float median = lower_median(&b[0][0]);
    for (int i = 0; i < 16; ++i) {
        unsigned w = 0;
        for (int j = 0; j < 16; ++j)
            if (b[i][j] > median) w |= 1u << j;
        words[i] = static_cast<std::uint16_t>(w);
    }
}

void dihedral_bits(const float b[16][16], std::uint16_t words[8][16]) noexcept {
    float v[16][16];
    bits_from_dct(b, words[0]);
    // rot90: B'[j][i] = j odd ? B[i][j] : -B[i][j]
    for (int i = 0; i < 16; ++i)
        for (int j = 0; j < 16; ++j) v[j][i] = (j & 1) ? b[i][j] : -b[i][j];
    bits_from_dct(v, words[1]);
    // rot180: B'[i][j] = (i+j) odd ? -B : B
    for (int i = 0; i < 16; ++i)
        for (int j = 0; j < 16; ++j) v[i][j] = ((i + j) & 1) ? -b[i][j] : b[i][j];
    bits_from_dct(v, words[2]);
    // rot270: B'[j][i] = i odd ? B : -B
    for (int i = 0; i < 16; ++i)
        for (int j = 0; j < 16; ++j) v[j][i] = (i & 1) ? b[i][j] : -b[i][j];
    bits_from_dct(v, words[3]);
    // flipX: B'[i][j] = i odd ? B : -B
    for (int i = 0; i < 16; ++i)
        for (int j = 0; j < 16; ++j) v[i][j] = (i & 1) ? b[i][j] : -b[i][j];
    bits_from_dct(v, words[4]);
    // flipY: B'[i][j] = j odd ? B : -B
    for (int i = 0; i < 16; ++i)
        for (int j = 0; j < 16; ++j) v[i][j] = (j & 1) ? b[i][j] : -b[i][j];
    bits_from_dct(v, words[5]);
    // flipPlus1: B'[j][i] = B[i][j]
    for (int i = 0; i < 16; ++i)
        for (int j = 0; j < 16; ++j) v[j][i] = b[i][j];
    bits_from_dct(v, words[6]);
    // flipMinus1: B'[j][i] = (i+j) odd ? -B : B
    for (int i = 0; i < 16; ++i)
        for (int j = 0; j < 16; ++j) v[j][i] = ((i + j) & 1) ? -b[i][j] : b[i][j];
    bits_from_dct(v, words[7]);
}

void LumaPipeline::FreeScratch::operator()(float* p) const noexcept { ::operator delete(p); }

float* LumaPipeline::scratch(std::size_t floats) {
    if (scratch_floats_ < floats) {
        // Uninitialised (a vector would zero-fill it: page faults and writes
        // for nothing, the kernels write before they read).
        scratch_.reset();
        scratch_floats_ = 0;
        scratch_.reset(static_cast<float*>(::operator new(floats * sizeof(float))));
        scratch_floats_ = floats;
    }
    return scratch_.get();
}

void LumaPipeline::blur(const kernels::Kernels& k, const kernels::PixelView& view, int rows, int cols) {
    if (xs_.size() < static_cast<std::size_t>(cols)) xs_.resize(static_cast<std::size_t>(cols));
    if (ys_.size() < static_cast<std::size_t>(rows)) ys_.resize(static_cast<std::size_t>(rows));
    kernels::luma_offsets(view.width, view.height, view.channels, rows, cols, xs_.data(), ys_.data());
    run(k, kernels::LumaSource{view, xs_.data(), ys_.data()}, rows, cols);
}

void LumaPipeline::blur_rows(const kernels::Kernels& k, int rows, int cols, void (*fill)(void*, int, float*),
                             void* ctx) {
    kernels::LumaSource src{{nullptr, cols, rows, 1, 0}, nullptr, nullptr};
    src.fill = fill;
    src.ctx = ctx;
    run(k, src, rows, cols);
}

void LumaPipeline::run(const kernels::Kernels& k, const kernels::LumaSource& src, int rows, int cols) {
    if (rows == 64 && cols == 64) {  // the reference does not blur an image of exactly 64x64
        kernels::luma_rows(k, src, 0, 64, 64, &a64[0][0]);
        return;
    }
    const kernels::BlurShape shape{rows, cols, jarosz_window(cols), jarosz_window(rows)};
    k.blur_decimate(src, shape, scratch(k.blur_scratch(shape)), &a64[0][0]);
}

void LumaPipeline::to_dct(const kernels::Kernels& k, int& quality) {
    quality = quality64(a64);
    k.dct64to16(&a64[0][0], &dct[0][0]);
}

void LumaPipeline::finish(const kernels::Kernels& k, PdqDihedral& out) {
    out = PdqDihedral{};
    to_dct(k, out.quality);
    std::uint16_t words[8][16];
    dihedral_bits(dct, words);
    for (int t = 0; t < 8; ++t)
        for (int i = 0; i < 16; ++i) out.hashes[t].w[i] = words[t][i];
}

void LumaPipeline::finish(const kernels::Kernels& k, PdqHash& out) {
    out = PdqHash{};
    to_dct(k, out.quality);
    bits_from_dct(dct, out.hash.w.data());
}

}  // namespace hashguard::detail
