// UTF-8 validation shared by the JSON writer and the feed importers.
#pragma once
#include <cstddef>
#include <string_view>

namespace hashguard::detail {

/// Length of the valid UTF-8 sequence starting at s[i], or 0 when invalid
/// (truncated, a bad continuation byte, overlong, a surrogate, past U+10FFFF).
inline std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned c = b(i);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k)
        if ((b(i + k) & 0xC0) != 0x80) return 0;
    if (n == 2 && c < 0xC2) return 0;                                   // overlong
    if (n == 3 && c == 0xE0 && b(i + 1) < 0xA0) return 0;               // overlong
    if (n == 3 && c == 0xED && b(i + 1) >= 0xA0) return 0;              // surrogates
    if (n == 4 && (c > 0xF4 || (c == 0xF0 && b(i + 1) < 0x90) || (c == 0xF4 && b(i + 1) >= 0x90))) return 0;
    return n;
}

}  // namespace hashguard::detail
