// `hashguard list build|info`: binary list snapshots through the public C++
// API (include/hashguard/lists.hpp).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "args.hpp"
#include "commands.hpp"
#include "hashguard/lists.hpp"

namespace hgcli {

namespace {

using namespace hashguard;

int list_info(int argc, char** argv) {
    std::vector<std::string> files;
    Args args("hashguard list info", "FILE", "Verifies a snapshot and prints its kind, size and checksum.");
    args.operands("FILE", files, 1);
    if (const int rc = args.parse(argc, argv); rc >= 0) return rc;
    int rc = 0;
    for (const auto& f : files) {
        std::unique_ptr<Snapshot> snap;
        if (Error e = Snapshot::open(f, snap)) {
            std::fprintf(stderr, "%s\n", e.message.c_str());
            rc = 1;
            continue;
        }
        std::printf("%s: hashguard snapshot v1, %s list, %zu entries, %zu bytes, xxh3 %016llx (verified)\n", f.c_str(),
                    snap->kind() == ListKind::pdq ? "pdq" : "exact-hash", snap->size(), snap->file_bytes(),
                    static_cast<unsigned long long>(snap->checksum()));
    }
    return rc;
}

int list_build(int argc, char** argv) {
    std::string out_path;
    std::vector<std::string> inputs;
    bool exact = false;
    ListParseOptions opt;
    Args args("hashguard list build", "IN... -o OUT",
              "Parses text lists (or snapshots), merges duplicates, writes a binary snapshot\n"
              "(checksummed, loads by mmap).");
    args.text("-o,--output", "OUT", out_path, "the snapshot to write (required)")
        .flag("--exact", exact, "MD5/SHA-1/SHA-256 lists (default: PDQ)")
        .flag("--skip-bad-lines", opt.skip_bad_lines, "skip malformed lines instead of refusing the list")
        .flag("--allow-empty", opt.allow_empty, "accept inputs with no entries")
        .operands("IN", inputs, 1);
    if (const int rc = args.parse(argc, argv); rc >= 0) return rc;
    if (out_path.empty()) return std::fprintf(stderr, "hashguard list build: -o OUT is required\n"), 2;
    opt.kind = exact ? ListKind::exact : ListKind::pdq;
    HashList all;
    all.kind = opt.kind;
    std::size_t merged = 0, bad = 0;
    for (const auto& in : inputs) {
        HashList l;
        ListParseReport rep;
        std::size_t m = 0;
        Error e = load_list_file(in, l, opt, &rep);
        if (!e && all.size() == 0) std::swap(all, l);  // the first input: nothing to merge with
        else if (!e) e = merge_hash_lists(all, l, &m);
        secure_clear(l);
        if (e) return std::fprintf(stderr, "%s\n", e.message.c_str()), 1;
        for (const auto& p : rep.problems) std::fprintf(stderr, "skipped %s\n", p.c_str());
        bad += rep.bad_lines;
        merged += rep.duplicates_merged + m;
    }
    const Error e = save_snapshot(all, out_path);
    const std::size_t entries = all.size();
    secure_clear(all);
    if (e) return std::fprintf(stderr, "%s\n", e.message.c_str()), 1;
    std::printf("%s: %zu entries from %zu input(s); %zu duplicates merged, %zu bad lines skipped\n", out_path.c_str(),
                entries, inputs.size(), merged, bad);
    return 0;
}

}  // namespace

int cmd_list(int argc, char** argv) {
    const std::string sub = argc > 0 ? argv[0] : "";
    if (sub == "info") return list_info(argc - 1, argv + 1);
    if (sub == "build") return list_build(argc - 1, argv + 1);
    std::fprintf(stderr, "hashguard list: need 'build' or 'info' ('hashguard list build --help')\n");
    return sub == "-h" || sub == "--help" ? 0 : 2;
}

}  // namespace hgcli
