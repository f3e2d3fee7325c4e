// 3x3, stride-1, padding-1 convolutions by Winograd's minimal filtering F(4x4, 3x3): each 4x4
// block of output pixels costs 36 multiplications per input channel instead of the direct
// algorithm's 144, at the price of transforms before and after (tensor/winograd_kernels.h has
// the algebra). The multiplications become 36 GEMMs per band of tiles:
//
//   forward:         M[xi] (K x T) = U[xi] (K x C)   * V[xi] (C x T),  V = B^T d B,  Y = A^T M A
//   input gradient:  N[xi] (C x T) = U[xi]^T (C x K) * Z[xi] (K x T),  Z = A dY A^T, dX += B N B^T
//
// The input gradient of a convolution is the convolution of the output gradient with the
// flipped, transposed filter. Computing it as the exact adjoint of the forward map (the
// transposed transforms, and U transposed in the GEMM) gives the same numbers without a second
// set of transformed filters: the filters of one VGG19 take 4x their size once transformed,
// and that is paid once, not twice.
//
// Tiles are processed in bands of whole tile rows, sized so that the transformed band stays
// near a fixed budget (as the im2col bands do), with the transforms parallel over channels and
// tile rows and the 36 products parallel over the points: by our micro-kernel
// (winograd_panel_product.h) for the forward pass of bands of many tiles, by OpenBLAS's SGEMM
// otherwise (winograd.cpp says why), or in bf16 on AMX tiles where the filters are given in
// bf16 (winograd_precision.h). tensor/winograd_fused.h is the other Winograd path.
#pragma once

#include <cstdint>

#include "tensor/conv2d_shape.h"
#include "tensor/winograd_precision.h"

namespace nst {

// Whether Winograd can compute this convolution: 3x3 kernel, stride 1, padding 1.
bool winograd_applies(const Conv2dShape& s);

// Floats of one band's transformed input and output, 36 * (C + K) * tiles: 64 MiB (a band of a
// small plane takes only what it needs). Measured with bench_conv2d on VGG19's shapes (README,
// speed section): against 16 MiB, conv4 and conv5_1 ran 12-30% faster at 512 to 1408 px (the
// 36 GEMMs of a band get more columns, and bands of 192 tiles and more take the micro-kernel),
// 32 MiB was in between. Tests pass smaller budgets to cut small images into several bands.
constexpr int64_t kWinogradBandBudget = int64_t{1} << 24;

// Floats of the transformed filters of a [K, C, 3, 3] weight, in either precision: 36 * K * C.
int64_t winograd_filter_size(int K, int C);

// The transformed filters a convolution multiplies by. In fp32, u[xi][k][c] = (G weight[k][c]
// G^T)[xi]. In bf16 (winograd_precision.h), the same storage holds U rounded to bf16, then U
// transposed per point (U[xi]^T, C x K): the input gradient's left operand, whose rows the AMX
// tiles read whole.
struct WinogradFilters {
  // fp32 filters convert implicitly: most callers (tests, benchmarks) have nothing else.
  WinogradFilters(const float* fp32) : data(fp32) {}  // NOLINT(google-explicit-constructor)
  WinogradFilters(const float* filters, Precision in) : data(filters), precision(in) {}
  const float* data;
  Precision precision = Precision::fp32;

  const float* fp32() const { return data; }
  const uint16_t* bf16(int K, int C, bool transposed) const {
    return reinterpret_cast<const uint16_t*>(data) + (transposed ? winograd_filter_size(K, C) : 0);
  }
};

// Writes winograd_filter_size(K, C) floats of filters in `precision` to u.
void winograd_transform_filter(const float* weight, int K, int C, float* u,
                               Precision precision = Precision::fp32);

// out = conv(in) + bias (bias may be null), then max(out, 0) if relu. Overwrites out.
void winograd_forward(float* out, const float* in, WinogradFilters u, const float* bias,
                      const Conv2dShape& s, bool relu,
                      int64_t band_budget = kWinogradBandBudget);

// din += the input gradient for dout. With relu_mask (one bit per output element, as
// relu_mask.h packs it), dout is first multiplied by the mask: the gradient through a fused
// ReLU.
void winograd_backward_input(float* din, const float* dout, const uint8_t* relu_mask,
                             WinogradFilters u, const Conv2dShape& s,
                             int64_t band_budget = kWinogradBandBudget);

// The band plan, for tests and benchmarks: tile rows per band and bands per image.
struct WinogradBands {
  int tile_rows = 0, tile_cols = 0;  // tiles per image
  int rows_per_band = 0, count = 0;
};
WinogradBands winograd_bands(const Conv2dShape& s, int64_t band_budget = kWinogradBandBudget);
// Floats of one such band's transformed input and output, 36 * (C + K) * its tiles: at most the
// budget, and on a small plane the whole plane's.
int64_t winograd_band_floats(const Conv2dShape& s, const WinogradBands& bands);

}  // namespace nst
