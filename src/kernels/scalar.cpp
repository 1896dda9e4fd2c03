// Scalar kernels: the oracle every SIMD set is tested against. Always built.
// The float operation order here is the reference's and must not change.
#include <algorithm>
#include <bit>
#include <cstring>

#include "kernels/kernels.hpp"
#include "kernels/reference.hpp"

namespace hashguard::kernels {

namespace {

void luma_row(const std::uint8_t* row, std::size_t, const std::int32_t* xs, int channels, float* out, int cols) {
    if (channels == 1) {
        for (int x = 0; x < cols; ++x) out[x] = static_cast<float>(row[xs[x]]);
    } else {
        for (int x = 0; x < cols; ++x) {
            const std::uint8_t* p = row + xs[x];
            out[x] = luma_rgb(p[0], p[1], p[2]);
        }
    }
}

void box_rows(const float* in, float* out, int rows, int cols, int window) {
    for (int r = 0; r < rows; ++r)
        BoxPhases::filter(in + static_cast<std::size_t>(r) * cols, out + static_cast<std::size_t>(r) * cols,
                                  cols, window);
}

void box_cols(const float* in, float* out, int rows, int cols, int window) {
    // The phases of the reference's 1-D filter, each step advancing every
    // column: per column the additions are exactly the reference's.
    const BoxPhases ph(rows, window);
    constexpr int kBlock = 256;  // columns per block: the sums stay in L1
    for (int c0 = 0; c0 < cols; c0 += kBlock) {
        const int nc = std::min(kBlock, cols - c0);
        float sum[kBlock];
        std::fill(sum, sum + nc, 0.0f);
        auto row = [&](const float* base, int r) { return base + static_cast<std::size_t>(r) * cols + c0; };
        int li = 0, ri = 0, oi = 0, count = 0;
        for (int i = 0; i < ph.p1; ++i, ++ri) {
            const float* s = row(in, ri);
            for (int j = 0; j < nc; ++j) sum[j] += s[j];
            ++count;
        }
        for (int i = 0; i < ph.p2; ++i, ++ri, ++oi) {
            const float* s = row(in, ri);
            float* o = out + static_cast<std::size_t>(oi) * cols + c0;
            ++count;
            const float fc = static_cast<float>(count);
            for (int j = 0; j < nc; ++j) { sum[j] += s[j]; o[j] = sum[j] / fc; }
        }
        const float fw = static_cast<float>(count);
        for (int i = 0; i < ph.p3; ++i, ++ri, ++li, ++oi) {
            const float* s = row(in, ri);
            const float* l = row(in, li);
            float* o = out + static_cast<std::size_t>(oi) * cols + c0;
            for (int j = 0; j < nc; ++j) {
                sum[j] += s[j];
                sum[j] -= l[j];
                o[j] = sum[j] / fw;
            }
        }
        for (int i = 0; i < ph.p4; ++i, ++li, ++oi) {
            const float* l = row(in, li);
            float* o = out + static_cast<std::size_t>(oi) * cols + c0;
            --count;
            const float fc = static_cast<float>(count);
            for (int j = 0; j < nc; ++j) { sum[j] -= l[j]; o[j] = sum[j] / fc; }
        }
    }
}

// The oracle of blur_decimate: the whole luma image in one buffer, the four
// whole-image passes between it and a second one, then the 64x64 samples.
std::size_t blur_scratch_buffers(const BlurShape& b) { return 2 * static_cast<std::size_t>(b.rows) * b.cols; }

void blur_decimate_buffers(const LumaSource& src, const BlurShape& b, float* scratch, float* out) {
    float* buf1 = scratch;
    float* buf2 = scratch + static_cast<std::size_t>(b.rows) * b.cols;
    luma_rows(scalar_kernels(), src, 0, b.rows, b.cols, buf1);
    for (int pass = 0; pass < 2; ++pass) {
        box_rows(buf1, buf2, b.rows, b.cols, b.window_h);
        box_cols(buf2, buf1, b.rows, b.cols, b.window_v);
    }
    for (int i = 0; i < 64; ++i) {
        const float* row = buf1 + static_cast<std::size_t>(decimate_index(i, b.rows)) * b.cols;
        for (int j = 0; j < 64; ++j) out[i * 64 + j] = row[decimate_index(j, b.cols)];
    }
}

void dct64to16(const float* a, float* b) {
    const float(&d)[16][64] = dct_matrix();
    float t[16][64];
    // T = D * A: for each (i, j) the sum runs k = 0..63 in order.
    for (int i = 0; i < 16; ++i) {
        float acc[64] = {};
        for (int k = 0; k < 64; ++k) {
            const float dik = d[i][k];
            for (int j = 0; j < 64; ++j) acc[j] += dik * a[k * 64 + j];
        }
        std::memcpy(t[i], acc, sizeof acc);
    }
    // B = T * D^T: B[i][j] = sum_k T[i][k] * D[j][k].
    for (int i = 0; i < 16; ++i)
        for (int j = 0; j < 16; ++j) {
            float sum = 0.0f;
            for (int k = 0; k < 64; ++k) sum += t[i][k] * d[j][k];
            b[i * 16 + j] = sum;
        }
}

void hamming_1xn(const std::uint64_t* q, const std::uint64_t* db, std::size_t n, std::uint16_t* out) {
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t* h = db + 4 * i;
        out[i] = static_cast<std::uint16_t>(std::popcount(q[0] ^ h[0]) + std::popcount(q[1] ^ h[1]) +
                                            std::popcount(q[2] ^ h[2]) + std::popcount(q[3] ^ h[3]));
    }
}

int distance(const std::uint64_t* q, const std::uint64_t* h) {
    return std::popcount(q[0] ^ h[0]) + std::popcount(q[1] ^ h[1]) + std::popcount(q[2] ^ h[2]) +
           std::popcount(q[3] ^ h[3]);
}

// The range oracles: plain loops, a hit pushed as it is found.
std::size_t range_rows(const std::uint64_t* qs, std::size_t m, const std::uint64_t* db, std::size_t n,
                       std::uint32_t first, int radius, RangeHit* hits) {
    std::size_t count = 0;
    for (std::size_t j = 0; j < n; ++j)
        for (std::size_t i = 0; i < m; ++i)
            if (const int d = distance(qs + 4 * i, db + 4 * j); d <= radius)
                hits[count++] = {first + static_cast<std::uint32_t>(j), static_cast<std::uint16_t>(i),
                                 static_cast<std::uint16_t>(d)};
    return count;
}

std::size_t range_pairs(const std::uint64_t* qs, const std::uint64_t* db, const RangePair* pairs, std::size_t n,
                        int radius, RangeHit* hits) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < n; ++i)
        if (const int d = distance(qs + 4 * static_cast<std::size_t>(pairs[i].query),
                                   db + 4 * static_cast<std::size_t>(pairs[i].entry));
            d <= radius)
            hits[count++] = {pairs[i].entry, static_cast<std::uint16_t>(pairs[i].query), static_cast<std::uint16_t>(d)};
    return count;
}

// The bit-sliced scan on 64-lane words (the shared loop; the tests check it
// against range_rows above).
struct Bits64 {
    using vec = std::uint64_t;
    static constexpr std::size_t kWords = 1;
    static vec load(const std::uint64_t* p) { return *p; }
    static void store(std::uint64_t* p, vec v) { *p = v; }
    static vec zero() { return 0; }
    static vec ones() { return ~std::uint64_t{0}; }
    static vec and_(vec a, vec b) { return a & b; }
    static vec or_(vec a, vec b) { return a | b; }
    static vec xor_(vec a, vec b) { return a ^ b; }
    static vec andnot(vec a, vec b) { return ~a & b; }
    static void csa(vec& hi, vec& lo, vec a, vec b, vec c) {
        const vec u = a ^ b;
        lo = u ^ c;
        hi = (a & b) | (u & c);
    }
    static bool any(vec v) { return v != 0; }
};

#define HG_TARGET
#include "kernels/generic_range.hpp"
#undef HG_TARGET

const Kernels kScalar = {"scalar", 0, luma_row, box_rows, box_cols, blur_scratch_buffers, blur_decimate_buffers,
                         dct64to16, hamming_1xn,
                         range_rows, range_pairs, range_sliced_generic<Bits64>};

}  // namespace

const Kernels& scalar_kernels() noexcept { return kScalar; }

}  // namespace hashguard::kernels
