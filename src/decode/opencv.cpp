// WebP, BMP and TIFF through OpenCV's imdecode, from memory.
//
// IMREAD_UNCHANGED keeps the file's own pixels: no EXIF rotation (the
// reference ignores orientation), native channel count, 16-bit kept so we can
// scale it the way ImageMagick does. Alpha is then dropped, not composited.
#include <limits>
#include <mutex>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>

#include "decode/decode_internal.hpp"

namespace hashguard::detail {

namespace {

void silence_opencv() {
    static std::once_flag once;
    std::call_once(once, [] { cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT); });
}

template <class T>
void copy_drop_alpha(const cv::Mat& m, Image& out, bool grey_from_first) {
    const int ch = m.channels();
    const int w = m.cols, h = m.rows;
    const int out_ch = (ch == 1 || grey_from_first) ? 1 : 3;
    allocate(out, w, h, out_ch);
    std::uint8_t* o = out.pixels.data();
    for (int y = 0; y < h; ++y) {
        const T* s = m.ptr<T>(y);
        for (int x = 0; x < w; ++x, s += ch) {
            auto cvt = [](T v) -> std::uint8_t {
                if constexpr (sizeof(T) == 2) return scale16to8(v);
                else return static_cast<std::uint8_t>(v);
            };
            if (out_ch == 1) {
                *o++ = cvt(s[0]);
            } else {  // OpenCV order is BGR(A)
                *o++ = cvt(s[2]);
                *o++ = cvt(s[1]);
                *o++ = cvt(s[0]);
            }
        }
    }
}

std::uint32_t le32(const std::uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (std::uint32_t{p[3]} << 24); }

// OpenCV's BMP reader throws on a short stream, and imdecode then prints the
// exception to stderr. Check the pixel data is all there first; RLE data has
// no fixed size, so it gets zero padding (zeros are end-of-line codes).
Error prepare_bmp(const std::uint8_t* data, std::size_t len, std::vector<std::uint8_t>& padded, bool& use_padded) {
    use_padded = false;
    const std::uint32_t offset = le32(data + 10), hsize = le32(data + 14);
    std::uint64_t w, h, bpp, compression = 0;
    if (hsize == 12) {
        w = data[18] | (data[19] << 8);
        h = data[20] | (data[21] << 8);
        bpp = data[24] | (data[25] << 8);
    } else {
        if (len < 34) return {Status::decode_failed, "bmp header is truncated"};
        w = static_cast<std::int32_t>(le32(data + 18));
        const auto sh = static_cast<std::int32_t>(le32(data + 22));
        h = static_cast<std::uint64_t>(sh < 0 ? -static_cast<std::int64_t>(sh) : sh);
        bpp = data[28] | (data[29] << 8);
        compression = le32(data + 30);
    }
    if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32)
        return {Status::decode_failed, "bmp has an unsupported bit depth " + std::to_string(bpp)};
    if (compression == 0 || compression == 3 || compression == 6) {
        const std::uint64_t row = ((w * bpp + 31) / 32) * 4;
        if (offset > len || (len - offset) < row * h)
            return {Status::decode_failed, "bmp pixel data is truncated: " + std::to_string(len) + " bytes, " +
                                               std::to_string(offset + row * h) + " needed"};
        return {};
    }
    if (compression == 1 || compression == 2) {
        padded.assign(data, data + len);
        padded.resize(len + 2 * h + 64, 0);
        use_padded = true;
        return {};
    }
    return {Status::unsupported_format, "bmp compression type " + std::to_string(compression) + " is not supported"};
}

}  // namespace

Error decode_opencv(Format f, const std::uint8_t* data, std::size_t len, const DecodeOptions&, Image& out) {
    silence_opencv();
    if (len > static_cast<std::size_t>(std::numeric_limits<int>::max() / 2))
        return {Status::limit_bytes, std::string(format_name(f)) + ": input above 1 GiB cannot be decoded"};
    std::vector<std::uint8_t> padded;
    if (f == Format::bmp) {
        bool use_padded;
        if (Error e = prepare_bmp(data, len, padded, use_padded)) return e;
        if (use_padded) {
            data = padded.data();
            len = padded.size();
        }
    }
    const cv::Mat buf(1, static_cast<int>(len), CV_8UC1, const_cast<std::uint8_t*>(data));
    cv::Mat m;
    try {
        m = cv::imdecode(buf, cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception& ex) {
        return {Status::decode_failed, std::string(format_name(f)) + ": " + ex.err};
    }
    if (m.empty()) return {Status::decode_failed, std::string(format_name(f)) + " data is corrupt or truncated"};
    const int ch = m.channels();
    if (ch != 1 && ch != 2 && ch != 3 && ch != 4)
        return {Status::decode_failed, std::string(format_name(f)) + " has an unsupported channel count " +
                                           std::to_string(ch)};
    const bool grey = ch == 2;  // grey+alpha
    switch (m.depth()) {
        case CV_8U: copy_drop_alpha<std::uint8_t>(m, out, grey); break;
        case CV_16U: copy_drop_alpha<std::uint16_t>(m, out, grey); break;
        default:
            return {Status::decode_failed, std::string(format_name(f)) +
                                               " has an unsupported sample type (only 8- and 16-bit integer)"};
    }
    return {};
}

}  // namespace hashguard::detail
