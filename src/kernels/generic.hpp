// Kernel loops written once for every SIMD kernel set: the box filter's
// phases (down columns, and along rows once they are transposed into lanes),
// the streaming hash core (blur_decimate_stream, at the end), the 16x64 DCT
// products and, for sets whose traits gather pixels, the luma row.
//
// Included by a per-ISA kernel file inside its anonymous namespace (after
// kernels.hpp, reference.hpp and <cstdlib>), once it defines HG_TARGET (its
// function attribute, possibly empty) and a traits struct describing its
// float vector:
//   using vec, mask; static constexpr int W (lanes);
//   zero(), set1(float), add, sub, mul, div, load(p), store(p, v),
//   load_part(p, mask), store_part(p, mask, v), tail_mask(lanes)  (HG_TARGET)
// for box_rows_generic and blur_decimate_stream also
//   static constexpr int kRowGroups (W-row groups advanced together, 1 or 2);
//   transpose(in, in_stride, out, out_stride) (a W x W block)
// and for luma_row_generic also
//   using ivec; gather4(row, xs) (lane i: the 4 bytes at row + xs[i]);
//   byte_to_float<k>(ivec) (byte k of each lane, as float).
// Each lane performs exactly the scalar filter's operations in its order
// (see BoxPhases); vectors only span independent outputs. No include guard:
// each translation unit instantiates its own copy.

// Where the box filter's running sums read and write. Both expose
// load(r, v) / store(r, v, x): vector v (of N) of step r along the filtered
// axis.

// N vectors across one row of a rows x cols image, from column c0: step r is
// image row r; the last vector is partial (mask `tail`) when `masked`.
template <class V, int N>
struct StripIO {
    const float* in;
    float* out;
    std::size_t stride;
    typename V::mask tail;
    bool masked;
    HG_TARGET bool part(int v) const { return masked && v == N - 1; }
    HG_TARGET typename V::vec load(int r, int v) const {
        const float* p = in + static_cast<std::size_t>(r) * stride + V::W * v;
        return part(v) ? V::load_part(p, tail) : V::load(p);
    }
    HG_TARGET void store(int r, int v, typename V::vec x) const {
        float* p = out + static_cast<std::size_t>(r) * stride + V::W * v;
        if (part(v)) V::store_part(p, tail, x);
        else V::store(p, x);
    }
};

// N vectors per step in contiguous buffers (rows transposed into lanes):
// step r is t[N*W*r ..] in, u[N*W*r ..] out.
template <class V, int N>
struct LaneIO {
    const float* t;
    float* u;
    static constexpr std::size_t kStep = static_cast<std::size_t>(N) * V::W;
    HG_TARGET typename V::vec load(int r, int v) const { return V::load(t + kStep * r + V::W * v); }
    HG_TARGET void store(int r, int v, typename V::vec x) const { V::store(u + kStep * r + V::W * v, x); }
};

// The reference's four phases with N running sums in registers, each lane
// one independent vector's sum (several sums advance together so their
// dependency chains overlap).
template <class V, int N, class IO>
HG_TARGET void box_phases(const BoxPhases& ph, const IO& io) {
    using vec = typename V::vec;
    vec s[N];
    for (int v = 0; v < N; ++v) s[v] = V::zero();
    int li = 0, ri = 0, oi = 0, count = 0;
    for (int i = 0; i < ph.p1; ++i, ++ri, ++count)
        for (int v = 0; v < N; ++v) s[v] = V::add(s[v], io.load(ri, v));
    for (int i = 0; i < ph.p2; ++i, ++ri, ++oi) {
        ++count;
        const vec fc = V::set1(static_cast<float>(count));
        for (int v = 0; v < N; ++v) {
            s[v] = V::add(s[v], io.load(ri, v));
            io.store(oi, v, V::div(s[v], fc));
        }
    }
    // Full window: x / w equals x * (1/w) exactly when w is a power of two
    // (both are the correctly rounded x * 2^-k), which is the common case
    // (w = 4 for the 512 px pre-resized image); otherwise divide.
    const bool pow2 = (count & (count - 1)) == 0;
    const vec fw = V::set1(static_cast<float>(count));
    const vec inv = V::set1(1.0f / static_cast<float>(count));
    for (int i = 0; i < ph.p3; ++i, ++ri, ++li, ++oi)
        for (int v = 0; v < N; ++v) {
            s[v] = V::add(s[v], io.load(ri, v));
            s[v] = V::sub(s[v], io.load(li, v));
            io.store(oi, v, pow2 ? V::mul(s[v], inv) : V::div(s[v], fw));
        }
    for (int i = 0; i < ph.p4; ++i, ++li, ++oi) {
        --count;
        const vec fc = V::set1(static_cast<float>(count));
        for (int v = 0; v < N; ++v) {
            s[v] = V::sub(s[v], io.load(li, v));
            io.store(oi, v, V::div(s[v], fc));
        }
    }
}

// Box filter down every column: strips of 8 vectors, then single vectors,
// then one partial vector for the last columns.
template <class V>
HG_TARGET void box_cols_generic(const float* in, float* out, int rows, int cols, int window) {
    const BoxPhases ph(rows, window);
    const std::size_t st = static_cast<std::size_t>(cols);
    const typename V::mask full = V::tail_mask(V::W);
    int c = 0;
    for (; c + 8 * V::W <= cols; c += 8 * V::W) box_phases<V, 8>(ph, StripIO<V, 8>{in + c, out + c, st, full, false});
    for (; c + V::W <= cols; c += V::W) box_phases<V, 1>(ph, StripIO<V, 1>{in + c, out + c, st, full, false});
    if (c < cols) box_phases<V, 1>(ph, StripIO<V, 1>{in + c, out + c, st, V::tail_mask(cols - c), true});
}

// Rows [r0, r0 + W*S) of an image (ld floats per row) transposed into t
// (W x W blocks in registers), W*S floats per column: column c, row r0 + R
// lands at t[W*S*c + R].
template <class V, int S>
HG_TARGET void rows_to_lanes(const float* in, std::size_t ld, int cols, int r0, float* t) {
    constexpr int W = V::W, L = V::W * S;
    const int colsw = cols - cols % W;
    for (int k = 0; k < S; ++k) {
        const float* src = in + static_cast<std::size_t>(r0 + W * k) * ld;
        for (int c = 0; c < colsw; c += W) V::transpose(src + c, ld, t + L * c + W * k, L);
        for (int c = colsw; c < cols; ++c)
            for (int r = 0; r < W; ++r) t[L * c + W * k + r] = src[static_cast<std::size_t>(r) * ld + c];
    }
}

// The reverse of rows_to_lanes: u back into rows [r0, r0 + W*S) of out.
template <class V, int S>
HG_TARGET void lanes_to_rows(const float* u, float* out, std::size_t ld, int cols, int r0) {
    constexpr int W = V::W, L = V::W * S;
    const int colsw = cols - cols % W;
    for (int k = 0; k < S; ++k) {
        float* dst = out + static_cast<std::size_t>(r0 + W * k) * ld;
        for (int c = 0; c < colsw; c += W) V::transpose(u + L * c + W * k, L, dst + c, ld);
        for (int c = colsw; c < cols; ++c)
            for (int r = 0; r < W; ++r) dst[static_cast<std::size_t>(r) * ld + c] = u[L * c + W * k + r];
    }
}

// Floats of scratch box_rows_block needs (t and u).
template <class V>
constexpr std::size_t box_rows_scratch(int cols) {
    return 2 * static_cast<std::size_t>(V::W) * V::kRowGroups *
           static_cast<std::size_t>((cols + V::W - 1) / V::W * V::W);
}

// Rows [r0, r0 + lanes) of the filtered image, sampled at the 64 columns
// sample[0..64): out holds 64 floats per row, read straight from the lanes.
inline void sample_lanes(const float* u, int lanes, const int* sample, float* out, int r0) {
    for (int j = 0; j < 64; ++j) {
        const float* col = u + static_cast<std::size_t>(lanes) * sample[j];
        for (int r = 0; r < lanes; ++r) out[static_cast<std::size_t>(r0 + r) * 64 + j] = col[r];
    }
}

// Rows are filtered W * kRowGroups, then W, at a time: one vector holds one
// column of W rows, each lane runs the reference's sum for its row (per row
// exactly the scalar filter's operations); the last rows % W rows run the
// reference filter itself. Rows are ld floats apart in and out; `buf` holds
// box_rows_scratch(cols) floats. With `sample`, out receives only the 64
// columns sample[0..64) of each row (64 floats per row), read from the lanes
// without transposing back.
template <class V>
HG_TARGET void box_rows_block(const float* in, float* out, int rows, int cols, std::size_t ld, int window,
                              float* buf, const int* sample = nullptr) {
    constexpr int W = V::W, S = V::kRowGroups;
    const BoxPhases ph(cols, window);
    const int rowsw = rows - rows % W;
    float *t = buf, *u = buf + box_rows_scratch<V>(cols) / 2;
    int r0 = 0;
    if constexpr (S > 1)
        for (; r0 + W * S <= rowsw; r0 += W * S) {
            rows_to_lanes<V, S>(in, ld, cols, r0, t);
            box_phases<V, S>(ph, LaneIO<V, S>{t, u});
            if (sample) sample_lanes(u, W * S, sample, out, r0);
            else lanes_to_rows<V, S>(u, out, ld, cols, r0);
        }
    for (; r0 + W <= rowsw; r0 += W) {
        rows_to_lanes<V, 1>(in, ld, cols, r0, t);
        box_phases<V, 1>(ph, LaneIO<V, 1>{t, u});
        if (sample) sample_lanes(u, W, sample, out, r0);
        else lanes_to_rows<V, 1>(u, out, ld, cols, r0);
    }
    for (int r = rowsw; r < rows; ++r) {
        const float* src = in + static_cast<std::size_t>(r) * ld;
        if (!sample) {
            BoxPhases::filter(src, out + static_cast<std::size_t>(r) * ld, cols, window);
            continue;
        }
        BoxPhases::filter(src, u, cols, window);
        for (int j = 0; j < 64; ++j) out[static_cast<std::size_t>(r) * 64 + j] = u[sample[j]];
    }
}

// The whole-image row pass (tests, benches): box_rows_block over the image.
template <class V>
HG_TARGET void box_rows_generic(const float* in, float* out, int rows, int cols, int window) {
    const std::size_t bytes = (box_rows_scratch<V>(cols) * sizeof(float) + 63) & ~std::size_t{63};
    float* buf = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (!buf) {
        scalar_kernels().box_rows(in, out, rows, cols, window);
        return;
    }
    box_rows_block<V>(in, out, rows, cols, static_cast<std::size_t>(cols), window, buf);
    std::free(buf);
}

// C[i][*] = sum over k = 0..63, in order, of L[i][k] * R[k][*] for the 16
// rows i of L (16x64): N independent outputs per row, N/W vectors.
template <class V, int N>
HG_TARGET void dct_product(const float* l, const float* r, float* c) {
    using vec = typename V::vec;
    constexpr int NV = N / V::W;
    for (int i = 0; i < 16; ++i) {
        vec acc[NV];
        for (int v = 0; v < NV; ++v) acc[v] = V::zero();
        for (int k = 0; k < 64; ++k) {
            const vec lik = V::set1(l[i * 64 + k]);
            for (int v = 0; v < NV; ++v) acc[v] = V::add(acc[v], V::mul(lik, V::load(r + k * N + V::W * v)));
        }
        for (int v = 0; v < NV; ++v) V::store(c + i * N + V::W * v, acc[v]);
    }
}

// B = (D * A) * D^T: T = D * A (64 outputs per row), then B = T * D^T (16
// outputs per row). Same products and sums, in the same order, as the scalar
// kernel.
template <class V>
HG_TARGET void dct_generic(const float* a, float* b) {
    const float* d = &dct_matrix()[0][0];
    const float* dt = &dct_matrix_t()[0][0];
    float t[16 * 64];
    dct_product<V, 64>(d, a, t);
    dct_product<V, 16>(t, dt, b);
}

// Luma of W pixels per vector: each lane gathers the 4 bytes at its pixel's
// offset (it may read past its pixel, never past `avail`) and computes
// luma_rgb's (kR*R + kG*G) + kB*B in that order; the pixels left over (and
// any whose 4-byte read would pass `avail`) go through luma_pixel.
template <class V>
HG_TARGET void luma_row_generic(const std::uint8_t* row, std::size_t avail, const std::int32_t* xs, int channels,
                                float* o, int cols) {
    using vec = typename V::vec;
    const vec kr = V::set1(kLumaR), kg = V::set1(kLumaG), kb = V::set1(kLumaB);
    int x = 0;
    for (; x + V::W <= cols && static_cast<std::size_t>(xs[x + V::W - 1]) + 4 <= avail; x += V::W) {
        const typename V::ivec px = V::gather4(row, xs + x);
        if (channels == 1) {
            V::store(o + x, V::template byte_to_float<0>(px));
        } else {
            const vec rg = V::add(V::mul(kr, V::template byte_to_float<0>(px)),
                                  V::mul(kg, V::template byte_to_float<1>(px)));
            V::store(o + x, V::add(rg, V::mul(kb, V::template byte_to_float<2>(px))));
        }
    }
    for (; x < cols; ++x) o[x] = luma_pixel(row + xs[x], channels);
}

// ---- The streaming hash core (blur_decimate) ----
//
// Luma, H1, V1, H2, V2 over groups of kGroup rows. Step t computes luma and
// H1 of group t (into ring A), V1 of group t - lag (from ring A) and H2 of
// it (only the 64 sampled columns kept, into ring B), and V2 of group
// t - 2 lag (from ring B, the 64 columns only; output only at the sampled
// rows). V's output row o reads input rows o - p2 .. o + p1, so a lag of
// ceil(p1 / kGroup) groups has every row it adds ready, and rings of
// kGroup * lag + kGroup + p2 rows (rounded up to whole groups, so a group is
// contiguous) still hold every row it subtracts. The running sums of the
// vertical passes live in memory between groups (cols floats, and 64).

inline constexpr int kGroup = 32;  // rows per step (16 measured no faster; 32-row lanes in box_rows were slower)

// Where each region of blur_decimate's scratch starts (floats from a
// 64-byte aligned base); total is what blur_scratch asks for.
struct StreamLayout {
    BoxPhases v;
    int lag, ring;
    std::size_t ld;  // floats per row of the row buffers
    std::size_t x, y, ring_a, ring_b, sums, sums2, tu, plan, total;
    // plan_bytes: room for the luma policy's per-image plan (0: none).
    StreamLayout(const BlurShape& b, std::size_t plan_bytes) : v(b.rows, b.window_v) {
        lag = (v.p1 + kGroup - 1) / kGroup;
        ring = (kGroup * lag + kGroup + v.p2 + kGroup - 1) / kGroup * kGroup;
        const std::size_t cw = (static_cast<std::size_t>(b.cols) + 15) / 16 * 16;
        ld = cw;
        x = 0;
        y = x + kGroup * ld;
        ring_a = y + kGroup * ld;
        ring_b = ring_a + static_cast<std::size_t>(ring) * ld;
        sums = ring_b + static_cast<std::size_t>(ring) * 64;
        sums2 = sums + cw;
        tu = sums2 + 64;
        plan = tu + 2 * static_cast<std::size_t>(kGroup) * cw;  // 64-byte aligned: every region is 16 floats whole
        total = plan + (plan_bytes + 63) / 64 * 16 + 16;        // + 16: room to align the base
    }
};

// How blur_decimate_stream computes a luma row: a set's luma_row function,
// with no per-image plan. A policy provides plan_bytes(cols) (scratch bytes
// for its plan, 64-byte aligned), plan(src, cols, mem) (built once per image)
// and row(plan, row, avail, xs, channels, out, cols) (luma_row's contract).
template <void (*F)(const std::uint8_t*, std::size_t, const std::int32_t*, int, float*, int)>
struct LumaFn {
    static constexpr std::size_t plan_bytes(int) { return 0; }
    static void plan(const LumaSource&, int, void*) {}
    HG_TARGET static void row(const void*, const std::uint8_t* r, std::size_t avail, const std::int32_t* xs, int ch,
                              float* o, int cols) {
        F(r, avail, xs, ch, o, cols);
    }
};

template <class Luma>
std::size_t blur_scratch_stream(const BlurShape& b) {
    return StreamLayout(b, Luma::plan_bytes(b.cols)).total;
}

// The running sums of a vertical pass over N vectors of columns, resumed for
// output rows [o0, o1): per output row the reference's phase step (p1's
// additions first, before row 0). Input row r is at in(r) (column offset
// included), output row o at out(o) (null: not needed, the sums still
// advance); the last vector is partial (mask `tail`) when `masked`. The sums
// start at zero at row 0 and are kept in `sums` between calls.
template <class V, int N>
struct VertIO {
    const float* ring;
    int ring_rows;
    std::size_t ld;
    typename V::mask tail;
    bool masked;
    const float* in(int r) const { return ring + static_cast<std::size_t>(r % ring_rows) * ld; }
    HG_TARGET bool part(int v) const { return masked && v == N - 1; }
    HG_TARGET typename V::vec load(const float* p, int v) const {
        return part(v) ? V::load_part(p + V::W * v, tail) : V::load(p + V::W * v);
    }
    HG_TARGET void store(float* p, int v, typename V::vec x) const {
        if (part(v)) V::store_part(p + V::W * v, tail, x);
        else V::store(p + V::W * v, x);
    }
};

template <class V, int N, class Out>
HG_TARGET void vert_steps(const BoxPhases& ph, int o0, int o1, const VertIO<V, N>& io, float* sums, Out&& out) {
    using vec = typename V::vec;
    vec s[N];
    for (int v = 0; v < N; ++v) s[v] = o0 == 0 ? V::zero() : io.load(sums, v);
    const int w = ph.p1 + ph.p2;
    const bool pow2 = (w & (w - 1)) == 0;  // see box_phases
    const vec fw = V::set1(static_cast<float>(w)), inv = V::set1(1.0f / static_cast<float>(w));
    for (int o = o0; o < o1; ++o) {
        if (o == 0)
            for (int r = 0; r < ph.p1; ++r)
                for (int v = 0; v < N; ++v) s[v] = V::add(s[v], io.load(io.in(r), v));
        float* dst = out(o);
        if (o < ph.p2) {
            const float* a = io.in(ph.p1 + o);
            const vec fc = V::set1(static_cast<float>(ph.p1 + o + 1));
            for (int v = 0; v < N; ++v) s[v] = V::add(s[v], io.load(a, v));
            if (dst)
                for (int v = 0; v < N; ++v) io.store(dst, v, V::div(s[v], fc));
        } else if (o < ph.p2 + ph.p3) {
            const float *a = io.in(ph.p1 + o), *l = io.in(o - ph.p2);
            for (int v = 0; v < N; ++v) s[v] = V::sub(V::add(s[v], io.load(a, v)), io.load(l, v));
            if (dst)
                for (int v = 0; v < N; ++v) io.store(dst, v, pow2 ? V::mul(s[v], inv) : V::div(s[v], fw));
        } else {
            const float* l = io.in(o - ph.p2);
            const vec fc = V::set1(static_cast<float>(w - 1 - (o - ph.p2 - ph.p3)));
            for (int v = 0; v < N; ++v) s[v] = V::sub(s[v], io.load(l, v));
            if (dst)
                for (int v = 0; v < N; ++v) io.store(dst, v, V::div(s[v], fc));
        }
    }
    for (int v = 0; v < N; ++v) io.store(sums, v, s[v]);
}

// V1 of output rows [o0, o1) over N vectors of columns from c: from ring A
// into y (row o at y + (o - o0) * ld).
template <class V, int N>
HG_TARGET void vert_strip(const StreamLayout& L, int c, int o0, int o1, const float* ring, float* y, float* sums,
                          typename V::mask tail, bool masked) {
    const VertIO<V, N> io{ring + c, L.ring, L.ld, tail, masked};
    vert_steps<V, N>(L.v, o0, o1, io, sums + c, [&](int o) { return y + static_cast<std::size_t>(o - o0) * L.ld + c; });
}

// V1 over every column: strips of 8 vectors, single vectors, a partial one.
template <class V>
HG_TARGET void vert_all(const StreamLayout& L, int cols, int o0, int o1, const float* ring, float* y, float* sums) {
    const typename V::mask full = V::tail_mask(V::W);
    int c = 0;
    for (; c + 8 * V::W <= cols; c += 8 * V::W) vert_strip<V, 8>(L, c, o0, o1, ring, y, sums, full, false);
    for (; c + V::W <= cols; c += V::W) vert_strip<V, 1>(L, c, o0, o1, ring, y, sums, full, false);
    if (c < cols) vert_strip<V, 1>(L, c, o0, o1, ring, y, sums, V::tail_mask(cols - c), true);
}

// blur_decimate for a SIMD set: `Luma` is its luma policy (LumaFn above).
template <class V, class Luma>
HG_TARGET void blur_decimate_stream(const LumaSource& src, const BlurShape& b, float* scratch, float* out) {
    const StreamLayout L(b, Luma::plan_bytes(b.cols));
    float* base = reinterpret_cast<float*>((reinterpret_cast<std::uintptr_t>(scratch) + 63) & ~std::uintptr_t{63});
    float *x = base + L.x, *y = base + L.y, *ring_a = base + L.ring_a, *ring_b = base + L.ring_b;
    float *sums = base + L.sums, *sums2 = base + L.sums2, *tu = base + L.tu;
    void* plan = base + L.plan;
    if (!src.fill) Luma::plan(src, b.cols, plan);
    int col_at[64], row_at[64];
    for (int j = 0; j < 64; ++j) col_at[j] = decimate_index(j, b.cols), row_at[j] = decimate_index(j, b.rows);
    const PixelView& pv = src.view;
    const int groups = (b.rows + kGroup - 1) / kGroup;
    int next = 0;  // the next sample row V2 writes
    auto out_row = [&](int o) -> float* {
        if (next >= 64 || row_at[next] != o) return nullptr;
        float* p = out + 64 * next;
        while (next < 64 && row_at[next] == o) ++next;  // repeats: copied below
        return p;
    };
    for (int t = 0; t < groups + 2 * L.lag; ++t) {
        if (t < groups) {  // luma and H1 of group t
            const int r0 = t * kGroup, n = std::min(kGroup, b.rows - r0);
            for (int r = 0; r < n; ++r) {
                float* lr = x + static_cast<std::size_t>(r) * L.ld;
                if (src.fill) {
                    src.fill(src.ctx, r0 + r, lr);
                } else {
                    const int sy = src.ys[r0 + r];
                    Luma::row(plan, pv.px + static_cast<std::size_t>(sy) * pv.stride, luma_avail(pv, sy), src.xs,
                              pv.channels, lr, b.cols);
                }
            }
            box_rows_block<V>(x, ring_a + static_cast<std::size_t>(r0 % L.ring) * L.ld, n, b.cols, L.ld, b.window_h,
                              tu);
        }
        if (const int g = t - L.lag; g >= 0 && g < groups) {  // V1, then H2 at the sampled columns
            const int o0 = g * kGroup, o1 = std::min(o0 + kGroup, b.rows);
            vert_all<V>(L, b.cols, o0, o1, ring_a, y, sums);
            box_rows_block<V>(y, ring_b + static_cast<std::size_t>(o0 % L.ring) * 64, o1 - o0, b.cols, L.ld,
                              b.window_h, tu, col_at);
        }
        if (const int g = t - 2 * L.lag; g >= 0 && g < groups) {  // V2 at the sampled columns and rows
            const int o0 = g * kGroup, o1 = std::min(o0 + kGroup, b.rows);
            const VertIO<V, 64 / V::W> io{ring_b, L.ring, 64, V::tail_mask(V::W), false};
            vert_steps<V, 64 / V::W>(L.v, o0, o1, io, sums2, out_row);
        }
    }
    for (int i = 1; i < 64; ++i)
        if (row_at[i] == row_at[i - 1]) std::copy(out + 64 * (i - 1), out + 64 * i, out + 64 * i);
}
