// AVX-512 kernels (x86-64: F, BW, DQ, VL, VPOPCNTDQ). Same rules as avx2.cpp:
// target attributes per function (no -m flags on the file), separate
// multiply and add (never FMA), vectors across independent outputs only.
//
// box_rows reuses the AVX2 kernel (8x8 in-register transposes), and so does
// the odd last hash of hamming_1xn; the other kernels are 16 lanes wide. Like every SIMD set, this one is only used after
// it reproduces the scalar oracle in the start-up self-check.
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

namespace hashguard::kernels {

namespace {

// The AVX-512 float vector, for the shared kernel loops (generic.hpp).
struct V16 {
    using vec = __m512;
    using mask = __mmask16;
    using ivec = __m512i;
    static constexpr int W = 16;
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
    HG_AVX512 static ivec gather4(const std::uint8_t* row, const std::int32_t* xs) {
        return _mm512_i32gather_epi32(_mm512_loadu_si512(xs), row, 1);
    }
    template <int k>
    HG_AVX512 static vec byte_to_float(ivec v) {
        if constexpr (k > 0) v = _mm512_srli_epi32(v, 8 * k);
        return _mm512_cvtepi32_ps(_mm512_and_si512(v, _mm512_set1_epi32(0xff)));
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

}  // namespace

const Kernels* avx512_kernels() noexcept {
    static const Kernels k = {"avx512", kFeatureAVX512 | kFeatureAVX2, luma_row_generic<V16>,
                              avx2_kernels()->box_rows, box_cols_generic<V16>, dct_generic<V16>, hamming_1xn};
    return &k;
}

}  // namespace hashguard::kernels
#endif  // __x86_64__
