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

namespace hashguard::kernels {

namespace {

// The 4 bytes at p as an int (unaligned).
inline int word_at(const std::uint8_t* p) {
    std::uint32_t u;
    std::memcpy(&u, p, 4);
    return static_cast<int>(u);
}

// The AVX2 float vector, for the shared kernel loops (generic.hpp).
struct V8 {
    using vec = __m256;
    using mask = __m256i;
    using ivec = __m256i;
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
    // Eight 4-byte loads assembled into a vector: faster than vpgatherdd on
    // the AMD cores these machines run.
    HG_AVX2 static ivec gather4(const std::uint8_t* row, const std::int32_t* xs) {
        return _mm256_setr_epi32(word_at(row + xs[0]), word_at(row + xs[1]), word_at(row + xs[2]),
                                 word_at(row + xs[3]), word_at(row + xs[4]), word_at(row + xs[5]),
                                 word_at(row + xs[6]), word_at(row + xs[7]));
    }
    template <int k>
    HG_AVX2 static vec byte_to_float(ivec v) {
        if constexpr (k > 0) v = _mm256_srli_epi32(v, 8 * k);
        return _mm256_cvtepi32_ps(_mm256_and_si256(v, _mm256_set1_epi32(0xff)));
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

// Row distances with POPCNT (a vpshufb nibble count was no faster here).
struct Popcnt {
    HG_AVX2 static int distance(const std::uint64_t* q, const std::uint64_t* h) {
        return static_cast<int>(_mm_popcnt_u64(q[0] ^ h[0]) + _mm_popcnt_u64(q[1] ^ h[1]) +
                                _mm_popcnt_u64(q[2] ^ h[2]) + _mm_popcnt_u64(q[3] ^ h[3]));
    }
};

// 256 lanes of a sliced block per vector (two parts per block).
struct Bits256 {
    using vec = __m256i;
    static constexpr std::size_t kWords = 4;
    HG_AVX2 static vec load(const std::uint64_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
    HG_AVX2 static void store(std::uint64_t* p, vec v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
    HG_AVX2 static vec zero() { return _mm256_setzero_si256(); }
    HG_AVX2 static vec ones() { return _mm256_set1_epi64x(-1); }
    HG_AVX2 static vec and_(vec a, vec b) { return _mm256_and_si256(a, b); }
    HG_AVX2 static vec or_(vec a, vec b) { return _mm256_or_si256(a, b); }
    HG_AVX2 static vec xor_(vec a, vec b) { return _mm256_xor_si256(a, b); }
    HG_AVX2 static vec andnot(vec a, vec b) { return _mm256_andnot_si256(a, b); }
    HG_AVX2 static void csa(vec& hi, vec& lo, vec a, vec b, vec c) {
        const vec u = _mm256_xor_si256(a, b);
        lo = _mm256_xor_si256(u, c);
        hi = _mm256_or_si256(_mm256_and_si256(a, b), _mm256_and_si256(u, c));
    }
    HG_AVX2 static bool any(vec v) { return !_mm256_testz_si256(v, v); }
};

#define HG_TARGET HG_AVX2
#include "kernels/generic_range.hpp"
#undef HG_TARGET

const Kernels kAvx2 = {"avx2", kFeatureAVX2, luma_row_generic<V8>, box_rows_generic<V8>, box_cols_generic<V8>,
                       blur_scratch_stream<LumaFn<luma_row_generic<V8>>>, blur_decimate_stream<V8, LumaFn<luma_row_generic<V8>>>, dct_generic<V8>, hamming_1xn, range_rows_generic<Popcnt>, range_pairs_generic<Popcnt>,
                       range_sliced_generic<Bits256>};

}  // namespace

const Kernels* avx2_kernels() noexcept { return &kAvx2; }

}  // namespace hashguard::kernels
#endif  // __x86_64__
