// vPDQ: the video module decodes (src/modules/video_module.cpp), this file
// samples, converts and hashes. See include/hashguard/video.hpp and
// ../shared/vpdq-reference/README.md for what the reference does.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <thread>

#include "decode/modules.hpp"
#include "hashguard/image.hpp"
#include "hashguard/video.hpp"
#include "kernels/kernels.hpp"
#include "kernels/reference.hpp"
#include "pdq/pdq_core.hpp"
#include "video/webp_anim.hpp"
#include "video/yuv_rgb.hpp"

namespace hashguard {

namespace {

class Pipeline;

struct Run {
    const VideoOptions* opt;
    VpdqVideo* out;
    detail::LumaPipeline pipeline;  // the PDQ core, its scratch reused frame to frame
    std::unique_ptr<detail::YuvToRgb> conv[2];  // by full_range, built on first use
    std::chrono::steady_clock::time_point deadline;
    int every = 1;  // hash frame n iff n % every == 0
    float fps = 0;
    Error err;      // a failure of ours inside on_frame (the module only sees its status)
    const hg_video_request* req = nullptr;  // its fps is set before the first frame
    Pipeline* pipe = nullptr;  // VideoOptions::hash_threads >= 2: sampled frames are hashed on a second thread
};

int fail(Error& err, Status s, std::string msg) {
    err = {s, std::move(msg)};
    return static_cast<int>(s);
}

// One frame as the hash core's luma source: each row converted straight to
// float luma when the stream asks for it (the RGB bytes the reference would
// hash never leave registers; a frame never exists as RGB in memory).
struct FrameLuma {
    const hg_video_frame* f;
    const detail::YuvToRgb* conv;  // YUV frames
    detail::YuvToRgb::Simd simd;
    static void yuv(void* ctx, int row, float* out) {
        const FrameLuma& c = *static_cast<const FrameLuma*>(ctx);
        c.conv->luma_row(c.simd, c.f->planes, c.f->strides, c.f->width, row, c.f->chroma == HG_CHROMA_422, out);
    }
    // Packed BGRA (GIF), through the RGB24 bytes libswscale's unscaled path makes of it, 64 pixels at a time.
    static void bgra(void* ctx, int row, float* out) {
        const FrameLuma& c = *static_cast<const FrameLuma*>(ctx);
        const std::uint8_t* p = c.f->planes[0] + static_cast<std::ptrdiff_t>(row) * c.f->strides[0];
        std::uint8_t rgb[3 * 64];
        for (int x = 0; x < c.f->width; x += 64) {
            const int m = std::min(64, c.f->width - x);
            detail::bgra_to_rgb(p + 4 * x, c.f->strides[0], m, 1, rgb);
            for (int i = 0; i < m; ++i) out[x + i] = kernels::luma_rgb(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]);
        }
    }
};

// Hashes one sampled frame into r.out (on the decoding thread, or on the
// pipeline's worker) with the PDQ float pipeline at the frame's own size.
// Returns 0 or the status that stops the decode.
// Failures go to `err`: r.err on the decoding thread, the pipeline's own on
// its worker (never one Error written from two threads).
int hash_frame(Run& r, const hg_video_frame* f, Error& err) {
    try {
        // Under 5 px a side the reference has no hash for the frame either.
        if (f->width < detail::kMinHashableDim || f->height < detail::kMinHashableDim) return 0;
        FrameLuma src{f, nullptr, {}};
        if (f->chroma != HG_CHROMA_BGRA) {
            auto& conv = r.conv[f->full_range ? 1 : 0];  // the YUV tables, built on first use
            if (!conv) conv = std::make_unique<detail::YuvToRgb>(f->full_range != 0);
            if (!conv->in_range() || !conv->pick(detail::YuvPath::best, src.simd))
                return fail(err, Status::internal, "vpdq: YUV->RGB table indices out of range");
            src.conv = conv.get();
        }
        const kernels::Kernels& k = kernels::active();
        r.pipeline.blur_rows(k, f->height, f->width, f->chroma == HG_CHROMA_BGRA ? FrameLuma::bgra : FrameLuma::yuv,
                             &src);
        VpdqFrame v;
        v.frame = f->number;
        v.timestamp = r.fps > 0 ? static_cast<float>(f->number) / r.fps : 0.0f;
        if (r.opt->dihedral) {
            PdqDihedral d;
            r.pipeline.finish(k, d);
            v.hash = d.hashes[0];
            v.quality = d.quality;
            r.out->dihedral.push_back(d.hashes);
        } else {
            PdqHash h;
            r.pipeline.finish(k, h);
            v.hash = h.hash;
            v.quality = h.quality;
        }
        r.out->frames.push_back(v);
        return 0;
    } catch (const std::bad_alloc&) {
        err.code = Status::out_of_memory;  // no message: building one could throw again
        return static_cast<int>(Status::out_of_memory);
    } catch (...) {
        err.code = Status::internal;
        return static_cast<int>(Status::internal);
    }
}

// A second thread hashing sampled frames while the decoder goes on: each frame
// is copied out of the decoder's buffers (which it reuses once on_frame
// returns) into a queue of at most kInFlight frames; the worker takes them in
// order, so r.out->frames stays in frame order. The first failure on either
// side stops both. Only the worker touches r's hasher, buffers and output
// until finish() has joined it.
class Pipeline {
public:
    static constexpr std::size_t kInFlight = 3;
    explicit Pipeline(Run& r) : r_(r), thread_([this] { work(); }) {}
    ~Pipeline() { finish(); }
    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    // Queues a copy of f (waiting while kInFlight are queued); 0, or the worker's failure.
    int push(const hg_video_frame* f) {
        Job j;
        j.view = *f;
        const bool packed = f->chroma == HG_CHROMA_BGRA;  // one plane of 4 bytes per pixel
        const int cw = packed ? 0 : (f->width + 1) / 2, ch = f->chroma == HG_CHROMA_422 ? f->height : (f->height + 1) / 2;
        const int widths[3] = {packed ? 4 * f->width : f->width, cw, cw}, rows[3] = {f->height, packed ? 0 : ch, packed ? 0 : ch};
        std::size_t at[3], total = 0;
        for (int p = 0; p < 3; ++p) at[p] = total, total += static_cast<std::size_t>(widths[p]) * rows[p];
        j.bytes.resize(total);
        for (int p = 0; p < 3; ++p) {
            for (int y = 0; y < rows[p]; ++y)
                std::memcpy(j.bytes.data() + at[p] + static_cast<std::size_t>(y) * widths[p],
                            f->planes[p] + static_cast<std::ptrdiff_t>(y) * f->strides[p], static_cast<std::size_t>(widths[p]));
            j.view.planes[p] = j.bytes.data() + at[p];
            j.view.strides[p] = widths[p];
        }
        std::unique_lock<std::mutex> lock(mu_);
        space_.wait(lock, [&] { return queue_.size() < kInFlight || failed_; });
        if (failed_) return failed_;
        queue_.push_back(std::move(j));
        ready_.notify_one();
        return 0;
    }

    // No more frames: waits for the worker; its failure status, or 0.
    int finish() {
        {
            std::lock_guard<std::mutex> lock(mu_);
            done_ = true;
        }
        ready_.notify_one();
        if (thread_.joinable()) thread_.join();
        return failed_;
    }
    // After finish() or cancel(): the worker's failure (empty when it had none).
    const Error& worker_error() const { return worker_err_; }

    // The decode failed: queued frames are dropped, then finish().
    void cancel() {
        {
            std::lock_guard<std::mutex> lock(mu_);
            queue_.clear();
        }
        finish();
    }

private:
    struct Job {
        hg_video_frame view;
        std::vector<std::uint8_t> bytes;
    };
    void work() {
        for (;;) {
            Job j;
            {
                std::unique_lock<std::mutex> lock(mu_);
                ready_.wait(lock, [&] { return !queue_.empty() || done_; });
                if (queue_.empty()) return;
                j = std::move(queue_.front());
                queue_.pop_front();
            }
            space_.notify_one();
            if (const int s = hash_frame(r_, &j.view, worker_err_)) {
                std::lock_guard<std::mutex> lock(mu_);
                failed_ = s;
                queue_.clear();
                space_.notify_all();
                return;
            }
        }
    }
    Run& r_;
    std::mutex mu_;
    std::condition_variable ready_, space_;
    std::deque<Job> queue_;  // guarded by mu_
    bool done_ = false;      // guarded by mu_
    int failed_ = 0;         // guarded by mu_; read after join
    Error worker_err_;       // the worker's failure: written by the worker only, read after join
    std::thread thread_;     // last: started once the rest exists
};

int on_frame(void* ctx, const hg_video_frame* f) {
    Run& r = *static_cast<Run*>(ctx);
    try {
        if (f->number == 0) {  // the stream's rate is known once frames arrive
            r.out->fps = r.req->fps;
            r.fps = static_cast<float>(r.req->fps);
            const double every = r.opt->seconds_per_hash * r.req->fps;  // the reference's (int) cast, kept in range
            r.every = every >= 2 && every < 2147483647.0 ? static_cast<int>(every) : every >= 2147483647.0 ? 2147483647 : 1;
        }
        r.out->width = f->width;  // here, on the decoding thread: the worker never writes them
        r.out->height = f->height;
        if (r.opt->decode_only || f->number % static_cast<std::uint64_t>(r.every) != 0) return 0;
        return r.pipe ? r.pipe->push(f) : hash_frame(r, f, r.err);
    } catch (const std::bad_alloc&) {
        r.err.code = Status::out_of_memory;
        return static_cast<int>(Status::out_of_memory);
    } catch (...) {
        r.err.code = Status::internal;
        return static_cast<int>(Status::internal);
    }
}

int check_time(hg_video_request* req) {
    Run& r = *static_cast<Run*>(req->host);
    if (!r.opt->max_decode_ms || std::chrono::steady_clock::now() < r.deadline) return 0;
    std::snprintf(req->message, sizeof req->message, "video: decoding ran past max_decode_ms %u",
                  r.opt->max_decode_ms);
    return static_cast<int>(Status::limit_time);
}

}  // namespace

Error vpdq_hash_bytes(const std::uint8_t* data, std::size_t len, VpdqVideo& out, const VideoOptions& opt) noexcept {
    try {
        out = VpdqVideo{};
        if (!data && len) return {Status::invalid_argument, "vpdq: null data"};
        if (opt.max_input_bytes && len > opt.max_input_bytes)
            return {Status::limit_bytes, "video: " + std::to_string(len) + " bytes, above max_input_bytes " +
                                             std::to_string(opt.max_input_bytes)};
        // An animated WebP decodes here with libwebp; everything else in the video module.
        const bool webp = detail::is_animated_webp(data, len);
        std::string why;
        const hg_module_v1* m = webp ? nullptr : detail::find_module("video", why);
        if (!webp && !m) return {Status::module_unavailable, "video: " + why};
        if (!webp && !m->decode_video) return {Status::internal, "the video module decodes no video"};
        Run run;
        run.opt = &opt;
        run.out = &out;
        run.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(opt.max_decode_ms);
        hg_video_request req{};
        req.data = data;
        req.len = len;
        req.max_dimension = opt.max_dimension;
        req.max_pixels = opt.max_pixels;
        req.max_frames = opt.max_frames;
        req.max_duration_s = opt.max_duration_s;
        req.threads = opt.threads;
        req.on_frame = on_frame;
        req.ctx = &run;
        req.check_time = check_time;
        req.host = &run;
        run.req = &req;
        std::unique_ptr<Pipeline> pipe;
        if (opt.hash_threads >= 2) {
            try {
                pipe = std::make_unique<Pipeline>(run);
            } catch (...) {  // no thread to be had: hash on this one
            }
        }
        run.pipe = pipe.get();
        int st = webp ? detail::decode_webp_animation(&req) : m->decode_video(&req);
        if (pipe) {
            if (st) pipe->cancel();
            else st = pipe->finish();
            if (pipe->worker_error() && !run.err) run.err = pipe->worker_error();  // the worker is joined
        }
        out.fps = req.fps;
        out.decoded_frames = req.frames;
        out.container.assign(req.container, strnlen(req.container, sizeof req.container));
        out.codec.assign(req.codec, strnlen(req.codec, sizeof req.codec));
        if (st) {
            out.frames.clear();  // never a partial result
            out.dihedral.clear();
            if (run.err) return run.err;
            const Status s = st > 0 && st <= static_cast<int>(kLastStatus) ? static_cast<Status>(st) : Status::internal;
            std::string msg(req.message, strnlen(req.message, sizeof req.message));
            return {s, msg.empty() ? std::string("video: ") + status_name(s) : msg};
        }
        return {};
    } catch (...) {
        out.frames.clear();
        out.dihedral.clear();
        Error e;  // no allocation: the message may be the one thing that cannot be built
        e.code = Status::out_of_memory;
        try {
            e.message = "vpdq: out of memory";
        } catch (...) {
        }
        return e;
    }
}

bool sniff_video(const std::uint8_t* d, std::size_t len) noexcept {
    if (!d || len < 12) return false;
    if (sniff_format(d, len) != Format::unknown) return false;  // images (HEIF/AVIF among them) are not videos
    if (d[0] == 0x1A && d[1] == 0x45 && d[2] == 0xDF && d[3] == 0xA3) return true;  // EBML: Matroska, WebM
    if (std::memcmp(d, "RIFF", 4) == 0 && std::memcmp(d + 8, "AVI ", 4) == 0) return true;
    for (const char* box : {"ftyp", "moov", "mdat", "free", "skip", "wide"})
        if (std::memcmp(d + 4, box, 4) == 0) return true;
    return false;
}

std::string vpdq_line(const VpdqFrame& f) {
    char ts[64];
    std::snprintf(ts, sizeof ts, "%.3f", static_cast<double>(f.timestamp));
    return std::to_string(f.frame) + "," + std::to_string(f.quality) + "," + f.hash.to_hex() + "," + ts;
}

}  // namespace hashguard
