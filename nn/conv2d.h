// 2-D convolution as an autograd op: checks the shapes, runs the kernels of tensor/conv2d.h and
// records their backward.
#pragma once

#include "autograd/variable.h"
#include "tensor/conv2d_shape.h"

namespace nst::nn {

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

}  // namespace nst::nn
