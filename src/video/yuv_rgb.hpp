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

/// The table arithmetic split into 16-bit pieces for the SIMD rows (see
/// yuv_rgb_simd.inc): chroma coefficients as whole part a and fraction b,
/// the index offsets, and cy - 65536 with base's low and high 16 bits.
struct Coef16 {
    int ar, br, agu, bgu, agv, bgv, ab, bb;
    int r_off, g_off, b_off;
    int d, bl, bh;
};

/// Which rows convert: the tables, or a SIMD set (tests compare them).
enum class YuvPath { best, scalar, avx2, avx512 };

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
    /// With AVX-512BW or AVX2 where the CPU has them (the table arithmetic in
    /// 16-bit lanes: entry i of the table is clip8((i * cy + base) >> 16)),
    /// else the tables.
    void convert(const std::uint8_t* const planes[3], const int strides[3], int width, int height, bool chroma_422,
                 std::uint8_t* rgb) const noexcept {
        convert_with(YuvPath::best, planes, strides, width, height, chroma_422, rgb);
    }
    /// convert() through one path: false (nothing written) when this CPU or
    /// build lacks it. YuvPath::scalar, the table lookups, is the oracle.
    bool convert_with(YuvPath path, const std::uint8_t* const planes[3], const int strides[3], int width, int height,
                      bool chroma_422, std::uint8_t* rgb) const noexcept;

    /// The SIMD rows one path uses (null: the tables throughout) and the
    /// pixels each step converts; pick() resolves YuvPath::best once per frame.
    struct Simd {
        void (*rgb)(const std::uint8_t*, const std::uint8_t*, const std::uint8_t*, int, std::uint8_t*, const Coef16&) = nullptr;
        void (*luma)(const std::uint8_t*, const std::uint8_t*, const std::uint8_t*, int, float*, const Coef16&) = nullptr;
        int step = 1;
    };
    /// false when this CPU or build lacks the path.
    bool pick(YuvPath path, Simd& out) const noexcept;

    /// Row `row` of the frame as float luma (kernels::luma_rgb of the RGB
    /// convert() would write, bit for bit) without the RGB bytes leaving
    /// registers: what vPDQ hashes.
    void luma_row(const Simd& simd, const std::uint8_t* const planes[3], const int strides[3], int width, int row,
                  bool chroma_422, float* out) const noexcept;
    /// luma_row over a whole frame (width x height floats): tests compare paths with it.
    bool luma_with(YuvPath path, const std::uint8_t* const planes[3], const int strides[3], int width, int height,
                   bool chroma_422, float* luma) const noexcept;

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
    bool simd_ok_ = false;  // the 16-bit split holds (cy in 65536..131071, indices in range)
    Coef16 k16_{};  // the same arithmetic in 16-bit pieces (the SIMD paths)
};

}  // namespace hashguard::detail
