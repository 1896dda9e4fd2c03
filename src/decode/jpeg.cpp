// JPEG through TurboJPEG (libjpeg-turbo 2.1).
//
// The reference's pixels are reproduced exactly by libjpeg-turbo's default
// decode: the accurate integer IDCT (ISLOW) with fancy upsampling, which is
// what tjDecompress2 does without flags. (Checked against the decoded-pixel
// vectors: the float IDCT differs on ~2-4% of samples, the fast one on more.)
#include <algorithm>
#include <cstring>
#include <string>

#include <turbojpeg.h>

#include "decode/decode_internal.hpp"

namespace hashguard::detail {

namespace {

// One decompressor per thread, reused across calls. After any error it is
// replaced: libjpeg-turbo 2.1 can leave a handle in a state where every later
// decode fails ("Bogus Huffman table definition" on valid files), which would
// let one hostile attachment disable scanning for that thread.
struct TjHandle {
    tjhandle h = tjInitDecompress();
    ~TjHandle() {
        if (h) tjDestroy(h);
    }
    void reset() {
        if (h) tjDestroy(h);
        h = tjInitDecompress();
    }
};

TjHandle& thread_decompressor() {
    thread_local TjHandle handle;
    return handle;
}

// Resets the thread's handle when the decode it guards did not succeed.
struct ResetOnFailure {
    TjHandle& handle;
    bool ok = false;
    ~ResetOnFailure() {
        if (!ok) handle.reset();
    }
};

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

}  // namespace

Error decode_jpeg(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, Image& out) {
    TjHandle& handle = thread_decompressor();
    if (!handle.h) handle.reset();
    tjhandle tj = handle.h;
    if (!tj) return {Status::out_of_memory, "jpeg: cannot create a TurboJPEG decompressor"};
    ResetOnFailure guard{handle};
    if (len > static_cast<std::size_t>(~0ul)) return {Status::limit_bytes, "jpeg: input too large"};
    int w = 0, h = 0, subsamp = 0, colorspace = 0;
    if (tjDecompressHeader3(tj, data, static_cast<unsigned long>(len), &w, &h, &subsamp, &colorspace) != 0)
        return {Status::decode_failed, std::string("jpeg: ") + tjGetErrorStr2(tj)};
    if (Error e = check_dimensions(static_cast<std::uint64_t>(w), static_cast<std::uint64_t>(h), opt)) return e;

    // Fast mode: DCT-domain scaling to the smallest size whose short side is
    // still >= fast_min_side, and luma only (not for CMYK: no grey output).
    const bool fast = opt.fast && colorspace != TJCS_CMYK && colorspace != TJCS_YCCK;
    if (fast) {
        int nfactors = 0;
        const tjscalingfactor* sf = tjGetScalingFactors(&nfactors);
        int best_w = w, best_h = h;
        for (int i = 0; sf && i < nfactors; ++i) {
            if (sf[i].num >= sf[i].denom) continue;  // only reductions
            const int sw = TJSCALED(w, sf[i]), sh = TJSCALED(h, sf[i]);
            if (std::min(sw, sh) >= opt.fast_min_side && sw * static_cast<long>(sh) < best_w * static_cast<long>(best_h)) {
                best_w = sw;
                best_h = sh;
            }
        }
        w = best_w;
        h = best_h;
    }

    int pf, channels;
    switch (fast ? TJCS_GRAY : colorspace) {
        case TJCS_GRAY: pf = TJPF_GRAY; channels = 1; break;
        case TJCS_CMYK:
        case TJCS_YCCK: pf = TJPF_CMYK; channels = 4; break;
        default: pf = TJPF_RGB; channels = 3; break;
    }
    // Progressive files with absurd scan counts are a CPU bomb; TurboJPEG can
    // stop at its own limit (500 scans).
    int flags = TJFLAG_LIMITSCANS;
    if (opt.strict) flags |= TJFLAG_STOPONWARNING;

    std::vector<std::uint8_t> cmyk;
    std::uint8_t* dst;
    if (channels == 4) {
        cmyk.resize(static_cast<std::size_t>(w) * h * 4);
        dst = cmyk.data();
    } else {
        allocate(out, w, h, channels);
        dst = out.pixels.data();
    }
    if (tjDecompress2(tj, data, static_cast<unsigned long>(len), dst, w, 0, h, pf, flags) != 0) {
        const std::string msg = tjGetErrorStr2(tj);
        // libjpeg-turbo 2.1: "Progressive JPEG image has more than 500 scans".
        if (msg.find("scans") != std::string::npos &&
            (msg.find("more than") != std::string::npos || msg.find("limit") != std::string::npos))
            return {Status::limit_scans, "jpeg: " + msg + " (the max_scans limit is TurboJPEG's 500)"};
        if (tjGetErrorCode(tj) == TJERR_FATAL || opt.strict)
            return {Status::decode_failed, "jpeg: " + msg};
    }
    if (channels == 4) {
        allocate(out, w, h, 3);
        const std::size_t n = static_cast<std::size_t>(w) * h;
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint8_t* s = &cmyk[4 * i];
            std::uint8_t* o = &out.pixels[3 * i];
            o[0] = cmyk_channel(s[0], s[3]);
            o[1] = cmyk_channel(s[1], s[3]);
            o[2] = cmyk_channel(s[2], s[3]);
        }
    }
    guard.ok = true;
    return {};
}

}  // namespace hashguard::detail
