// hashguard — build configuration shared by the public C++ headers.
#pragma once

#include "hashguard/version.h"  // generated: HG_VERSION_MAJOR, _MINOR, _PATCH, _STRING, _NUMBER

#define HASHGUARD_VERSION_MAJOR HG_VERSION_MAJOR
#define HASHGUARD_VERSION_MINOR HG_VERSION_MINOR
#define HASHGUARD_VERSION_PATCH HG_VERSION_PATCH
#define HASHGUARD_VERSION_STRING HG_VERSION_STRING

// The library is built with hidden visibility; only what carries this is exported.
#define HASHGUARD_API __attribute__((visibility("default")))

namespace hashguard {
/// Runtime version of the linked library ("major.minor.patch"); compare with
/// HASHGUARD_VERSION_STRING to detect a header/library mismatch.
HASHGUARD_API const char* version() noexcept;
}  // namespace hashguard
