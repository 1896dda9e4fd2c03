// The hex digest of some bytes through OpenSSL itself: the independent value
// the scanner's MD5/SHA-1/SHA-256 are checked against.
#pragma once
#include <openssl/evp.h>

#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace hgtest {

inline std::string hex_digest(const EVP_MD* md, const std::vector<std::uint8_t>& b) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    REQUIRE(EVP_Digest(b.data(), b.size(), out, &n, md, nullptr) == 1);
    static const char* d = "0123456789abcdef";
    std::string s;
    for (unsigned i = 0; i < n; ++i) s += std::string{d[out[i] >> 4], d[out[i] & 15]};
    return s;
}

}  // namespace hgtest
