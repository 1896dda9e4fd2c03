// The PDQ pipeline's shared, non-kernel pieces. Internal to the library.
//
// Hot loops live in src/kernels/ (one set per CPU target), together with the
// reference definitions they implement (kernels/reference.hpp: luma formula,
// resampling index, box filter phases, DCT matrix). What is here drives them
// (pre-resize dimensions, Jarosz windows, scratch for blur_decimate) or is cheap
// (64x64 and 16x16 work). This layer includes src/kernels/, never the reverse.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "hashguard/pdq.hpp"

namespace hashguard::kernels {
struct Kernels;
struct PixelView;
struct LumaSource;
}

namespace hashguard::detail {

inline constexpr int kMinHashableDim = 5;
inline constexpr int kPreResizeDim = 512;

/// Dimensions the luma buffer will have for a width x height image.
void luma_dims(int width, int height, bool pre_resize, int& rows, int& cols) noexcept;

/// Jarosz filter window for one axis: (dim + 127) / 128.
int jarosz_window(int dim) noexcept;

/// Two H,V box-filter passes with kernel set k over whole rows x cols
/// buffers; result in buf1 (buf2 scratch). The hash itself streams
/// (kernels' blur_decimate); this is the per-pass form the benches time.
void jarosz_filter(const kernels::Kernels& k, float* buf1, float* buf2, int rows, int cols) noexcept;

/// 64x64 samples at ((i+0.5)*rows/64, (j+0.5)*cols/64), computed in double
/// (kernels::decimate_index), from a whole rows x cols buffer.
void decimate64(const float* in, int rows, int cols, float out[64][64]) noexcept;

/// Gradient-sum quality, 0..100.
int quality64(const float a[64][64]) noexcept;

/// Bits of b above its lower median (sorted[127]); bit i*16+j = b[i][j].
void bits_from_dct(const float b[16][16], std::uint16_t words[16]) noexcept;

/// The 8 dihedral variants of b (index = Transform), each thresholded at its
/// own median.
void dihedral_bits(const float b[16][16], std::uint16_t words[8][16]) noexcept;

/// The hash core from pixels on, with its scratch (reused across hashes,
/// never zero-filled). blur() then finish().
class LumaPipeline {
public:
    /// Luma of `view` resampled to rows x cols, the Jarosz blur and the 64x64
    /// decimation into a64 with k's blur_decimate; for exactly 64x64 the
    /// luma itself (the reference skips the blur there).
    void blur(const kernels::Kernels& k, const kernels::PixelView& view, int rows, int cols);
    /// The same for a luma the caller computes row by row (rows x cols, no
    /// resampling): row y is fill(ctx, y, out), called once per row in order.
    void blur_rows(const kernels::Kernels& k, int rows, int cols, void (*fill)(void* ctx, int row, float* out),
                   void* ctx);
    /// Quality, DCT and the 8 dihedral hashes of the last blur().
    void finish(const kernels::Kernels& k, PdqDihedral& out);
    /// The same, computing only the original hash.
    void finish(const kernels::Kernels& k, PdqHash& out);

    alignas(64) float a64[64][64];  // the DCT's input: split vector loads cost it ~25%
    alignas(64) float dct[16][16];

private:
    struct FreeScratch {
        void operator()(float* p) const noexcept;
    };
    float* scratch(std::size_t floats);
    void run(const kernels::Kernels& k, const kernels::LumaSource& src, int rows, int cols);
    void to_dct(const kernels::Kernels& k, int& quality);

    std::vector<std::int32_t> xs_, ys_;
    std::unique_ptr<float[], FreeScratch> scratch_;
    std::size_t scratch_floats_ = 0;
};

}  // namespace hashguard::detail
