// One instruction set's Winograd F(4x4, 3x3) tile transforms (Lavin and Gray, "Fast Algorithms
// for Convolutional Neural Networks", 2016), as a table of function pointers; winograd.cpp
// picks a table at run time, like the elementwise kernels, and does the staging, banding and
// GEMMs around them. The table also holds the fused path's micro-kernel
// (tensor/winograd_panel_product.h).
//
// A 3x3 convolution over one 6x6 input tile d gives a 4x4 output tile
//     Y = A^T [ (G g G^T) (.) (B^T d B) ] A        ((.) = element-wise product)
// with g the 3x3 filter. Summed over input channels, the 36 element-wise products become 36
// matrix products: M[xi] (K x tiles) = U[xi] (K x C) * V[xi] (C x tiles), xi = 6 * i + j.
// The input gradient is the adjoint of that map, with the same U (see winograd.h).
//
// Every kernel works on one row of tiles of one channel, tile t covering columns 4t-1 .. 4t+4
// of six staged rows (input and input gradient) or 4t .. 4t+3 of four (output and its
// gradient). The staged rows are plain dense arrays that the caller has padded with zeros and
// cut to the image, so the kernels never test a bound. Transformed values of tile t, point xi
// live at v[xi * point_stride + t]: the tile index is the GEMMs' column index.
#pragma once

#include <cstdint>

#include "tensor/conv2d_shape.h"
#include "tensor/elementwise_kernels.h"
#include "tensor/winograd.h"

namespace nst {

namespace winograd {
constexpr int kTile = 4;     // output pixels per tile side (m)
constexpr int kAlpha = 6;    // input pixels per tile side (m + r - 1)
constexpr int kPoints = 36;  // kAlpha * kAlpha element-wise products per tile
// Tiles that cover `pixels` outputs along one side.
constexpr int tiles_along(int pixels) { return (pixels + kTile - 1) / kTile; }
}  // namespace winograd

struct WinogradKernels {
  Isa isa;
  // rows: 6 staged input rows of 4 * tiles + 2 floats (row_stride apart) -> V = B^T d B.
  void (*input_tiles)(const float* rows, int64_t row_stride, int tiles, float* v,
                      int64_t point_stride);
  // M -> 4 rows of 4 * tiles outputs: Y = A^T M A + bias, then max(Y, 0) if relu.
  void (*output_tiles)(const float* m, int64_t point_stride, int tiles, float bias, bool relu,
                       float* rows, int64_t row_stride);
  // rows: 4 staged rows of 4 * tiles output-gradient values -> Z = A dY A^T (the adjoint of
  // output_tiles without bias and ReLU).
  void (*grad_output_tiles)(const float* rows, int64_t row_stride, int tiles, float* z,
                            int64_t point_stride);
  // N -> adds B N B^T into 6 rows of 4 * tiles + 2 floats (the adjoint of input_tiles);
  // neighbouring tiles overlap by two columns, and their sums add up.
  void (*grad_input_tiles)(const float* n, int64_t point_stride, int tiles, float* rows,
                           int64_t row_stride);
  // count 3x3 filters, 9 floats apart -> U = G g G^T, filter f's point xi at u[xi * point_stride +
  // f].
  void (*filter_tiles)(const float* filters, int count, float* u, int64_t point_stride);
  // c[r][0 .. panel) = sum over d < depth of a[r * a_row + d * a_depth] * b[d * b_stride + 0 ..
  // panel), for r < rows; c's rows are c_stride apart.
  using PanelProductFn = void (*)(const float* a, int64_t a_row, int64_t a_depth, int rows,
                                  int depth, const float* b, int64_t b_stride, float* c,
                                  int64_t c_stride);
  // Tiles per panel of the micro-kernel: a whole number of vectors.
  int panel;
  PanelProductFn panel_product;

  // Narrower (or wider) panels for the GEMM path's bands of few tiles: conv4 and conv5 at 256
  // px have 64 and 16 tiles, which the default panel would pad and OpenBLAS spends its time
  // packing for. A band of up to max_tiles tiles uses the first entry that covers it; entries
  // without a product are unused.
  struct SmallBandProduct {
    int max_tiles = 0;
    int panel = 0;
    PanelProductFn product = nullptr;
  };
  SmallBandProduct small_bands[2];
};

namespace kernels {
const WinogradKernels& winograd_scalar();  // winograd_scalar.cpp: the reference
const WinogradKernels& winograd_avx2();    // built with -mavx2 -mfma
const WinogradKernels& winograd_avx512();  // built with -mavx512f
}  // namespace kernels

// The table for `isa`; throws nst::Error if this CPU cannot run it.
const WinogradKernels& winograd_kernels(Isa isa);
// The table for this CPU's best instruction set (active_isa()).
const WinogradKernels& winograd_active_kernels();

// One point's products by the micro-kernel: products[xi] (rows x ld) = a_xi (rows x depth)
// * transformed[xi] (depth x ld), over the panels that hold columns [0, tiles). a_xi is U[xi]
// (K x C, winograd_transform_filter) for the forward pass, U[xi] transposed
// (winograd_transpose_filters) for the input gradient. Each
// point's block holds its rows ld floats apart; ld must be a multiple of the panel, so the last
// panel's columns past `tiles` exist (their products are never read).
void winograd_multiply_point(const WinogradKernels& kernels, const float* a_xi, int rows, int depth,
                             int xi, int64_t tiles, int64_t ld, const float* transformed,
                             float* products);
// The same with a given panel width and micro-kernel (a SmallBandProduct's).
void winograd_multiply_point(int panel, WinogradKernels::PanelProductFn product, const float* a_xi,
                             int rows, int depth, int xi, int64_t tiles, int64_t ld,
                             const float* transformed, float* products);

// Throws nst::Error unless bf16 filters can multiply for this shape here: AMX-BF16 usable,
// channels filling the tiles. Called before any parallel region (an exception cannot leave one).
void winograd_check_bf16(const WinogradFilters& u, const Conv2dShape& s);

// The same product in bf16 on AMX tiles (tensor/amx_bf16.h), a_xi in bf16: transformed[xi]'s
// columns [0, tiles) rounded up to 16 are first packed into bf16 pairs in `pairs` (depth * ld
// scratch values). rows and depth must be multiples of 32, ld of 16.
void winograd_multiply_point_bf16(const uint16_t* a_xi, int rows, int depth, int xi, int64_t tiles,
                                  int64_t ld, const float* transformed, float* products,
                                  uint16_t* pairs);

// ut[xi] = U[xi]^T (C x K) for the 36 points: what the input gradient multiplies by. Read in
// place, U^T would be read down its columns, C floats apart: a power of two that maps every
// read to the same few L1 sets.
void winograd_transpose_filters(const float* u, int K, int C, float* ut);

}  // namespace nst
