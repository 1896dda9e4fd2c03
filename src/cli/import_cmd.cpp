// `hashguard list import`: feeds as teams receive them (include/hashguard/
// import.hpp) into snapshots and a lists config, or into one snapshot.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "args.hpp"
#include "commands.hpp"
#include "hashguard/import.hpp"

namespace hgcli {

namespace {

using namespace hashguard;

const char* kFormats =
    "formats:\n"
    "  text           \"<type> <hash>\" lines (pdq md5 sha1 sha256 vpdq, HMA's video_md5 video_sha256 ...)\n"
    "  te-csv         ThreatExchange CSV export (NEGATIVE_CLASS -> allow list)\n"
    "  te-json        ThreatExchange threat_updates records (should_delete: tombstones)\n"
    "  ncmec-xml      NCMEC hash-sharing XML v2, images and videos (deletedImage/deletedVideo)\n"
    "  stopncii-json  StopNCII FetchHashes pages (hashStatus Withdrawn/Deleted: tombstones)\n"
    "  tat-json       Tech Against Terrorism TCAP hash lists (deleted: tombstones)\n"
    "  vpdq-json      one video per line: HMA's JSON array of frames, optionally \"<id><TAB>\" first\n"
    "  csv, json      any other feed through --map (GIFCT exports ...)\n"
    "\n"
    "Inputs are applied in order (later pages' tombstones remove earlier entries). All or\n"
    "nothing: a malformed record stops the import and nothing is written, unless --skip-bad.\n"
    "OUT is a directory (lists.json + pdq.snap, md5.snap, allow-pdq.snap, vpdq.txt ...: load it\n"
    "with 'hashguard scan --lists OUT/lists.json'), or a .snap file when one group results.\n";

void print_feed_report(const std::string& in, const FeedReport& rep) {
    std::printf("%s: %zu records, %zu hashes added, %zu tombstones", in.c_str(), rep.records, rep.additions,
                rep.tombstones);
    if (rep.bad_records) std::printf(", %zu bad records skipped", rep.bad_records);
    for (const auto& [kind, n] : rep.unsupported) std::printf(", %zu %s (not matchable here)", n, kind.c_str());
    std::printf("\n");
    if (!rep.checkpoint.empty()) std::printf("  checkpoint: %s\n", rep.checkpoint.c_str());
    if (rep.more) std::printf("  more records follow: %s\n", rep.next_page.c_str());
    for (const auto& p : rep.problems) std::fprintf(stderr, "skipped %s\n", p.c_str());
}

bool ends_with(const std::string& s, const char* suffix) {
    const std::string t(suffix);
    return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
}

// Writes the one group `only` names (or the only one there is) to a snapshot.
int write_one_snapshot(const ImportSet& set, const std::string& only, const std::string& out,
                       const ImportWriteOptions& wo) {
    const auto groups = set.groups();
    std::vector<ImportGroup> pick;
    for (const auto& g : groups) {
        const std::string name = std::string(g.allow ? "allow-" : "") + hash_kind_name(g.kind);
        if (only.empty() || only == name) pick.push_back(g);
    }
    if (pick.size() != 1) {
        std::string names;
        for (const auto& g : groups) names += std::string(" ") + (g.allow ? "allow-" : "") + hash_kind_name(g.kind);
        std::fprintf(stderr, "hashguard list import: %s names one snapshot, the import has the groups:%s%s\n",
                     out.c_str(), names.empty() ? " (none)" : names.c_str(),
                     pick.empty() ? "" : "; pick one with --only GROUP, or give a directory");
        return 1;
    }
    if (pick[0].kind == HashKind::vpdq)
        return std::fprintf(stderr, "hashguard list import: vPDQ lists are text; give a directory\n"), 1;
    HashList list;
    Error e = set.to_list(pick[0].allow, pick[0].kind, list);
    SnapshotOptions so;
    so.index = pick[0].kind == HashKind::pdq ? wo.index : "none";
    so.radius = wo.threshold;
    if (!e) e = save_snapshot(list, out, so);
    const std::size_t n = list.size();
    secure_clear(list);
    if (e) return std::fprintf(stderr, "%s\n", e.message.c_str()), 1;
    std::printf("%s: %zu entries\n", out.c_str(), n);
    return 0;
}

}  // namespace

int list_import(int argc, char** argv) {
    std::string format, out, map, only;
    std::vector<std::string> inputs;
    FeedOptions fo;
    ImportWriteOptions wo;
    long long threshold = 31;
    Args args("hashguard list import", "--format F IN... -o OUT",
              "Imports hash-list feeds with their provenance (source, id, timestamps, labels such as\n"
              "NCMEC's classification: returned with every match) into snapshots a scanner loads.",
              kFormats);
    args.text("-f,--format", "F", format, "the feed format (required; list below)")
        .text("-o,--output", "OUT", out, "directory to write, or a .snap file (required)")
        .text("--source", "NAME", fo.source, "provenance name of the entries (default: the feed's: ncmec, stopncii ...)")
        .text("--map", "SPEC", map, "csv/json: hash=COL,type=COL|kind=K,id=COL,deleted=COL,labels=A|B,records=KEY")
        .text("--name", "NAME", wo.name, "list names in lists.json: NAME-pdq, NAME-allow-md5 ... (default: imported)")
        .text("--only", "GROUP", only, "with a .snap OUT: the group to write (pdq, md5, allow-pdq ...)")
        .text("--index", "SPEC", wo.index, "PDQ snapshots' stored index (auto, mih, scan, none; default auto)")
        .integer("--threshold", "R", threshold, 0, 256, "PDQ/vPDQ match distance in lists.json (default 31)")
        .flag("--skip-bad", fo.skip_bad_records, "skip malformed records (counted) instead of refusing the import")
        .operands("IN", inputs, 1);
    if (const int rc = args.parse(argc, argv); rc >= 0) return rc;
    if (format.empty() || out.empty())
        return std::fprintf(stderr, "hashguard list import: --format and -o are required\n"), 2;
    if (!feed_format_from_name(format, fo.format))
        return std::fprintf(stderr, "hashguard list import: unknown format '%s'\n%s", format.c_str(), kFormats), 2;
    if (!map.empty()) {
        if (Error e = parse_column_mapping(map, fo.mapping)) return std::fprintf(stderr, "%s\n", e.message.c_str()), 2;
    }
    wo.threshold = static_cast<int>(threshold);
    const auto t0 = std::chrono::steady_clock::now();
    ImportSet set;
    for (const auto& in : inputs) {
        FeedReport rep;
        if (Error e = set.apply_file(in, fo, &rep)) return std::fprintf(stderr, "%s\n", e.message.c_str()), 1;
        print_feed_report(in, rep);
    }
    const auto t1 = std::chrono::steady_clock::now();
    if (ends_with(out, ".snap")) return write_one_snapshot(set, only, out, wo);
    std::vector<std::string> written;
    if (Error e = set.write(out, wo, &written)) return std::fprintf(stderr, "%s\n", e.message.c_str()), 1;
    const auto t2 = std::chrono::steady_clock::now();
    std::printf("read in %.2f s, written in %.2f s\n", std::chrono::duration<double>(t1 - t0).count(),
                std::chrono::duration<double>(t2 - t1).count());
    for (const auto& g : set.groups())
        std::printf("%s%s: %zu entries\n", g.allow ? "allow-" : "", hash_kind_name(g.kind), g.entries);
    std::printf("wrote %zu files; scan with: hashguard scan --lists %s/lists.json PATH...\n", written.size(),
                out.c_str());
    return 0;
}

}  // namespace hgcli
