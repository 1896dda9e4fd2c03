// Scalar PDQ pipeline. See pdq_core.hpp: the float operation order here is the
// reference's and must not change.
#include "pdq/pdq_core.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace hashguard::detail {

void luma_dims(int width, int height, bool pre_resize, int& rows, int& cols) noexcept {
    rows = height;
    cols = width;
    if (pre_resize && (width > kPreResizeDim || height > kPreResizeDim)) {
        rows = kPreResizeDim;
        cols = kPreResizeDim;
    }
}

void luma_resized(const std::uint8_t* px, int width, int height, int channels, float* out,
                  int rows, int cols) noexcept {
    const float kR = 0.299f, kG = 0.587f, kB = 0.114f;
    const std::size_t stride = static_cast<std::size_t>(width) * channels;
    // Column source offsets, computed once per call.
    std::size_t xs_stack[kPreResizeDim];
    std::size_t* xs = cols <= kPreResizeDim ? xs_stack : nullptr;
    const bool identity_x = cols == width;
    for (int x = 0; xs && x < cols; ++x)
        xs[x] = static_cast<std::size_t>((static_cast<std::int64_t>(x) * width) / cols) * channels;
    for (int y = 0; y < rows; ++y) {
        const int sy = static_cast<int>((static_cast<std::int64_t>(y) * height) / rows);
        const std::uint8_t* row = px + static_cast<std::size_t>(sy) * stride;
        float* o = out + static_cast<std::size_t>(y) * cols;
        for (int x = 0; x < cols; ++x) {
            const std::size_t sx = identity_x ? static_cast<std::size_t>(x) * channels : xs[x];
            if (channels == 1) {
                o[x] = static_cast<float>(row[sx]);
            } else {
                const float r = row[sx], g = row[sx + 1], b = row[sx + 2];
                o[x] = (kR * r + kG * g) + kB * b;
            }
        }
    }
}

int jarosz_window(int dim) noexcept { return (dim + 2 * 64 - 1) / (2 * 64); }

namespace {

// The reference's 1-D box filter: a running float sum over a window that
// grows, slides and shrinks; output i averages [i-(w-half), i+half-1].
void box1d(const float* in, float* out, int n, int window) noexcept {
    const int half = (window + 2) / 2;
    const int p1 = half - 1, p2 = window - half + 1, p3 = n - window, p4 = half - 1;
    int li = 0, ri = 0, oi = 0, count = 0;
    float sum = 0.0f;
    for (int i = 0; i < p1; ++i) { sum += in[ri++]; ++count; }
    for (int i = 0; i < p2; ++i) { sum += in[ri++]; ++count; out[oi++] = sum / static_cast<float>(count); }
    for (int i = 0; i < p3; ++i) {
        sum += in[ri++];
        sum -= in[li++];
        out[oi++] = sum / static_cast<float>(count);
    }
    for (int i = 0; i < p4; ++i) { sum -= in[li++]; --count; out[oi++] = sum / static_cast<float>(count); }
}

}  // namespace

void box_rows(const float* in, float* out, int rows, int cols, int window) noexcept {
    for (int r = 0; r < rows; ++r)
        box1d(in + static_cast<std::size_t>(r) * cols, out + static_cast<std::size_t>(r) * cols, cols, window);
}

void box_cols(const float* in, float* out, int rows, int cols, int window) noexcept {
    // Same phases as box1d, but each step advances every column: per column
    // the additions happen in exactly the order box1d would do them.
    const int half = (window + 2) / 2;
    const int p1 = half - 1, p2 = window - half + 1, p3 = rows - window, p4 = half - 1;
    constexpr int kBlock = 256;  // columns per block: the sums stay in L1
    for (int c0 = 0; c0 < cols; c0 += kBlock) {
        const int nc = std::min(kBlock, cols - c0);
        float sum[kBlock];
        std::fill(sum, sum + nc, 0.0f);
        auto at = [&](const float* base, int r) { return base + static_cast<std::size_t>(r) * cols + c0; };
        int li = 0, ri = 0, oi = 0, count = 0;
        for (int i = 0; i < p1; ++i, ++ri) {
            const float* s = at(in, ri);
            for (int j = 0; j < nc; ++j) sum[j] += s[j];
            ++count;
        }
        for (int i = 0; i < p2; ++i, ++ri, ++oi) {
            const float* s = at(in, ri);
            float* o = const_cast<float*>(at(out, oi));
            ++count;
            const float fc = static_cast<float>(count);
            for (int j = 0; j < nc; ++j) { sum[j] += s[j]; o[j] = sum[j] / fc; }
        }
        const float fw = static_cast<float>(count);
        for (int i = 0; i < p3; ++i, ++ri, ++li, ++oi) {
            const float* s = at(in, ri);
            const float* l = at(in, li);
            float* o = const_cast<float*>(at(out, oi));
            for (int j = 0; j < nc; ++j) {
                sum[j] += s[j];
                sum[j] -= l[j];
                o[j] = sum[j] / fw;
            }
        }
        for (int i = 0; i < p4; ++i, ++li, ++oi) {
            const float* l = at(in, li);
            float* o = const_cast<float*>(at(out, oi));
            --count;
            const float fc = static_cast<float>(count);
            for (int j = 0; j < nc; ++j) { sum[j] -= l[j]; o[j] = sum[j] / fc; }
        }
    }
}

void jarosz_filter(float* buf1, float* buf2, int rows, int cols) noexcept {
    const int w_rows = jarosz_window(cols);  // window along each row
    const int w_cols = jarosz_window(rows);  // window down each column
    for (int pass = 0; pass < 2; ++pass) {
        box_rows(buf1, buf2, rows, cols, w_rows);
        box_cols(buf2, buf1, rows, cols, w_cols);
    }
}

void decimate64(const float* in, int rows, int cols, float out[64][64]) noexcept {
    for (int i = 0; i < 64; ++i) {
        const int ini = static_cast<int>(((i + 0.5) * rows) / 64);
        for (int j = 0; j < 64; ++j) {
            const int inj = static_cast<int>(((j + 0.5) * cols) / 64);
            out[i][j] = in[static_cast<std::size_t>(ini) * cols + inj];
        }
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
struct DctMatrix {
    float d[16][64];
    DctMatrix() noexcept {
        const double scale = static_cast<double>(static_cast<float>(std::sqrt(2.0 / 64.0)));
        for (int i = 0; i < 16; ++i)
            for (int j = 0; j < 64; ++j)
                d[i][j] = static_cast<float>(scale * std::cos((M_PI / 2 / 64.0) * (i + 1) * (2 * j + 1)));
    }
};
}  // namespace

const float (&dct_matrix())[16][64] {
    static const DctMatrix m;
    return m.d;
}

void dct64to16(const float a[64][64], float b[16][16]) noexcept {
    const float(&d)[16][64] = dct_matrix();
    float t[16][64];
    // T = D * A. For each (i, j) the sum runs k = 0..63 in order; the loop is
    // arranged so the innermost index is j (independent outputs).
    for (int i = 0; i < 16; ++i) {
        float acc[64] = {};
        for (int k = 0; k < 64; ++k) {
            const float dik = d[i][k];
            for (int j = 0; j < 64; ++j) acc[j] += dik * a[k][j];
        }
        std::memcpy(t[i], acc, sizeof acc);
    }
    // B = T * D^T: B[i][j] = sum_k T[i][k] * D[j][k].
    for (int i = 0; i < 16; ++i)
        for (int j = 0; j < 16; ++j) {
            float sum = 0.0f;
            for (int k = 0; k < 64; ++k) sum += t[i][k] * d[j][k];
            b[i][j] = sum;
        }
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

}  // namespace hashguard::detail
