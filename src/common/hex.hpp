// The one hex codec: bytes <-> lower-case hex digits (either case accepted).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hashguard::detail {

/// Value of one hex digit, or -1.
inline int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// Writes 2*n lower-case hex digits of bytes[0..n) to out (no terminator).
inline void hex_encode(const std::uint8_t* bytes, std::size_t n, char* out) noexcept {
    static constexpr char kDigits[] = "0123456789abcdef";
    for (std::size_t i = 0; i < n; ++i) {
        out[2 * i] = kDigits[bytes[i] >> 4];
        out[2 * i + 1] = kDigits[bytes[i] & 15];
    }
}

inline std::string hex_string(const std::uint8_t* bytes, std::size_t n) {
    std::string s(2 * n, '0');
    hex_encode(bytes, n, s.data());
    return s;
}

/// Decodes exactly hex.size() / 2 bytes; false when the length is odd or a
/// character is not a hex digit (out is then partly written).
inline bool hex_decode(std::string_view hex, std::uint8_t* out) noexcept {
    if (hex.size() % 2) return false;
    for (std::size_t i = 0; i < hex.size() / 2; ++i) {
        const int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return true;
}

}  // namespace hashguard::detail
