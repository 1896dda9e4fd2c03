// Seen-bytes cache: recent scan results keyed by the XXH3-128 of the
// attachment's bytes, so a forwarded viral attachment is not decoded again.
// LRU, bounded by entry count and by the results' approximate memory; every
// entry remembers the list generation it was computed under and is ignored
// (and dropped) when looked up under another one.
#pragma once
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "scan/scanner.hpp"

namespace hashguard::scan {

struct CacheKey {
    std::uint64_t lo = 0, hi = 0;
    friend bool operator==(const CacheKey&, const CacheKey&) = default;
};

CacheKey cache_key(const std::uint8_t* data, std::size_t len) noexcept;

class ResultCache {
public:
    /// The cached result for `key` computed under `generation`, or nullptr.
    std::shared_ptr<const ScanResult> find(const CacheKey& key, std::uint64_t generation);
    void insert(const CacheKey& key, std::shared_ptr<const ScanResult> result, std::size_t max_entries,
                std::size_t max_bytes);
    void clear();
    std::size_t size() const;
    std::size_t bytes() const;

private:
    struct KeyHash {
        std::size_t operator()(const CacheKey& k) const noexcept { return static_cast<std::size_t>(k.lo); }
    };
    struct Entry {
        CacheKey key;
        std::shared_ptr<const ScanResult> result;
        std::size_t bytes;
    };
    void evict_to(std::size_t max_entries, std::size_t max_bytes);

    mutable std::mutex mu_;
    std::list<Entry> lru_;  // front = most recent
    std::unordered_map<CacheKey, std::list<Entry>::iterator, KeyHash> map_;
    std::size_t bytes_ = 0;
};

}  // namespace hashguard::scan
