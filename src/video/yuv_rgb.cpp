// The facts reproduced (FFmpeg 5.1 libswscale, worked out from its source):
// coefficients (crv, cbu, cgu, cgv) = (104597, 132201, -25675, -53279) for
// BT.601; video range: cy = 65536 * 255 / 219 and a luma offset of 16 << 16;
// full range: cy = 65536 and the four chroma coefficients * 224 / 255. Each
// chroma coefficient is then rescaled by cy: (c * 65536 + 32768) / cy
// (truncating). One table of 2048 clipped values, entry i =
// clip_uint8(((i - 1408) * cy - offset + 32768) >> 16) (the 1408 = 384 + 512
// + 512 of the reference's headroom), and per pixel
//   R = table[ko + (V * crv >> 16) - (crv >> 9) + Y]
//   G = table[ko + (U * cgu >> 16) - (cgu >> 9) + (V * cgv >> 16) - (cgv >> 9) + Y]
//   B = table[ko + (U * cbu >> 16) - (cbu >> 9) + Y]
// with ko = 326 + 512 (video range) or 384 + 512 (full range) and arithmetic
// (flooring) shifts of 64-bit products. Chroma of pixel (x, y): column x / 2,
// row y / 2 (4:2:0) or row y rounded down to even (4:2:2, every other chroma
// row).
#include "video/yuv_rgb.hpp"

#include <algorithm>

namespace hashguard::detail {

namespace {
constexpr int kHeadroom = 512;  // libswscale's YUVRGB_TABLE_LUMA_HEADROOM
std::uint8_t clip8(std::int64_t v) { return static_cast<std::uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v); }
}  // namespace

YuvToRgb::YuvToRgb(bool full_range) noexcept {
    std::int64_t crv = 104597, cbu = 132201, cgu = -25675, cgv = -53279;
    std::int64_t cy = 1 << 16, oy = 0;
    if (!full_range) {
        cy = (cy * 255) / 219;
        oy = std::int64_t{16} << 16;
    } else {
        crv = (crv * 224) / 255;
        cbu = (cbu * 224) / 255;
        cgu = (cgu * 224) / 255;
        cgv = (cgv * 224) / 255;
    }
    // Default contrast and saturation (1 << 16) leave cy and the chroma
    // coefficients as they are; brightness 0 leaves oy.
    const std::int64_t div = std::max<std::int64_t>(cy, 1);
    crv = (crv * 65536 + 0x8000) / div;
    cbu = (cbu * 65536 + 0x8000) / div;
    cgu = (cgu * 65536 + 0x8000) / div;
    cgv = (cgv * 65536 + 0x8000) / div;
    std::int64_t yb = -(std::int64_t{384} << 16) - kHeadroom * cy - oy;
    for (int i = 0; i < 2048; ++i, yb += cy) y_[i] = clip8((yb + 0x8000) >> 16);
    const int ko = (full_range ? 384 : 326) + kHeadroom;
    for (int c = 0; c < 256; ++c) {
        r_[c] = ko + static_cast<int>((c * crv) >> 16) - static_cast<int>(crv >> 9);
        g_u_[c] = ko + static_cast<int>((c * cgu) >> 16) - static_cast<int>(cgu >> 9);
        g_v_[c] = static_cast<int>((c * cgv) >> 16) - static_cast<int>(cgv >> 9);
        b_[c] = ko + static_cast<int>((c * cbu) >> 16) - static_cast<int>(cbu >> 9);
    }
    // The per-pixel lookups rely on every index staying inside the table.
    int lo = 2048, hi = -1;
    for (int c = 0; c < 256; ++c) {
        lo = std::min({lo, r_[c], b_[c], g_u_[c] + *std::min_element(g_v_, g_v_ + 256)});
        hi = std::max({hi, r_[c] + 255, b_[c] + 255, g_u_[c] + *std::max_element(g_v_, g_v_ + 256) + 255});
    }
    in_range_ = lo >= 0 && hi < 2048;
}

void YuvToRgb::convert(const std::uint8_t* const planes[3], const int strides[3], int width, int height,
                       bool chroma_422, std::uint8_t* rgb) const noexcept {
    // Every index is r_/g/b_ of a chroma value plus a luma value: 617..1376
    // for video range, 670..1376 for full range (checked in the constructor:
    // in_range_), always inside the table; no clamp per pixel.
    const std::uint8_t* t = y_;
    for (int y = 0; y < height; ++y) {
        const int cy = chroma_422 ? (y & ~1) : (y >> 1);
        const std::uint8_t* py = planes[0] + static_cast<std::ptrdiff_t>(y) * strides[0];
        const std::uint8_t* pu = planes[1] + static_cast<std::ptrdiff_t>(cy) * strides[1];
        const std::uint8_t* pv = planes[2] + static_cast<std::ptrdiff_t>(cy) * strides[2];
        std::uint8_t* o = rgb + static_cast<std::size_t>(y) * width * 3;
        int x = 0;
        for (; x + 2 <= width; x += 2, o += 6) {  // two pixels share a chroma sample
            const int u = pu[x >> 1], v = pv[x >> 1];
            const std::uint8_t *r = t + r_[v], *g = t + g_u_[u] + g_v_[v], *b = t + b_[u];
            const int l0 = py[x], l1 = py[x + 1];
            o[0] = r[l0], o[1] = g[l0], o[2] = b[l0];
            o[3] = r[l1], o[4] = g[l1], o[5] = b[l1];
        }
        if (x < width) {
            const int u = pu[x >> 1], v = pv[x >> 1], l = py[x];
            o[0] = t[r_[v] + l], o[1] = t[g_u_[u] + g_v_[v] + l], o[2] = t[b_[u] + l];
        }
    }
}

}  // namespace hashguard::detail
