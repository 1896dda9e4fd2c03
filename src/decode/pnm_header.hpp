// Binary PNM (P5 grey, P6 RGB) header parsing, shared by the decoder and tests.
#pragma once
#include <cstddef>
#include <cstdint>

namespace hashguard::detail {

struct PnmHeader {
    int channels = 0;  // 1 (P5) or 3 (P6)
    std::uint64_t width = 0, height = 0;
    unsigned maxval = 0;
    std::size_t data_offset = 0;
};

/// Parses "P5"/"P6", width, height, maxval (comments allowed) and the single
/// whitespace byte before the samples. False on anything malformed.
inline bool parse_pnm_header(const std::uint8_t* d, std::size_t n, PnmHeader& h) {
    if (n < 3 || d[0] != 'P' || (d[1] != '5' && d[1] != '6')) return false;
    h.channels = d[1] == '5' ? 1 : 3;
    std::size_t i = 2;
    std::uint64_t vals[3];
    for (auto& v : vals) {
        for (;;) {  // skip whitespace and comments
            if (i >= n) return false;
            if (d[i] == '#') {
                while (i < n && d[i] != '\n') ++i;
            } else if (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r') {
                ++i;
            } else {
                break;
            }
        }
        if (d[i] < '0' || d[i] > '9') return false;
        v = 0;
        while (i < n && d[i] >= '0' && d[i] <= '9') {
            v = v * 10 + (d[i] - '0');
            if (v > (std::uint64_t{1} << 32)) return false;
            ++i;
        }
    }
    if (i >= n) return false;
    ++i;  // exactly one whitespace byte
    h.width = vals[0];
    h.height = vals[1];
    if (vals[2] == 0 || vals[2] > 65535) return false;
    h.maxval = static_cast<unsigned>(vals[2]);
    h.data_offset = i;
    return true;
}

}  // namespace hashguard::detail
