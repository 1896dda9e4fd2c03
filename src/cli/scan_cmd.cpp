// `hashguard scan`: option parsing and summary around run_batch().
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cli/batch.hpp"
#include "cli/commands.hpp"

namespace hgcli {

namespace {

const char* kScanUsage =
    "usage: hashguard scan [options] PATH...   (PATH '-' reads paths from stdin)\n"
    "  Scans every image file under the PATHs (directories are walked, non-media skipped\n"
    "  by magic bytes) against hash lists; one result per file as JSON Lines (default)\n"
    "  or CSV, then a summary on stderr.\n"
    "  --lists CONFIG      JSON lists config: {\"lists\":[{\"name\",\"path\",\"kind\",\n"
    "                      \"threshold\",\"min_quality\",\"role\"}]}\n"
    "  --list FILE         add a PDQ block list (name = file name); repeatable\n"
    "  --threads N         scan threads (default: one per core)\n"
    "  --readers N         file-reading threads (default 2)\n"
    "  --fast              fast JPEG mode (not reference-exact)\n"
    "  --format jsonl|csv  output format (default jsonl)\n"
    "  -o FILE             write results to FILE (default: stdout)\n"
    "  --resume FILE       append to FILE, skipping files already in it (after a kill)\n"
    "  --follow-symlinks   descend into symlinked directories (cycles are detected)\n"
    "  --all-files         scan non-image files too (for MD5/SHA lists)\n"
    "  --no-digests        skip MD5/SHA-256 unless a list needs them\n"
    "  --no-letterbox      do not also hash the inside of uniform borders\n"
    "  --max-bytes N, --max-pixels N   per-file limits (defaults 268435456, 100000000)\n"
    "  --max-memory N, --max-decode-ms N   decoder working memory and time per file\n"
    "                      (defaults 2147483648 bytes, 10000 ms; 0 ms = no time limit)\n"
    "  --cache N           seen-bytes cache entries: identical files are decoded once\n"
    "                      (default 4096; 0 disables)\n"
    "  --progress bar|lines|none       default: a bar on a terminal, else a line every 10 s\n"
    "  --progress-interval S           seconds between progress lines (default 10; the bar\n"
    "                                  redraws every 0.25 s or this, if shorter)\n"
    "  --quiet             no progress, no summary\n"
    "  --summary FILE      also write the summary as JSON\n"
    "  Exit status: 0 clean, 1 some files failed, 3 something matched, 4 matched and\n"
    "  failures, 130 interrupted (Ctrl-C; rerun with --resume), 2 usage or list error.\n";

bool parse_num(const char* s, long long lo, long long hi, long long& v) {
    char* end = nullptr;
    errno = 0;
    const long long x = std::strtoll(s, &end, 10);
    if (errno || !end || *end || !*s || x < lo || x > hi) return false;
    v = x;
    return true;
}

std::string base_name(const std::string& p) {
    const auto s = p.rfind('/');
    return s == std::string::npos ? p : p.substr(s + 1);
}

}  // namespace

int cmd_scan(int argc, char** argv) {
    BatchOptions opt;
    std::string config;
    std::vector<std::string> lists;
    bool fast = false, digests = true, letterbox = true;
    long long max_pixels = 100000000, threshold = -1, cache = 4096, max_memory = 2ll << 30, max_ms = 10000;
    for (int i = 0; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has = i + 1 < argc;
        long long v = 0;
        if (a == "--lists" && has) config = argv[++i];
        else if (a == "--list" && has) lists.push_back(argv[++i]);
        else if (a == "--threads" && has && parse_num(argv[i + 1], 1, 1024, v)) opt.threads = static_cast<int>(v), ++i;
        else if (a == "--readers" && has && parse_num(argv[i + 1], 1, 64, v)) opt.readers = static_cast<int>(v), ++i;
        else if (a == "--fast") fast = true;
        else if (a == "--format" && has && (std::strcmp(argv[i + 1], "csv") == 0 || std::strcmp(argv[i + 1], "jsonl") == 0))
            opt.csv = std::strcmp(argv[++i], "csv") == 0;
        else if (a == "-o" && has) opt.output = argv[++i];
        else if (a == "--resume" && has) opt.resume = argv[++i];
        else if (a == "--follow-symlinks") opt.follow_symlinks = true;
        else if (a == "--all-files") opt.all_files = true;
        else if (a == "--no-digests") digests = false;
        else if (a == "--no-letterbox") letterbox = false;
        else if (a == "--threshold" && has && parse_num(argv[i + 1], 0, 256, v)) threshold = v, ++i;
        else if (a == "--max-bytes" && has && parse_num(argv[i + 1], 1, 1ll << 40, v)) opt.max_bytes = static_cast<std::size_t>(v), ++i;
        else if (a == "--max-pixels" && has && parse_num(argv[i + 1], 1, 1ll << 40, v)) max_pixels = v, ++i;
        else if (a == "--progress" && has && std::strcmp(argv[i + 1], "bar") == 0) opt.progress = 1, ++i;
        else if (a == "--progress" && has && std::strcmp(argv[i + 1], "lines") == 0) opt.progress = 2, ++i;
        else if (a == "--progress" && has && std::strcmp(argv[i + 1], "none") == 0) opt.progress = 0, ++i;
        else if (a == "--progress-interval" && has && std::atof(argv[i + 1]) > 0) opt.log_interval_s = std::atof(argv[++i]);
        else if (a == "--max-memory" && has && parse_num(argv[i + 1], 1, 1ll << 50, v)) max_memory = v, ++i;
        else if (a == "--max-decode-ms" && has && parse_num(argv[i + 1], 0, 0xffffffffll, v)) max_ms = v, ++i;
        else if (a == "--cache" && has && parse_num(argv[i + 1], 0, 1ll << 30, v)) cache = v, ++i;
        else if (a == "--quiet" || a == "-q") opt.quiet = true;
        else if (a == "--summary" && has) opt.summary_json = argv[++i];
        else if (a == "-h" || a == "--help") {
            std::fputs(kScanUsage, stdout);
            return 0;
        } else if (a.size() > 1 && a[0] == '-') {
            std::fprintf(stderr, "hashguard scan: unknown or incomplete option '%s'\n%s", a.c_str(), kScanUsage);
            return 2;
        } else {
            opt.inputs.push_back(a);
        }
    }
    if (opt.inputs.empty()) {
        std::fprintf(stderr, "hashguard scan: no PATH given\n%s", kScanUsage);
        return 2;
    }
    if (!opt.output.empty() && !opt.resume.empty()) {
        std::fprintf(stderr, "hashguard scan: give either -o FILE or --resume FILE\n");
        return 2;
    }
    try {
        hg::Lists set;
        if (!config.empty()) hg::check(hg_lists_add_config(set.get(), config.c_str()));
        if (threshold >= 0) set.set_default(HG_LIST_THRESHOLD, threshold);
        for (const auto& l : lists) set.add_file(base_name(l), l, HG_KIND_PDQ);
        hg::Scanner scanner;
        scanner.set(HG_OPT_FAST, fast ? 1 : 0)
            .set(HG_OPT_LETTERBOX, letterbox ? 1 : 0)
            .set(HG_OPT_MAX_PIXELS, max_pixels)
            .set(HG_OPT_MAX_INPUT_BYTES, static_cast<long long>(opt.max_bytes))
            .set(HG_OPT_CACHE_ENTRIES, cache)
            .set(HG_OPT_MAX_MEMORY_BYTES, max_memory)
            .set(HG_OPT_MAX_DECODE_MS, max_ms)
            .set(HG_OPT_DIGESTS, digests ? (1 << HG_KIND_MD5) | (1 << HG_KIND_SHA256) : 0);
        scanner.set_lists(set);
        install_stop_handlers();
        BatchSummary s;
        const int rc = run_batch(scanner, opt, s);
        if (rc == 2) return 2;
        if (!opt.quiet) {
            std::string kinds;
            for (const auto& [k, v] : s.errors_by_kind) kinds += (kinds.empty() ? "" : ", ") + k + " " + std::to_string(v);
            std::fprintf(stderr,
                         "hashguard scan: %llu files in %.1f s (%.1f files/s, %.1f MB/s): %llu match, %llu allowed, "
                         "%llu no_match, %llu below_quality, %llu errors%s%s%s; skipped %llu non-media, %llu special, "
                         "%llu already in the output%s\n",
                         static_cast<unsigned long long>(s.files), s.elapsed_s,
                         s.elapsed_s > 0 ? s.files / s.elapsed_s : 0.0,
                         s.elapsed_s > 0 ? s.bytes / 1e6 / s.elapsed_s : 0.0,
                         static_cast<unsigned long long>(s.matched), static_cast<unsigned long long>(s.allowed),
                         static_cast<unsigned long long>(s.no_match), static_cast<unsigned long long>(s.below_quality),
                         static_cast<unsigned long long>(s.errors), kinds.empty() ? "" : " (", kinds.c_str(),
                         kinds.empty() ? "" : ")", static_cast<unsigned long long>(s.skipped_non_media),
                         static_cast<unsigned long long>(s.skipped_special),
                         static_cast<unsigned long long>(s.skipped_resumed),
                         s.interrupted ? "; INTERRUPTED: rerun with --resume to continue" : "");
        }
        if (!opt.summary_json.empty()) {
            std::FILE* f = std::fopen(opt.summary_json.c_str(), "w");
            if (!f || std::fprintf(f, "%s\n", s.to_json().c_str()) < 0 || std::fclose(f) != 0) {
                std::fprintf(stderr, "hashguard scan: cannot write %s\n", opt.summary_json.c_str());
                return 2;
            }
        }
        return rc;
    } catch (const hg::Error& e) {
        std::fprintf(stderr, "hashguard scan: %s\n", e.what());
        return 2;
    }
}

}  // namespace hgcli
