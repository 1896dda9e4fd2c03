// NEON kernels (AArch64). Same rules as the x86 sets: separate vmulq/vaddq
// (no fused multiply-add; the library builds with -ffp-contract=off), vectors
// across independent outputs, per output the scalar kernel's operation order.
#if defined(__aarch64__)
#include <arm_neon.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "kernels/kernels.hpp"
#include "kernels/reference.hpp"

namespace hashguard::kernels {

namespace {

void luma_row(const std::uint8_t* row, std::size_t, const std::int32_t* xs, int channels, float* o, int cols) {
    const float32x4_t kr = vdupq_n_f32(kLumaR), kg = vdupq_n_f32(kLumaG), kb = vdupq_n_f32(kLumaB);
    int x = 0;
    for (; x + 4 <= cols; x += 4) {
        std::uint32_t r[4], g[4] = {}, b[4] = {};
        for (int i = 0; i < 4; ++i) {
            const std::uint8_t* p = row + xs[x + i];
            r[i] = p[0];
            if (channels == 3) { g[i] = p[1]; b[i] = p[2]; }
        }
        const float32x4_t fr = vcvtq_f32_u32(vld1q_u32(r));
        if (channels == 1) {
            vst1q_f32(o + x, fr);
        } else {
            const float32x4_t fg = vcvtq_f32_u32(vld1q_u32(g)), fb = vcvtq_f32_u32(vld1q_u32(b));
            const float32x4_t rg = vaddq_f32(vmulq_f32(kr, fr), vmulq_f32(kg, fg));
            vst1q_f32(o + x, vaddq_f32(rg, vmulq_f32(kb, fb)));
        }
    }
    for (; x < cols; ++x) o[x] = luma_pixel(row + xs[x], channels);
}

// The NEON float vector, for the shared kernel loops (generic.hpp).
// A partial vector is the first `mask` lanes.
struct V4 {
    using vec = float32x4_t;
    using mask = int;
    static constexpr int W = 4;
    static constexpr int kRowGroups = 1;  // box_rows: 4 rows per step
    static vec zero() { return vdupq_n_f32(0.0f); }
    static vec set1(float x) { return vdupq_n_f32(x); }
    static vec add(vec a, vec b) { return vaddq_f32(a, b); }
    static vec sub(vec a, vec b) { return vsubq_f32(a, b); }
    static vec mul(vec a, vec b) { return vmulq_f32(a, b); }
    static vec div(vec a, vec b) { return vdivq_f32(a, b); }
    static vec load(const float* p) { return vld1q_f32(p); }
    static void store(float* p, vec x) { vst1q_f32(p, x); }
    static vec load_part(const float* p, mask n) {
        float t[4] = {0, 0, 0, 0};
        std::memcpy(t, p, sizeof(float) * static_cast<std::size_t>(n));
        return vld1q_f32(t);
    }
    static void store_part(float* p, mask n, vec x) {
        float t[4];
        vst1q_f32(t, x);
        std::memcpy(p, t, sizeof(float) * static_cast<std::size_t>(n));
    }
    static mask tail_mask(int lanes) { return lanes; }
    // A 4x4 block, in registers.
    static void transpose(const float* in, std::size_t in_stride, float* out, std::size_t out_stride) {
        const float32x4_t r0 = vld1q_f32(in), r1 = vld1q_f32(in + in_stride),
                          r2 = vld1q_f32(in + 2 * in_stride), r3 = vld1q_f32(in + 3 * in_stride);
        const float32x4_t t0 = vtrn1q_f32(r0, r1), t1 = vtrn2q_f32(r0, r1), t2 = vtrn1q_f32(r2, r3),
                          t3 = vtrn2q_f32(r2, r3);
        auto f64 = [](float32x4_t v) { return vreinterpretq_f64_f32(v); };
        vst1q_f32(out, vreinterpretq_f32_f64(vtrn1q_f64(f64(t0), f64(t2))));
        vst1q_f32(out + out_stride, vreinterpretq_f32_f64(vtrn1q_f64(f64(t1), f64(t3))));
        vst1q_f32(out + 2 * out_stride, vreinterpretq_f32_f64(vtrn2q_f64(f64(t0), f64(t2))));
        vst1q_f32(out + 3 * out_stride, vreinterpretq_f32_f64(vtrn2q_f64(f64(t1), f64(t3))));
    }
};

#define HG_TARGET
#include "kernels/generic.hpp"
#undef HG_TARGET

void hamming_1xn(const std::uint64_t* q, const std::uint64_t* db, std::size_t n, std::uint16_t* out) {
    const uint8x16_t q0 = vreinterpretq_u8_u64(vld1q_u64(q)), q1 = vreinterpretq_u8_u64(vld1q_u64(q + 2));
    for (std::size_t i = 0; i < n; ++i) {
        const uint8x16_t x0 = veorq_u8(q0, vreinterpretq_u8_u64(vld1q_u64(db + 4 * i)));
        const uint8x16_t x1 = veorq_u8(q1, vreinterpretq_u8_u64(vld1q_u64(db + 4 * i + 2)));
        out[i] = static_cast<std::uint16_t>(vaddlvq_u8(vcntq_u8(x0)) + vaddlvq_u8(vcntq_u8(x1)));
    }
}

// Row distances: byte counts of the two XORed halves, summed across lanes.
struct Vcnt {
    static int distance(const std::uint64_t* q, const std::uint64_t* h) {
        const uint8x16_t x0 = veorq_u8(vreinterpretq_u8_u64(vld1q_u64(q)), vreinterpretq_u8_u64(vld1q_u64(h)));
        const uint8x16_t x1 = veorq_u8(vreinterpretq_u8_u64(vld1q_u64(q + 2)), vreinterpretq_u8_u64(vld1q_u64(h + 2)));
        return vaddlvq_u8(vaddq_u8(vcntq_u8(x0), vcntq_u8(x1)));
    }
};

// 128 lanes of a sliced block per vector; the full adder's majority is one
// bit select (where a and b differ it is c, else a).
struct Bits128 {
    using vec = uint64x2_t;
    static constexpr std::size_t kWords = 2;
    static vec load(const std::uint64_t* p) { return vld1q_u64(p); }
    static void store(std::uint64_t* p, vec v) { vst1q_u64(p, v); }
    static vec zero() { return vdupq_n_u64(0); }
    static vec ones() { return vdupq_n_u64(~std::uint64_t{0}); }
    static vec and_(vec a, vec b) { return vandq_u64(a, b); }
    static vec or_(vec a, vec b) { return vorrq_u64(a, b); }
    static vec xor_(vec a, vec b) { return veorq_u64(a, b); }
    static vec andnot(vec a, vec b) { return vbicq_u64(b, a); }
    static void csa(vec& hi, vec& lo, vec a, vec b, vec c) {
        const vec u = veorq_u64(a, b);
        lo = veorq_u64(u, c);
        hi = vbslq_u64(u, c, a);
    }
    static bool any(vec v) { return (vgetq_lane_u64(v, 0) | vgetq_lane_u64(v, 1)) != 0; }
};

#define HG_TARGET
#include "kernels/generic_range.hpp"
#undef HG_TARGET

const Kernels kNeon = {"neon", kFeatureNEON, luma_row, box_rows_generic<V4>, box_cols_generic<V4>,
                       blur_scratch_stream<LumaFn<luma_row>>, blur_decimate_stream<V4, LumaFn<luma_row>>, dct_generic<V4>, hamming_1xn, range_rows_generic<Vcnt>, range_pairs_generic<Vcnt>,
                       range_sliced_generic<Bits128>};

}  // namespace

const Kernels* neon_kernels() noexcept { return &kNeon; }

}  // namespace hashguard::kernels
#endif  // __aarch64__
