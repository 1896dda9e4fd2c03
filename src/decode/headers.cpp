// Dimensions from each format's header, read before any pixel allocation so
// the pixel limits hold even against decompression bombs.
#include <cstring>
#include <limits>
#include <string>

#include "decode/decode_internal.hpp"
#include "decode/pnm_header.hpp"

namespace hashguard::detail {

namespace {

std::uint32_t be32(const std::uint8_t* p) { return (std::uint32_t{p[0]} << 24) | (p[1] << 16) | (p[2] << 8) | p[3]; }
std::uint32_t le32(const std::uint8_t* p) { return (std::uint32_t{p[3]} << 24) | (p[2] << 16) | (p[1] << 8) | p[0]; }
std::uint16_t le16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

Error truncated(const char* fmt) { return {Status::decode_failed, std::string(fmt) + " header is truncated"}; }

// The SOFn segment at i: size, components and sampling factors.
Error read_sof(const std::uint8_t* d, std::size_t n, std::size_t i, JpegFrame& f) {
    if (i + 10 > n) return truncated("jpeg");
    f.height = be16(d + i + 5);
    f.width = be16(d + i + 7);
    f.components = d[i + 9];
    if (f.components < 1 || f.components > 10)
        return {Status::decode_failed, "jpeg frame has " + std::to_string(f.components) + " components (1 to 10)"};
    if (i + 10 + 3 * static_cast<std::size_t>(f.components) > n) return truncated("jpeg");
    for (int c = 0; c < f.components; ++c) {
        f.h[c] = d[i + 11 + 3 * c] >> 4;
        f.v[c] = d[i + 11 + 3 * c] & 15;
    }
    const std::uint8_t m = d[i + 1];
    f.multi_scan = m == 0xC2 || m == 0xC6 || m == 0xCA || m == 0xCE;  // progressive
    return {};
}

Error probe_jpeg(const std::uint8_t* d, std::size_t n, HeaderInfo& info) {
    // Walk the markers to the first SOFn, then on to the first SOS: a first
    // scan without every component means a multi-scan (buffered) decode too.
    JpegFrame f;
    bool have_sof = false;
    std::size_t i = 2;
    while (i + 4 <= n) {
        if (d[i] != 0xFF) return {Status::decode_failed, "jpeg marker expected at offset " + std::to_string(i)};
        const std::uint8_t m = d[i + 1];
        if (m == 0xFF) { ++i; continue; }  // fill byte
        if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || m == 0x01) { i += 2; continue; }
        if (m == 0xD9) break;
        if (m == 0xDA) {
            if (have_sof && i + 5 <= n && d[i + 4] < f.components) f.multi_scan = true;
            break;
        }
        const std::size_t seglen = be16(d + i + 2);
        if (seglen < 2) return {Status::decode_failed, "jpeg segment with invalid length"};
        const bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
        if (sof && !have_sof) {
            if (Error e = read_sof(d, n, i, f)) return e;
            have_sof = true;
        }
        i += 2 + seglen;
    }
    if (!have_sof) return {Status::decode_failed, "jpeg has no frame header (SOF) before its end: truncated or corrupt"};
    if (i + 4 > n || d[i + 1] != 0xDA) f.multi_scan = true;  // no SOS seen: assume the worst
    info.width = f.width;
    info.height = f.height;
    info.working_bytes = jpeg_working_bytes(f);
    return {};
}

Error probe_png(const std::uint8_t* d, std::size_t n, HeaderInfo& info) {
    if (n < 24 || std::memcmp(d + 12, "IHDR", 4) != 0) return truncated("png");
    info.width = be32(d + 16);
    info.height = be32(d + 20);
    return {};
}

Error probe_gif(const std::uint8_t* d, std::size_t n, HeaderInfo& info) {
    if (n < 10) return truncated("gif");
    info.width = le16(d + 6);
    info.height = le16(d + 8);
    return {};
}

Error probe_webp(const std::uint8_t* d, std::size_t n, HeaderInfo& info) {
    if (n < 30) return truncated("webp");
    if (std::memcmp(d + 12, "VP8 ", 4) == 0) {
        if (d[23] != 0x9d || d[24] != 0x01 || d[25] != 0x2a)
            return {Status::decode_failed, "webp VP8 frame has a bad start code"};
        info.width = le16(d + 26) & 0x3fff;
        info.height = le16(d + 28) & 0x3fff;
    } else if (std::memcmp(d + 12, "VP8L", 4) == 0) {
        if (d[20] != 0x2f) return {Status::decode_failed, "webp VP8L has a bad signature"};
        const std::uint32_t bits = le32(d + 21);
        info.width = (bits & 0x3fff) + 1;
        info.height = ((bits >> 14) & 0x3fff) + 1;
    } else if (std::memcmp(d + 12, "VP8X", 4) == 0) {
        info.width = (std::uint64_t{d[24]} | (d[25] << 8) | (d[26] << 16)) + 1;
        info.height = (std::uint64_t{d[27]} | (d[28] << 8) | (d[29] << 16)) + 1;
    } else {
        return {Status::decode_failed, "webp has an unknown first chunk"};
    }
    return {};
}

Error probe_bmp(const std::uint8_t* d, std::size_t n, HeaderInfo& info) {
    if (n < 26) return truncated("bmp");
    const std::uint32_t hsize = le32(d + 14);
    if (hsize == 12) {
        info.width = le16(d + 18);
        info.height = le16(d + 20);
    } else if (hsize >= 40) {
        const auto w = static_cast<std::int32_t>(le32(d + 18));
        const auto h = static_cast<std::int32_t>(le32(d + 22));
        if (w <= 0 || h == std::numeric_limits<std::int32_t>::min())
            return {Status::decode_failed, "bmp declares an invalid size"};
        info.width = static_cast<std::uint64_t>(w);
        info.height = static_cast<std::uint64_t>(h < 0 ? -static_cast<std::int64_t>(h) : h);
    } else {
        return {Status::decode_failed, "bmp has an unknown header size " + std::to_string(hsize)};
    }
    return {};
}

Error probe_tiff(const std::uint8_t* d, std::size_t n, HeaderInfo& info) {
    if (n < 8) return truncated("tiff");
    const bool le = d[0] == 'I';
    auto r16 = [&](std::size_t o) { return le ? le16(d + o) : be16(d + o); };
    auto r32 = [&](std::size_t o) { return le ? le32(d + o) : be32(d + o); };
    const std::uint32_t ifd = r32(4);
    if (ifd > n || n - ifd < 2) return truncated("tiff");
    const unsigned count = r16(ifd);
    if (n - ifd - 2 < static_cast<std::size_t>(count) * 12) return truncated("tiff");
    for (unsigned k = 0; k < count; ++k) {
        const std::size_t e = ifd + 2 + static_cast<std::size_t>(k) * 12;
        const unsigned tag = r16(e), type = r16(e + 2);
        const std::uint32_t v = type == 3 ? r16(e + 8) : r32(e + 8);
        // The first of duplicated tags, as libtiff decodes (decode_tiff checks
        // libtiff's own values again; this only refuses early).
        if (tag == 256 && info.width == 0) info.width = v;
        if (tag == 257 && info.height == 0) info.height = v;
    }
    if (!info.width || !info.height) return {Status::decode_failed, "tiff has no ImageWidth/ImageLength tags"};
    return {};
}

}  // namespace

Error probe_header(Format f, const std::uint8_t* d, std::size_t n, HeaderInfo& info) {
    switch (f) {
        case Format::jpeg: return probe_jpeg(d, n, info);
        case Format::png: return probe_png(d, n, info);
        case Format::gif: return probe_gif(d, n, info);
        case Format::webp: return probe_webp(d, n, info);
        case Format::bmp: return probe_bmp(d, n, info);
        case Format::tiff: return probe_tiff(d, n, info);
        case Format::pnm: {
            PnmHeader h;
            if (!parse_pnm_header(d, n, h)) return {Status::decode_failed, "pnm header is truncated or invalid"};
            info.width = h.width;
            info.height = h.height;
            return {};
        }
        case Format::heic:
        case Format::avif: return {Status::internal, "heif headers are read by the heif module (probe_heif)"};
        case Format::unknown: break;
    }
    return {Status::unsupported_format, "unsupported format"};
}

}  // namespace hashguard::detail
