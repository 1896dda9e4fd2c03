// libFuzzer target: the binary snapshot loader and the indexes a snapshot
// stores. Most inputs fail the checksum, so half the time the target first
// makes the header's file size and checksum (offsets 24 and 80, see the layout
// in src/index/snapshot.cpp: version 1 XXH3-64 of the bytes, versions 2 and 3
// XXH3-64 of the one block's XXH3-64 below 64 MiB) agree with the bytes, to reach the
// section-bound, string-index and stored-index checks. A verified snapshot
// with an index is searched through it: any table bytes must stay in bounds.
#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <memory>
#include <vector>

#include "fuzz_checks.hpp"
#include "hashguard/index.hpp"
#include "hashguard/lists.hpp"
#include "index/index_impl.hpp"

namespace {
// A verified snapshot of n bytes becomes a HashList of about as many bytes of
// strings plus per-entry overhead (an entry is at least 32 bytes of file):
// the input twice, the list four times over, and 1 MiB of slack.
std::size_t heap_bound(std::size_t size) { return 12 * size + (std::size_t{1} << 20); }

// Queries near the first entries and one of all ones, at a few radii: every
// match must name an entry, at its true distance.
void search_stored_index(std::shared_ptr<hashguard::Snapshot> snap, const hashguard::HashList& list) {
    std::unique_ptr<hashguard::PdqIndex> index;
    if (hashguard::detail::SnapshotAccess::stored_index(*snap, snap, index) || !index) return;
    std::vector<hashguard::Hash256> qs(list.pdq.begin(), list.pdq.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(3, list.size())));
    hashguard::Hash256 ones;
    ones.w.fill(0xFFFF);
    qs.push_back(ones);
    for (const int r : {0, 31, 80}) {
        std::vector<hashguard::IndexMatch> got;
        if (index->range_search(qs.data(), qs.size(), r, got)) __builtin_trap();
        for (const auto& m : got) {
            if (m.entry >= list.size() || m.query >= qs.size()) __builtin_trap();
            // MIH verifies every candidate against its row (the snapshot's hashes): true distances whatever
            // the tables hold. The scan's planes are its only copy: damaged planes give other distances.
            if (std::string_view(index->name()) == "mih" &&
                static_cast<int>(m.distance) != hashguard::hamming_distance(qs[m.query], list.pdq[m.entry]))
                __builtin_trap();
        }
    }
}

int one_input(const std::uint8_t* data, std::size_t size) {
    std::vector<std::uint8_t> b(data, data + size);
    if (size >= 128 && (data[size - 1] & 1)) {
        const std::uint64_t bytes = size, block = XXH3_64bits(b.data() + 128, size - 128);
        const std::uint64_t sum = b[8] == 1 ? block : XXH3_64bits(&block, 8);
        std::memcpy(&b[24], &bytes, 8);
        std::memcpy(&b[80], &sum, 8);
    }
    std::unique_ptr<hashguard::Snapshot> s;
    if (hashguard::Snapshot::from_bytes(b.data(), b.size(), s, "fuzz.snap")) return 0;
    // Verified: every accessor must stay inside the buffer.
    std::size_t total = 0;
    for (std::size_t i = 0; i < s->size(); ++i) {
        total += s->id(i).size() + s->metadata(i).size();
        if (s->kind() == hashguard::ListKind::pdq) total += s->pdq(i).popcount();
        else total += s->digest(i).size;
    }
    hashguard::HashList list;
    if (s->to_list(list) || list.size() != s->size()) __builtin_trap();
    search_stored_index(std::shared_ptr<hashguard::Snapshot>(std::move(s)), list);
    return total == 0xFFFFFFFFFFFFFFFFull;
}
}  // namespace

// Nothing printed and (ASan) the heap bounded by the input's size, per input.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::int64_t start = hgfuzz::begin_input();
    const int rc = one_input(data, size);
    hgfuzz::end_input(start, heap_bound(size));
    return rc;
}
