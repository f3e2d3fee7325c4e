#include "nn/conv2d.h"

#include <algorithm>

#include "tensor/elementwise.h"
#include "tensor/error.h"
#include "tensor/gemm.h"

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

template <class Body>
void for_each_band(const Conv2dShape& s, Body body) {
  const int rows = conv2d_band_rows(s);
  for (int r = 0; r < s.Ho(); r += rows) {
    const int end = std::min(s.Ho(), r + rows);
    body(Band{r, end, static_cast<int64_t>(r) * s.Wo(), (end - r) * s.Wo()});
  }
}

}  // namespace

int conv2d_band_rows(const Conv2dShape& s) {
  const int64_t per_row = static_cast<int64_t>(s.image().col_rows()) * s.Wo();
  return static_cast<int>(std::clamp<int64_t>(kColumnBudget / per_row, 1, s.Ho()));
}

void conv2d_forward(float* out, const float* in, const float* weight, const float* bias,
                    const Conv2dShape& s) {
  const ConvGeometry g = s.image();
  g.validate();
  const int ckk = g.col_rows(), plane = s.Ho() * s.Wo();
  // One band: im2col, then result[:, band] = bias + weight[K x Ckk] * col[Ckk x columns].
  // OpenBLAS makes a pass over C to apply beta before it accumulates, so starting C at the
  // bias and passing beta = 1 adds the bias at no extra cost. Without bias, beta = 0.
  auto run_band = [&](const float* image, float* result, const Band& b, float* col) {
    im2col(image, g, b.row_begin, b.row_end, col);
    float* band = result + b.offset;
    if (bias != nullptr) {
      for (int k = 0; k < s.K; ++k)
        std::fill_n(band + static_cast<int64_t>(k) * plane, b.columns, bias[k]);
    }
    gemm(Transpose::no, Transpose::no, s.K, b.columns, ckk, 1.0f, weight, ckk, col, b.columns,
         bias != nullptr ? 1.0f : 0.0f, band, plane);
  };
  if (ckk < kSmallInnerDimension) {
    // Each thread takes whole bands small enough for its L2 cache and multiplies them with a
    // single-threaded GEMM (OpenBLAS runs single-threaded inside a parallel region).
    const int rows = static_cast<int>(
        std::clamp<int64_t>(kThreadBandBudget / (static_cast<int64_t>(ckk) * s.Wo()), 1, s.Ho()));
    const int bands = (s.Ho() + rows - 1) / rows;
    for (int n = 0; n < s.N; ++n) {
      const float* image = in + static_cast<int64_t>(n) * s.C * s.H * s.W;
      float* result = out + static_cast<int64_t>(n) * s.K * plane;
#pragma omp parallel
      {
        Tensor col(Shape{static_cast<int64_t>(ckk) * rows * s.Wo()});
#pragma omp for schedule(static)
        for (int i = 0; i < bands; ++i) {
          const int r = i * rows, end = std::min(s.Ho(), r + rows);
          run_band(image, result,
                   Band{r, end, static_cast<int64_t>(r) * s.Wo(), (end - r) * s.Wo()}, col.data());
        }
      }
    }
    return;
  }
  Tensor col(Shape{static_cast<int64_t>(ckk) * conv2d_band_rows(s) * s.Wo()});
  for (int n = 0; n < s.N; ++n) {
    const float* image = in + static_cast<int64_t>(n) * s.C * s.H * s.W;
    float* result = out + static_cast<int64_t>(n) * s.K * plane;
    for_each_band(s, [&](const Band& b) { run_band(image, result, b, col.data()); });
  }
}

void conv2d_backward(float* din, float* dweight, float* dbias, const float* dout, const float* in,
                     const float* weight, const Conv2dShape& s) {
  const ConvGeometry g = s.image();
  g.validate();
  const int ckk = g.col_rows(), plane = s.Ho() * s.Wo();
  Tensor col(Shape{static_cast<int64_t>(ckk) * conv2d_band_rows(s) * s.Wo()});
  for (int n = 0; n < s.N; ++n) {
    const float* image = in + static_cast<int64_t>(n) * s.C * s.H * s.W;
    const float* grad = dout + static_cast<int64_t>(n) * s.K * plane;
    if (dbias != nullptr) {
      for (int k = 0; k < s.K; ++k) {
        dbias[k] += static_cast<float>(
            sum({grad + static_cast<int64_t>(k) * plane, static_cast<std::size_t>(plane)}));
      }
    }
    for_each_band(s, [&](const Band& b) {
      if (dweight != nullptr) {
        im2col(image, g, b.row_begin, b.row_end, col.data());
        // dweight[K x Ckk] += dout[:, band][K x columns] * col^T[columns x Ckk]
        gemm(Transpose::no, Transpose::yes, s.K, ckk, b.columns, 1.0f, grad + b.offset, plane,
             col.data(), b.columns, 1.0f, dweight, ckk);
      }
      if (din != nullptr) {
        // col[Ckk x columns] = weight^T[Ckk x K] * dout[:, band][K x columns], then scatter.
        gemm(Transpose::yes, Transpose::no, ckk, b.columns, s.K, 1.0f, weight, ckk, grad + b.offset,
             plane, 0.0f, col.data(), b.columns);
        col2im(col.data(), g, b.row_begin, b.row_end,
               din + static_cast<int64_t>(n) * s.C * s.H * s.W);
      }
    });
  }
}

namespace nn {

Conv2dShape conv2d_shape(const Shape& input, const Shape& weight, const Conv2dOptions& options) {
  NST_CHECK(input.rank() == 4, "conv2d: input must be [N, C, H, W], got ", input);
  NST_CHECK(weight.rank() == 4 && weight[2] == weight[3],
            "conv2d: weight must be [K, C, k, k], got ", weight);
  NST_CHECK(weight[1] == input[1], "conv2d: weight ", weight, " expects ", weight[1],
            " input channels, input ", input, " has ", input[1]);
  Conv2dShape s;
  s.N = static_cast<int>(input[0]);
  s.C = static_cast<int>(input[1]);
  s.H = static_cast<int>(input[2]);
  s.W = static_cast<int>(input[3]);
  s.K = static_cast<int>(weight[0]);
  s.kernel = static_cast<int>(weight[2]);
  s.stride = options.stride;
  s.padding = options.padding;
  s.image().validate();
  return s;
}

Var conv2d(const Var& input, const Var& weight, const Var& bias, const Conv2dOptions& options) {
  const Conv2dShape s = conv2d_shape(input.shape(), weight.shape(), options);
  const bool has_bias = bias.defined();
  if (has_bias) {
    NST_CHECK(bias.shape() == Shape{s.K}, "conv2d: bias must be [", s.K, "] for weight ",
              weight.shape(), ", got ", bias.shape());
  }
  Tensor out(Shape{s.N, s.K, s.Ho(), s.Wo()});
  conv2d_forward(out.data(), input.value().data(), weight.value().data(),
                 has_bias ? bias.value().data() : nullptr, s);

  // Save the input only if the weight gradient will need it, the weight only for the input's.
  Tensor saved_input = weight.requires_grad() ? input.value() : Tensor();
  Tensor saved_weight = input.requires_grad() ? weight.value() : Tensor();
  BackwardFn backward = [saved_input, saved_weight, s, has_bias](const Tensor& dout,
                                                                 InputGrads& grads) {
    conv2d_backward(grads.needed(0) ? grads[0].data() : nullptr,
                    grads.needed(1) ? grads[1].data() : nullptr,
                    has_bias && grads.needed(2) ? grads[2].data() : nullptr, dout.data(),
                    saved_input.defined() ? saved_input.data() : nullptr,
                    saved_weight.defined() ? saved_weight.data() : nullptr, s);
  };
  if (has_bias)
    return record_op(std::move(out), "conv2d", {input, weight, bias}, std::move(backward));
  return record_op(std::move(out), "conv2d", {input, weight}, std::move(backward));
}

}  // namespace nn
}  // namespace nst
