// Shared by the C API's translation units: the handle structs, the thread's
// last error, and the guard that keeps exceptions from crossing the API.
#pragma once
#include <mutex>
#include <new>
#include <string>

#include "hashguard/hashguard.h"
#include "scan/scanner.hpp"
#include "scan/staging.hpp"

struct hg_lists {
    hashguard::scan::ListStaging staging;
};

struct hg_scanner {
    hashguard::scan::Scanner scanner;
    std::mutex options_mu;  // serialises read-modify-write of the options
};

// A result and its fields as C strings and bytes, filled once when the result
// is made (fixed arrays: reading a field never allocates), except the JSON and
// the vPDQ lines (built on first read).
struct hg_result {
    hashguard::scan::ScanResult r;
    char pdq_hex[65] = {}, inner_hex[65] = {}, md5_hex[33] = {}, sha1_hex[41] = {}, sha256_hex[65] = {};
    unsigned char pdq_bytes[8 * 32] = {}, inner_bytes[8 * 32] = {};
    mutable std::once_flag json_once, vpdq_once;
    mutable std::string json, vpdq;
};

namespace hashguard::capi {

/// Records the message as this thread's last error; returns the status.
hg_status fail(Status code, const std::string& message) noexcept;
inline hg_status fail(const Error& e) noexcept { return fail(e.code, e.message); }
inline hg_status bad_arg(const char* what) noexcept { return fail(Status::invalid_argument, what); }
inline hg_status status_of(const Error& e) noexcept { return e ? fail(e) : HG_OK; }

/// Runs f (returning hg_status), turning any exception into a status.
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

/// Fills the result's hex and byte fields from its ScanResult (no allocation).
void finish_result(hg_result& r) noexcept;

/// Options of a scanner by hg_option key (read-write ones).
hg_status set_option(scan::ScanOptions& o, int key, long long value);
hg_status get_option(const scan::ScanOptions& o, int key, long long& value);

}  // namespace hashguard::capi
