// hashguard command-line tool. Uses only the public API (scan and bench: the C API).
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <algorithm>
#include <memory>
#include <tuple>

#include "hashguard/image.hpp"
#include "hashguard/index.hpp"
#include "hashguard/lists.hpp"
#include "hashguard/pdq.hpp"
#include "cli/commands.hpp"

namespace {

using namespace hashguard;

const char* kUsage =
    "usage: hashguard <command> [options]\n"
    "\n"
    "commands:\n"
    "  hash [--dihedral] [--all-frames] [--no-resize] FILE...\n"
    "      Print the PDQ hash of each image, in the reference CLI's format:\n"
    "        hash,quality,path\n"
    "      or with --dihedral the 8 dihedral hashes:\n"
    "        orig,rot90,rot180,rot270,flipx,flipy,flipplus1,flipminus1,quality,path\n"
    "      FILE '-' reads further paths from standard input, one per line.\n"
    "      --all-frames  hash every frame of an animated GIF, printed as path#frameN\n"
    "                    (default: the first frame only, printed as path)\n"
    "      --no-resize   skip the reference's 512x512 pre-resize of large images\n"
    "      --fast        decode JPEGs scaled down in the DCT domain, luma only:\n"
    "                    several times faster, hashes a few bits from the reference's\n"
    "      --max-pixels N, --max-bytes N   decode limits (defaults 100000000, 268435456)\n"
    "      A file that cannot be hashed prints 'path: reason' on stderr; the\n"
    "      others continue. Exit status: 0 all hashed, 1 any failed, 2 usage.\n"
    "      Images under 5 px a side hash to all zeros with quality 0, as in the\n"
    "      reference; such hashes must never be matched against a list.\n"
    "  match --list LIST [--threshold N] [--min-quality Q] FILE...\n"
    "      Hash each image (all 8 dihedral variants) and compare it against a\n"
    "      hash list by linear scan; print one verdict line per file:\n"
    "        verdict,distance,transform,entry,path\n"
    "      verdict is match, no-match, low-quality (quality below Q, default 50)\n"
    "      or unhashable (under 5 px a side). LIST is a text list (bare hashes,\n"
    "      hash,metadata lines, or CSV with a header naming the hash column) or a\n"
    "      snapshot from 'list build'. Threshold default 31. Exit status: 0 no\n"
    "      match, 3 any match, 1 any file failed (and no match), 2 usage or list error.\n"
    "  list build IN... -o OUT [--exact] [--skip-bad-lines]\n"
    "      Parse text lists (or snapshots), merge duplicates, write a binary snapshot\n"
    "      (checksummed, loads by mmap). --exact: MD5/SHA-1/SHA-256 lists.\n"
    "  list info FILE\n"
    "      Verify a snapshot and print its kind, size and checksum.\n"
    "  decode FILE OUT.pnm\n"
    "      Write the pixels the hash is computed from (after decode, before the\n"
    "      pre-resize) as binary PNM, for comparing decoders.\n"
    "  scan [--lists CONFIG] [--threads N] [--fast] [-o OUT | --resume OUT] PATH...\n"
    "      Batch-scan files and directory trees against hash lists: JSON Lines (or CSV)\n"
    "      per file, progress and a summary on stderr, resumable. 'scan --help' for all.\n"
    "  bench [--images N] [--lists 1e5,1e6,1e7] [--threads N] [--json FILE]\n"
    "      Detection throughput on a generated corpus: images/s end to end, lookups/s\n"
    "      per list size, against TurboJPEG decode alone. 'bench --help' for all.\n"
    "  version\n"
    "      Print the library version.\n";

struct HashArgs {
    bool dihedral = false, all_frames = false;
    DecodeOptions decode;
    PdqOptions pdq;
    std::vector<std::string> paths;
};

bool parse_u64(const char* s, std::uint64_t& v) {
    char* end = nullptr;
    errno = 0;
    const unsigned long long x = std::strtoull(s, &end, 10);
    if (errno || !end || *end || s[0] == '-' || !s[0]) return false;
    v = x;
    return true;
}

void print_line(const PdqDihedral& h, bool dihedral, const std::string& label) {
    std::string line;
    line.reserve(600);
    const int n = dihedral ? 8 : 1;
    for (int t = 0; t < n; ++t) {
        line += h.hashes[t].to_hex();
        line += ',';
    }
    line += std::to_string(h.quality);
    line += ',';
    line += label;
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
}

// Hashes one file; returns false (after reporting) on failure.
bool hash_one(const std::string& path, const HashArgs& a, std::vector<std::uint8_t>& bytes, Image& img) {
    auto fail = [&](const Error& e) {
        std::fflush(stdout);
        std::fprintf(stderr, "%s: %s\n", path.c_str(), e.message.c_str());
        return false;
    };
    if (Error e = read_file(path, bytes, a.decode.max_input_bytes)) return fail(e);
    DecodeOptions opt = a.decode;
    PdqDihedral h;
    if (Error e = pdq_hash_bytes(bytes.data(), bytes.size(), h, opt, a.pdq)) return fail(e);
    int frames = 1;
    if (a.all_frames && sniff_format(bytes.data(), bytes.size()) == Format::gif) {
        if (Error e = decode_image(bytes.data(), bytes.size(), img, opt)) return fail(e);
        frames = img.frame_count;
    }
    for (int f = 0; f < frames; ++f) {
        if (f > 0) {
            opt.frame = f;
            if (Error e = pdq_hash_bytes(bytes.data(), bytes.size(), h, opt, a.pdq)) return fail(e);
        }
        print_line(h, a.dihedral, frames > 1 ? path + "#frame" + std::to_string(f) : path);
    }
    return true;
}

int cmd_hash(int argc, char** argv) {
    HashArgs a;
    for (int i = 0; i < argc; ++i) {
        const std::string s = argv[i];
        std::uint64_t v;
        if (s == "--dihedral") a.dihedral = true;
        else if (s == "--all-frames") a.all_frames = true;
        else if (s == "--no-resize") a.pdq.pre_resize = false;
        else if (s == "--fast") a.decode.fast = true;
        else if ((s == "--max-pixels" || s == "--max-bytes") && i + 1 < argc && parse_u64(argv[i + 1], v)) {
            if (s == "--max-pixels") a.decode.max_pixels = v;
            else a.decode.max_input_bytes = static_cast<std::size_t>(v);
            ++i;
        } else if (s == "-h" || s == "--help") {
            std::fputs(kUsage, stdout);
            return 0;
        } else if (s.size() > 1 && s[0] == '-') {
            std::fprintf(stderr, "hashguard hash: unknown or incomplete option '%s'\n%s", s.c_str(), kUsage);
            return 2;
        } else {
            a.paths.push_back(s);
        }
    }
    if (a.paths.empty()) {
        std::fprintf(stderr, "hashguard hash: no files given\n%s", kUsage);
        return 2;
    }
    std::vector<std::uint8_t> bytes;
    Image img;
    bool any_failed = false;
    for (const auto& p : a.paths) {
        if (p == "-") {
            std::string line;
            while (std::getline(std::cin, line)) {
                if (!line.empty() && line.back() == '\r') line.pop_back();
                if (line.empty()) continue;
                any_failed |= !hash_one(line, a, bytes, img);
            }
        } else {
            any_failed |= !hash_one(p, a, bytes, img);
        }
    }
    return any_failed ? 1 : 0;
}

int cmd_list(int argc, char** argv) {
    if (argc < 1) {
        std::fprintf(stderr, "hashguard list: need 'build' or 'info'\n");
        return 2;
    }
    const std::string sub = argv[0];
    if (sub == "info") {
        if (argc != 2) {
            std::fprintf(stderr, "hashguard list info: need FILE\n");
            return 2;
        }
        std::unique_ptr<Snapshot> snap;
        if (Error e = Snapshot::open(argv[1], snap)) {
            std::fprintf(stderr, "%s\n", e.message.c_str());
            return 1;
        }
        std::printf("%s: hashguard snapshot v1, %s list, %zu entries, %zu bytes, xxh3 %016llx (verified)\n", argv[1],
                    snap->kind() == ListKind::pdq ? "pdq" : "exact-hash", snap->size(), snap->file_bytes(),
                    static_cast<unsigned long long>(snap->checksum()));
        return 0;
    }
    if (sub != "build") {
        std::fprintf(stderr, "hashguard list: unknown subcommand '%s'\n", sub.c_str());
        return 2;
    }
    ListParseOptions opt;
    std::string out_path;
    std::vector<std::string> inputs;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "-o" && i + 1 < argc) out_path = argv[++i];
        else if (a == "--exact") opt.kind = ListKind::exact;
        else if (a == "--skip-bad-lines") opt.skip_bad_lines = true;
        else if (a.size() > 1 && a[0] == '-') {
            std::fprintf(stderr, "hashguard list build: unknown option '%s'\n", a.c_str());
            return 2;
        } else inputs.push_back(a);
    }
    if (out_path.empty() || inputs.empty()) {
        std::fprintf(stderr, "hashguard list build: need IN... -o OUT\n");
        return 2;
    }
    HashList all;
    all.kind = opt.kind;
    std::size_t merged = 0, bad = 0;
    for (const auto& in : inputs) {
        HashList l;
        ListParseReport rep;
        if (Error e = load_list_file(in, l, opt, &rep)) {
            std::fprintf(stderr, "%s\n", e.message.c_str());
            return 1;
        }
        for (const auto& p : rep.problems) std::fprintf(stderr, "skipped %s\n", p.c_str());
        bad += rep.bad_lines;
        merged += rep.duplicates_merged;
        std::size_t m = 0;
        if (Error e = merge_hash_lists(all, l, &m)) {
            std::fprintf(stderr, "%s\n", e.message.c_str());
            return 1;
        }
        merged += m;
    }
    if (Error e = save_snapshot(all, out_path)) {
        std::fprintf(stderr, "%s\n", e.message.c_str());
        return 1;
    }
    std::printf("%s: %zu entries from %zu input(s); %zu duplicates merged, %zu bad lines skipped\n", out_path.c_str(),
                all.size(), inputs.size(), merged, bad);
    return 0;
}

int cmd_match(int argc, char** argv) {
    std::string list_path;
    std::uint64_t threshold = 31, min_quality = 50;
    std::vector<std::string> paths;
    for (int i = 0; i < argc; ++i) {
        const std::string s = argv[i];
        if (s == "--list" && i + 1 < argc) list_path = argv[++i];
        else if (s == "--threshold" && i + 1 < argc && parse_u64(argv[i + 1], threshold) && threshold <= 256) ++i;
        else if (s == "--min-quality" && i + 1 < argc && parse_u64(argv[i + 1], min_quality) && min_quality <= 100) ++i;
        else if (s == "-h" || s == "--help") {
            std::fputs(kUsage, stdout);
            return 0;
        } else if (s.size() > 1 && s[0] == '-') {
            std::fprintf(stderr, "hashguard match: unknown or incomplete option '%s'\n", s.c_str());
            return 2;
        } else {
            paths.push_back(s);
        }
    }
    if (list_path.empty() || paths.empty()) {
        std::fprintf(stderr, "hashguard match: need --list LIST and at least one FILE\n");
        return 2;
    }
    HashList list;
    if (Error e = load_list_file(list_path, list, {}, nullptr)) {
        std::fprintf(stderr, "%s\n", e.message.c_str());
        return 2;
    }
    std::unique_ptr<PdqIndex> index;
    if (Error e = make_pdq_index("auto", list.pdq, index, static_cast<int>(threshold))) {
        std::fprintf(stderr, "%s: %s\n", list_path.c_str(), e.message.c_str());
        return 2;
    }
    std::vector<std::uint8_t> bytes;
    std::vector<IndexMatch> found;
    bool any_match = false, any_failed = false;
    for (const auto& path : paths) {
        PdqDihedral h;
        Error e = read_file(path, bytes);
        if (!e) e = pdq_hash_bytes(bytes.data(), bytes.size(), h);
        found.clear();
        if (!e) e = index->range_search(h.hashes.data(), 8, static_cast<int>(threshold), found);
        if (e) {
            std::fflush(stdout);
            std::fprintf(stderr, "%s: %s\n", path.c_str(), e.message.c_str());
            any_failed = true;
            continue;
        }
        if (h.degenerate || h.quality < static_cast<int>(min_quality)) {
            std::printf("%s,,,,%s\n", h.degenerate ? "unhashable" : "low-quality", path.c_str());
            continue;
        }
        // The closest match; ties to the earliest list entry, then transform order.
        const auto best = std::min_element(found.begin(), found.end(), [](const IndexMatch& a, const IndexMatch& b) {
            return std::tie(a.distance, a.entry, a.query) < std::tie(b.distance, b.entry, b.query);
        });
        if (best != found.end()) {
            any_match = true;
            std::printf("match,%u,%s,%s,%s\n", best->distance, transform_name(static_cast<Transform>(best->query)),
                        list.metadata[best->entry].c_str(), path.c_str());
        } else {
            std::printf("no-match,,,,%s\n", path.c_str());
        }
    }
    return any_match ? 3 : any_failed ? 1 : 0;
}

int cmd_decode(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "hashguard decode: need FILE OUT.pnm\n");
        return 2;
    }
    std::vector<std::uint8_t> bytes;
    Image img;
    Error e = read_file(argv[0], bytes);
    if (!e) e = decode_image(bytes.data(), bytes.size(), img);
    if (e) {
        std::fprintf(stderr, "%s: %s\n", argv[0], e.message.c_str());
        return 1;
    }
    std::FILE* f = std::fopen(argv[1], "wb");
    if (!f) {
        std::fprintf(stderr, "%s: cannot write: %s\n", argv[1], std::strerror(errno));
        return 1;
    }
    std::fprintf(f, "P%c\n%d %d\n255\n", img.channels == 1 ? '5' : '6', img.width, img.height);
    const bool ok = std::fwrite(img.pixels.data(), 1, img.pixels.size(), f) == img.pixels.size();
    if (std::fclose(f) != 0 || !ok) {
        std::fprintf(stderr, "%s: write failed\n", argv[1]);
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fputs(kUsage, stderr);
        return 2;
    }
    const std::string cmd = argv[1];
    if (cmd == "hash") return cmd_hash(argc - 2, argv + 2);
    if (cmd == "match") return cmd_match(argc - 2, argv + 2);
    if (cmd == "list") return cmd_list(argc - 2, argv + 2);
    if (cmd == "decode") return cmd_decode(argc - 2, argv + 2);
    if (cmd == "scan") return hgcli::cmd_scan(argc - 2, argv + 2);
    if (cmd == "bench") return hgcli::cmd_bench(argc - 2, argv + 2);
    if (cmd == "version" || cmd == "--version") {
        std::printf("hashguard %s (kernels: %s)\n", hashguard::version(), hashguard::active_kernel());
        return 0;
    }
    if (cmd == "-h" || cmd == "--help" || cmd == "help") {
        std::fputs(kUsage, stdout);
        return 0;
    }
    std::fprintf(stderr, "hashguard: unknown command '%s'\n%s", cmd.c_str(), kUsage);
    return 2;
}
