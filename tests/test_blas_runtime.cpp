// Which OpenBLAS kernel set nst asks for, given what OpenBLAS chose and what the CPU has.
#include <gtest/gtest.h>

#include "tensor/blas_runtime.h"
#include "tensor/cpu_features.h"

namespace nst {
namespace {

CpuFeatures cpu_with(bool avx2, bool avx512, bool bf16) {
  CpuFeatures cpu;
  cpu.avx2_fma = avx2;
  cpu.avx512f = avx512;
  cpu.avx512_bf16 = bf16;
  return cpu;
}

TEST(BlasCoretype, FallbackKernelsAreReplacedByTheWidestTheCpuRuns) {
  EXPECT_EQ(blas_coretype_for("Prescott", cpu_with(true, true, true)), "Cooperlake");
  EXPECT_EQ(blas_coretype_for("Prescott", cpu_with(true, true, false)), "SkylakeX");
  EXPECT_EQ(blas_coretype_for("Prescott", cpu_with(true, false, false)), "Haswell");
  EXPECT_EQ(blas_coretype_for("Unknown", cpu_with(true, true, false)), "SkylakeX");
}

TEST(BlasCoretype, AGoodChoiceStands) {
  EXPECT_EQ(blas_coretype_for("Haswell", cpu_with(true, false, false)), "");
  // OpenBLAS's own choice of AVX2 kernels for an AVX-512 CPU stands.
  EXPECT_EQ(blas_coretype_for("Haswell", cpu_with(true, true, true)), "");
  EXPECT_EQ(blas_coretype_for("Zen", cpu_with(true, false, false)), "");
  EXPECT_EQ(blas_coretype_for("SkylakeX", cpu_with(true, true, false)), "");
  EXPECT_EQ(blas_coretype_for("SkylakeX", cpu_with(true, true, true)), "");
  EXPECT_EQ(blas_coretype_for("Cooperlake", cpu_with(true, true, true)), "");
  EXPECT_EQ(blas_coretype_for("SapphireRapids", cpu_with(true, true, true)), "");
  // A CPU without AVX2 keeps whatever OpenBLAS found for it.
  EXPECT_EQ(blas_coretype_for("Prescott", cpu_with(false, false, false)), "");
}

}  // namespace
}  // namespace nst
