// Shared by the store's parts: lock numbers and the schema.
#pragma once
#include "store.hpp"

namespace hashguard::store {

/// pg_advisory_*lock(kLockSpace, n): the publisher lock (one publisher at a
/// time) and the writer lock (imports, publish and init run one at a time).
inline constexpr int kLockSpace = 0x68670001;  // "hg" + 1
inline constexpr int kPublisherLock = 1;
inline constexpr int kWriterLock = 2;

}  // namespace hashguard::store
