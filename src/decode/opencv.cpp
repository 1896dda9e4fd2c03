// PNG, WebP, BMP and TIFF through OpenCV's imdecode, from memory.
//
// IMREAD_UNCHANGED keeps the file's own pixels: no EXIF rotation (the
// reference ignores orientation), native channel count, 16-bit kept so we can
// scale it the way ImageMagick does. Alpha is then dropped, not composited.
#include <mutex>
#include <string>

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

}  // namespace

Error decode_opencv(Format f, const std::uint8_t* data, std::size_t len, const DecodeOptions&, Image& out) {
    silence_opencv();
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
    // A grey+alpha PNG (colour type 4) arrives as 4 channels; the reference
    // hashes it as grey (y = v), so keep one channel.
    bool grey = ch == 2;
    if (f == Format::png && len > 25 && data[25] == 4) grey = true;
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
