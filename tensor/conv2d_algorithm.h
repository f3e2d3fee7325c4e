// Which algorithm computes a convolution: im2col + GEMM (tensor/conv2d.h) works for every
// shape; Winograd F(4x4, 3x3) (tensor/winograd.h) only for 3x3, stride 1, padding 1, where it
// needs a quarter of the multiplications but pays for its transforms. The choice is by shape,
// from bench_conv2d's measurements (README, "Benchmarks"), separately for the forward pass and
// for the input gradient (whose GEMMs have C and K swapped): im2col below 16 inner channels or
// below 16 tiles, Winograd elsewhere.
//
// NST_CONV=im2col|winograd|auto overrides it for comparisons and tests: im2col everywhere,
// Winograd wherever it applies, or the measured choice (the default). It is read at each call.
#pragma once

#include "tensor/conv2d_shape.h"

namespace nst {

enum class ConvAlgorithm { im2col, winograd };
const char* conv_algorithm_name(ConvAlgorithm algorithm);

ConvAlgorithm forward_algorithm(const Conv2dShape& s);
ConvAlgorithm input_gradient_algorithm(const Conv2dShape& s);

}  // namespace nst
