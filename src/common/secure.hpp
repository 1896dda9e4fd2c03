// Memory that holds list contents (hashes, digests, ids, metadata) is
// overwritten before it is freed: WipingAllocator does it for containers
// whenever they free a buffer (growth included), wipe() for the rest.
#pragma once
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace hashguard::detail {

/// explicit_bzero: not optimised away.
inline void wipe(void* p, std::size_t n) noexcept {
    if (p && n) explicit_bzero(p, n);
}

/// Wipes a string's whole buffer (its capacity, inline or heap) and empties it.
inline void wipe(std::string& s) noexcept {
    wipe(s.data(), s.capacity());
    s.clear();
}

/// Wipes a vector's whole buffer (its capacity, trivially-copyable elements).
template <class T, class A>
void wipe(std::vector<T, A>& v) noexcept {
    static_assert(std::is_trivially_copyable_v<T>);
    wipe(v.data(), v.capacity() * sizeof(T));
    v.clear();
}

template <class T>
struct WipingAllocator {
    using value_type = T;
    WipingAllocator() = default;
    template <class U>
    WipingAllocator(const WipingAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
    void deallocate(T* p, std::size_t n) noexcept {
        wipe(p, n * sizeof(T));
        std::allocator<T>().deallocate(p, n);
    }
    template <class U>
    bool operator==(const WipingAllocator<U>&) const noexcept { return true; }
};

/// Bytes that are wiped when freed (a list file's raw text, a snapshot image).
using SecureBytes = std::vector<unsigned char, WipingAllocator<unsigned char>>;
template <class T>
using SecureVector = std::vector<T, WipingAllocator<T>>;

}  // namespace hashguard::detail
