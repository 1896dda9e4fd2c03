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
#include <string_view>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "kernels/kernels.hpp"
#include "kernels/reference.hpp"

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
    // The 16-bit pieces: k = 65536 * (k >> 16) + (k & 0xFFFF), the fraction in 0..65535.
    auto whole = [](std::int64_t k) { return static_cast<int>(k >> 16); };
    auto frac = [](std::int64_t k) { return static_cast<int>(k & 0xFFFF); };
    const std::int64_t base = -(std::int64_t{384} << 16) - kHeadroom * cy - oy + 0x8000;
    k16_ = Coef16{whole(crv), frac(crv), whole(cgu), frac(cgu), whole(cgv), frac(cgv), whole(cbu), frac(cbu),
                  ko - static_cast<int>(crv >> 9), ko - static_cast<int>(cgu >> 9) - static_cast<int>(cgv >> 9),
                  ko - static_cast<int>(cbu >> 9), static_cast<int>(cy - 65536), frac(base), whole(base)};
    // The split holds for these coefficients (cy in 65536..131071); a
    // table set it cannot express converts through the tables.
    simd_ok_ = in_range_ && cy >= 65536 && cy < 131072;
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
        out = rgb ? rgb + static_cast<std::size_t>(row) * width * 3 : nullptr;
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

#if defined(__x86_64__)
// The SIMD rows (yuv_rgb_simd.inc), one namespace and target region per set.
#if defined(__clang__)  // clang has no `#pragma GCC target`; its attribute pragma does the same
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif
namespace simd_avx2 {
struct Ops {
    using V = __m256i;
    static constexpr int kLanes = 16;
    static V set1(int v) { return _mm256_set1_epi16(static_cast<short>(v)); }
    static V add(V a, V b) { return _mm256_add_epi16(a, b); }
    static V mullo(V a, V b) { return _mm256_mullo_epi16(a, b); }
    static V mulhi(V a, V b) { return _mm256_mulhi_epu16(a, b); }
    // 1 in the lanes where a + b passes 65535 (unsigned), else 0.
    static V carry(V a, V b) {
        const V s = _mm256_add_epi16(a, b);
        return _mm256_add_epi16(_mm256_cmpeq_epi16(_mm256_max_epu16(s, a), s), _mm256_set1_epi16(1));
    }
    // kLanes bytes as u16 lanes, in order.
    static V widen(const std::uint8_t* p) { return _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
    // Chroma lanes c0..c15 -> each twice: (c0 c0 ... c7 c7) and (c8 c8 ... c15 c15).
    static void pairs(V c, V& lo, V& hi) {
        const V q = _mm256_permute4x64_epi64(c, 0xD8);  // c0-3 c8-11 | c4-7 c12-15
        lo = _mm256_unpacklo_epi16(q, q);
        hi = _mm256_unpackhi_epi16(q, q);
    }
    // Two vectors of int16 as 2 kLanes bytes clipped to 0..255, in order.
    static void pack_store(V a, V b, std::uint8_t* o) {
        _mm256_store_si256(reinterpret_cast<__m256i*>(o), _mm256_permute4x64_epi64(_mm256_packus_epi16(a, b), 0xD8));
    }
    static V clip(V a) { return _mm256_min_epi16(_mm256_max_epi16(a, _mm256_setzero_si256()), _mm256_set1_epi16(255)); }
    // kLanes pixels' luma_rgb from clipped R, G, B lanes, in its order, to o.
    static void luma(V r, V g, V b, float* o) {
        for (int h = 0; h < 2; ++h) {
            auto f = [&](V c) {
                const __m128i q = h ? _mm256_extracti128_si256(c, 1) : _mm256_castsi256_si128(c);
                return _mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(q));
            };
            const __m256 y = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(kernels::kLumaR), f(r)),
                                                         _mm256_mul_ps(_mm256_set1_ps(kernels::kLumaG), f(g))),
                                           _mm256_mul_ps(_mm256_set1_ps(kernels::kLumaB), f(b)));
            _mm256_storeu_ps(o + 8 * h, y);
        }
    }
};
#include "video/yuv_rgb_simd.inc"
}  // namespace simd_avx2
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,avx512f,avx512bw"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,avx512f,avx512bw")
#endif
// GCC 12's AVX-512 headers build results from _mm512_undefined_*() and trip
// -Wmaybe-uninitialized in every caller (GCC bug 105593), as in kernels/avx512.cpp.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
namespace simd_avx512 {
struct Ops {
    using V = __m512i;
    static constexpr int kLanes = 32;
    static V set1(int v) { return _mm512_set1_epi16(static_cast<short>(v)); }
    static V add(V a, V b) { return _mm512_add_epi16(a, b); }
    static V mullo(V a, V b) { return _mm512_mullo_epi16(a, b); }
    static V mulhi(V a, V b) { return _mm512_mulhi_epu16(a, b); }
    static V carry(V a, V b) { return _mm512_maskz_set1_epi16(_mm512_cmplt_epu16_mask(_mm512_add_epi16(a, b), a), 1); }
    static V widen(const std::uint8_t* p) { return _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
    // c0..c31 -> (c0 c0 ... c15 c15) and (c16 c16 ... c31 c31).
    static void pairs(V c, V& lo, V& hi) {
        // 64-bit quarters of each 128-bit lane: c0-3 c8-11 | c4-7 c12-15 | c16-19 c24-27 | c20-23 c28-31
        const V q = _mm512_permutexvar_epi64(_mm512_setr_epi64(0, 2, 1, 3, 4, 6, 5, 7), c);
        const V a = _mm512_unpacklo_epi16(q, q);  // c0-3 | c4-7 | c16-19 | c20-23, doubled
        const V b = _mm512_unpackhi_epi16(q, q);  // c8-11 | c12-15 | c24-27 | c28-31, doubled
        lo = _mm512_shuffle_i64x2(a, b, 0x44);    // a0 a1 b0 b1
        hi = _mm512_shuffle_i64x2(a, b, 0xEE);    // a2 a3 b2 b3
    }
    static void pack_store(V a, V b, std::uint8_t* o) {
        const V p = _mm512_packus_epi16(a, b);  // per 128-bit lane: 8 bytes of a, then 8 of b
        _mm512_store_si512(o, _mm512_permutexvar_epi64(_mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7), p));
    }
    static V clip(V a) { return _mm512_min_epi16(_mm512_max_epi16(a, _mm512_setzero_si512()), _mm512_set1_epi16(255)); }
    static void luma(V r, V g, V b, float* o) {
        for (int h = 0; h < 2; ++h) {
            auto f = [&](V c) {
                const __m256i q = h ? _mm512_extracti64x4_epi64(c, 1) : _mm512_castsi512_si256(c);
                return _mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(q));
            };
            const __m512 y = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(kernels::kLumaR), f(r)),
                                                         _mm512_mul_ps(_mm512_set1_ps(kernels::kLumaG), f(g))),
                                           _mm512_mul_ps(_mm512_set1_ps(kernels::kLumaB), f(b)));
            _mm512_storeu_ps(o + 16 * h, y);
        }
    }
};
#include "video/yuv_rgb_simd.inc"
}  // namespace simd_avx512
#pragma GCC diagnostic pop
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif

void bgra_to_rgb(const std::uint8_t* src, int stride, int width, int height, std::uint8_t* rgb) noexcept {
    for (int y = 0; y < height; ++y) {
        const std::uint8_t* p = src + static_cast<std::ptrdiff_t>(y) * stride;
        std::uint8_t* o = rgb + static_cast<std::size_t>(y) * width * 3;
        for (int x = 0; x < width; ++x, p += 4, o += 3) o[0] = p[2], o[1] = p[1], o[2] = p[0];
    }
}

bool YuvToRgb::pick(YuvPath path, Simd& out) const noexcept {
    out = Simd{};
#if defined(__x86_64__)
    const unsigned f = kernels::cpu_features();
    const bool has512 = simd_ok_ && (f & kernels::kFeatureAVX512), has2 = simd_ok_ && (f & kernels::kFeatureAVX2);
    if (path == YuvPath::best) {  // the hash core's kernel set decides (HASHGUARD_FORCE_KERNEL forces both)
        const std::string_view set = kernels::active().name;
        path = set.substr(0, 6) == "avx512" && has512 ? YuvPath::avx512 : set == "avx2" && has2 ? YuvPath::avx2
                                                                                                : YuvPath::scalar;
    }
    if ((path == YuvPath::avx512 && !has512) || (path == YuvPath::avx2 && !has2)) return false;
    if (path == YuvPath::avx512) out = {simd_avx512::row, simd_avx512::row_luma, 2 * simd_avx512::Ops::kLanes};
    if (path == YuvPath::avx2) out = {simd_avx2::row, simd_avx2::row_luma, 2 * simd_avx2::Ops::kLanes};
#else
    if (path == YuvPath::avx2 || path == YuvPath::avx512) return false;
#endif
    return true;
}

bool YuvToRgb::convert_with(YuvPath path, const std::uint8_t* const planes[3], const int strides[3], int width,
                            int height, bool chroma_422, std::uint8_t* rgb) const noexcept {
    Simd simd;
    if (!pick(path, simd)) return false;
    const int n = simd.rgb ? width / simd.step * simd.step : 0;  // even: chroma stays paired at the seam
    for (int y = 0; y < height; ++y) {
        const Row r(planes, strides, width, y, chroma_422, rgb);
        if (n) simd.rgb(r.y, r.u, r.v, n, r.out, k16_);
        row_scalar(r.y + n, r.u + n / 2, r.v + n / 2, width - n, r.out + 3 * n);  // the rest through the tables
    }
    return true;
}

void YuvToRgb::luma_row(const Simd& simd, const std::uint8_t* const planes[3], const int strides[3], int width,
                        int row, bool chroma_422, float* out) const noexcept {
    const Row r(planes, strides, width, row, chroma_422, nullptr);
    const int n = simd.luma ? width / simd.step * simd.step : 0;
    if (n) simd.luma(r.y, r.u, r.v, n, out, k16_);
    std::uint8_t rgb[3 * 64];
    for (int x = n; x < width; x += 64) {  // the rest through the tables, 64 pixels (an even count) at a time
        const int m = std::min(64, width - x);
        row_scalar(r.y + x, r.u + x / 2, r.v + x / 2, m, rgb);
        for (int i = 0; i < m; ++i) out[x + i] = kernels::luma_rgb(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]);
    }
}

bool YuvToRgb::luma_with(YuvPath path, const std::uint8_t* const planes[3], const int strides[3], int width,
                         int height, bool chroma_422, float* luma) const noexcept {
    Simd simd;
    if (!pick(path, simd)) return false;
    for (int y = 0; y < height; ++y)
        luma_row(simd, planes, strides, width, y, chroma_422, luma + static_cast<std::size_t>(y) * width);
    return true;
}

}  // namespace hashguard::detail
