// Large byte buffers backed by transparent huge pages where the kernel offers
// them. A decoded 1600x1200 photo is 5.8 MB: 1400 first-touch page faults of
// 4 KiB, each a trap plus an allocation, which cost ~20 ms on the 2-vCPU VMs
// this was measured on (14 us per fault; see bench/README.md, "Per process")
// and were most of what a one-image process spends beyond its decode. With
// MADV_HUGEPAGE on the reserved (still untouched) range the same buffer takes
// three 2 MiB faults. Only a hint: where THP is off, nothing changes.
#pragma once
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hashguard::detail {

inline constexpr std::size_t kHugePage = std::size_t{2} << 20;
/// Buffers from this size on are worth a huge-page reservation.
inline constexpr std::size_t kHugeFrom = std::size_t{1} << 20;

/// Gives `v` capacity for n bytes before anything is written to them, the
/// reservation rounded up so its end falls on a huge-page boundary (malloc
/// serves it with a fresh mapping, which Linux >= 6.7 also starts on one), and
/// asks for huge pages over it. Does nothing when v already has the capacity
/// (its pages are already there) or n is small.
template <class Alloc>
void reserve_huge(std::vector<std::uint8_t, Alloc>& v, std::size_t n) {
    if (n < kHugeFrom || v.capacity() >= n) return;
    constexpr std::size_t kHeader = 4096;  // malloc's chunk header, within the first page
    const std::size_t want = ((n + kHeader + kHugePage - 1) / kHugePage) * kHugePage - kHeader;
    std::vector<std::uint8_t, Alloc> fresh(v.get_allocator());
    fresh.reserve(want);
    fresh.assign(v.begin(), v.end());  // v is normally empty; keep any content
    const auto p = reinterpret_cast<std::uintptr_t>(fresh.data());
    const std::uintptr_t start = p & ~std::uintptr_t{4095};
    ::madvise(reinterpret_cast<void*>(start), p + want - start, MADV_HUGEPAGE);  // a hint: failure is harmless
    v.swap(fresh);
}

}  // namespace hashguard::detail
