#include "tensor/winograd_fused.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "tensor/amx_bf16.h"
#include "tensor/error.h"
#include "tensor/tensor.h"
#include "tensor/threads.h"
#include "tensor/winograd.h"
#include "tensor/winograd_kernels.h"
#include "tensor/winograd_staging.h"

namespace nst {
namespace {

using winograd::kAlpha;
using winograd::kPoints;
using winograd::kTile;
using winograd::tiles_along;

// The part of a block that lies in one tile row: `count` tiles from column `col` of tile row
// `row`, at place `offset` of the block.
struct Segment {
  int row, col, count, offset;
};

// Calls visit(segment) for each tile row that tiles [first, first + count) of an image (in
// row-major order, tile_cols per row) touch.
template <class Visit>
void for_segments(int64_t first, int count, int tile_cols, Visit visit) {
  for (int offset = 0; offset < count;) {
    const int64_t tile = first + offset;
    const auto row = static_cast<int>(tile / tile_cols), col = static_cast<int>(tile % tile_cols);
    const int in_row = std::min(count - offset, tile_cols - col);
    visit(Segment{row, col, in_row, offset});
    offset += in_row;
  }
}

// One thread's block: transformed tiles of `in_channels` (36 x in_channels x block, a panel
// row per channel and point), their products for `out_channels` (36 x out_channels x block),
// and rows of staged pixels. Zeroed once: the columns of a last, partial panel then hold
// finite leftovers, which only ever reach columns that are not written out.
struct BlockBuffers {
  BlockBuffers(int in_channels, int out_channels, int block, int tile_cols)
      : transformed(Tensor::zeros(Shape{int64_t{kPoints} * in_channels * block})),
        products(Tensor::zeros(Shape{int64_t{kPoints} * out_channels * block})),
        staging(Tensor::zeros(Shape{int64_t{kAlpha} * (tile_cols * kTile + 2)})) {}
  Tensor transformed, products, staging;
};

// products[xi] (rows x block) = a[xi] (rows x depth) * transformed[xi] for every point, over
// the panels that hold the block's `tiles`; a holds the 36 matrices one after the other, in
// fp32 or (a_bf16 not null) in bf16, whose products go through `pairs` (depth x block).
void multiply(const WinogradKernels& kernels, const float* a, const uint16_t* a_bf16, int rows,
              int depth, int tiles, int block, const float* transformed, float* products,
              std::vector<uint16_t>& pairs) {
  for (int xi = 0; xi < kPoints; ++xi) {
    const int64_t at = static_cast<int64_t>(xi) * rows * depth;
    if (a_bf16 != nullptr) {
      pairs.resize(static_cast<std::size_t>(depth) * block);
      winograd_multiply_point_bf16(a_bf16 + at, rows, depth, xi, tiles, block, transformed,
                                   products, pairs.data());
    } else {
      winograd_multiply_point(kernels, a + at, rows, depth, xi, tiles, block, transformed,
                              products);
    }
  }
}

}  // namespace

int winograd_fused_block_tiles(const Conv2dShape& s, int64_t block_budget) {
  const int panel = std::lcm(winograd_active_kernels().panel, amx::kColumnBlock);
  const int64_t tiles = int64_t{tiles_along(s.Ho())} * tiles_along(s.Wo());
  const int64_t per_panel = int64_t{kPoints} * (s.C + s.K) * panel;
  const int64_t panels_needed = (tiles + panel - 1) / panel;
  return static_cast<int>(std::clamp<int64_t>(block_budget / per_panel, 1, panels_needed) * panel);
}

void winograd_fused_forward(float* out, const float* in, WinogradFilters u, const float* bias,
                            const Conv2dShape& s, bool relu, int64_t block_budget) {
  s.validate();
  NST_CHECK(winograd_applies(s), "winograd_fused_forward: needs a 3x3 kernel, stride 1, padding 1");
  winograd_check_bf16(u, s);
  const WinogradKernels& kernels = winograd_active_kernels();
  const int tile_cols = tiles_along(s.Wo());
  const int64_t tiles = int64_t{tiles_along(s.Ho())} * tile_cols;
  const int block = winograd_fused_block_tiles(s, block_budget);
  const int64_t blocks = (tiles + block - 1) / block;
  const bool bf16 = u.precision == Precision::bf16;
  const int64_t in_plane = static_cast<int64_t>(s.H) * s.W;
  const int64_t out_plane = static_cast<int64_t>(s.Ho()) * s.Wo();

#pragma omp parallel num_threads(num_threads())
  {
    BlockBuffers buffers(s.C, s.K, block, tile_cols);
    float* v = buffers.transformed.data();
    float* m = buffers.products.data();
    float* staging = buffers.staging.data();
    std::vector<uint16_t> pairs;
#pragma omp for schedule(dynamic)
    for (int64_t job = 0; job < s.N * blocks; ++job) {
      const int64_t n = job / blocks, first = (job % blocks) * block;
      const int count = static_cast<int>(std::min<int64_t>(block, tiles - first));
      const float* image = in + n * s.C * in_plane;
      float* result = out + n * s.K * out_plane;
      for (int c = 0; c < s.C; ++c) {
        for_segments(first, count, tile_cols, [&](const Segment& g) {
          const int width = g.count * kTile + 2;
          stage_rows(image + c * in_plane, s.H, s.W, g.row * kTile - 1, g.col * kTile - 1, kAlpha,
                     width, staging);
          kernels.input_tiles(staging, width, g.count, v + c * block + g.offset,
                              int64_t{s.C} * block);
        });
      }
      multiply(kernels, u.fp32(), bf16 ? u.bf16(s.K, s.C, false) : nullptr, s.K, s.C, count, block,
               v, m, pairs);
      for (int k = 0; k < s.K; ++k) {
        for_segments(first, count, tile_cols, [&](const Segment& g) {
          const int width = g.count * kTile;
          kernels.output_tiles(m + k * block + g.offset, int64_t{s.K} * block, g.count,
                               bias != nullptr ? bias[k] : 0.0f, relu, staging, width);
          const int x0 = g.col * kTile, columns = std::min(width, s.Wo() - x0);
          for (int i = 0; i < kTile && g.row * kTile + i < s.Ho(); ++i) {
            const int64_t y = g.row * kTile + i;
            std::copy_n(staging + i * width, columns, result + k * out_plane + y * s.Wo() + x0);
          }
        });
      }
    }
  }
}

void winograd_fused_backward_input(float* din, const float* dout, const uint8_t* relu_mask,
                                   WinogradFilters u, const Conv2dShape& s, int64_t block_budget) {
  s.validate();
  NST_CHECK(winograd_applies(s),
            "winograd_fused_backward_input: needs a 3x3 kernel, stride 1, padding 1");
  winograd_check_bf16(u, s);
  const WinogradKernels& kernels = winograd_active_kernels();
  const int tile_rows = tiles_along(s.Ho()), tile_cols = tiles_along(s.Wo());
  const int block = winograd_fused_block_tiles(s, block_budget);
  const int64_t in_plane = static_cast<int64_t>(s.H) * s.W;
  const int64_t out_plane = static_cast<int64_t>(s.Ho()) * s.Wo();
  // A tile's gradient overlaps its neighbours' by two pixels. Each thread takes a chunk of
  // whole tile rows and adds its tiles in order; chunks run in two phases, even then odd, so
  // that no two chunks that run at once touch.
  const int rows_per_chunk = std::max(1, (tile_rows + 2 * num_threads() - 1) / (2 * num_threads()));
  const int chunks = (tile_rows + rows_per_chunk - 1) / rows_per_chunk;
  // In fp32, the filters transposed once for all blocks: small, as the fused path's filters
  // are. The bf16 filters come with their transpose.
  const bool bf16 = u.precision == Precision::bf16;
  Tensor ut;
  if (!bf16) {
    ut = Tensor(Shape{winograd_filter_size(s.K, s.C)});
    winograd_transpose_filters(u.fp32(), s.K, s.C, ut.data());
  }

#pragma omp parallel num_threads(num_threads())
  {
    BlockBuffers buffers(s.K, s.C, block, tile_cols);
    float* z = buffers.transformed.data();
    float* products = buffers.products.data();
    float* staging = buffers.staging.data();
    std::vector<uint16_t> pairs;
    for (int n = 0; n < s.N; ++n) {
      const float* grad = dout + n * s.K * out_plane;
      float* result = din + n * s.C * in_plane;
      for (int phase = 0; phase < 2; ++phase) {
#pragma omp for schedule(dynamic)
        for (int chunk = phase; chunk < chunks; chunk += 2) {
          const int64_t chunk_end =
              int64_t{std::min(tile_rows, (chunk + 1) * rows_per_chunk)} * tile_cols;
          for (int64_t first = int64_t{chunk} * rows_per_chunk * tile_cols; first < chunk_end;
               first += block) {
            const int count = static_cast<int>(std::min<int64_t>(block, chunk_end - first));
            for (int k = 0; k < s.K; ++k) {
              for_segments(first, count, tile_cols, [&](const Segment& g) {
                const int width = g.count * kTile;
                stage_rows(grad + k * out_plane, s.Ho(), s.Wo(), g.row * kTile, g.col * kTile,
                           kTile, width, staging, relu_mask, (n * s.K + k) * out_plane);
                kernels.grad_output_tiles(staging, width, g.count, z + k * block + g.offset,
                                          int64_t{s.K} * block);
              });
            }
            multiply(kernels, bf16 ? nullptr : ut.data(), bf16 ? u.bf16(s.K, s.C, true) : nullptr,
                     s.C, s.K, count, block, z, products, pairs);
            for (int c = 0; c < s.C; ++c) {
              for_segments(first, count, tile_cols, [&](const Segment& g) {
                const int width = g.count * kTile + 2;
                std::fill_n(staging, kAlpha * width, 0.0f);
                kernels.grad_input_tiles(products + c * block + g.offset, int64_t{s.C} * block,
                                         g.count, staging, width);
                add_staged_rows(staging, kAlpha, width, result + c * in_plane, s.H, s.W,
                                g.row * kTile - 1, g.col * kTile - 1);
              });
            }
          }
        }
      }
    }
  }
}

}  // namespace nst
