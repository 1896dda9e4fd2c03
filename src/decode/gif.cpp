// GIF through giflib (Debian 12's OpenCV 4.6 has no GIF decoder).
//
// Multi-frame behaviour: DecodeOptions::frame selects a frame; frame N is the
// canvas after drawing frames 0..N in order, each frame's transparent pixels
// leaving what was below (frame 0 is drawn over its own colours, so a file's
// first frame is its plain palette image). Disposal to background/previous is
// applied between frames. Image::frame_count reports every frame in the file.
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

}  // namespace

Error decode_gif(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, Image& out) {
    MemReader reader{data, len, 0};
    int err = 0;
    GifCloser gif{DGifOpen(&reader, gif_read, &err)};
    if (!gif.g) return gif_error("cannot open", err);
    const int sw = gif.g->SWidth, sh = gif.g->SHeight;
    if (Error e = check_dimensions(sw, sh, opt, "gif canvas")) return e;

    std::vector<std::uint8_t> canvas(static_cast<std::size_t>(sw) * sh * 3, 0);
    std::vector<std::uint8_t> saved;  // for DISPOSE_PREVIOUS
    std::vector<GifByteType> line;
    int frames = 0;
    bool have_target = false;
    int disposal = DISPOSAL_UNSPECIFIED, transparent = NO_TRANSPARENT_COLOR;
    int prev_disposal = DISPOSAL_UNSPECIFIED, px = 0, py = 0, pw = 0, ph = 0;
    GifRecordType rec;
    do {
        if (past_deadline()) return time_limit_error(opt);  // per record: frames of a long animation
        if (DGifGetRecordType(gif.g, &rec) == GIF_ERROR) {
            if (have_target) break;  // trailing garbage after the frame we need
            return gif_error("reading record", gif.g->Error);
        }
        if (rec == EXTENSION_RECORD_TYPE) {
            int code;
            GifByteType* ext;
            if (DGifGetExtension(gif.g, &code, &ext) == GIF_ERROR) {
                if (have_target) break;
                return gif_error("reading extension", gif.g->Error);
            }
            bool first = true;
            while (ext) {
                if (first && code == GRAPHICS_EXT_FUNC_CODE && ext[0] >= 4) {
                    GraphicsControlBlock gcb;
                    DGifExtensionToGCB(ext[0], ext + 1, &gcb);
                    disposal = gcb.DisposalMode;
                    transparent = gcb.TransparentColor;
                }
                first = false;
                if (DGifGetExtensionNext(gif.g, &ext) == GIF_ERROR) {
                    if (have_target) break;
                    return gif_error("reading extension", gif.g->Error);
                }
            }
        } else if (rec == IMAGE_DESC_RECORD_TYPE) {
            if (DGifGetImageDesc(gif.g) == GIF_ERROR) return gif_error("reading frame descriptor", gif.g->Error);
            if (frames >= opt.max_frames)
                return {Status::limit_frames, "gif has more than " + std::to_string(opt.max_frames) +
                                                  " frames (the max_frames limit)"};
            const GifImageDesc& d = gif.g->Image;
            if (Error e = check_dimensions(static_cast<std::uint64_t>(d.Width), static_cast<std::uint64_t>(d.Height),
                                           opt, "gif frame"))
                return e;
            if (have_target) {
                // Past the requested frame: count it, skip its data.
                int code;
                GifByteType* block;
                if (DGifGetCode(gif.g, &code, &block) == GIF_ERROR) break;
                while (block)
                    if (DGifGetCodeNext(gif.g, &block) == GIF_ERROR) break;
                ++frames;
                disposal = DISPOSAL_UNSPECIFIED;
                transparent = NO_TRANSPARENT_COLOR;
                continue;
            }
            // Dispose of the previous frame.
            if (frames > 0) {
                if (prev_disposal == DISPOSE_BACKGROUND) {
                    for (int y = py; y < py + ph; ++y)
                        for (int x = px; x < px + pw; ++x)
                            if (x >= 0 && y >= 0 && x < sw && y < sh)
                                std::memset(&canvas[(static_cast<std::size_t>(y) * sw + x) * 3], 0, 3);
                } else if (prev_disposal == DISPOSE_PREVIOUS && !saved.empty()) {
                    canvas = saved;
                }
            }
            if (disposal == DISPOSE_PREVIOUS) saved = canvas;
            const ColorMapObject* cmap = d.ColorMap ? d.ColorMap : gif.g->SColorMap;
            if (!cmap) return {Status::decode_failed, "gif frame has no colour table"};
            line.assign(static_cast<std::size_t>(d.Width), 0);
            // Interlaced frames store rows in four passes.
            static const int kStart[4] = {0, 4, 2, 1}, kStep[4] = {8, 8, 4, 2};
            const int passes = d.Interlace ? 4 : 1;
            for (int p = 0; p < passes; ++p) {
                for (int r = d.Interlace ? kStart[p] : 0; r < d.Height; r += d.Interlace ? kStep[p] : 1) {
                    if (DGifGetLine(gif.g, line.data(), d.Width) == GIF_ERROR)
                        return gif_error("reading pixels", gif.g->Error);
                    const int y = d.Top + r;
                    if (y < 0 || y >= sh) continue;
                    for (int c = 0; c < d.Width; ++c) {
                        const int x = d.Left + c;
                        if (x < 0 || x >= sw) continue;
                        const int idx = line[c];
                        if (frames > 0 && idx == transparent) continue;
                        if (idx >= cmap->ColorCount) continue;  // out-of-palette index: leave canvas
                        std::uint8_t* o = &canvas[(static_cast<std::size_t>(y) * sw + x) * 3];
                        o[0] = cmap->Colors[idx].Red;
                        o[1] = cmap->Colors[idx].Green;
                        o[2] = cmap->Colors[idx].Blue;
                    }
                }
            }
            if (frames == opt.frame) have_target = true;
            prev_disposal = disposal;
            px = d.Left; py = d.Top; pw = d.Width; ph = d.Height;
            disposal = DISPOSAL_UNSPECIFIED;
            transparent = NO_TRANSPARENT_COLOR;
            ++frames;
        }
    } while (rec != TERMINATE_RECORD_TYPE);

    if (frames == 0) return {Status::decode_failed, "gif contains no frames"};
    if (!have_target)
        return {Status::limit_frames, "gif has " + std::to_string(frames) + " frame(s); frame " +
                                          std::to_string(opt.frame) + " requested"};
    out.width = sw;
    out.height = sh;
    out.channels = 3;
    out.pixels = std::move(canvas);
    out.frame_count = frames;
    return {};
}

}  // namespace hashguard::detail
