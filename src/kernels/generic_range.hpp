// Range-kernel loops written once for every kernel set: the row-major range
// scan and the candidate verification (over a per-set distance), and the
// bit-sliced scan (over a per-set bit vector).
//
// Included by a kernel file inside its anonymous namespace (after
// kernels.hpp), once it defines HG_TARGET (its function attribute, possibly
// empty). A distance traits struct D provides
//   static int distance(const std::uint64_t* q, const std::uint64_t* h)  (HG_TARGET)
// and a bit-vector traits struct B (lanes are hashes of a sliced block)
//   using vec; static constexpr std::size_t kWords (u64 words per vec,
//   dividing kSliceWords); load(const std::uint64_t*) (unaligned), store,
//   zero(), ones(), and_(a, b), or_(a, b), xor_(a, b), andnot(a, b) (= ~a & b),
//   csa(hi, lo, a, b, c) (full adder: lo = a^b^c, hi = majority), any(v).
// No include guard: each translation unit instantiates its own copy.

// ------------------------------------------------------------ row-major

// One pass over db; every query compared with each hash while it is in
// registers. Branch-free emit: a hit slot is always written, kept when in range.
template <class D>
HG_TARGET std::size_t range_rows_generic(const std::uint64_t* qs, std::size_t m, const std::uint64_t* db,
                                         std::size_t n, std::uint32_t first, int radius, RangeHit* hits) {
    std::size_t count = 0;
    for (std::size_t j = 0; j < n; ++j) {
        const std::uint64_t* h = db + 4 * j;
        for (std::size_t i = 0; i < m; ++i) {
            const int d = D::distance(qs + 4 * i, h);
            hits[count] = {first + static_cast<std::uint32_t>(j), static_cast<std::uint16_t>(i),
                           static_cast<std::uint16_t>(d)};
            count += d <= radius;
        }
    }
    return count;
}

// Candidates read at random: the hash kAhead pairs ahead is prefetched so
// that many misses are in flight at once.
template <class D>
HG_TARGET std::size_t range_pairs_generic(const std::uint64_t* qs, const std::uint64_t* db, const RangePair* pairs,
                                          std::size_t n, int radius, RangeHit* hits) {
    constexpr std::size_t kAhead = 20;
    std::size_t count = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (i + kAhead < n) __builtin_prefetch(db + 4 * static_cast<std::size_t>(pairs[i + kAhead].entry));
        const int d = D::distance(qs + 4 * static_cast<std::size_t>(pairs[i].query),
                                  db + 4 * static_cast<std::size_t>(pairs[i].entry));
        hits[count] = {pairs[i].entry, static_cast<std::uint16_t>(pairs[i].query), static_cast<std::uint16_t>(d)};
        count += d <= radius;
    }
    return count;
}

// ------------------------------------------------------------ bit-sliced

// The 10-bit X = 2 * (c + add) + 256, bit-sliced, from c's bits (c <= 128,
// add <= 128): X's bits 1..9 are those of v = c + add + 128 (bit 0 is 0).
template <class B>
HG_TARGET void slice_x(const typename B::vec* c, int add, typename B::vec* x) {
    using vec = typename B::vec;
    const int k = add + 128;
    vec carry = B::zero();
    x[0] = B::zero();
    for (int b = 0; b < 9; ++b) {
        const vec cb = b < 8 ? c[b] : B::zero();
        const vec s = B::xor_(cb, carry);
        if ((k >> b) & 1) {
            x[b + 1] = B::andnot(s, B::ones());
            carry = B::or_(cb, carry);
        } else {
            x[b + 1] = s;
            carry = B::and_(cb, carry);
        }
    }
}

// The 10-bit Y = |h| + bias, bit-sliced (|h| from the popcount planes).
template <class B>
HG_TARGET void slice_y(const std::uint64_t* p, int bias, typename B::vec* y) {
    using vec = typename B::vec;
    vec carry = B::zero();
    for (int b = 0; b < 10; ++b) {
        const vec h = b < 9 ? B::load(p + (kSlicePopcount + b) * kSliceWords) : B::zero();
        const vec s = B::xor_(h, carry);
        if ((bias >> b) & 1) {
            y[b] = B::andnot(s, B::ones());
            carry = B::or_(h, carry);
        } else {
            y[b] = s;
            carry = B::and_(h, carry);
        }
    }
}

// Lanes where the query can match: ones mode X >= Y, zeros mode Y >= X
// (see SlicedQuery), by a borrow chain over the 10 bits.
template <class B>
HG_TARGET typename B::vec slice_ge(const SlicedQuery& q, const typename B::vec* x, const typename B::vec* y) {
    using vec = typename B::vec;
    const vec* a = q.zeros ? y : x;
    const vec* b = q.zeros ? x : y;
    vec borrow = B::zero();  // a < b so far
    for (int k = 0; k < 10; ++k) {
        const vec t = B::xor_(a[k], b[k]);
        borrow = B::or_(B::andnot(a[k], b[k]), B::andnot(t, borrow));
    }
    return B::andnot(borrow, B::ones());
}

// One query against one block part (p: the block's first word of the part):
// c = how many of the query's selected planes are set, per lane (c[0..7],
// c <= 128), by a Harley-Seal carry-save tree over 16 planes at a time (the
// ones/twos/fours/eights digits stay carry-save, the sixteens feed a ripple
// counter for c's bits 4..7, so c is exact binary after every group); then
// the lanes that match. After group q.check, if no lane can still match
// (the planes left could add at most their count to c, ones mode, or
// nothing, zeros mode) the rest is skipped. pf: lines [pf_begin, pf_end) of
// a block ahead to prefetch, spread over the groups.
template <class B>
HG_TARGET typename B::vec slice_query_part(const std::uint64_t* p, const SlicedQuery& q, typename B::vec* c,
                                           const std::uint64_t* pf, std::size_t pf_begin, std::size_t pf_end) {
    using vec = typename B::vec;
    vec ones = B::zero(), twos = B::zero(), fours = B::zero(), eights = B::zero();
    vec s16 = B::zero(), s32 = B::zero(), s64 = B::zero(), s128 = B::zero();
    vec x[10], y[10];
    const std::size_t pf_step = q.groups ? (pf_end - pf_begin + q.groups - 1) / q.groups : 0;
    for (int g = 0; g < q.groups; ++g) {
        for (std::size_t l = pf_begin + g * pf_step; l < std::min(pf_end, pf_begin + (g + 1) * pf_step); ++l)
            __builtin_prefetch(pf + l * kSliceWords);
        const std::uint16_t* o = q.plane + 16 * g;
        vec ta, tb, fa, fb, ea, eb, sx;
        B::csa(ta, ones, ones, B::load(p + o[0]), B::load(p + o[1]));
        B::csa(tb, ones, ones, B::load(p + o[2]), B::load(p + o[3]));
        B::csa(fa, twos, twos, ta, tb);
        B::csa(ta, ones, ones, B::load(p + o[4]), B::load(p + o[5]));
        B::csa(tb, ones, ones, B::load(p + o[6]), B::load(p + o[7]));
        B::csa(fb, twos, twos, ta, tb);
        B::csa(ea, fours, fours, fa, fb);
        B::csa(ta, ones, ones, B::load(p + o[8]), B::load(p + o[9]));
        B::csa(tb, ones, ones, B::load(p + o[10]), B::load(p + o[11]));
        B::csa(fa, twos, twos, ta, tb);
        B::csa(ta, ones, ones, B::load(p + o[12]), B::load(p + o[13]));
        B::csa(tb, ones, ones, B::load(p + o[14]), B::load(p + o[15]));
        B::csa(fb, twos, twos, ta, tb);
        B::csa(eb, fours, fours, fa, fb);
        B::csa(sx, eights, eights, ea, eb);
        const vec k1 = B::and_(s16, sx);
        s16 = B::xor_(s16, sx);
        const vec k2 = B::and_(s32, k1);
        s32 = B::xor_(s32, k1);
        const vec k3 = B::and_(s64, k2);
        s64 = B::xor_(s64, k2);
        s128 = B::xor_(s128, k3);  // c <= 128: nothing carries out of bit 7
        if (g + 1 == q.check) {
            c[0] = ones, c[1] = twos, c[2] = fours, c[3] = eights, c[4] = s16, c[5] = s32, c[6] = s64, c[7] = s128;
            slice_y<B>(p, q.bias, y);
            slice_x<B>(c, q.zeros ? 0 : q.selected - 16 * (g + 1), x);
            if (!B::any(slice_ge<B>(q, x, y))) return B::zero();
        }
    }
    c[0] = ones, c[1] = twos, c[2] = fours, c[3] = eights, c[4] = s16, c[5] = s32, c[6] = s64, c[7] = s128;
    if (!q.check) slice_y<B>(p, q.bias, y);
    x[0] = B::zero();
    for (int k = 0; k < 7; ++k) x[k + 1] = c[k];
    x[8] = B::andnot(c[7], B::ones());  // 2c + 256: bit 8 unless c = 128, then bit 9
    x[9] = c[7];
    return slice_ge<B>(q, x, y);
}

// Writes the hits of one part's match mask: each lane's distance from its c
// (the counter's bit vectors) and its popcount planes.
template <class B>
HG_TARGET std::size_t slice_emit(const std::uint64_t* p, const SlicedQuery& q, const typename B::vec* c,
                                 typename B::vec match, std::size_t lane0, std::size_t n, std::uint32_t first,
                                 RangeHit* hits) {
    constexpr std::size_t K = B::kWords;
    std::uint64_t mw[K], cw[8][K];
    B::store(mw, match);
    for (int k = 0; k < 8; ++k) B::store(cw[k], c[k]);
    std::size_t count = 0;
    for (std::size_t w = 0; w < K; ++w)
        for (std::uint64_t bits = mw[w]; bits; bits &= bits - 1) {
            const int l = __builtin_ctzll(bits);
            const std::size_t lane = lane0 + 64 * w + static_cast<std::size_t>(l);
            if (lane >= n) return count;
            int cnt = 0, pc = 0;
            for (int k = 0; k < 8; ++k) cnt |= static_cast<int>((cw[k][w] >> l) & 1) << k;
            for (int k = 0; k < 9; ++k) pc |= static_cast<int>((p[(kSlicePopcount + k) * kSliceWords + w] >> l) & 1) << k;
            const int sel = q.selected;
            const int d = q.zeros ? 2 * cnt - pc + 256 - sel : pc + sel - 2 * cnt;
            hits[count++] = {first + static_cast<std::uint32_t>(lane), q.query, static_cast<std::uint16_t>(d)};
        }
    return count;
}

// Blocks outer, then the block's parts (B::kWords words of each plane), then
// the queries: the part (256 planes x 8 * kWords bytes) stays in L1 while
// the batch passes over it. Meanwhile every line of the block kAhead blocks
// on is prefetched, a share per (part, query) spread over its groups (the
// hardware prefetchers do not follow the planes a query picks).
template <class B, std::size_t kAhead = 4>
HG_TARGET std::size_t range_sliced_generic(const SlicedQuery* qs, std::size_t m, const std::uint64_t* planes,
                                           std::size_t n, std::uint32_t first, RangeHit* hits, std::size_t cap,
                                           std::size_t* blocks) {
    constexpr std::size_t kParts = kSliceWords / B::kWords;
    const std::size_t nblocks = (n + kSliceLanes - 1) / kSliceLanes;
    const std::size_t share = (kSlicePlanes + kParts * m - 1) / (kParts * std::max<std::size_t>(m, 1));
    std::size_t count = 0, blk = 0;
    for (; blk < nblocks && cap - count >= m * kSliceLanes; ++blk)
        for (std::size_t part = 0; part < kSliceWords; part += B::kWords) {
            const std::size_t lane0 = blk * kSliceLanes + 64 * part;
            if (lane0 >= n) break;
            const std::uint64_t* p = planes + blk * kSliceBlockWords + part;
            const bool ahead = blk + kAhead < nblocks;
            for (std::size_t i = 0; i < m; ++i) {
                const std::size_t it = part / B::kWords * m + i;
                const std::size_t l0 = ahead ? std::min(kSlicePlanes, it * share) : 0;
                const std::size_t l1 = ahead ? std::min(kSlicePlanes, l0 + share) : 0;
                const std::uint64_t* pf = ahead ? p - part + kAhead * kSliceBlockWords : p;
                typename B::vec c[8];
                const typename B::vec match = slice_query_part<B>(p, qs[i], c, pf, l0, l1);
                if (B::any(match)) count += slice_emit<B>(p, qs[i], c, match, lane0, n, first, hits + count);
            }
        }
    *blocks = blk;
    return count;
}
