// HEIC and AVIF through the heif module (hashguard-heif.so, libheif), loaded
// the first time such an attachment arrives. Without the module the status
// is module_unavailable, naming where it was looked for.
#include <algorithm>
#include <cstring>

#include "decode/decode_internal.hpp"

namespace hashguard::detail {

namespace {

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
    return probe_with_module("heif", "heic/avif", data, len, opt, info);
}

Error decode_heif(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt, Image& out) {
    return decode_with_module("heif", "heic/avif", data, len, opt, out);
}

}  // namespace hashguard::detail
