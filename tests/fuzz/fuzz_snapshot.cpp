// libFuzzer target: the binary snapshot loader. Most inputs fail the checksum,
// so half the time the target first makes the header's file size and XXH3
// checksum (offsets 24 and 80, see the layout in src/index/snapshot.cpp) agree
// with the bytes, to reach the section-bound and string-index checks.
#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "fuzz_checks.hpp"
#include "hashguard/lists.hpp"

namespace {
// A verified snapshot of n bytes becomes a HashList of about as many bytes of
// strings plus per-entry overhead (an entry is at least 32 bytes of file):
// the input twice, the list four times over, and 1 MiB of slack.
std::size_t heap_bound(std::size_t size) { return 12 * size + (std::size_t{1} << 20); }

int one_input(const std::uint8_t* data, std::size_t size) {
    std::vector<std::uint8_t> b(data, data + size);
    if (size >= 128 && (data[size - 1] & 1)) {
        const std::uint64_t bytes = size, sum = XXH3_64bits(b.data() + 128, size - 128);
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
