// hashguard — header-only C++ wrapper over the C API (hashguard.h).
//
// RAII handles and exceptions on the C++ side only: everything here compiles
// into the caller, so nothing crosses the library boundary but the C ABI.
//
//     hg::Lists lists;
//     lists.add_file("ncmec", "ncmec-pdq.txt", HG_KIND_PDQ);
//     lists.set("ncmec", HG_LIST_THRESHOLD, 31);
//     hg::Scanner scanner;
//     scanner.set_lists(lists);
//     hg::Result r = scanner.scan(bytes.data(), bytes.size());
//     if (r.verdict() == HG_VERDICT_MATCH) { for (const hg::MatchInfo& m : r.matches()) ... }
#pragma once
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "hashguard/hashguard.h"

namespace hg {

/// Thrown by this wrapper when a C call fails: the status and hg_last_error().
class Error : public std::runtime_error {
public:
    Error(hg_status status, const std::string& message) : std::runtime_error(message), status_(status) {}
    hg_status status() const noexcept { return status_; }

private:
    hg_status status_;
};

inline void check(hg_status s) {
    if (s != HG_OK) throw Error(s, std::string(hg_status_name(s)) + ": " + hg_last_error());
}

struct MatchInfo {
    std::string list, id, metadata, transform;
    int distance = 0;
    hg_role role = HG_ROLE_BLOCK;
    hg_kind kind = HG_KIND_PDQ;
    bool inner = false;
};

class Result {
public:
    Result() = default;
    explicit Result(hg_result* r) : r_(r) {}

    explicit operator bool() const noexcept { return r_ != nullptr; }
    const hg_result* get() const noexcept { return r_.get(); }

    hg_verdict verdict() const noexcept { return hg_result_verdict(r_.get()); }
    const char* verdict_name() const noexcept { return hg_verdict_name(verdict()); }
    hg_status status() const noexcept { return hg_result_status(r_.get()); }
    long long get(hg_result_key key) const noexcept { return hg_result_int(r_.get(), key); }
    /// Empty when the field is absent (hg_result_str's NULL).
    std::string str(hg_result_str_key key) const { return or_empty(hg_result_str(r_.get(), key)); }
    /// Raw hash bytes (HG_BYTES_*); empty when absent.
    std::vector<unsigned char> bytes(hg_result_bytes_key key) const {
        std::size_t n = 0;
        const unsigned char* p = hg_result_bytes(r_.get(), key, &n);
        return p ? std::vector<unsigned char>(p, p + n) : std::vector<unsigned char>();
    }
    std::string error() const { return str(HG_RESULT_ERROR); }
    std::string pdq_hex() const { return str(HG_RESULT_PDQ_HEX); }
    std::string json() const { return str(HG_RESULT_JSON); }
    int quality() const noexcept { return static_cast<int>(get(HG_RESULT_QUALITY)); }
    bool cached() const noexcept { return get(HG_RESULT_CACHED) == 1; }

    std::vector<MatchInfo> matches() const {
        std::vector<MatchInfo> out;
        const std::size_t n = hg_result_match_count(r_.get());
        out.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            MatchInfo m;
            m.list = or_empty(hg_match_str(r_.get(), i, HG_MATCH_LIST));
            m.id = or_empty(hg_match_str(r_.get(), i, HG_MATCH_ID));
            m.metadata = or_empty(hg_match_str(r_.get(), i, HG_MATCH_METADATA));
            m.transform = or_empty(hg_match_str(r_.get(), i, HG_MATCH_TRANSFORM_NAME));
            m.distance = static_cast<int>(hg_match_int(r_.get(), i, HG_MATCH_DISTANCE));
            m.role = static_cast<hg_role>(hg_match_int(r_.get(), i, HG_MATCH_ROLE));
            m.kind = static_cast<hg_kind>(hg_match_int(r_.get(), i, HG_MATCH_KIND));
            m.inner = hg_match_int(r_.get(), i, HG_MATCH_INNER) == 1;
            out.push_back(std::move(m));
        }
        return out;
    }

private:
    static std::string or_empty(const char* s) { return s ? s : ""; }
    struct Free {
        void operator()(hg_result* r) const noexcept { hg_result_free(r); }
    };
    std::unique_ptr<hg_result, Free> r_;
};

class Lists {
public:
    Lists() : l_(hg_lists_create()) {
        if (!l_) throw Error(HG_ERR_OUT_OF_MEMORY, "hg_lists_create failed");
    }
    hg_lists* get() const noexcept { return l_.get(); }

    Lists& add_file(const std::string& name, const std::string& path, hg_kind kind) {
        check(hg_lists_add_file(l_.get(), name.c_str(), path.c_str(), kind));
        return *this;
    }
    Lists& add_binary(const std::string& name, const void* data, std::size_t count, hg_kind kind) {
        check(hg_lists_add_binary(l_.get(), name.c_str(), data, count, kind));
        return *this;
    }
    Lists& remove(const std::string& name) {
        check(hg_lists_remove(l_.get(), name.c_str()));
        return *this;
    }
    Lists& apply_delta(const std::string& name, const std::string& text, const std::string& source = {}) {
        check(hg_lists_apply_delta_text(l_.get(), name.c_str(), text.data(), text.size(),
                                        source.empty() ? nullptr : source.c_str()));
        return *this;
    }
    Lists& add_config(const std::string& path) {
        check(hg_lists_add_config(l_.get(), path.c_str()));
        return *this;
    }
    /// hg_lists_follow_dir: true when the set changed (then hand it to the scanner).
    bool follow_dir(const std::string& dir, long long* version = nullptr) {
        int changed = 0;
        check(hg_lists_follow_dir(l_.get(), dir.c_str(), version, &changed));
        return changed == 1;
    }
    Lists& add_text(const std::string& name, const std::string& text, hg_kind kind, const std::string& source = {}) {
        check(hg_lists_add_text(l_.get(), name.c_str(), text.data(), text.size(), kind,
                                source.empty() ? nullptr : source.c_str()));
        return *this;
    }
    /// Sets `key` on the named list.
    Lists& set(const std::string& name, hg_list_key key, long long value) {
        check(hg_lists_set_int(l_.get(), name.c_str(), key, value));
        return *this;
    }
    /// Sets the default `key` for lists added afterwards (and the loading keys
    /// HG_LIST_SKIP_BAD_LINES, HG_LIST_ALLOW_EMPTY).
    Lists& set_default(hg_list_key key, long long value) {
        check(hg_lists_set_int(l_.get(), nullptr, key, value));
        return *this;
    }
    long long get(const std::string& name, hg_list_key key) const {
        long long v = 0;
        check(hg_lists_get_int(l_.get(), name.c_str(), key, &v));
        return v;
    }
    std::size_t size() const noexcept { return hg_lists_count(l_.get()); }

private:
    struct Free {
        void operator()(hg_lists* l) const noexcept { hg_lists_free(l); }
    };
    std::unique_ptr<hg_lists, Free> l_;
};

class Scanner {
public:
    Scanner() : s_(hg_scanner_create()) {
        if (!s_) throw Error(HG_ERR_OUT_OF_MEMORY, "hg_scanner_create failed");
    }
    hg_scanner* get() const noexcept { return s_.get(); }

    Scanner& set(hg_option key, long long value) {
        check(hg_scanner_set_int(s_.get(), key, value));
        return *this;
    }
    long long get(hg_option key) const {
        long long v = 0;
        check(hg_scanner_get_int(s_.get(), key, &v));
        return v;
    }
    /// Hot reload: thread-safe with scan().
    void set_lists(const Lists& lists) { check(hg_scanner_set_lists(s_.get(), lists.get())); }
    void clear_lists() { check(hg_scanner_set_lists(s_.get(), nullptr)); }

    /// Thread-safe. A bad attachment is a result with verdict HG_VERDICT_ERROR, not an exception.
    Result scan(const void* data, std::size_t len) const {
        hg_result* r = nullptr;
        check(hg_scan(s_.get(), data, len, &r));
        return Result(r);
    }
    Result scan_file(const std::string& path) const {
        hg_result* r = nullptr;
        check(hg_scan_file(s_.get(), path.c_str(), &r));
        return Result(r);
    }
    /// A hash the caller already has (see hg_scan_hash).
    Result scan_hash(hg_kind kind, const void* hash, std::size_t len, int quality = 100) const {
        hg_result* r = nullptr;
        check(hg_scan_hash(s_.get(), kind, hash, len, quality, &r));
        return Result(r);
    }

private:
    struct Free {
        void operator()(hg_scanner* s) const noexcept { hg_scanner_free(s); }
    };
    std::unique_ptr<hg_scanner, Free> s_;
};

inline std::string version() { return hg_version(); }

}  // namespace hg
