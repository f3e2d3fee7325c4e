#include "tensor/gemm.h"

#include <cblas.h>

#include "tensor/error.h"

namespace nst {
namespace {

void check_strides(Transpose trans_a, Transpose trans_b, int M, int N, int K, int lda, int ldb,
                   int ldc) {
  NST_CHECK(M >= 0 && N >= 0 && K >= 0, "gemm: negative size M=", M, " N=", N, " K=", K);
  const int a_cols = trans_a == Transpose::no ? K : M;
  const int b_cols = trans_b == Transpose::no ? N : K;
  NST_CHECK(lda >= a_cols && ldb >= b_cols && ldc >= N, "gemm: row strides lda=", lda, " ldb=", ldb,
            " ldc=", ldc, " are too small for M=", M, " N=", N, " K=", K);
}

}  // namespace

void gemm(Transpose trans_a, Transpose trans_b, int M, int N, int K, float alpha, const float* A,
          int lda, const float* B, int ldb, float beta, float* C, int ldc) {
  check_strides(trans_a, trans_b, M, N, K, lda, ldb, ldc);
  if (M == 0 || N == 0) return;
  // CBLAS takes the storage order as an argument, so row-major matrices are passed as they are;
  // no operand swapping is needed at this level.
  cblas_sgemm(CblasRowMajor, trans_a == Transpose::yes ? CblasTrans : CblasNoTrans,
              trans_b == Transpose::yes ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb,
              beta, C, ldc);
}

void gemm_naive(Transpose trans_a, Transpose trans_b, int M, int N, int K, float alpha,
                const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc) {
  check_strides(trans_a, trans_b, M, N, K, lda, ldb, ldc);
  for (int i = 0; i < M; ++i) {
    for (int j = 0; j < N; ++j) {
      double acc = 0.0;
      for (int p = 0; p < K; ++p) {
        float a = trans_a == Transpose::no ? A[i * lda + p] : A[p * lda + i];
        float b = trans_b == Transpose::no ? B[p * ldb + j] : B[j * ldb + p];
        acc += static_cast<double>(a) * b;
      }
      float& c = C[i * ldc + j];
      c = static_cast<float>(alpha * acc) + (beta == 0.0f ? 0.0f : beta * c);  // beta = 0 rule
    }
  }
}

}  // namespace nst
