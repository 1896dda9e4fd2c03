// `hashguard match`: a formatter over the scanner (the C API): the verdicts,
// allow lists, letterbox handling and quality rules are the scanner's own.
#include <cstdio>
#include <string>
#include <vector>

#include "args.hpp"
#include "commands.hpp"
#include "hashguard/csv.hpp"
#include "hashguard/hashguard.hpp"
#include "hashguard/json.hpp"

namespace hgcli {

namespace {

struct MatchArgs {
    std::vector<std::string> block, allow, files;
    std::string config;
    long long threshold = 31, min_quality = 50;
    bool no_letterbox = false, fast = false, json = false;
};

// The match that decided the verdict: the closest of the deciding role.
const hg::MatchInfo* deciding(const std::vector<hg::MatchInfo>& ms, hg_verdict v) {
    const hg_role role = v == HG_VERDICT_ALLOWED ? HG_ROLE_ALLOW : HG_ROLE_BLOCK;
    const hg::MatchInfo* best = nullptr;
    for (const auto& m : ms)
        if (m.role == role && (!best || m.distance < best->distance)) best = &m;
    return best;
}

std::string verdict_line(const std::string& path, const hg::Result& r) {
    const auto ms = r.matches();
    const hg::MatchInfo* m = deciding(ms, r.verdict());
    std::string line = r.verdict_name();
    for (const std::string& f : {m ? std::to_string(m->distance) : std::string(), m ? m->transform : std::string(),
                                 m ? m->list : std::string(), m ? m->id : std::string(),
                                 m ? m->metadata : std::string(), path}) {
        line += ',';
        hashguard::csv::append_field(line, f);
    }
    return line + '\n';
}

std::string json_line(const std::string& path, const hg::Result& r) {
    std::string line;
    hashguard::json::Writer w(line);
    w.begin_object().field("path", path).members_of(r.json()).end_object();
    return line + '\n';
}

hg::Scanner make_scanner(const MatchArgs& a) {
    hg::Lists lists;
    lists.set_default(HG_LIST_THRESHOLD, a.threshold).set_default(HG_LIST_MIN_QUALITY, a.min_quality);
    if (!a.config.empty()) lists.add_config(a.config);
    for (const auto& f : a.block) lists.add_file(f, f, HG_KIND_PDQ);
    for (const auto& f : a.allow) lists.add_file(f, f, HG_KIND_PDQ).set(f, HG_LIST_ROLE, HG_ROLE_ALLOW);
    hg::Scanner s;
    s.set(HG_OPT_LETTERBOX, a.no_letterbox ? 0 : 1).set(HG_OPT_FAST, a.fast ? 1 : 0).set(HG_OPT_CACHE_ENTRIES, 0);
    s.set_lists(lists);
    return s;
}

}  // namespace

int cmd_match(int argc, char** argv) {
    MatchArgs a;
    Args args("hashguard match", "[--list FILE]... [--allow FILE]... [--lists CONFIG] [options] FILE...",
              "Scans each file against hash lists with the scanner (all 8 dihedral variants, the\n"
              "content inside letterbox borders, allow lists overriding block lists) and prints one\n"
              "line per file:  verdict,distance,transform,list,id,metadata,path\n"
              "verdict is the scanner's: match, allowed, no_match, below_quality or error (the\n"
              "reason then also on stderr); the other fields name the match that decided it.",
              "Exit status: 3 any match, else 1 any error, else 0; 2 usage or a list error.");
    args.texts("--list", "FILE", a.block, "a PDQ block list (text or snapshot); repeatable")
        .texts("--allow", "FILE", a.allow, "a PDQ allow list: its matches override block matches; repeatable")
        .text("--lists", "CONFIG", a.config, "a JSON lists config (as for 'hashguard scan')")
        .integer("--threshold", "N", a.threshold, 0, 256, "match at distance <= N (default 31)")
        .integer("--min-quality", "Q", a.min_quality, 0, 100, "skip images of lower PDQ quality (default 50)")
        .flag("--no-letterbox", a.no_letterbox, "do not also hash the content inside uniform borders")
        .flag("--fast", a.fast, "fast JPEG mode (not reference-exact)")
        .flag("--json", a.json, "print the scanner's JSON result per file instead")
        .operands("FILE", a.files, 1);
    if (const int rc = args.parse(argc, argv); rc >= 0) return rc;
    if (a.block.empty() && a.allow.empty() && a.config.empty())
        return std::fprintf(stderr, "hashguard match: give --list, --allow or --lists\n"), 2;
    hg::Scanner scanner;
    try {
        scanner = make_scanner(a);
    } catch (const hg::Error& e) {
        return std::fprintf(stderr, "%s\n", hg_last_error()), 2;
    }
    bool any_match = false, any_error = false;
    for (const auto& path : a.files) {
        hg_result* raw = nullptr;
        if (hg_scan_file(scanner.get(), path.c_str(), &raw) != HG_OK) {
            std::fprintf(stderr, "%s\n", hg_last_error());
            std::string line = "error,,,,,,";
            hashguard::csv::append_field(line, path);
            std::printf("%s\n", line.c_str());
            any_error = true;
            continue;
        }
        const hg::Result r(raw);
        any_match |= r.verdict() == HG_VERDICT_MATCH;
        any_error |= r.verdict() == HG_VERDICT_ERROR;
        if (r.verdict() == HG_VERDICT_ERROR) std::fprintf(stderr, "%s: %s\n", path.c_str(), r.error().c_str());
        const std::string line = a.json ? json_line(path, r) : verdict_line(path, r);
        std::fwrite(line.data(), 1, line.size(), stdout);
    }
    return any_match ? 3 : any_error ? 1 : 0;
}

}  // namespace hgcli
