// GIF through giflib.
//
// Multi-frame behaviour: DecodeOptions::frame selects a frame; frame N is the
// canvas after drawing frames 0..N in order, each frame's transparent pixels
// leaving what was below (frame 0 is drawn over its own colours, so a file's
// first frame is its plain palette image). Disposal to background/previous is
// applied between frames. Image::frame_count reports every frame in the file.
// decode_gif_frames() hands each composited frame to a callback instead, in
// one pass (linear in the number of frames).
#include <cstring>
#include <string>
#include <vector>

#include <gif_lib.h>

#include "decode/decode_internal.hpp"

namespace hashguard::detail {

namespace {

struct MemReader {
    const std::uint8_t* data;
    std::size_t len, pos;
};

extern "C" int gif_read(GifFileType* gif, GifByteType* buf, int n) {
    auto* r = static_cast<MemReader*>(gif->UserData);
    const std::size_t avail = r->len - r->pos;
    const std::size_t k = n < 0 ? 0 : (static_cast<std::size_t>(n) < avail ? static_cast<std::size_t>(n) : avail);
    std::memcpy(buf, r->data + r->pos, k);
    r->pos += k;
    return static_cast<int>(k);
}

struct GifCloser {
    GifFileType* g;
    ~GifCloser() {
        int err;
        if (g) DGifCloseFile(g, &err);
    }
};

Error gif_error(const char* what, int code) {
    const char* msg = GifErrorString(code);
    return {Status::decode_failed, std::string("gif: ") + what + ": " + (msg ? msg : "unknown error")};
}

// One pass over a GIF's records, compositing frames onto the canvas.
class GifDecoder {
public:
    GifDecoder(GifFileType* g, const DecodeOptions& opt) : g_(g), opt_(opt), sw_(g->SWidth), sh_(g->SHeight) {}

    // Runs to the end (or until `want` frames are drawn, then only counts the
    // rest); calls on_frame after each drawn frame.
    Error run(int want, const FrameSink* on_frame, Image& out) {
        if (Error e = check_dimensions(sw_, sh_, opt_, "gif canvas")) return e;
        canvas_.assign(static_cast<std::size_t>(sw_) * sh_ * 3, 0);
        GifRecordType rec;
        do {
            if (past_deadline()) return time_limit_error(opt_);  // per record: frames of a long animation
            if (DGifGetRecordType(g_, &rec) == GIF_ERROR) {
                if (drawn_ > want) break;  // trailing garbage after the frames we need
                return gif_error("reading record", g_->Error);
            }
            Error e;
            if (rec == EXTENSION_RECORD_TYPE) e = extension();
            else if (rec == IMAGE_DESC_RECORD_TYPE) e = frame(want, on_frame, out);
            if (e) return e;
            if (stop_) break;
        } while (rec != TERMINATE_RECORD_TYPE);
        if (frames_ == 0) return {Status::decode_failed, "gif contains no frames"};
        return {};
    }

    int frames() const { return frames_; }
    int drawn() const { return drawn_; }
    std::vector<std::uint8_t>& canvas() { return canvas_; }

private:
    Error extension() {
        int code;
        GifByteType* ext;
        if (DGifGetExtension(g_, &code, &ext) == GIF_ERROR) return tolerate("reading extension");
        for (bool first = true; ext; first = false) {
            if (first && code == GRAPHICS_EXT_FUNC_CODE && ext[0] >= 4) {
                GraphicsControlBlock gcb;
                DGifExtensionToGCB(ext[0], ext + 1, &gcb);
                disposal_ = gcb.DisposalMode;
                transparent_ = gcb.TransparentColor;
            }
            if (DGifGetExtensionNext(g_, &ext) == GIF_ERROR) return tolerate("reading extension");
        }
        return {};
    }

    // After the frames we need, a damaged tail ends the walk without an error.
    Error tolerate(const char* what) {
        if (drawn_ == 0 || !past_target_) return gif_error(what, g_->Error);
        stop_ = true;
        return {};
    }

    Error frame(int want, const FrameSink* on_frame, Image& out) {
        if (DGifGetImageDesc(g_) == GIF_ERROR) return gif_error("reading frame descriptor", g_->Error);
        if (frames_ >= opt_.max_frames)
            return {Status::limit_frames,
                    "gif has more than " + std::to_string(opt_.max_frames) + " frames (the max_frames limit)"};
        const GifImageDesc& d = g_->Image;
        if (Error e = check_dimensions(static_cast<std::uint64_t>(d.Width), static_cast<std::uint64_t>(d.Height), opt_,
                                       "gif frame"))
            return e;
        if (past_target_) return skip_frame();
        dispose_previous();
        if (Error e = draw(d)) return e;
        ++drawn_;
        ++frames_;
        if (on_frame) {
            out.width = sw_;
            out.height = sh_;
            out.channels = 3;
            out.pixels = canvas_;
            if (Error e = (*on_frame)(out)) return e;
        }
        if (drawn_ > want) past_target_ = true;
        return {};
    }

    // Past the requested frame: count it, skip its data.
    Error skip_frame() {
        int code;
        GifByteType* block;
        if (DGifGetCode(g_, &code, &block) == GIF_ERROR) return stop_ = true, Error{};
        while (block)
            if (DGifGetCodeNext(g_, &block) == GIF_ERROR) return stop_ = true, Error{};
        ++frames_;
        disposal_ = DISPOSAL_UNSPECIFIED;
        transparent_ = NO_TRANSPARENT_COLOR;
        return {};
    }

    void dispose_previous() {
        if (drawn_ > 0 && prev_disposal_ == DISPOSE_BACKGROUND) {
            for (int y = py_; y < py_ + ph_; ++y)
                for (int x = px_; x < px_ + pw_; ++x)
                    if (x >= 0 && y >= 0 && x < sw_ && y < sh_)
                        std::memset(&canvas_[(static_cast<std::size_t>(y) * sw_ + x) * 3], 0, 3);
        } else if (drawn_ > 0 && prev_disposal_ == DISPOSE_PREVIOUS && !saved_.empty()) {
            canvas_ = saved_;
        }
        if (disposal_ == DISPOSE_PREVIOUS) saved_ = canvas_;
    }

    void draw_row(const GifImageDesc& d, const ColorMapObject* cmap, int y) {
        for (int c = 0; c < d.Width; ++c) {
            const int x = d.Left + c;
            const int idx = line_[static_cast<std::size_t>(c)];
            if (x < 0 || x >= sw_ || (drawn_ > 0 && idx == transparent_)) continue;
            if (idx >= cmap->ColorCount) continue;  // out-of-palette index: leave canvas
            std::uint8_t* o = &canvas_[(static_cast<std::size_t>(y) * sw_ + x) * 3];
            o[0] = cmap->Colors[idx].Red;
            o[1] = cmap->Colors[idx].Green;
            o[2] = cmap->Colors[idx].Blue;
        }
    }

    Error draw(const GifImageDesc& d) {
        const ColorMapObject* cmap = d.ColorMap ? d.ColorMap : g_->SColorMap;
        if (!cmap) return {Status::decode_failed, "gif frame has no colour table"};
        line_.assign(static_cast<std::size_t>(d.Width), 0);
        static const int kStart[4] = {0, 4, 2, 1}, kStep[4] = {8, 8, 4, 2};  // interlaced: four passes
        const int passes = d.Interlace ? 4 : 1;
        for (int p = 0; p < passes; ++p)
            for (int r = d.Interlace ? kStart[p] : 0; r < d.Height; r += d.Interlace ? kStep[p] : 1) {
                if (DGifGetLine(g_, line_.data(), d.Width) == GIF_ERROR) return gif_error("reading pixels", g_->Error);
                const int y = d.Top + r;
                if (y >= 0 && y < sh_) draw_row(d, cmap, y);
            }
        prev_disposal_ = disposal_;
        px_ = d.Left, py_ = d.Top, pw_ = d.Width, ph_ = d.Height;
        disposal_ = DISPOSAL_UNSPECIFIED;
        transparent_ = NO_TRANSPARENT_COLOR;
        return {};
    }

    GifFileType* g_;
    const DecodeOptions& opt_;
    int sw_, sh_;
    std::vector<std::uint8_t> canvas_, saved_;  // saved_: for DISPOSE_PREVIOUS
    std::vector<GifByteType> line_;
    int frames_ = 0, drawn_ = 0;
    bool past_target_ = false, stop_ = false;
    int disposal_ = DISPOSAL_UNSPECIFIED, transparent_ = NO_TRANSPARENT_COLOR;
    int prev_disposal_ = DISPOSAL_UNSPECIFIED, px_ = 0, py_ = 0, pw_ = 0, ph_ = 0;
};

}  // namespace

Error decode_gif(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, Image& out) {
    MemReader reader{data, len, 0};
    int err = 0;
    GifCloser gif{DGifOpen(&reader, gif_read, &err)};
    if (!gif.g) return gif_error("cannot open", err);
    GifDecoder dec(gif.g, opt);
    if (Error e = dec.run(opt.frame, nullptr, out)) return e;
    if (dec.drawn() <= opt.frame)
        return {Status::limit_frames, "gif has " + std::to_string(dec.frames()) + " frame(s); frame " +
                                          std::to_string(opt.frame) + " requested"};
    out.width = gif.g->SWidth;
    out.height = gif.g->SHeight;
    out.channels = 3;
    out.pixels = std::move(dec.canvas());
    out.frame_count = dec.frames();
    return {};
}

Error decode_gif_frames(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, const FrameSink& sink) {
    MemReader reader{data, len, 0};
    int err = 0;
    GifCloser gif{DGifOpen(&reader, gif_read, &err)};
    if (!gif.g) return gif_error("cannot open", err);
    GifDecoder dec(gif.g, opt);
    Image frame;
    frame.format = Format::gif;
    return dec.run(opt.max_frames, &sink, frame);
}

}  // namespace hashguard::detail
