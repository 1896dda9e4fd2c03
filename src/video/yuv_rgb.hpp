// YUV -> RGB24 as libswscale's portable C converter does it at native size
// (FFmpeg 5.1, yuv2rgb.c: ff_yuv2rgb_c_init_tables + yuv2rgb_c_24_rgb, BT.601
// coefficients, default brightness/contrast/saturation). Owning this step
// keeps vPDQ hashes independent of the CPU: on x86 libswscale itself takes an
// SSSE3 path whose rounding differs by a few bits.
#pragma once
#include <cstdint>

namespace hashguard::detail {

/// Packed BGRA (what libavcodec's GIF decoder returns) to RGB24: libswscale's
/// unscaled conversion between the two drops alpha and reorders the bytes.
void bgra_to_rgb(const std::uint8_t* src, int stride, int width, int height, std::uint8_t* rgb) noexcept;

class YuvToRgb {
public:
    /// Tables for video range (16..235) or full (JPEG) range input.
    explicit YuvToRgb(bool full_range) noexcept;

    /// Converts a width x height frame of planar 8-bit YUV to packed RGB24
    /// (rows of width*3 bytes). chroma_422: chroma rows as tall as luma rows
    /// (libswscale's unscaled path then reads every other chroma row, which
    /// is what this does too); otherwise 4:2:0. Odd sizes differ from the
    /// reference (measured, test_video_swscale): for an odd width libswscale
    /// leaves each row's last pixel unwritten (the reference hashes whatever
    /// that memory held; here it is converted), and for an odd height it takes
    /// its scaling path, which this does not reproduce.
    /// With AVX2 where the CPU has it (the table arithmetic in 32-bit lanes:
    /// entry i of the table is clip8((i * cy + base) >> 16)), else the tables.
    void convert(const std::uint8_t* const planes[3], const int strides[3], int width, int height, bool chroma_422,
                 std::uint8_t* rgb) const noexcept;
    /// The table lookups only: the oracle the AVX2 path is tested against.
    void convert_scalar(const std::uint8_t* const planes[3], const int strides[3], int width, int height,
                        bool chroma_422, std::uint8_t* rgb) const noexcept;

    /// Every index the conversion can form lies inside the table (true for
    /// the BT.601 coefficients; test_video asserts it).
    bool in_range() const noexcept { return in_range_; }

private:
    // n pixels of one row through the tables.
    void row_scalar(const std::uint8_t* py, const std::uint8_t* pu, const std::uint8_t* pv, int n,
                    std::uint8_t* o) const noexcept;
    std::uint8_t y_[2048];  // clip((y * cy + offset) >> 16), indexed by luma plus a chroma offset
    int r_[256], g_u_[256], g_v_[256], b_[256];
    bool in_range_ = false;
    // The same arithmetic as coefficients (the AVX2 path).
    int cy_ = 0, base_ = 0, crv_ = 0, cbu_ = 0, cgu_ = 0, cgv_ = 0, r_off_ = 0, g_off_ = 0, b_off_ = 0;
};

}  // namespace hashguard::detail
