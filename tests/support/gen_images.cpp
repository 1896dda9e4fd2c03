#include "support/gen_images.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>

#include <gif_lib.h>
#include <jpeglib.h>
#include <tiffio.h>
#include <webp/encode.h>

#include "support/test_support.hpp"

namespace hgtest {

Bytes pattern(int w, int h, int channels, int bytes_per_sample, std::uint64_t seed) {
    Rng rng(seed);
    Bytes out(static_cast<std::size_t>(w) * h * channels * bytes_per_sample);
    std::size_t i = 0;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < channels; ++c) {
                const unsigned base = (x * 509u / (w + 1) + y * 251u / (h + 1) * (c + 1) + c * 77u) & 0xFFu;
                const unsigned v8 = (base + rng.below(24)) & 0xFFu;
                if (bytes_per_sample == 1) {
                    out[i++] = static_cast<std::uint8_t>(v8);
                } else {
                    const std::uint16_t v = static_cast<std::uint16_t>(v8 * 257u ^ rng.below(256));
                    std::memcpy(&out[i], &v, 2);
                    i += 2;
                }
            }
    return out;
}

// ---------------------------------------------------------------- TIFF
namespace {

struct MemFile {
    Bytes data;
    std::size_t pos = 0;
};

tmsize_t mem_read(thandle_t h, void* buf, tmsize_t n) {
    auto* f = static_cast<MemFile*>(h);
    const std::size_t k = std::min<std::size_t>(static_cast<std::size_t>(n), f->data.size() - std::min(f->pos, f->data.size()));
    if (k) std::memcpy(buf, f->data.data() + f->pos, k);
    f->pos += k;
    return static_cast<tmsize_t>(k);
}
tmsize_t mem_write(thandle_t h, void* buf, tmsize_t n) {
    auto* f = static_cast<MemFile*>(h);
    if (f->pos + static_cast<std::size_t>(n) > f->data.size()) f->data.resize(f->pos + static_cast<std::size_t>(n));
    std::memcpy(f->data.data() + f->pos, buf, static_cast<std::size_t>(n));
    f->pos += static_cast<std::size_t>(n);
    return n;
}
toff_t mem_seek(thandle_t h, toff_t off, int whence) {
    auto* f = static_cast<MemFile*>(h);
    if (whence == SEEK_SET) f->pos = off;
    else if (whence == SEEK_CUR) f->pos += off;
    else f->pos = f->data.size() + off;
    return f->pos;
}
int mem_close(thandle_t) { return 0; }
toff_t mem_size(thandle_t h) { return static_cast<MemFile*>(h)->data.size(); }
int mem_map(thandle_t, void**, toff_t*) { return 0; }
void mem_unmap(thandle_t, void*, toff_t) {}

// Samples of one plane (or all, contiguous) of rows [y0, y0+rows), packed at bps.
Bytes pack_rows(const Bytes& px, const TiffSpec& s, int y0, int rows, int x0, int cols, int row_w, int sample) {
    const int per_px = s.planar_separate ? 1 : s.spp;
    const std::size_t row_bytes = (static_cast<std::size_t>(row_w) * per_px * s.bps + 7) / 8;
    Bytes out(row_bytes * rows, 0);
    const int bytes = s.bps == 16 ? 2 : 1;
    for (int r = 0; r < rows && y0 + r < s.height; ++r) {
        std::size_t bit = 0;
        std::uint8_t* row = &out[row_bytes * r];
        for (int x = 0; x < cols && x0 + x < s.width; ++x)
            for (int c = 0; c < per_px; ++c) {
                const int ch = s.planar_separate ? sample : c;
                const std::size_t src = ((static_cast<std::size_t>(y0 + r) * s.width + x0 + x) * s.spp + ch) * bytes;
                if (s.bps == 16) {
                    std::memcpy(row + bit / 8, &px[src], 2);
                } else if (s.bps == 8) {
                    row[bit / 8] = px[src];
                } else {
                    const unsigned v = px[src] >> (8 - s.bps);
                    row[bit / 8] |= static_cast<std::uint8_t>(v << (8 - s.bps - bit % 8));
                }
                bit += s.bps;
            }
    }
    return out;
}

void tiff_set_fields(TIFF* t, const TiffSpec& s) {
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, s.width);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, s.height);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, s.bps);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, s.spp);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, s.photometric);
    TIFFSetField(t, TIFFTAG_COMPRESSION, s.compression);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, s.planar_separate ? PLANARCONFIG_SEPARATE : PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_ORIENTATION, s.orientation);
    if (s.predictor != 1) TIFFSetField(t, TIFFTAG_PREDICTOR, s.predictor);
    if (s.compression == COMPRESSION_JPEG) {
        TIFFSetField(t, TIFFTAG_JPEGQUALITY, 90);
        if (s.photometric == PHOTOMETRIC_YCBCR) TIFFSetField(t, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
    }
    if (s.extra) {
        const std::uint16_t kind = s.extra == 1 ? EXTRASAMPLE_ASSOCALPHA : EXTRASAMPLE_UNASSALPHA;
        TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, &kind);
    }
    if (s.photometric == PHOTOMETRIC_PALETTE) {
        const int n = 1 << s.bps;
        std::vector<std::uint16_t> r(n), g(n), b(n);
        Rng rng(s.seed ^ 0x5eed);
        for (int i = 0; i < n; ++i) {
            r[i] = static_cast<std::uint16_t>(rng.below(65536));
            g[i] = static_cast<std::uint16_t>(rng.below(65536));
            b[i] = static_cast<std::uint16_t>(rng.below(65536));
        }
        TIFFSetField(t, TIFFTAG_COLORMAP, r.data(), g.data(), b.data());
    }
    if (s.tiled) {
        TIFFSetField(t, TIFFTAG_TILEWIDTH, s.tile_w);
        TIFFSetField(t, TIFFTAG_TILELENGTH, s.tile_h);
    } else {
        TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, s.rows_per_strip ? s.rows_per_strip : TIFFDefaultStripSize(t, 0));
    }
}

void tiff_write_pixels(TIFF* t, const TiffSpec& s, const Bytes& px) {
    const int planes = s.planar_separate ? s.spp : 1;
    for (int p = 0; p < planes; ++p) {
        if (s.tiled) {
            for (int y = 0; y < s.height; y += s.tile_h)
                for (int x = 0; x < s.width; x += s.tile_w) {
                    Bytes tile = pack_rows(px, s, y, s.tile_h, x, s.tile_w, s.tile_w, p);
                    if (TIFFWriteTile(t, tile.data(), x, y, 0, static_cast<std::uint16_t>(p)) < 0)
                        throw std::runtime_error("TIFFWriteTile failed");
                }
        } else {
            for (int y = 0; y < s.height; ++y) {
                Bytes row = pack_rows(px, s, y, 1, 0, s.width, s.width, p);
                if (TIFFWriteScanline(t, row.data(), y, static_cast<std::uint16_t>(p)) < 0)
                    throw std::runtime_error("TIFFWriteScanline failed");
            }
        }
    }
}

}  // namespace

Bytes make_tiff(const TiffSpec& s) {
    MemFile f;
    TIFF* t = TIFFClientOpen("gen.tif", "w", &f, mem_read, mem_write, mem_seek, mem_close, mem_size, mem_map, mem_unmap);
    if (!t) throw std::runtime_error("TIFFClientOpen (write) failed");
    const Bytes px = pattern(s.width, s.height, s.spp, s.bps == 16 ? 2 : 1, s.seed);
    tiff_set_fields(t, s);
    tiff_write_pixels(t, s, px);
    TIFFClose(t);
    return f.data;
}

// ---------------------------------------------------------------- WebP
Bytes make_webp(int w, int h, bool alpha, bool lossless, int quality, std::uint64_t seed) {
    const int ch = alpha ? 4 : 3;
    Bytes px = pattern(w, h, ch, 1, seed);
    std::uint8_t* out = nullptr;
    std::size_t n;
    if (lossless) n = alpha ? WebPEncodeLosslessRGBA(px.data(), w, h, w * 4, &out) : WebPEncodeLosslessRGB(px.data(), w, h, w * 3, &out);
    else n = alpha ? WebPEncodeRGBA(px.data(), w, h, w * 4, static_cast<float>(quality), &out)
                   : WebPEncodeRGB(px.data(), w, h, w * 3, static_cast<float>(quality), &out);
    if (!n) throw std::runtime_error("WebP encode failed");
    Bytes b(out, out + n);
    WebPFree(out);
    return b;
}

// ---------------------------------------------------------------- BMP
namespace {

void le16(Bytes& b, std::uint32_t v) { b.push_back(v & 0xFF); b.push_back((v >> 8) & 0xFF); }
void le32(Bytes& b, std::uint32_t v) { le16(b, v & 0xFFFF); le16(b, v >> 16); }

// RLE8/RLE4 rows of palette indices, with runs, literal runs, an early
// end-of-line every few rows and a delta once.
Bytes rle_encode(const std::vector<std::vector<int>>& rows, bool four, Rng& rng) {
    Bytes out;
    const int maxrun = four ? 254 : 255;
    for (std::size_t y = 0; y < rows.size(); ++y) {
        const auto& r = rows[y];
        const int w = static_cast<int>(r.size());
        const int stop = (y % 7 == 3) ? w / 2 : w;  // some rows end early
        int x = 0;
        while (x < stop) {
            int run = 1;
            while (x + run < stop && run < maxrun && r[x + run] == r[x]) ++run;
            if (run >= 3 || stop - x < 3) {
                out.push_back(static_cast<std::uint8_t>(run));
                out.push_back(static_cast<std::uint8_t>(four ? (r[x] << 4 | r[x]) : r[x]));
                x += run;
                continue;
            }
            int lit = 0;
            while (x + lit < stop && lit < maxrun && !(x + lit + 2 < stop && r[x + lit] == r[x + lit + 1] && r[x + lit] == r[x + lit + 2])) ++lit;
            if (lit < 3) lit = std::min(3, stop - x);
            out.push_back(0);
            out.push_back(static_cast<std::uint8_t>(lit));
            const std::size_t start = out.size();
            for (int i = 0; i < lit; ++i) {
                if (!four) out.push_back(static_cast<std::uint8_t>(r[x + i]));
                else if (i % 2 == 0) out.push_back(static_cast<std::uint8_t>(r[x + i] << 4));
                else out.back() |= static_cast<std::uint8_t>(r[x + i]);
            }
            if ((out.size() - start) % 2) out.push_back(0);
            x += lit;
        }
        if (y == rows.size() / 2 && rng.below(2) == 0) {  // a delta: skip 2 right, 1 down
            out.push_back(0); out.push_back(2); out.push_back(2); out.push_back(1);
            ++y;
        }
        out.push_back(0);
        out.push_back(0);
    }
    out.push_back(0);
    out.push_back(1);
    return out;
}

Bytes bmp_pixels(const BmpSpec& s, Rng& rng) {
    const int w = s.width, h = s.height;
    const int ncolors = s.bpp <= 8 ? (s.colors_used ? s.colors_used : 1 << s.bpp) : 0;
    std::vector<std::vector<int>> idx(h, std::vector<int>(w));
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            idx[y][x] = ncolors ? static_cast<int>(((x / 4) + y + (rng.below(5) == 0 ? rng.below(7) : 0)) % ncolors) : 0;
    std::vector<std::vector<int>> order(idx);  // file order: bottom-up unless top-down
    if (!s.top_down) for (int y = 0; y < h; ++y) order[y] = idx[h - 1 - y];
    if (s.compression == 1 || s.compression == 2) return rle_encode(order, s.compression == 2, rng);
    const std::size_t stride = ((static_cast<std::size_t>(w) * s.bpp + 31) / 32) * 4;
    Bytes out(stride * h, 0);
    const Bytes rgb = pattern(w, h, 4, 1, s.seed);
    for (int y = 0; y < h; ++y) {
        std::uint8_t* row = &out[stride * y];
        const int sy = s.top_down ? y : h - 1 - y;
        for (int x = 0; x < w; ++x) {
            const std::uint8_t* p = &rgb[(static_cast<std::size_t>(sy) * w + x) * 4];
            switch (s.bpp) {
                case 1: row[x / 8] |= static_cast<std::uint8_t>((order[y][x] & 1) << (7 - x % 8)); break;
                case 4: row[x / 2] |= static_cast<std::uint8_t>((order[y][x] & 15) << (x % 2 ? 0 : 4)); break;
                case 8: row[x] = static_cast<std::uint8_t>(order[y][x]); break;
                case 16: { const std::uint16_t v = static_cast<std::uint16_t>(p[0] | p[1] << 8); std::memcpy(row + 2 * x, &v, 2); break; }
                case 24: std::memcpy(row + 3 * x, p, 3); break;
                case 32: std::memcpy(row + 4 * x, p, 4); break;
            }
        }
    }
    return out;
}

}  // namespace

Bytes make_bmp(const BmpSpec& s) {
    Rng rng(s.seed);
    const Bytes pixels = bmp_pixels(s, rng);
    const int npal = s.bpp <= 8 ? (s.colors_used ? s.colors_used : 1 << s.bpp) : 0;
    const int entry = s.header == 12 ? 3 : 4;
    const bool trailing_masks = s.compression == 3 && s.header == 40;
    const std::uint32_t offset = 14 + s.header + (trailing_masks ? 12 : 0) + npal * entry;
    Bytes b = {'B', 'M'};
    le32(b, offset + static_cast<std::uint32_t>(pixels.size()));
    le32(b, 0);
    le32(b, offset);
    le32(b, s.header);
    if (s.header == 12) {
        le16(b, s.width); le16(b, s.height); le16(b, 1); le16(b, s.bpp);
    } else {
        le32(b, s.width);
        le32(b, s.top_down ? static_cast<std::uint32_t>(-s.height) : s.height);
        le16(b, 1); le16(b, s.bpp);
        le32(b, s.compression);
        le32(b, static_cast<std::uint32_t>(pixels.size()));
        le32(b, 2835); le32(b, 2835);
        le32(b, s.colors_used); le32(b, 0);
        if (s.header >= 52) { le32(b, s.masks[0]); le32(b, s.masks[1]); le32(b, s.masks[2]); }
        if (s.header >= 56) le32(b, 0);
        while (b.size() < 14u + s.header) b.push_back(0);
        if (trailing_masks) { le32(b, s.masks[0]); le32(b, s.masks[1]); le32(b, s.masks[2]); }
    }
    for (int i = 0; i < npal; ++i) {
        const std::uint8_t g = static_cast<std::uint8_t>(rng.below(256));
        b.push_back(g);
        b.push_back(s.grey_palette ? g : static_cast<std::uint8_t>(rng.below(256)));
        b.push_back(s.grey_palette ? g : static_cast<std::uint8_t>(rng.below(256)));
        if (entry == 4) b.push_back(0);
    }
    b.insert(b.end(), pixels.begin(), pixels.end());
    return b;
}

// ---------------------------------------------------------------- JPEG
namespace {

struct QuietJpegError {
    jpeg_error_mgr pub;
};
[[noreturn]] void jpeg_throw(j_common_ptr cinfo) {
    char msg[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, msg);
    throw std::runtime_error(std::string("libjpeg (test writer): ") + msg);
}
void jpeg_silent(j_common_ptr) {}

std::vector<jpeg_scan_info> scan_script(int comps, int scans) {
    std::vector<jpeg_scan_info> s;
    jpeg_scan_info dc{};
    dc.comps_in_scan = comps;
    for (int c = 0; c < comps; ++c) dc.component_index[c] = c;
    dc.Ss = dc.Se = 0;
    dc.Ah = 0;
    dc.Al = 1;
    s.push_back(dc);
    dc.Ah = 1;
    dc.Al = 0;
    s.push_back(dc);
    const int levels = std::max(1, std::min(10, (scans - 2) / (comps * 63)));
    for (int c = 0; c < comps; ++c)
        for (int k = 1; k < 64; ++k)
            for (int a = levels - 1; a >= 0; --a) {
                jpeg_scan_info ac{};
                ac.comps_in_scan = 1;
                ac.component_index[0] = c;
                ac.Ss = ac.Se = k;
                ac.Ah = a == levels - 1 ? 0 : a + 1;
                ac.Al = a;
                s.push_back(ac);
            }
    return s;
}

}  // namespace

Bytes make_progressive_jpeg(int w, int h, int components, int scans, std::uint64_t seed) {
    jpeg_compress_struct cinfo;
    QuietJpegError err;
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = [](j_common_ptr c) { jpeg_throw(c); };
    err.pub.output_message = jpeg_silent;
    jpeg_create_compress(&cinfo);
    unsigned char* mem = nullptr;
    unsigned long size = 0;
    jpeg_mem_dest(&cinfo, &mem, &size);
    cinfo.image_width = static_cast<JDIMENSION>(w);
    cinfo.image_height = static_cast<JDIMENSION>(h);
    cinfo.input_components = components;
    cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, 92, TRUE);
    std::vector<jpeg_scan_info> script;
    if (scans == 0) {
        jpeg_simple_progression(&cinfo);
    } else {
        script = scan_script(components, scans);
        cinfo.scan_info = script.data();
        cinfo.num_scans = static_cast<int>(script.size());
    }
    const Bytes px = seed ? pattern(w, h, components, 1, seed) : Bytes(static_cast<std::size_t>(w) * h * components, 128);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = const_cast<JSAMPROW>(&px[static_cast<std::size_t>(cinfo.next_scanline) * w * components]);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    Bytes b(mem, mem + size);
    std::free(mem);
    return b;
}

Bytes repeat_last_scan(const Bytes& jpeg, int copies) {
    std::size_t last_sos = 0;
    for (std::size_t i = 2; i + 1 < jpeg.size(); ++i)
        if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA) last_sos = i;
    const std::size_t eoi = jpeg.size() - 2;
    if (last_sos == 0 || jpeg[eoi] != 0xFF || jpeg[eoi + 1] != 0xD9) throw std::runtime_error("not a JPEG ending in EOI");
    Bytes out(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(eoi));
    for (int k = 0; k < copies; ++k)
        out.insert(out.end(), jpeg.begin() + static_cast<std::ptrdiff_t>(last_sos), jpeg.begin() + static_cast<std::ptrdiff_t>(eoi));
    out.push_back(0xFF);
    out.push_back(0xD9);
    return out;
}

// ---------------------------------------------------------------- memory
long peak_rss_delta_kib(int (*fn)(void*), void* arg, int& result) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        close(fds[0]);
        long start = 0;
        if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
            long size = 0, resident = 0;
            if (std::fscanf(f, "%ld %ld", &size, &resident) == 2) start = resident * (sysconf(_SC_PAGESIZE) / 1024);
            std::fclose(f);
        }
        long msg[2];
        msg[1] = fn(arg);
        rusage ru{};
        getrusage(RUSAGE_SELF, &ru);
        // The high-water mark is sampled lazily by the kernel: a few pages below the
        // resident size read at the start means nothing was added.
        msg[0] = ru.ru_maxrss > start ? ru.ru_maxrss - start : 0;
        const ssize_t wr = write(fds[1], msg, sizeof msg);
        _exit(wr == static_cast<ssize_t>(sizeof msg) ? 0 : 1);
    }
    close(fds[1]);
    long msg[2] = {-1, -1};
    const ssize_t n = read(fds[0], msg, sizeof msg);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (n != static_cast<ssize_t>(sizeof msg) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
    result = static_cast<int>(msg[1]);
    return msg[0];
}

// ---------------------------------------------------------------- GIF
namespace {
extern "C" int gif_write(GifFileType* gif, const GifByteType* buf, int n) {
    auto* out = static_cast<Bytes*>(gif->UserData);
    out->insert(out->end(), buf, buf + n);
    return n;
}
}  // namespace

Bytes make_gif_animation(int w, int h, int frames, std::uint64_t seed) {
    Bytes out;
    int err = 0;
    GifFileType* gif = EGifOpen(&out, gif_write, &err);
    if (!gif) throw std::runtime_error("EGifOpen failed");
    EGifSetGifVersion(gif, true);
    Rng rng(seed);
    GifColorType colors[256];
    for (auto& c : colors)
        c = GifColorType{static_cast<GifByteType>(rng.below(256)), static_cast<GifByteType>(rng.below(256)),
                         static_cast<GifByteType>(rng.below(256))};
    ColorMapObject* cmap = GifMakeMapObject(256, colors);
    bool ok = cmap && EGifPutScreenDesc(gif, w, h, 8, 0, cmap) == GIF_OK;
    std::vector<GifPixelType> line(static_cast<std::size_t>(w));
    for (int f = 0; ok && f < frames; ++f) {
        const int fw = 1 + static_cast<int>(rng.below(static_cast<std::uint32_t>(w))),
                  fh = 1 + static_cast<int>(rng.below(static_cast<std::uint32_t>(h)));
        const int left = static_cast<int>(rng.below(static_cast<std::uint32_t>(w - fw + 1))),
                  top = static_cast<int>(rng.below(static_cast<std::uint32_t>(h - fh + 1)));
        const GifByteType disposal = static_cast<GifByteType>(1 + f % 3);  // none, background, previous
        const GifByteType gce[4] = {static_cast<GifByteType>((disposal << 2) | 1), 0, 0, 7};  // colour 7 transparent
        ok = EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, 4, gce) == GIF_OK &&
             EGifPutImageDesc(gif, left, top, fw, fh, false, nullptr) == GIF_OK;
        for (int y = 0; ok && y < fh; ++y) {
            for (int x = 0; x < fw; ++x) line[static_cast<std::size_t>(x)] = static_cast<GifPixelType>(rng.below(256));
            ok = EGifPutLine(gif, line.data(), fw) == GIF_OK;
        }
    }
    GifFreeMapObject(cmap);
    if (EGifCloseFile(gif, &err) != GIF_OK || !ok) throw std::runtime_error("giflib could not write the animation");
    return out;
}

}  // namespace hgtest
