// Fault injection points, so tests can prove a failure anywhere inside a scan
// becomes an error verdict and never "no match". Each point costs one relaxed
// atomic load when no hook is installed (always, outside tests). Internal: the
// hook is installed by the C++ test programs, never through the public API.
#pragma once
#include <atomic>

#include "hashguard/status.hpp"

namespace hashguard::detail {

enum class FaultSite : int {
    index_lookup = 0,  ///< PdqIndex::range_search
    digest,            ///< MD5/SHA-1/SHA-256 through libcrypto
    cache_find,        ///< the seen-bytes cache lookup
    cache_insert,      ///< storing a result in the seen-bytes cache
    pdq_hash,          ///< PdqHasher on decoded pixels
    count
};
const char* fault_site_name(FaultSite s) noexcept;

/// The error an injected failure at `site` returns (internal, naming it).
Error injected_failure(FaultSite site);

/// Returns true to make the call at `site` fail.
using FaultHook = bool (*)(FaultSite site);

/// Installs (or with nullptr removes) the process-wide hook. Tests only.
void set_fault_hook(FaultHook hook) noexcept;

extern std::atomic<FaultHook> g_fault_hook;

/// True when the installed hook asks the call at `site` to fail.
inline bool inject_fault(FaultSite site) noexcept {
    const FaultHook h = g_fault_hook.load(std::memory_order_relaxed);
    return h != nullptr && h(site);
}

}  // namespace hashguard::detail
