// JPEG straight to the hash's luma buffer (exact mode), through the libjpeg
// API of the same libjpeg-turbo that TurboJPEG wraps.
//
// Scanlines are decoded one at a time into a single-row buffer; the rows the
// reference's 512x512 nearest-neighbour pre-resize samples are turned into
// float luma while still in cache. No full-size RGB image is ever written
// (36 MB for 12 MP), which is most of what separates hashing from decoding.
// Pixels are those of TurboJPEG's default decode (accurate integer IDCT,
// fancy upsampling: the libjpeg defaults), so hashes are unchanged; the
// conformance suite checks it. Strict mode, the scan limit and the pixel
// limits behave as in jpeg.cpp. CMYK/YCCK and tiny images use the normal path.
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <jpeglib.h>

#include "decode/decode_internal.hpp"
#include "kernels/kernels.hpp"
#include "pdq/pdq_core.hpp"

namespace hashguard::detail {

namespace {

constexpr int kMaxScans = 500;  // TurboJPEG's TJFLAG_LIMITSCANS value

struct ErrorMgr {
    jpeg_error_mgr pub;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    bool strict;
    int code;  // 1 decode error, 2 scan limit
};

extern "C" void luma_on_error(j_common_ptr cinfo) {
    auto* err = reinterpret_cast<ErrorMgr*>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, err->message);
    err->code = 1;
    std::longjmp(err->jump, 1);
}

// Warnings (level -1) are errors in strict mode, as TJFLAG_STOPONWARNING.
// Nothing is ever printed.
extern "C" void luma_on_message(j_common_ptr cinfo, int level) {
    auto* err = reinterpret_cast<ErrorMgr*>(cinfo->err);
    if (level < 0 && err->strict) luma_on_error(cinfo);
}

struct ProgressMgr {
    jpeg_progress_mgr pub;
    ErrorMgr* err;
};

extern "C" void luma_on_progress(j_common_ptr cinfo) {
    auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
    auto* p = reinterpret_cast<ProgressMgr*>(cinfo->progress);
    if (d->input_scan_number > kMaxScans) {
        std::snprintf(p->err->message, sizeof p->err->message,
                      "jpeg: progressive JPEG has more than %d scans (the scan limit)", kMaxScans);
        p->err->code = 2;
        std::longjmp(p->err->jump, 1);
    }
}

struct State {
    const DecodeOptions* opt;
    bool pre_resize;
    LumaPipeline* lp;
    std::vector<std::uint8_t>* row;   // one decoded scanline
    std::vector<std::uint8_t>* grey;  // sampled first-channel values, for all-grey images
    std::vector<std::int32_t>* xs;    // column offsets
    // results
    bool handled = false;
    int rows = 0, cols = 0;
    Error limit;
};

// The libjpeg part. No object with a destructor lives in this frame across a
// libjpeg call (a longjmp would skip it): the buffers belong to the caller.
int run(jpeg_decompress_struct* cinfo, ErrorMgr* err, const std::uint8_t* data, std::size_t len, State* st) {
    if (setjmp(err->jump)) return 1;
    jpeg_create_decompress(cinfo);
    ProgressMgr progress;
    progress.pub.progress_monitor = luma_on_progress;
    progress.err = err;
    cinfo->progress = &progress.pub;
    jpeg_mem_src(cinfo, data, static_cast<unsigned long>(len));
    jpeg_read_header(cinfo, TRUE);
    if (cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK) return 0;  // not handled
    const int W = static_cast<int>(cinfo->image_width), H = static_cast<int>(cinfo->image_height);
    if (W < kMinHashableDim || H < kMinHashableDim) return 0;  // degenerate: the normal path flags it
    st->limit = check_dimensions(static_cast<std::uint64_t>(W), static_cast<std::uint64_t>(H), *st->opt);
    if (st->limit) return 0;
    const int channels = cinfo->jpeg_color_space == JCS_GRAYSCALE ? 1 : 3;
    cinfo->out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(cinfo);

    int rows, cols;
    luma_dims(W, H, st->pre_resize, rows, cols);
    float* luma = st->lp->luma_buffer(rows, cols);
    st->row->resize(static_cast<std::size_t>(W) * channels);
    std::uint8_t* line = st->row->data();
    // Sampled first-channel bytes, kept while every pixel so far is grey.
    bool all_grey = channels == 3 && st->opt->collapse_grey;
    if (all_grey) st->grey->resize(static_cast<std::size_t>(rows) * cols);
    st->xs->resize(static_cast<std::size_t>(cols));
    const std::int32_t* xs = st->xs->data();
    resample_offsets(W, cols, channels, st->xs->data());
    const std::size_t row_bytes = static_cast<std::size_t>(W) * channels;
    const kernels::Kernels& k = kernels::active();
    int y = 0;  // next output row
    for (int s = 0; s < H; ++s) {
        JSAMPROW rp[1] = {line};
        jpeg_read_scanlines(cinfo, rp, 1);
        if (all_grey) {
            for (int x = 0; x < W && all_grey; ++x)
                all_grey = line[3 * x] == line[3 * x + 1] && line[3 * x + 1] == line[3 * x + 2];
        }
        for (; y < rows && resample_index(y, H, rows) == s; ++y) {
            k.luma_row(line, row_bytes, xs, channels, luma + static_cast<std::size_t>(y) * cols, cols);
            if (all_grey) {
                std::uint8_t* g = st->grey->data() + static_cast<std::size_t>(y) * cols;
                for (int x = 0; x < cols; ++x) g[x] = line[xs[x]];
            }
        }
    }
    jpeg_finish_decompress(cinfo);
    // Every pixel grey: the reference hashes y = v, not the RGB formula.
    if (all_grey) {
        const std::size_t n = static_cast<std::size_t>(rows) * cols;
        for (std::size_t i = 0; i < n; ++i) luma[i] = static_cast<float>((*st->grey)[i]);
    }
    st->rows = rows;
    st->cols = cols;
    st->handled = true;
    return 0;
}

}  // namespace

Error decode_jpeg_luma(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, bool pre_resize,
                       LumaPipeline& lp, int& rows, int& cols, bool& handled) {
    thread_local std::vector<std::uint8_t> row, grey;
    thread_local std::vector<std::int32_t> xs;
    jpeg_decompress_struct cinfo;
    std::memset(&cinfo, 0, sizeof cinfo);
    ErrorMgr err;
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = luma_on_error;
    err.pub.emit_message = luma_on_message;
    err.message[0] = 0;
    err.strict = opt.strict;
    err.code = 0;
    State st;
    st.opt = &opt;
    st.pre_resize = pre_resize;
    st.lp = &lp;
    st.row = &row;
    st.grey = &grey;
    st.xs = &xs;
    int code;
    try {
        code = run(&cinfo, &err, data, len, &st);
    } catch (...) {  // bad_alloc from a buffer
        jpeg_destroy_decompress(&cinfo);
        throw;
    }
    jpeg_destroy_decompress(&cinfo);
    handled = false;
    if (code != 0) {
        if (err.code == 2) return {Status::limit_scans, err.message};
        return {Status::decode_failed, std::string("jpeg: ") + err.message};
    }
    if (st.limit) return st.limit;
    handled = st.handled;
    rows = st.rows;
    cols = st.cols;
    return {};
}

}  // namespace hashguard::detail
