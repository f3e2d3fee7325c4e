#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <vector>

#include "tensor/error.h"
#include "tensor/gemm.h"
#include "tests/test_util.h"

namespace nst {
namespace {

using testing::random_tensor;

struct GemmCase {
  Transpose ta, tb;
  int M, N, K;
  int pad;  // extra elements per row: strides larger than the matrix
};

class GemmVsNaive : public ::testing::TestWithParam<GemmCase> {};

TEST_P(GemmVsNaive, MatchesForAlphaAndBeta) {
  const GemmCase c = GetParam();
  const int a_rows = c.ta == Transpose::no ? c.M : c.K, a_cols = c.ta == Transpose::no ? c.K : c.M;
  const int b_rows = c.tb == Transpose::no ? c.K : c.N, b_cols = c.tb == Transpose::no ? c.N : c.K;
  const int lda = a_cols + c.pad, ldb = b_cols + c.pad, ldc = c.N + c.pad;
  Tensor A = random_tensor(Shape{a_rows, lda}, 1), B = random_tensor(Shape{b_rows, ldb}, 2);
  Tensor C0 = random_tensor(Shape{c.M, ldc}, 3);

  // A float GEMM's rounding error grows with the sum of |terms| it adds up, and (blocked,
  // random signs) like sqrt(K) times the unit roundoff: the tolerance of each element is
  // 2 sqrt(K) eps sum_p |alpha a_ip b_pj| (+ |beta c_ij|). OpenBLAS kernels differ between CPUs
  // in their order of summation; an indexing bug gives errors of the size of the terms.
  Tensor abs_A = A.clone(), abs_B = B.clone();
  for (float& v : abs_A.values()) v = std::fabs(v);
  for (float& v : abs_B.values()) v = std::fabs(v);
  const double tolerance_per_term = 2.0 * std::sqrt(static_cast<double>(c.K)) * FLT_EPSILON;

  for (float beta : {0.0f, 1.0f, 0.5f}) {
    SCOPED_TRACE("beta " + std::to_string(beta));
    Tensor expected = C0.clone(), actual = C0.clone(), magnitude = C0.clone();
    for (float& v : magnitude.values()) v = std::fabs(v);
    if (beta == 0.0f) actual.fill(NAN);  // beta = 0: C is write-only, garbage must not leak
    gemm_naive(c.ta, c.tb, c.M, c.N, c.K, 1.5f, A.data(), lda, B.data(), ldb, beta, expected.data(),
               ldc);
    gemm_naive(c.ta, c.tb, c.M, c.N, c.K, 1.5f, abs_A.data(), lda, abs_B.data(), ldb, beta,
               magnitude.data(), ldc);
    gemm(c.ta, c.tb, c.M, c.N, c.K, 1.5f, A.data(), lda, B.data(), ldb, beta, actual.data(), ldc);
    // Compare the M x N block only; the padding columns are outside the matrix.
    for (int i = 0; i < c.M; ++i) {
      for (int j = 0; j < c.N; ++j) {
        const int at = i * ldc + j;
        ASSERT_NEAR(actual.data()[at], expected.data()[at],
                    tolerance_per_term * magnitude.data()[at] + 1e-30)
            << "row " << i << ", column " << j;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, GemmVsNaive,
                         ::testing::Values(GemmCase{Transpose::no, Transpose::no, 7, 5, 3, 0},
                                           GemmCase{Transpose::no, Transpose::yes, 17, 33, 9, 2},
                                           GemmCase{Transpose::yes, Transpose::no, 16, 31, 65, 1},
                                           GemmCase{Transpose::yes, Transpose::yes, 5, 64, 27, 3},
                                           GemmCase{Transpose::no, Transpose::no, 64, 100, 576, 0},
                                           GemmCase{Transpose::no, Transpose::no, 1, 1, 1, 0}));

TEST(Gemm, RejectsStridesTooSmall) {
  std::vector<float> a(16), b(16), c(16);
  EXPECT_THROW(gemm(Transpose::no, Transpose::no, 4, 4, 4, 1.0f, a.data(), 3, b.data(), 4, 0.0f,
                    c.data(), 4),
               Error);
}

}  // namespace
}  // namespace nst
