// hg_option keys: one table drives hg_scanner_set_int and hg_scanner_get_int
// (name, accepted range, how the value is read and written).
#include <limits>

#include "capi/capi_internal.hpp"

namespace hashguard::capi {

namespace {

using scan::ScanOptions;
constexpr long long kMax = std::numeric_limits<long long>::max();

struct OptionDef {
    int key;
    const char* name;
    long long min, max;
    long long mask;  ///< when non-zero, the value must only use these bits
    long long (*get)(const ScanOptions&);
    void (*set)(ScanOptions&, long long);
};

template <class T>
long long clamp_ll(T v) {
    return static_cast<unsigned long long>(v) > static_cast<unsigned long long>(kMax) ? kMax
                                                                                       : static_cast<long long>(v);
}

#define HG_FIELD(field) \
    [](const ScanOptions& o) { return clamp_ll(o.field); }, [](ScanOptions& o, long long v) { \
        o.field = static_cast<decltype(o.field)>(v);                                          \
    }

const OptionDef kOptions[] = {
    {HG_OPT_MAX_INPUT_BYTES, "HG_OPT_MAX_INPUT_BYTES", 1, kMax, 0, HG_FIELD(decode.max_input_bytes)},
    {HG_OPT_MAX_PIXELS, "HG_OPT_MAX_PIXELS", 1, kMax, 0, HG_FIELD(decode.max_pixels)},
    {HG_OPT_MAX_DIMENSION, "HG_OPT_MAX_DIMENSION", 1, 0x7fffffff, 0, HG_FIELD(decode.max_dimension)},
    {HG_OPT_MAX_FRAMES, "HG_OPT_MAX_FRAMES", 1, 0x7fffffff, 0, HG_FIELD(decode.max_frames)},
    {HG_OPT_MAX_MEMORY_BYTES, "HG_OPT_MAX_MEMORY_BYTES", 1, kMax, 0, HG_FIELD(decode.max_memory_bytes)},
    {HG_OPT_MAX_DECODE_MS, "HG_OPT_MAX_DECODE_MS", 0, 0xffffffffll, 0, HG_FIELD(decode.max_decode_ms)},
    {HG_OPT_STRICT, "HG_OPT_STRICT", 0, 1, 0, HG_FIELD(decode.strict)},
    {HG_OPT_FAST, "HG_OPT_FAST", 0, 1, 0, HG_FIELD(decode.fast)},
    {HG_OPT_LETTERBOX, "HG_OPT_LETTERBOX", 0, 1, 0, HG_FIELD(letterbox)},
    {HG_OPT_LETTERBOX_TOLERANCE, "HG_OPT_LETTERBOX_TOLERANCE", 0, 255, 0, HG_FIELD(letterbox_tolerance)},
    {HG_OPT_DIGESTS, "HG_OPT_DIGESTS", 0, HG_DIGESTS_ALL, HG_DIGESTS_ALL, HG_FIELD(digests)},
    {HG_OPT_MAX_MATCHES, "HG_OPT_MAX_MATCHES", 0, kMax, 0, HG_FIELD(max_matches)},
    {HG_OPT_CACHE_ENTRIES, "HG_OPT_CACHE_ENTRIES", 0, kMax, 0, HG_FIELD(cache_entries)},
    {HG_OPT_CACHE_BYTES, "HG_OPT_CACHE_BYTES", 0, kMax, 0, HG_FIELD(cache_bytes)},
    {HG_OPT_VIDEO_MS_PER_HASH, "HG_OPT_VIDEO_MS_PER_HASH", 0, 86400000,  0,
     [](const ScanOptions& o) { return static_cast<long long>(o.video.seconds_per_hash * 1000.0 + 0.5); },
     [](ScanOptions& o, long long v) { o.video.seconds_per_hash = static_cast<double>(v) / 1000.0; }},
    {HG_OPT_VIDEO_MAX_FRAMES, "HG_OPT_VIDEO_MAX_FRAMES", 0, kMax, 0, HG_FIELD(video.max_frames)},
    {HG_OPT_VIDEO_MAX_DURATION_S, "HG_OPT_VIDEO_MAX_DURATION_S", 0, 0x7fffffff,  0,
     [](const ScanOptions& o) { return static_cast<long long>(o.video.max_duration_s); },
     [](ScanOptions& o, long long v) { o.video.max_duration_s = static_cast<double>(v); }},
    {HG_OPT_VIDEO_MAX_DECODE_MS, "HG_OPT_VIDEO_MAX_DECODE_MS", 0, 0xffffffffll, 0, HG_FIELD(video.max_decode_ms)},
    {HG_OPT_VIDEO_THREADS, "HG_OPT_VIDEO_THREADS", 1, 64, 0, HG_FIELD(video.threads)},
    {HG_OPT_VIDEO_MAX_PIXELS, "HG_OPT_VIDEO_MAX_PIXELS", 1, kMax, 0, HG_FIELD(video.max_pixels)},
    {HG_OPT_VIDEO_DIHEDRAL, "HG_OPT_VIDEO_DIHEDRAL", 0, 1, 0, HG_FIELD(video.dihedral)},
    {HG_OPT_VIDEO_HASH_THREADS, "HG_OPT_VIDEO_HASH_THREADS", 1, 2, 0, HG_FIELD(video.hash_threads)},
    {HG_OPT_VIDEO_KEEP_HASHES, "HG_OPT_VIDEO_KEEP_HASHES", 0, 1, 0, HG_FIELD(keep_video_hashes)},
};
#undef HG_FIELD

static_assert(HG_DIGEST_MD5 == scan::digest_bit(HashKind::md5) && HG_DIGEST_SHA1 == scan::digest_bit(HashKind::sha1) &&
                  HG_DIGEST_SHA256 == scan::digest_bit(HashKind::sha256) && HG_DIGESTS_ALL == scan::kAllDigests,
              "HG_DIGEST_* bits are ScanOptions::digests bits");

const OptionDef* find_option(int key) {
    for (const OptionDef& d : kOptions)
        if (d.key == key) return &d;
    return nullptr;
}

}  // namespace

hg_status set_option(ScanOptions& o, int key, long long v) {
    const OptionDef* d = find_option(key);
    if (!d) return bad_arg("unknown or read-only hg_option");
    if (v < d->min || v > d->max || (d->mask && (v & ~d->mask)))
        return fail(Status::invalid_argument, std::string(d->name) + " must be " +
                                                  (d->max == 1 ? "0 or 1"
                                                   : d->mask   ? "a combination of the HG_DIGEST_* bits"
                                                               : std::to_string(d->min) + ".." + std::to_string(d->max)) +
                                                  ", not " + std::to_string(v));
    d->set(o, v);
    return HG_OK;
}

hg_status get_option(const ScanOptions& o, int key, long long& v) {
    const OptionDef* d = find_option(key);
    if (!d) return bad_arg("unknown hg_option");
    v = d->get(o);
    return HG_OK;
}

}  // namespace hashguard::capi
