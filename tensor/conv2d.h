// 2-D convolution kernels (cross-correlation, as in PyTorch), llm.c style: plain functions over
// raw arrays, with the shapes in Conv2dShape (tensor/conv2d_shape.h).
//
// Forward is im2col + GEMM, band by band of output rows:  out_n = weight[K x Ckk] * col[Ckk x P]
// Backward (each part optional):
//   dweight += dout_n[K x P] * col^T           (im2col of the input again, band by band)
//   din     += col2im(weight^T[Ckk x K] * dout_n)
//   dbias   += sum over positions of dout_n
// tensor/conv2d_reference.h has the direct seven-loop versions the tests compare with.
#pragma once

#include <cstdint>

#include "tensor/conv2d_shape.h"

namespace nst {

// How the output rows of each image are cut into im2col bands, so that the column matrix stays
// near a fixed budget in cache instead of growing to C*k*k times the image.
struct Conv2dBands {
  int rows = 0;             // output rows per band (the last band may have fewer)
  int count = 0;            // bands per image
  bool per_thread = false;  // each thread multiplies whole bands on its own (tiny C*k*k)
};
Conv2dBands conv2d_forward_bands(const Conv2dShape& s);
Conv2dBands conv2d_backward_bands(const Conv2dShape& s);

void conv2d_forward(float* out, const float* in, const float* weight, const float* bias,
                    const Conv2dShape& s);  // bias may be null
// Adds into din, dweight, dbias; pass null for any gradient that is not wanted. With dout_mask
// (one bit per output element, tensor/relu_mask.h), dout counts only where its bit is set:
// the gradient through a fused ReLU.
void conv2d_backward(float* din, float* dweight, float* dbias, const float* dout, const float* in,
                     const float* weight, const Conv2dShape& s, const uint8_t* dout_mask = nullptr);

}  // namespace nst
