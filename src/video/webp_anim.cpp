// Animated WebP as a video, on request (vpdq_hash_bytes, `hashguard vpdq`):
// libavcodec 5.1 cannot decode WebP animations, so there is no reference
// reading to follow; libwebp's WebPAnimDecoder (already linked for still
// WebP) composites every frame onto the canvas as a viewer sees it, and each
// canvas goes to the vPDQ pipeline as a BGRA frame. The frame rate is the
// animation's average (frames / total duration), so frame n's timestamp is
// n / fps as for any video, and seconds_per_hash samples as it does there.
// Fills an hg_video_request like the video module's decode_video (same
// limits, same statuses), without loading the module.
#include <webp/decode.h>
#include <webp/demux.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "hashguard/status.hpp"
#include "video/webp_anim.hpp"

namespace hashguard::detail {

namespace {

int stop(hg_video_request* r, Status s, const std::string& msg) {
    std::snprintf(r->message, sizeof r->message, "%s", msg.c_str());
    return static_cast<int>(s);
}

struct AnimCloser {
    WebPAnimDecoder* d;
    ~AnimCloser() { WebPAnimDecoderDelete(d); }
};

struct DemuxCloser {
    WebPDemuxer* d;
    ~DemuxCloser() { WebPDemuxDelete(d); }
};

// The animation's total duration in ms (frames of duration 0 count 0),
// from the container alone: nothing is decoded.
std::uint64_t total_ms(WebPDemuxer* demux) {
    std::uint64_t ms = 0;
    WebPIterator it;
    if (WebPDemuxGetFrame(demux, 1, &it)) {
        do ms += static_cast<std::uint64_t>(it.duration > 0 ? it.duration : 0);
        while (WebPDemuxNextFrame(&it));
        WebPDemuxReleaseIterator(&it);
    }
    return ms;
}

}  // namespace

bool is_animated_webp(const std::uint8_t* d, std::size_t len) noexcept {
    // RIFF....WEBPVP8X with the animation flag (bit 1 of the chunk's first byte).
    return d && len >= 21 && std::memcmp(d, "RIFF", 4) == 0 && std::memcmp(d + 8, "WEBPVP8X", 8) == 0 &&
           (d[20] & 0x02) != 0;
}

int decode_webp_animation(hg_video_request* r) noexcept {
    try {
        std::snprintf(r->container, sizeof r->container, "webp");
        std::snprintf(r->codec, sizeof r->codec, "webp");
        const WebPData data{r->data, r->len};
        DemuxCloser demux{WebPDemux(&data)};
        if (!demux.d) return stop(r, Status::decode_failed, "webp: the animation's container is corrupt or truncated");
        const std::uint32_t w = WebPDemuxGetI(demux.d, WEBP_FF_CANVAS_WIDTH), h = WebPDemuxGetI(demux.d, WEBP_FF_CANVAS_HEIGHT);
        const std::uint32_t frames = WebPDemuxGetI(demux.d, WEBP_FF_FRAME_COUNT);
        if (frames == 0) return stop(r, Status::decode_failed, "webp: the animation has no frame");
        if (r->max_dimension && (w > r->max_dimension || h > r->max_dimension))
            return stop(r, Status::limit_dimension, "video: canvas " + std::to_string(w) + "x" + std::to_string(h) +
                                                        " above max_dimension " + std::to_string(r->max_dimension));
        if (r->max_pixels && std::uint64_t{w} * h > r->max_pixels)
            return stop(r, Status::limit_pixels, "video: canvas " + std::to_string(w) + "x" + std::to_string(h) +
                                                     " above max_pixels " + std::to_string(r->max_pixels));
        if (r->max_frames && frames > r->max_frames)
            return stop(r, Status::limit_frames, "video: " + std::to_string(frames) + " frames declared, above max_frames " +
                                                     std::to_string(r->max_frames));
        const std::uint64_t ms = total_ms(demux.d);
        if (r->max_duration_s > 0 && static_cast<double>(ms) / 1000.0 > r->max_duration_s)
            return stop(r, Status::limit_duration, "video: " + std::to_string(ms / 1000.0) +
                                                       " s declared, above max_duration_s " + std::to_string(r->max_duration_s));
        r->fps = ms > 0 ? static_cast<double>(frames) * 1000.0 / static_cast<double>(ms) : 0.0;
        WebPAnimDecoderOptions o;
        if (!WebPAnimDecoderOptionsInit(&o)) return stop(r, Status::internal, "webp: libwebp's ABI does not match");
        o.color_mode = MODE_BGRA;  // not premultiplied: RGB as stored, alpha dropped later (as for still WebP)
        o.use_threads = 0;
        AnimCloser dec{WebPAnimDecoderNew(&data, &o)};
        if (!dec.d) return stop(r, Status::decode_failed, "webp: the animation cannot be decoded (corrupt, or out of memory)");
        hg_video_frame f{};
        f.width = static_cast<int>(w);
        f.height = static_cast<int>(h);
        f.chroma = HG_CHROMA_BGRA;
        f.full_range = 1;
        f.strides[0] = static_cast<int>(w) * 4;
        while (WebPAnimDecoderHasMoreFrames(dec.d)) {
            if (r->check_time)
                if (const int s = r->check_time(r)) return s;
            std::uint8_t* canvas = nullptr;
            int ts = 0;
            if (!WebPAnimDecoderGetNext(dec.d, &canvas, &ts) || !canvas)
                return stop(r, Status::decode_failed, "webp: frame " + std::to_string(r->frames) + " is corrupt or truncated");
            f.number = r->frames;
            f.planes[0] = canvas;
            ++r->frames;
            if (const int s = r->on_frame(r->ctx, &f)) return s;
        }
        if (r->frames == 0) return stop(r, Status::decode_failed, "webp: the animation has no frame");
        return 0;
    } catch (...) {  // the messages' strings
        return static_cast<int>(Status::out_of_memory);
    }
}

}  // namespace hashguard::detail
