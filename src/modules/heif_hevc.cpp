// A silent HEVC decoder for libheif: a decoder plugin (libheif/heif_plugin.h,
// plugin API version 3, libheif >= 1.15) driving libavcodec's HEVC decoder.
//
// Why: libheif 1.15's built-in HEVC plugin uses libde265, which writes
// bitstream errors straight to stderr with fprintf ("SPS error: CB
// alignment", ...; about 48 places, not covered by de265_disable_logging); a
// library scanning untrusted attachments must never print. HEVC decoding is
// normative, so libavcodec gives the same samples as libde265; this plugin
// hands libheif the decoded planes as they are, in a heif_image of the same
// colourspace, chroma, bit depth and nclx profile as the libde265 plugin, so
// libheif's later steps see the same image.
//
// Silence without process-wide state (the host may use FFmpeg itself: no
// av_log_set_level or av_log_set_callback): every codec context gets
// log_level_offset = kLogLevelOffset. av_log adds it to the level of each
// message logged with that context (levels >= AV_LOG_FATAL), and the default
// callback compares the low 8 bits of the result with the global level:
// 199 moves FATAL..TRACE (8..56) to 207..255, below even AV_LOG_TRACE.
// One path escapes it: libavutil's image size check (av_image_check_size)
// logs through its own IMGUTILS context, whose offset its callers pass as 0;
// the HEVC decoder runs it on each SPS's picture size and again when it
// allocates a frame. hevc_sps_sizes_ok() therefore reads every SPS before
// libavcodec does and refuses the data unless the size passes that check
// (and the pixel limit) by a margin, so the check never fails and never logs.
// avctx->max_pixels is left at its default for the same reason (exceeding it
// logs through IMGUTILS too).
//
// It is registered on each heif_context the module creates, with a priority
// above the built-in libde265 plugin (100); libheif 1.15 picks the highest
// priority and does not try another plugin when the chosen one fails, so
// libde265 is never reached from the module's contexts.
#include "modules/heif_hevc.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>
}
#include <libheif/heif_plugin.h>

#include <climits>
#include <cstring>
#include <new>
#include <vector>

#include "modules/heif_dav1d.hpp"
#include "modules/heif_plugin.hpp"

namespace hashguard_heif {

namespace {

constexpr int kPriority = 200;                 // wins over libheif's libde265 (100)
constexpr std::uint64_t kDefaultLimit = 1u << 28;  // pixels, when no request set one
constexpr int kLogLevelOffset = 199;           // see the top of the file

// ---- SPS sizes, read as libavcodec reads them ------------------------------

// The RBSP of the NAL unit at src[0, length) as libavcodec's
// ff_h2645_extract_rbsp makes it: 00 00 03 loses its 03, and 00 00 01 or
// 00 00 02 ends the unit (a start code inside it).
std::vector<std::uint8_t> extract_rbsp(const std::uint8_t* src, std::size_t length) {
    std::vector<std::uint8_t> out;
    out.reserve(length < 64 ? length : 64);
    std::size_t i = 0;
    while (i + 2 < length) {
        if (src[i] == 0 && src[i + 1] == 0) {
            if (src[i + 2] == 3) {
                out.push_back(0);
                out.push_back(0);
                i += 3;
                continue;
            }
            if (src[i + 2] == 1 || src[i + 2] == 2) return out;
        }
        out.push_back(src[i++]);
    }
    while (i < length) out.push_back(src[i++]);
    return out;
}

// Reads bits below `end`, the position of the RBSP's stop bit (the last 1
// bit after trailing zero bytes), as far as libavcodec's reader holds real
// data: the values read here are the ones it reads.
class Bits {
public:
    explicit Bits(const std::vector<std::uint8_t>& b) : b_(b) {
        std::size_t n = b.size();
        while (n > 0 && b[n - 1] == 0) --n;
        if (n > 0) {
            int tz = 0;
            while (!((b[n - 1] >> tz) & 1)) ++tz;
            end_ = 8 * n - static_cast<std::size_t>(tz) - 1;
        }
    }
    bool ok() const { return ok_; }
    std::uint32_t u(int n) {
        std::uint32_t v = 0;
        for (int k = 0; k < n; ++k) {
            if (pos_ >= end_) {
                ok_ = false;
                return 0;
            }
            v = (v << 1) | ((b_[pos_ >> 3] >> (7 - (pos_ & 7))) & 1u);
            ++pos_;
        }
        return v;
    }
    void skip(std::size_t n) {
        if (pos_ > end_ || end_ - pos_ < n) ok_ = false;
        pos_ += n;
    }
    // ue(v) of up to 31 leading zeros (libavcodec's get_ue_golomb_long range).
    std::uint32_t ue() {
        int zeros = 0;
        while (ok_ && u(1) == 0)
            if (++zeros > 31) ok_ = false;
        if (!ok_) return 0;
        return static_cast<std::uint32_t>(((std::uint64_t{1} << zeros) | u(zeros)) - 1);
    }

private:
    const std::vector<std::uint8_t>& b_;
    std::size_t pos_ = 16;  // after the two-byte NAL unit header
    std::size_t end_ = 0;
    bool ok_ = true;
};

// One SPS NAL unit (header included): the picture size must be readable and
// within the limits. The syntax up to the conformance window (H.265 7.3.2.2).
bool sps_ok(const std::uint8_t* nal, std::size_t length, std::uint64_t limit) {
    const std::vector<std::uint8_t> rbsp = extract_rbsp(nal, length);
    Bits g(rbsp);
    g.u(4);                              // sps_video_parameter_set_id
    const std::uint32_t sub_layers = g.u(3);  // sps_max_sub_layers_minus1
    g.u(1);                              // sps_temporal_id_nesting_flag
    if (sub_layers > 6) return false;    // libavcodec refuses it too
    g.skip(88 + 8);                      // general profile, tier and level
    bool profile[8] = {}, level[8] = {};
    for (std::uint32_t i = 0; i < sub_layers; ++i) {
        profile[i] = g.u(1) != 0;
        level[i] = g.u(1) != 0;
    }
    if (sub_layers > 0) g.skip(2 * (8 - sub_layers));
    for (std::uint32_t i = 0; i < sub_layers; ++i) {
        if (profile[i]) g.skip(88);
        if (level[i]) g.skip(8);
    }
    g.ue();  // sps_seq_parameter_set_id
    std::uint32_t chroma = g.ue();
    if (chroma > 3) return false;
    if (chroma == 3 && g.u(1)) chroma = 0;  // separate_colour_plane_flag
    const std::uint64_t w = g.ue(), h = g.ue();
    if (!g.ok() || w == 0 || h == 0) return false;
    // libavutil's check (av_image_check_size2 without a pixel format):
    // (8 * width + 1024) * (height + 128) < INT_MAX, here with the width
    // rounded up by 64 as when a frame is allocated.
    if ((8 * (w + 64) + 1024) * (h + 128) >= static_cast<std::uint64_t>(INT_MAX)) return false;
    // The pixel limit on the visible size, and on the coded size less up to
    // 64 columns and rows of padding.
    std::uint64_t vw = w, vh = h;
    if (g.u(1)) {  // conformance_window_flag
        const std::uint64_t mx = chroma == 1 || chroma == 2 ? 2 : 1, my = chroma == 1 ? 2 : 1;
        const std::uint64_t l = g.ue(), r = g.ue(), t = g.ue(), b = g.ue();
        if (g.ok() && (l + r) * mx < w && (t + b) * my < h) {
            vw = w - (l + r) * mx;
            vh = h - (t + b) * my;
        }
    }
    const std::uint64_t pw = w > 64 ? w - 64 : 0, ph = h > 64 ? h - 64 : 0;
    return vw * vh <= limit && pw * ph <= limit;
}

// The NAL units libheif pushed, as libavcodec will split them: each
// length-prefixed unit, and whatever follows a start code (00 00 01) inside
// one (invalid HEVC, but libavcodec starts a new unit there).
template <class F>
bool for_each_nal(const std::uint8_t* data, std::size_t size, F&& f) {
    std::size_t p = 0;
    while (p < size) {
        if (size - p < 4) return false;
        const std::size_t n = (std::size_t{data[p]} << 24) | (std::size_t{data[p + 1]} << 16) |
                              (std::size_t{data[p + 2]} << 8) | data[p + 3];
        p += 4;
        if (n > size - p) return false;
        const std::uint8_t* nal = data + p;
        if (!f(nal, n)) return false;
        for (std::size_t i = 0; i + 3 < n; ++i)
            if (nal[i] == 0 && nal[i + 1] == 0 && nal[i + 2] == 1 && !f(nal + i + 3, n - i - 3)) return false;
        p += n;
    }
    return true;
}

}  // namespace

bool hevc_sps_sizes_ok(const std::uint8_t* data, std::size_t size, std::uint64_t max_pixels) {
    return for_each_nal(data, size, [&](const std::uint8_t* nal, std::size_t n) {
        if (n < 2 || ((nal[0] >> 1) & 0x3f) != 33) return true;  // not an SPS
        return sps_ok(nal, n, max_pixels);
    });
}

namespace {

// ---- the plugin -------------------------------------------------------------

struct Decoder {
    std::vector<std::uint8_t> data;  // libheif's length-prefixed NAL units, decoded at decode time
};

const char* plugin_name() { return "hashguard silent HEVC (libavcodec)"; }

int supports(heif_compression_format format) { return format == heif_compression_HEVC ? kPriority : 0; }

heif_error new_decoder(void** out) {
    *out = nullptr;
    Decoder* d = new (std::nothrow) Decoder;
    if (!d) return plugin_error(heif_error_Memory_allocation_error, "could not allocate the HEVC decoder");
    *out = d;
    return plugin_ok();
}

void free_decoder(void* raw) { delete static_cast<Decoder*>(raw); }

// Buffers the data; its NAL unit lengths are checked as libheif's libde265
// plugin checks them.
heif_error push_data(void* raw, const void* data, size_t size) {
    Decoder* d = static_cast<Decoder*>(raw);
    const auto* p = static_cast<const std::uint8_t*>(data);
    if (!for_each_nal(p, size, [](const std::uint8_t*, std::size_t) { return true; }))
        return heif_error{heif_error_Decoder_plugin_error, heif_suberror_End_of_data, "truncated HEVC NAL unit"};
    return buffer_data(d->data, data, size, "could not buffer the HEVC data");
}

struct CodecRef {
    AVCodecContext* ctx = nullptr;
    ~CodecRef() { avcodec_free_context(&ctx); }
};
struct PacketRef {
    AVPacket* pkt = av_packet_alloc();
    ~PacketRef() { av_packet_free(&pkt); }
};
struct FrameRef {
    AVFrame* frame = av_frame_alloc();
    ~FrameRef() { av_frame_free(&frame); }
};

// The data as Annex B (a 00 00 00 01 start code before each NAL unit), in a
// packet (zeroed padding included): 0, AVERROR_INVALIDDATA (a length prefix
// past the end, or no NAL unit at all), or AVERROR(ENOMEM). The size counts
// the length-prefixed units only, walked exactly as they are copied (start
// codes inside a unit are libavcodec's business here, not extra units).
int annex_b_packet(const std::vector<std::uint8_t>& data, AVPacket* pkt) {
    std::size_t total = 0;
    for (std::size_t p = 0; p < data.size();) {
        if (data.size() - p < 4) return AVERROR_INVALIDDATA;
        const std::size_t n = (std::size_t{data[p]} << 24) | (std::size_t{data[p + 1]} << 16) |
                              (std::size_t{data[p + 2]} << 8) | data[p + 3];
        p += 4;
        if (n > data.size() - p) return AVERROR_INVALIDDATA;
        total += n ? 4 + n : 0;  // <= data.size(): no overflow
        p += n;
    }
    if (total == 0 || total > static_cast<std::size_t>(INT_MAX - AV_INPUT_BUFFER_PADDING_SIZE))
        return AVERROR_INVALIDDATA;
    if (av_new_packet(pkt, static_cast<int>(total)) < 0) return AVERROR(ENOMEM);
    std::uint8_t* out = pkt->data;
    for (std::size_t p = 0; p < data.size();) {
        const std::size_t n = (std::size_t{data[p]} << 24) | (std::size_t{data[p + 1]} << 16) |
                              (std::size_t{data[p + 2]} << 8) | data[p + 3];
        p += 4;
        if (n) {
            static const std::uint8_t kStart[4] = {0, 0, 0, 1};
            std::memcpy(out, kStart, 4);
            std::memcpy(out + 4, data.data() + p, n);
            out += 4 + n;
        }
        p += n;
    }
    return 0;
}

// Decodes the packet and keeps the last picture, as libheif's libde265
// plugin does. Returns 0 or an AVERROR.
int decode_frames(AVCodecContext* ctx, AVPacket* pkt, AVFrame* frame) {
    FrameRef next;
    if (!next.frame) return AVERROR(ENOMEM);
    bool got = false;
    auto drain = [&]() {
        for (;;) {
            const int r = avcodec_receive_frame(ctx, next.frame);
            if (r < 0) return r;
            av_frame_unref(frame);
            av_frame_move_ref(frame, next.frame);
            got = true;
        }
    };
    int r = avcodec_send_packet(ctx, pkt);
    if (r == AVERROR(ENOMEM)) return r;
    r = drain();
    if (r == AVERROR(ENOMEM)) return r;
    r = avcodec_send_packet(ctx, nullptr);  // flush: the picture comes out now
    if (r == AVERROR(ENOMEM)) return r;
    r = drain();
    if (r == AVERROR(ENOMEM)) return r;
    return got ? 0 : AVERROR_INVALIDDATA;
}

heif_error to_heif_image(const AVFrame* f, heif_image** out) {
    const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(f->format));
    if (!desc || !(desc->flags & AV_PIX_FMT_FLAG_PLANAR) || (desc->flags & (AV_PIX_FMT_FLAG_BE | AV_PIX_FMT_FLAG_ALPHA |
                                                                             AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_PAL)))
        return plugin_error(heif_error_Decoder_plugin_error, "unsupported HEVC pixel format");
    heif_colorspace colorspace = heif_colorspace_YCbCr;
    heif_chroma chroma;
    const int planes = desc->nb_components;
    if (planes == 1) {
        chroma = heif_chroma_monochrome;
        colorspace = heif_colorspace_monochrome;
    } else if (planes == 3 && desc->log2_chroma_w == 1 && desc->log2_chroma_h == 1) {
        chroma = heif_chroma_420;
    } else if (planes == 3 && desc->log2_chroma_w == 1 && desc->log2_chroma_h == 0) {
        chroma = heif_chroma_422;
    } else if (planes == 3 && desc->log2_chroma_w == 0 && desc->log2_chroma_h == 0) {
        chroma = heif_chroma_444;  // also GBRP (matrix_coeffs 0): planes in coded order G, B, R = Y, Cb, Cr
    } else {
        return plugin_error(heif_error_Decoder_plugin_error, "unsupported HEVC chroma format");
    }
    const int depth = desc->comp[0].depth;
    for (int c = 0; c < planes; ++c)
        if (desc->comp[c].depth != depth || desc->comp[c].step != (depth > 8 ? 2 : 1))
            return plugin_error(heif_error_Unsupported_feature,
                              "Channels with different number of bits per pixel are not supported");
    if (f->width <= 0 || f->height <= 0 || depth < 8 || depth > 16)
        return plugin_error(heif_error_Decoder_plugin_error, "the HEVC decoder returned an empty picture");

    DecodedPicture pic;
    pic.width = f->width;
    pic.height = f->height;
    pic.depth = depth;
    pic.colorspace = colorspace;
    pic.chroma = chroma;
    pic.planes = planes;
    for (int c = 0; c < planes; ++c)
        pic.plane[c] = {f->data[c], f->linesize[c], c ? -((-f->width) >> desc->log2_chroma_w) : f->width,
                        c ? -((-f->height) >> desc->log2_chroma_h) : f->height};
    // The colour description of the SPS VUI, as libheif's libde265 plugin
    // attaches it (libavcodec's values are the ITU-T H.273 codes; unspecified
    // when the VUI has none).
    pic.primaries = static_cast<std::uint16_t>(f->color_primaries);
    pic.transfer = static_cast<std::uint16_t>(f->color_trc);
    pic.matrix = static_cast<std::uint16_t>(f->colorspace);
    pic.full_range = f->color_range == AVCOL_RANGE_JPEG;
    return to_heif_image(pic, out, "the HEVC picture has no plane data");
}

heif_error decode_image(void* raw, heif_image** out) {
    *out = nullptr;
    Decoder* d = static_cast<Decoder*>(raw);
    const std::uint64_t limit = frame_size_limit() ? frame_size_limit() : kDefaultLimit;
    if (!hevc_sps_sizes_ok(d->data.data(), d->data.size(), limit))
        return plugin_error(heif_error_Decoder_plugin_error, "the HEVC picture size is invalid or above the limits");

    const AVCodec* codec = avcodec_find_decoder(AV_CODEC_ID_HEVC);
    if (!codec) return plugin_error(heif_error_Unsupported_feature, "libavcodec has no HEVC decoder");
    CodecRef c;
    c.ctx = avcodec_alloc_context3(codec);
    if (!c.ctx) return plugin_error(heif_error_Memory_allocation_error, "could not allocate the HEVC decoder");
    c.ctx->log_level_offset = kLogLevelOffset;  // silent: see the top of the file
    c.ctx->thread_count = 1;                    // decode on the caller's thread
    c.ctx->thread_type = 0;
    c.ctx->flags |= AV_CODEC_FLAG_UNALIGNED;    // crop exactly (the left edge too), as libde265
    if (avcodec_open2(c.ctx, codec, nullptr) < 0)
        return plugin_error(heif_error_Decoder_plugin_error, "could not open the HEVC decoder");

    PacketRef pkt;
    FrameRef frame;
    if (!pkt.pkt || !frame.frame) return plugin_error(heif_error_Memory_allocation_error, "could not allocate the HEVC packet");
    if (const int e = annex_b_packet(d->data, pkt.pkt))
        return e == AVERROR(ENOMEM) ? plugin_error(heif_error_Memory_allocation_error, "could not allocate the HEVC packet")
                                    : plugin_error(heif_error_Decoder_plugin_error, "malformed HEVC data (NAL unit lengths)");
    std::vector<std::uint8_t>().swap(d->data);
    const int r = decode_frames(c.ctx, pkt.pkt, frame.frame);
    if (r == AVERROR(ENOMEM)) return plugin_error(heif_error_Memory_allocation_error, "HEVC decoder out of memory");
    if (r < 0) return plugin_error(heif_error_Decoder_plugin_error, "the HEVC data could not be decoded");
    if (static_cast<std::uint64_t>(frame.frame->width) * static_cast<std::uint64_t>(frame.frame->height) > limit)
        return plugin_error(heif_error_Decoder_plugin_error, "the HEVC picture is larger than the limits allow");
    return to_heif_image(frame.frame, out);
}

constexpr char kUnexpected[] = "unexpected exception in the HEVC decoder";

const heif_decoder_plugin kPlugin = plugin_table(plugin_name, supports, new_decoder, free_decoder, push_data,
                                                 decode_noexcept<decode_image, kUnexpected>, "hashguard-hevc");

}  // namespace

const heif_decoder_plugin* silent_hevc_plugin() { return &kPlugin; }

}  // namespace hashguard_heif
