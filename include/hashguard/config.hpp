// hashguard — build configuration shared by the public C++ headers.
#pragma once

#define HASHGUARD_VERSION_MAJOR 0
#define HASHGUARD_VERSION_MINOR 2
#define HASHGUARD_VERSION_PATCH 0
#define HASHGUARD_VERSION_STRING "0.2.0"

// The library is built with hidden visibility; only what carries this is exported.
#define HASHGUARD_API __attribute__((visibility("default")))

namespace hashguard {
/// Runtime version of the linked library ("major.minor.patch"); compare with
/// HASHGUARD_VERSION_STRING to detect a header/library mismatch.
HASHGUARD_API const char* version() noexcept;
}  // namespace hashguard
