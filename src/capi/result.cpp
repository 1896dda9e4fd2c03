// hg_result accessors. Reading a field never allocates, except the JSON text
// (made once, on first request).
#include <cstring>

#include "capi/capi_internal.hpp"
#include "common/hex.hpp"

namespace scan = hashguard::scan;

namespace hashguard::capi {

namespace {

void hex_field(bool has, const std::uint8_t* bytes, std::size_t n, char* out) noexcept {
    if (!has) return;
    detail::hex_encode(bytes, n, out);
    out[2 * n] = '\0';
}

}  // namespace

void finish_result(hg_result& res) noexcept {
    const scan::ScanResult& r = res.r;
    for (int t = 0; t < r.pdq_variants && r.has_pdq; ++t) r.pdq[static_cast<std::size_t>(t)].to_bytes(res.pdq_bytes + 32 * t);
    for (int t = 0; t < 8 && r.letterboxed; ++t) r.inner_pdq[static_cast<std::size_t>(t)].to_bytes(res.inner_bytes + 32 * t);
    hex_field(r.has_pdq, res.pdq_bytes, 32, res.pdq_hex);
    hex_field(r.letterboxed, res.inner_bytes, 32, res.inner_hex);
    hex_field(r.has_md5, r.md5.bytes.data(), r.md5.size, res.md5_hex);
    hex_field(r.has_sha1, r.sha1.bytes.data(), r.sha1.size, res.sha1_hex);
    hex_field(r.has_sha256, r.sha256.bytes.data(), r.sha256.size, res.sha256_hex);
}

}  // namespace hashguard::capi

namespace {

const scan::Match* match_at(const hg_result* r, std::size_t i) {
    return r && i < r->r.matches.size() ? &r->r.matches[i] : nullptr;
}

// The one rule for strings: absent or empty is NULL.
const char* present(const char* s) { return s && *s ? s : nullptr; }
const char* present(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

template <class T>
long long clamp_ll(T v) {
    return static_cast<unsigned long long>(v) > 0x7fffffffffffffffull ? 0x7fffffffffffffffll : static_cast<long long>(v);
}

const char* result_json(const hg_result* r) {
    try {
        std::call_once(r->json_once, [&] { r->json = scan::to_json(r->r); });
        return present(r->json);
    } catch (...) {
        hashguard::capi::fail(hashguard::Status::out_of_memory, "out of memory for the result's JSON");
        return nullptr;
    }
}

const char* result_vpdq(const hg_result* r) {
    if (r->r.vpdq.empty()) return nullptr;
    try {
        std::call_once(r->vpdq_once, [&] {
            std::string lines;
            for (const hashguard::VpdqFrame& f : r->r.vpdq) lines += hashguard::vpdq_line(f) + "\n";
            r->vpdq = std::move(lines);
        });
        return present(r->vpdq);
    } catch (...) {
        hashguard::capi::fail(hashguard::Status::out_of_memory, "out of memory for the result's vPDQ lines");
        return nullptr;
    }
}

}  // namespace

extern "C" {

void hg_result_free(hg_result* result) { delete result; }

hg_verdict hg_result_verdict(const hg_result* r) {
    return r ? static_cast<hg_verdict>(r->r.verdict) : HG_VERDICT_ERROR;
}

const char* hg_verdict_name(int v) {
    if (v < HG_VERDICT_NO_MATCH || v > HG_VERDICT_BELOW_QUALITY) return "unknown";
    return scan::verdict_name(static_cast<scan::Verdict>(v));
}

hg_status hg_result_status(const hg_result* r) {
    return r ? static_cast<hg_status>(r->r.error.code) : HG_ERR_INVALID_ARGUMENT;
}

long long hg_result_int(const hg_result* r, int key) {
    if (!r) return -1;
    const scan::ScanResult& s = r->r;
    switch (key) {
        case HG_RESULT_HAS_PDQ: return s.has_pdq;
        case HG_RESULT_QUALITY: return s.quality;
        case HG_RESULT_WIDTH: return s.width;
        case HG_RESULT_HEIGHT: return s.height;
        case HG_RESULT_LETTERBOXED: return s.letterboxed;
        case HG_RESULT_INNER_QUALITY: return s.inner_quality;
        case HG_RESULT_MATCH_COUNT: return clamp_ll(s.match_count);
        case HG_RESULT_CACHED: return s.cached;
        case HG_RESULT_GENERATION: return clamp_ll(s.lists_generation);
        case HG_RESULT_INPUT_BYTES: return clamp_ll(s.input_bytes);
        case HG_RESULT_DECODE_US: return s.timings.decode_us;
        case HG_RESULT_PDQ_US: return s.timings.pdq_us;
        case HG_RESULT_DIGEST_US: return s.timings.digest_us;
        case HG_RESULT_MATCH_US: return s.timings.match_us;
        case HG_RESULT_TOTAL_US: return s.timings.total_us;
        case HG_RESULT_VIDEO: return s.video;
        case HG_RESULT_VIDEO_FRAMES: return clamp_ll(s.video_frames);
        case HG_RESULT_VIDEO_HASHES: return clamp_ll(s.video_hashes);
        default: return -1;
    }
}

const char* hg_result_str(const hg_result* r, int key) {
    if (!r) return nullptr;
    switch (key) {
        case HG_RESULT_PDQ_HEX: return present(r->pdq_hex);
        case HG_RESULT_INNER_PDQ_HEX: return present(r->inner_hex);
        case HG_RESULT_MD5_HEX: return present(r->md5_hex);
        case HG_RESULT_SHA1_HEX: return present(r->sha1_hex);
        case HG_RESULT_SHA256_HEX: return present(r->sha256_hex);
        case HG_RESULT_ERROR: return r->r.error.code == hashguard::Status::ok ? nullptr : present(r->r.error.message);
        case HG_RESULT_FORMAT:
            return r->r.format == hashguard::Format::unknown ? nullptr : hashguard::format_name(r->r.format);
        case HG_RESULT_JSON: return result_json(r);
        case HG_RESULT_VIDEO_CODEC: return r->r.video ? present(r->r.video_codec) : nullptr;
        case HG_RESULT_VPDQ: return result_vpdq(r);
        default: return nullptr;
    }
}

const unsigned char* hg_result_bytes(const hg_result* r, int key, size_t* len) {
    const unsigned char* p = nullptr;
    std::size_t n = 0;
    if (r) {
        const scan::ScanResult& s = r->r;
        switch (key) {
            case HG_BYTES_PDQ: p = s.has_pdq ? r->pdq_bytes : nullptr, n = 32; break;
            case HG_BYTES_PDQ_DIHEDRAL: p = s.has_pdq && s.pdq_variants == 8 ? r->pdq_bytes : nullptr, n = 256; break;
            case HG_BYTES_INNER_PDQ: p = s.letterboxed ? r->inner_bytes : nullptr, n = 32; break;
            case HG_BYTES_MD5: p = s.has_md5 ? s.md5.bytes.data() : nullptr, n = s.md5.size; break;
            case HG_BYTES_SHA1: p = s.has_sha1 ? s.sha1.bytes.data() : nullptr, n = s.sha1.size; break;
            case HG_BYTES_SHA256: p = s.has_sha256 ? s.sha256.bytes.data() : nullptr, n = s.sha256.size; break;
            default: break;
        }
    }
    if (len) *len = p ? n : 0;
    return p;
}

size_t hg_result_match_count(const hg_result* r) { return r ? r->r.matches.size() : 0; }

long long hg_match_int(const hg_result* r, size_t i, int key) {
    const scan::Match* m = match_at(r, i);
    if (!m) return -1;
    switch (key) {
        case HG_MATCH_DISTANCE: return m->distance;
        case HG_MATCH_TRANSFORM: return static_cast<long long>(m->transform);
        case HG_MATCH_ROLE: return static_cast<long long>(m->role);
        case HG_MATCH_KIND: return static_cast<long long>(m->kind);
        case HG_MATCH_INNER: return m->inner;
        case HG_MATCH_QUERY_PCT: return m->kind == hashguard::HashKind::vpdq ? static_cast<long long>(m->query_pct) : -1;
        case HG_MATCH_COMPARED_PCT:
            return m->kind == hashguard::HashKind::vpdq ? static_cast<long long>(m->compared_pct) : -1;
        default: return -1;
    }
}

const char* hg_match_str(const hg_result* r, size_t i, int key) {
    const scan::Match* m = match_at(r, i);
    if (!m) return nullptr;
    switch (key) {
        case HG_MATCH_LIST: return present(m->list);
        case HG_MATCH_ID: return present(m->id);
        case HG_MATCH_METADATA: return present(m->metadata);
        case HG_MATCH_TRANSFORM_NAME:
            return m->kind == hashguard::HashKind::pdq || m->kind == hashguard::HashKind::vpdq
                       ? hashguard::transform_name(m->transform)
                       : nullptr;
        case HG_MATCH_TIMESTAMPS: return m->kind == hashguard::HashKind::vpdq ? present(m->timestamps_text) : nullptr;
        default: return nullptr;
    }
}

}  // extern "C"
