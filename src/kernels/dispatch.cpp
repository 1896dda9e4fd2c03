// CPU feature detection and the one dispatch point.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <utility>

#include "kernels/kernels.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#elif defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace hashguard::kernels {

namespace {

#if defined(__x86_64__) || defined(__i386__)
std::uint64_t xgetbv0() {
    std::uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (static_cast<std::uint64_t>(edx) << 32) | eax;
}

unsigned detect() {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const bool osxsave = c & (1u << 27), avx = c & (1u << 28), popcnt = c & (1u << 23);
    if (!osxsave || !avx) return 0;
    const std::uint64_t xcr0 = xgetbv0();
    const bool ymm_state = (xcr0 & 0x6) == 0x6;           // SSE + AVX state
    const bool zmm_state = (xcr0 & 0xe6) == 0xe6;         // + opmask, ZMM_Hi256, Hi16_ZMM
    if (__get_cpuid_max(0, nullptr) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    unsigned f = 0;
    const bool avx2 = b & (1u << 5);
    if (avx2 && popcnt && ymm_state) f |= kFeatureAVX2;
    const bool avx512f = b & (1u << 16), avx512dq = b & (1u << 17), avx512bw = b & (1u << 30),
               avx512vl = b & (1u << 31), vpopcntdq = c & (1u << 14);
    if ((f & kFeatureAVX2) && avx512f && avx512dq && avx512bw && avx512vl && vpopcntdq && zmm_state)
        f |= kFeatureAVX512;
    if ((f & kFeatureAVX512) && (c & (1u << 1))) f |= kFeatureVBMI;
    return f;
}
#elif defined(__aarch64__)
unsigned detect() { return kFeatureNEON; }  // Advanced SIMD is mandatory on AArch64
#else
unsigned detect() { return 0; }
#endif

// Buffers of the self-check: static (one check at a time, under usable()'s
// mutex), so it needs neither the heap nor much stack.
struct CheckBuffers {
    static constexpr int w = 37, h = 29;
    std::uint8_t px[w * h * 3];
    float a[w * h], b[w * h], a64[64 * 64];
    static constexpr std::size_t kScratch = 32768;  // >= blur_scratch of the shapes below, every set
    float scratch[kScratch], o1[64 * 64], o2[64 * 64];
    std::int32_t xs[128], ys[128];
    std::uint64_t db[4 * 37];
    std::uint16_t d1[3 * 37], d2[3 * 37];
    std::uint64_t planes[kSliceBlockWords];
    SlicedQuery sq[3];
    RangePair pairs[3 * 37];
    RangeHit h1[3 * kSliceLanes], h2[3 * kSliceLanes];
};
CheckBuffers g_check;

bool same(const void* x, const void* y, std::size_t n) { return std::memcmp(x, y, n) == 0; }

// Luma rows on grey and RGB (the pipeline reads them directly for a 64x64
// image). The box filters are checked through blur_decimate below, the only
// production path that runs them; test_kernels checks each kernel on its own.
bool check_luma(const Kernels& s, const Kernels& k, CheckBuffers& c) {
    const int w = CheckBuffers::w, h = CheckBuffers::h;
    for (int ch : {1, 3}) {
        const std::size_t n = static_cast<std::size_t>(19) * 23 * sizeof(float);
        luma_image(s, c.px, w, h, ch, std::size_t(w) * ch, c.a, 19, 23);
        luma_image(k, c.px, w, h, ch, std::size_t(w) * ch, c.b, 19, 23);
        if (!same(c.a, c.b, n)) return false;
    }
    return true;
}

// blur_decimate against scalar's whole-buffer oracle: the image itself, an
// upscale over several row groups with a vertical window wide enough that its
// phases lag the stream, and a 64x64 one (no blur).
bool check_blur(const Kernels& s, const Kernels& k, CheckBuffers& c) {
    const int w = CheckBuffers::w, h = CheckBuffers::h;
    struct Case {
        int rows, cols, wh, wv;
    };
    // Grey and RGB on the image itself, RGB only on the costlier shapes (this
    // runs in every process; test_kernels covers a thousand more).
    for (int ch : {1, 3})
        for (const Case& t : {Case{h, w, 3, 4}, Case{70, 41, 5, 40}, Case{64, 64, 1, 1}}) {
            if (ch == 1 && t.rows != h) continue;
            luma_offsets(w, h, ch, t.rows, t.cols, c.xs, c.ys);
            const LumaSource src{{c.px, w, h, ch, std::size_t(w) * ch}, c.xs, c.ys};
            const BlurShape shape{t.rows, t.cols, t.wh, t.wv};
            if (s.blur_scratch(shape) > CheckBuffers::kScratch || k.blur_scratch(shape) > CheckBuffers::kScratch)
                return false;
            s.blur_decimate(src, shape, c.scratch, c.o1);
            k.blur_decimate(src, shape, c.scratch, c.o2);
            if (!same(c.o1, c.o2, sizeof c.o1)) return false;
        }
    return true;
}

bool same_hits(RangeHit* a, std::size_t na, RangeHit* b, std::size_t nb) {
    auto less = [](const RangeHit& x, const RangeHit& y) { return x.entry != y.entry ? x.entry < y.entry : x.query < y.query; };
    std::sort(a, a + na, less);
    std::sort(b, b + nb, less);
    for (std::size_t i = 0; i < na && na == nb; ++i)
        if (a[i].entry != b[i].entry || a[i].query != b[i].query || a[i].distance != b[i].distance) return false;
    return na == nb;
}

// The range kernels (rows, pairs, sliced) against scalar's row oracle: the
// first 3 hashes as queries over all 37, at radii with no, some and all hits.
bool check_range(const Kernels& s, const Kernels& k, CheckBuffers& c) {
    slice_pack(c.db, 37, c.planes);
    for (std::uint32_t i = 0; i < 3 * 37; ++i) c.pairs[i] = {i % 37, i / 37};
    for (int r : {0, 122, 256}) {
        const std::size_t n1 = s.range_rows(c.db, 3, c.db, 37, 0, r, c.h1);
        std::size_t n2 = k.range_rows(c.db, 3, c.db, 37, 0, r, c.h2);
        if (!same_hits(c.h1, n1, c.h2, n2)) return false;
        n2 = k.range_pairs(c.db, c.db, c.pairs, 3 * 37, r, c.h2);
        if (!same_hits(c.h1, n1, c.h2, n2)) return false;
        for (int i = 0; i < 3; ++i) slice_query(c.db + 4 * i, r, static_cast<std::uint16_t>(i), c.sq[i]);
        std::size_t blocks = 0;
        n2 = k.range_sliced(c.sq, 3, c.planes, 37, 0, c.h2, 3 * kSliceLanes, &blocks);
        if (blocks != 1) return false;
        if (!same_hits(c.h1, n1, c.h2, n2)) return false;
    }
    return true;
}

// Start-up self-check: a SIMD set must reproduce the scalar oracle bit for
// bit on a small random workload, or it is not used. Cheap (well under a
// millisecond) and guards against a miscompiled or untested target. A check
// that cannot run (luma_image could not allocate) keeps the set out too:
// scalar gives the same hashes.
bool self_check(const Kernels& k) noexcept {
    try {
        const Kernels& s = scalar_kernels();
        CheckBuffers& c = g_check;
        std::mt19937 rng(12345);
        for (auto& p : c.px) p = static_cast<std::uint8_t>(rng());
        if (!check_luma(s, k, c) || !check_blur(s, k, c)) return false;
        float b1[256], b2[256];
        for (auto& v : c.a64) v = static_cast<float>(rng() % 25500) / 100.0f;
        s.dct64to16(c.a64, b1);
        k.dct64to16(c.a64, b2);
        if (!same(b1, b2, sizeof b1)) return false;
        for (auto& v : c.db) v = (static_cast<std::uint64_t>(rng()) << 32) | rng();
        hamming_mxn(s, c.db, 3, c.db, 37, c.d1);
        hamming_mxn(k, c.db, 3, c.db, 37, c.d2);
        return same(c.d1, c.d2, sizeof c.d1) && check_range(s, k, c);
    } catch (...) {
        return false;
    }
}

}  // namespace

unsigned cpu_features() noexcept {
    static const unsigned f = detect();
    return f;
}

const KernelList& compiled() noexcept {
    static const KernelList sets = [] {
        KernelList v;
        for (const Kernels* k : {avx512vbmi_kernels(), avx512_kernels(), avx2_kernels(), neon_kernels()})
            if (k) v.push_back(k);
        v.push_back(&scalar_kernels());
        return v;
    }();
    return sets;
}

namespace {

// Whether set k runs on this CPU and reproduced the oracle. Each set is
// self-checked at most once per process, when first asked about: active()
// asks only until the best passing set (one check, not one per compiled set,
// in a process that never lists them), available() asks about all. The mutex
// guards g_check and the remembered results.
bool usable(const Kernels& k) noexcept {
    if ((k.required & cpu_features()) != k.required) return false;
    if (k.required == 0) return true;  // scalar: the oracle itself
    static std::mutex mu;
    static const Kernels* seen[5];
    static bool passed[5];
    static int count = 0;
    std::lock_guard<std::mutex> lock(mu);
    for (int i = 0; i < count; ++i)
        if (seen[i] == &k) return passed[i];
    const bool ok = self_check(k);
    if (count < 5) {
        seen[count] = &k;
        passed[count++] = ok;
    }
    return ok;
}

}  // namespace

const KernelList& available() noexcept {
    static const KernelList sets = [] {
        KernelList v;
        for (const Kernels* k : compiled())
            if (usable(*k)) v.push_back(k);
        return v;
    }();
    return sets;
}

const Kernels* find(std::string_view name) noexcept {
    for (const Kernels* k : available())
        if (name == k->name) return k;
    return nullptr;
}

const Kernels& active() noexcept {
    static const Kernels* chosen = [] {
        if (const char* force = std::getenv("HASHGUARD_FORCE_KERNEL"); force && *force)
            if (const Kernels* k = find(force)) return k;
        for (const Kernels* k : compiled())  // best first; scalar last always passes
            if (usable(*k)) return k;
        return &scalar_kernels();
    }();
    return *chosen;
}

#if !(defined(__x86_64__) && defined(HASHGUARD_HAVE_AVX2))
const Kernels* avx2_kernels() noexcept { return nullptr; }
#endif
#if !defined(__x86_64__)
const Kernels* avx512_kernels() noexcept { return nullptr; }
const Kernels* avx512vbmi_kernels() noexcept { return nullptr; }
#endif
#if !defined(__aarch64__)
const Kernels* neon_kernels() noexcept { return nullptr; }
#endif

}  // namespace hashguard::kernels
