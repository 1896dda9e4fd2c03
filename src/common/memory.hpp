// Large byte buffers backed by transparent huge pages where the kernel offers
// them. A decoded 1600x1200 photo is 5.8 MB: 1400 first-touch page faults of
// 4 KiB, each a trap plus an allocation, which cost ~20 ms on the 2-vCPU VMs
// this was measured on (14 us per fault; see bench/README.md, "Per process")
// and were most of what a one-image process spends beyond its decode. With
// MADV_HUGEPAGE on the reserved range (and MADV_COLLAPSE of its first 2 MiB,
// where malloc's header already sits) the same buffer takes a few 2 MiB
// faults. Hints only, and skipped where the administrator turned THP off.
#pragma once
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace hashguard::detail {

inline constexpr std::size_t kHugePage = std::size_t{2} << 20;
/// MADV_COLLAPSE (Linux 6.1; glibc 2.36's headers may lack it).
inline constexpr int kMadvCollapse = 25;
/// Buffers from this size on are worth a huge-page reservation.
inline constexpr std::size_t kHugeFrom = std::size_t{1} << 20;

/// Gives `v` capacity for n bytes before anything is written to them, the
/// reservation rounded up so its end falls on a huge-page boundary (malloc
/// serves it with a fresh mapping, which Linux >= 6.7 also starts on one), and
/// asks for huge pages over it. Does nothing when v already has the capacity
/// (its pages are already there) or n is small; otherwise v comes back empty
/// (its old content dropped: callers are about to overwrite all of it).
/// False when the administrator turned transparent huge pages off
/// ("[never]" in /sys/kernel/mm/transparent_hugepage/enabled): MADV_COLLAPSE
/// would otherwise make huge pages anyway. Read once.
inline bool huge_pages_allowed() noexcept {
    static const bool allowed = [] {
        const int fd = ::open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY | O_CLOEXEC);
        if (fd < 0) return false;
        char buf[128] = {};
        const ssize_t n = ::read(fd, buf, sizeof buf - 1);
        ::close(fd);
        return n > 0 && std::strstr(buf, "[never]") == nullptr;
    }();
    return allowed;
}

template <class Alloc>
void reserve_huge(std::vector<std::uint8_t, Alloc>& v, std::size_t n) {
    if (n < kHugeFrom || v.capacity() >= n) return;
    constexpr std::size_t kHeader = 4096;  // malloc's chunk header, within the first page
    const std::size_t want = ((n + kHeader + kHugePage - 1) / kHugePage) * kHugePage - kHeader;
    std::vector<std::uint8_t, Alloc> fresh(v.get_allocator());
    fresh.reserve(want);  // v's content is dropped, not copied: touching the new pages now would fault them in small
    v.swap(fresh);
    const auto p = reinterpret_cast<std::uintptr_t>(v.data());
    // Only a buffer that starts a mapping of its own (glibc puts a 16-byte
    // header at the start of an mmapped chunk; other allocators start large
    // ones on a page) is advised: a chunk carved from the heap shares its
    // pages, and the advice would outlive it there.
    if (!huge_pages_allowed() || (p % 4096 != 0 && p % 4096 != 16)) return;
    const std::uintptr_t start = p & ~std::uintptr_t{4095}, end = (p + want + 4095) & ~std::uintptr_t{4095};
    // Hints: where they fail nothing changes but the number of faults.
    ::madvise(reinterpret_cast<void*>(start), end - start, MADV_HUGEPAGE);
    // malloc already wrote its chunk header into the first 4 KiB page, and a
    // 2 MiB range with a small page in it never gets a huge page on a fault:
    // collapse that first range now (Linux >= 6.1), when the mapping starts
    // on a huge-page boundary, i.e. the range is wholly ours.
    if (start % kHugePage == 0 && end - start >= kHugePage)
        ::madvise(reinterpret_cast<void*>(start), kHugePage, kMadvCollapse);
}

}  // namespace hashguard::detail
