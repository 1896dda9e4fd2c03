// Decode and hash timed separately, per image size, with TurboJPEG's plain
// decode to RGB as the in-process baseline. Inputs: a bundled 640x480 photo
// and 1080p / 12 MP JPEGs generated here from it (quality 90, 4:2:0).
//
//   build/bench/bench_pdq --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <turbojpeg.h>

#include "hashguard/image.hpp"
#include "hashguard/pdq.hpp"

namespace {

using Bytes = std::vector<std::uint8_t>;

const Bytes& jpeg_of(const std::string& size) {
    static std::map<std::string, Bytes> cache;
    auto it = cache.find(size);
    if (it != cache.end()) return it->second;
    Bytes src;
    if (hashguard::read_file(std::string(HG_BENCH_DATA_DIR) + "/photos/aero1.jpg", src)) std::abort();
    Bytes out;
    if (size == "640x480") {
        out = src;
    } else {
        const cv::Mat img = cv::imdecode(src, cv::IMREAD_COLOR);
        cv::Mat big;
        const cv::Size target = size == "1920x1080" ? cv::Size(1920, 1080) : cv::Size(4000, 3000);
        cv::resize(img, big, target, 0, 0, cv::INTER_CUBIC);
        cv::imencode(".jpg", big, out, {cv::IMWRITE_JPEG_QUALITY, 90});
    }
    return cache.emplace(size, std::move(out)).first->second;
}

const char* kSizes[] = {"640x480", "1920x1080", "4000x3000"};

void set_label(benchmark::State& state, int idx) {
    state.SetLabel(kSizes[idx]);
    state.SetItemsProcessed(state.iterations());
}

// Baseline: TurboJPEG decode to packed RGB into a reused buffer.
void BM_TurboJpegDecodeOnly(benchmark::State& state) {
    const Bytes& jpg = jpeg_of(kSizes[state.range(0)]);
    tjhandle tj = tjInitDecompress();
    int w, h, ss, cs;
    tjDecompressHeader3(tj, jpg.data(), jpg.size(), &w, &h, &ss, &cs);
    std::vector<std::uint8_t> buf(static_cast<std::size_t>(w) * h * 3);
    for (auto _ : state) {
        tjDecompress2(tj, jpg.data(), jpg.size(), buf.data(), w, 0, h, TJPF_RGB, 0);
        benchmark::DoNotOptimize(buf.data());
    }
    tjDestroy(tj);
    set_label(state, static_cast<int>(state.range(0)));
}

void BM_Decode(benchmark::State& state) {
    const Bytes& jpg = jpeg_of(kSizes[state.range(0)]);
    hashguard::Image img;
    for (auto _ : state) {
        if (hashguard::decode_image(jpg.data(), jpg.size(), img)) state.SkipWithError("decode failed");
        benchmark::DoNotOptimize(img.pixels.data());
    }
    set_label(state, static_cast<int>(state.range(0)));
}

// range(0): image size; range(1): 1 = the reference's 512 px pre-resize, 0 = full resolution.
void BM_HashDihedral(benchmark::State& state) {
    const Bytes& jpg = jpeg_of(kSizes[state.range(0)]);
    hashguard::Image img;
    if (hashguard::decode_image(jpg.data(), jpg.size(), img)) std::abort();
    hashguard::PdqHasher hasher;
    hashguard::PdqDihedral out;
    hashguard::PdqOptions opt;
    opt.pre_resize = state.range(1) != 0;
    for (auto _ : state) {
        if (hasher.hash_dihedral(img, out, opt)) state.SkipWithError("hash failed");
        benchmark::DoNotOptimize(out);
    }
    set_label(state, static_cast<int>(state.range(0)));
}

void BM_EndToEnd(benchmark::State& state) {
    const Bytes& jpg = jpeg_of(kSizes[state.range(0)]);
    hashguard::PdqDihedral out;
    for (auto _ : state) {
        if (hashguard::pdq_hash_bytes(jpg.data(), jpg.size(), out)) state.SkipWithError("failed");
        benchmark::DoNotOptimize(out);
    }
    set_label(state, static_cast<int>(state.range(0)));
}

}  // namespace

BENCHMARK(BM_TurboJpegDecodeOnly)->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Decode)->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_HashDihedral)->ArgsProduct({{0, 1, 2}, {1, 0}})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EndToEnd)->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
