// JPEG through libjpeg-turbo's libjpeg API (libjpeg62-turbo).
//
// The reference's pixels are libjpeg-turbo's default decode: the accurate
// integer IDCT (JDCT_ISLOW) with fancy upsampling — what TurboJPEG's
// tjDecompress2 did here before without flags, with the same output colour
// spaces (RGB, grey, CMYK converted by cmyk_channel as ImageMagick does).
// (Checked against the decoded-pixel vectors: the float IDCT differs on ~2-4%
// of samples, the fast one on more.)
//
// Inside the decode a progress monitor, called per iMCU row while scans are
// absorbed and per batch of output rows, stops at the decode deadline
// (limit_time) and at more than 500 scans (limit_scans, TurboJPEG's limit).
// Warnings are errors when `strict` (TurboJPEG's TJFLAG_STOPONWARNING). libjpeg
// reports errors by longjmp: run_jpeg() holds no C++ object with a destructor,
// and everything it allocates belongs to libjpeg's pools (freed by
// jpeg_destroy_decompress) or to the caller's Image.
#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <string>

#include <jerror.h>
#include <jpeglib.h>

#include "decode/decode_internal.hpp"

namespace hashguard::detail {

std::uint64_t jpeg_working_bytes(const JpegFrame& f) {
    int hmax = 1, vmax = 1;
    for (int c = 0; c < f.components; ++c) {
        hmax = std::max(hmax, std::clamp(f.h[c], 1, 4));
        vmax = std::max(vmax, std::clamp(f.v[c], 1, 4));
    }
    std::uint64_t coef = 0;  // libjpeg's whole-image coefficient arrays: 64 JCOEFs (2 bytes) per block
    for (int c = 0; f.multi_scan && c < f.components; ++c) {
        const std::uint64_t hs = std::clamp(f.h[c], 1, 4), vs = std::clamp(f.v[c], 1, 4);
        const std::uint64_t cw = (std::uint64_t{f.width} * hs + hmax - 1) / hmax, ch = (std::uint64_t{f.height} * vs + vmax - 1) / vmax;
        const std::uint64_t bw = ((cw + 7) / 8 + hs - 1) / hs * hs, bh = ((ch + 7) / 8 + vs - 1) / vs * vs;
        coef += bw * bh * 64 * 2;
    }
    const std::uint64_t px = std::uint64_t{f.width} * f.height;
    const std::uint64_t out = px * (f.components == 1 ? 1 : 3);
    const std::uint64_t rows = std::uint64_t{f.width} * f.components * 96  // libjpeg's context, upsampling, colour rows
                               + (f.components == 4 ? std::uint64_t{f.width} * 4 * 16 : 0);  // our CMYK rows
    return out + coef + rows + (std::uint64_t{2} << 20);  // + libjpeg's pools, tables, allocator slack
}

namespace {

// CMYK (Adobe-inverted samples, as ImageMagick reads them) to 8-bit RGB,
// following ImageMagick 6 Q16's arithmetic so pixels match the reference.
inline std::uint8_t cmyk_channel(std::uint8_t s_ink, std::uint8_t s_black) {
    const double qr = 65535.0;
    const double ink = qr - 257.0 * s_ink;  // QuantumRange - ScaleCharToQuantum(s)
    const double black = qr - 257.0 * s_black;
    const double v = qr - ((1.0 / qr) * ink * (qr - black) + black);
    unsigned q;
    if (v <= 0.0) q = 0;
    else if (v >= qr) q = 65535;
    else q = static_cast<unsigned>(v + 0.5);
    return scale16to8(q);
}

enum class Stop : int { none, error, warning, scans, time, limit };

struct JpegErr {
    jpeg_error_mgr pub;
    std::jmp_buf jump;
    bool strict;
    Stop stop;
    char message[JMSG_LENGTH_MAX];
};

struct JpegProgress {
    jpeg_progress_mgr pub;
    JpegErr* err;
};

extern "C" void jpeg_on_error(j_common_ptr c) {
    auto* e = reinterpret_cast<JpegErr*>(c->err);
    (*c->err->format_message)(c, e->message);
    e->stop = c->err->msg_code == JERR_NO_BACKING_STORE ? Stop::limit : Stop::error;
    std::longjmp(e->jump, 1);
}

// Warnings (msg_level < 0): the first is kept; in strict mode it stops the decode.
extern "C" void jpeg_on_message(j_common_ptr c, int level) {
    if (level >= 0) return;  // trace messages
    auto* e = reinterpret_cast<JpegErr*>(c->err);
    if (c->err->num_warnings++ == 0) (*c->err->format_message)(c, e->message);
    if (e->strict) {
        e->stop = Stop::warning;
        std::longjmp(e->jump, 1);
    }
}

extern "C" void jpeg_on_output(j_common_ptr) {}

extern "C" void jpeg_on_progress(j_common_ptr c) {
    JpegErr* e = reinterpret_cast<JpegProgress*>(c->progress)->err;
    if (c->is_decompressor && reinterpret_cast<j_decompress_ptr>(c)->input_scan_number > 500) e->stop = Stop::scans;
    else if (past_deadline()) e->stop = Stop::time;
    else return;
    std::longjmp(e->jump, 1);
}

// What run_jpeg needs from C++ code between the header and the pixels: the
// limits, the output shape and the buffers. Plain data only.
struct JpegJob {
    const std::uint8_t* data;
    std::size_t len;
    const DecodeOptions* opt;
    Image* out;
    std::vector<std::uint8_t>* cmyk_rows;
    int (*prepare)(JpegJob*, j_decompress_ptr);  // 0 = go on; sets status/message
    jpeg_progress_mgr* progress;
    long max_memory;
    int status;
    char message[300];
};

// TurboJPEG's DCT-domain reductions (7/8 .. 1/8): the smallest output whose
// short side stays >= fast_min_side.
void choose_fast_scale(j_decompress_ptr d, int min_side) {
    const unsigned w = d->image_width, h = d->image_height;
    unsigned best_num = 1, best_den = 1;
    std::uint64_t best_area = std::uint64_t{w} * h;
    const unsigned nums[] = {7, 3, 5, 1, 3, 1, 1}, dens[] = {8, 4, 8, 2, 8, 4, 8};
    for (int i = 0; i < 7; ++i) {
        const std::uint64_t sw = (std::uint64_t{w} * nums[i] + dens[i] - 1) / dens[i];
        const std::uint64_t sh = (std::uint64_t{h} * nums[i] + dens[i] - 1) / dens[i];
        if (std::min(sw, sh) >= static_cast<std::uint64_t>(min_side) && sw * sh < best_area) {
            best_area = sw * sh;
            best_num = nums[i];
            best_den = dens[i];
        }
    }
    d->scale_num = best_num;
    d->scale_denom = best_den;
}

// The libjpeg calls. Returns 0 on success, 1 after a longjmp, 2 when
// job->prepare refused (a limit).
int run_jpeg(j_decompress_ptr d, JpegErr* err, JpegJob* job) {
    if (setjmp(err->jump)) return 1;
    jpeg_create_decompress(d);  // clears everything but the error manager
    d->progress = job->progress;
    d->mem->max_memory_to_use = job->max_memory;  // a second bound, inside libjpeg's own allocator
    jpeg_mem_src(d, job->data, static_cast<unsigned long>(job->len));
    jpeg_read_header(d, TRUE);
    const bool cmyk = d->jpeg_color_space == JCS_CMYK || d->jpeg_color_space == JCS_YCCK;
    const bool fast = job->opt->fast && !cmyk;
    d->out_color_space = (fast || d->jpeg_color_space == JCS_GRAYSCALE) ? JCS_GRAYSCALE : cmyk ? JCS_CMYK : JCS_RGB;
    d->dct_method = JDCT_ISLOW;
    d->do_fancy_upsampling = TRUE;
    if (fast) choose_fast_scale(d, job->opt->fast_min_side);
    jpeg_calc_output_dimensions(d);
    if (job->prepare(job, d) != 0) return 2;
    jpeg_start_decompress(d);
    const std::size_t stride = static_cast<std::size_t>(d->output_width) * d->output_components;
    JSAMPROW rows[16];
    while (d->output_scanline < d->output_height) {
        const JDIMENSION first = d->output_scanline;
        const JDIMENSION n = std::min<JDIMENSION>(16, d->output_height - first);
        for (JDIMENSION i = 0; i < n; ++i)
            rows[i] = cmyk ? job->cmyk_rows->data() + stride * i : job->out->pixels.data() + stride * (first + i);
        const JDIMENSION got = jpeg_read_scanlines(d, rows, n);
        if (cmyk) {
            std::uint8_t* o = job->out->pixels.data() + std::size_t{first} * d->output_width * 3;
            const std::uint8_t* s = job->cmyk_rows->data();
            for (std::size_t k = 0; k < std::size_t{got} * d->output_width; ++k, s += 4, o += 3) {
                o[0] = cmyk_channel(s[0], s[3]);
                o[1] = cmyk_channel(s[1], s[3]);
                o[2] = cmyk_channel(s[2], s[3]);
            }
        }
    }
    jpeg_finish_decompress(d);
    return 0;
}

// Between header and pixels: limits from libjpeg's own view of the frame,
// then the output buffers.
int prepare_output(JpegJob* job, j_decompress_ptr d) {
    const DecodeOptions& opt = *job->opt;
    Error e = check_dimensions(d->image_width, d->image_height, opt, "jpeg");
    if (!e) {
        JpegFrame f{d->image_width, d->image_height, std::min(d->num_components, 10), {}, {}, false};
        for (int c = 0; c < f.components; ++c) {
            f.h[c] = d->comp_info[c].h_samp_factor;
            f.v[c] = d->comp_info[c].v_samp_factor;
        }
        f.multi_scan = d->progressive_mode || d->comps_in_scan < d->num_components;
        const std::uint64_t need = jpeg_working_bytes(f);
        if (need > opt.max_memory_bytes)
            e = {Status::limit_memory, "jpeg image of " + std::to_string(f.width) + "x" + std::to_string(f.height) +
                                           " needs about " + std::to_string(need) +
                                           " bytes to decode, above the max_memory_bytes limit of " +
                                           std::to_string(opt.max_memory_bytes)};
    }
    if (e) {
        job->status = static_cast<int>(e.code);
        std::snprintf(job->message, sizeof job->message, "%s", e.message.c_str());
        return 1;
    }
    const bool cmyk = d->out_color_space == JCS_CMYK;
    allocate(*job->out, static_cast<int>(d->output_width), static_cast<int>(d->output_height), cmyk ? 3 : d->output_components);
    if (cmyk) job->cmyk_rows->resize(std::size_t{d->output_width} * 4 * 16);
    return 0;
}

Error jpeg_failure(const JpegErr& err, const DecodeOptions& opt) {
    switch (err.stop) {
        case Stop::time: return time_limit_error(opt);
        case Stop::scans:
            return {Status::limit_scans, "jpeg: progressive JPEG image has more than 500 scans (the max_scans limit)"};
        case Stop::limit:
            return {Status::limit_memory, std::string("jpeg: ") + err.message + " (the max_memory_bytes limit of " +
                                              std::to_string(opt.max_memory_bytes) + " was reached inside libjpeg)"};
        default: return {Status::decode_failed, std::string("jpeg: ") + err.message};
    }
}

}  // namespace

Error decode_jpeg(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, Image& out) {
    if (len > static_cast<std::size_t>(~0ul)) return {Status::limit_bytes, "jpeg: input too large"};
    jpeg_decompress_struct d;
    std::memset(&d, 0, sizeof d);
    JpegErr err{};
    d.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = jpeg_on_error;
    err.pub.emit_message = jpeg_on_message;
    err.pub.output_message = jpeg_on_output;
    err.strict = opt.strict;
    JpegProgress progress{};
    progress.pub.progress_monitor = jpeg_on_progress;
    progress.err = &err;
    std::vector<std::uint8_t> cmyk_rows;
    const long max_memory = static_cast<long>(std::min<std::uint64_t>(opt.max_memory_bytes, 0x7fffffffffffffffull));
    JpegJob job{data, len, &opt, &out, &cmyk_rows, prepare_output, &progress.pub, max_memory, 0, {}};
    int rc;
    try {
        rc = run_jpeg(&d, &err, &job);
    } catch (...) {
        jpeg_destroy_decompress(&d);
        throw;
    }
    jpeg_destroy_decompress(&d);
    if (rc == 2) return {static_cast<Status>(job.status), job.message};
    if (rc != 0) return jpeg_failure(err, opt);
    return {};
}

}  // namespace hashguard::detail
