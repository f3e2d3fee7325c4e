// Which algorithm computes a convolution: im2col + GEMM (tensor/conv2d.h) works for every
// shape; Winograd F(4x4, 3x3) only for 3x3, stride 1, padding 1, where it needs a quarter of
// the multiplications but pays for its transforms. Winograd has two paths: 36 OpenBLAS GEMMs
// over bands of transformed tiles (tensor/winograd.h), and the fused path that keeps a block
// of tiles in cache and multiplies with our own micro-kernel (tensor/winograd_fused.h). The
// choice is by shape, from nst bench's measurements (README, "Benchmarks"), separately for the
// forward pass and for the input gradient (whose GEMMs have C and K swapped): im2col below 16
// inner channels or below 16 tiles, else the fused path where the transformed filters are
// small (K * C up to 128 * 128: read again for every block, they stay in cache), else the
// GEMM path (one read of large filters per band).
//
// NST_CONV=im2col|winograd|fused|auto overrides it for comparisons and tests: im2col
// everywhere, one of the Winograd paths wherever Winograd applies, or the measured choice (the
// default). It is read at each call.
#pragma once

#include "tensor/conv2d_shape.h"

namespace nst {

enum class ConvAlgorithm { im2col, winograd, fused };
const char* conv_algorithm_name(ConvAlgorithm algorithm);  // "im2col", "winograd", "fused"
// Whether it needs the transformed filters (winograd_transform_filter).
bool is_winograd(ConvAlgorithm algorithm);

ConvAlgorithm forward_algorithm(const Conv2dShape& s);
ConvAlgorithm input_gradient_algorithm(const Conv2dShape& s);

}  // namespace nst
