// Kernel loops written once for every SIMD kernel set: the box filter's
// phases and the 16x64 DCT products.
//
// Included by a per-ISA kernel file inside its anonymous namespace, after it
// defines HG_TARGET (its function attribute, possibly empty) and a traits
// struct describing its float vector:
//   using vec, mask; static constexpr int W (lanes);
//   zero(), set1(float), add, sub, mul, div, load(p), store(p, v),
//   load_part(p, mask), store_part(p, mask, v), tail_mask(lanes)  (HG_TARGET)
// Each lane performs exactly the scalar filter's operations in its order
// (see BoxPhases); vectors only span independent outputs. No include guard:
// each translation unit instantiates its own copy.

// Box filter down NV*W columns from c0, sums in registers for the whole
// column; the strip's last vector is partial (mask `tail`) when `masked`.
template <class V, int NV>
HG_TARGET void box_strip(const float* in, float* out, int cols, int c0, const BoxPhases& ph,
                         typename V::mask tail, bool masked) {
    using vec = typename V::vec;
    vec s[NV];
    for (int v = 0; v < NV; ++v) s[v] = V::zero();
    const std::size_t st = static_cast<std::size_t>(cols);
    const float* ib = in + c0;
    float* ob = out + c0;
    auto part = [masked](int v) { return masked && v == NV - 1; };
#define HG_LD(r, v)                                                                                     \
    (part(v) ? V::load_part(ib + static_cast<std::size_t>(r) * st + V::W * (v), tail)                 \
             : V::load(ib + static_cast<std::size_t>(r) * st + V::W * (v)))
#define HG_ST(r, v, x)                                                                                  \
    do {                                                                                                \
        float* p_ = ob + static_cast<std::size_t>(r) * st + V::W * (v);                               \
        if (part(v)) V::store_part(p_, tail, x);                                                       \
        else V::store(p_, x);                                                                           \
    } while (0)
    int li = 0, ri = 0, oi = 0, count = 0;
    for (int i = 0; i < ph.p1; ++i, ++ri, ++count)
        for (int v = 0; v < NV; ++v) s[v] = V::add(s[v], HG_LD(ri, v));
    for (int i = 0; i < ph.p2; ++i, ++ri, ++oi) {
        ++count;
        const vec fc = V::set1(static_cast<float>(count));
        for (int v = 0; v < NV; ++v) {
            s[v] = V::add(s[v], HG_LD(ri, v));
            HG_ST(oi, v, V::div(s[v], fc));
        }
    }
    // Full window: x / w equals x * (1/w) exactly when w is a power of two
    // (both are the correctly rounded x * 2^-k), which is the common case
    // (w = 4 for the 512 px pre-resized image); otherwise divide.
    const bool pow2 = (count & (count - 1)) == 0;
    const vec fw = V::set1(static_cast<float>(count));
    const vec inv = V::set1(1.0f / static_cast<float>(count));
    for (int i = 0; i < ph.p3; ++i, ++ri, ++li, ++oi)
        for (int v = 0; v < NV; ++v) {
            s[v] = V::add(s[v], HG_LD(ri, v));
            s[v] = V::sub(s[v], HG_LD(li, v));
            HG_ST(oi, v, pow2 ? V::mul(s[v], inv) : V::div(s[v], fw));
        }
    for (int i = 0; i < ph.p4; ++i, ++li, ++oi) {
        --count;
        const vec fc = V::set1(static_cast<float>(count));
        for (int v = 0; v < NV; ++v) {
            s[v] = V::sub(s[v], HG_LD(li, v));
            HG_ST(oi, v, V::div(s[v], fc));
        }
    }
#undef HG_LD
#undef HG_ST
}

// Box filter down every column: strips of 8 vectors, then single vectors,
// then one partial vector for the last columns.
template <class V>
HG_TARGET void box_cols_generic(const float* in, float* out, int rows, int cols, int window) {
    const BoxPhases ph(rows, window);
    const typename V::mask full = V::tail_mask(V::W);
    int c = 0;
    for (; c + 8 * V::W <= cols; c += 8 * V::W) box_strip<V, 8>(in, out, cols, c, ph, full, false);
    for (; c + V::W <= cols; c += V::W) box_strip<V, 1>(in, out, cols, c, ph, full, false);
    if (c < cols) box_strip<V, 1>(in, out, cols, c, ph, V::tail_mask(cols - c), true);
}

// Running sums per lane over a buffer of steps of S vectors (S independent
// groups of W rows, advanced together so their dependency chains overlap):
// the row filter's inner loop once rows are transposed into lanes.
template <class V, int S>
HG_TARGET void box_lanes(const float* t, float* u, const BoxPhases& ph) {
    using vec = typename V::vec;
    constexpr int W = V::W * S;  // floats per step
    vec sum[S];
    for (int k = 0; k < S; ++k) sum[k] = V::zero();
    int li = 0, ri = 0, oi = 0, count = 0;
    for (int i = 0; i < ph.p1; ++i, ++ri, ++count)
        for (int k = 0; k < S; ++k) sum[k] = V::add(sum[k], V::load(t + W * ri + V::W * k));
    for (int i = 0; i < ph.p2; ++i, ++ri, ++oi) {
        ++count;
        const vec fc = V::set1(static_cast<float>(count));
        for (int k = 0; k < S; ++k) {
            sum[k] = V::add(sum[k], V::load(t + W * ri + V::W * k));
            V::store(u + W * oi + V::W * k, V::div(sum[k], fc));
        }
    }
    const bool pow2 = (count & (count - 1)) == 0;  // see box_strip
    const vec fw = V::set1(static_cast<float>(count));
    const vec inv = V::set1(1.0f / static_cast<float>(count));
    for (int i = 0; i < ph.p3; ++i, ++ri, ++li, ++oi)
        for (int k = 0; k < S; ++k) {
            sum[k] = V::add(sum[k], V::load(t + W * ri + V::W * k));
            sum[k] = V::sub(sum[k], V::load(t + W * li + V::W * k));
            V::store(u + W * oi + V::W * k, pow2 ? V::mul(sum[k], inv) : V::div(sum[k], fw));
        }
    for (int i = 0; i < ph.p4; ++i, ++li, ++oi) {
        --count;
        const vec fc = V::set1(static_cast<float>(count));
        for (int k = 0; k < S; ++k) {
            sum[k] = V::sub(sum[k], V::load(t + W * li + V::W * k));
            V::store(u + W * oi + V::W * k, V::div(sum[k], fc));
        }
    }
}

// B = (D * A) * D^T: T[i][*] accumulates D[i][k] * A[k][*] over k = 0..63 in
// order (64 independent outputs per row, 64/W vectors), then B[i][*]
// accumulates T[i][k] * D^T[k][*] (16 outputs, 16/W vectors). Same products
// and sums, in the same order, as the scalar kernel.
template <class V>
HG_TARGET void dct_generic(const float* a, float* b) {
    using vec = typename V::vec;
    constexpr int N1 = 64 / V::W, N2 = 16 / V::W;
    const float* d = &dct_matrix()[0][0];
    const float* dt = &dct_matrix_t()[0][0];
    float t[16 * 64];
    for (int i = 0; i < 16; ++i) {
        vec acc[N1];
        for (int v = 0; v < N1; ++v) acc[v] = V::zero();
        for (int k = 0; k < 64; ++k) {
            const vec dik = V::set1(d[i * 64 + k]);
            for (int v = 0; v < N1; ++v) acc[v] = V::add(acc[v], V::mul(dik, V::load(a + k * 64 + V::W * v)));
        }
        for (int v = 0; v < N1; ++v) V::store(t + i * 64 + V::W * v, acc[v]);
    }
    for (int i = 0; i < 16; ++i) {
        vec acc[N2];
        for (int v = 0; v < N2; ++v) acc[v] = V::zero();
        for (int k = 0; k < 64; ++k) {
            const vec tik = V::set1(t[i * 64 + k]);
            for (int v = 0; v < N2; ++v) acc[v] = V::add(acc[v], V::mul(tik, V::load(dt + k * 16 + V::W * v)));
        }
        for (int v = 0; v < N2; ++v) V::store(b + i * 16 + V::W * v, acc[v]);
    }
}
