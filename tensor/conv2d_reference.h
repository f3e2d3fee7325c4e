// Direct convolution, seven nested loops with double accumulators: the reference that the
// tests and benchmarks compare the im2col + GEMM kernels of conv2d.h with.
#pragma once

#include "tensor/conv2d_shape.h"

namespace nst {

void conv2d_forward_naive(float* out, const float* in, const float* weight, const float* bias,
                          const Conv2dShape& s);
// Adds into din, dweight, dbias (each may be null), like conv2d_backward.
void conv2d_backward_naive(float* din, float* dweight, float* dbias, const float* dout,
                           const float* in, const float* weight, const Conv2dShape& s);

}  // namespace nst
