// PNG through libpng directly.
//
// Every libpng message goes to our error string (libpng's default handlers
// print, and the library must never print). Transformations match what the reference's ImageMagick path yields:
// palette expanded, 1/2/4-bit grey expanded to 8-bit (0..255), 16-bit scaled
// with ImageMagick's ScaleQuantumToChar, alpha dropped (not composited), and a
// grey+alpha image returned as grey.
#include <csetjmp>
#include <cstring>
#include <string>
#include <vector>

#include <png.h>

#include "decode/decode_internal.hpp"

namespace hashguard::detail {

namespace {

struct PngState {
    const std::uint8_t* data;
    std::size_t len, pos;
    char message[200];
    bool timed_out;
};

extern "C" void png_on_error(png_structp png, png_const_charp msg) {
    auto* st = static_cast<PngState*>(png_get_error_ptr(png));
    std::snprintf(st->message, sizeof st->message, "%s", msg ? msg : "unknown error");
    png_longjmp(png, 1);
}

extern "C" void png_on_warning(png_structp, png_const_charp) {}

// After every row: stop a decode that has run past its time budget.
extern "C" void png_on_row(png_structp png, png_uint_32, int) {
    if (past_deadline()) {
        static_cast<PngState*>(png_get_error_ptr(png))->timed_out = true;
        png_error(png, "time budget exceeded");
    }
}

// Every read (chunk headers, ancillary data, IDAT) also checks the deadline,
// so time spent before the first row counts too.
extern "C" void png_on_read(png_structp png, png_bytep out, png_size_t n) {
    auto* st = static_cast<PngState*>(png_get_io_ptr(png));
    if (past_deadline()) {
        st->timed_out = true;
        png_error(png, "time budget exceeded");
    }
    if (n > st->len - st->pos) png_error(png, "PNG data is truncated");
    std::memcpy(out, st->data + st->pos, n);
    st->pos += n;
}

// The libpng calls, free of C++ objects with destructors between setjmp and
// a possible longjmp. `rows` and `pixels` are allocated by the caller-supplied
// callbacks outside this function's frame.
struct Decoded {
    png_uint_32 width = 0, height = 0;
    int channels = 0, bit_depth = 0, color_type = 0;
    std::vector<std::uint8_t>* raw = nullptr;  // width*height*channels*(bit_depth/8)
    Error (*check)(std::uint64_t, std::uint64_t, const DecodeOptions&, const char*) = nullptr;
    const DecodeOptions* opt = nullptr;
    int limit_code = 0;
    char limit_msg[200] = {};
    std::vector<png_bytep>* row_ptrs = nullptr;
};

int run_png(png_structp png, png_infop info, Decoded* d) {
    if (setjmp(png_jmpbuf(png))) return 1;
    png_set_read_fn(png, png_get_error_ptr(png), png_on_read);
    // libpng's own chunk limits against ancillary-chunk bombs, and the
    // ancillary chunks that cannot change the pixels we produce (no gamma,
    // background or shift transform is asked for) skipped unread: text and
    // ICC profiles are never inflated.
    png_set_chunk_malloc_max(png, 8u << 20);
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    static const png_byte skipped[] = "tEXt\0zTXt\0iTXt\0iCCP\0sPLT\0tIME\0pHYs\0oFFs\0pCAL\0sCAL\0hIST\0gAMA\0"
                                      "cHRM\0sRGB\0sBIT\0bKGD\0eXIf";
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, skipped, static_cast<int>(sizeof skipped / 5));
    png_read_info(png, info);
    d->width = png_get_image_width(png, info);
    d->height = png_get_image_height(png, info);
    {
        const Error e = d->check(d->width, d->height, *d->opt, "png");
        if (e) {
            d->limit_code = static_cast<int>(e.code);
            std::snprintf(d->limit_msg, sizeof d->limit_msg, "%s", e.message.c_str());
            return 2;
        }
    }
    const int ct = png_get_color_type(png, info);
    d->color_type = ct;
    if (ct == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (ct == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8) png_set_expand_gray_1_2_4_to_8(png);
    png_set_strip_alpha(png);  // also drops tRNS-derived alpha: never added
    if (png_get_bit_depth(png, info) == 16) png_set_swap(png);  // host order (little-endian)
    png_set_interlace_handling(png);
    png_set_read_status_fn(png, png_on_row);
    png_read_update_info(png, info);
    d->channels = png_get_channels(png, info);
    d->bit_depth = png_get_bit_depth(png, info);
    const std::size_t rowbytes = png_get_rowbytes(png, info);
    d->raw->resize(rowbytes * d->height);
    d->row_ptrs->resize(d->height);
    for (png_uint_32 y = 0; y < d->height; ++y) (*d->row_ptrs)[y] = d->raw->data() + y * rowbytes;
    png_read_image(png, d->row_ptrs->data());
    png_read_end(png, nullptr);
    return 0;
}

}  // namespace

Error decode_png(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, Image& out) {
    PngState st{data, len, 0, {}, false};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &st, png_on_error, png_on_warning);
    if (!png) return {Status::out_of_memory, "png: cannot create a decoder"};
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, nullptr, nullptr);
        return {Status::out_of_memory, "png: cannot create a decoder"};
    }
    std::vector<std::uint8_t> raw;
    std::vector<png_bytep> rows;
    Decoded d;
    d.raw = &raw;
    d.row_ptrs = &rows;
    d.check = &check_dimensions;
    d.opt = &opt;
    int code;
    try {
        code = run_png(png, info, &d);
    } catch (...) {
        png_destroy_read_struct(&png, &info, nullptr);
        throw;
    }
    png_destroy_read_struct(&png, &info, nullptr);
    if (code == 2) return {static_cast<Status>(d.limit_code), d.limit_msg};
    if (code != 0 && st.timed_out) return time_limit_error(opt);
    if (code != 0) return {Status::decode_failed, std::string("png: ") + st.message};

    const int ch = d.channels;  // 1 (grey) or 3 (RGB): alpha stripped
    if (ch != 1 && ch != 3) return {Status::decode_failed, "png: unexpected channel count " + std::to_string(ch)};
    allocate(out, static_cast<int>(d.width), static_cast<int>(d.height), ch);
    const std::size_t n = out.pixels.size();
    if (d.bit_depth == 16) {
        for (std::size_t i = 0; i < n; ++i) out.pixels[i] = scale16to8(raw[2 * i] | (raw[2 * i + 1] << 8));
    } else {
        std::memcpy(out.pixels.data(), raw.data(), n);
    }
    return {};
}

}  // namespace hashguard::detail
