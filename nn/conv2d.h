// 2-D convolution as an autograd op: checks the shapes, runs the kernels of tensor/ (im2col +
// GEMM, or Winograd where tensor/conv2d_algorithm.h picks it) and records their backward,
// keeping only what that backward needs.
#pragma once

#include <mutex>

#include "autograd/variable.h"
#include "tensor/conv2d_shape.h"
#include "tensor/winograd_precision.h"

namespace nst::nn {

// The Winograd-transformed filters of one weight (4x its size), made on first use and kept
// while the weight is unchanged: the weights of style transfer are frozen, so a Conv2d module
// transforms them once, not every iteration. Any write to the weight's storage (its
// Tensor::version()), another weight tensor or another precision (tensor/winograd_precision.h)
// makes them again. Safe to share between threads.
class WinogradFilterCache {
 public:
  Tensor filters_for(const Tensor& weight, Precision precision);  // weight [K, C, 3, 3]

 private:
  std::mutex mutex_;
  Tensor weight_;  // kept alive, so that its storage identifies it
  uint64_t weight_version_ = 0;
  Precision precision_ = Precision::fp32;
  Tensor filters_;
};

struct Conv2dOptions {
  int stride = 1;
  int padding = 0;
  // max(conv + bias, 0), fused: applied as the output is written, and backward keeps one bit
  // per output element instead of the output.
  bool relu = false;
  WinogradFilterCache* winograd_cache = nullptr;  // null: transform the filters at each call
};

// The shape of a convolution of `input` [N, C, H, W] with `weight` [K, C, k, k]; throws an
// error naming both shapes if they do not fit together.
Conv2dShape conv2d_shape(const Shape& input, const Shape& weight, const Conv2dOptions& options);

// bias may be an undefined Var (no bias). A frozen weight (requires_grad false) gets no
// gradient, its GEMMs are skipped and the input is not kept: in style transfer only the image
// learns.
Var conv2d(const Var& input, const Var& weight, const Var& bias, const Conv2dOptions& options);

}  // namespace nst::nn
