// The C API (include/hashguard/hashguard.h) over the C++ scanner. Every entry
// point catches everything: nothing is thrown, printed or aborted across it.
#include "hashguard/hashguard.h"

#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "hashguard/config.hpp"
#include "scan/config.hpp"
#include "scan/scanner.hpp"

static_assert(HG_VERSION_MAJOR == HASHGUARD_VERSION_MAJOR && HG_VERSION_MINOR == HASHGUARD_VERSION_MINOR &&
                  HG_VERSION_PATCH == HASHGUARD_VERSION_PATCH,
              "C and C++ version macros disagree");
static_assert(static_cast<int>(hashguard::Status::list_format) == HG_ERR_LIST_FORMAT &&
                  static_cast<int>(hashguard::Status::limit_scans) == HG_ERR_LIST_FORMAT - 1 &&
                  static_cast<int>(hashguard::Status::decode_failed) == HG_ERR_DECODE_FAILED &&
                  static_cast<int>(hashguard::kLastStatus) == HG_ERR_LIMIT_TIME,
              "hg_status must keep hashguard::Status's numbers");

using hashguard::Error;
using hashguard::Status;
namespace scan = hashguard::scan;

struct hg_lists {
    struct Item {
        scan::ListConfig config;
        std::shared_ptr<const hashguard::HashList> entries;
        hashguard::ListParseReport report;
    };
    scan::ListConfig defaults;
    bool skip_bad_lines = false;
    std::vector<Item> items;

    Item* find(std::string_view name) {
        for (auto& it : items)
            if (it.config.name == name) return &it;
        return nullptr;
    }
    const Item* find(std::string_view name) const { return const_cast<hg_lists*>(this)->find(name); }
};

struct hg_scanner {
    scan::Scanner scanner;
    std::mutex options_mu;  // serialises read-modify-write of the options
};

struct hg_result {
    scan::ScanResult r;
    std::string pdq_hex, inner_hex, md5_hex, sha1_hex, sha256_hex;
    mutable std::once_flag json_once;
    mutable std::string json;
};

namespace {

thread_local std::string t_last_error;

hg_status fail(Status code, std::string message) noexcept {
    try {
        t_last_error = std::move(message);
    } catch (...) {
        t_last_error.clear();
    }
    return static_cast<hg_status>(code);
}

hg_status fail(const Error& e) noexcept { return fail(e.code, e.message); }

// Runs f (returning hg_status), turning any exception into a status.
template <class F>
hg_status guarded(F&& f) noexcept {
    try {
        return f();
    } catch (const std::bad_alloc&) {
        return fail(Status::out_of_memory, "out of memory");
    } catch (const std::exception& ex) {
        return fail(Status::internal, std::string("internal error: ") + ex.what());
    } catch (...) {
        return fail(Status::internal, "internal error");
    }
}

hg_status bad_arg(const char* what) noexcept { return fail(Status::invalid_argument, what); }

bool valid_kind(int k) { return k >= HG_KIND_PDQ && k <= HG_KIND_SHA256; }

// Adds a list under config.name, loaded by `load`; nothing is added on failure.
hg_status add_loaded(hg_lists* lists, scan::ListConfig config,
                     const std::function<Error(hashguard::HashList&, const hashguard::ListParseOptions&,
                                               hashguard::ListParseReport&)>& load) {
    if (config.name.empty()) return bad_arg("list name is NULL or empty");
    if (lists->find(config.name))
        return fail(Status::invalid_argument, "list '" + config.name + "' is already in the set");
    hashguard::ListParseOptions po;
    po.kind = config.kind == hashguard::HashKind::pdq ? hashguard::ListKind::pdq : hashguard::ListKind::exact;
    po.skip_bad_lines = lists->skip_bad_lines;
    auto entries = scan::new_secure_list();
    hashguard::ListParseReport report;
    if (Error e = load(*entries, po, report)) return fail(e);
    if (Error e = scan::check_digest_kinds(*entries, config)) return fail(e);
    hg_lists::Item item;
    item.config = std::move(config);
    item.entries = std::move(entries);
    item.report = std::move(report);
    lists->items.push_back(std::move(item));
    return HG_OK;
}

hg_status add_parsed(hg_lists* lists, const char* name, int kind,
                     const std::function<Error(hashguard::HashList&, const hashguard::ListParseOptions&,
                                               hashguard::ListParseReport&)>& load) {
    if (!name || !*name) return bad_arg("list name is NULL or empty");
    if (!valid_kind(kind)) return bad_arg("unknown hg_kind");
    scan::ListConfig c = lists->defaults;
    c.name = name;
    c.kind = static_cast<hashguard::HashKind>(kind);
    return add_loaded(lists, std::move(c), load);
}

hg_status set_list_key(scan::ListConfig& c, int key, long long v, bool* skip_bad_lines) {
    switch (key) {
        case HG_LIST_THRESHOLD:
            if (v < 0 || v > 256) return bad_arg("HG_LIST_THRESHOLD must be 0..256");
            c.threshold = static_cast<int>(v);
            return HG_OK;
        case HG_LIST_MIN_QUALITY:
            if (v < 0 || v > 100) return bad_arg("HG_LIST_MIN_QUALITY must be 0..100");
            c.min_quality = static_cast<int>(v);
            return HG_OK;
        case HG_LIST_ROLE:
            if (v != HG_ROLE_BLOCK && v != HG_ROLE_ALLOW) return bad_arg("HG_LIST_ROLE must be HG_ROLE_BLOCK or HG_ROLE_ALLOW");
            c.role = static_cast<scan::Role>(v);
            return HG_OK;
        case HG_LIST_SKIP_BAD_LINES:
            if (!skip_bad_lines) return bad_arg("HG_LIST_SKIP_BAD_LINES applies when loading: set it with name NULL");
            if (v != 0 && v != 1) return bad_arg("HG_LIST_SKIP_BAD_LINES must be 0 or 1");
            *skip_bad_lines = v == 1;
            return HG_OK;
        default: return bad_arg("unknown or read-only hg_list_key");
    }
}

long long clamp_ll(std::size_t v) { return v > 0x7fffffffffffffffull ? 0x7fffffffffffffffll : static_cast<long long>(v); }

const scan::Match* match_at(const hg_result* r, std::size_t i) {
    return r && i < r->r.matches.size() ? &r->r.matches[i] : nullptr;
}

}  // namespace

extern "C" {

const char* hg_version(void) { return HG_VERSION_STRING; }
int hg_version_number(void) { return HG_VERSION_NUMBER; }
const char* hg_kernel(void) { return hashguard::active_kernel(); }

const char* hg_status_name(int s) {
    if (s < HG_OK || s > HG_ERR_LIMIT_TIME) return "unknown";
    return hashguard::status_name(static_cast<Status>(s));
}

const char* hg_last_error(void) { return t_last_error.c_str(); }

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
        const std::string p = path;
        return add_parsed(lists, name, kind, [&](auto& out, const auto& po, auto& rep) {
            return hashguard::load_list_file(p, out, po, &rep);
        });
    });
}

hg_status hg_lists_add_text(hg_lists* lists, const char* name, const char* text, size_t len, int kind,
                            const char* source) {
    return guarded([&] {
        if (!lists || (!text && len)) return bad_arg("lists is NULL, or text is NULL with len > 0");
        const std::string_view sv(text ? text : "", text ? len : 0);
        const std::string src = source ? source : (name ? name : "");
        return add_parsed(lists, name, kind, [&](auto& out, const auto& po, auto& rep) {
            return hashguard::parse_hash_list(sv, src, out, po, &rep);
        });
    });
}

hg_status hg_lists_set_int(hg_lists* lists, const char* name, int key, long long value) {
    return guarded([&] {
        if (!lists) return bad_arg("lists is NULL");
        if (!name) return set_list_key(lists->defaults, key, value, &lists->skip_bad_lines);
        hg_lists::Item* it = lists->find(name);
        if (!it) return fail(Status::invalid_argument, std::string("no list named '") + name + "'");
        return set_list_key(it->config, key, value, nullptr);
    });
}

hg_status hg_lists_get_int(const hg_lists* lists, const char* name, int key, long long* value) {
    return guarded([&] {
        if (!lists || !value) return bad_arg("lists or value is NULL");
        const scan::ListConfig* c = &lists->defaults;
        const hg_lists::Item* it = nullptr;
        if (name) {
            it = lists->find(name);
            if (!it) return fail(Status::invalid_argument, std::string("no list named '") + name + "'");
            c = &it->config;
        }
        switch (key) {
            case HG_LIST_THRESHOLD: *value = c->threshold; return HG_OK;
            case HG_LIST_MIN_QUALITY: *value = c->min_quality; return HG_OK;
            case HG_LIST_ROLE: *value = static_cast<long long>(c->role); return HG_OK;
            case HG_LIST_SKIP_BAD_LINES: *value = lists->skip_bad_lines ? 1 : 0; return HG_OK;
            default: break;
        }
        if (!it) return bad_arg("read-only keys need a list name");
        switch (key) {
            case HG_LIST_ENTRIES: *value = clamp_ll(it->entries->size()); return HG_OK;
            case HG_LIST_BAD_LINES: *value = clamp_ll(it->report.bad_lines); return HG_OK;
            case HG_LIST_DUPLICATES: *value = clamp_ll(it->report.duplicates_merged); return HG_OK;
            case HG_LIST_KIND: *value = static_cast<long long>(it->config.kind); return HG_OK;
            default: return bad_arg("unknown hg_list_key");
        }
    });
}

hg_status hg_lists_add_binary(hg_lists* lists, const char* name, const void* data, size_t count, int kind) {
    return guarded([&] {
        if (!lists || (!data && count)) return bad_arg("lists is NULL, or data is NULL with count > 0");
        if (!valid_kind(kind)) return bad_arg("unknown hg_kind");
        const std::size_t width = kind == HG_KIND_MD5 ? 16 : kind == HG_KIND_SHA1 ? 20 : 32;
        if (count > (std::size_t{1} << 32)) return bad_arg("more than 2^32 entries");
        const auto* p = static_cast<const std::uint8_t*>(data);
        return add_parsed(lists, name, kind, [&](hashguard::HashList& out, const hashguard::ListParseOptions& po,
                                                 hashguard::ListParseReport& rep) -> Error {
            // Entries built directly, then deduplicated by the same rule as text lists.
            hashguard::HashList raw;
            raw.kind = po.kind;
            raw.ids.reserve(count);
            raw.metadata.resize(count);
            if (po.kind == hashguard::ListKind::pdq) raw.pdq.resize(count);
            else raw.digests.resize(count);
            for (std::size_t i = 0; i < count; ++i) {
                const std::uint8_t* h = p + i * width;
                if (po.kind == hashguard::ListKind::pdq) {
                    for (int k = 0; k < 16; ++k)  // hex digit order: word 15 first, big-endian
                        raw.pdq[i].w[15 - k] = static_cast<std::uint16_t>((h[2 * k] << 8) | h[2 * k + 1]);
                } else {
                    hashguard::Digest& d = raw.digests[i];
                    d.kind = static_cast<hashguard::HashKind>(kind);
                    d.size = static_cast<std::uint8_t>(width);
                    std::memcpy(d.bytes.data(), h, width);
                }
                raw.ids.push_back(std::to_string(i + 1));
            }
            out = hashguard::HashList{};
            out.kind = po.kind;
            std::size_t merged = 0;
            const Error me = hashguard::merge_hash_lists(out, raw, &merged);
            hashguard::secure_clear(raw);
            if (me) return me;
            rep = hashguard::ListParseReport{};
            rep.entries = out.size();
            rep.duplicates_merged = merged;
            return {};
        });
    });
}

hg_status hg_lists_add_config(hg_lists* lists, const char* path) {
    return guarded([&] {
        if (!lists || !path) return bad_arg("lists or path is NULL");
        std::vector<scan::ListSpec> specs;
        if (Error e = scan::load_lists_config(path, specs)) return fail(e);
        for (const auto& sp : specs)
            if (lists->find(sp.config.name))
                return fail(Status::invalid_argument, std::string(path) + ": list '" + sp.config.name +
                                                          "' is already in the set");
        const std::size_t before = lists->items.size();
        for (const auto& sp : specs) {
            const hg_status st = add_loaded(lists, sp.config, [&](auto& out, const auto& po, auto& rep) {
                return hashguard::load_list_file(sp.path, out, po, &rep);
            });
            if (st != HG_OK) {  // all or nothing
                lists->items.resize(before);
                return st;
            }
        }
        return HG_OK;
    });
}

size_t hg_lists_count(const hg_lists* lists) { return lists ? lists->items.size() : 0; }

const char* hg_lists_name(const hg_lists* lists, size_t i) {
    return lists && i < lists->items.size() ? lists->items[i].config.name.c_str() : nullptr;
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
        auto need = [&](bool ok, const char* msg) { return ok ? HG_OK : bad_arg(msg); };
        hg_status st = HG_OK;
        switch (key) {
            case HG_OPT_MAX_INPUT_BYTES:
                if ((st = need(v > 0, "HG_OPT_MAX_INPUT_BYTES must be > 0"))) return st;
                o.decode.max_input_bytes = static_cast<std::size_t>(v);
                break;
            case HG_OPT_MAX_PIXELS:
                if ((st = need(v > 0, "HG_OPT_MAX_PIXELS must be > 0"))) return st;
                o.decode.max_pixels = static_cast<std::uint64_t>(v);
                break;
            case HG_OPT_MAX_DIMENSION:
                if ((st = need(v > 0 && v <= 0x7fffffff, "HG_OPT_MAX_DIMENSION must be 1..2^31-1"))) return st;
                o.decode.max_dimension = static_cast<int>(v);
                break;
            case HG_OPT_MAX_FRAMES:
                if ((st = need(v > 0 && v <= 0x7fffffff, "HG_OPT_MAX_FRAMES must be 1..2^31-1"))) return st;
                o.decode.max_frames = static_cast<int>(v);
                break;
            case HG_OPT_FAST:
                if ((st = need(v == 0 || v == 1, "HG_OPT_FAST must be 0 or 1"))) return st;
                o.decode.fast = v == 1;
                break;
            case HG_OPT_STRICT:
                if ((st = need(v == 0 || v == 1, "HG_OPT_STRICT must be 0 or 1"))) return st;
                o.decode.strict = v == 1;
                break;
            case HG_OPT_LETTERBOX:
                if ((st = need(v == 0 || v == 1, "HG_OPT_LETTERBOX must be 0 or 1"))) return st;
                o.letterbox = v == 1;
                break;
            case HG_OPT_LETTERBOX_TOLERANCE:
                if ((st = need(v >= 0 && v <= 255, "HG_OPT_LETTERBOX_TOLERANCE must be 0..255"))) return st;
                o.letterbox_tolerance = static_cast<int>(v);
                break;
            case HG_OPT_ALL_DIGESTS:
                if ((st = need(v == 0 || v == 1, "HG_OPT_ALL_DIGESTS must be 0 or 1"))) return st;
                o.all_digests = v == 1;
                break;
            case HG_OPT_MAX_MATCHES:
                if ((st = need(v >= 0, "HG_OPT_MAX_MATCHES must be >= 0"))) return st;
                o.max_matches = static_cast<std::size_t>(v);
                break;
            case HG_OPT_CACHE_ENTRIES:
                if ((st = need(v >= 0, "HG_OPT_CACHE_ENTRIES must be >= 0"))) return st;
                o.cache_entries = static_cast<std::size_t>(v);
                break;
            case HG_OPT_CACHE_BYTES:
                if ((st = need(v >= 0, "HG_OPT_CACHE_BYTES must be >= 0"))) return st;
                o.cache_bytes = static_cast<std::size_t>(v);
                break;
            case HG_OPT_MAX_MEMORY_BYTES:
                if ((st = need(v > 0, "HG_OPT_MAX_MEMORY_BYTES must be > 0"))) return st;
                o.decode.max_memory_bytes = static_cast<std::uint64_t>(v);
                break;
            case HG_OPT_MAX_DECODE_MS:
                if ((st = need(v >= 0 && v <= 0xffffffffll, "HG_OPT_MAX_DECODE_MS must be 0..2^32-1"))) return st;
                o.decode.max_decode_ms = static_cast<std::uint32_t>(v);
                break;
            case HG_OPT_DIGESTS:
                if ((st = need(v >= 0 && v <= 14 && (v & 1) == 0, "HG_OPT_DIGESTS takes bits 1<<HG_KIND_MD5..SHA256")))
                    return st;
                o.extra_digests = static_cast<unsigned>(v);
                break;
            default: return bad_arg("unknown or read-only hg_option");
        }
        s->scanner.set_options(o);
        return HG_OK;
    });
}

hg_status hg_scanner_get_int(const hg_scanner* s, int key, long long* value) {
    return guarded([&] {
        if (!s || !value) return bad_arg("scanner or value is NULL");
        const scan::ScanOptions o = s->scanner.options();
        switch (key) {
            case HG_OPT_MAX_INPUT_BYTES: *value = clamp_ll(o.decode.max_input_bytes); break;
            case HG_OPT_MAX_PIXELS: *value = clamp_ll(o.decode.max_pixels); break;
            case HG_OPT_MAX_DIMENSION: *value = o.decode.max_dimension; break;
            case HG_OPT_MAX_FRAMES: *value = o.decode.max_frames; break;
            case HG_OPT_FAST: *value = o.decode.fast; break;
            case HG_OPT_STRICT: *value = o.decode.strict; break;
            case HG_OPT_LETTERBOX: *value = o.letterbox; break;
            case HG_OPT_LETTERBOX_TOLERANCE: *value = o.letterbox_tolerance; break;
            case HG_OPT_ALL_DIGESTS: *value = o.all_digests; break;
            case HG_OPT_MAX_MATCHES: *value = clamp_ll(o.max_matches); break;
            case HG_OPT_CACHE_ENTRIES: *value = clamp_ll(o.cache_entries); break;
            case HG_OPT_CACHE_BYTES: *value = clamp_ll(o.cache_bytes); break;
            case HG_OPT_DIGESTS: *value = o.extra_digests; break;
            case HG_OPT_MAX_MEMORY_BYTES: *value = clamp_ll(o.decode.max_memory_bytes); break;
            case HG_OPT_MAX_DECODE_MS: *value = o.decode.max_decode_ms; break;
            case HG_OPT_CACHE_SIZE: *value = clamp_ll(s->scanner.cache_size()); break;
            case HG_OPT_GENERATION: *value = static_cast<long long>(s->scanner.generation()); break;
            case HG_OPT_LIST_COUNT: {
                auto l = s->scanner.lists();
                *value = l ? clamp_ll(l->lists().size()) : 0;
                break;
            }
            default: return bad_arg("unknown hg_option");
        }
        return HG_OK;
    });
}

hg_status hg_scanner_set_lists(hg_scanner* s, const hg_lists* lists) {
    return guarded([&] {
        if (!s) return bad_arg("scanner is NULL");
        std::shared_ptr<scan::ListSet> set;
        if (lists) {
            set = std::make_shared<scan::ListSet>();
            for (const auto& it : lists->items)
                if (Error e = set->add(it.config, it.entries)) return fail(e);
        }
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
        auto r = std::make_unique<hg_result>();
        if (Error e = s->scanner.scan(static_cast<const std::uint8_t*>(data), len, r->r)) return fail(e);
        const scan::ScanResult& sr = r->r;
        if (sr.has_pdq) r->pdq_hex = sr.pdq.to_hex();
        if (sr.letterboxed) r->inner_hex = sr.inner_pdq.to_hex();
        if (sr.has_md5) r->md5_hex = sr.md5.to_hex();
        if (sr.has_sha1) r->sha1_hex = sr.sha1.to_hex();
        if (sr.has_sha256) r->sha256_hex = sr.sha256.to_hex();
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
        if (Error e = hashguard::read_file(path, bytes, max)) {
            e.message = std::string(path) + ": " + e.message;
            if (e.code != Status::limit_bytes) return fail(e);
            // Too big to read: a result (verdict error, limit_bytes), as hg_scan gives.
            auto r = std::make_unique<hg_result>();
            r->r.verdict = scan::Verdict::error;
            r->r.error = std::move(e);
            r->r.lists_generation = s->scanner.generation();
            *result = r.release();
            return HG_OK;
        }
        return hg_scan(s, bytes.data(), bytes.size(), result);
    });
}

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
        case HG_RESULT_GENERATION: return static_cast<long long>(s.lists_generation);
        case HG_RESULT_INPUT_BYTES: return clamp_ll(s.input_bytes);
        case HG_RESULT_DECODE_US: return s.timings.decode_us;
        case HG_RESULT_PDQ_US: return s.timings.pdq_us;
        case HG_RESULT_DIGEST_US: return s.timings.digest_us;
        case HG_RESULT_MATCH_US: return s.timings.match_us;
        case HG_RESULT_TOTAL_US: return s.timings.total_us;
    }
    return -1;
}

const char* hg_result_str(const hg_result* r, int key) {
    if (!r) return nullptr;
    auto opt = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
    switch (key) {
        case HG_RESULT_PDQ_HEX: return opt(r->pdq_hex);
        case HG_RESULT_INNER_PDQ_HEX: return opt(r->inner_hex);
        case HG_RESULT_MD5_HEX: return opt(r->md5_hex);
        case HG_RESULT_SHA1_HEX: return opt(r->sha1_hex);
        case HG_RESULT_SHA256_HEX: return opt(r->sha256_hex);
        case HG_RESULT_ERROR: return r->r.error.message.c_str();
        case HG_RESULT_FORMAT: return hashguard::format_name(r->r.format);
        case HG_RESULT_JSON:
            try {
                std::call_once(r->json_once, [&] { r->json = scan::to_json(r->r); });
                return r->json.c_str();
            } catch (...) {
                fail(Status::out_of_memory, "out of memory");
                return nullptr;
            }
    }
    return nullptr;
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
    }
    return -1;
}

const char* hg_match_str(const hg_result* r, size_t i, int key) {
    const scan::Match* m = match_at(r, i);
    if (!m) return nullptr;
    switch (key) {
        case HG_MATCH_LIST: return m->list.c_str();
        case HG_MATCH_ID: return m->id.c_str();
        case HG_MATCH_METADATA: return m->metadata.c_str();
        case HG_MATCH_TRANSFORM_NAME: return hashguard::transform_name(m->transform);
    }
    return nullptr;
}

}  // extern "C"
