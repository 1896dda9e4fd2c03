// The PDQ pipeline's shared, non-kernel pieces. Internal to the library.
//
// Hot loops live in src/kernels/ (one set per CPU target), together with the
// reference definitions they implement (kernels/reference.hpp: luma formula,
// resampling index, box filter phases, DCT matrix). What is here drives them
// (pre-resize dimensions, Jarosz windows, the two H,V passes) or is cheap
// (64x64 and 16x16 work). This layer includes src/kernels/, never the reverse.
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

/// Dimensions the luma buffer will have for a width x height image.
void luma_dims(int width, int height, bool pre_resize, int& rows, int& cols) noexcept;

/// Jarosz filter window for one axis: (dim + 127) / 128.
int jarosz_window(int dim) noexcept;

/// Two H,V box-filter passes with kernel set k; result in buf1 (buf2 scratch).
void jarosz_filter(const kernels::Kernels& k, float* buf1, float* buf2, int rows, int cols) noexcept;

/// 64x64 samples at ((i+0.5)*rows/64, (j+0.5)*cols/64), computed in double.
void decimate64(const float* in, int rows, int cols, float out[64][64]) noexcept;

/// Gradient-sum quality, 0..100.
int quality64(const float a[64][64]) noexcept;

/// Bits of b above its lower median (sorted[127]); bit i*16+j = b[i][j].
void bits_from_dct(const float b[16][16], std::uint16_t words[16]) noexcept;

/// The 8 dihedral variants of b (index = Transform), each thresholded at its
/// own median.
void dihedral_bits(const float b[16][16], std::uint16_t words[8][16]) noexcept;

/// The pipeline from a float luma buffer onwards, with its scratch buffers.
/// Fill luma_buffer(rows, cols) (rows x cols, row-major), then finish().
struct LumaPipeline {
    std::vector<float> buf1, buf2;
    alignas(64) float a64[64][64];  // the DCT's input: split vector loads cost it ~25%
    alignas(64) float dct[16][16];

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
