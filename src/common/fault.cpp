#include "common/fault.hpp"

#include <string>

namespace hashguard::detail {

std::atomic<FaultHook> g_fault_hook{nullptr};

void set_fault_hook(FaultHook hook) noexcept { g_fault_hook.store(hook, std::memory_order_relaxed); }

const char* fault_site_name(FaultSite s) noexcept {
    switch (s) {
        case FaultSite::index_lookup: return "index_lookup";
        case FaultSite::digest: return "digest";
        case FaultSite::cache_find: return "cache_find";
        case FaultSite::cache_insert: return "cache_insert";
        case FaultSite::pdq_hash: return "pdq_hash";
        case FaultSite::count: break;
    }
    return "unknown";
}

Error injected_failure(FaultSite site) {
    return {Status::internal, std::string("injected failure: ") + fault_site_name(site)};
}

}  // namespace hashguard::detail
