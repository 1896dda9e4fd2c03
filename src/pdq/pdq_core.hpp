// The PDQ pipeline's shared, non-kernel pieces. Internal to the library.
//
// Hot loops live in src/kernels/ (one set per CPU target); what is here is
// either cheap (64x64 and 16x16 work) or a definition every kernel set shares
// (the luma formula, the resampling indices, the box filter's phases), so all
// targets compute literally the same expressions.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "hashguard/pdq.hpp"

namespace hashguard::kernels {
struct Kernels;
}

namespace hashguard::detail {

inline constexpr int kMinHashableDim = 5;
inline constexpr int kPreResizeDim = 512;

inline constexpr float kLumaR = 0.299f, kLumaG = 0.587f, kLumaB = 0.114f;

/// The reference's luma: (0.299f*R + 0.587f*G) + 0.114f*B in float.
inline float luma_rgb(std::uint8_t r, std::uint8_t g, std::uint8_t b) noexcept {
    return (kLumaR * static_cast<float>(r) + kLumaG * static_cast<float>(g)) + kLumaB * static_cast<float>(b);
}

/// Nearest-neighbour source index: floor(dst * old / new).
inline int resample_index(int dst, int old_dim, int new_dim) noexcept {
    return static_cast<int>((static_cast<std::int64_t>(dst) * old_dim) / new_dim);
}

/// Byte offsets of each output column's source pixel in a row.
void resample_offsets(int width, int cols, int channels, std::int32_t* offsets) noexcept;

/// Float luma of a whole image resampled to rows x cols (row-major), with the
/// kernel set's luma_row: the reference's nearest-neighbour pre-resize fused
/// with its luma formula.
/// `stride` is the distance in bytes between rows of `px` (>= width * channels),
/// so a rectangle inside a larger image can be hashed without a copy.
void luma_image(const kernels::Kernels& k, const std::uint8_t* px, int width, int height, int channels,
                std::size_t stride, float* out, int rows, int cols);

/// Dimensions the luma buffer will have for a width x height image.
void luma_dims(int width, int height, bool pre_resize, int& rows, int& cols) noexcept;

/// Jarosz filter window for one axis: (dim + 127) / 128.
int jarosz_window(int dim) noexcept;

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

/// Two H,V box-filter passes with kernel set k; result in buf1 (buf2 scratch).
void jarosz_filter(const kernels::Kernels& k, float* buf1, float* buf2, int rows, int cols) noexcept;

/// 64x64 samples at ((i+0.5)*rows/64, (j+0.5)*cols/64), computed in double.
void decimate64(const float* in, int rows, int cols, float out[64][64]) noexcept;

/// Gradient-sum quality, 0..100.
int quality64(const float a[64][64]) noexcept;

/// The reference's 16x64 DCT matrix (float), built once.
const float (&dct_matrix())[16][64];
/// Its transpose (64x16), for kernels that vectorise across the 16 outputs.
const float (&dct_matrix_t())[64][16];

/// Bits of b above its lower median (sorted[127]); bit i*16+j = b[i][j].
void bits_from_dct(const float b[16][16], std::uint16_t words[16]) noexcept;

/// The 8 dihedral variants of b (index = Transform), each thresholded at its
/// own median.
void dihedral_bits(const float b[16][16], std::uint16_t words[8][16]) noexcept;

/// The pipeline from a float luma buffer onwards, with its scratch buffers.
/// Fill luma_buffer(rows, cols) (rows x cols, row-major), then finish().
struct LumaPipeline {
    std::vector<float> buf1, buf2;
    float a64[64][64];
    float dct[16][16];

    float* luma_buffer(int rows, int cols);
    /// Blur (skipped for exactly 64x64, as the reference), decimate, quality,
    /// DCT and the 8 dihedral hashes.
    void finish(const kernels::Kernels& k, int rows, int cols, PdqDihedral& out);
    /// The same, computing only the original hash.
    void finish(const kernels::Kernels& k, int rows, int cols, PdqHash& out);

private:
    void to_dct(const kernels::Kernels& k, int rows, int cols, int& quality);
};

}  // namespace hashguard::detail
