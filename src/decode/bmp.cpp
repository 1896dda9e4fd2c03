// BMP: our own parser and decoder (Windows and OS/2 1.x headers; 1/4/8/16/24/32
// bits; BI_RGB, BI_BITFIELDS, RLE8, RLE4; bottom-up and top-down rows).
//
// The pixels are the ones the previous path (OpenCV 4.6's imdecode with
// IMREAD_UNCHANGED, alpha dropped) produced, including its choices:
// - the output is grey when every palette entry is grey, and always for an
//   OS/2 1.x header (its 24/32-bit pixels and palettes go through OpenCV's
//   integer BT.601 grey, see to_grey());
// - 16-bit samples widen by a shift (5 bits -> v << 3, 6 bits -> v << 2);
//   BI_BITFIELDS must be 5-5-5 or 5-6-5; 32-bit pixels are B,G,R,X whatever
//   their masks say;
// - RLE skips (end of line, delta, end of bitmap) fill with palette entry 0,
//   and a truncated RLE stream reads as zero bytes (end-of-line codes) for
//   2 x height + 64 bytes, the padding the old path appended.
// The differential test (tests/test_decode_diff.cpp) compares every variant
// with OpenCV's output.
#include <cstdint>
#include <cstring>
#include <string>

#include "decode/decode_internal.hpp"

namespace hashguard::detail {

namespace {

std::uint16_t rd16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }

// The input, and for RLE files the zero padding the old path appended (it
// padded the whole file, so header fields and palette may lie in it too).
struct Src {
    const std::uint8_t* d;
    std::size_t n, limit;
    std::uint8_t at(std::size_t i) const { return i < n ? d[i] : 0; }
    bool has(std::size_t i, std::size_t k) const { return i <= limit && limit - i >= k; }
    std::uint16_t u16(std::size_t i) const { return static_cast<std::uint16_t>(at(i) | (at(i + 1) << 8)); }
    std::uint32_t u32(std::size_t i) const { return u16(i) | (std::uint32_t{u16(i + 2)} << 16); }
};

// OpenCV's fixed-point grey: (B*1868 + G*9617 + R*4899 + 8192) >> 14.
std::uint8_t to_grey(unsigned b, unsigned g, unsigned r) {
    return static_cast<std::uint8_t>((b * 1868u + g * 9617u + r * 4899u + 8192u) >> 14);
}

struct Bmp {
    int w = 0, h = 0, bpp = 0;
    bool bottom_up = true, os2 = false, grey = false;
    std::uint32_t compression = 0, offset = 0;
    bool rgb565 = false;                 // 16-bit: 5-6-5, else 5-5-5
    std::uint8_t pal[256][3] = {};       // B, G, R (unused entries zero)
    std::uint8_t pal_grey[256] = {};
};

Error bad(const std::string& why) { return {Status::decode_failed, "bmp: " + why}; }

Error read_palette(const Src& s, std::size_t at, int entries, int entry_size, Bmp& b) {
    if (!s.has(at, static_cast<std::size_t>(entries) * entry_size)) return bad("palette is truncated");
    for (int i = 0; i < entries; ++i)
        for (int c = 0; c < 3; ++c) b.pal[i][c] = s.at(at + static_cast<std::size_t>(i) * entry_size + c);
    bool colour = false;
    for (int i = 0; i < (1 << b.bpp); ++i) {
        b.pal_grey[i] = to_grey(b.pal[i][0], b.pal[i][1], b.pal[i][2]);
        colour = colour || b.pal[i][0] != b.pal[i][1] || b.pal[i][0] != b.pal[i][2];
    }
    if (!b.os2) b.grey = !colour;
    return {};
}

Error parse_os2(const Src& s, Bmp& b) {
    if (!s.has(0, 26)) return bad("header is truncated");
    b.os2 = b.grey = true;
    b.w = s.u16(18);
    b.h = s.u16(20);
    b.bpp = s.u16(24);
    if (b.bpp != 1 && b.bpp != 4 && b.bpp != 8 && b.bpp != 24 && b.bpp != 32)
        return bad("OS/2 bitmap with an unsupported bit depth " + std::to_string(b.bpp));
    return b.bpp <= 8 ? read_palette(s, 26, 1 << b.bpp, 3, b) : Error{};
}

Error parse_windows(const Src& s, std::uint32_t hsize, Bmp& b) {
    if (!s.has(0, 50)) return bad("header is truncated");
    b.w = static_cast<std::int32_t>(s.u32(18));
    const auto sh = static_cast<std::int32_t>(s.u32(22));
    b.bpp = s.u16(28);
    b.compression = s.u32(30);
    const std::uint32_t used = s.u32(46);
    if (b.w <= 0 || sh == 0 || sh == INT32_MIN) return bad("invalid size");
    b.bottom_up = sh > 0;
    b.h = sh > 0 ? sh : -sh;
    if (b.compression > 3)
        return {Status::unsupported_format, "bmp compression type " + std::to_string(b.compression) + " is not supported"};
    const int bpp = b.bpp;
    const bool ok = (b.compression == 0 && (bpp == 1 || bpp == 4 || bpp == 8 || bpp == 16 || bpp == 24 || bpp == 32)) ||
                    (b.compression == 3 && (bpp == 16 || bpp == 32)) || (b.compression == 1 && bpp == 8) ||
                    (b.compression == 2 && bpp == 4);
    if (!ok)
        return bad(std::to_string(bpp) + " bits per pixel with compression " + std::to_string(b.compression) +
                   " is not a valid combination");
    const std::size_t after = 14 + static_cast<std::size_t>(hsize);
    if (bpp <= 8) {
        if (used > 256) return bad("palette of " + std::to_string(used) + " colours (at most 256)");
        return read_palette(s, after, used ? static_cast<int>(used) : 1 << bpp, 4, b);
    }
    if (bpp == 16 && b.compression == 3) {  // masks after a 40-byte header, inside longer ones
        const std::size_t at = hsize >= 52 ? 54 : after;
        if (!s.has(at, 12)) return bad("bit masks are truncated");
        const std::uint32_t r = s.u32(at), g = s.u32(at + 4), bl = s.u32(at + 8);
        if (bl == 0x1f && g == 0x7e0 && r == 0xf800) b.rgb565 = true;
        else if (!(bl == 0x1f && g == 0x3e0 && r == 0x7c00)) return bad("16-bit masks other than 5-5-5 and 5-6-5");
    }
    return {};
}

// Writes pixel x of file row `row` (file order) from B, G, R.
struct Out {
    const Bmp& b;
    Image& img;
    std::uint8_t* row_ptr(int row) const {
        const int y = b.bottom_up ? b.h - 1 - row : row;
        return img.pixels.data() + static_cast<std::size_t>(y) * b.w * img.channels;
    }
    void put_index(std::uint8_t* o, int x, unsigned i) const {
        if (img.channels == 1) {
            o[x] = b.pal_grey[i];
        } else {
            o[3 * x] = b.pal[i][2];
            o[3 * x + 1] = b.pal[i][1];
            o[3 * x + 2] = b.pal[i][0];
        }
    }
    void put_bgr(std::uint8_t* o, int x, unsigned bl, unsigned g, unsigned r) const {
        if (img.channels == 1) {
            o[x] = to_grey(bl, g, r);
        } else {
            o[3 * x] = static_cast<std::uint8_t>(r);
            o[3 * x + 1] = static_cast<std::uint8_t>(g);
            o[3 * x + 2] = static_cast<std::uint8_t>(bl);
        }
    }
};

void decode_row(const Out& out, const std::uint8_t* s, int row) {
    const Bmp& b = out.b;
    std::uint8_t* o = out.row_ptr(row);
    for (int x = 0; x < b.w; ++x) {
        switch (b.bpp) {
            case 1: out.put_index(o, x, (s[x >> 3] >> (7 - (x & 7))) & 1); break;
            case 4: out.put_index(o, x, (x & 1) ? s[x >> 1] & 15 : s[x >> 1] >> 4); break;
            case 8: out.put_index(o, x, s[x]); break;
            case 16: {
                const unsigned t = rd16(s + 2 * x);
                if (b.rgb565) out.put_bgr(o, x, (t << 3) & 0xf8, (t >> 3) & 0xfc, (t >> 8) & 0xf8);
                else out.put_bgr(o, x, (t << 3) & 0xf8, (t >> 2) & 0xf8, (t >> 7) & 0xf8);
                break;
            }
            case 24: out.put_bgr(o, x, s[3 * x], s[3 * x + 1], s[3 * x + 2]); break;
            default: out.put_bgr(o, x, s[4 * x], s[4 * x + 1], s[4 * x + 2]); break;
        }
    }
}

Error decode_plain(const std::uint8_t* d, std::size_t n, const Bmp& b, const DecodeOptions& opt, Image& img) {
    const std::uint64_t pitch = ((std::uint64_t{static_cast<std::uint32_t>(b.w)} * b.bpp + 31) / 32) * 4;
    if (b.offset > n || (n - b.offset) / pitch < static_cast<std::uint64_t>(b.h))
        return bad("pixel data is truncated: " + std::to_string(n) + " bytes, " +
                   std::to_string(b.offset + pitch * b.h) + " needed");
    const Out out{b, img};
    for (int row = 0; row < b.h; ++row) {
        if ((row & 255) == 0 && past_deadline()) return time_limit_error(opt);
        decode_row(out, d + b.offset + pitch * row, row);
    }
    return {};
}

// The RLE cursor: file row and column, the stream with its zero padding.
struct Rle {
    const Src& src;
    std::size_t pos;
    const Out& out;
    int w, h, x = 0, y = 0;
    bool truncated = false;
    unsigned byte() {
        if (pos >= src.limit) {
            truncated = true;
            return 0;
        }
        return src.at(pos++);
    }
    // Fills `count` pixels with palette entry 0, wrapping to later rows.
    void skip(std::int64_t count) {
        do {
            const int stop = static_cast<int>(std::min<std::int64_t>(w, x + count));
            count -= stop - x;
            for (std::uint8_t* o = out.row_ptr(y); x < stop; ++x) out.put_index(o, x, 0);
            if (x >= w) {
                x = 0;
                if (++y >= h) break;
            }
        } while (count > 0);
    }
};

// The next code pair of RLE8/RLE4 data: (run length, value) or (0, escape).
// An error when the time budget is spent, the data ends, or a run would cross
// the end of its row.
Error next_pair(Rle& r, const DecodeOptions& opt, unsigned& len, unsigned& code) {
    if (past_deadline()) return time_limit_error(opt);
    len = r.byte();
    code = r.byte();
    if (r.truncated) return bad("RLE data is truncated");
    if (len != 0 && r.x + static_cast<int>(len) > r.w) return bad("RLE run crosses the end of a row");
    return {};
}

// RLE8: runs that reach the end of a row continue on the next; an end-of-line
// right after such a run is ignored.
Error decode_rle8(Rle& r, const DecodeOptions& opt) {
    bool wrapped = false;
    while (r.y < r.h) {
        unsigned len = 0, code = 0;
        if (Error e = next_pair(r, opt, len, code)) return e;
        if (len != 0) {
            const int prev = r.y;
            std::uint8_t* o = r.out.row_ptr(r.y);
            for (unsigned i = 0; i < len; ++i) r.out.put_index(o, r.x++, code);
            if (r.x >= r.w) {
                r.x = 0;
                ++r.y;
            }
            wrapped = r.y != prev;
        } else if (code > 2) {
            if (r.x + static_cast<int>(code) > r.w) return bad("RLE literal run crosses the end of a row");
            std::uint8_t* o = r.out.row_ptr(r.y);
            for (unsigned i = 0; i < code; ++i) r.out.put_index(o, r.x++, r.byte());
            if (code & 1) r.byte();
            wrapped = false;
        } else {
            std::int64_t count = r.w - r.x;
            if (code != 0 || !wrapped || count < r.w) {
                std::int64_t rows = r.h - r.y;
                if (code == 2) {
                    count = r.byte();
                    rows = r.byte();
                }
                if (code != 0) count += rows * r.w;
                r.skip(count);
            }
            wrapped = false;
        }
        if (r.truncated) return bad("RLE data is truncated");
    }
    return {};
}

// RLE4: runs stop at the row end; end of bitmap acts as end of line and a
// delta moves right only (the old decoder's reading).
Error decode_rle4(Rle& r, const DecodeOptions& opt) {
    while (r.y < r.h) {
        unsigned len = 0, code = 0;
        if (Error e = next_pair(r, opt, len, code)) return e;
        if (len != 0) {
            std::uint8_t* o = r.out.row_ptr(r.y);
            for (unsigned i = 0; i < len; ++i) r.out.put_index(o, r.x++, (i & 1) ? code & 15 : code >> 4);
        } else if (code > 2) {
            if (r.x + static_cast<int>(code) > r.w) return bad("RLE literal run crosses the end of a row");
            std::uint8_t* o = r.out.row_ptr(r.y);
            const unsigned bytes = (((code + 1) >> 1) + 1) & ~1u;
            unsigned v = 0;
            for (unsigned i = 0; i < bytes * 2; ++i) {
                if ((i & 1) == 0) v = r.byte();
                if (i < code) r.out.put_index(o, r.x++, (i & 1) ? v & 15 : v >> 4);
            }
        } else {
            std::int64_t count = r.w - r.x;
            if (code == 2) {
                count = r.byte();
                r.byte();
            }
            r.skip(count);
        }
        if (r.truncated) return bad("RLE data is truncated");
    }
    return {};
}

}  // namespace

Error decode_bmp(const std::uint8_t* d, std::size_t n, const DecodeOptions& opt, Image& img) {
    Src src{d, n, n};
    if (!src.has(0, 18)) return bad("header is truncated");
    Bmp b;
    b.offset = src.u32(10);
    const std::uint32_t hsize = src.u32(14);
    if (hsize == 12) {
        if (Error e = parse_os2(src, b)) return e;
    } else if (hsize >= 36 && hsize < 0x7fffffff) {
        if (!src.has(0, 34)) return bad("header is truncated");
        const std::uint32_t compression = src.u32(30);
        const std::int64_t sh = static_cast<std::int32_t>(src.u32(22));
        if (compression == 1 || compression == 2) src.limit = n + 2 * static_cast<std::size_t>(sh < 0 ? -sh : sh) + 64;
        if (Error e = parse_windows(src, hsize, b)) return e;
    } else {
        return bad("unknown header size " + std::to_string(hsize));
    }
    if (b.w == 0) return bad("invalid size");
    if (Error e = check_dimensions(static_cast<std::uint64_t>(b.w), static_cast<std::uint64_t>(b.h), opt, "bmp")) return e;
    allocate(img, b.w, b.h, b.grey ? 1 : 3);
    const Out out{b, img};
    if (b.compression == 1 || b.compression == 2) {
        if (b.offset > src.limit) return bad("pixel data offset is past the end");
        Rle r{src, b.offset, out, b.w, b.h};
        return b.compression == 1 ? decode_rle8(r, opt) : decode_rle4(r, opt);
    }
    return decode_plain(d, n, b, opt, img);
}

}  // namespace hashguard::detail
