// `hashguard list build|info` (import: import_cmd.cpp): binary list snapshots through the public C++
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
        const std::string index = snap->stored_index_outdated() ? "mih (version 2 layout, not used: built on load; "
                                                                  "'hashguard list build' stores it again)"
                                  : snap->index_kind().empty() ? "none"
                                                               : snap->index_kind();
        std::printf("%s: hashguard snapshot v%u, %s list, %zu entries, %zu bytes (%.1f per entry), index %s, %s ids, "
                    "xxh3 %016llx (verified)\n",
                    f.c_str(), snap->version(), snap->kind() == ListKind::pdq ? "pdq" : "exact-hash", snap->size(),
                    snap->file_bytes(),
                    snap->size() ? static_cast<double>(snap->file_bytes()) / static_cast<double>(snap->size()) : 0.0,
                    index.c_str(), snap->implicit_ids() ? "implicit" : "stored",
                    static_cast<unsigned long long>(snap->checksum()));
    }
    return rc;
}

int list_build(int argc, char** argv) {
    std::string out_path;
    std::vector<std::string> inputs;
    bool exact = false, binary = false;
    ListParseOptions opt;
    SnapshotOptions snap_opt;
    snap_opt.index = "auto";
    long long radius = 31;
    Args args("hashguard list build", "IN... -o OUT",
              "Parses text lists (or snapshots, or binary PDQ hashes), merges duplicates, writes a\n"
              "binary snapshot (checksummed, loads by mmap) with the PDQ index built, so that\n"
              "opening it builds nothing.");
    args.text("-o,--output", "OUT", out_path, "the snapshot to write (required)")
        .flag("--exact", exact, "MD5/SHA-1/SHA-256 lists (default: PDQ)")
        .flag("--binary", binary, "inputs are binary PDQ hashes, 32 bytes each (ids: 1-based positions)")
        .text("--index", "SPEC", snap_opt.index,
              "PDQ index to store: auto (default: what a scanner builds at --radius), mih, mih:<9..48>, scan, none")
        .integer("--radius", "R", radius, 0, 256, "the radius the list is matched at, for --index auto/mih (default 31)")
        .flag("--skip-bad-lines", opt.skip_bad_lines, "skip malformed lines instead of refusing the list")
        .flag("--allow-empty", opt.allow_empty, "accept inputs with no entries")
        .operands("IN", inputs, 1);
    if (const int rc = args.parse(argc, argv); rc >= 0) return rc;
    if (out_path.empty()) return std::fprintf(stderr, "hashguard list build: -o OUT is required\n"), 2;
    opt.kind = exact ? ListKind::exact : ListKind::pdq;
    snap_opt.radius = static_cast<int>(radius);
    if (exact && binary) return std::fprintf(stderr, "hashguard list build: --binary is for PDQ hashes\n"), 2;
    if (exact) snap_opt.index = "none";
    HashList all;
    all.kind = opt.kind;
    std::size_t merged = 0, bad = 0;
    for (const auto& in : inputs) {
        HashList l;
        ListParseReport rep;
        std::size_t m = 0;
        Error e = binary ? load_binary_hashes(in, l, &rep) : load_list_file(in, l, opt, &rep);
        if (!e && all.size() == 0) std::swap(all, l);  // the first input: nothing to merge with
        else if (!e) e = merge_hash_lists(all, l, &m);
        secure_clear(l);
        if (e) return std::fprintf(stderr, "%s\n", e.message.c_str()), 1;
        for (const auto& p : rep.problems) std::fprintf(stderr, "skipped %s\n", p.c_str());
        bad += rep.bad_lines;
        merged += rep.duplicates_merged + m;
    }
    const Error e = save_snapshot(all, out_path, snap_opt);
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
    if (sub == "import") return list_import(argc - 1, argv + 1);
    std::fprintf(stderr, "hashguard list: need 'build', 'import' or 'info' ('hashguard list build --help')\n");
    return sub == "-h" || sub == "--help" ? 0 : 2;
}

}  // namespace hgcli
