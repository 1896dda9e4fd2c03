#include "scan/list_index.hpp"

#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>

#include "common/errors.hpp"
#include "index/index_impl.hpp"

namespace hashguard::scan {

namespace {

std::atomic<std::uint64_t> g_built{0};

// One cached build: what it was built from (to compare), and the result.
struct CacheEntry {
    const ListEntries* source;  // identity fast path (valid while `entries` is alive)
    std::weak_ptr<const ListEntries> entries;
    std::uint64_t content;   // XXH3 of the hash column
    int radius;              // PDQ: the radius the kind was chosen for; exact: -1
    std::weak_ptr<const void> built;
};

std::mutex g_mu;
std::vector<CacheEntry> g_cache;  // guarded by g_mu; dead entries dropped on each lookup

std::uint64_t content_hash(const ListEntries& l) {
    if (l.kind() == ListKind::pdq) return XXH3_64bits(l.pdq().data(), l.pdq().size_bytes());
    XXH3_state_t* st = XXH3_createState();
    if (!st) throw std::bad_alloc();
    XXH3_64bits_reset(st);
    for (std::size_t i = 0; i < l.size(); ++i) {
        const Digest d = l.digest(i);
        XXH3_64bits_update(st, d.bytes.data(), d.size);
    }
    const std::uint64_t h = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    return h;
}

bool same_content(const ListEntries& a, const ListEntries& b) {
    if (a.kind() != b.kind() || a.size() != b.size()) return false;
    if (a.kind() == ListKind::pdq) return std::equal(a.pdq().begin(), a.pdq().end(), b.pdq().begin());
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!(a.digest(i) == b.digest(i))) return false;
    return true;
}

// A live cached build for `entries` at `radius`, or null. Drops dead entries.
std::shared_ptr<const void> find(const std::shared_ptr<const ListEntries>& entries, int radius, std::uint64_t& content,
                                 bool& hashed) {
    std::lock_guard<std::mutex> lk(g_mu);
    std::erase_if(g_cache, [](const CacheEntry& c) { return c.built.expired() || c.entries.expired(); });
    for (const CacheEntry& c : g_cache)
        if (c.source == entries.get() && c.radius == radius)
            if (auto b = c.built.lock()) return b;
    content = content_hash(*entries);
    hashed = true;
    for (const CacheEntry& c : g_cache) {
        if (c.content != content || c.radius != radius) continue;
        auto src = c.entries.lock();
        auto b = c.built.lock();
        if (src && b && same_content(*src, *entries)) return b;
    }
    return nullptr;
}

void remember(const std::shared_ptr<const ListEntries>& entries, int radius, std::uint64_t content,
              std::shared_ptr<const void> built) {
    std::lock_guard<std::mutex> lk(g_mu);
    g_cache.push_back(CacheEntry{entries.get(), entries, content, radius, std::move(built)});
}

}  // namespace

std::uint64_t ExactTable::prefix(const Digest& d) noexcept {
    std::uint64_t v;
    std::memcpy(&v, d.bytes.data(), sizeof v);
    return v;
}

ExactTable::ExactTable(const ListEntries& entries) {
    table_.reserve(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i)
        table_.emplace_back(prefix(entries.digest(i)), static_cast<std::uint32_t>(i));
    std::sort(table_.begin(), table_.end());
}

Error pdq_index_for(const std::shared_ptr<const ListEntries>& entries, int radius,
                    std::shared_ptr<const PdqIndex>& out) {
    return detail::guard([&]() -> Error {
        std::unique_ptr<PdqIndex> built;
        // A snapshot that stores an index: read in place, nothing built or
        // hashed (the index keeps the entries, and so the mapping, alive).
        if (const Snapshot* snap = entries->snapshot(); snap && !snap->index_kind().empty()) {
            if (Error e = detail::SnapshotAccess::stored_index(*snap, entries, built)) return e;
            out = std::shared_ptr<const PdqIndex>(std::move(built));
            return {};
        }
        std::uint64_t content = 0;
        bool hashed = false;
        if (auto b = find(entries, radius, content, hashed)) {
            out = std::static_pointer_cast<const PdqIndex>(b);
            return {};
        }
        const std::vector<Hash256>* hashes = entries->pdq_vector();
        std::vector<Hash256> copy;  // a mapped snapshot's hashes: the index takes a vector
        if (!hashes) {
            copy.assign(entries->pdq().begin(), entries->pdq().end());
            hashes = &copy;
        }
        if (Error e = make_pdq_index("auto", *hashes, built, radius)) return e;
        ++g_built;
        out = std::shared_ptr<const PdqIndex>(std::move(built));
        remember(entries, radius, hashed ? content : content_hash(*entries), out);
        return {};
    });
}

Error exact_table_for(const std::shared_ptr<const ListEntries>& entries, std::shared_ptr<const ExactTable>& out) {
    return detail::guard([&]() -> Error {
        std::uint64_t content = 0;
        bool hashed = false;
        if (auto b = find(entries, -1, content, hashed)) {
            out = std::static_pointer_cast<const ExactTable>(b);
            return {};
        }
        out = std::shared_ptr<const ExactTable>(new ExactTable(*entries));  // not make_shared: a weak_ptr would keep its block
        ++g_built;
        remember(entries, -1, hashed ? content : content_hash(*entries), out);
        return {};
    });
}

std::uint64_t indexes_built() noexcept { return g_built.load(); }

}  // namespace hashguard::scan
