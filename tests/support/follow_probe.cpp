// A scanner process following a published directory, for the fleet test
// (tests/test_store.cpp): every INTERVAL_MS it brings its lists to the newest
// version (hg_lists_follow_dir + hg_scanner_set_lists) and scans the probe
// hashes. The publisher's rule: version V holds probe V (1-based) in every
// list and no other probe. Printed: "applied V" after a version is swapped in;
// "torn ..." when a probe matches some lists but not all (half a version);
// "stale ..." when, after version V is applied, a scan does not answer as V
// does. At end of input (stdin closed): "done V scans N", exit 0 when nothing
// was wrong, 1 otherwise.
//
//   follow_probe DIR INTERVAL_MS LISTS HEX...
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "hashguard/hashguard.hpp"

namespace {

std::vector<unsigned char> bytes_of(const std::string& hex) {
    std::vector<unsigned char> out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(static_cast<unsigned char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

// True while stdin is open; waits up to `ms` for it to close.
bool input_open(int ms) {
    pollfd p{0, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) return true;
    char c;
    return ::read(0, &c, 1) > 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: follow_probe DIR INTERVAL_MS LISTS [HEX...]\n");
        return 2;
    }
    const std::string dir = argv[1];
    const int interval = std::atoi(argv[2]);
    const std::size_t lists_per_version = static_cast<std::size_t>(std::atoi(argv[3]));
    std::vector<std::vector<unsigned char>> probes;
    for (int i = 4; i < argc; ++i) probes.push_back(bytes_of(argv[i]));
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    hg::Lists lists;
    hg::Scanner scanner;
    long long version = 0, scans = 0;
    bool bad = false;
    do {
        try {
            long long v = 0;
            if (lists.follow_dir(dir, &v)) {
                scanner.set_lists(lists);
                version = v;
                const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
                std::printf("applied %lld %lld\n", version, static_cast<long long>(ms));
            }
        } catch (const hg::Error& e) {
            std::printf("follow error: %s\n", e.what());  // the last version keeps serving
        }
        for (std::size_t i = 0; version > 0 && lists_per_version > 0 && i < probes.size(); ++i) {
            std::size_t n = 0;
            for (const auto& m : scanner.scan_hash(HG_KIND_PDQ, probes[i].data(), probes[i].size()).matches())
                n += m.distance == 0;
            ++scans;
            const std::size_t want = static_cast<long long>(i) + 1 == version ? lists_per_version : 0;
            if (n != 0 && n != lists_per_version) {
                std::printf("torn version %lld probe %zu: %zu lists\n", version, i + 1, n);
                bad = true;
            } else if (n != want) {
                std::printf("stale version %lld probe %zu: %zu lists, want %zu\n", version, i + 1, n, want);
                bad = true;
            }
        }
    } while (input_open(interval));
    std::printf("done %lld scans %lld\n", version, scans);
    return bad ? 1 : 0;
}
