// The video module (hashguard-video.so): libavformat + libavcodec behind the
// module interface of module_abi.h (decode_video), from memory. A module
// because libav* brings ~130 libraries and tens of milliseconds of start-up
// that an image-only process must not pay.
//
// - Input: a custom AVIOContext over the caller's bytes (read and seek
//   callbacks; never a temporary file). io_open refuses every URL, so no
//   demuxer can reach a file or the network (MOV data references, HLS, ...).
// - Demuxers: probed on the bytes, then allowed only if in kDemuxers (MP4/MOV/
//   3GP, Matroska/WebM, AVI; animated GIF, as the reference reads it through
//   libavcodec); everything else is unsupported_format naming the
//   demuxer. Decoders: the first video stream's codec must be in kDecoders.
// - What the reference vPDQ does (../shared/vpdq-reference/README.md): the
//   first stream whose type is video; slice threads only (frame numbers are
//   the count of frames the decoder returns); the decoder flushed at the end
//   whichever stream comes first (the reference loses the tail when audio is
//   stream 0; we do not). A decode error anywhere fails the whole video.
// - Limits: dimensions and pixels from the stream header and again on every
//   frame; frames decoded; duration as declared and as reached
//   (frames / fps); the library's time budget polled per packet and frame.
// - Silence: every codec context gets log_level_offset (as heif_hevc.cpp);
//   the format context has no such field, so on first use the module lowers
//   the process's libav log level to quiet if it is still libav's default
//   (a host that set its own level keeps it, and its own callback).
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>
}

#include <algorithm>
#include <climits>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <vector>

#include "hashguard/status.hpp"
#include "modules/module_abi.h"

namespace {

using hashguard::Status;

constexpr int kLogLevelOffset = 199;  // see heif_hevc.cpp
constexpr int kIoBuffer = 1 << 16;

// Demuxer names as libavformat reports them (AVInputFormat::name).
const char* const kDemuxers[] = {"mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm", "avi", "gif"};
// Decoder names (AVCodec::name).
const char* const kDecoders[] = {"h264", "hevc", "vp8", "vp9", "av1", "libdav1d", "mpeg4", "h263", "mpeg2video",
                                 "mpeg1video", "mjpeg", "gif"};
// The same, for libavformat: avformat_find_stream_info opens decoders for
// every stream (audio too) and may open only these.
constexpr const char* kDecoderList = "h264,hevc,vp8,vp9,av1,libdav1d,mpeg4,h263,mpeg2video,mpeg1video,mjpeg,gif";

int fail(hg_video_request* r, Status s, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
int fail(hg_video_request* r, Status s, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    return static_cast<int>(s);
}

bool listed(const char* name, const char* const* list, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        if (name && std::strcmp(name, list[i]) == 0) return true;
    return false;
}

struct Source {
    const std::uint8_t* data;
    std::size_t len, pos;
};

int read_cb(void* opaque, std::uint8_t* buf, int size) {
    Source* s = static_cast<Source*>(opaque);
    if (s->pos >= s->len) return AVERROR_EOF;
    const std::size_t n = std::min(static_cast<std::size_t>(size), s->len - s->pos);
    std::memcpy(buf, s->data + s->pos, n);
    s->pos += n;
    return static_cast<int>(n);
}

std::int64_t seek_cb(void* opaque, std::int64_t offset, int whence) {
    Source* s = static_cast<Source*>(opaque);
    whence &= ~AVSEEK_FORCE;
    std::int64_t base = 0;
    switch (whence) {
        case AVSEEK_SIZE: return static_cast<std::int64_t>(s->len);
        case SEEK_SET: base = 0; break;
        case SEEK_CUR: base = static_cast<std::int64_t>(s->pos); break;
        case SEEK_END: base = static_cast<std::int64_t>(s->len); break;
        default: return AVERROR(EINVAL);
    }
    if ((offset > 0 && base > INT64_MAX - offset)) return AVERROR(EINVAL);
    const std::int64_t to = base + offset;
    if (to < 0 || to > static_cast<std::int64_t>(s->len)) return AVERROR(EINVAL);
    s->pos = static_cast<std::size_t>(to);
    return to;
}

// No demuxer may open another resource.
int refuse_open(AVFormatContext*, AVIOContext**, const char*, int, AVDictionary**) { return AVERROR(EPERM); }

// libav's largest single allocation. Its demuxers size some tables from
// declared counts: a 14 KB MP4 made libavformat's mov reader ask av_malloc for
// 2 GB while reading the header (fuzz_video, regression input kept). Untouched
// that is address space only, but under strict overcommit it is commit charge
// the whole process loses. 128 MiB covers every legitimate buffer within the
// limits (a 4096x2176 plane is 9 MB; a 4-hour 60 fps index ~40 MB; the heif
// module's largest 8-bit HEVC plane at 100 MP, 95 MiB; HEIF beyond 8 bits is
// refused anyway, above ~67 MP now as out_of_memory rather than after the
// decode). Process-wide (libavutil has one setting: it also binds the heif
// module and any libav the host uses), set once when this module is first used.
constexpr std::size_t kMaxAlloc = std::size_t{128} << 20;

void quiet_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (av_log_get_level() == AV_LOG_INFO) av_log_set_level(AV_LOG_QUIET);
        av_max_alloc(kMaxAlloc);
    });
}

// Everything one decode owns, freed in the destructor.
struct Session {
    Source src{};
    AVIOContext* io = nullptr;
    AVFormatContext* fmt = nullptr;
    AVCodecContext* dec = nullptr;
    AVPacket* pkt = nullptr;
    AVFrame* frame = nullptr;
    ~Session() {
        av_frame_free(&frame);
        av_packet_free(&pkt);
        avcodec_free_context(&dec);
        if (fmt) avformat_close_input(&fmt);  // not its pb: AVFMT_FLAG_CUSTOM_IO
        if (io) av_freep(&io->buffer);
        avio_context_free(&io);
    }
};

int check_size(hg_video_request* r, std::int64_t w, std::int64_t h, const char* what) {
    if (w <= 0 || h <= 0) return fail(r, Status::decode_failed, "video: %s has no size (%lldx%lld)", what,
                                      static_cast<long long>(w), static_cast<long long>(h));
    if (r->max_dimension && (w > r->max_dimension || h > r->max_dimension))
        return fail(r, Status::limit_dimension, "video: %s is %lldx%lld, above max_dimension %u", what,
                    static_cast<long long>(w), static_cast<long long>(h), r->max_dimension);
    if (r->max_pixels && static_cast<std::uint64_t>(w) * static_cast<std::uint64_t>(h) > r->max_pixels)
        return fail(r, Status::limit_pixels, "video: %s is %lldx%lld, above max_pixels %llu", what,
                    static_cast<long long>(w), static_cast<long long>(h),
                    static_cast<unsigned long long>(r->max_pixels));
    return 0;
}

// One decoded frame: checked, then handed to the caller.
int deliver(hg_video_request* r, const AVFrame* f) {
    if (r->max_frames && r->frames >= r->max_frames)
        return fail(r, Status::limit_frames, "video: more than max_frames %llu frames",
                    static_cast<unsigned long long>(r->max_frames));
    if (r->max_duration_s > 0 && r->fps > 0 && static_cast<double>(r->frames) / r->fps > r->max_duration_s)
        return fail(r, Status::limit_duration, "video: frame %llu is past max_duration %.3f s",
                    static_cast<unsigned long long>(r->frames), r->max_duration_s);
    if (int s = check_size(r, f->width, f->height, "a frame")) return s;
    hg_video_frame v{};
    switch (f->format) {
        case AV_PIX_FMT_YUV420P: v.chroma = HG_CHROMA_420; break;
        case AV_PIX_FMT_YUVJ420P: v.chroma = HG_CHROMA_420; v.full_range = 1; break;
        case AV_PIX_FMT_YUV422P: v.chroma = HG_CHROMA_422; break;
        case AV_PIX_FMT_YUVJ422P: v.chroma = HG_CHROMA_422; v.full_range = 1; break;
        case AV_PIX_FMT_BGRA: v.chroma = HG_CHROMA_BGRA; break;
        default: {
            const char* name = av_get_pix_fmt_name(static_cast<AVPixelFormat>(f->format));
            return fail(r, Status::unsupported_format, "video: frames in pixel format %s are not supported yet",
                        name ? name : "unknown");
        }
    }
    if (f->color_range == AVCOL_RANGE_JPEG) v.full_range = 1;
    v.number = r->frames++;
    v.width = f->width;
    v.height = f->height;
    for (int i = 0; i < (v.chroma == HG_CHROMA_BGRA ? 1 : 3); ++i) {
        v.planes[i] = f->data[i];
        v.strides[i] = f->linesize[i];
        if (!f->data[i] || f->linesize[i] <= 0) return fail(r, Status::decode_failed, "video: a frame without plane %d", i);
    }
    if (r->check_time)
        if (int s = r->check_time(r)) return s;
    return r->on_frame(r->ctx, &v);
}

// Receives every frame the decoder has ready.
int drain(hg_video_request* r, Session& s) {
    for (;;) {
        const int e = avcodec_receive_frame(s.dec, s.frame);
        if (e == AVERROR(EAGAIN) || e == AVERROR_EOF) return 0;
        if (e < 0) return fail(r, Status::decode_failed, "video: the %s decoder failed on frame %llu", r->codec,
                               static_cast<unsigned long long>(r->frames));
        const int st = deliver(r, s.frame);
        av_frame_unref(s.frame);
        if (st) return st;
    }
}

// Probes, allow-lists and opens the container over the bytes; finds the streams.
int open_container(hg_video_request* r, Session& s) {
    s.src = {r->data, r->len, 0};
    auto* buf = static_cast<std::uint8_t*>(av_malloc(kIoBuffer));
    if (!buf) return fail(r, Status::out_of_memory, "video: out of memory for the input buffer");
    s.io = avio_alloc_context(buf, kIoBuffer, 0, &s.src, read_cb, nullptr, seek_cb);
    if (!s.io) {
        av_free(buf);
        return fail(r, Status::out_of_memory, "video: out of memory for the input context");
    }
    const AVInputFormat* in = nullptr;
    if (av_probe_input_buffer2(s.io, &in, "", nullptr, 0, 0) < 0 || !in)
        return fail(r, Status::unsupported_format, "video: no container format recognised");
    std::snprintf(r->container, sizeof r->container, "%s", in->name);
    if (!listed(in->name, kDemuxers, sizeof kDemuxers / sizeof *kDemuxers))
        return fail(r, Status::unsupported_format, "video: container %s is not supported", in->name);
    s.fmt = avformat_alloc_context();
    if (!s.fmt) return fail(r, Status::out_of_memory, "video: out of memory for the format context");
    s.fmt->pb = s.io;
    s.fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    s.fmt->io_open = refuse_open;
    s.fmt->protocol_whitelist = av_strdup("none");
    s.fmt->codec_whitelist = av_strdup(kDecoderList);
    if (!s.fmt->protocol_whitelist || !s.fmt->codec_whitelist)
        return fail(r, Status::out_of_memory, "video: out of memory for the format context");
    if (avformat_open_input(&s.fmt, nullptr, in, nullptr) < 0) {
        s.fmt = nullptr;  // freed by avformat_open_input on failure
        return fail(r, Status::decode_failed, "video: the %s container could not be read", r->container);
    }
    // Decoders opened while probing the streams decode frames too: they get
    // the pixel limit (and the log offset) before any frame.
    std::vector<AVDictionary*> probe_opts(s.fmt->nb_streams, nullptr);
    for (AVDictionary*& d : probe_opts) {
        if (r->max_pixels) av_dict_set_int(&d, "max_pixels", static_cast<std::int64_t>(std::min<std::uint64_t>(r->max_pixels, INT_MAX)), 0);
        av_dict_set_int(&d, "log_level_offset", kLogLevelOffset, 0);
    }
    const int info = avformat_find_stream_info(s.fmt, probe_opts.empty() ? nullptr : probe_opts.data());
    for (AVDictionary*& d : probe_opts) av_dict_free(&d);
    if (info < 0)
        return fail(r, Status::decode_failed, "video: the %s container's streams could not be read", r->container);
    return 0;
}

// The first video stream: allow-listed decoder, limits, rate, opened decoder.
int open_stream(hg_video_request* r, Session& s, int& vs) {
    vs = -1;
    for (unsigned i = 0; i < s.fmt->nb_streams; ++i)
        if (s.fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
            vs = static_cast<int>(i);
            break;
        }
    if (vs < 0) return fail(r, Status::unsupported_format, "video: the %s container holds no video stream", r->container);
    AVStream* st = s.fmt->streams[vs];
    const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
    const char* cname = avcodec_get_name(st->codecpar->codec_id);
    std::snprintf(r->codec, sizeof r->codec, "%s", codec ? codec->name : (cname ? cname : "unknown"));
    if (!codec || !listed(codec->name, kDecoders, sizeof kDecoders / sizeof *kDecoders))
        return fail(r, Status::unsupported_format, "video: codec %s is not supported", r->codec);
    if (int e = check_size(r, st->codecpar->width, st->codecpar->height, "the video stream")) return e;
    AVRational rate = st->avg_frame_rate;
    if (rate.num <= 0 || rate.den <= 0) rate = st->r_frame_rate;
    r->fps = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0.0;
    if (r->max_duration_s > 0) {
        double declared = 0;
        if (st->duration > 0 && st->time_base.num > 0 && st->time_base.den > 0)
            declared = static_cast<double>(st->duration) * av_q2d(st->time_base);
        else if (s.fmt->duration > 0)
            declared = static_cast<double>(s.fmt->duration) / AV_TIME_BASE;
        if (declared > r->max_duration_s)
            return fail(r, Status::limit_duration, "video: declared duration %.3f s is above max_duration %.3f s",
                        declared, r->max_duration_s);
    }
    s.dec = avcodec_alloc_context3(codec);
    if (!s.dec) return fail(r, Status::out_of_memory, "video: out of memory for the decoder");
    s.dec->log_level_offset = kLogLevelOffset;
    if (avcodec_parameters_to_context(s.dec, st->codecpar) < 0)
        return fail(r, Status::decode_failed, "video: the %s stream's parameters are invalid", r->codec);
    if (r->max_pixels) s.dec->max_pixels = static_cast<std::int64_t>(std::min<std::uint64_t>(r->max_pixels, INT_MAX));
    s.dec->thread_type = FF_THREAD_SLICE;
    s.dec->thread_count = r->threads > 0 ? r->threads : 1;
    if (avcodec_open2(s.dec, codec, nullptr) < 0)
        return fail(r, Status::decode_failed, "video: the %s decoder could not be opened", r->codec);
    return 0;
}

// Every packet of stream vs through the decoder, then the flush.
int decode_all(hg_video_request* r, Session& s, int vs) {
    s.pkt = av_packet_alloc();
    s.frame = av_frame_alloc();
    if (!s.pkt || !s.frame) return fail(r, Status::out_of_memory, "video: out of memory for a packet or frame");
    for (;;) {
        if (r->check_time)
            if (int e = r->check_time(r)) return e;
        const int e = av_read_frame(s.fmt, s.pkt);
        if (e == AVERROR_EOF) break;
        if (e < 0) return fail(r, Status::decode_failed, "video: the %s container is corrupt or truncated", r->container);
        if (s.pkt->stream_index != vs) {
            av_packet_unref(s.pkt);
            continue;
        }
        int se;
        while ((se = avcodec_send_packet(s.dec, s.pkt)) == AVERROR(EAGAIN))  // full: take its frames, send again
            if (int d = drain(r, s)) return d;
        av_packet_unref(s.pkt);
        if (se < 0)
            return fail(r, Status::decode_failed, "video: the %s decoder rejected a packet after frame %llu", r->codec,
                        static_cast<unsigned long long>(r->frames));
        if (int d = drain(r, s)) return d;
    }
    if (avcodec_send_packet(s.dec, nullptr) < 0)
        return fail(r, Status::decode_failed, "video: the %s decoder could not be flushed", r->codec);
    if (int d = drain(r, s)) return d;
    if (r->frames == 0) return fail(r, Status::decode_failed, "video: the %s stream decoded to no frames", r->codec);
    return 0;
}

int decode_video(hg_video_request* r) {
    quiet_once();
    r->message[0] = 0;
    r->frames = 0;
    r->fps = 0;
    if (!r->on_frame) return fail(r, Status::invalid_argument, "video: no frame callback");
    Session s;
    int vs = -1;
    if (int e = open_container(r, s)) return e;
    if (int e = open_stream(r, s, vs)) return e;
    return decode_all(r, s, vs);
}

char g_library[64];

}  // namespace

extern "C" __attribute__((visibility("default"))) const hg_module_v1* hashguard_module_v1(void) {
    static const hg_module_v1 module = [] {
        const unsigned v = avcodec_version();
        std::snprintf(g_library, sizeof g_library, "libavcodec %u.%u.%u", v >> 16, (v >> 8) & 0xff, v & 0xff);
        return hg_module_v1{HG_MODULE_ABI, sizeof(hg_module_v1), "video", g_library, nullptr, nullptr, decode_video};
    }();
    return &module;
}
