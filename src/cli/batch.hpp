// `hashguard scan`: batch scanning of files and directory trees through the C
// API, pipelined (walk -> read -> scan -> write) with bounded queues.
#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hashguard/hashguard.hpp"

namespace hgcli {

struct BatchOptions {
    std::vector<std::string> inputs;  ///< files, directories, or "-" (paths on stdin)
    int threads = 0;                  ///< scan threads; 0 = one per core
    int readers = 2;                  ///< I/O threads
    bool csv = false;
    std::string output;               ///< file to write (truncated); empty = stdout
    std::string resume;               ///< file to append to, skipping paths already in it
    bool follow_symlinks = false;     ///< descend into symlinked directories (cycles detected)
    bool all_files = false;           ///< also scan files that are not images (exact-digest lists)
    bool videos = false;              ///< also scan videos (set when a vPDQ list is loaded)
    bool quiet = false;
    int progress = -1;                ///< -1 auto (terminal: bar, else log lines), 0 off, 1 bar, 2 lines
    double log_interval_s = 10;       ///< non-terminal progress line period
    std::string summary_json;         ///< write the summary as JSON here
    std::size_t max_bytes = std::size_t{256} << 20;
    std::size_t max_in_flight_bytes = std::size_t{256} << 20;  ///< read but not yet scanned
    std::size_t fsync_every_lines = 1000;
    double fsync_every_s = 5;
};

struct BatchSummary {
    std::uint64_t files = 0;           ///< results written this run
    std::uint64_t no_match = 0, matched = 0, allowed = 0, below_quality = 0, errors = 0;
    std::uint64_t skipped_non_media = 0, skipped_resumed = 0, skipped_special = 0;
    std::uint64_t bytes = 0;
    std::map<std::string, std::uint64_t> errors_by_kind;
    double elapsed_s = 0;
    bool interrupted = false;
    std::string to_json() const;
};

/// Runs a batch scan with `scanner` (lists and options already set). Returns
/// the exit status: 0 clean, 1 some files failed, 3 something matched, 4 both,
/// 130 interrupted, 2 on a setup error (message on stderr), including a thread
/// that could not be created.
int run_batch(hg::Scanner& scanner, const BatchOptions& opt, BatchSummary& summary);

/// Installs SIGINT/SIGTERM handlers that ask running batches to stop.
void install_stop_handlers();

}  // namespace hgcli
