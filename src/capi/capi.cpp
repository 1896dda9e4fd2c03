// The C API (include/hashguard/hashguard.h) over the C++ scanner: lists,
// scanners, scanning. Every entry point catches everything: nothing is thrown,
// printed or aborted across it. Result accessors are in result.cpp, the option
// table in options.cpp.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "capi/capi_internal.hpp"
#include "common/errors.hpp"
#include "common/io.hpp"
#include "hashguard/config.hpp"

// The C enums are the library's own values, pinned here and in tests/abi/.
static_assert(static_cast<int>(hashguard::Status::ok) == HG_OK &&
                  static_cast<int>(hashguard::Status::invalid_argument) == HG_ERR_INVALID_ARGUMENT &&
                  static_cast<int>(hashguard::Status::unsupported_format) == HG_ERR_UNSUPPORTED_FORMAT &&
                  static_cast<int>(hashguard::Status::decode_failed) == HG_ERR_DECODE_FAILED &&
                  static_cast<int>(hashguard::Status::limit_bytes) == HG_ERR_LIMIT_BYTES &&
                  static_cast<int>(hashguard::Status::limit_pixels) == HG_ERR_LIMIT_PIXELS &&
                  static_cast<int>(hashguard::Status::limit_dimension) == HG_ERR_LIMIT_DIMENSION &&
                  static_cast<int>(hashguard::Status::limit_frames) == HG_ERR_LIMIT_FRAMES &&
                  static_cast<int>(hashguard::Status::io_error) == HG_ERR_IO &&
                  static_cast<int>(hashguard::Status::out_of_memory) == HG_ERR_OUT_OF_MEMORY &&
                  static_cast<int>(hashguard::Status::internal) == HG_ERR_INTERNAL &&
                  static_cast<int>(hashguard::Status::limit_scans) == HG_ERR_LIMIT_SCANS &&
                  static_cast<int>(hashguard::Status::list_format) == HG_ERR_LIST_FORMAT &&
                  static_cast<int>(hashguard::Status::limit_memory) == HG_ERR_LIMIT_MEMORY &&
                  static_cast<int>(hashguard::Status::limit_time) == HG_ERR_LIMIT_TIME &&
                  static_cast<int>(hashguard::Status::module_unavailable) == HG_ERR_MODULE_UNAVAILABLE &&
                  static_cast<int>(hashguard::Status::limit_duration) == HG_ERR_LIMIT_DURATION &&
                  static_cast<int>(hashguard::kLastStatus) == HG_ERR_LIMIT_DURATION,
              "hg_status must keep hashguard::Status's numbers");
static_assert(static_cast<int>(hashguard::HashKind::pdq) == HG_KIND_PDQ &&
                  static_cast<int>(hashguard::HashKind::md5) == HG_KIND_MD5 &&
                  static_cast<int>(hashguard::HashKind::sha1) == HG_KIND_SHA1 &&
                  static_cast<int>(hashguard::HashKind::sha256) == HG_KIND_SHA256 &&
                  static_cast<int>(hashguard::HashKind::vpdq) == HG_KIND_VPDQ,
              "hg_kind must keep HashKind's numbers");
static_assert(static_cast<int>(hashguard::scan::Role::block) == HG_ROLE_BLOCK &&
                  static_cast<int>(hashguard::scan::Role::allow) == HG_ROLE_ALLOW,
              "hg_role must keep Role's numbers");
static_assert(static_cast<int>(hashguard::scan::Verdict::no_match) == HG_VERDICT_NO_MATCH &&
                  static_cast<int>(hashguard::scan::Verdict::match) == HG_VERDICT_MATCH &&
                  static_cast<int>(hashguard::scan::Verdict::allowed) == HG_VERDICT_ALLOWED &&
                  static_cast<int>(hashguard::scan::Verdict::error) == HG_VERDICT_ERROR &&
                  static_cast<int>(hashguard::scan::Verdict::below_quality) == HG_VERDICT_BELOW_QUALITY,
              "hg_verdict must keep Verdict's numbers");
static_assert(static_cast<int>(hashguard::Transform::original) == HG_TRANSFORM_ORIGINAL &&
                  static_cast<int>(hashguard::Transform::rot90) == HG_TRANSFORM_ROT90 &&
                  static_cast<int>(hashguard::Transform::rot180) == HG_TRANSFORM_ROT180 &&
                  static_cast<int>(hashguard::Transform::rot270) == HG_TRANSFORM_ROT270 &&
                  static_cast<int>(hashguard::Transform::flip_x) == HG_TRANSFORM_FLIPX &&
                  static_cast<int>(hashguard::Transform::flip_y) == HG_TRANSFORM_FLIPY &&
                  static_cast<int>(hashguard::Transform::flip_plus1) == HG_TRANSFORM_FLIPPLUS1 &&
                  static_cast<int>(hashguard::Transform::flip_minus1) == HG_TRANSFORM_FLIPMINUS1,
              "hg_transform must keep Transform's numbers");

using hashguard::Error;
using hashguard::Status;
using hashguard::capi::bad_arg;
using hashguard::capi::fail;
using hashguard::capi::guarded;
using hashguard::capi::status_of;
namespace scan = hashguard::scan;

namespace hashguard::capi {

namespace {
thread_local std::string t_last_error;
}  // namespace

hg_status fail(Status code, const std::string& message) noexcept {
    try {
        t_last_error = message;
    } catch (...) {
        t_last_error.clear();
    }
    return static_cast<hg_status>(code);
}

}  // namespace hashguard::capi

namespace {

bool valid_kind(int k) { return k >= HG_KIND_PDQ && k <= HG_KIND_VPDQ; }

hashguard::HashKind to_kind(int k) { return static_cast<hashguard::HashKind>(k); }

// Checks a list name and kind; HG_OK when both are usable.
hg_status check_name_kind(const char* name, int kind) {
    if (!name || !*name) return bad_arg("list name is NULL or empty");
    if (!valid_kind(kind)) return bad_arg("unknown hg_kind");
    return HG_OK;
}

hg_status set_list_key(scan::ListConfig& c, int key, long long v) {
    auto range = [&](long long lo, long long hi, const char* msg) { return v >= lo && v <= hi ? HG_OK : bad_arg(msg); };
    hg_status st = HG_OK;
    switch (key) {
        case HG_LIST_THRESHOLD:
            if ((st = range(0, 256, "HG_LIST_THRESHOLD must be 0..256")) == HG_OK) c.threshold = static_cast<int>(v);
            return st;
        case HG_LIST_MIN_QUALITY:
            if ((st = range(0, 100, "HG_LIST_MIN_QUALITY must be 0..100")) == HG_OK) c.min_quality = static_cast<int>(v);
            return st;
        case HG_LIST_ROLE:
            if ((st = range(HG_ROLE_BLOCK, HG_ROLE_ALLOW, "HG_LIST_ROLE must be HG_ROLE_BLOCK or HG_ROLE_ALLOW")) == HG_OK)
                c.role = static_cast<scan::Role>(v);
            return st;
        case HG_LIST_QUERY_PCT:
            if ((st = range(0, 100, "HG_LIST_QUERY_PCT must be 0..100")) == HG_OK) c.query_pct = static_cast<int>(v);
            return st;
        case HG_LIST_COMPARED_PCT:
            if ((st = range(0, 100, "HG_LIST_COMPARED_PCT must be 0..100")) == HG_OK) c.compared_pct = static_cast<int>(v);
            return st;
        case HG_LIST_SKIP_BAD_LINES:
        case HG_LIST_ALLOW_EMPTY: return bad_arg("this key applies when loading: set it with list name NULL");
        default: return bad_arg("unknown or read-only hg_list_key");
    }
}

bool is_load_key(int key) { return key == HG_LIST_SKIP_BAD_LINES || key == HG_LIST_ALLOW_EMPTY; }

hg_status set_load_key(scan::LoadOptions& o, int key, long long v) {
    if (v != 0 && v != 1) return bad_arg("HG_LIST_SKIP_BAD_LINES and HG_LIST_ALLOW_EMPTY must be 0 or 1");
    (key == HG_LIST_SKIP_BAD_LINES ? o.skip_bad_lines : o.allow_empty) = v == 1;
    return HG_OK;
}

template <class T>
long long clamp_ll(T v) {
    return static_cast<unsigned long long>(v) > 0x7fffffffffffffffull ? 0x7fffffffffffffffll : static_cast<long long>(v);
}

hg_status get_list_key(const hg_lists& l, const scan::StagedList* it, int key, long long& v) {
    const scan::ListConfig& c = it ? it->config : l.staging.defaults;
    switch (key) {
        case HG_LIST_THRESHOLD: v = c.threshold; return HG_OK;
        case HG_LIST_MIN_QUALITY: v = c.min_quality; return HG_OK;
        case HG_LIST_ROLE: v = static_cast<long long>(c.role); return HG_OK;
        case HG_LIST_QUERY_PCT: v = c.query_pct; return HG_OK;
        case HG_LIST_COMPARED_PCT: v = c.compared_pct; return HG_OK;
        case HG_LIST_SKIP_BAD_LINES: v = l.staging.load.skip_bad_lines; return HG_OK;
        case HG_LIST_ALLOW_EMPTY: v = l.staging.load.allow_empty; return HG_OK;
        default: break;
    }
    if (!it) return bad_arg("read-only keys need a list name");
    switch (key) {
        case HG_LIST_ENTRIES: v = clamp_ll(it->size()); return HG_OK;
        case HG_LIST_DELTA_ADDED: v = clamp_ll(it->delta ? it->delta->added.size() : 0); return HG_OK;
        case HG_LIST_DELTA_REMOVED: v = clamp_ll(it->delta ? it->delta->removed.size() : 0); return HG_OK;
        case HG_LIST_BAD_LINES: v = clamp_ll(it->report.bad_lines); return HG_OK;
        case HG_LIST_DUPLICATES: v = clamp_ll(it->report.duplicates_merged); return HG_OK;
        case HG_LIST_KIND: v = static_cast<long long>(it->config.kind); return HG_OK;
        default: return bad_arg("unknown hg_list_key");
    }
}

// A new result object, or an error status (no memory for it).
hg_status new_result(std::unique_ptr<hg_result>& r) {
    r.reset(new (std::nothrow) hg_result());
    return r ? HG_OK : fail(Status::out_of_memory, "out of memory for the result");
}

}  // namespace

extern "C" {

const char* hg_version(void) { return hashguard::version(); }
int hg_version_number(void) { return HG_VERSION_NUMBER; }
const char* hg_kernel(void) { return hashguard::active_kernel(); }

const char* hg_status_name(int s) {
    if (s < HG_OK || s > HG_ERR_LIMIT_DURATION) return "unknown";
    return hashguard::status_name(static_cast<Status>(s));
}

const char* hg_last_error(void) { return hashguard::capi::t_last_error.c_str(); }

// ------------------------------------------------------------------ lists

hg_lists* hg_lists_create(void) {
    hg_lists* l = new (std::nothrow) hg_lists();
    if (!l) fail(Status::out_of_memory, "out of memory");
    return l;
}

void hg_lists_free(hg_lists* lists) { delete lists; }

hg_status hg_lists_add_file(hg_lists* lists, const char* name, const char* path, int kind) {
    return guarded([&] {
        if (!lists || !path) return bad_arg("lists or path is NULL");
        if (hg_status st = check_name_kind(name, kind)) return st;
        return status_of(lists->staging.add_file(name, path, to_kind(kind)));
    });
}

hg_status hg_lists_add_text(hg_lists* lists, const char* name, const char* text, size_t len, int kind,
                            const char* source) {
    return guarded([&] {
        if (!lists || (!text && len)) return bad_arg("lists is NULL, or text is NULL with len > 0");
        if (hg_status st = check_name_kind(name, kind)) return st;
        const std::string_view sv(text ? text : "", text ? len : 0);
        return status_of(lists->staging.add_text(name, sv, to_kind(kind), source ? source : name));
    });
}

hg_status hg_lists_add_binary(hg_lists* lists, const char* name, const void* data, size_t count, int kind) {
    return guarded([&] {
        if (!lists || (!data && count)) return bad_arg("lists is NULL, or data is NULL with count > 0");
        if (hg_status st = check_name_kind(name, kind)) return st;
        return status_of(
            lists->staging.add_binary(name, static_cast<const std::uint8_t*>(data), count, to_kind(kind)));
    });
}

hg_status hg_lists_add_config(hg_lists* lists, const char* path) {
    return guarded([&] {
        if (!lists || !path) return bad_arg("lists or path is NULL");
        return status_of(lists->staging.add_config(path));
    });
}

hg_status hg_lists_follow_dir(hg_lists* lists, const char* dir, long long* version, int* changed) {
    return guarded([&] {
        if (!lists || !dir) return bad_arg("lists or dir is NULL");
        long long v = -1;
        bool ch = false;
        const hg_status st = status_of(lists->staging.follow_dir(dir, v, ch));
        if (st == HG_OK) {
            if (version) *version = v;
            if (changed) *changed = ch ? 1 : 0;
        }
        return st;
    });
}

hg_status hg_lists_remove(hg_lists* lists, const char* name) {
    return guarded([&] {
        if (!lists || !name) return bad_arg("lists or name is NULL");
        return status_of(lists->staging.remove(name));
    });
}

hg_status hg_lists_apply_delta_text(hg_lists* lists, const char* name, const char* text, size_t len,
                                    const char* source) {
    return guarded([&] {
        if (!lists || !name || (!text && len)) return bad_arg("lists or name is NULL, or text is NULL with len > 0");
        const std::string_view sv(text ? text : "", text ? len : 0);
        return status_of(lists->staging.apply_delta_text(name, sv, source ? source : name));
    });
}

hg_status hg_lists_apply_delta_file(hg_lists* lists, const char* name, const char* path) {
    return guarded([&] {
        if (!lists || !name || !path) return bad_arg("lists, name or path is NULL");
        return status_of(lists->staging.apply_delta_file(name, path));
    });
}

hg_status hg_lists_set_int(hg_lists* lists, const char* name, int key, long long value) {
    return guarded([&] {
        if (!lists) return bad_arg("lists is NULL");
        if (!name)
            return is_load_key(key) ? set_load_key(lists->staging.load, key, value)
                                    : set_list_key(lists->staging.defaults, key, value);
        scan::StagedList* it = lists->staging.find(name);
        if (!it) return fail(Status::invalid_argument, std::string("no list named '") + name + "'");
        return set_list_key(it->config, key, value);
    });
}

hg_status hg_lists_get_int(const hg_lists* lists, const char* name, int key, long long* value) {
    return guarded([&] {
        if (!lists || !value) return bad_arg("lists or value is NULL");
        const scan::StagedList* it = nullptr;
        if (name && !(it = lists->staging.find(name)))
            return fail(Status::invalid_argument, std::string("no list named '") + name + "'");
        return get_list_key(*lists, it, key, *value);
    });
}

size_t hg_lists_count(const hg_lists* lists) { return lists ? lists->staging.lists().size() : 0; }

const char* hg_lists_name(const hg_lists* lists, size_t i) {
    return lists && i < lists->staging.lists().size() ? lists->staging.lists()[i].config.name.c_str() : nullptr;
}

// ------------------------------------------------------------------ scanner

hg_scanner* hg_scanner_create(void) {
    try {
        return new hg_scanner();
    } catch (...) {
        fail(Status::out_of_memory, "out of memory");
        return nullptr;
    }
}

void hg_scanner_free(hg_scanner* scanner) { delete scanner; }

hg_status hg_scanner_set_int(hg_scanner* s, int key, long long v) {
    return guarded([&] {
        if (!s) return bad_arg("scanner is NULL");
        std::lock_guard<std::mutex> lock(s->options_mu);
        scan::ScanOptions o = s->scanner.options();
        if (hg_status st = hashguard::capi::set_option(o, key, v)) return st;
        s->scanner.set_options(o);
        return HG_OK;
    });
}

hg_status hg_scanner_get_int(const hg_scanner* s, int key, long long* value) {
    return guarded([&] {
        if (!s || !value) return bad_arg("scanner or value is NULL");
        switch (key) {
            case HG_OPT_CACHE_SIZE: *value = clamp_ll(s->scanner.cache_size()); return HG_OK;
            case HG_OPT_GENERATION: *value = clamp_ll(s->scanner.generation()); return HG_OK;
            case HG_OPT_LIST_COUNT: {
                const auto l = s->scanner.lists();
                *value = l ? clamp_ll(l->lists().size()) : 0;
                return HG_OK;
            }
            default: return hashguard::capi::get_option(s->scanner.options(), key, *value);
        }
    });
}

hg_status hg_scanner_set_lists(hg_scanner* s, const hg_lists* lists) {
    return guarded([&] {
        if (!s) return bad_arg("scanner is NULL");
        std::shared_ptr<const scan::ListSet> set;
        if (lists)
            if (Error e = lists->staging.build(set)) return fail(e);
        s->scanner.set_lists(std::move(set));
        return HG_OK;
    });
}

// ------------------------------------------------------------------ scanning

hg_status hg_scan(hg_scanner* s, const void* data, size_t len, hg_result** result) {
    if (result) *result = nullptr;
    return guarded([&] {
        if (!s || !result) return bad_arg("scanner or result is NULL");
        if (!data && len) return bad_arg("data is NULL but len is not 0");
        std::unique_ptr<hg_result> r;
        if (hg_status st = new_result(r)) return st;
        if (Error e = s->scanner.scan(static_cast<const std::uint8_t*>(data), len, r->r)) return fail(e);
        hashguard::capi::finish_result(*r);
        *result = r.release();
        return HG_OK;
    });
}

hg_status hg_scan_file(hg_scanner* s, const char* path, hg_result** result) {
    if (result) *result = nullptr;
    return guarded([&] {
        if (!s || !path || !result) return bad_arg("scanner, path or result is NULL");
        std::vector<std::uint8_t> bytes;
        const std::size_t max = s->scanner.options().decode.max_input_bytes;
        Error e = hashguard::detail::read_regular_file(path, bytes, max);
        if (!e) return hg_scan(s, bytes.data(), bytes.size(), result);
        e.message = std::string(path) + ": " + e.message;
        if (e.code != Status::limit_bytes) return fail(e);
        // Too big to read: a result (verdict error, limit_bytes), as hg_scan gives.
        std::unique_ptr<hg_result> r;
        if (hg_status st = new_result(r)) return st;
        r->r.verdict = scan::Verdict::error;
        r->r.error = std::move(e);
        r->r.lists_generation = s->scanner.generation();
        hashguard::capi::finish_result(*r);
        *result = r.release();
        return HG_OK;
    });
}

hg_status hg_scan_hash(hg_scanner* s, int kind, const void* hash, size_t len, int quality, hg_result** result) {
    if (result) *result = nullptr;
    return guarded([&] {
        if (!s || !hash || !result) return bad_arg("scanner, hash or result is NULL");
        if (!valid_kind(kind)) return bad_arg("unknown hg_kind");
        if (kind == HG_KIND_VPDQ) return bad_arg("a video's vPDQ hashes are matched by scanning the video (hg_scan)");
        const auto* p = static_cast<const std::uint8_t*>(hash);
        scan::GivenHash g;
        g.kind = to_kind(kind);
        g.quality = quality;
        if (kind == HG_KIND_PDQ) {
            if (len != 32 && len != 256) return bad_arg("a PDQ hash is 32 bytes, or 256 for the 8 dihedral variants");
            for (std::size_t i = 0; i < len / 32; ++i) g.pdq.push_back(hashguard::Hash256::from_bytes(p + 32 * i));
        } else {
            const std::size_t width = kind == HG_KIND_MD5 ? 16 : kind == HG_KIND_SHA1 ? 20 : 32;
            if (len != width) return bad_arg("the digest length does not match its kind (16, 20 or 32 bytes)");
            g.digest.kind = g.kind;
            g.digest.size = static_cast<std::uint8_t>(width);
            std::memcpy(g.digest.bytes.data(), p, width);
        }
        std::unique_ptr<hg_result> r;
        if (hg_status st = new_result(r)) return st;
        if (Error e = s->scanner.scan_hash(g, r->r)) return fail(e);
        hashguard::capi::finish_result(*r);
        *result = r.release();
        return HG_OK;
    });
}

}  // extern "C"
