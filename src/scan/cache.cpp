#include "scan/cache.hpp"

#include "common/errors.hpp"
#include "common/fault.hpp"

namespace hashguard::scan {

void ResultCache::erase(std::list<Entry>::iterator it) {
    bytes_ -= it->bytes;
    map_.erase(it->key);
    lru_.erase(it);
}

Error ResultCache::find(const CacheKey& key, std::uint64_t generation, std::shared_ptr<const ScanResult>& out) {
    out.reset();
    if (detail::inject_fault(detail::FaultSite::cache_find)) return detail::injected_failure(detail::FaultSite::cache_find);
    return detail::guard([&]() -> Error {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = map_.find(key);
        if (it == map_.end()) return {};
        if (it->second->result->lists_generation != generation) {  // computed under other lists
            erase(it->second);
            return {};
        }
        lru_.splice(lru_.begin(), lru_, it->second);
        out = it->second->result;
        return {};
    });
}

Error ResultCache::insert(const CacheKey& key, std::shared_ptr<const ScanResult> result, std::size_t max_entries,
                          std::size_t max_bytes) {
    if (detail::inject_fault(detail::FaultSite::cache_insert)) return detail::injected_failure(detail::FaultSite::cache_insert);
    return detail::guard([&]() -> Error {
        const std::size_t bytes = result->memory_bytes() + sizeof(Entry) + 64;
        if (max_entries == 0 || bytes > max_bytes) return {};
        std::lock_guard<std::mutex> lock(mu_);
        if (auto it = map_.find(key); it != map_.end()) erase(it->second);
        lru_.push_front(Entry{key, std::move(result), bytes});
        try {
            map_.emplace(key, lru_.begin());
        } catch (...) {
            lru_.pop_front();  // keep the list and the map in step
            throw;
        }
        bytes_ += bytes;
        evict_to(max_entries, max_bytes);
        return {};
    });
}

void ResultCache::evict_to(std::size_t max_entries, std::size_t max_bytes) {
    while (!lru_.empty() && (lru_.size() > max_entries || bytes_ > max_bytes)) erase(std::prev(lru_.end()));
}

void ResultCache::clear() {
    std::lock_guard<std::mutex> lock(mu_);
    map_.clear();
    lru_.clear();
    bytes_ = 0;
}

std::size_t ResultCache::size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return lru_.size();
}

std::size_t ResultCache::bytes() const {
    std::lock_guard<std::mutex> lock(mu_);
    return bytes_;
}

}  // namespace hashguard::scan
