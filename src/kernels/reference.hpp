// The reference's definitions the kernels implement, owned by the kernel
// layer. Internal to the library.
//
// Every kernel set (src/kernels/) computes literally these expressions: the
// luma formula and its constants, the nearest-neighbour resampling index, the
// box filter's four phases (and the 1-D filter itself, which the scalar set
// and the SIMD sets' leftover rows run), the 16x64 DCT matrix. Tests and tools
// that check the reference's numbers read them here. Nothing in src/kernels/
// includes src/pdq/: dependencies point one way, pdq -> kernels.
#pragma once
#include <cstdint>

namespace hashguard::kernels {

inline constexpr float kLumaR = 0.299f, kLumaG = 0.587f, kLumaB = 0.114f;

/// The reference's luma: (0.299f*R + 0.587f*G) + 0.114f*B in float.
inline float luma_rgb(std::uint8_t r, std::uint8_t g, std::uint8_t b) noexcept {
    return (kLumaR * static_cast<float>(r) + kLumaG * static_cast<float>(g)) + kLumaB * static_cast<float>(b);
}

/// Luma of one pixel at p: the grey value itself (1 channel) or luma_rgb (3).
inline float luma_pixel(const std::uint8_t* p, int channels) noexcept {
    return channels == 1 ? static_cast<float>(p[0]) : luma_rgb(p[0], p[1], p[2]);
}

/// Nearest-neighbour source index: floor(dst * old / new).
inline int resample_index(int dst, int old_dim, int new_dim) noexcept {
    return static_cast<int>((static_cast<std::int64_t>(dst) * old_dim) / new_dim);
}

/// The reference's 64x64 decimation: sample i of a dimension of `dim`
/// pixels is pixel floor((i + 0.5) * dim / 64), computed in double.
inline int decimate_index(int i, int dim) noexcept { return static_cast<int>(((i + 0.5) * dim) / 64); }

/// The reference's 1-D box filter runs in four phases over a vector of n:
/// p1 accumulate without output, p2 grow the window, p3 slide it, p4 shrink.
struct BoxPhases {
    // The reference's 1-D filter itself, for one contiguous vector.
    static void filter(const float* in, float* out, int n, int window) noexcept;
    int p1, p2, p3, p4;
    BoxPhases(int n, int window) noexcept {
        const int half = (window + 2) / 2;
        p1 = half - 1;
        p2 = window - half + 1;
        p3 = n - window;
        p4 = half - 1;
    }
};

/// The reference's 16x64 DCT matrix (float), built once.
const float (&dct_matrix())[16][64];
/// Its transpose (64x16), for kernels that vectorise across the 16 outputs.
const float (&dct_matrix_t())[64][16];

}  // namespace hashguard::kernels
