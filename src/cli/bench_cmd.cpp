// `hashguard bench`: detection throughput on a generated corpus, reproducible
// anywhere (no input files): N procedurally generated JPEGs, lists of random
// PDQ hashes with planted near-copies of half the corpus, measured against
// TurboJPEG decoding the same bytes in the same process.
#include <turbojpeg.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli/batch.hpp"
#include "cli/commands.hpp"

namespace hgcli {

namespace {

using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::steady_clock;

const char* kBenchUsage =
    "usage: hashguard bench [options]\n"
    "  --images N          corpus size (default 48)\n"
    "  --size WxH          image size (default 1920x1080)\n"
    "  --lists A,B,...     list sizes (default 1e5,1e6; 1e7 needs ~1.5 GB and a minute)\n"
    "  --threads N         threads (default: one per core)\n"
    "  --seconds S         minimum time per measurement (default 2)\n"
    "  --json FILE         also write the figures as JSON\n"
    "  Prints a table and a JSON line. All figures come from one process: compare the\n"
    "  ratios (the 'vs decode' column), not absolute numbers across machines.\n";

struct Rng {
    std::uint64_t s;
    std::uint64_t next() {
        std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
};

// A photo-like test image: a smooth random colour field (bilinear over a coarse
// grid), a few oriented waves and a little noise; JPEG quality 90, 4:2:0.
Bytes make_jpeg(int w, int h, std::uint64_t seed) {
    Rng rng{seed};
    const int gw = 9, gh = 7;
    std::vector<float> grid(gw * gh * 3);
    for (auto& g : grid) g = static_cast<float>(rng.next() % 256);
    const float fx = 0.002f + (rng.next() % 100) * 0.0002f, fy = 0.003f + (rng.next() % 100) * 0.0002f;
    std::vector<unsigned char> px(static_cast<std::size_t>(w) * h * 3);
    for (int y = 0; y < h; ++y) {
        const float gy = static_cast<float>(y) * (gh - 1) / (h - 1);
        const int y0 = std::min(static_cast<int>(gy), gh - 2);
        const float ty = gy - y0;
        for (int x = 0; x < w; ++x) {
            const float gx = static_cast<float>(x) * (gw - 1) / (w - 1);
            const int x0 = std::min(static_cast<int>(gx), gw - 2);
            const float tx = gx - x0;
            const float wave = 30.0f * std::sin(fx * x * 6.28f + fy * y * 6.28f);
            for (int c = 0; c < 3; ++c) {
                auto g = [&](int xx, int yy) { return grid[(yy * gw + xx) * 3 + c]; };
                float v = (1 - ty) * ((1 - tx) * g(x0, y0) + tx * g(x0 + 1, y0)) +
                          ty * ((1 - tx) * g(x0, y0 + 1) + tx * g(x0 + 1, y0 + 1));
                v += wave + static_cast<float>(static_cast<int>(rng.next() % 9) - 4);
                px[(static_cast<std::size_t>(y) * w + x) * 3 + c] =
                    static_cast<unsigned char>(std::min(255.0f, std::max(0.0f, v)));
            }
        }
    }
    tjhandle tj = tjInitCompress();
    unsigned char* out = nullptr;
    unsigned long size = 0;
    const int rc = tjCompress2(tj, px.data(), w, 0, h, TJPF_RGB, &out, &size, TJSAMP_420, 90, 0);
    Bytes b;
    if (rc == 0) b.assign(out, out + size);
    tjFree(out);
    tjDestroy(tj);
    return b;
}

// Runs `work(item)` over the corpus round-robin from `threads` threads for at
// least `seconds` (and one full pass); returns items per second.
template <class F>
double throughput(const std::vector<Bytes>& corpus, int threads, double seconds, F&& work) {
    std::atomic<std::size_t> next{0};
    std::atomic<bool> stop{false};
    const auto t0 = Clock::now();
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
        ts.emplace_back([&] {
            while (true) {
                const std::size_t i = next.fetch_add(1);
                if (stop && i >= corpus.size()) break;
                work(corpus[i % corpus.size()]);
                if (std::chrono::duration<double>(Clock::now() - t0).count() >= seconds) stop = true;
            }
        });
    for (auto& t : ts) t.join();
    const double el = std::chrono::duration<double>(Clock::now() - t0).count();
    return static_cast<double>(next.load() - static_cast<std::size_t>(threads)) / el;
}

double decode_rate(const std::vector<Bytes>& corpus, int threads, double seconds) {
    return throughput(corpus, threads, seconds, [](const Bytes& b) {
        struct Handle {  // one decompressor per thread, destroyed with the thread
            tjhandle h = tjInitDecompress();
            ~Handle() { tjDestroy(h); }
        };
        thread_local Handle handle;
        const tjhandle tj = handle.h;
        thread_local std::vector<unsigned char> rgb;
        int w = 0, h = 0, sub = 0, cs = 0;
        if (tjDecompressHeader3(tj, b.data(), static_cast<unsigned long>(b.size()), &w, &h, &sub, &cs) != 0) return;
        rgb.resize(static_cast<std::size_t>(w) * h * 3);
        tjDecompress2(tj, b.data(), static_cast<unsigned long>(b.size()), rgb.data(), w, 0, h, TJPF_RGB, 0);
    });
}

struct ScanRate {
    double images_per_s = 0, matches_per_s = 0, lookups_per_s = 0;
};

ScanRate scan_rate(hg::Scanner& s, const std::vector<Bytes>& corpus, int threads, double seconds) {
    std::atomic<std::uint64_t> matched{0}, scans{0}, match_us{0};
    ScanRate r;
    r.images_per_s = throughput(corpus, threads, seconds, [&](const Bytes& b) {
        hg::Result res = s.scan(b.data(), b.size());
        if (res.verdict() == HG_VERDICT_MATCH) ++matched;
        ++scans;
        match_us += static_cast<std::uint64_t>(res.get(HG_RESULT_MATCH_US));
    });
    r.matches_per_s = scans ? r.images_per_s * static_cast<double>(matched) / static_cast<double>(scans) : 0;
    r.lookups_per_s = match_us ? 1e6 * static_cast<double>(scans) / static_cast<double>(match_us) : 0;
    return r;
}

}  // namespace

int cmd_bench(int argc, char** argv) {
    int images = 48, width = 1920, height = 1080;
    int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    double seconds = 2;
    std::vector<double> sizes = {1e5, 1e6};
    std::string json_path;
    for (int i = 0; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has = i + 1 < argc;
        if (a == "--images" && has) images = std::max(2, std::atoi(argv[++i]));
        else if (a == "--size" && has && std::sscanf(argv[i + 1], "%dx%d", &width, &height) == 2 && width >= 16 &&
                 height >= 16 && width <= 16384 && height <= 16384)
            ++i;
        else if (a == "--threads" && has) threads = std::max(1, std::atoi(argv[++i]));
        else if (a == "--seconds" && has) seconds = std::max(0.1, std::atof(argv[++i]));
        else if (a == "--json" && has) json_path = argv[++i];
        else if (a == "--lists" && has) {
            sizes.clear();
            std::string s = argv[++i];
            for (std::size_t p = 0; p <= s.size();) {
                const std::size_t q = std::min(s.find(',', p), s.size());
                const double v = std::atof(s.substr(p, q - p).c_str());
                if (v >= 1 && v <= 1e8) sizes.push_back(v);
                p = q + 1;
            }
        } else if (a == "-h" || a == "--help") {
            std::fputs(kBenchUsage, stdout);
            return 0;
        } else {
            std::fprintf(stderr, "hashguard bench: unknown or incomplete option '%s'\n%s", a.c_str(), kBenchUsage);
            return 2;
        }
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // the table appears as it is measured
    try {
        std::fprintf(stderr, "hashguard bench: generating %d %dx%d JPEGs...\n", images, width, height);
        std::vector<Bytes> corpus;
        std::size_t total_bytes = 0;
        for (int i = 0; i < images; ++i) {
            corpus.push_back(make_jpeg(width, height, 1000 + static_cast<std::uint64_t>(i)));
            if (corpus.back().empty()) throw hg::Error(HG_ERR_INTERNAL, "TurboJPEG could not encode the corpus");
            total_bytes += corpus.back().size();
        }
        // Hashes of the corpus: every other image is planted (4 bits flipped) in each list.
        hg::Scanner plain;
        plain.set(HG_OPT_CACHE_ENTRIES, 0);
        std::vector<std::uint8_t> planted;
        for (int i = 0; i < images; i += 2) {
            const std::string hex = plain.scan(corpus[i].data(), corpus[i].size()).pdq_hex();
            for (std::size_t k = 0; k + 1 < hex.size(); k += 2)
                planted.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(k, 2), nullptr, 16)));
            for (int b = 0; b < 4; ++b) planted[planted.size() - 32 + static_cast<std::size_t>(b * 7)] ^= 1;
        }

        const double dec_n = decode_rate(corpus, threads, seconds);
        const double dec_1 = threads > 1 ? decode_rate(corpus, 1, seconds) : dec_n;

        std::printf("hashguard bench: %d generated %dx%d JPEGs (q90, %.0f KB average), kernel %s, %d threads\n",
                    images, width, height, total_bytes / 1024.0 / images, hg_kernel(), threads);
        std::printf("TurboJPEG decode only (baseline): %.1f images/s (1 thread: %.1f)\n\n", dec_n, dec_1);
        std::printf("%-10s %9s %14s %14s %10s %12s %12s %11s\n", "list", "build s", "scan img/s", "1 thread",
                    "vs decode", "lookups/s", "matches/s", "2t scaling");
        std::string json = "{\"images\":" + std::to_string(images) + ",\"width\":" + std::to_string(width) +
                           ",\"height\":" + std::to_string(height) + ",\"kernel\":\"" + hg_kernel() +
                           "\",\"threads\":" + std::to_string(threads) + ",\"decode_only_images_per_s\":" +
                           std::to_string(dec_n) + ",\"decode_only_1thread_images_per_s\":" + std::to_string(dec_1) +
                           ",\"lists\":[";
        Rng rng{42};
        std::unique_ptr<hg::Lists> first_lists;  // reused by the folder scan below
        for (std::size_t li = 0; li < sizes.size(); ++li) {
            const std::size_t n = static_cast<std::size_t>(sizes[li]);
            const std::size_t nplant = planted.size() / 32;
            std::vector<std::uint8_t> hashes((n > nplant ? n - nplant : 0) * 32);
            for (std::size_t k = 0; k < hashes.size(); k += 8) {
                const std::uint64_t v = rng.next();
                std::memcpy(&hashes[k], &v, 8);
            }
            hashes.insert(hashes.end(), planted.begin(), planted.end());
            const auto tb = Clock::now();
            hg::Lists lists;
            hg::check(hg_lists_add_binary(lists.get(), "bench", hashes.data(), hashes.size() / 32, HG_KIND_PDQ));
            hg::Scanner s;
            s.set(HG_OPT_CACHE_ENTRIES, 0);  // every scan decodes: no repeated-bytes shortcut
            s.set_lists(lists);
            const double build_s = std::chrono::duration<double>(Clock::now() - tb).count();
            hashes.clear();
            hashes.shrink_to_fit();
            if (li == 0) first_lists = std::make_unique<hg::Lists>(std::move(lists));
            const ScanRate rn = scan_rate(s, corpus, threads, seconds);
            const ScanRate r1 = threads > 1 ? scan_rate(s, corpus, 1, seconds) : rn;
            char label[32];
            std::snprintf(label, sizeof label, "%.0e", sizes[li]);
            std::printf("%-10s %9.2f %14.1f %14.1f %9.2fx %12.0f %12.1f %10.2fx\n", label, build_s, rn.images_per_s,
                        r1.images_per_s, dec_n / rn.images_per_s, r1.lookups_per_s, rn.matches_per_s,
                        rn.images_per_s / r1.images_per_s);
            char buf[512];
            std::snprintf(buf, sizeof buf,
                          "%s{\"hashes\":%zu,\"build_s\":%.3f,\"images_per_s\":%.2f,\"images_per_s_1thread\":%.2f,"
                          "\"time_vs_decode_only\":%.3f,\"lookups_per_s\":%.1f,\"matches_per_s\":%.2f}",
                          li ? "," : "", n, build_s, rn.images_per_s, r1.images_per_s, dec_n / rn.images_per_s,
                          r1.lookups_per_s, rn.matches_per_s);
            json += buf;
        }
        json += "]";

        // The same corpus as files: `hashguard scan`'s pipeline over a folder.
        char tmpl[] = "/tmp/hashguard-bench-XXXXXX";
        if (!mkdtemp(tmpl)) throw hg::Error(HG_ERR_IO, "cannot create a temporary directory");
        const std::string dir = tmpl;
        for (int i = 0; i < images; ++i) {
            const std::string p = dir + "/img" + std::to_string(i) + ".jpg";
            std::FILE* f = std::fopen(p.c_str(), "wb");
            if (!f || std::fwrite(corpus[i].data(), 1, corpus[i].size(), f) != corpus[i].size() || std::fclose(f))
                throw hg::Error(HG_ERR_IO, "cannot write " + p);
        }
        // [digests on/off][threads N / 1]
        double folder_rate[2][2] = {{0, 0}, {0, 0}};
        for (int dg = 0; dg < 2; ++dg)
            for (int k = 0; k < 2; ++k) {
                hg::Scanner s;  // `hashguard scan`'s defaults (MD5 + SHA-256 unless dg), the first list, no cache
                s.set(HG_OPT_CACHE_ENTRIES, 0)
                    .set(HG_OPT_DIGESTS, dg == 0 ? (1 << HG_KIND_MD5) | (1 << HG_KIND_SHA256) : 0);
                if (first_lists) s.set_lists(*first_lists);
                BatchOptions bo;
                bo.threads = k == 0 ? threads : 1;
                bo.quiet = true;
                bo.output = "/dev/null";
                bo.fsync_every_lines = SIZE_MAX;
                // Repeat the folder so the run lasts about `seconds`.
                const int reps = std::max(1, static_cast<int>(seconds * dec_n / images / (k == 0 ? 1 : threads)));
                for (int r = 0; r < reps; ++r) bo.inputs.push_back(dir);
                BatchSummary sum;
                run_batch(s, bo, sum);
                folder_rate[dg][k] = sum.elapsed_s > 0 ? static_cast<double>(sum.files) / sum.elapsed_s : 0;
            }
        for (int i = 0; i < images; ++i) std::remove((dir + "/img" + std::to_string(i) + ".jpg").c_str());
        ::rmdir(dir.c_str());
        std::printf("\nfolder scan (the 'hashguard scan' pipeline over the corpus as files, first list):\n");
        std::printf("%-22s %14s %10s %14s %10s %11s\n", "", "files/s", "vs decode", "1 thread", "vs decode", "scaling");
        for (int dg = 0; dg < 2; ++dg)
            std::printf("%-22s %14.1f %9.2fx %14.1f %9.2fx %10.2fx\n", dg == 0 ? "with MD5 + SHA-256" : "--no-digests",
                        folder_rate[dg][0], dec_n / folder_rate[dg][0], folder_rate[dg][1], dec_1 / folder_rate[dg][1],
                        folder_rate[dg][0] / folder_rate[dg][1]);
        char buf[512];
        std::snprintf(buf, sizeof buf,
                      ",\"folder_scan\":{\"files_per_s\":%.2f,\"files_per_s_1thread\":%.2f,\"time_vs_decode_only\":%.3f,"
                      "\"no_digests_files_per_s\":%.2f,\"no_digests_files_per_s_1thread\":%.2f,"
                      "\"no_digests_time_vs_decode_only\":%.3f}}",
                      folder_rate[0][0], folder_rate[0][1], dec_n / folder_rate[0][0], folder_rate[1][0],
                      folder_rate[1][1], dec_n / folder_rate[1][0]);
        json += buf;
        std::printf("%s\n", json.c_str());
        if (!json_path.empty()) {
            std::FILE* f = std::fopen(json_path.c_str(), "w");
            if (!f || std::fprintf(f, "%s\n", json.c_str()) < 0 || std::fclose(f) != 0)
                throw hg::Error(HG_ERR_IO, "cannot write " + json_path);
        }
        return 0;
    } catch (const hg::Error& e) {
        std::fprintf(stderr, "hashguard bench: %s\n", e.what());
        return 2;
    }
}

}  // namespace hgcli
