// AVX-512 kernels: not written yet. The dispatcher treats a null set as "not
// compiled"; see issue 3's note.
#include "kernels/kernels.hpp"

namespace hashguard::kernels {
const Kernels* avx512_kernels() noexcept { return nullptr; }
}  // namespace hashguard::kernels
