// Winograd F(4x4, 3x3) fused the way NNPACK and ncnn do it: each thread takes a block of tiles
// small enough to stay in its L2 cache, transforms the block's input into panels, multiplies
// them by the transformed filters with our own micro-kernel (tensor/winograd_panel_product.h)
// and transforms the products straight into the output. Nothing transformed goes to memory:
// the GEMM path (tensor/winograd.h) writes and reads 36 * (C + K) floats per tile through
// memory, which on wide planes with few channels costs more than the products.
//
// The algebra, the filters (winograd_transform_filter), the precisions and the results are
// those of tensor/winograd.h up to float rounding; tensor/conv2d_algorithm.h picks between the
// two paths by shape.
#pragma once

#include <cstdint>

#include "tensor/conv2d_shape.h"
#include "tensor/winograd.h"

namespace nst {

// Floats of one block's transformed input and products, 36 * (C + K) * tiles: 1 MiB keeps a
// block in a 2 MiB L2 with room for the filters being read. Measured with nst bench (README).
constexpr int64_t kWinogradFusedBlockBudget = int64_t{1} << 18;

// Tiles per block for this shape on this CPU: a whole number of the micro-kernel's panels and
// of the AMX tiles' 16 columns.
int winograd_fused_block_tiles(const Conv2dShape& s,
                               int64_t block_budget = kWinogradFusedBlockBudget);

// As winograd_forward: out = conv(in) + bias (bias may be null), then max(out, 0) if relu.
void winograd_fused_forward(float* out, const float* in, WinogradFilters u, const float* bias,
                            const Conv2dShape& s, bool relu,
                            int64_t block_budget = kWinogradFusedBlockBudget);

// As winograd_backward_input: din += the input gradient for dout (times relu_mask if given).
void winograd_fused_backward_input(float* din, const float* dout, const uint8_t* relu_mask,
                                   WinogradFilters u, const Conv2dShape& s,
                                   int64_t block_budget = kWinogradFusedBlockBudget);

}  // namespace nst
