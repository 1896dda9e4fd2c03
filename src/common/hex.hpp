// The one hex codec: bytes <-> lower-case hex digits (either case accepted).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hashguard::detail {

/// Value of each byte as a hex digit, or -1 (a table: lists hold 10^7 hashes).
inline constexpr struct HexTable {
    signed char v[256];
    constexpr HexTable() : v{} {
        for (int c = 0; c < 256; ++c)
            v[c] = static_cast<signed char>(c >= '0' && c <= '9'   ? c - '0'
                                            : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                                   : -1);
    }
} kHexTable;

/// Value of one hex digit, or -1.
inline int hex_value(char c) noexcept { return kHexTable.v[static_cast<unsigned char>(c)]; }

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
    int bad = 0;  // checked once at the end: no branch per digit
    for (std::size_t i = 0; i < hex.size() / 2; ++i) {
        const int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        bad |= hi | lo;
        out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return bad >= 0;
}

}  // namespace hashguard::detail
