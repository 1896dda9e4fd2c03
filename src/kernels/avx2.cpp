// AVX2 kernels (x86-64). Every function carries a target attribute instead of
// compiling the file with -mavx2: code the compiler emits for inline header
// functions (std::, reference.hpp) stays baseline, so nothing AVX2 can leak into
// code paths shared with CPUs that lack it (an ODR trap of per-file flags).
//
// Bit-exactness: only separate _mm256_mul_ps/_mm256_add_ps (never FMA), and
// vectors span independent outputs; each lane performs the scalar kernel's
// operations in the scalar kernel's order.
#if defined(__x86_64__)
#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "kernels/kernels.hpp"
#include "kernels/reference.hpp"

#define HG_AVX2 __attribute__((target("avx2,popcnt")))
#define HG_ALWAYS_INLINE __attribute__((always_inline))

namespace hashguard::kernels {

namespace {

HG_AVX2 void luma_row(const std::uint8_t* row, std::size_t avail, const std::int32_t* xs, int channels, float* o,
                      int cols) {
    const __m256i lo8 = _mm256_set1_epi32(0xff);
    const __m256 kr = _mm256_set1_ps(kLumaR), kg = _mm256_set1_ps(kLumaG),
                 kb = _mm256_set1_ps(kLumaB);
    int x = 0;
    // 4-byte gathers: a lane may read past its pixel, never past `avail`.
    for (; x + 8 <= cols && static_cast<std::size_t>(xs[x + 7]) + 4 <= avail; x += 8) {
        // Eight 4-byte loads assembled into a vector: faster than vpgatherdd
        // on the AMD cores these machines run.
        auto ld = [row](std::int32_t off) HG_ALWAYS_INLINE {
            std::uint32_t u;
            std::memcpy(&u, row + off, 4);
            return static_cast<int>(u);
        };
        const __m256i v = _mm256_setr_epi32(ld(xs[x]), ld(xs[x + 1]), ld(xs[x + 2]), ld(xs[x + 3]), ld(xs[x + 4]),
                                            ld(xs[x + 5]), ld(xs[x + 6]), ld(xs[x + 7]));
        if (channels == 1) {
            _mm256_storeu_ps(o + x, _mm256_cvtepi32_ps(_mm256_and_si256(v, lo8)));
        } else {
            const __m256 r = _mm256_cvtepi32_ps(_mm256_and_si256(v, lo8));
            const __m256 g = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32(v, 8), lo8));
            const __m256 b = _mm256_cvtepi32_ps(_mm256_and_si256(_mm256_srli_epi32(v, 16), lo8));
            const __m256 rg = _mm256_add_ps(_mm256_mul_ps(kr, r), _mm256_mul_ps(kg, g));
            _mm256_storeu_ps(o + x, _mm256_add_ps(rg, _mm256_mul_ps(kb, b)));
        }
    }
    for (; x < cols; ++x) {
        const std::uint8_t* p = row + xs[x];
        o[x] = channels == 1 ? static_cast<float>(p[0]) : luma_rgb(p[0], p[1], p[2]);
    }
}

// The AVX2 float vector, for the shared kernel loops (generic.hpp).
struct V8 {
    using vec = __m256;
    using mask = __m256i;
    static constexpr int W = 8;
    static constexpr int kRowGroups = 2;  // box_rows: 16 rows per step
    HG_AVX2 static vec zero() { return _mm256_setzero_ps(); }
    HG_AVX2 static vec set1(float x) { return _mm256_set1_ps(x); }
    HG_AVX2 static vec add(vec a, vec b) { return _mm256_add_ps(a, b); }
    HG_AVX2 static vec sub(vec a, vec b) { return _mm256_sub_ps(a, b); }
    HG_AVX2 static vec mul(vec a, vec b) { return _mm256_mul_ps(a, b); }
    HG_AVX2 static vec div(vec a, vec b) { return _mm256_div_ps(a, b); }
    HG_AVX2 static vec load(const float* p) { return _mm256_loadu_ps(p); }
    HG_AVX2 static void store(float* p, vec x) { _mm256_storeu_ps(p, x); }
    HG_AVX2 static vec load_part(const float* p, mask m) { return _mm256_maskload_ps(p, m); }
    HG_AVX2 static void store_part(float* p, mask m, vec x) { _mm256_maskstore_ps(p, m, x); }
    HG_AVX2 static mask tail_mask(int lanes) {
        return _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    }
    // An 8x8 block, in registers.
    HG_AVX2 static void transpose(const float* in, std::size_t in_stride, float* out, std::size_t out_stride) {
        const __m256 r0 = _mm256_loadu_ps(in + 0 * in_stride), r1 = _mm256_loadu_ps(in + 1 * in_stride),
                     r2 = _mm256_loadu_ps(in + 2 * in_stride), r3 = _mm256_loadu_ps(in + 3 * in_stride),
                     r4 = _mm256_loadu_ps(in + 4 * in_stride), r5 = _mm256_loadu_ps(in + 5 * in_stride),
                     r6 = _mm256_loadu_ps(in + 6 * in_stride), r7 = _mm256_loadu_ps(in + 7 * in_stride);
        const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1),
                     t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3),
                     t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
                     t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
        const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE),
                     s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE),
                     s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE),
                     s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
        _mm256_storeu_ps(out + 0 * out_stride, _mm256_permute2f128_ps(s0, s4, 0x20));
        _mm256_storeu_ps(out + 1 * out_stride, _mm256_permute2f128_ps(s1, s5, 0x20));
        _mm256_storeu_ps(out + 2 * out_stride, _mm256_permute2f128_ps(s2, s6, 0x20));
        _mm256_storeu_ps(out + 3 * out_stride, _mm256_permute2f128_ps(s3, s7, 0x20));
        _mm256_storeu_ps(out + 4 * out_stride, _mm256_permute2f128_ps(s0, s4, 0x31));
        _mm256_storeu_ps(out + 5 * out_stride, _mm256_permute2f128_ps(s1, s5, 0x31));
        _mm256_storeu_ps(out + 6 * out_stride, _mm256_permute2f128_ps(s2, s6, 0x31));
        _mm256_storeu_ps(out + 7 * out_stride, _mm256_permute2f128_ps(s3, s7, 0x31));
    }
};

#define HG_TARGET HG_AVX2
#include "kernels/generic.hpp"
#undef HG_TARGET

HG_AVX2 void hamming_1xn(const std::uint64_t* q, const std::uint64_t* db, std::size_t n, std::uint16_t* out) {
    const std::uint64_t q0 = q[0], q1 = q[1], q2 = q[2], q3 = q[3];
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint64_t* h = db + 4 * i;
        out[i] = static_cast<std::uint16_t>(_mm_popcnt_u64(q0 ^ h[0]) + _mm_popcnt_u64(q1 ^ h[1]) +
                                            _mm_popcnt_u64(q2 ^ h[2]) + _mm_popcnt_u64(q3 ^ h[3]));
    }
}


const Kernels kAvx2 = {"avx2", kFeatureAVX2, luma_row, box_rows_generic<V8>, box_cols_generic<V8>,
                       dct_generic<V8>, hamming_1xn};

}  // namespace

const Kernels* avx2_kernels() noexcept { return &kAvx2; }

}  // namespace hashguard::kernels
#endif  // __x86_64__
