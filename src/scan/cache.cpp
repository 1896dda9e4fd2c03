#include "scan/cache.hpp"

#include <xxhash.h>

namespace hashguard::scan {

CacheKey cache_key(const std::uint8_t* data, std::size_t len) noexcept {
    const XXH128_hash_t h = XXH3_128bits(data, len);
    return {h.low64, h.high64};
}

std::shared_ptr<const ScanResult> ResultCache::find(const CacheKey& key, std::uint64_t generation) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return nullptr;
    if (it->second->result->lists_generation != generation) {  // computed under other lists
        bytes_ -= it->second->bytes;
        lru_.erase(it->second);
        map_.erase(it);
        return nullptr;
    }
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->result;
}

void ResultCache::insert(const CacheKey& key, std::shared_ptr<const ScanResult> result, std::size_t max_entries,
                         std::size_t max_bytes) {
    const std::size_t bytes = result->memory_bytes() + sizeof(Entry) + 64;
    if (max_entries == 0 || bytes > max_bytes) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = map_.find(key); it != map_.end()) {
        bytes_ -= it->second->bytes;
        lru_.erase(it->second);
        map_.erase(it);
    }
    lru_.push_front(Entry{key, std::move(result), bytes});
    map_.emplace(key, lru_.begin());
    bytes_ += bytes;
    evict_to(max_entries, max_bytes);
}

void ResultCache::evict_to(std::size_t max_entries, std::size_t max_bytes) {
    while (!lru_.empty() && (lru_.size() > max_entries || bytes_ > max_bytes)) {
        bytes_ -= lru_.back().bytes;
        map_.erase(lru_.back().key);
        lru_.pop_back();
    }
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
