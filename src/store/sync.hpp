// `hashguard store sync`: published versions written to a directory that
// scanners follow without database credentials (layout: sync.cpp's top comment).
#pragma once
#include <string>

#include "hashguard/status.hpp"

namespace hashguard::store {

struct SyncOptions {
    std::string dsn, dir;
    bool follow = false;  ///< keep following (LISTEN + polling) until SIGTERM/SIGINT
    long long poll_ms = 1000;
    long long max_backoff_ms = 30000;
    /// Versions kept: older v<N> directories, and list files no kept version
    /// names, are removed after a new version is written.
    long long keep = 10;
    /// Where progress lines go (stdout) and staleness warnings (stderr); the
    /// CLI passes stdout/stderr, tests may pass null to stay quiet.
    void (*out)(const std::string& line) = nullptr;
    void (*warn)(const std::string& line) = nullptr;
};

/// Writes every published version newer than DIR/CURRENT; with `follow`,
/// keeps doing so until a SIGTERM or SIGINT (handled while it runs).
Error run_sync(const SyncOptions& options);

/// The version DIR/CURRENT names (0 when there is none yet).
Error current_version(const std::string& dir, long long& version, std::string& subdir);

}  // namespace hashguard::store
