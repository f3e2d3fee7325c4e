// The FMA loop of tensor/fma_peak.h in 8-float registers, built with its instruction set's
// flags. Intrinsics, not vector arithmetic: `a * b + c` is only fused where the compiler is
// allowed to contract it, and the point here is the fused instruction.
#include <immintrin.h>

#include "tensor/fma_peak.h"

namespace nst::kernels {

float fma_chains_avx2(int64_t rounds) {
  // x -> 0.9999 x + 0.0001 stays near 1: no overflow, no denormals.
  const __m256 a = _mm256_set1_ps(0.9999f), b = _mm256_set1_ps(0.0001f);
  __m256 acc[kFmaChains];
  for (int j = 0; j < kFmaChains; ++j)
    acc[j] = _mm256_set1_ps(1.0f + 0.01f * static_cast<float>(j));
  for (int64_t r = 0; r < rounds; ++r) {
    for (int j = 0; j < kFmaChains; ++j) acc[j] = _mm256_fmadd_ps(acc[j], a, b);
  }
  __m256 sum = acc[0];
  for (int j = 1; j < kFmaChains; ++j) sum = _mm256_add_ps(sum, acc[j]);
  float lanes[8];
  _mm256_storeu_ps(lanes, sum);
  return lanes[0];
}

}  // namespace nst::kernels
