#include "tensor/conv2d.h"

#include <algorithm>

#include "tensor/elementwise.h"
#include "tensor/error.h"
#include "tensor/gemm.h"
#include "tensor/im2col.h"
#include "tensor/relu_mask.h"
#include "tensor/tensor.h"
#include "tensor/threads.h"

namespace nst {
namespace {

// Elements of one band's column matrix: 8 MiB. Measured with bench_conv2d on VGG19's shapes
// (2 MiB L2 per core, large shared L3): 4x smaller bands slow the first layers, whose GEMMs
// have a small inner dimension and want many columns; 4x larger ones gain nothing.
constexpr int64_t kColumnBudget = int64_t{1} << 21;

// A GEMM with a small inner dimension (conv1_1: C*k*k = 27) does little arithmetic per byte of
// output, so streaming one big band through memory leaves it at ~70% of SGEMM's rate. Such
// layers instead give each thread its own bands of 64 Ki column elements (256 KiB, in L2),
// which measured 92-94% (bench_conv2d). Wider layers gain nothing from it.
constexpr int kSmallInnerDimension = 64;
constexpr int64_t kThreadBandBudget = int64_t{1} << 16;

struct Band {
  int row_begin, row_end;
  int64_t offset;  // of the band's first output pixel within a plane of Ho x Wo
  int columns;     // output pixels in the band
};

Band band(const Conv2dShape& s, const Conv2dBands& bands, int i) {
  const int begin = i * bands.rows, end = std::min(s.Ho(), begin + bands.rows);
  return Band{begin, end, static_cast<int64_t>(begin) * s.Wo(), (end - begin) * s.Wo()};
}

Conv2dBands bands_of(const Conv2dShape& s, int64_t column_budget, bool per_thread) {
  const int64_t per_row = static_cast<int64_t>(s.col_rows()) * s.Wo();
  const int rows = static_cast<int>(std::clamp<int64_t>(column_budget / per_row, 1, s.Ho()));
  return {.rows = rows, .count = (s.Ho() + rows - 1) / rows, .per_thread = per_thread};
}

}  // namespace

Conv2dBands conv2d_forward_bands(const Conv2dShape& s) {
  if (s.col_rows() < kSmallInnerDimension) return bands_of(s, kThreadBandBudget, true);
  return conv2d_backward_bands(s);
}

Conv2dBands conv2d_backward_bands(const Conv2dShape& s) {
  return bands_of(s, kColumnBudget, false);
}

void conv2d_forward(float* out, const float* in, const float* weight, const float* bias,
                    const Conv2dShape& s) {
  s.validate();
  const int ckk = s.col_rows(), plane = s.Ho() * s.Wo();
  const Conv2dBands bands = conv2d_forward_bands(s);
  // One band: im2col, then result[:, band] = bias + weight[K x Ckk] * col[Ckk x columns].
  // OpenBLAS makes a pass over C to apply beta before it accumulates, so starting C at the
  // bias and passing beta = 1 adds the bias at no extra cost. Without bias, beta = 0.
  auto run_band = [&](const float* image, float* result, const Band& b, float* col) {
    im2col(image, s, b.row_begin, b.row_end, col);
    float* out_band = result + b.offset;
    if (bias != nullptr) {
      for (int k = 0; k < s.K; ++k)
        std::fill_n(out_band + static_cast<int64_t>(k) * plane, b.columns, bias[k]);
    }
    gemm(Transpose::no, Transpose::no, s.K, b.columns, ckk, 1.0f, weight, ckk, col, b.columns,
         bias != nullptr ? 1.0f : 0.0f, out_band, plane);
  };
  const int64_t col_size = static_cast<int64_t>(ckk) * bands.rows * s.Wo();
  Tensor shared_col = bands.per_thread ? Tensor() : Tensor(Shape{col_size});
  for (int n = 0; n < s.N; ++n) {
    const float* image = in + static_cast<int64_t>(n) * s.C * s.H * s.W;
    float* result = out + static_cast<int64_t>(n) * s.K * plane;
    if (bands.per_thread) {
      // Each thread takes whole bands small enough for its L2 cache and multiplies them with a
      // single-threaded GEMM (OpenBLAS runs single-threaded inside a parallel region).
#pragma omp parallel num_threads(num_threads())
      {
        Tensor col(Shape{col_size});
#pragma omp for schedule(static)
        for (int i = 0; i < bands.count; ++i)
          run_band(image, result, band(s, bands, i), col.data());
      }
    } else {
      for (int i = 0; i < bands.count; ++i)
        run_band(image, result, band(s, bands, i), shared_col.data());
    }
  }
}

void conv2d_backward(float* din, float* dweight, float* dbias, const float* dout, const float* in,
                     const float* weight, const Conv2dShape& s, const uint8_t* dout_mask) {
  s.validate();
  NST_CHECK(dweight == nullptr || in != nullptr,
            "conv2d_backward: the weight's gradient needs the input");
  NST_CHECK(din == nullptr || weight != nullptr,
            "conv2d_backward: the input's gradient needs the weight");
  const int ckk = s.col_rows(), plane = s.Ho() * s.Wo();
  const Conv2dBands bands = conv2d_backward_bands(s);
  Tensor col(Shape{static_cast<int64_t>(ckk) * bands.rows * s.Wo()});
  // With a mask, each band of dout is first copied through it (K x columns).
  Tensor masked = dout_mask != nullptr
                      ? Tensor(Shape{static_cast<int64_t>(s.K) * bands.rows * s.Wo()})
                      : Tensor();
  for (int n = 0; n < s.N; ++n) {
    // The input is needed (and given) only for the weight's gradient.
    const float* image = in != nullptr ? in + static_cast<int64_t>(n) * s.C * s.H * s.W : nullptr;
    for (int i = 0; i < bands.count; ++i) {
      const Band b = band(s, bands, i);
      // The band's gradient: grad[k * ld + column] for K rows of b.columns.
      const float* grad = dout + static_cast<int64_t>(n) * s.K * plane + b.offset;
      int ld = plane;
      if (dout_mask != nullptr) {
        for (int k = 0; k < s.K; ++k) {
          const int64_t first = (static_cast<int64_t>(n) * s.K + k) * plane + b.offset;
          relu_mask_apply(dout_mask, first, dout + first,
                          masked.data() + static_cast<int64_t>(k) * b.columns, b.columns);
        }
        grad = masked.data();
        ld = b.columns;
      }
      if (dbias != nullptr) {
        for (int k = 0; k < s.K; ++k) {
          dbias[k] += static_cast<float>(
              sum({grad + static_cast<int64_t>(k) * ld, static_cast<std::size_t>(b.columns)}));
        }
      }
      if (dweight != nullptr) {
        im2col(image, s, b.row_begin, b.row_end, col.data());
        // dweight[K x Ckk] += dout[:, band][K x columns] * col^T[columns x Ckk]
        gemm(Transpose::no, Transpose::yes, s.K, ckk, b.columns, 1.0f, grad, ld, col.data(),
             b.columns, 1.0f, dweight, ckk);
      }
      if (din != nullptr) {
        // col[Ckk x columns] = weight^T[Ckk x K] * dout[:, band][K x columns], then scatter.
        gemm(Transpose::yes, Transpose::no, ckk, b.columns, s.K, 1.0f, weight, ckk, grad, ld, 0.0f,
             col.data(), b.columns);
        col2im(col.data(), s, b.row_begin, b.row_end,
               din + static_cast<int64_t>(n) * s.C * s.H * s.W);
      }
    }
  }
}

}  // namespace nst
