// The facts reproduced (FFmpeg 5.1 libswscale, worked out from its source):
// coefficients (crv, cbu, cgu, cgv) = (104597, 132201, -25675, -53279) for
// BT.601; video range: cy = 65536 * 255 / 219 and a luma offset of 16 << 16;
// full range: cy = 65536 and the four chroma coefficients * 224 / 255. Each
// chroma coefficient is then rescaled by cy: (c * 65536 + 32768) / cy
// (truncating). One table of 2048 clipped values, entry i =
// clip_uint8(((i - 1408) * cy - offset + 32768) >> 16) (the 1408 = 384 + 512
// + 512 of the reference's headroom), and per pixel
//   R = table[ko + (V * crv >> 16) - (crv >> 9) + Y]
//   G = table[ko + (U * cgu >> 16) - (cgu >> 9) + (V * cgv >> 16) - (cgv >> 9) + Y]
//   B = table[ko + (U * cbu >> 16) - (cbu >> 9) + Y]
// with ko = 326 + 512 (video range) or 384 + 512 (full range) and arithmetic
// (flooring) shifts of 64-bit products. Chroma of pixel (x, y): column x / 2,
// row y / 2 (4:2:0) or row y rounded down to even (4:2:2, every other chroma
// row).
#include "video/yuv_rgb.hpp"

#include <algorithm>
#include <cstddef>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "kernels/kernels.hpp"

namespace hashguard::detail {

namespace {
constexpr int kHeadroom = 512;  // libswscale's YUVRGB_TABLE_LUMA_HEADROOM
std::uint8_t clip8(std::int64_t v) { return static_cast<std::uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v); }
}  // namespace

YuvToRgb::YuvToRgb(bool full_range) noexcept {
    std::int64_t crv = 104597, cbu = 132201, cgu = -25675, cgv = -53279;
    std::int64_t cy = 1 << 16, oy = 0;
    if (!full_range) {
        cy = (cy * 255) / 219;
        oy = std::int64_t{16} << 16;
    } else {
        crv = (crv * 224) / 255;
        cbu = (cbu * 224) / 255;
        cgu = (cgu * 224) / 255;
        cgv = (cgv * 224) / 255;
    }
    // Default contrast and saturation (1 << 16) leave cy and the chroma
    // coefficients as they are; brightness 0 leaves oy.
    const std::int64_t div = std::max<std::int64_t>(cy, 1);
    crv = (crv * 65536 + 0x8000) / div;
    cbu = (cbu * 65536 + 0x8000) / div;
    cgu = (cgu * 65536 + 0x8000) / div;
    cgv = (cgv * 65536 + 0x8000) / div;
    std::int64_t yb = -(std::int64_t{384} << 16) - kHeadroom * cy - oy;
    for (int i = 0; i < 2048; ++i, yb += cy) y_[i] = clip8((yb + 0x8000) >> 16);
    const int ko = (full_range ? 384 : 326) + kHeadroom;
    for (int c = 0; c < 256; ++c) {
        r_[c] = ko + static_cast<int>((c * crv) >> 16) - static_cast<int>(crv >> 9);
        g_u_[c] = ko + static_cast<int>((c * cgu) >> 16) - static_cast<int>(cgu >> 9);
        g_v_[c] = static_cast<int>((c * cgv) >> 16) - static_cast<int>(cgv >> 9);
        b_[c] = ko + static_cast<int>((c * cbu) >> 16) - static_cast<int>(cbu >> 9);
    }
    // The per-pixel lookups rely on every index staying inside the table.
    int lo = 2048, hi = -1;
    for (int c = 0; c < 256; ++c) {
        lo = std::min({lo, r_[c], b_[c], g_u_[c] + *std::min_element(g_v_, g_v_ + 256)});
        hi = std::max({hi, r_[c] + 255, b_[c] + 255, g_u_[c] + *std::max_element(g_v_, g_v_ + 256) + 255});
    }
    in_range_ = lo >= 0 && hi < 2048;
    cy_ = static_cast<int>(cy);
    base_ = static_cast<int>(-(std::int64_t{384} << 16) - kHeadroom * cy - oy + 0x8000);
    crv_ = static_cast<int>(crv), cbu_ = static_cast<int>(cbu), cgu_ = static_cast<int>(cgu), cgv_ = static_cast<int>(cgv);
    r_off_ = ko - static_cast<int>(crv >> 9);
    g_off_ = ko - static_cast<int>(cgu >> 9) - static_cast<int>(cgv >> 9);
    b_off_ = ko - static_cast<int>(cbu >> 9);
}

namespace {

// Row y of a frame: its luma, its chroma rows (4:2:0: y / 2; 4:2:2: every
// other row, as libswscale's unscaled path reads it) and its RGB output row.
struct Row {
    const std::uint8_t *y, *u, *v;
    std::uint8_t* out;
    Row(const std::uint8_t* const planes[3], const int strides[3], int width, int row, bool chroma_422,
        std::uint8_t* rgb) noexcept {
        const int cr = chroma_422 ? (row & ~1) : (row >> 1);
        y = planes[0] + static_cast<std::ptrdiff_t>(row) * strides[0];
        u = planes[1] + static_cast<std::ptrdiff_t>(cr) * strides[1];
        v = planes[2] + static_cast<std::ptrdiff_t>(cr) * strides[2];
        out = rgb + static_cast<std::size_t>(row) * width * 3;
    }
};

}  // namespace

void YuvToRgb::row_scalar(const std::uint8_t* py, const std::uint8_t* pu, const std::uint8_t* pv, int n,
                          std::uint8_t* o) const noexcept {
    // Every index is r_/g/b_ of a chroma value plus a luma value: 617..1376
    // for video range, 670..1376 for full range (checked in the constructor:
    // in_range_), always inside the table; no clamp per pixel.
    const std::uint8_t* t = y_;
    int x = 0;
    for (; x + 2 <= n; x += 2, o += 6) {  // two pixels share a chroma sample
        const int u = pu[x >> 1], v = pv[x >> 1];
        const std::uint8_t *r = t + r_[v], *g = t + g_u_[u] + g_v_[v], *b = t + b_[u];
        const int l0 = py[x], l1 = py[x + 1];
        o[0] = r[l0], o[1] = g[l0], o[2] = b[l0];
        o[3] = r[l1], o[4] = g[l1], o[5] = b[l1];
    }
    if (x < n) {
        const int u = pu[x >> 1], v = pv[x >> 1], l = py[x];
        o[0] = t[r_[v] + l], o[1] = t[g_u_[u] + g_v_[v] + l], o[2] = t[b_[u] + l];
    }
}

void YuvToRgb::convert_scalar(const std::uint8_t* const planes[3], const int strides[3], int width, int height,
                              bool chroma_422, std::uint8_t* rgb) const noexcept {
    for (int y = 0; y < height; ++y) {
        const Row r(planes, strides, width, y, chroma_422, rgb);
        row_scalar(r.y, r.u, r.v, width, r.out);
    }
}

#if defined(__x86_64__)
namespace {

#define HG_YUV_AVX2 __attribute__((target("avx2")))

// One component of 8 pixels: clip8(((off + (c1 * k1 >> 16) [+ (c2 * k2 >> 16)] + y) * cy + base) >> 16),
// in 32-bit lanes (every product and sum stays below 2^31: indices < 1400, cy < 2^17).
HG_YUV_AVX2 inline __m256i component(__m256i y, __m256i c1, int k1, __m256i c2, int k2, int off, int cy, int base) {
    __m256i i = _mm256_add_epi32(_mm256_set1_epi32(off), _mm256_srai_epi32(_mm256_mullo_epi32(c1, _mm256_set1_epi32(k1)), 16));
    if (k2) i = _mm256_add_epi32(i, _mm256_srai_epi32(_mm256_mullo_epi32(c2, _mm256_set1_epi32(k2)), 16));
    i = _mm256_add_epi32(i, y);
    return _mm256_srai_epi32(_mm256_add_epi32(_mm256_mullo_epi32(i, _mm256_set1_epi32(cy)), _mm256_set1_epi32(base)), 16);
}

// 16 values (two vectors of 8 ints) clipped to 0..255 as 16 bytes, in order.
HG_YUV_AVX2 inline __m128i to_bytes(__m256i lo, __m256i hi) {
    const __m256i w = _mm256_permute4x64_epi64(_mm256_packus_epi32(lo, hi), 0xD8);  // 16 x u16, in order
    const __m128i a = _mm256_castsi256_si128(w), b = _mm256_extracti128_si256(w, 1);
    return _mm_packus_epi16(a, b);
}

}  // namespace

HG_YUV_AVX2 void yuv_row_avx2(const std::uint8_t* py, const std::uint8_t* pu, const std::uint8_t* pv, int n,
                              std::uint8_t* o, int cy, int base, int crv, int cbu, int cgu, int cgv, int r_off,
                              int g_off, int b_off) {
    // Byte positions of R, G and B of 16 pixels in three 16-byte chunks.
    const __m128i r0 = _mm_setr_epi8(0, -1, -1, 1, -1, -1, 2, -1, -1, 3, -1, -1, 4, -1, -1, 5);
    const __m128i g0 = _mm_setr_epi8(-1, 0, -1, -1, 1, -1, -1, 2, -1, -1, 3, -1, -1, 4, -1, -1);
    const __m128i b0 = _mm_setr_epi8(-1, -1, 0, -1, -1, 1, -1, -1, 2, -1, -1, 3, -1, -1, 4, -1);
    const __m128i r1 = _mm_setr_epi8(-1, -1, 6, -1, -1, 7, -1, -1, 8, -1, -1, 9, -1, -1, 10, -1);
    const __m128i g1 = _mm_setr_epi8(5, -1, -1, 6, -1, -1, 7, -1, -1, 8, -1, -1, 9, -1, -1, 10);
    const __m128i b1 = _mm_setr_epi8(-1, 5, -1, -1, 6, -1, -1, 7, -1, -1, 8, -1, -1, 9, -1, -1);
    const __m128i r2 = _mm_setr_epi8(-1, 11, -1, -1, 12, -1, -1, 13, -1, -1, 14, -1, -1, 15, -1, -1);
    const __m128i g2 = _mm_setr_epi8(-1, -1, 11, -1, -1, 12, -1, -1, 13, -1, -1, 14, -1, -1, 15, -1);
    const __m128i b2 = _mm_setr_epi8(10, -1, -1, 11, -1, -1, 12, -1, -1, 13, -1, -1, 14, -1, -1, 15);
    for (int x = 0; x + 16 <= n; x += 16, o += 48) {
        const __m128i yb = _mm_loadu_si128(reinterpret_cast<const __m128i*>(py + x));
        __m128i ub = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(pu + x / 2));
        __m128i vb = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(pv + x / 2));
        ub = _mm_unpacklo_epi8(ub, ub);  // each chroma sample for its two pixels
        vb = _mm_unpacklo_epi8(vb, vb);
        const __m256i y0 = _mm256_cvtepu8_epi32(yb), y1 = _mm256_cvtepu8_epi32(_mm_srli_si128(yb, 8));
        const __m256i u0 = _mm256_cvtepu8_epi32(ub), u1 = _mm256_cvtepu8_epi32(_mm_srli_si128(ub, 8));
        const __m256i v0 = _mm256_cvtepu8_epi32(vb), v1 = _mm256_cvtepu8_epi32(_mm_srli_si128(vb, 8));
        const __m128i r = to_bytes(component(y0, v0, crv, v0, 0, r_off, cy, base), component(y1, v1, crv, v1, 0, r_off, cy, base));
        const __m128i g = to_bytes(component(y0, u0, cgu, v0, cgv, g_off, cy, base),
                                   component(y1, u1, cgu, v1, cgv, g_off, cy, base));
        const __m128i b = to_bytes(component(y0, u0, cbu, u0, 0, b_off, cy, base), component(y1, u1, cbu, u1, 0, b_off, cy, base));
        const __m128i c0 = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(r, r0), _mm_shuffle_epi8(g, g0)), _mm_shuffle_epi8(b, b0));
        const __m128i c1 = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(r, r1), _mm_shuffle_epi8(g, g1)), _mm_shuffle_epi8(b, b1));
        const __m128i c2 = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(r, r2), _mm_shuffle_epi8(g, g2)), _mm_shuffle_epi8(b, b2));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(o), c0);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(o + 16), c1);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(o + 32), c2);
    }
}
#endif

void bgra_to_rgb(const std::uint8_t* src, int stride, int width, int height, std::uint8_t* rgb) noexcept {
    for (int y = 0; y < height; ++y) {
        const std::uint8_t* p = src + static_cast<std::ptrdiff_t>(y) * stride;
        std::uint8_t* o = rgb + static_cast<std::size_t>(y) * width * 3;
        for (int x = 0; x < width; ++x, p += 4, o += 3) o[0] = p[2], o[1] = p[1], o[2] = p[0];
    }
}

void YuvToRgb::convert(const std::uint8_t* const planes[3], const int strides[3], int width, int height,
                       bool chroma_422, std::uint8_t* rgb) const noexcept {
#if defined(__x86_64__)
    if (kernels::cpu_features() & kernels::kFeatureAVX2) {
        const int simd = width / 16 * 16;
        for (int y = 0; y < height; ++y) {
            const Row r(planes, strides, width, y, chroma_422, rgb);
            yuv_row_avx2(r.y, r.u, r.v, simd, r.out, cy_, base_, crv_, cbu_, cgu_, cgv_, r_off_, g_off_, b_off_);
            // The rest of the row through the tables (simd is even: chroma stays paired).
            row_scalar(r.y + simd, r.u + simd / 2, r.v + simd / 2, width - simd, r.out + 3 * simd);
        }
        return;
    }
#endif
    convert_scalar(planes, strides, width, height, chroma_422, rgb);
}

}  // namespace hashguard::detail
