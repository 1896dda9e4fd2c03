// WebP through libwebp: lossy, lossless, with or without alpha (dropped: the
// RGB samples are decoded directly, which are the samples an RGBA decode
// gives, not premultiplied), and the first frame of an animation.
//
// An animated file's first frame is decoded on its own (its own rectangle,
// not composited onto the canvas), which is what the reference's ImageMagick
// reads as the first image; the reference hashes of
// data/photos/formats/anim-2frames.webp check it.
#include <string>

#include <webp/decode.h>
#include <webp/demux.h>

#include "decode/decode_internal.hpp"

namespace hashguard::detail {

namespace {

const char* vp8_status(VP8StatusCode s) {
    switch (s) {
        case VP8_STATUS_OK: return "ok";
        case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
        case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
        case VP8_STATUS_BITSTREAM_ERROR: return "bitstream error (corrupt data)";
        case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
        case VP8_STATUS_SUSPENDED: return "suspended";
        case VP8_STATUS_USER_ABORT: return "aborted";
        case VP8_STATUS_NOT_ENOUGH_DATA: return "not enough data (truncated)";
    }
    return "unknown error";
}

// Decodes one still bitstream (a whole file or an animation frame) as RGB
// straight into out.
Error decode_still(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, Image& out) {
    WebPDecoderConfig config;
    if (!WebPInitDecoderConfig(&config)) return {Status::internal, "webp: libwebp version mismatch"};
    const VP8StatusCode fs = WebPGetFeatures(data, len, &config.input);
    if (fs != VP8_STATUS_OK) return {Status::decode_failed, std::string("webp: ") + vp8_status(fs)};
    const int w = config.input.width, h = config.input.height;
    if (Error e = check_dimensions(static_cast<std::uint64_t>(w), static_cast<std::uint64_t>(h), opt, "webp")) return e;
    allocate(out, w, h, 3);
    config.output.colorspace = MODE_RGB;
    config.output.is_external_memory = 1;
    config.output.u.RGBA.rgba = out.pixels.data();
    config.output.u.RGBA.stride = w * 3;
    config.output.u.RGBA.size = out.pixels.size();
    const VP8StatusCode ds = WebPDecode(data, len, &config);
    WebPFreeDecBuffer(&config.output);
    if (ds != VP8_STATUS_OK) return {Status::decode_failed, std::string("webp: ") + vp8_status(ds)};
    return {};
}

struct DemuxCloser {
    WebPDemuxer* d;
    ~DemuxCloser() { WebPDemuxDelete(d); }
};

Error decode_first_frame(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, Image& out) {
    const WebPData whole{data, len};
    DemuxCloser demux{WebPDemux(&whole)};
    if (!demux.d) return {Status::decode_failed, "webp: the animation's container is corrupt or truncated"};
    const std::uint32_t frames = WebPDemuxGetI(demux.d, WEBP_FF_FRAME_COUNT);
    WebPIterator it;
    if (frames == 0 || !WebPDemuxGetFrame(demux.d, 1, &it))
        return {Status::decode_failed, "webp: the animation has no frame"};
    const Error e = decode_still(it.fragment.bytes, it.fragment.size, opt, out);
    WebPDemuxReleaseIterator(&it);
    if (!e) out.frame_count = static_cast<int>(frames);
    return e;
}

}  // namespace

Error decode_webp(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, Image& out) {
    WebPBitstreamFeatures f;
    const VP8StatusCode fs = WebPGetFeatures(data, len, &f);
    if (fs != VP8_STATUS_OK) return {Status::decode_failed, std::string("webp: ") + vp8_status(fs)};
    return f.has_animation ? decode_first_frame(data, len, opt, out) : decode_still(data, len, opt, out);
}

}  // namespace hashguard::detail
