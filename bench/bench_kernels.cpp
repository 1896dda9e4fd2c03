// Each kernel of each available target on the sizes the pipeline uses, plus
// the shared (non-kernel) steps, so per-stage costs and SIMD speed-ups are
// ratios measured in one run. Items are output elements (pixels, hashes).
//
//   build/bench/bench_kernels --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernels.hpp"
#include "pdq/pdq_core.hpp"

namespace {

using hashguard::kernels::Kernels;
namespace detail = hashguard::detail;

std::vector<float> random_floats(std::size_t n) {
    std::mt19937 rng(1);
    std::vector<float> v(n);
    for (auto& x : v) x = static_cast<float>(rng() % 25500) / 100.0f;
    return v;
}

// A width x height RGB picture of random bytes.
std::vector<std::uint8_t> random_rgb(int width, int height, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<std::uint8_t> px(static_cast<std::size_t>(width) * height * 3);
    for (auto& p : px) p = static_cast<std::uint8_t>(rng());
    return px;
}

void BM_Luma(benchmark::State& state, const Kernels* k, int width, int height) {
    const std::vector<std::uint8_t> px = random_rgb(width, height, 2);
    int rows, cols;
    detail::luma_dims(width, height, true, rows, cols);
    std::vector<float> out(static_cast<std::size_t>(rows) * cols);
    for (auto _ : state) {
        hashguard::kernels::luma_image(*k, px.data(), width, height, 3, std::size_t(width) * 3, out.data(), rows, cols);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations() * rows * cols);
}

void BM_BoxRows(benchmark::State& state, const Kernels* k, int n) {
    auto in = random_floats(static_cast<std::size_t>(n) * n);
    std::vector<float> out(in.size());
    const int w = detail::jarosz_window(n);
    for (auto _ : state) {
        k->box_rows(in.data(), out.data(), n, n, w);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations() * n * n);
}

void BM_BoxCols(benchmark::State& state, const Kernels* k, int n) {
    auto in = random_floats(static_cast<std::size_t>(n) * n);
    std::vector<float> out(in.size());
    const int w = detail::jarosz_window(n);
    for (auto _ : state) {
        k->box_cols(in.data(), out.data(), n, n, w);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations() * n * n);
}

void BM_Jarosz(benchmark::State& state, const Kernels* k, int n) {
    auto a = random_floats(static_cast<std::size_t>(n) * n);
    std::vector<float> b(a.size());
    for (auto _ : state) {
        detail::jarosz_filter(*k, a.data(), b.data(), n, n);
        benchmark::DoNotOptimize(a.data());
    }
    state.SetItemsProcessed(state.iterations() * n * n);
}

void BM_Dct(benchmark::State& state, const Kernels* k) {
    // Aligned as LumaPipeline::a64 is (a vector's 16-byte alignment splits loads).
    alignas(64) float a[64 * 64];
    const auto v = random_floats(64 * 64);
    std::copy(v.begin(), v.end(), a);
    alignas(64) float b[256];
    for (auto _ : state) {
        k->dct64to16(a, b);
        benchmark::DoNotOptimize(b);
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_Hamming1xN(benchmark::State& state, const Kernels* k, std::size_t n) {
    std::mt19937_64 rng(3);
    std::vector<std::uint64_t> db(4 * n);
    for (auto& x : db) x = rng();
    std::vector<std::uint16_t> out(n);
    const std::uint64_t q[4] = {rng(), rng(), rng(), rng()};
    for (auto _ : state) {
        k->hamming_1xn(q, db.data(), n, out.data());
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

// The whole hash core after decode (pre-resize + luma, blur, decimate,
// quality, DCT, 8 dihedral hashes: LumaPipeline's blur + finish) with kernel
// set k, on random pixels.
void BM_Core(benchmark::State& state, const Kernels* k, int width, int height) {
    const std::vector<std::uint8_t> px = random_rgb(width, height, 4);
    int rows, cols;
    detail::luma_dims(width, height, true, rows, cols);
    auto lp = std::make_unique<detail::LumaPipeline>();
    hashguard::PdqDihedral out;
    const hashguard::kernels::PixelView view{px.data(), width, height, 3, std::size_t(width) * 3};
    for (auto _ : state) {
        lp->blur(*k, view, rows, cols);
        lp->finish(*k, out);
        benchmark::DoNotOptimize(out);
    }
    state.SetItemsProcessed(state.iterations());
}

// blur_decimate alone (luma, the four box passes, the 64x64 samples) on the
// pre-resized (or whole) image of a width x height RGB picture.
void BM_BlurDecimate(benchmark::State& state, const Kernels* k, int width, int height) {
    const std::vector<std::uint8_t> px = random_rgb(width, height, 5);
    int rows, cols;
    detail::luma_dims(width, height, true, rows, cols);
    std::vector<std::int32_t> xs(static_cast<std::size_t>(cols)), ys(static_cast<std::size_t>(rows));
    hashguard::kernels::luma_offsets(width, height, 3, rows, cols, xs.data(), ys.data());
    const hashguard::kernels::LumaSource src{{px.data(), width, height, 3, std::size_t(width) * 3}, xs.data(), ys.data()};
    const hashguard::kernels::BlurShape shape{rows, cols, detail::jarosz_window(cols), detail::jarosz_window(rows)};
    std::unique_ptr<float[]> scratch(new float[k->blur_scratch(shape)]);
    alignas(64) float out[64 * 64];
    for (auto _ : state) {
        k->blur_decimate(src, shape, scratch.get(), out);
        benchmark::DoNotOptimize(out);
    }
    state.SetItemsProcessed(state.iterations() * rows * cols);
}

void BM_DecimateQuality(benchmark::State& state) {
    auto a = random_floats(512 * 512);
    float out[64][64];
    for (auto _ : state) {
        detail::decimate64(a.data(), 512, 512, out);
        benchmark::DoNotOptimize(detail::quality64(out));
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_DihedralBits(benchmark::State& state) {
    auto a = random_floats(256);
    float b[16][16];
    for (int i = 0; i < 256; ++i) b[i / 16][i % 16] = a[i] - 127.0f;
    std::uint16_t words[8][16];
    for (auto _ : state) {
        detail::dihedral_bits(b, words);
        benchmark::DoNotOptimize(words);
    }
    state.SetItemsProcessed(state.iterations());
}

int register_all() {
    for (const Kernels* k : hashguard::kernels::available()) {
        const std::string n = k->name;
        benchmark::RegisterBenchmark(("core_640x480/" + n).c_str(), BM_Core, k, 640, 480)->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark(("core_1920x1080/" + n).c_str(), BM_Core, k, 1920, 1080)->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark(("core_4000x3000/" + n).c_str(), BM_Core, k, 4000, 3000)->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark(("blur_decimate_1920x1080/" + n).c_str(), BM_BlurDecimate, k, 1920, 1080)->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark(("blur_decimate_512x512/" + n).c_str(), BM_BlurDecimate, k, 512, 512)->Unit(benchmark::kMicrosecond);
        benchmark::RegisterBenchmark(("luma_1920x1080_to_512/" + n).c_str(), BM_Luma, k, 1920, 1080);
        benchmark::RegisterBenchmark(("luma_4000x3000_to_512/" + n).c_str(), BM_Luma, k, 4000, 3000);
        benchmark::RegisterBenchmark(("luma_640x480/" + n).c_str(), BM_Luma, k, 640, 480);
        benchmark::RegisterBenchmark(("box_rows_512/" + n).c_str(), BM_BoxRows, k, 512);
        benchmark::RegisterBenchmark(("box_cols_512/" + n).c_str(), BM_BoxCols, k, 512);
        benchmark::RegisterBenchmark(("jarosz_512/" + n).c_str(), BM_Jarosz, k, 512);
        benchmark::RegisterBenchmark(("dct64to16/" + n).c_str(), BM_Dct, k);
        benchmark::RegisterBenchmark(("hamming_1xN_1M/" + n).c_str(), BM_Hamming1xN, k, std::size_t{1} << 20);
    }
    benchmark::RegisterBenchmark("decimate+quality_512/shared", BM_DecimateQuality);
    benchmark::RegisterBenchmark("dihedral_bits/shared", BM_DihedralBits);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    register_all();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
