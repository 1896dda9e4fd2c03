// Scanner throughput and latency through the C API: a 1080p JPEG against a
// list of 10^6 PDQ hashes (plus, in one variant, 10^6 MD5 and 10^6 SHA-256
// digests), per core and with 2 threads, with p50/p99 latency per scan. In the
// same process, as baselines: TurboJPEG decode alone, and decode + PDQ
// (pdq_hash_bytes) with no lookup.
//
//   build/bench/bench_scan --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <turbojpeg.h>

#include "hashguard/hashguard.h"
#include "hashguard/image.hpp"
#include "hashguard/pdq.hpp"

namespace {

using Bytes = std::vector<std::uint8_t>;

const Bytes& jpeg_1080p() {
    static const Bytes bytes = [] {
        Bytes src;
        if (hashguard::read_file(std::string(HG_BENCH_DATA_DIR) + "/photos/aero1.jpg", src)) std::abort();
        cv::Mat big;
        cv::resize(cv::imdecode(src, cv::IMREAD_COLOR), big, cv::Size(1920, 1080), 0, 0, cv::INTER_CUBIC);
        Bytes out;
        cv::imencode(".jpg", big, out, {cv::IMWRITE_JPEG_QUALITY, 90});
        return out;
    }();
    return bytes;
}

std::string random_lines(std::size_t n, int hex_digits, std::uint64_t seed) {
    std::string text;
    text.reserve(n * (hex_digits + 1));
    std::uint64_t s = seed;
    static const char* d = "0123456789abcdef";
    for (std::size_t i = 0; i < n; ++i) {
        for (int k = 0; k < hex_digits; ++k) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            text += d[(s >> 59) & 15];
        }
        text += '\n';
    }
    return text;
}

// Scanners built once: PDQ only, and PDQ + MD5 + SHA-256 (10^6 entries each).
hg_scanner* scanner(bool with_digests) {
    static std::once_flag once;
    static hg_scanner* s[2];
    std::call_once(once, [] {
        for (int v = 0; v < 2; ++v) {
            hg_lists* l = hg_lists_create();
            const std::string pdq = random_lines(1000000, 64, 1);
            if (hg_lists_add_text(l, "pdq", pdq.data(), pdq.size(), HG_KIND_PDQ, nullptr)) std::abort();
            if (v == 1) {
                const std::string md5 = random_lines(1000000, 32, 2), sha = random_lines(1000000, 64, 3);
                if (hg_lists_add_text(l, "md5", md5.data(), md5.size(), HG_KIND_MD5, nullptr) ||
                    hg_lists_add_text(l, "sha256", sha.data(), sha.size(), HG_KIND_SHA256, nullptr))
                    std::abort();
            }
            s[v] = hg_scanner_create();
            if (hg_scanner_set_int(s[v], HG_OPT_CACHE_ENTRIES, 0)) std::abort();  // every scan decodes
            if (hg_scanner_set_lists(s[v], l)) std::abort();
            hg_lists_free(l);
        }
    });
    return s[with_digests ? 1 : 0];
}

// Per-scan wall time of every iteration; p50/p99 reported for 1-thread runs
// (multi-threaded runs report scans/s, their point).
void run_scans(benchmark::State& state, hg_scanner* s, const Bytes& img) {
    std::vector<double> ms;
    for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        hg_result* r = nullptr;
        if (hg_scan(s, img.data(), img.size(), &r) != HG_OK || hg_result_verdict(r) != HG_VERDICT_NO_MATCH) {
            state.SkipWithError("scan failed or matched");
            break;
        }
        hg_result_free(r);
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    state.SetItemsProcessed(state.iterations());
    if (state.threads() == 1 && !ms.empty()) {
        std::sort(ms.begin(), ms.end());
        state.counters["p50_ms"] = ms[ms.size() / 2];
        state.counters["p99_ms"] = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
    }
}

void BM_TurboJpegDecodeOnly(benchmark::State& state) {
    const Bytes& img = jpeg_1080p();
    tjhandle tj = tjInitDecompress();
    std::vector<unsigned char> rgb(1920 * 1080 * 3);
    for (auto _ : state) {
        int w = 0, h = 0, sub = 0, cs = 0;
        tjDecompressHeader3(tj, img.data(), img.size(), &w, &h, &sub, &cs);
        if (tjDecompress2(tj, img.data(), img.size(), rgb.data(), w, 0, h, TJPF_RGB, 0) != 0) std::abort();
        benchmark::DoNotOptimize(rgb.data());
    }
    tjDestroy(tj);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TurboJpegDecodeOnly)->Unit(benchmark::kMillisecond);

// hashguard's own decode (libjpeg API, limits, time budget, grey check) of the same bytes.
void BM_DecodeImageOnly(benchmark::State& state) {
    const Bytes& img = jpeg_1080p();
    hashguard::Image out;
    for (auto _ : state)
        if (hashguard::decode_image(img.data(), img.size(), out)) std::abort();
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeImageOnly)->Unit(benchmark::kMillisecond);

void BM_DecodeAndPdq(benchmark::State& state) {
    const Bytes& img = jpeg_1080p();
    hashguard::PdqDihedral d;
    for (auto _ : state)
        if (hashguard::pdq_hash_bytes(img.data(), img.size(), d)) std::abort();
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeAndPdq)->Unit(benchmark::kMillisecond);

// hg_scan: decode + 8 dihedral PDQ hashes + letterbox check + lookup in 10^6 hashes.
void BM_Scan_1M_pdq(benchmark::State& state) { run_scans(state, scanner(false), jpeg_1080p()); }
BENCHMARK(BM_Scan_1M_pdq)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Scan_1M_pdq)->Unit(benchmark::kMillisecond)->UseRealTime()->Threads(2);

// Also MD5 and SHA-256 of the raw bytes, looked up in 10^6 digests each.
void BM_Scan_1M_pdq_md5_sha256(benchmark::State& state) { run_scans(state, scanner(true), jpeg_1080p()); }
BENCHMARK(BM_Scan_1M_pdq_md5_sha256)->Unit(benchmark::kMillisecond)->UseRealTime();

// The seen-bytes cache: the same attachment forwarded again.
void BM_Scan_cached(benchmark::State& state) {
    static hg_scanner* s = [] {
        hg_scanner* c = hg_scanner_create();
        hg_lists* l = hg_lists_create();
        const std::string pdq = random_lines(1000000, 64, 1);
        if (hg_lists_add_text(l, "pdq", pdq.data(), pdq.size(), HG_KIND_PDQ, nullptr) || hg_scanner_set_lists(c, l))
            std::abort();
        hg_lists_free(l);
        return c;
    }();
    run_scans(state, s, jpeg_1080p());
}
BENCHMARK(BM_Scan_cached)->Unit(benchmark::kMicrosecond)->UseRealTime();

// What a cache hit pays for its key, on the same bytes: the SHA-256 the cache
// is keyed by (collision-resistant), and the XXH3-128 it was keyed by before.
void BM_Key_sha256(benchmark::State& state) {
    const Bytes& img = jpeg_1080p();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    for (auto _ : state) {
        if (EVP_Digest(img.data(), img.size(), md, &n, EVP_sha256(), nullptr) != 1) std::abort();
        benchmark::DoNotOptimize(md);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * img.size()));
}
BENCHMARK(BM_Key_sha256)->Unit(benchmark::kMicrosecond);

void BM_Key_xxh3_128(benchmark::State& state) {
    const Bytes& img = jpeg_1080p();
    for (auto _ : state) benchmark::DoNotOptimize(XXH3_128bits(img.data(), img.size()));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * img.size()));
}
BENCHMARK(BM_Key_xxh3_128)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
