#include "tensor/winograd.h"

#include <algorithm>
#include <vector>

#include "tensor/amx_bf16.h"
#include "tensor/error.h"
#include "tensor/gemm.h"
#include "tensor/tensor.h"
#include "tensor/threads.h"
#include "tensor/winograd_kernels.h"
#include "tensor/winograd_staging.h"

namespace nst {
namespace {

using winograd::kAlpha;
using winograd::kPoints;
using winograd::kTile;
using winograd::tiles_along;

int64_t padded(int64_t tiles, int panel) { return (tiles + panel - 1) / panel * panel; }

// Zeroes columns [tiles, T) of each of `rows` rows T apart: the padding of a last panel or tile.
void zero_padding(float* rows_start, int64_t rows, int64_t tiles, int64_t T) {
  for (int64_t row = 0; row < rows && T > tiles; ++row)
    std::fill(rows_start + row * T + tiles, rows_start + (row + 1) * T, 0.0f);
}

// to[xi] = from[xi]^T for the 36 points of K x C matrices, in blocks of 16 x 16 (one cache
// line per row either way for floats).
template <class Value>
void transpose_points(const Value* from, int K, int C, Value* to) {
  constexpr int kBlock = 16;
  const int64_t filters = static_cast<int64_t>(K) * C;
  for (int xi = 0; xi < kPoints; ++xi) {
    const Value* point = from + xi * filters;
    Value* transposed = to + xi * filters;
    for (int k0 = 0; k0 < K; k0 += kBlock) {
      for (int c0 = 0; c0 < C; c0 += kBlock) {
        for (int k = k0; k < std::min(K, k0 + kBlock); ++k)
          for (int c = c0; c < std::min(C, c0 + kBlock); ++c)
            transposed[static_cast<int64_t>(c) * K + k] = point[static_cast<int64_t>(k) * C + c];
      }
    }
  }
}

// The transformed band before and after its GEMMs, in one block of the full budget whatever the
// layer: every convolution then asks the allocator for the same size, which its block cache
// (aligned_buffer.h) hands back at once instead of fresh pages from the system.
struct BandBuffers {
  BandBuffers(int64_t first_size, int64_t second_size, int64_t band_budget)
      : block(Shape{std::max(first_size + second_size, band_budget)}),
        first(block.data()),
        second(block.data() + first_size) {}
  Tensor block;
  float* first;
  float* second;
};

// The band of tile rows [first_row, first_row + rows) of one image.
struct Band {
  int first_row, rows;
  int64_t tiles;
};

Band band_of(const WinogradBands& plan, int b) {
  const int first = b * plan.rows_per_band;
  const int rows = std::min(plan.rows_per_band, plan.tile_rows - first);
  return {first, rows, static_cast<int64_t>(rows) * plan.tile_cols};
}

// Runs body(channel, row) for every channel of `channels` and tile row of the band, in
// parallel, with a per-thread staging buffer of `staging_size` floats.
template <class Body>
void for_channel_rows(int channels, const Band& band, int64_t staging_size, Body body) {
  const int64_t jobs = static_cast<int64_t>(channels) * band.rows;
#pragma omp parallel num_threads(num_threads())
  {
    std::vector<float> staging(staging_size);
#pragma omp for schedule(static)
    for (int64_t job = 0; job < jobs; ++job)
      body(static_cast<int>(job / band.rows), static_cast<int>(job % band.rows), staging.data());
  }
}

// The 36 products of a band, parallel over the points. Each is single-threaded: the
// micro-kernel, or OpenBLAS, which does not start threads inside a parallel region.
template <class Multiply>
void for_points(Multiply multiply) {
#pragma omp parallel for num_threads(num_threads()) schedule(dynamic)
  for (int xi = 0; xi < kPoints; ++xi) multiply(xi);
}

// The 36 products of a band in bf16 on AMX tiles, parallel over the points as for_points, with
// a per-thread buffer for one point's operand in bf16 pairs.
void multiply_points_bf16(const uint16_t* a, int rows, int depth, int64_t tiles, int64_t ld,
                          const float* transformed, float* products) {
#pragma omp parallel num_threads(num_threads())
  {
    std::vector<uint16_t> pairs(static_cast<std::size_t>(depth) * ld);
#pragma omp for schedule(dynamic)
    for (int xi = 0; xi < kPoints; ++xi) {
      winograd_multiply_point_bf16(a + static_cast<int64_t>(xi) * rows * depth, rows, depth, xi,
                                   tiles, ld, transformed, products, pairs.data());
    }
  }
}

// Bands of this many tiles or more multiply by the micro-kernel, fewer by OpenBLAS unless the
// kernel table has a small-band product for them. Measured with nst bench (256 and 512 px,
// AVX-512): on conv3 and conv4 planes of 256 tiles and more the micro-kernel was up to 20%
// faster, since it needs no packing of either operand; on conv5_1's 16 or 64 tiles its 48-tile
// panels were mostly padding, and OpenBLAS was up to 2x faster (hence the small-band products,
// whose panels fit those bands). The input gradient stays with OpenBLAS: read down its
// columns, U^T must be transposed first (36 times K x C floats per band), which cost more than
// it saved, on small bands too (36 points of 512 x 512 filters, each transposed into an
// L2-sized scratch and then multiplied: 8.0 ms at 64 tiles and 4.2 at 16, 5.9 and 2.9 with an
// AVX-512 transpose, where OpenBLAS took 5.7 and 2.1).
constexpr int64_t kMicroKernelMinTiles = 192;

// Columns a band's transformed tiles may take: its tiles, padded to the widest panel of any
// micro-kernel or to the AMX tiles' column block.
int64_t band_columns(const WinogradBands& plan, const WinogradKernels& kernels) {
  int widest = std::max(kernels.panel, amx::kColumnBlock);
  for (const auto& small : kernels.small_bands) widest = std::max(widest, small.panel);
  return static_cast<int64_t>(plan.rows_per_band) * plan.tile_cols + widest;
}

// The micro-kernel for a band of `tiles` tiles, or none (OpenBLAS then multiplies).
WinogradKernels::SmallBandProduct band_product(const WinogradKernels& kernels, int64_t tiles) {
  for (const auto& small : kernels.small_bands)
    if (small.product != nullptr && tiles <= small.max_tiles) return small;
  if (tiles >= kMicroKernelMinTiles) return {0, kernels.panel, kernels.panel_product};
  return {};
}

}  // namespace

bool winograd_applies(const Conv2dShape& s) {
  return s.kernel == 3 && s.stride == 1 && s.padding == 1;
}

WinogradBands winograd_bands(const Conv2dShape& s, int64_t band_budget) {
  WinogradBands plan;
  plan.tile_rows = tiles_along(s.Ho());
  plan.tile_cols = tiles_along(s.Wo());
  const int64_t per_row = int64_t{kPoints} * (s.C + s.K) * plan.tile_cols;
  const auto most_rows =
      static_cast<int>(std::clamp<int64_t>(band_budget / per_row, 1, plan.tile_rows));
  plan.count = (plan.tile_rows + most_rows - 1) / most_rows;
  // As many bands as the budget needs, all of nearly the same height: 64 tile rows with room
  // for 14 make 5 bands of 13 or 12 rows, not 4 of 14 and one of 8.
  plan.rows_per_band = (plan.tile_rows + plan.count - 1) / plan.count;
  plan.count = (plan.tile_rows + plan.rows_per_band - 1) / plan.rows_per_band;
  return plan;
}

int64_t winograd_band_floats(const Conv2dShape& s, const WinogradBands& bands) {
  return int64_t{kPoints} * (s.C + s.K) * bands.rows_per_band * bands.tile_cols;
}

int64_t winograd_filter_size(int K, int C) { return int64_t{kPoints} * K * C; }

void winograd_transform_filter(const float* weight, int K, int C, float* u, Precision precision) {
  const int64_t filters = static_cast<int64_t>(K) * C;
  NST_CHECK(filters <= INT32_MAX, "winograd: ", K, " x ", C, " filters are too many");
  if (precision == Precision::fp32) {
    winograd_active_kernels().filter_tiles(weight, static_cast<int>(filters), u, filters);
    return;
  }
  // One fp32 copy on the side (U: 4x the weight), rounded into U and, per point, U^T.
  const int64_t size = winograd_filter_size(K, C);
  std::vector<float> fp32(size);
  winograd_active_kernels().filter_tiles(weight, static_cast<int>(filters), fp32.data(), filters);
  uint16_t* bf16 = reinterpret_cast<uint16_t*>(u);
  for (int64_t i = 0; i < size; ++i) bf16[i] = to_bf16(fp32[i]);
  transpose_points(bf16, K, C, bf16 + size);
}

void winograd_forward(float* out, const float* in, WinogradFilters u, const float* bias,
                      const Conv2dShape& s, bool relu, int64_t band_budget) {
  s.validate();
  NST_CHECK(winograd_applies(s), "winograd_forward: needs a 3x3 kernel, stride 1, padding 1");
  winograd_check_bf16(u, s);
  const WinogradKernels& kernels = winograd_active_kernels();
  const WinogradBands plan = winograd_bands(s, band_budget);
  const int64_t filters = static_cast<int64_t>(s.K) * s.C;
  const int tw = plan.tile_cols, in_width = tw * kTile + 2, out_width = tw * kTile;
  const int64_t max_tiles = band_columns(plan, kernels);
  const BandBuffers buffers(kPoints * s.C * max_tiles, kPoints * s.K * max_tiles, band_budget);
  float* v = buffers.first;
  float* m = buffers.second;
  const int64_t in_plane = static_cast<int64_t>(s.H) * s.W;
  const int64_t out_plane = static_cast<int64_t>(s.Ho()) * s.Wo();

  for (int n = 0; n < s.N; ++n) {
    const float* image = in + n * s.C * in_plane;
    float* result = out + n * s.K * out_plane;
    for (int b = 0; b < plan.count; ++b) {
      const Band band = band_of(plan, b);
      const bool bf16 = u.precision == Precision::bf16;
      const auto micro_kernel =
          bf16 ? WinogradKernels::SmallBandProduct{} : band_product(kernels, band.tiles);
      const int64_t T = bf16                   ? padded(band.tiles, amx::kColumnBlock)
                        : micro_kernel.product ? padded(band.tiles, micro_kernel.panel)
                                               : band.tiles;
      for_channel_rows(s.C, band, kAlpha * in_width, [&](int c, int r, float* staging) {
        const int y0 = (band.first_row + r) * kTile - 1;
        stage_rows(image + c * in_plane, s.H, s.W, y0, -1, kAlpha, in_width, staging);
        kernels.input_tiles(staging, in_width, tw, v + c * T + r * tw, s.C * T);
      });
      zero_padding(v, kPoints * s.C, band.tiles, T);
      if (bf16) {
        multiply_points_bf16(u.bf16(s.K, s.C, false), s.K, s.C, band.tiles, T, v, m);
      } else {
        for_points([&](int xi) {
          const float* u_xi = u.fp32() + xi * filters;
          if (micro_kernel.product != nullptr) {
            winograd_multiply_point(micro_kernel.panel, micro_kernel.product, u_xi, s.K, s.C, xi,
                                    band.tiles, T, v, m);
          } else {
            gemm(Transpose::no, Transpose::no, s.K, static_cast<int>(T), s.C, 1.0f, u_xi, s.C,
                 v + xi * s.C * T, static_cast<int>(T), 0.0f, m + xi * s.K * T,
                 static_cast<int>(T));
          }
        });
      }
      for_channel_rows(s.K, band, kTile * out_width, [&](int k, int r, float* staging) {
        kernels.output_tiles(m + k * T + r * tw, s.K * T, tw, bias != nullptr ? bias[k] : 0.0f,
                             relu, staging, out_width);
        const int y0 = (band.first_row + r) * kTile;
        for (int i = 0; i < kTile && y0 + i < s.Ho(); ++i) {
          std::copy_n(staging + i * out_width, s.Wo(),
                      result + k * out_plane + static_cast<int64_t>(y0 + i) * s.Wo());
        }
      });
    }
  }
}

void winograd_backward_input(float* din, const float* dout, const uint8_t* relu_mask,
                             WinogradFilters u, const Conv2dShape& s, int64_t band_budget) {
  s.validate();
  NST_CHECK(winograd_applies(s),
            "winograd_backward_input: needs a 3x3 kernel, stride 1, padding 1");
  winograd_check_bf16(u, s);
  const WinogradKernels& kernels = winograd_active_kernels();
  const WinogradBands plan = winograd_bands(s, band_budget);
  const int64_t filters = static_cast<int64_t>(s.K) * s.C;
  const int tw = plan.tile_cols, in_width = tw * kTile + 2, out_width = tw * kTile;
  const bool bf16 = u.precision == Precision::bf16;
  const int64_t max_tiles = band_columns(plan, kernels);
  const BandBuffers buffers(kPoints * s.K * max_tiles, kPoints * s.C * max_tiles, band_budget);
  float* z = buffers.first;
  float* products = buffers.second;
  const int64_t in_plane = static_cast<int64_t>(s.H) * s.W;
  const int64_t out_plane = static_cast<int64_t>(s.Ho()) * s.Wo();

  for (int n = 0; n < s.N; ++n) {
    const float* grad = dout + n * s.K * out_plane;
    float* result = din + n * s.C * in_plane;
    for (int b = 0; b < plan.count; ++b) {
      const Band band = band_of(plan, b);
      const int64_t T = bf16 ? padded(band.tiles, amx::kColumnBlock) : band.tiles;
      for_channel_rows(s.K, band, kTile * out_width, [&](int k, int r, float* staging) {
        const int y0 = (band.first_row + r) * kTile;
        stage_rows(grad + k * out_plane, s.Ho(), s.Wo(), y0, 0, kTile, out_width, staging,
                   relu_mask, (n * s.K + k) * out_plane);
        kernels.grad_output_tiles(staging, out_width, tw, z + k * T + r * tw, s.K * T);
      });
      if (bf16) {
        zero_padding(z, kPoints * s.K, band.tiles, T);
        multiply_points_bf16(u.bf16(s.K, s.C, true), s.C, s.K, band.tiles, T, z, products);
      } else {
        for_points([&](int xi) {
          gemm(Transpose::yes, Transpose::no, s.C, static_cast<int>(T), s.K, 1.0f,
               u.fp32() + xi * filters, s.C, z + xi * s.K * T, static_cast<int>(T), 0.0f,
               products + xi * s.C * T, static_cast<int>(T));
        });
      }
      // Neighbouring tiles' gradients overlap by two pixels: each thread owns whole channels
      // and adds its tile rows in order.
#pragma omp parallel num_threads(num_threads())
      {
        std::vector<float> staging(static_cast<std::size_t>(kAlpha) * in_width);
#pragma omp for schedule(static)
        for (int c = 0; c < s.C; ++c) {
          float* plane = result + c * in_plane;
          for (int r = 0; r < band.rows; ++r) {
            std::fill(staging.begin(), staging.end(), 0.0f);
            kernels.grad_input_tiles(products + c * T + r * tw, s.C * T, tw, staging.data(),
                                     in_width);
            add_staged_rows(staging.data(), kAlpha, in_width, plane, s.H, s.W,
                            (band.first_row + r) * kTile - 1, -1);
          }
        }
      }
    }
  }
}

void winograd_multiply_point(const WinogradKernels& kernels, const float* a_xi, int rows, int depth,
                             int xi, int64_t tiles, int64_t ld, const float* transformed,
                             float* products) {
  winograd_multiply_point(kernels.panel, kernels.panel_product, a_xi, rows, depth, xi, tiles, ld,
                          transformed, products);
}

void winograd_multiply_point(int panel, WinogradKernels::PanelProductFn product, const float* a_xi,
                             int rows, int depth, int xi, int64_t tiles, int64_t ld,
                             const float* transformed, float* products) {
  const float* b = transformed + static_cast<int64_t>(xi) * depth * ld;
  float* c = products + static_cast<int64_t>(xi) * rows * ld;
  for (int64_t at = 0; at < tiles; at += panel)
    product(a_xi, depth, 1, rows, depth, b + at, ld, c + at, ld);
}

void winograd_check_bf16(const WinogradFilters& u, const Conv2dShape& s) {
  if (u.precision != Precision::bf16) return;
  NST_CHECK(amx_bf16_usable(), "winograd: bf16 filters need AMX-BF16, which this CPU lacks");
  NST_CHECK(fills_amx_tiles(s),
            "winograd: bf16 products need channel counts that are multiples of ", amx::kRowBlock,
            ", got ", s.C, " -> ", s.K);
}

void winograd_multiply_point_bf16(const uint16_t* a_xi, int rows, int depth, int xi, int64_t tiles,
                                  int64_t ld, const float* transformed, float* products,
                                  uint16_t* pairs) {
  const int64_t cols = padded(tiles, amx::kColumnBlock);
  amx::pack_pairs(transformed + static_cast<int64_t>(xi) * depth * ld, ld, depth, cols, pairs);
  amx::product(a_xi, rows, depth, pairs, cols, products + static_cast<int64_t>(xi) * rows * ld, ld);
}

void winograd_transpose_filters(const float* u, int K, int C, float* ut) {
  transpose_points(u, K, C, ut);
}

const WinogradKernels& winograd_active_kernels() {
  static const WinogradKernels& table = winograd_kernels(active_isa());
  return table;
}

const WinogradKernels& winograd_kernels(Isa isa) {
  elementwise_kernels(isa);  // fails clearly if this CPU cannot run it
  switch (isa) {
    case Isa::avx2: return kernels::winograd_avx2();
    case Isa::avx512: return kernels::winograd_avx512();
    case Isa::scalar: break;
  }
  return kernels::winograd_scalar();
}

}  // namespace nst
