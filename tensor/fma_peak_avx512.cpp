// The FMA loop of tensor/fma_peak.h in 16-float registers, built with its instruction set's
// flags. Intrinsics, not vector arithmetic: `a * b + c` is only fused where the compiler is
// allowed to contract it, and the point here is the fused instruction.
#include <immintrin.h>

#include "tensor/fma_peak.h"

namespace nst::kernels {

float fma_chains_avx512(int64_t rounds) {
  // x -> 0.9999 x + 0.0001 stays near 1: no overflow, no denormals.
  const __m512 a = _mm512_set1_ps(0.9999f), b = _mm512_set1_ps(0.0001f);
  __m512 acc[kFmaChains];
  for (int j = 0; j < kFmaChains; ++j)
    acc[j] = _mm512_set1_ps(1.0f + 0.01f * static_cast<float>(j));
  for (int64_t r = 0; r < rounds; ++r) {
    for (int j = 0; j < kFmaChains; ++j) acc[j] = _mm512_fmadd_ps(acc[j], a, b);
  }
  __m512 sum = acc[0];
  for (int j = 1; j < kFmaChains; ++j) sum = _mm512_add_ps(sum, acc[j]);
  float lanes[16];
  _mm512_storeu_ps(lanes, sum);
  return lanes[0];
}

}  // namespace nst::kernels
