// AVX-512 kernels (x86-64: F, BW, DQ, VL, VPOPCNTDQ). Same rules as avx2.cpp:
// target attributes per function (no -m flags on the file), separate
// multiply and add (never FMA), vectors across independent outputs only.
//
// Every float kernel is 16 lanes wide (box_rows through 16x16 in-register
// transposes); hamming_1xn's odd last hash and range_rows' last < 8 hashes go
// through the AVX2 loops. Like every SIMD set, this one is only used after it
// reproduces the scalar oracle in the start-up self-check.
#if defined(__x86_64__)
// GCC 12's AVX-512 headers build results from _mm512_undefined_*() and trip
// -W(maybe-)uninitialized in every caller (GCC bug 105593); nothing here reads
// an uninitialised value.
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "kernels/kernels.hpp"
#include "kernels/reference.hpp"

#define HG_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vpopcntdq,avx2,popcnt")))
#define HG_VBMI __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vpopcntdq,avx512vbmi,avx2,popcnt")))

namespace hashguard::kernels {

namespace {

// The 4 bytes at p as an int (unaligned).
inline int word_at(const std::uint8_t* p) {
    std::uint32_t u;
    std::memcpy(&u, p, 4);
    return static_cast<int>(u);
}

// The AVX-512 float vector, for the shared kernel loops (generic.hpp).
struct V16 {
    using vec = __m512;
    using mask = __mmask16;
    using ivec = __m512i;
    static constexpr int W = 16;
    static constexpr int kRowGroups = 1;  // box_rows: 16 rows per step
    HG_AVX512 static vec zero() { return _mm512_setzero_ps(); }
    HG_AVX512 static vec set1(float x) { return _mm512_set1_ps(x); }
    HG_AVX512 static vec add(vec a, vec b) { return _mm512_add_ps(a, b); }
    HG_AVX512 static vec sub(vec a, vec b) { return _mm512_sub_ps(a, b); }
    HG_AVX512 static vec mul(vec a, vec b) { return _mm512_mul_ps(a, b); }
    HG_AVX512 static vec div(vec a, vec b) { return _mm512_div_ps(a, b); }
    HG_AVX512 static vec load(const float* p) { return _mm512_loadu_ps(p); }
    HG_AVX512 static void store(float* p, vec x) { _mm512_storeu_ps(p, x); }
    HG_AVX512 static vec load_part(const float* p, mask m) { return _mm512_maskz_loadu_ps(m, p); }
    HG_AVX512 static void store_part(float* p, mask m, vec x) { _mm512_mask_storeu_ps(p, m, x); }
    HG_AVX512 static mask tail_mask(int lanes) { return static_cast<mask>((1u << lanes) - 1); }
    // Sixteen 4-byte loads assembled into a vector: 2x faster than
    // vpgatherdd here (luma of 1920x1080 -> 512x512: 97 us vs 201 us).
    HG_AVX512 static ivec gather4(const std::uint8_t* row, const std::int32_t* xs) {
        const __m256i lo = _mm256_setr_epi32(word_at(row + xs[0]), word_at(row + xs[1]), word_at(row + xs[2]),
                                             word_at(row + xs[3]), word_at(row + xs[4]), word_at(row + xs[5]),
                                             word_at(row + xs[6]), word_at(row + xs[7]));
        const __m256i hi = _mm256_setr_epi32(word_at(row + xs[8]), word_at(row + xs[9]), word_at(row + xs[10]),
                                             word_at(row + xs[11]), word_at(row + xs[12]), word_at(row + xs[13]),
                                             word_at(row + xs[14]), word_at(row + xs[15]));
        return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
    }
    template <int k>
    HG_AVX512 static vec byte_to_float(ivec v) {
        if constexpr (k > 0) v = _mm512_srli_epi32(v, 8 * k);
        return _mm512_cvtepi32_ps(_mm512_and_si512(v, _mm512_set1_epi32(0xff)));
    }
    // A 16x16 block, in registers: 2x2 element pairs (unpack), 4x4 blocks
    // within 128-bit lanes (shuffle), then the lanes in two rounds.
    HG_AVX512 static void transpose(const float* in, std::size_t in_stride, float* out, std::size_t out_stride) {
        __m512 r[16], t[16];
        for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(in + i * in_stride);
        for (int i = 0; i < 8; ++i) {
            t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
            t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
        }
        // r[4i + e], 128-bit lane k: rows 4i..4i+3 of column 4k + e
        for (int i = 0; i < 4; ++i) {
            r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
            r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
            r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
            r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
        }
        for (int e = 0; e < 4; ++e) {
            const __m512 a = _mm512_shuffle_f32x4(r[e], r[4 + e], 0x88), b = _mm512_shuffle_f32x4(r[e], r[4 + e], 0xDD);
            const __m512 c = _mm512_shuffle_f32x4(r[8 + e], r[12 + e], 0x88),
                         d = _mm512_shuffle_f32x4(r[8 + e], r[12 + e], 0xDD);
            _mm512_storeu_ps(out + (0 + e) * out_stride, _mm512_shuffle_f32x4(a, c, 0x88));
            _mm512_storeu_ps(out + (4 + e) * out_stride, _mm512_shuffle_f32x4(b, d, 0x88));
            _mm512_storeu_ps(out + (8 + e) * out_stride, _mm512_shuffle_f32x4(a, c, 0xDD));
            _mm512_storeu_ps(out + (12 + e) * out_stride, _mm512_shuffle_f32x4(b, d, 0xDD));
        }
    }
};

#define HG_TARGET HG_AVX512
#include "kernels/generic.hpp"
#undef HG_TARGET

HG_AVX512 void hamming_1xn(const std::uint64_t* q, const std::uint64_t* db, std::size_t n, std::uint16_t* out) {
    // Two hashes per vector: lanes 0-3 and 4-7, each popcounted and summed.
    const __m512i qq = _mm512_set_epi64(static_cast<long long>(q[3]), static_cast<long long>(q[2]),
                                        static_cast<long long>(q[1]), static_cast<long long>(q[0]),
                                        static_cast<long long>(q[3]), static_cast<long long>(q[2]),
                                        static_cast<long long>(q[1]), static_cast<long long>(q[0]));
    alignas(64) std::uint64_t c[8];
    std::size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        _mm512_store_si512(c, _mm512_popcnt_epi64(_mm512_xor_si512(qq, _mm512_loadu_si512(db + 4 * i))));
        out[i] = static_cast<std::uint16_t>(c[0] + c[1] + c[2] + c[3]);
        out[i + 1] = static_cast<std::uint16_t>(c[4] + c[5] + c[6] + c[7]);
    }
    if (i < n) avx2_kernels()->hamming_1xn(q, db + 4 * i, n - i, out + i);  // the odd last hash
}

// Distances of 8 hashes (db[0..32)) to one query (qq: its 4 words twice) as
// 8 u64 lanes, hash order, reduced in registers: per vector of two hashes
// the 8 word popcounts, pairs of words summed across two vectors by
// unpacklo/hi, then the halves gathered and summed by two-source permutes.
HG_AVX512 __m512i distances8(const std::uint64_t* db, __m512i qq) {
    const __m512i p0 = _mm512_popcnt_epi64(_mm512_xor_si512(qq, _mm512_loadu_si512(db)));
    const __m512i p1 = _mm512_popcnt_epi64(_mm512_xor_si512(qq, _mm512_loadu_si512(db + 8)));
    const __m512i p2 = _mm512_popcnt_epi64(_mm512_xor_si512(qq, _mm512_loadu_si512(db + 16)));
    const __m512i p3 = _mm512_popcnt_epi64(_mm512_xor_si512(qq, _mm512_loadu_si512(db + 24)));
    // s01 lanes: h0 w01, h2 w01, h0 w23, h2 w23, h1 w01, h3 w01, h1 w23, h3 w23 (likewise s23: h4..h7)
    const __m512i s01 = _mm512_add_epi64(_mm512_unpacklo_epi64(p0, p1), _mm512_unpackhi_epi64(p0, p1));
    const __m512i s23 = _mm512_add_epi64(_mm512_unpacklo_epi64(p2, p3), _mm512_unpackhi_epi64(p2, p3));
    const __m512i lo = _mm512_setr_epi64(0, 4, 1, 5, 8, 12, 9, 13), hi = _mm512_setr_epi64(2, 6, 3, 7, 10, 14, 11, 15);
    return _mm512_add_epi64(_mm512_permutex2var_epi64(s01, lo, s23), _mm512_permutex2var_epi64(s01, hi, s23));
}

// Row-major range scan: 8 hashes (4 vectors) per step, each query XORed,
// popcounted and reduced in registers, then one mask compare with the radius;
// the distances leave the registers only when a lane is in range.
HG_AVX512 std::size_t range_rows(const std::uint64_t* qs, std::size_t m, const std::uint64_t* db, std::size_t n,
                                 std::uint32_t first, int radius, RangeHit* hits) {
    const __m512i r = _mm512_set1_epi64(radius);
    std::size_t count = 0, j = 0;
    for (; j + 8 <= n; j += 8)
        for (std::size_t i = 0; i < m; ++i) {
            const __m512i qq = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(qs + 4 * i)));
            const __m512i d = distances8(db + 4 * j, qq);
            const __mmask8 in = _mm512_cmple_epu64_mask(d, r);
            if (!in) continue;
            alignas(64) std::uint64_t dv[8];
            _mm512_store_si512(dv, d);
            for (unsigned bits = in; bits; bits &= bits - 1) {
                const int l = __builtin_ctz(bits);
                hits[count++] = {first + static_cast<std::uint32_t>(j + l), static_cast<std::uint16_t>(i),
                                 static_cast<std::uint16_t>(dv[l])};
            }
        }
    if (j < n) count += avx2_kernels()->range_rows(qs, m, db + 4 * j, n - j, first + static_cast<std::uint32_t>(j), radius, hits + count);
    return count;
}

// 512 lanes per vector (a whole sliced block plane); the full adder is two
// vpternlogq (parity 0x96, majority 0xE8).
struct Bits512 {
    using vec = __m512i;
    static constexpr std::size_t kWords = 8;
    HG_AVX512 static vec load(const std::uint64_t* p) { return _mm512_loadu_si512(p); }
    HG_AVX512 static void store(std::uint64_t* p, vec v) { _mm512_storeu_si512(p, v); }
    HG_AVX512 static vec zero() { return _mm512_setzero_si512(); }
    HG_AVX512 static vec ones() { return _mm512_set1_epi64(-1); }
    HG_AVX512 static vec and_(vec a, vec b) { return _mm512_and_si512(a, b); }
    HG_AVX512 static vec or_(vec a, vec b) { return _mm512_or_si512(a, b); }
    HG_AVX512 static vec xor_(vec a, vec b) { return _mm512_xor_si512(a, b); }
    HG_AVX512 static vec andnot(vec a, vec b) { return _mm512_andnot_si512(a, b); }
    HG_AVX512 static void csa(vec& hi, vec& lo, vec a, vec b, vec c) {
        lo = _mm512_ternarylogic_epi64(a, b, c, 0x96);
        hi = _mm512_ternarylogic_epi64(a, b, c, 0xE8);
    }
    HG_AVX512 static bool any(vec v) { return _mm512_test_epi64_mask(v, v) != 0; }
};

struct Popcnt {
    HG_AVX512 static int distance(const std::uint64_t* q, const std::uint64_t* h) {
        return static_cast<int>(_mm_popcnt_u64(q[0] ^ h[0]) + _mm_popcnt_u64(q[1] ^ h[1]) +
                                _mm_popcnt_u64(q[2] ^ h[2]) + _mm_popcnt_u64(q[3] ^ h[3]));
    }
};

#define HG_TARGET HG_AVX512
#include "kernels/generic_range.hpp"
#undef HG_TARGET

// ---- Luma through byte permutes (the avx512vbmi set) ----
//
// Sixteen inserts per vector (gather4) keep the shuffle port busy for ~15
// cycles per 16 pixels. With VBMI, the pixels of a block of 16 columns are
// picked out of the 64-byte windows that start at the block's first pixel:
// one vpermb per window puts its bytes into place (R in bytes 0-15, G in
// 16-31, B in 32-47), merged under the mask of the bytes that window holds.
// Which byte goes where depends only on xs, the same for every row, so the
// indices are computed once per image (the plan). Blocks whose pixels span
// more than kWindows windows (a source more than ~5x wider than the output),
// and blocks whose windows would read past `avail`, take gather4. The
// arithmetic per lane is luma_row_generic's, in its order.
struct alignas(64) PermBlock {
    __m512i idx[4];
    __mmask64 mask[4];
    std::int32_t base;  // byte offset of the block's first pixel
    std::int32_t windows;  // 1..kWindows; 0: gather4
};

struct LumaVbmi {
    static constexpr int kWindows = 4;
    static std::size_t plan_bytes(int cols) { return static_cast<std::size_t>(cols / 16) * sizeof(PermBlock); }
    HG_AVX512 static void plan(const LumaSource& src, int cols, void* mem) {
        PermBlock* blocks = static_cast<PermBlock*>(mem);
        const int ch = src.view.channels == 1 ? 1 : 3;  // bytes each pixel's luma reads
        for (int bi = 0; bi < cols / 16; ++bi) {
            PermBlock& b = blocks[bi];
            const std::int32_t* xs = src.xs + 16 * bi;
            alignas(64) std::uint8_t idx[kWindows][64] = {};
            std::uint64_t mask[kWindows] = {};
            b.base = xs[0];
            b.windows = 1;
            for (int l = 0; l < 16 && b.windows; ++l)
                for (int c = 0; c < ch; ++c) {
                    const std::int64_t off = static_cast<std::int64_t>(xs[l]) - b.base + c;
                    if (off < 0 || off >= 64 * kWindows) {  // resampling never goes backwards; be safe
                        b.windows = 0;
                        break;
                    }
                    const int w = static_cast<int>(off / 64), lane = 16 * c + l;
                    idx[w][lane] = static_cast<std::uint8_t>(off % 64);
                    mask[w] |= std::uint64_t{1} << lane;
                    b.windows = std::max(b.windows, w + 1);
                }
            for (int w = 0; w < kWindows; ++w) {
                b.idx[w] = _mm512_load_si512(idx[w]);
                b.mask[w] = mask[w];
            }
        }
    }
    HG_VBMI static void row(const void* plan, const std::uint8_t* row, std::size_t avail, const std::int32_t* xs,
                            int ch, float* o, int cols) {
        const PermBlock* blocks = static_cast<const PermBlock*>(plan);
        const __m512 kr = _mm512_set1_ps(kLumaR), kg = _mm512_set1_ps(kLumaG), kb = _mm512_set1_ps(kLumaB);
        int x = 0;
        for (; x + 16 <= cols; x += 16) {
            const PermBlock& b = blocks[x / 16];
            if (b.windows == 0 || static_cast<std::size_t>(b.base) + 64 * static_cast<std::size_t>(b.windows) > avail) {
                luma_row_generic<V16>(row, avail, xs + x, ch, o + x, 16);
                continue;
            }
            const std::uint8_t* p = row + b.base;
            __m512i px = _mm512_permutexvar_epi8(b.idx[0], _mm512_loadu_si512(p));
            for (int w = 1; w < b.windows; ++w)
                px = _mm512_mask_permutexvar_epi8(px, b.mask[w], b.idx[w], _mm512_loadu_si512(p + 64 * w));
            const __m512 r = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm512_castsi512_si128(px)));
            if (ch == 1) {
                _mm512_storeu_ps(o + x, r);
                continue;
            }
            const __m512 g = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(px, 1)));
            const __m512 bl = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(px, 2)));
            const __m512 rg = _mm512_add_ps(_mm512_mul_ps(kr, r), _mm512_mul_ps(kg, g));
            _mm512_storeu_ps(o + x, _mm512_add_ps(rg, _mm512_mul_ps(kb, bl)));
        }
        for (; x < cols; ++x) o[x] = luma_pixel(row + xs[x], ch);
    }
};

}  // namespace

const Kernels* avx512_kernels() noexcept {
    static const Kernels k = {"avx512", kFeatureAVX512 | kFeatureAVX2, luma_row_generic<V16>,
                              box_rows_generic<V16>, box_cols_generic<V16>, blur_scratch_stream<LumaFn<luma_row_generic<V16>>>,
                              blur_decimate_stream<V16, LumaFn<luma_row_generic<V16>>>, dct_generic<V16>, hamming_1xn,
                              range_rows, range_pairs_generic<Popcnt>, range_sliced_generic<Bits512>};
    return &k;
}

// The AVX-512 set with the hash core's luma through byte permutes; every
// other kernel is the avx512 set's.
const Kernels* avx512vbmi_kernels() noexcept {
    static const Kernels k = {"avx512vbmi", kFeatureAVX512 | kFeatureAVX2 | kFeatureVBMI, luma_row_generic<V16>,
                              box_rows_generic<V16>, box_cols_generic<V16>, blur_scratch_stream<LumaVbmi>,
                              blur_decimate_stream<V16, LumaVbmi>, dct_generic<V16>, hamming_1xn,
                              range_rows, range_pairs_generic<Popcnt>, range_sliced_generic<Bits512>};
    return &k;
}

}  // namespace hashguard::kernels
#endif  // __x86_64__
