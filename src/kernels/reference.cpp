// The reference's definitions the kernels implement. See reference.hpp.
#include "kernels/reference.hpp"

#include <cmath>

namespace hashguard::kernels {

void BoxPhases::filter(const float* in, float* out, int n, int window) noexcept {
    const BoxPhases ph(n, window);
    int li = 0, ri = 0, oi = 0, count = 0;
    float sum = 0.0f;
    for (int i = 0; i < ph.p1; ++i) { sum += in[ri++]; ++count; }
    for (int i = 0; i < ph.p2; ++i) { sum += in[ri++]; ++count; out[oi++] = sum / static_cast<float>(count); }
    for (int i = 0; i < ph.p3; ++i) {
        sum += in[ri++];
        sum -= in[li++];
        out[oi++] = sum / static_cast<float>(count);
    }
    for (int i = 0; i < ph.p4; ++i) { sum -= in[li++]; --count; out[oi++] = sum / static_cast<float>(count); }
}

namespace {
struct alignas(64) DctMatrix {
    float d[16][64];
    DctMatrix() noexcept {
        const double scale = static_cast<double>(static_cast<float>(std::sqrt(2.0 / 64.0)));
        for (int i = 0; i < 16; ++i)
            for (int j = 0; j < 64; ++j)
                d[i][j] = static_cast<float>(scale * std::cos((M_PI / 2 / 64.0) * (i + 1) * (2 * j + 1)));
    }
};

struct alignas(64) DctMatrixT {
    float t[64][16];
    DctMatrixT() noexcept {
        const float(&d)[16][64] = dct_matrix();
        for (int i = 0; i < 16; ++i)
            for (int k = 0; k < 64; ++k) t[k][i] = d[i][k];
    }
};
}  // namespace

const float (&dct_matrix())[16][64] {
    static const DctMatrix m;
    return m.d;
}

const float (&dct_matrix_t())[64][16] {
    static const DctMatrixT m;
    return m.t;
}

}  // namespace hashguard::kernels
