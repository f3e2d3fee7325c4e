// Matrix multiply: the one place the project calls BLAS.
//
//   C[M x N] = alpha * op(A)[M x K] * op(B)[K x N] + beta * C
//
// All matrices are row-major; lda/ldb/ldc are row strides (elements between the starts of two
// rows), so a block of a larger matrix can be passed with the larger matrix's stride.
// op(X) = X or X^T. With Transpose::yes, A is stored as K x M (lda >= M), B as N x K (ldb >= K).
//
// The beta = 0 rule (as in the BLAS reference and BLIS): when beta is 0, C is write-only. It may
// hold garbage, even NaN, and it is overwritten, never scaled. So callers pass freshly
// allocated, uninitialised output with beta = 0, and beta = 1 to accumulate gradients.
#pragma once

namespace nst {

enum class Transpose { no, yes };

void gemm(Transpose trans_a, Transpose trans_b, int M, int N, int K, float alpha, const float* A,
          int lda, const float* B, int ldb, float beta, float* C, int ldc);

// Triple loop with double accumulators: the reference the tests compare gemm() with.
void gemm_naive(Transpose trans_a, Transpose trans_b, int M, int N, int K, float alpha,
                const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc);

}  // namespace nst
