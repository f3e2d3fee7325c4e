// The peak-FLOPs loop computes what it claims, on every instruction set this CPU runs.
#include <gtest/gtest.h>

#include <cmath>

#include "tensor/fma_peak.h"

namespace nst {
namespace {

// The chains' sum after `rounds` steps of x -> 0.9999 x + 0.0001, in double from the same
// float constants.
double expected_sum(int64_t rounds) {
  double sum = 0.0;
  for (int j = 0; j < kernels::kFmaChains; ++j) {
    double x = 1.0f + 0.01f * static_cast<float>(j);
    for (int64_t r = 0; r < rounds; ++r) x = x * double{0.9999f} + double{0.0001f};
    sum += x;
  }
  return sum;
}

TEST(FmaPeak, EveryLoopComputesItsChains) {
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512}) {
    if (!isa_supported(isa)) continue;
    for (int64_t rounds : {0, 1, 1000}) {
      // Float rounding drifts by up to ~1e-4 a chain; after 1000 rounds the sum has moved 0.063.
      EXPECT_NEAR(fma_chains(isa, rounds), expected_sum(rounds), 2e-3)
          << isa_name(isa) << ", " << rounds << " rounds";
    }
  }
}

TEST(FmaPeak, MeasuresAPositiveRateOnEveryThreadCount) {
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512}) {
    if (!isa_supported(isa)) continue;
    for (int threads : {1, 2}) {
      const FmaPeak peak = measure_fma_peak(threads, 0.01, isa);
      EXPECT_GT(peak.gflops, 0.0) << isa_name(isa);
      EXPECT_TRUE(std::isfinite(peak.gflops)) << isa_name(isa);
      EXPECT_EQ(peak.threads, threads);
      EXPECT_EQ(peak.isa, isa);
    }
  }
  EXPECT_ANY_THROW(measure_fma_peak(0));
}

}  // namespace
}  // namespace nst
