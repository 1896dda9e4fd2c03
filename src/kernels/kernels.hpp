// The one place the PDQ pipeline's and the indexes' hot loops are chosen per
// CPU target. Internal to the library: no public header mentions an ISA.
//
// Every kernel set computes bit-identical results to the scalar set (the
// oracle): SIMD code vectorises across independent outputs (columns,
// coefficients, hashes) and performs, per output, exactly the scalar code's
// float operations in the same order (no FMA: -ffp-contract=off, and no fused
// intrinsics). tests/test_kernels.cpp checks each set against scalar on random
// inputs of awkward sizes, and test_conformance runs once per available set.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace hashguard::kernels {

/// CPU features a kernel set may require (bit flags).
enum Feature : unsigned {
    kFeatureAVX2 = 1u << 0,     // AVX2 + POPCNT, OS saves YMM state
    kFeatureAVX512 = 1u << 1,   // F, BW, DQ, VL, VPOPCNTDQ; OS saves ZMM state
    kFeatureNEON = 1u << 2,     // AArch64 Advanced SIMD
    kFeatureVBMI = 1u << 3,     // AVX-512 VBMI (byte permutes), with kFeatureAVX512
};

/// One (query, hash) pair within the radius: what the range kernels emit.
struct RangeHit {
    std::uint32_t entry;     ///< the hash's number (the caller's `first` + its position)
    std::uint16_t query;     ///< position of the query in the batch
    std::uint16_t distance;  ///< Hamming distance, 0..256
};

/// A candidate to verify (MIH): query `query` of the batch against hash `entry`.
struct RangePair {
    std::uint32_t entry;
    std::uint32_t query;
};

/// Bit-sliced ("vertical") layout of a hash list, scanned by range_sliced.
/// Hashes are grouped in blocks of kSliceLanes; a block is kSlicePlanes planes
/// of kSliceLanes bits (kSliceWords x u64), lane l of every plane belonging
/// to hash block * kSliceLanes + l:
///   planes 0..255    bit j of each hash (bit j = bit j % 64 of word j / 64);
///   planes 256..264  bit k of each hash's popcount (0..256);
///   plane 265        zero (pads a query's plane list to whole groups).
/// Lanes past the end of the list are zero. Built by slice_pack.
inline constexpr std::size_t kSliceLanes = 512;
inline constexpr std::size_t kSliceWords = kSliceLanes / 64;
inline constexpr std::size_t kSlicePopcount = 256;  ///< first popcount plane
inline constexpr std::size_t kSliceZero = 265;
inline constexpr std::size_t kSlicePlanes = 266;
inline constexpr std::size_t kSliceBlockWords = kSlicePlanes * kSliceWords;

/// A query prepared for range_sliced (slice_query). With S the query's one
/// bits when it has at most 128 of them, else its zero bits (|S| <= 128), and
/// c the number of S positions set in a hash h:
///   ones mode:  d = |h| + |S| - 2c, so d <= r  <=>  2c + 256 >= |h| + bias
///   zeros mode: d = 2c - |h| + 256 - |S|, so d <= r  <=>  2c + 256 <= |h| + bias
/// with bias = |S| - r + 256 (ones) or r + |S| (zeros), always in 0..384: only
/// ~128 of the 256 planes are read per query, and no XOR is needed.
struct SlicedQuery {
    std::uint16_t plane[128];  ///< word offsets (plane * kSliceWords) of S, ascending, padded with kSliceZero
    std::uint16_t groups;      ///< padded length / 16
    std::uint16_t selected;    ///< |S|
    std::uint16_t bias;
    std::uint16_t query;       ///< position in the batch, copied into the hits
    std::uint16_t check;       ///< after this many groups, skip a block part where no lane can still match (0: never)
    bool zeros;                ///< S is the zero bits
};

/// 8-bit grey or RGB pixels as the hash core reads them: `stride` bytes
/// between rows (>= width * channels), so a rectangle inside a larger image
/// is read in place.
struct PixelView {
    const std::uint8_t* px;
    int width, height, channels;
    std::size_t stride;
};

/// Pixels resampled (nearest neighbour) to rows x cols and read as float luma
/// where the stream needs them: output column x reads the pixel at byte
/// xs[x] of source row ys[y] (luma_offsets fills both).
struct LumaSource {
    PixelView view;
    const std::int32_t* xs;  ///< cols byte offsets within a row
    const std::int32_t* ys;  ///< rows source row numbers
    /// Optional: the caller computes the luma itself (no view, no
    /// resampling; xs and ys unused): row y of the rows x cols luma is
    /// fill(ctx, y, out). Called once per row, in row order, and the row is
    /// consumed before the next call (vPDQ converts each YUV row to luma in a
    /// buffer that stays in L1 instead of writing a whole RGB frame).
    void (*fill)(void* ctx, int row, float* out) = nullptr;
    void* ctx = nullptr;
};

/// The blur's shape: the luma image is rows x cols; the box filter runs
/// twice along rows (window `window_h`) then down columns (`window_v`), each
/// window <= its dimension.
struct BlurShape {
    int rows, cols;
    int window_h, window_v;
};

struct Kernels {
    const char* name;
    unsigned required;  ///< Feature bits the CPU must have

    /// Float luma of one row of 8-bit interleaved pixels (1 = grey: y = v;
    /// 3 = RGB: y = (0.299f*R + 0.587f*G) + 0.114f*B) at the byte offsets
    /// xs[0..cols) (nearest-neighbour resampling). `avail` is how many bytes
    /// may be read from `row` (SIMD gathers read 4 bytes per pixel).
    void (*luma_row)(const std::uint8_t* row, std::size_t avail, const std::int32_t* xs, int channels, float* out,
                     int cols);

    /// The reference's 1-D box filter applied along every row of a rows x
    /// cols buffer (the reference's running float sum, per row).
    void (*box_rows)(const float* in, float* out, int rows, int cols, int window);

    /// The reference's 1-D box filter applied down every column of a
    /// rows x cols buffer (the reference's running float sum, per column).
    void (*box_cols)(const float* in, float* out, int rows, int cols, int window);

    /// Floats of scratch blur_decimate needs for `shape` (no alignment
    /// needed: the kernel aligns its regions inside).
    std::size_t (*blur_scratch)(const BlurShape& shape);

    /// The hash core between pixels and the DCT: luma of src resampled to
    /// shape.rows x shape.cols, the reference's box filter along rows, down
    /// columns, along rows, down columns (each its running float sum), and
    /// the 64x64 samples at (decimate_index(i, rows), decimate_index(j, cols))
    /// written to out[i * 64 + j]. Scratch is the caller's, uninitialised, of
    /// blur_scratch(shape) floats. Scalar runs the four whole-image passes
    /// (the oracle); SIMD sets stream groups of 16 rows through ring buffers
    /// that stay in L2 and filter only the 64 sampled columns on the last pass.
    void (*blur_decimate)(const LumaSource& src, const BlurShape& shape, float* scratch, float* out);

    /// B = (D * A) * D^T with the 16x64 DCT matrix, sums over k in order.
    void (*dct64to16)(const float* a /*64x64*/, float* b /*16x16*/);

    /// out[i] = Hamming distance between q and db[i]; hashes are 4 x uint64.
    void (*hamming_1xn)(const std::uint64_t* q, const std::uint64_t* db, std::size_t n, std::uint16_t* out);

    // Range kernels: they emit only the pairs within the radius, never a
    // distance per hash. Hits come in any order; each writes at most the
    // number of hits it documents and returns how many it wrote.

    /// Every (query i < m, hash j < n) with distance(qs[i], db[j]) <= radius,
    /// hashes row-major (4 x u64), one pass over db for the whole batch; a
    /// hit's entry is first + j. Writes at most m * n hits. m <= 65536.
    std::size_t (*range_rows)(const std::uint64_t* qs, std::size_t m, const std::uint64_t* db, std::size_t n,
                              std::uint32_t first, int radius, RangeHit* hits);

    /// Candidate verification: for each pair, the distance between query
    /// qs[pair.query] and hash db[pair.entry] (read at random, prefetched
    /// ahead), kept when <= radius. Writes at most n hits.
    std::size_t (*range_pairs)(const std::uint64_t* qs, const std::uint64_t* db, const RangePair* pairs,
                               std::size_t n, int radius, RangeHit* hits);

    /// The bit-sliced scan: every prepared query against blocks of `planes`
    /// from the first (one pass: each block part stays in L1 while the batch
    /// passes over it, the lines of blocks ahead are prefetched); lanes
    /// numbered from the first block, those at or past n ignored; a hit's
    /// entry is first + lane. `cap` hit slots (>= m * kSliceLanes): the scan
    /// stops before a block when fewer than m * kSliceLanes slots are left,
    /// or after the last block holding lanes < n; *blocks = blocks scanned.
    std::size_t (*range_sliced)(const SlicedQuery* qs, std::size_t m, const std::uint64_t* planes, std::size_t n,
                                std::uint32_t first, RangeHit* hits, std::size_t cap, std::size_t* blocks);
};

/// Writes the bit-sliced layout of rows[0..n) (4 x u64 each) into planes:
/// ceil(n / kSliceLanes) blocks of kSliceBlockWords words. (drivers.cpp)
void slice_pack(const std::uint64_t* rows, std::size_t n, std::uint64_t* planes) noexcept;

/// Prepares query q (4 x u64) at `radius` (0..256) for range_sliced; hits
/// carry `index` as their query. (drivers.cpp)
void slice_query(const std::uint64_t* q, int radius, std::uint16_t index, SlicedQuery& out) noexcept;

/// The nearest-neighbour map of a width x height image onto rows x cols:
/// xs[x] = byte offset of column x's pixel in a row (resample_index(x, width,
/// cols) * channels), ys[y] = resample_index(y, height, rows). (drivers.cpp)
void luma_offsets(int width, int height, int channels, int rows, int cols, std::int32_t* xs,
                  std::int32_t* ys) noexcept;

/// Luma rows [y0, y1) of src into out (cols floats per row) with k's
/// luma_row. (drivers.cpp)
void luma_rows(const Kernels& k, const LumaSource& src, int y0, int y1, int cols, float* out) noexcept;

/// Bytes of src.view readable from the start of source row y (whole rows
/// but the last, which ends at its last pixel): the `avail` of luma_row.
inline std::size_t luma_avail(const PixelView& v, int y) noexcept {
    return v.stride * static_cast<std::size_t>(v.height - 1 - y) + static_cast<std::size_t>(v.width) * v.channels;
}

/// Float luma of a whole image resampled to rows x cols (row-major) with k's
/// luma_row: the reference's nearest-neighbour pre-resize fused with its luma
/// formula. `stride` is the distance in bytes between rows of `px`
/// (>= width * channels), so a rectangle inside a larger image can be hashed
/// without a copy. (drivers.cpp)
void luma_image(const Kernels& k, const std::uint8_t* px, int width, int height, int channels, std::size_t stride,
                float* out, int rows, int cols);

/// out[i*n + j] = distance(q[i], db[j]) for m queries against n hashes, with
/// k's hamming_1xn over blocks of the list small enough to stay in L1 while
/// every query passes over them. (drivers.cpp)
void hamming_mxn(const Kernels& k, const std::uint64_t* q, std::size_t m, const std::uint64_t* db, std::size_t n,
                 std::uint16_t* out) noexcept;

/// Feature bits of this CPU (CPUID + XGETBV on x86, HWCAP on AArch64), read once.
unsigned cpu_features() noexcept;

/// A short list of kernel sets, held without any allocation (choosing the set
/// must not fail on a process out of memory: it happens inside the first hash).
struct KernelList {
    const Kernels* sets[5] = {};
    std::size_t count = 0;
    const Kernels* const* begin() const noexcept { return sets; }
    const Kernels* const* end() const noexcept { return sets + count; }
    std::size_t size() const noexcept { return count; }
    bool empty() const noexcept { return count == 0; }
    const Kernels* front() const noexcept { return sets[0]; }
    const Kernels* back() const noexcept { return sets[count - 1]; }
    void push_back(const Kernels* k) noexcept {
        if (count < 5) sets[count++] = k;
    }
};

/// Kernel sets compiled into this build, best first, scalar last.
const KernelList& compiled() noexcept;

/// Compiled sets this CPU supports and that passed their start-up self-check.
const KernelList& available() noexcept;

/// A set by name ("scalar", "avx2", "avx512", "avx512vbmi", "neon") if
/// available, else null.
const Kernels* find(std::string_view name) noexcept;

/// The set the library uses: HASHGUARD_FORCE_KERNEL=<name> when that set is
/// available, otherwise the best available. Chosen once, on first use.
const Kernels& active() noexcept;

// The per-target sets (null where not compiled for this architecture).
const Kernels& scalar_kernels() noexcept;
const Kernels* avx2_kernels() noexcept;
const Kernels* avx512_kernels() noexcept;
const Kernels* avx512vbmi_kernels() noexcept;
const Kernels* neon_kernels() noexcept;

}  // namespace hashguard::kernels
