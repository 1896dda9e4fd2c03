// MD5, SHA-1 and SHA-256 through libcrypto, loaded with dlopen() the first
// time a digest is asked for. Linking libcrypto would cost every process that
// links libhashguard ~2.5 ms of start-up (its relocations and constructors),
// also those that never compute a digest (`hashguard version`, hashing a
// photo, a scanner with PDQ lists only). Only <openssl/evp.h>'s declarations
// are used here (for the function types); nothing links against it.
//
// Fails closed: when libcrypto cannot be loaded, every digest is an internal
// error naming the library and dlerror()'s reason, so a scan needing one
// gives an error verdict, never "no match".
#include <dlfcn.h>
#include <openssl/evp.h>

#include <string>

#include "common/errors.hpp"
#include "common/fault.hpp"
#include "hashguard/lists.hpp"

#ifndef HASHGUARD_LIBCRYPTO_SONAME
#define HASHGUARD_LIBCRYPTO_SONAME "libcrypto.so.3"
#endif

namespace hashguard {

namespace {

struct Crypto {
    decltype(&::EVP_Digest) digest = nullptr;
    decltype(&::EVP_md5) md5 = nullptr;
    decltype(&::EVP_sha1) sha1 = nullptr;
    decltype(&::EVP_sha256) sha256 = nullptr;
    std::string error;  // why it could not be loaded ("" when loaded)
};

template <class F>
bool bind(void* lib, const char* name, F& out, std::string& error) {
    out = reinterpret_cast<F>(::dlsym(lib, name));
    if (!out) error = std::string(HASHGUARD_LIBCRYPTO_SONAME " has no ") + name;
    return out != nullptr;
}

Crypto load() {
    Crypto c;
    // The soname found at build time, then OpenSSL 3's. Never unloaded: the
    // handle lives as long as the process.
    void* lib = nullptr;
    for (const char* name : {HASHGUARD_LIBCRYPTO_SONAME, "libcrypto.so.3"}) {
        lib = ::dlopen(name, RTLD_NOW | RTLD_LOCAL);
        if (lib) break;
        const char* why = ::dlerror();
        c.error += std::string(c.error.empty() ? "cannot load " : "; ") + name + ": " + (why ? why : "unknown reason");
    }
    if (!lib) return c;
    c.error.clear();
    if (!bind(lib, "EVP_Digest", c.digest, c.error) || !bind(lib, "EVP_md5", c.md5, c.error) ||
        !bind(lib, "EVP_sha1", c.sha1, c.error) || !bind(lib, "EVP_sha256", c.sha256, c.error))
        c.digest = nullptr;
    return c;
}

// Loaded once per process (thread-safe static initialisation); a failure is
// kept too, so a missing library is not searched for on every attachment.
const Crypto& crypto() noexcept {
    static const Crypto c = [] {
        try {
            return load();
        } catch (...) {  // std::bad_alloc building a message
            return Crypto{};
        }
    }();
    return c;
}

}  // namespace

Error compute_digest(HashKind kind, const void* data, std::size_t len, Digest& out) noexcept {
    return detail::guard([&]() -> Error {
        if (detail::inject_fault(detail::FaultSite::digest))
            return detail::injected_failure(detail::FaultSite::digest);
        out = Digest{};
        out.kind = kind;
        if (!data && len) return {Status::invalid_argument, "null data pointer with non-zero length"};
        const Crypto& c = crypto();
        if (!c.digest)
            return {Status::internal, std::string("cannot compute ") + hash_kind_name(kind) + ": " +
                                          (c.error.empty() ? "libcrypto could not be loaded" : c.error)};
        const EVP_MD* md = kind == HashKind::md5      ? c.md5()
                           : kind == HashKind::sha1   ? c.sha1()
                           : kind == HashKind::sha256 ? c.sha256()
                                                      : nullptr;
        if (!md) return {Status::invalid_argument, std::string("no digest of kind ") + hash_kind_name(kind)};
        unsigned int n = 0;
        if (c.digest(data, len, out.bytes.data(), &n, md, nullptr) != 1 || n > out.bytes.size())
            return {Status::internal, std::string("libcrypto could not compute ") + hash_kind_name(kind)};
        out.size = static_cast<std::uint8_t>(n);
        return {};
    });
}

}  // namespace hashguard
