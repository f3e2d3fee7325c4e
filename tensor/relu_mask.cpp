#include "tensor/relu_mask.h"

#include <algorithm>

#include "tensor/threads.h"

namespace nst {

void relu_mask_pack(const float* y, int64_t n, uint8_t* bits) {
  const int64_t bytes = relu_mask_bytes(n);
  constexpr int64_t kParallelBytes = int64_t{1} << 14;
#pragma omp parallel for num_threads(num_threads()) schedule(static) if (bytes > kParallelBytes)
  for (int64_t byte = 0; byte < bytes; ++byte) {
    const float* v = y + byte * 8;
    const int count = static_cast<int>(std::min<int64_t>(8, n - byte * 8));
    unsigned packed = 0;
    for (int b = 0; b < count; ++b) packed |= static_cast<unsigned>(v[b] > 0.0f) << b;
    bits[byte] = static_cast<uint8_t>(packed);
  }
}

void relu_mask_apply(const uint8_t* bits, int64_t first, const float* dy, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = relu_mask_bit(bits, first + i) ? dy[i] : 0.0f;
}

}  // namespace nst
