// Reloads as a long-running scanner sees them (the C API), one program, one
// run: replacing a small list beside a big one, a delta of additions to the
// big one becoming visible, the big list as a snapshot that stores its index
// (built from binary hashes, opened, looked up), a directory of published
// versions followed (hg_lists_follow_dir), and the process's memory over many
// reloads of a list file (the upload server's /admin/reload) and over many
// followed versions. Prints a table and JSON.
//
//   build/bench/bench_reload [--big N] [--reloads R] [--reload-list M] [--versions V]
//   (defaults: --big 10000000 --reloads 1000 --reload-list 100000 --versions 1000)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "hashguard/hashguard.hpp"
#include "hashguard/lists.hpp"

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

long rss_kib() {
    std::ifstream f("/proc/self/statm");
    long pages = 0, resident = 0;
    f >> pages >> resident;
    return resident * 4;
}

struct Rng {
    std::uint64_t s;
    std::uint64_t next() {
        std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
};

std::string hex64(Rng& r) {
    char b[80];
    std::snprintf(b, sizeof b, "%016llx%016llx%016llx%016llx", static_cast<unsigned long long>(r.next()),
                  static_cast<unsigned long long>(r.next()), static_cast<unsigned long long>(r.next()),
                  static_cast<unsigned long long>(r.next()));
    return b;
}

std::string lines(Rng& r, std::size_t n) {
    std::string s;
    s.reserve(n * 70);
    for (std::size_t i = 0; i < n; ++i) s += hex64(r) + "\n";
    return s;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

std::vector<unsigned char> random_hashes(std::size_t n, Rng& r) {
    std::vector<unsigned char> hashes(n * 32);
    for (std::size_t k = 0; k < hashes.size(); k += 8) {
        const std::uint64_t v = r.next();
        std::memcpy(&hashes[k], &v, 8);
    }
    return hashes;
}

// The big list (binary hashes) and a small allow list; returns the first set_lists' time.
double load(hg::Scanner& s, hg::Lists& lists, const std::vector<unsigned char>& hashes, std::size_t big, Rng& r) {
    const auto t0 = Clock::now();
    lists.add_binary("big", hashes.data(), big, HG_KIND_PDQ);
    lists.add_text("small", lines(r, 100), HG_KIND_PDQ).set("small", HG_LIST_ROLE, HG_ROLE_ALLOW);
    s.set_lists(lists);
    return ms_since(t0);
}

// Microseconds per hg_scan_hash of `queries` (PDQ, one lookup each).
double us_per_lookup(const hg::Scanner& s, const std::vector<unsigned char>& queries) {
    const std::size_t n = queries.size() / 32;
    const auto t0 = Clock::now();
    std::size_t matched = 0;
    for (std::size_t i = 0; i < n; ++i)
        matched += s.scan_hash(HG_KIND_PDQ, &queries[32 * i], 32).verdict() == HG_VERDICT_MATCH;
    const double us = 1000 * ms_since(t0) / static_cast<double>(n);
    if (matched != n) throw hg::Error(HG_ERR_INTERNAL, "a planted query did not match");
    return us;
}

// The big list as a snapshot with its index: built from binary hashes (as
// `hashguard list build --binary` does), then opened by a scanner (map,
// checksum, checks; nothing built), and lookups through the stored index
// beside the built one (`built`: a scanner over the same hashes).
void snapshot_section(const std::vector<unsigned char>& hashes, std::size_t big, const hg::Scanner& built, Rng& r) {
    const std::string bin = "/tmp/hashguard-reload-bench.bin", snap = "/tmp/hashguard-reload-bench.snap";
    { std::ofstream(bin, std::ios::binary).write(reinterpret_cast<const char*>(hashes.data()), static_cast<std::streamsize>(hashes.size())); }
    auto t0 = Clock::now();
    hashguard::HashList list;
    if (hashguard::Error e = hashguard::load_binary_hashes(bin, list)) throw hg::Error(HG_ERR_IO, e.message);
    const double read_ms = ms_since(t0);
    hashguard::SnapshotOptions opt;
    opt.index = "auto";
    if (hashguard::Error e = hashguard::save_snapshot(list, snap, opt)) throw hg::Error(HG_ERR_IO, e.message);
    const double build_ms = ms_since(t0);
    hashguard::secure_clear(list);
    std::remove(bin.c_str());
    std::vector<double> open_ms;
    std::unique_ptr<hg::Scanner> opened;
    for (int k = 0; k < 5; ++k) {
        t0 = Clock::now();
        hg::Lists l;
        l.add_file("big", snap, HG_KIND_PDQ);
        auto sc = std::make_unique<hg::Scanner>();
        sc->set_lists(l);
        open_ms.push_back(ms_since(t0));
        opened = std::move(sc);
    }
    std::unique_ptr<hashguard::Snapshot> info;
    if (hashguard::Error e = hashguard::Snapshot::open(snap, info)) throw hg::Error(HG_ERR_IO, e.message);
    // Queries: listed hashes with 0..15 bits flipped (all match at 31).
    std::vector<unsigned char> q(2000 * 32);
    for (std::size_t i = 0; i < 2000; ++i) {
        std::memcpy(&q[32 * i], &hashes[32 * (r.next() % big)], 32);
        for (int f = static_cast<int>(r.next() % 16); f > 0; --f) q[32 * i + r.next() % 32] ^= static_cast<unsigned char>(1u << (r.next() % 8));
    }
    double stored_us[3], built_us[3];
    for (int k = 0; k < 3; ++k) {
        stored_us[k] = us_per_lookup(*opened, q);
        built_us[k] = us_per_lookup(built, q);
    }
    std::sort(stored_us, stored_us + 3);
    std::sort(built_us, built_us + 3);
    std::printf("snapshot of %zu hashes with its index (%s): built from binary hashes in %.0f ms (%.0f ms reading "
                "them), %zu bytes = %.1f B/hash\n",
                big, info->index_kind().c_str(), build_ms, read_ms, info->file_bytes(),
                static_cast<double>(info->file_bytes()) / static_cast<double>(big));
    std::printf("open it in a scanner (map + checksum + checks, no build): median %.1f ms (5 runs)\n", median(open_ms));
    std::printf("hg_scan_hash through the stored index %.1f us, through a built one %.1f us (medians of 3 x 2000)\n",
                stored_us[1], built_us[1]);
    std::printf("{\"snapshot_build_ms\":%.1f,\"snapshot_bytes_per_hash\":%.1f,\"snapshot_open_ms\":%.1f,"
                "\"lookup_stored_us\":%.2f,\"lookup_built_us\":%.2f}\n",
                build_ms, static_cast<double>(info->file_bytes()) / static_cast<double>(big), median(open_ms),
                stored_us[1], built_us[1]);
    std::remove(snap.c_str());
}

// A directory of published versions as `hashguard store sync` writes it
// (CURRENT, v<N>/lists.json, a base snapshot, delta files), followed by a
// scanner (hg_lists_follow_dir + hg_scanner_set_lists): the first follow, a
// version adding 10^4 hashes to the big list becoming visible, and the RSS
// over `versions` small versions (10 additions, the previous 10 removed).
void follow_section(const std::vector<unsigned char>& hashes, std::size_t big, int versions, Rng& r) {
    const std::string dir = "/tmp/hashguard-follow-bench";
    std::system(("rm -rf " + dir + " && mkdir -p " + dir + "/lists").c_str());
    hashguard::HashList list;
    list.pdq.resize(big);
    for (std::size_t i = 0; i < big; ++i) list.pdq[i] = hashguard::Hash256::from_bytes(&hashes[32 * i]);
    list.ids.resize(big);
    list.metadata.resize(big);
    for (std::size_t i = 0; i < big; ++i) list.ids[i] = std::to_string(i + 1);
    hashguard::SnapshotOptions so;
    so.index = "auto";
    if (hashguard::Error e = hashguard::save_snapshot(list, dir + "/lists/big-base.snap", so)) throw hg::Error(HG_ERR_IO, e.message);
    hashguard::secure_clear(list);
    std::vector<std::string> deltas;
    auto publish = [&](int v, const std::string& delta_text) {
        if (!delta_text.empty()) {
            const std::string name = std::string("big-delta-").append(std::to_string(v)).append(".txt");
            deltas.push_back(std::string("../lists/").append(name));
            std::ofstream(std::string(dir).append("/lists/").append(name)) << delta_text;
        }
        std::string d;
        for (const auto& x : deltas) d.append(d.empty() ? "\"" : ", \"").append(x).append("\"");
        const std::string vdir = std::string(dir).append("/v").append(std::to_string(v));
        std::system(std::string("mkdir -p ").append(vdir).c_str());
        std::ofstream(std::string(vdir).append("/lists.json"))
            << "{\"lists\": [{\"name\": \"big\", \"path\": \"../lists/big-base.snap\", \"deltas\": [" << d << "]}]}\n";
        std::ofstream(dir + "/CURRENT.tmp") << v << " v" << v << "\n";
        std::rename((dir + "/CURRENT.tmp").c_str(), (dir + "/CURRENT").c_str());
    };
    publish(1, "");
    hg::Scanner s;
    hg::Lists l;
    auto t0 = Clock::now();
    l.follow_dir(dir);
    s.set_lists(l);
    const double first_ms = ms_since(t0);
    std::vector<double> add_ms;
    int v = 1;
    for (int k = 0; k < 5; ++k) {
        publish(++v, lines(r, 10000));
        t0 = Clock::now();
        if (!l.follow_dir(dir)) throw hg::Error(HG_ERR_INTERNAL, "a published version was not picked up");
        s.set_lists(l);
        add_ms.push_back(ms_since(t0));
    }
    std::string prev;
    long rss10 = 0;
    for (int k = 1; k <= versions; ++k) {
        std::string text = lines(r, 10);
        std::string delta = text;
        for (std::size_t p = 0; p < prev.size(); p = prev.find('\n', p) + 1) delta.append("-").append(prev, p, 65);
        prev = text;
        publish(++v, delta);
        if (!l.follow_dir(dir)) throw hg::Error(HG_ERR_INTERNAL, "a published version was not picked up");
        s.set_lists(l);
        if (k == 10) rss10 = rss_kib();
    }
    const long rss_end = rss_kib();
    std::system(("rm -rf " + dir).c_str());
    std::printf("followed directory: first follow of the %zu-hash snapshot %.0f ms; a version of 10^4 additions "
                "visible to scans after follow + set_lists: median %.1f ms (5 versions)\n",
                big, first_ms, median(add_ms));
    std::printf("RSS over %d followed versions (10 additions, 10 removals each): %ld KiB after 10, %ld KiB after %d "
                "(%+.1f%%)\n", versions, rss10, rss_end, versions, 100.0 * (rss_end - rss10) / rss10);
    std::printf("{\"follow_first_ms\":%.1f,\"follow_additions_1e4_ms\":%.1f,\"follow_versions\":%d,"
                "\"follow_rss_after_10_kib\":%ld,\"follow_rss_after_all_kib\":%ld}\n",
                first_ms, median(add_ms), versions, rss10, rss_end);
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t big = 10000000, reload_list = 100000;
    int reloads = 1000, versions = 1000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--big")) big = std::strtoull(argv[i + 1], nullptr, 10);
        else if (!std::strcmp(argv[i], "--reloads")) reloads = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--reload-list")) reload_list = std::strtoull(argv[i + 1], nullptr, 10);
        else if (!std::strcmp(argv[i], "--versions")) versions = std::atoi(argv[i + 1]);
    }
    try {
        Rng r{7};
        hg::Scanner s;
        hg::Lists lists;
        const std::vector<unsigned char> hashes = random_hashes(big, r);
        const double first_ms = load(s, lists, hashes, big, r);
        hg::Scanner plain;  // the same hashes, no deltas: the stored index's peer (its index found by content)
        {
            hg::Lists same;
            same.add_binary("big", hashes.data(), big, HG_KIND_PDQ);
            plain.set_lists(same);
        }
        std::vector<double> replace_ms, delta_ms;
        for (int k = 0; k < 15; ++k) {  // replace the small list; the big one keeps its index
            const auto t0 = Clock::now();
            lists.remove("small").add_text("small", lines(r, 100), HG_KIND_PDQ).set("small", HG_LIST_ROLE, HG_ROLE_ALLOW);
            s.set_lists(lists);
            replace_ms.push_back(ms_since(t0));
        }
        for (int k = 0; k < 5; ++k) {  // 10^4 additions to the big list, visible to scans
            const std::string delta = lines(r, 10000);
            const auto t0 = Clock::now();
            lists.apply_delta("big", delta, "delta.txt");
            s.set_lists(lists);
            delta_ms.push_back(ms_since(t0));
        }
        std::printf("hashguard reload bench: kernel %s\n", hg_kernel());
        std::printf("first load of %zu hashes (+ a 100-hash list): %.0f ms\n", big, first_ms);
        std::printf("replace the 100-hash list beside it: median %.2f ms (15 runs)\n", median(replace_ms));
        std::printf("10^4 additions to the big list, visible to scans: median %.1f ms (5 runs)\n", median(delta_ms));

        snapshot_section(hashes, big, plain, r);
        follow_section(hashes, big, versions, r);

        // Memory over reloads of a list file, as the upload server does.
        const std::string path = "/tmp/hashguard-reload-bench.txt";
        { std::ofstream(path) << lines(r, reload_list); }
        hg::Scanner s2;
        long rss10 = 0, rss_end = 0;
        for (int k = 1; k <= reloads; ++k) {
            hg::Lists l;
            l.add_file("list", path, HG_KIND_PDQ);
            s2.set_lists(l);
            if (k == 10) rss10 = rss_kib();
        }
        rss_end = rss_kib();
        std::remove(path.c_str());
        std::printf("RSS over %d reloads of a %zu-hash list file: %ld KiB after 10, %ld KiB after %d (%+.1f%%)\n",
                    reloads, reload_list, rss10, rss_end, reloads, 100.0 * (rss_end - rss10) / rss10);
        std::printf("{\"kernel\":\"%s\",\"big\":%zu,\"first_load_ms\":%.1f,\"replace_small_ms\":%.2f,"
                    "\"additions_1e4_ms\":%.1f,\"reloads\":%d,\"rss_after_10_kib\":%ld,\"rss_after_all_kib\":%ld}\n",
                    hg_kernel(), big, first_ms, median(replace_ms), median(delta_ms), reloads, rss10, rss_end);
        return 0;
    } catch (const hg::Error& e) {
        std::fprintf(stderr, "bench_reload: %s\n", e.what());
        return 2;
    }
}
