// HEIC and AVIF through the heif module (hashguard-heif.so, libheif), loaded
// the first time such an attachment arrives. Without the module the status
// is module_unavailable, naming where it was looked for.
#include <algorithm>
#include <cstring>
#include <string>

#include "decode/decode_internal.hpp"
#include "decode/modules.hpp"

namespace hashguard::detail {

namespace {

// The module's allocator callback: ctx is the Image being decoded into.
std::uint8_t* alloc_pixels(void* ctx, int width, int height, int channels) {
    Image& out = *static_cast<Image*>(ctx);
    try {
        allocate(out, width, height, channels);
    } catch (...) {
        return nullptr;
    }
    return out.pixels.data();
}

hg_module_request request_for(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt) {
    hg_module_request r{};
    r.data = data;
    r.len = len;
    r.max_dimension = static_cast<std::uint32_t>(opt.max_dimension);
    r.max_pixels = opt.max_pixels;
    r.max_memory_bytes = opt.max_memory_bytes;
    return r;
}

Error module_error(int status, const hg_module_request& r) {
    const Status s = status > 0 && status <= static_cast<int>(kLastStatus) ? static_cast<Status>(status) : Status::internal;
    std::string msg(r.message, strnlen(r.message, sizeof r.message));
    return {s, msg.empty() ? std::string("heif module: ") + status_name(s) : msg};
}

const hg_module_v1* heif_module(Error& err) {
    std::string why;
    const hg_module_v1* m = find_module("heif", why);
    if (!m) err = {Status::module_unavailable, "heic/avif: " + why};
    return m;
}

bool brand_is(const std::uint8_t* b, const char* const* names) {
    for (; *names; ++names)
        if (std::memcmp(b, *names, 4) == 0) return true;
    return false;
}

}  // namespace

Format sniff_heif(const std::uint8_t* d, std::size_t n) noexcept {
    if (!d || n < 16 || std::memcmp(d + 4, "ftyp", 4) != 0) return Format::unknown;
    static const char* const kAvif[] = {"avif", "avis", nullptr};
    static const char* const kHeic[] = {"heic", "heix", "heim", "heis", "hevc", "hevx", nullptr};
    static const char* const kGeneric[] = {"mif1", "msf1", nullptr};
    const std::size_t box = (std::size_t{d[0]} << 24) | (std::size_t{d[1]} << 16) | (std::size_t{d[2]} << 8) | d[3];
    const std::size_t end = std::min(box, n);
    bool avif = brand_is(d + 8, kAvif), heic = brand_is(d + 8, kHeic), generic = brand_is(d + 8, kGeneric);
    for (std::size_t i = 16; i + 4 <= end; i += 4) {
        avif = avif || brand_is(d + i, kAvif);
        heic = heic || brand_is(d + i, kHeic);
        generic = generic || brand_is(d + i, kGeneric);
    }
    if (avif) return Format::avif;  // an AVIF file may list mif1 and miaf, never heic
    if (heic || generic) return Format::heic;
    return Format::unknown;  // MP4, QuickTime and other ISO-BMFF files
}

Error probe_heif(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, HeaderInfo& info) {
    Error err;
    const hg_module_v1* m = heif_module(err);
    if (!m) return err;
    hg_module_request r = request_for(data, len, opt);
    if (int s = m->probe(&r)) return module_error(s, r);
    info.width = r.width;
    info.height = r.height;
    return {};
}

Error decode_heif(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, Image& out) {
    Error err;
    const hg_module_v1* m = heif_module(err);
    if (!m) return err;
    hg_module_request r = request_for(data, len, opt);
    r.alloc_ctx = &out;
    r.alloc_pixels = alloc_pixels;
    if (int s = m->decode(&r)) return module_error(s, r);
    if (out.width <= 0 || out.height <= 0 || (out.channels != 1 && out.channels != 3) ||
        out.pixels.size() != static_cast<std::size_t>(out.width) * out.height * out.channels)
        return {Status::internal, "heif module returned without pixels"};
    return {};
}

}  // namespace hashguard::detail
