// Every SIMD table against the scalar reference, on lengths around the vector widths, and the
// public (dispatched, multi-threaded) functions on lengths that span several blocks.
#include <gtest/gtest.h>

#include <vector>

#include "tensor/cpu_features.h"
#include "tensor/elementwise.h"
#include "tensor/elementwise_kernels.h"
#include "tensor/error.h"
#include "tensor/random.h"
#include "tests/test_util.h"

namespace nst {
namespace {

using testing::all_close;

std::vector<float> random_values(std::size_t n, uint64_t seed) {
  std::vector<float> v(n);
  Random random(seed);
  random.fill_uniform(v, -2.0f, 2.0f);
  return v;
}

class SimdVsScalar : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (!isa_supported(GetParam())) {
      GTEST_SKIP() << "this CPU has no " << isa_name(GetParam()) << " (" << cpu_features().summary()
                   << ")";
    }
  }
};

constexpr std::size_t kLengths[] = {0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 63, 100, 1001};

TEST_P(SimdVsScalar, MapsMatchTheReference) {
  const ElementwiseKernels& simd = elementwise_kernels(GetParam());
  const ElementwiseKernels& ref = kernels::scalar();
  for (std::size_t n : kLengths) {
    SCOPED_TRACE("length " + std::to_string(n));
    auto a = random_values(n, 1), b = random_values(n, 2);
    std::vector<float> expected(n), actual(n);
    auto check_binary = [&](auto simd_fn, auto ref_fn) {
      ref_fn(a.data(), b.data(), expected.data(), n);
      simd_fn(a.data(), b.data(), actual.data(), n);
      EXPECT_TRUE(all_close(actual, expected, 0, 0));
    };
    check_binary(simd.add, ref.add);
    check_binary(simd.sub, ref.sub);
    check_binary(simd.mul, ref.mul);

    ref.scale(a.data(), 0.3f, expected.data(), n);
    simd.scale(a.data(), 0.3f, actual.data(), n);
    EXPECT_TRUE(all_close(actual, expected, 0, 0));
    ref.affine(a.data(), 1.7f, -0.4f, expected.data(), n);
    simd.affine(a.data(), 1.7f, -0.4f, actual.data(), n);
    EXPECT_TRUE(all_close(actual, expected, 1e-7, 1e-7));  // FMA contraction may round once
    ref.relu(a.data(), expected.data(), n);
    simd.relu(a.data(), actual.data(), n);
    EXPECT_TRUE(all_close(actual, expected, 0, 0));
    ref.clamp(a.data(), -0.5f, 1.25f, expected.data(), n);
    simd.clamp(a.data(), -0.5f, 1.25f, actual.data(), n);
    EXPECT_TRUE(all_close(actual, expected, 0, 0));

    expected = b;
    actual = b;
    ref.axpy(-0.75f, a.data(), expected.data(), n);
    simd.axpy(-0.75f, a.data(), actual.data(), n);
    EXPECT_TRUE(all_close(actual, expected, 1e-7, 1e-7));
    expected = b;
    actual = b;
    auto dy = random_values(n, 3);
    ref.relu_backward(a.data(), dy.data(), expected.data(), n);
    simd.relu_backward(a.data(), dy.data(), actual.data(), n);
    EXPECT_TRUE(all_close(actual, expected, 0, 0));
  }
}

TEST_P(SimdVsScalar, ReductionsMatchTheReference) {
  const ElementwiseKernels& simd = elementwise_kernels(GetParam());
  const ElementwiseKernels& ref = kernels::scalar();
  for (std::size_t n : kLengths) {
    SCOPED_TRACE("length " + std::to_string(n));
    auto a = random_values(n, 4), b = random_values(n, 5);
    // Both accumulate in double; only the order of additions differs.
    EXPECT_NEAR(simd.sum(a.data(), n), ref.sum(a.data(), n), 1e-9);
    EXPECT_NEAR(simd.sum_squares(a.data(), n), ref.sum_squares(a.data(), n), 1e-9);
    EXPECT_NEAR(simd.squared_distance(a.data(), b.data(), n),
                ref.squared_distance(a.data(), b.data(), n), 1e-9);
    EXPECT_NEAR(simd.dot(a.data(), b.data(), n), ref.dot(a.data(), b.data(), n), 1e-9);
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, SimdVsScalar, ::testing::Values(Isa::avx2, Isa::avx512),
                         [](const auto& param_info) {
                           return std::string(isa_name(param_info.param));
                         });

TEST(Elementwise, DispatchPicksTheBestSupportedIsa) {
  if (std::getenv("NST_ISA") != nullptr) GTEST_SKIP() << "NST_ISA overrides the choice";
  const CpuFeatures& f = cpu_features();
  const Isa expected = f.avx512f ? Isa::avx512 : f.avx2_fma ? Isa::avx2 : Isa::scalar;
  EXPECT_EQ(active_isa(), expected) << cpu_features().summary();
}

TEST(Elementwise, ParallelBlocksMatchTheReference) {
  const std::size_t n = 200003;  // several 32K blocks and a ragged end
  auto a = random_values(n, 6), b = random_values(n, 7);
  std::vector<float> expected(n), actual(n);
  kernels::scalar().sub(a.data(), b.data(), expected.data(), n);
  sub(a, b, actual);
  EXPECT_TRUE(all_close(actual, expected, 0, 0));
  EXPECT_NEAR(dot(a, b), kernels::scalar().dot(a.data(), b.data(), n), 1e-8 * n);
  EXPECT_NEAR(squared_distance(a, b), kernels::scalar().squared_distance(a.data(), b.data(), n),
              1e-8 * n);
}

TEST(Elementwise, SumsInDoubleStayAccurate) {
  // 2^24 + 1 cannot be held by a float accumulator; 10M terms of 0.1f would drift by percents.
  const std::size_t n = 10'000'000;
  std::vector<float> x(n, 0.1f);
  const double exact = static_cast<double>(0.1f) * n;
  EXPECT_NEAR(sum(x), exact, 1e-9 * exact);
  EXPECT_NEAR(sum_squares(x), exact * 0.1f, 1e-9 * exact);
}

TEST(Elementwise, InPlaceAndErrors) {
  std::vector<float> x{-1, 2, -3, 4};
  relu(x, x);
  EXPECT_EQ(x, (std::vector<float>{0, 2, 0, 4}));
  std::vector<float> short_out(3);
  EXPECT_THROW(relu(x, short_out), Error);
  EXPECT_THROW(clamp(x, 1.0f, 0.0f, x), Error);
}

}  // namespace
}  // namespace nst
