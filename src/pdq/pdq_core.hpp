// The PDQ pipeline's steps, on float buffers. Internal to the library.
//
// Every function keeps the reference's float operation order exactly: the
// library is compiled with -ffp-contract=off and these loops may only be
// vectorised across independent outputs (columns, coefficients), never across
// a summation index.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hashguard::detail {

inline constexpr int kMinHashableDim = 5;
inline constexpr int kPreResizeDim = 512;

/// Dimensions the luma buffer will have for a width x height image.
void luma_dims(int width, int height, bool pre_resize, int& rows, int& cols) noexcept;

/// Float luma of 8-bit interleaved pixels (1 = grey: y = v; 3 = RGB:
/// y = (0.299f*R + 0.587f*G) + 0.114f*B), fused with the reference's
/// nearest-neighbour pre-resize to rows x cols (src = floor(dst*old/new)).
void luma_resized(const std::uint8_t* px, int width, int height, int channels,
                  float* out, int rows, int cols) noexcept;

/// Jarosz filter window for one axis: (dim + 127) / 128.
int jarosz_window(int dim) noexcept;

/// One 1-D box filter pass over every row of a rows x cols buffer.
void box_rows(const float* in, float* out, int rows, int cols, int window) noexcept;
/// One 1-D box filter pass down every column, all columns advanced together
/// (each column's running sum is updated in the reference's order).
void box_cols(const float* in, float* out, int rows, int cols, int window) noexcept;

/// Two H,V passes, result back in buf1 (buf2 is scratch).
void jarosz_filter(float* buf1, float* buf2, int rows, int cols) noexcept;

/// 64x64 samples at ((i+0.5)*rows/64, (j+0.5)*cols/64), computed in double.
void decimate64(const float* in, int rows, int cols, float out[64][64]) noexcept;

/// Gradient-sum quality, 0..100.
int quality64(const float a[64][64]) noexcept;

/// The reference's 16x64 DCT matrix (float), built once.
const float (&dct_matrix())[16][64];

/// B = (D * A) * D^T with every sum taken in order k = 0..63.
void dct64to16(const float a[64][64], float b[16][16]) noexcept;

/// Bits of b above its lower median (sorted[127]); bit i*16+j = b[i][j].
void bits_from_dct(const float b[16][16], std::uint16_t words[16]) noexcept;

/// The 8 dihedral variants of b (index = Transform), each thresholded at its
/// own median.
void dihedral_bits(const float b[16][16], std::uint16_t words[8][16]) noexcept;

}  // namespace hashguard::detail
