// Seen-bytes cache: recent scan results keyed by the SHA-256 of the
// attachment's bytes, so a forwarded viral attachment is not decoded again.
// The key must be collision-resistant: attachments are attacker-chosen, and
// two files sharing a key would share a verdict (a non-cryptographic hash such
// as XXH3, seeded or not, lets an attacker pair a clean twin with a listed
// image). LRU, bounded by entry count and by the results' approximate memory;
// every entry remembers the list generation it was computed under and is
// ignored (and dropped) when looked up under another one.
#pragma once
#include <array>
#include <cstdint>
#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "scan/scanner.hpp"

namespace hashguard::scan {

/// The SHA-256 of an attachment.
using CacheKey = std::array<std::uint8_t, 32>;

class ResultCache {
public:
    /// The cached result for `key` computed under `generation`, or nullptr.
    /// Fails (out_of_memory/internal) only through the fault-injection hook or
    /// an allocation; the caller then treats the scan as failed.
    Error find(const CacheKey& key, std::uint64_t generation, std::shared_ptr<const ScanResult>& out);
    Error insert(const CacheKey& key, std::shared_ptr<const ScanResult> result, std::size_t max_entries,
                 std::size_t max_bytes);
    void clear();
    std::size_t size() const;
    std::size_t bytes() const;

private:
    struct KeyHash {
        std::size_t operator()(const CacheKey& k) const noexcept {
            std::size_t h;
            std::memcpy(&h, k.data(), sizeof h);
            return h;
        }
    };
    struct Entry {
        CacheKey key;
        std::shared_ptr<const ScanResult> result;
        std::size_t bytes;
    };
    void evict_to(std::size_t max_entries, std::size_t max_bytes);
    void erase(std::list<Entry>::iterator it);

    mutable std::mutex mu_;
    std::list<Entry> lru_;  // front = most recent
    std::unordered_map<CacheKey, std::list<Entry>::iterator, KeyHash> map_;
    std::size_t bytes_ = 0;
};

}  // namespace hashguard::scan
