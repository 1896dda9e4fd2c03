// `hashguard scan`: options and the summary around run_batch().
#include <cstdio>
#include <string>

#include "args.hpp"
#include "batch.hpp"
#include "commands.hpp"

namespace hgcli {

namespace {

struct ScanArgs {
    BatchOptions batch;
    std::string config;
    std::vector<std::string> lists;
    bool fast = false, digests = true, letterbox = true;
    long long max_pixels = 100000000, threshold = -1, cache = 4096, max_memory = 2ll << 30, max_ms = 10000;
    long long threads = 0, readers = 2, max_bytes = 256ll << 20;
    int format = 0;  // 0 jsonl, 1 csv
};

void declare(Args& args, ScanArgs& a) {
    BatchOptions& b = a.batch;
    args.text("--lists", "CONFIG", a.config, "JSON lists config: {\"lists\":[{\"name\",\"path\",\"kind\",\n"
                                             "\"threshold\",\"min_quality\",\"role\"}]}")
        .texts("--list", "FILE", a.lists, "add a PDQ block list (named by its path); repeatable")
        .integer("--threshold", "N", a.threshold, 0, 256, "default threshold of the lists (31)")
        .integer("--threads", "N", a.threads, 1, 1024, "scan threads (default: one per core)")
        .integer("--readers", "N", a.readers, 1, 64, "file-reading threads (default 2)")
        .flag("--fast", a.fast, "fast JPEG mode (not reference-exact)")
        .choice("--format", "jsonl|csv", a.format, {{"jsonl", 0}, {"csv", 1}}, "output format (default jsonl)")
        .text("-o,--output", "FILE", b.output, "write results to FILE (default: stdout)")
        .text("--resume", "FILE", b.resume, "append to FILE, skipping files already in it (after a kill)")
        .flag("--follow-symlinks", b.follow_symlinks, "descend into symlinked directories (cycles are detected)")
        .flag("--all-files", b.all_files, "scan non-image files too (for MD5/SHA lists)")
        .flag_value("--no-digests", a.digests, false, "skip MD5/SHA-256 unless a list needs them")
        .flag_value("--no-letterbox", a.letterbox, false, "do not also hash the inside of uniform borders")
        .integer("--max-bytes", "N", a.max_bytes, 1, 1ll << 40, "per-file size limit (default 268435456)")
        .integer("--max-pixels", "N", a.max_pixels, 1, 1ll << 40, "per-image pixel limit (default 100000000)")
        .integer("--max-memory", "N", a.max_memory, 1, 1ll << 50, "decoder working memory (default 2147483648)")
        .integer("--max-decode-ms", "N", a.max_ms, 0, 0xffffffffll, "decode time per file, 0 = none (default 10000)")
        .integer("--cache", "N", a.cache, 0, 1ll << 30,
                 "seen-bytes cache entries: identical files are decoded once\n(default 4096; 0 disables)")
        .choice("--progress", "bar|lines|none", b.progress, {{"bar", 1}, {"lines", 2}, {"none", 0}},
                "default: a bar on a terminal, else a line every 10 s")
        .real("--progress-interval", "S", b.log_interval_s, 0.001, 86400, "seconds between progress lines (10)")
        .flag("-q,--quiet", b.quiet, "no progress, no summary")
        .text("--summary", "FILE", b.summary_json, "also write the summary as JSON")
        .operands("PATH", b.inputs, 1);
}

hg::Scanner make_scanner(const ScanArgs& a, bool& videos) {
    hg::Lists set;
    if (a.threshold >= 0) set.set_default(HG_LIST_THRESHOLD, a.threshold);
    if (!a.config.empty()) set.add_config(a.config);
    for (const auto& l : a.lists) set.add_file(l, l, HG_KIND_PDQ);
    hg::Scanner scanner;
    scanner.set(HG_OPT_FAST, a.fast ? 1 : 0)
        .set(HG_OPT_LETTERBOX, a.letterbox ? 1 : 0)
        .set(HG_OPT_MAX_PIXELS, a.max_pixels)
        .set(HG_OPT_MAX_INPUT_BYTES, a.max_bytes)
        .set(HG_OPT_CACHE_ENTRIES, a.cache)
        .set(HG_OPT_MAX_MEMORY_BYTES, a.max_memory)
        .set(HG_OPT_MAX_DECODE_MS, a.max_ms)
        .set(HG_OPT_DIGESTS, a.digests ? HG_DIGEST_MD5 | HG_DIGEST_SHA256 : 0);
    scanner.set_lists(set);
    videos = false;  // videos are media once a list can match them: vPDQ, or a file digest (NCMEC's video MD5s)
    for (std::size_t i = 0; i < set.size(); ++i)
        if (set.get(hg_lists_name(set.get(), i), HG_LIST_KIND) != HG_KIND_PDQ) videos = true;
    return scanner;
}

void print_summary(const BatchSummary& s) {
    std::string kinds;
    for (const auto& [k, v] : s.errors_by_kind) kinds += (kinds.empty() ? "" : ", ") + k + " " + std::to_string(v);
    const auto u = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
    std::fprintf(stderr,
                 "hashguard scan: %llu files in %.1f s (%.1f files/s, %.1f MB/s): %llu match, %llu allowed, "
                 "%llu no_match, %llu below_quality, %llu errors%s%s%s; skipped %llu non-media, %llu special, "
                 "%llu already in the output%s\n",
                 u(s.files), s.elapsed_s, s.elapsed_s > 0 ? s.files / s.elapsed_s : 0.0,
                 s.elapsed_s > 0 ? s.bytes / 1e6 / s.elapsed_s : 0.0, u(s.matched), u(s.allowed), u(s.no_match),
                 u(s.below_quality), u(s.errors), kinds.empty() ? "" : " (", kinds.c_str(), kinds.empty() ? "" : ")",
                 u(s.skipped_non_media), u(s.skipped_special), u(s.skipped_resumed),
                 s.interrupted ? "; INTERRUPTED: rerun with --resume to continue" : "");
}

}  // namespace

int cmd_scan(int argc, char** argv) {
    ScanArgs a;
    Args args("hashguard scan", "[options] PATH...",
              "Scans every image file under the PATHs (directories are walked, non-media skipped by\n"
              "magic bytes; PATH '-' reads paths from stdin) against hash lists; one result per file\n"
              "as JSON Lines (default) or CSV, progress and a summary on stderr.",
              "Exit status: 0 clean, 1 some files failed, 3 something matched, 4 matched and\n"
              "failures, 130 interrupted (Ctrl-C; rerun with --resume), 2 usage or list error.");
    declare(args, a);
    if (const int rc = args.parse(argc, argv); rc >= 0) return rc;
    BatchOptions& b = a.batch;
    if (!b.output.empty() && !b.resume.empty())
        return std::fprintf(stderr, "hashguard scan: give either -o FILE or --resume FILE\n"), 2;
    b.csv = a.format == 1;
    b.threads = static_cast<int>(a.threads);
    b.readers = static_cast<int>(a.readers);
    b.max_bytes = static_cast<std::size_t>(a.max_bytes);
    hg::Scanner scanner = make_scanner(a, b.videos);
    install_stop_handlers();
    BatchSummary s;
    const int rc = run_batch(scanner, b, s);
    if (rc == 2) return 2;
    if (!b.quiet) print_summary(s);
    if (!b.summary_json.empty()) {
        std::FILE* f = std::fopen(b.summary_json.c_str(), "w");
        if (!f || std::fprintf(f, "%s\n", s.to_json().c_str()) < 0 || std::fclose(f) != 0)
            return std::fprintf(stderr, "hashguard scan: cannot write %s\n", b.summary_json.c_str()), 2;
    }
    return rc;
}

}  // namespace hgcli
