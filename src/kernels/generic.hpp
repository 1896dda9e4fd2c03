// Kernel loops written once for every SIMD kernel set: the box filter's
// phases (down columns, and along rows once they are transposed into lanes),
// the 16x64 DCT products and, for sets whose traits gather pixels, the luma
// row.
//
// Included by a per-ISA kernel file inside its anonymous namespace (after
// kernels.hpp, reference.hpp and <cstdlib>), once it defines HG_TARGET (its
// function attribute, possibly empty) and a traits struct describing its
// float vector:
//   using vec, mask; static constexpr int W (lanes);
//   zero(), set1(float), add, sub, mul, div, load(p), store(p, v),
//   load_part(p, mask), store_part(p, mask, v), tail_mask(lanes)  (HG_TARGET)
// for box_rows_generic also
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

// Filters rows [r0, r0 + W*S) of the image: transposes them (W x W blocks in
// registers) into t, W*S floats per column, runs the phases over the lanes,
// transposes u back into out.
template <class V, int S>
HG_TARGET void box_row_group(const float* in, float* out, int cols, int r0, const BoxPhases& ph, float* t, float* u) {
    constexpr int W = V::W, L = V::W * S;
    const int colsw = cols - cols % W;
    for (int k = 0; k < S; ++k) {
        const float* src = in + static_cast<std::size_t>(r0 + W * k) * cols;
        for (int c = 0; c < colsw; c += W) V::transpose(src + c, cols, t + L * c + W * k, L);
        for (int c = colsw; c < cols; ++c)
            for (int r = 0; r < W; ++r) t[L * c + W * k + r] = src[static_cast<std::size_t>(r) * cols + c];
    }
    box_phases<V, S>(ph, LaneIO<V, S>{t, u});
    for (int k = 0; k < S; ++k) {
        float* dst = out + static_cast<std::size_t>(r0 + W * k) * cols;
        for (int c = 0; c < colsw; c += W) V::transpose(u + L * c + W * k, L, dst + c, cols);
        for (int c = colsw; c < cols; ++c)
            for (int r = 0; r < W; ++r) dst[static_cast<std::size_t>(r) * cols + c] = u[L * c + W * k + r];
    }
}

// Rows are filtered W * kRowGroups, then W, at a time: one vector holds one
// column of W rows, each lane runs the reference's sum for its row (per row
// exactly the scalar filter's operations); the last rows % W rows run the
// reference filter itself.
template <class V>
HG_TARGET void box_rows_generic(const float* in, float* out, int rows, int cols, int window) {
    constexpr int W = V::W, S = V::kRowGroups;
    const BoxPhases ph(cols, window);
    const int rowsw = rows - rows % W;
    const std::size_t step = static_cast<std::size_t>(W) * S * static_cast<std::size_t>((cols + W - 1) / W * W);
    const std::size_t bytes = (2 * step * sizeof(float) + 63) & ~std::size_t{63};  // t and u
    float* buf = rowsw ? static_cast<float*>(std::aligned_alloc(64, bytes)) : nullptr;
    if (rowsw && !buf) {
        scalar_kernels().box_rows(in, out, rows, cols, window);
        return;
    }
    int r0 = 0;
    if constexpr (S > 1)
        for (; r0 + W * S <= rowsw; r0 += W * S) box_row_group<V, S>(in, out, cols, r0, ph, buf, buf + step);
    for (; r0 + W <= rowsw; r0 += W) box_row_group<V, 1>(in, out, cols, r0, ph, buf, buf + step);
    std::free(buf);
    for (int r = rowsw; r < rows; ++r)
        BoxPhases::filter(in + static_cast<std::size_t>(r) * cols, out + static_cast<std::size_t>(r) * cols, cols,
                          window);
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
