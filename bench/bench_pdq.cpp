// Decode and hash timed separately, per image size and format, exact and
// fast mode, with two in-process baselines: TurboJPEG's plain decode to RGB
// (what exact mode can at best approach) and OpenCV's img_hash PHash
// (imdecode + compute, a common alternative). Inputs: a bundled 640x480
// photo and 1080p / 12 MP images generated here from it (JPEG quality 90).
//
//   build/bench/bench_pdq --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// HASHGUARD_BENCH_FILES=a.jpg:b.jpg adds, per given file, TurboJPEG's decode
// alone beside the end to end hash of the same bytes (BM_File*/<file name>):
//   HASHGUARD_BENCH_FILES=a.jpg:b.jpg build/bench/bench_pdq --benchmark_filter=File
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/img_hash.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <turbojpeg.h>

#include "hashguard/image.hpp"
#include "hashguard/pdq.hpp"

namespace {

using Bytes = std::vector<std::uint8_t>;

// The test image at `size`, encoded as `ext` (".jpg", ".png", ".webp").
const Bytes& image_of(const std::string& size, const std::string& ext = ".jpg") {
    static std::map<std::string, Bytes> cache;
    const std::string key = size + ext;
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    Bytes src;
    if (hashguard::read_file(std::string(HG_BENCH_DATA_DIR) + "/photos/aero1.jpg", src)) std::abort();
    Bytes out;
    if (size == "640x480" && ext == ".jpg") {
        out = src;
    } else {
        const cv::Mat img = cv::imdecode(src, cv::IMREAD_COLOR);
        cv::Mat big = img;
        if (size != "640x480") {
            const cv::Size target = size == "1920x1080" ? cv::Size(1920, 1080) : cv::Size(4000, 3000);
            cv::resize(img, big, target, 0, 0, cv::INTER_CUBIC);
        }
        std::vector<int> params;
        if (ext == ".jpg") params = {cv::IMWRITE_JPEG_QUALITY, 90};
        if (ext == ".webp") params = {cv::IMWRITE_WEBP_QUALITY, 90};
        cv::imencode(ext, big, out, params);
    }
    return cache.emplace(key, std::move(out)).first->second;
}
const Bytes& jpeg_of(const std::string& size) { return image_of(size); }

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

// range(0): size; range(1): 0 exact, 1 fast mode.
void BM_Decode(benchmark::State& state) {
    const Bytes& jpg = jpeg_of(kSizes[state.range(0)]);
    hashguard::Image img;
    hashguard::DecodeOptions opt;
    opt.fast = state.range(1) != 0;
    for (auto _ : state) {
        if (hashguard::decode_image(jpg.data(), jpg.size(), img, opt)) state.SkipWithError("decode failed");
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

// range(0): size; range(1): 0 exact, 1 fast mode.
void BM_EndToEnd(benchmark::State& state) {
    const Bytes& jpg = jpeg_of(kSizes[state.range(0)]);
    hashguard::PdqDihedral out;
    hashguard::DecodeOptions opt;
    opt.fast = state.range(1) != 0;
    for (auto _ : state) {
        if (hashguard::pdq_hash_bytes(jpg.data(), jpg.size(), out, opt)) state.SkipWithError("failed");
        benchmark::DoNotOptimize(out);
    }
    set_label(state, static_cast<int>(state.range(0)));
}

// Other formats at 1080p, exact mode. range(0): 0 PNG, 1 lossy WebP.
void BM_EndToEndFormat(benchmark::State& state) {
    const char* ext = state.range(0) == 0 ? ".png" : ".webp";
    const Bytes& b = image_of("1920x1080", ext);
    hashguard::PdqDihedral out;
    for (auto _ : state) {
        if (hashguard::pdq_hash_bytes(b.data(), b.size(), out)) state.SkipWithError("failed");
        benchmark::DoNotOptimize(out);
    }
    state.SetLabel(std::string("1920x1080") + ext);
    state.SetItemsProcessed(state.iterations());
}

// Baseline: OpenCV img_hash PHash (imdecode to BGR + compute).
void BM_OpenCvPHash(benchmark::State& state) {
    const Bytes& jpg = jpeg_of(kSizes[state.range(0)]);
    auto phash = cv::img_hash::PHash::create();
    cv::Mat img, hash;
    for (auto _ : state) {
        img = cv::imdecode(jpg, cv::IMREAD_COLOR);
        phash->compute(img, hash);
        benchmark::DoNotOptimize(hash.data);
    }
    set_label(state, static_cast<int>(state.range(0)));
}

// User files (HASHGUARD_BENCH_FILES): the same two measurements as
// BM_TurboJpegDecodeOnly and BM_EndToEnd (exact mode), on the file's bytes.
void file_decode_only(benchmark::State& state, const std::shared_ptr<Bytes>& jpg) {
    tjhandle tj = tjInitDecompress();
    int w = 0, h = 0, ss = 0, cs = 0;
    if (!tj || tjDecompressHeader3(tj, jpg->data(), jpg->size(), &w, &h, &ss, &cs) != 0) {
        state.SkipWithError("not a JPEG TurboJPEG can read");
        if (tj) tjDestroy(tj);
        return;
    }
    std::vector<std::uint8_t> buf(static_cast<std::size_t>(w) * h * 3);
    for (auto _ : state) {
        tjDecompress2(tj, jpg->data(), jpg->size(), buf.data(), w, 0, h, TJPF_RGB, 0);
        benchmark::DoNotOptimize(buf.data());
    }
    tjDestroy(tj);
    state.SetItemsProcessed(state.iterations());
}

void file_end_to_end(benchmark::State& state, const std::shared_ptr<Bytes>& bytes) {
    hashguard::PdqDihedral out;
    for (auto _ : state) {
        if (hashguard::pdq_hash_bytes(bytes->data(), bytes->size(), out)) state.SkipWithError("failed");
        benchmark::DoNotOptimize(out);
    }
    state.SetItemsProcessed(state.iterations());
}

// Registers BM_FileTurboJpegDecodeOnly/<name> and BM_FileEndToEnd/<name> for
// each path of the ':'-separated list; false when a file cannot be read.
bool register_user_files(const char* list) {
    std::string rest = list;
    while (!rest.empty()) {
        const std::size_t colon = rest.find(':');
        const std::string path = rest.substr(0, colon);
        rest = colon == std::string::npos ? std::string() : rest.substr(colon + 1);
        if (path.empty()) continue;
        auto bytes = std::make_shared<Bytes>();
        if (hashguard::read_file(path, *bytes)) {
            std::fprintf(stderr, "HASHGUARD_BENCH_FILES: cannot read %s\n", path.c_str());
            return false;
        }
        const std::string name = path.substr(path.find_last_of('/') + 1);
        benchmark::RegisterBenchmark(("BM_FileTurboJpegDecodeOnly/" + name).c_str(), file_decode_only, bytes)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
        benchmark::RegisterBenchmark(("BM_FileEndToEnd/" + name).c_str(), file_end_to_end, bytes)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
    }
    return true;
}

}  // namespace

BENCHMARK(BM_TurboJpegDecodeOnly)->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Decode)->ArgsProduct({{0, 1, 2}, {0, 1}})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_HashDihedral)->ArgsProduct({{0, 1, 2}, {1, 0}})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EndToEnd)->ArgsProduct({{0, 1, 2}, {0, 1}})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EndToEndFormat)->DenseRange(0, 1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_OpenCvPHash)->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->UseRealTime();

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    if (const char* files = std::getenv("HASHGUARD_BENCH_FILES"); files && !register_user_files(files)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
