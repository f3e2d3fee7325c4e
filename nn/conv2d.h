// 2-D convolution (cross-correlation, as in PyTorch): kernels and the autograd op.
//
// Kernels, llm.c style, over raw arrays with the shape letters named once:
//   in  [N, C, H, W]   weight [K, C, k, k]   bias [K]   out [N, K, Ho, Wo]
// Forward is im2col + GEMM, band by band of output rows:  out_n = weight[K x Ckk] * col[Ckk x P]
// Backward (each part optional):
//   dweight += dout_n[K x P] * col^T           (im2col of the input again, band by band)
//   din     += col2im(weight^T[Ckk x K] * dout_n)
//   dbias   += sum over positions of dout_n
#pragma once

#include "autograd/variable.h"
#include "tensor/im2col.h"

namespace nst {

struct Conv2dShape {
  int N = 1, C = 0, H = 0, W = 0;  // input
  int K = 0;                       // output channels
  int kernel = 3, stride = 1, padding = 0;

  int Ho() const { return image().out_height(); }
  int Wo() const { return image().out_width(); }
  ConvGeometry image() const { return {C, H, W, kernel, stride, padding}; }
};

// Output rows per im2col band: keeps the column matrix near a fixed budget that stays in cache.
int conv2d_band_rows(const Conv2dShape& s);

void conv2d_forward(float* out, const float* in, const float* weight, const float* bias,
                    const Conv2dShape& s);  // bias may be null
// Adds into din, dweight, dbias; pass null for any gradient that is not wanted.
void conv2d_backward(float* din, float* dweight, float* dbias, const float* dout, const float* in,
                     const float* weight, const Conv2dShape& s);

namespace nn {

struct Conv2dOptions {
  int stride = 1;
  int padding = 0;
};

// The shape of a convolution of `input` [N, C, H, W] with `weight` [K, C, k, k]; throws an
// error naming both shapes if they do not fit together.
Conv2dShape conv2d_shape(const Shape& input, const Shape& weight, const Conv2dOptions& options);

// bias may be an undefined Var (no bias). Frozen weights (requires_grad false) get no
// gradient, and the weight-gradient GEMM is skipped: in style transfer only the image learns.
Var conv2d(const Var& input, const Var& weight, const Var& bias, const Conv2dOptions& options);

}  // namespace nn
}  // namespace nst
