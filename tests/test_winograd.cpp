// Winograd F(4x4, 3x3), by its GEMM path and its fused path, against the direct convolution
// in double, on sizes that are not multiples of the tile (4) or of a vector (8, 16) or panel,
// with two images, in one band or block and in many; every instruction set's transforms and
// micro-kernel against the scalar ones; the input gradient as the exact adjoint of the forward
// map; the bf16 products on AMX where this CPU has them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "tensor/amx_bf16.h"
#include "tensor/conv2d_algorithm.h"
#include "tensor/conv2d_reference.h"
#include "tensor/cpu_features.h"
#include "tensor/elementwise.h"
#include "tensor/random.h"
#include "tensor/relu_mask.h"
#include "tensor/winograd.h"
#include "tensor/winograd_fused.h"
#include "tensor/winograd_kernels.h"
#include "tests/test_util.h"

namespace nst {
namespace {

using testing::random_tensor;

// Winograd's float error is not relative to each output (an output near 0 is a sum of large
// terms that cancel) but to the terms it sums: sum over c and taps of |w| |x|, the "scale".
// F(4x4, 3x3)'s transforms multiply by up to 5 (B), 8 (A) and 1/4 (G) in each direction, so
// rounding errors of a few units of 2^-24 (6e-8) grow by up to ~100 before they reach the
// output: a bound near 1e-5 of the scale. Measured worst cases (printed by WinogradVsNaive
// and WinogradError.OnVgg19ScaledData, README): 3.8e-6 forward, 1.4e-6 input gradient. 2e-5
// leaves room and still catches any wrong coefficient, which errs by a whole term (~1e-1).
constexpr double kWinogradErrorBound = 2e-5;

// |got - want| / scale at the worst element, where scale is the sum of |terms| of each output.
double worst_scaled_error(const Tensor& got, const Tensor& want, const Tensor& scale) {
  double worst = 0.0;
  for (int64_t i = 0; i < got.numel(); ++i) {
    const double err = std::abs(static_cast<double>(got.data()[i]) - want.data()[i]);
    worst = std::max(worst, err / std::max(1e-30, static_cast<double>(scale.data()[i])));
  }
  return worst;
}

Tensor absolute(const Tensor& t) {
  Tensor out(t.shape());
  for (int64_t i = 0; i < t.numel(); ++i) out.data()[i] = std::abs(t.data()[i]);
  return out;
}

Tensor transformed_filter(const Tensor& weight, const Conv2dShape& s) {
  Tensor u(Shape{winograd_filter_size(s.K, s.C)});
  winograd_transform_filter(weight.data(), s.K, s.C, u.data());
  return u;
}

struct Case {
  Conv2dShape shape;
  int64_t band_budget;   // the GEMM path's
  int64_t block_budget;  // the fused path's
};

// Both paths compute the same function; the tests run each.
struct Path {
  const char* name;
  void (*forward)(float* out, const float* in, WinogradFilters u, const float* bias,
                  const Conv2dShape& s, bool relu, const Case& c);
  void (*backward_input)(float* din, const float* dout, const uint8_t* mask, WinogradFilters u,
                         const Conv2dShape& s, const Case& c);
};

const Path kPaths[] = {
    {"gemm",
     [](float* out, const float* in, WinogradFilters u, const float* bias, const Conv2dShape& s,
        bool relu, const Case& c) { winograd_forward(out, in, u, bias, s, relu, c.band_budget); },
     [](float* din, const float* dout, const uint8_t* mask, WinogradFilters u, const Conv2dShape& s,
        const Case& c) { winograd_backward_input(din, dout, mask, u, s, c.band_budget); }},
    {"fused",
     [](float* out, const float* in, WinogradFilters u, const float* bias, const Conv2dShape& s,
        bool relu,
        const Case& c) { winograd_fused_forward(out, in, u, bias, s, relu, c.block_budget); },
     [](float* din, const float* dout, const uint8_t* mask, WinogradFilters u, const Conv2dShape& s,
        const Case& c) { winograd_fused_backward_input(din, dout, mask, u, s, c.block_budget); }},
};

class WinogradVsNaive : public ::testing::TestWithParam<Case> {};

TEST_P(WinogradVsNaive, Forward) {
  const Conv2dShape s = GetParam().shape;
  const Tensor in = random_tensor(Shape{s.N, s.C, s.H, s.W}, 1);
  const Tensor weight = random_tensor(Shape{s.K, s.C, 3, 3}, 2, -0.2f, 0.2f);
  const Tensor bias = random_tensor(Shape{s.K}, 3);
  const Shape out_shape{s.N, s.K, s.Ho(), s.Wo()};
  Tensor want(out_shape), got(out_shape), scale(out_shape);
  conv2d_forward_naive(want.data(), in.data(), weight.data(), bias.data(), s);
  conv2d_forward_naive(scale.data(), absolute(in).data(), absolute(weight).data(), nullptr, s);
  const Tensor u = transformed_filter(weight, s);

  Tensor relu_want(out_shape);
  relu(want.values(), relu_want.values());
  for (const Path& path : kPaths) {
    SCOPED_TRACE(path.name);
    path.forward(got.data(), in.data(), u.data(), bias.data(), s, false, GetParam());
    const double error = worst_scaled_error(got, want, scale);
    std::printf("%s forward: worst error %.2e of the terms' sum\n", path.name, error);
    EXPECT_LT(error, kWinogradErrorBound);

    // Fused ReLU: the same values, negatives clamped to 0.
    path.forward(got.data(), in.data(), u.data(), bias.data(), s, true, GetParam());
    EXPECT_LT(worst_scaled_error(got, relu_want, scale), kWinogradErrorBound);
  }
}

TEST_P(WinogradVsNaive, InputGradientWithAndWithoutMask) {
  const Conv2dShape s = GetParam().shape;
  const Tensor in = random_tensor(Shape{s.N, s.C, s.H, s.W}, 1);
  const Tensor weight = random_tensor(Shape{s.K, s.C, 3, 3}, 2, -0.2f, 0.2f);
  const Tensor dout = random_tensor(Shape{s.N, s.K, s.Ho(), s.Wo()}, 4);
  const Tensor u = transformed_filter(weight, s);
  // The scale of each input-gradient element: the same sums over |dout| and |w|.
  Tensor scale = Tensor::zeros(in.shape());
  conv2d_backward_naive(scale.data(), nullptr, nullptr, absolute(dout).data(), in.data(),
                        absolute(weight).data(), s);

  // Adds into din: start from a non-zero gradient.
  const Tensor start = random_tensor(in.shape(), 5);
  Tensor want = start.clone();
  conv2d_backward_naive(want.data(), nullptr, nullptr, dout.data(), in.data(), weight.data(), s);
  // With a mask (here: where a random tensor is positive), dout counts only where it is set.
  const Tensor masker = random_tensor(dout.shape(), 6);
  std::vector<uint8_t> mask(relu_mask_bytes(dout.numel()));
  relu_mask_pack(masker.data(), dout.numel(), mask.data());
  Tensor masked(dout.shape());
  for (int64_t i = 0; i < dout.numel(); ++i)
    masked.data()[i] = masker.data()[i] > 0.0f ? dout.data()[i] : 0.0f;
  Tensor masked_want = start.clone();
  conv2d_backward_naive(masked_want.data(), nullptr, nullptr, masked.data(), in.data(),
                        weight.data(), s);

  for (const Path& path : kPaths) {
    SCOPED_TRACE(path.name);
    Tensor got = start.clone();
    path.backward_input(got.data(), dout.data(), nullptr, u.data(), s, GetParam());
    const double error = worst_scaled_error(got, want, scale);
    std::printf("%s input gradient: worst error %.2e of the terms' sum\n", path.name, error);
    EXPECT_LT(error, kWinogradErrorBound);

    got = start.clone();
    path.backward_input(got.data(), dout.data(), mask.data(), u.data(), s, GetParam());
    EXPECT_LT(worst_scaled_error(got, masked_want, scale), kWinogradErrorBound);
  }
}

Conv2dShape shape3x3(int N, int C, int H, int W, int K) {
  return {.N = N, .C = C, .H = H, .W = W, .K = K, .kernel = 3, .stride = 1, .padding = 1};
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, WinogradVsNaive,
    ::testing::Values(
        // Odd everything, two images: 4 x 3 tiles with a partial last row and column.
        Case{shape3x3(2, 5, 13, 11, 7), kWinogradBandBudget, kWinogradFusedBlockBudget},
        // Smaller than one tile; one channel in and out.
        Case{shape3x3(1, 1, 3, 2, 1), kWinogradBandBudget, kWinogradFusedBlockBudget},
        // 37 tile columns: vector lanes (8, 16) and a scalar tail in every row; blocks of one
        // panel (8, 16 or 48 tiles) that start and end inside tile rows.
        Case{shape3x3(1, 3, 9, 147, 17), kWinogradBandBudget, 1},
        // A budget of one tile row per band: 5 bands of 36 * 24 * 5 floats; blocks of one panel
        // over 5 x 5 tiles, in up to 4 row chunks per phase of the input gradient.
        Case{shape3x3(2, 9, 18, 19, 15), 36 * 24 * 5, 1},
        // 17 x 17 tiles in blocks of one panel: many chunks, and blocks across rows in each.
        Case{shape3x3(1, 4, 67, 66, 6), kWinogradBandBudget, 1},
        // VGG19-like widths in 2 bands; 8 rows of the micro-kernel, and a remainder of 3 rows.
        Case{shape3x3(1, 64, 20, 20, 64), 36 * 128 * 5 * 3, kWinogradFusedBlockBudget},
        Case{shape3x3(1, 19, 20, 21, 35), kWinogradBandBudget, 1},
        // Bands of few tiles, which the GEMM path multiplies with a small-band micro-kernel
        // where the instruction set has one (AVX-512: 49 tiles in a 64-tile panel; 12, 25 and 30
        // tiles above in 16-tile panels).
        Case{shape3x3(1, 16, 28, 28, 24), kWinogradBandBudget, kWinogradFusedBlockBudget}));

// The error on data shaped like VGG19's: conv3_x's 256 input channels (16 of its outputs, to
// keep the double-precision reference quick), torchvision's He initialisation N(0, 2 / (9 K)),
// inputs that went through a ReLU. Printed as the scaled error above and relative to the
// outputs' RMS, the figure a user compares with the image's 8 bits (4e-3).
TEST(WinogradError, OnVgg19ScaledData) {
  const Conv2dShape s = shape3x3(1, 256, 28, 28, 16);
  Tensor in(Shape{s.N, s.C, s.H, s.W}), weight(Shape{s.K, s.C, 3, 3});
  Random(1).fill_normal(in.values(), 0.0f, 1.0f);
  relu(in.values(), in.values());
  Random(2).fill_normal(weight.values(), 0.0f, std::sqrt(2.0f / (9.0f * 256.0f)));
  const Shape out_shape{s.N, s.K, s.Ho(), s.Wo()};
  Tensor want(out_shape), got(out_shape), scale(out_shape);
  conv2d_forward_naive(want.data(), in.data(), weight.data(), nullptr, s);
  conv2d_forward_naive(scale.data(), in.data(), absolute(weight).data(), nullptr, s);
  winograd_forward(got.data(), in.data(), transformed_filter(weight, s).data(), nullptr, s, false);
  double squares = 0.0, worst = 0.0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    squares += static_cast<double>(want.data()[i]) * want.data()[i];
    worst = std::max(worst, std::abs(static_cast<double>(got.data()[i]) - want.data()[i]));
  }
  const double rms = std::sqrt(squares / static_cast<double>(want.numel()));
  const double scaled = worst_scaled_error(got, want, scale);
  std::printf(
      "Winograd forward on VGG19-scaled data: worst error %.2e of the scale, %.2e of the "
      "outputs' RMS\n",
      scaled, worst / rms);
  EXPECT_LT(scaled, kWinogradErrorBound);
  EXPECT_LT(worst / rms, 2e-4);
}

// NST_CONV picks the algorithm for comparisons; anything else than its four words is an error
// that says what it accepts.
TEST(ConvAlgorithm, FollowsTheRuleAndNstConv) {
  const Conv2dShape rgb = shape3x3(1, 3, 64, 64, 64), deep = shape3x3(1, 64, 16, 16, 64);
  const Conv2dShape small_plane = shape3x3(1, 512, 8, 8, 512);
  const Conv2dShape wide = shape3x3(1, 128, 32, 32, 256);
  const Conv2dShape strided{.C = 64, .H = 16, .W = 16, .K = 64, .stride = 2, .padding = 1};
  {
    const testing::ScopedEnv unset("NST_CONV", nullptr);
    EXPECT_EQ(forward_algorithm(rgb), ConvAlgorithm::im2col);          // 3 input channels
    EXPECT_EQ(input_gradient_algorithm(rgb), ConvAlgorithm::fused);    // 64 "input" channels
    EXPECT_EQ(forward_algorithm(deep), ConvAlgorithm::fused);          // 64 x 64 filters
    EXPECT_EQ(forward_algorithm(wide), ConvAlgorithm::winograd);       // 256 x 128 filters
    EXPECT_EQ(forward_algorithm(small_plane), ConvAlgorithm::im2col);  // 4 tiles
    EXPECT_EQ(forward_algorithm(strided), ConvAlgorithm::im2col);      // Winograd cannot
  }
  {
    const testing::ScopedEnv winograd("NST_CONV", "winograd");
    EXPECT_EQ(forward_algorithm(rgb), ConvAlgorithm::winograd);
    EXPECT_EQ(forward_algorithm(small_plane), ConvAlgorithm::winograd);
    EXPECT_EQ(forward_algorithm(strided), ConvAlgorithm::im2col);
  }
  {
    const testing::ScopedEnv fused("NST_CONV", "fused");
    EXPECT_EQ(forward_algorithm(wide), ConvAlgorithm::fused);
    EXPECT_EQ(input_gradient_algorithm(small_plane), ConvAlgorithm::fused);
    EXPECT_EQ(forward_algorithm(strided), ConvAlgorithm::im2col);
  }
  {
    const testing::ScopedEnv im2col("NST_CONV", "im2col");
    EXPECT_EQ(forward_algorithm(deep), ConvAlgorithm::im2col);
    EXPECT_EQ(input_gradient_algorithm(deep), ConvAlgorithm::im2col);
  }
  const testing::ScopedEnv wrong("NST_CONV", "fast");
  EXPECT_NE(testing::error_of([&] {
              forward_algorithm(deep);
            }).find("NST_CONV=fast is not one of im2col, winograd, fused, auto"),
            std::string::npos);
}

TEST(WinogradBands, SplitsTileRowsByBudget) {
  const Conv2dShape s = shape3x3(1, 9, 18, 19, 15);  // 5 x 5 tiles
  const WinogradBands one_row = winograd_bands(s, 36 * 24 * 5);
  EXPECT_EQ(one_row.tile_rows, 5);
  EXPECT_EQ(one_row.tile_cols, 5);
  EXPECT_EQ(one_row.rows_per_band, 1);
  EXPECT_EQ(one_row.count, 5);
  const WinogradBands two_rows = winograd_bands(s, 36 * 24 * 5 * 2);
  EXPECT_EQ(two_rows.rows_per_band, 2);
  EXPECT_EQ(two_rows.count, 3);
  EXPECT_EQ(winograd_bands(s).count, 1);  // the default budget holds the whole image
}

// The input gradient is the adjoint of the forward map: <conv(x), y> = <x, conv^T(y)>, which
// a wrong transposition or a missing overlap of neighbouring tiles breaks.
TEST(WinogradInputGradient, IsTheAdjointOfTheForwardMap) {
  const Conv2dShape s = shape3x3(2, 6, 10, 13, 5);
  const Tensor x = random_tensor(Shape{s.N, s.C, s.H, s.W}, 7);
  const Tensor y = random_tensor(Shape{s.N, s.K, s.Ho(), s.Wo()}, 8);
  const Tensor u = transformed_filter(random_tensor(Shape{s.K, s.C, 3, 3}, 9), s);
  Tensor conv_x(y.shape());
  winograd_forward(conv_x.data(), x.data(), u.data(), nullptr, s, false);
  Tensor adjoint_y = Tensor::zeros(x.shape());
  winograd_backward_input(adjoint_y.data(), y.data(), nullptr, u.data(), s);
  const double lhs = dot(conv_x.values(), y.values());
  const double rhs = dot(x.values(), adjoint_y.values());
  EXPECT_NEAR(lhs, rhs, 1e-4 * (std::abs(lhs) + std::abs(rhs)));

  winograd_fused_forward(conv_x.data(), x.data(), u.data(), nullptr, s, false, 1);
  adjoint_y = Tensor::zeros(x.shape());
  winograd_fused_backward_input(adjoint_y.data(), y.data(), nullptr, u.data(), s, 1);
  const double fused_lhs = dot(conv_x.values(), y.values());
  const double fused_rhs = dot(x.values(), adjoint_y.values());
  EXPECT_NEAR(fused_lhs, fused_rhs, 1e-4 * (std::abs(fused_lhs) + std::abs(fused_rhs)));
}

// Every instruction set's micro-kernels (the default and the small-band ones) compute the
// product, read both ways (U and its transpose), for a row count that leaves a remainder after
// their register rows.
TEST(WinogradKernelTables, PanelProductsAreProducts) {
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512}) {
    if (!isa_supported(isa)) {
      std::printf("  (%s: not on this CPU)\n", isa_name(isa));
      continue;
    }
    const WinogradKernels& kernels = winograd_kernels(isa);
    std::vector<WinogradKernels::SmallBandProduct> products = {
        {0, kernels.panel, kernels.panel_product}};
    for (const auto& small : kernels.small_bands)
      if (small.product != nullptr) products.push_back(small);
    for (const auto& [max_tiles, panel, product] : products) {
      SCOPED_TRACE(std::string(isa_name(isa)) + ", panel " + std::to_string(panel));
      EXPECT_GT(panel, 0);
      EXPECT_TRUE(max_tiles == 0 || max_tiles % panel == 0)
          << "a band of max_tiles is whole panels";
      const int rows = 37, depth = 23;
      const int64_t b_stride = panel + 5, c_stride = panel + 3;
      const Tensor a = random_tensor(Shape{rows * depth}, 13);
      const Tensor b = random_tensor(Shape{depth * b_stride}, 14);
      for (bool transposed : {false, true}) {
        SCOPED_TRACE(transposed ? "transposed" : "as stored");
        const int64_t a_row = transposed ? 1 : depth, a_depth = transposed ? rows : 1;
        Tensor c = Tensor::zeros(Shape{rows * c_stride});
        product(a.data(), a_row, a_depth, rows, depth, b.data(), b_stride, c.data(), c_stride);
        double worst = 0.0;
        for (int r = 0; r < rows; ++r) {
          for (int t = 0; t < panel; ++t) {
            double want = 0.0;
            for (int d = 0; d < depth; ++d)
              want += static_cast<double>(a.data()[r * a_row + d * a_depth]) *
                      b.data()[d * b_stride + t];
            worst = std::max(worst, std::abs(c.data()[r * c_stride + t] - want));
          }
        }
        EXPECT_LT(worst, 1e-5);
      }
    }
  }
}

// Every instruction set this CPU runs computes what the scalar reference computes, for tile
// counts whose tail after the full-width groups goes through each narrower width: 29 = 16 + 8
// + 4 + 1 and 37 = 32 + 4 + 1 on AVX-512, 29 = 24 + 4 + 1 on AVX2; 3 tiles are scalar only.
TEST(WinogradKernelTables, AgreeWithScalar) {
  const WinogradKernels& reference = winograd_kernels(Isa::scalar);
  for (Isa isa : {Isa::avx2, Isa::avx512}) {
    if (!isa_supported(isa)) {
      std::printf("  (%s: not on this CPU)\n", isa_name(isa));
      continue;
    }
    SCOPED_TRACE(isa_name(isa));
    const WinogradKernels& simd = winograd_kernels(isa);
    for (const int tiles : {29, 37, 3}) {
      SCOPED_TRACE(tiles);
      const int64_t width = 4 * tiles + 2, stride = tiles;
      const Tensor rows = random_tensor(Shape{6 * width}, 10);
      const Tensor points = random_tensor(Shape{36 * stride}, 11);
      const Tensor filters = random_tensor(Shape{9 * tiles}, 12);
      Tensor want(Shape{36 * stride}), got(Shape{36 * stride});

      reference.input_tiles(rows.data(), width, tiles, want.data(), stride);
      simd.input_tiles(rows.data(), width, tiles, got.data(), stride);
      EXPECT_TRUE(testing::all_close(got, want, 1e-6, 1e-5));

      reference.grad_output_tiles(rows.data(), width, tiles, want.data(), stride);
      simd.grad_output_tiles(rows.data(), width, tiles, got.data(), stride);
      EXPECT_TRUE(testing::all_close(got, want, 1e-6, 1e-5));

      reference.filter_tiles(filters.data(), tiles, want.data(), stride);
      simd.filter_tiles(filters.data(), tiles, got.data(), stride);
      EXPECT_TRUE(testing::all_close(got, want, 1e-6, 1e-6));

      for (bool relu : {false, true}) {
        Tensor out_want = Tensor::zeros(Shape{4 * width}),
               out_got = Tensor::zeros(Shape{4 * width});
        reference.output_tiles(points.data(), stride, tiles, 0.5f, relu, out_want.data(), width);
        simd.output_tiles(points.data(), stride, tiles, 0.5f, relu, out_got.data(), width);
        EXPECT_TRUE(testing::all_close(out_got, out_want, 1e-6, 1e-5));
      }

      Tensor sum_want = rows.clone(), sum_got = rows.clone();
      reference.grad_input_tiles(points.data(), stride, tiles, sum_want.data(), width);
      simd.grad_input_tiles(points.data(), stride, tiles, sum_got.data(), width);
      EXPECT_TRUE(testing::all_close(sum_got, sum_want, 1e-6, 1e-5));
    }
  }
}

// bf16 products on AMX tiles (NST_PRECISION=bf16), by both paths, forward and input gradient,
// against the direct convolution in double: in one band and in bands of one tile row (10
// tiles, padded to the tiles' 16 columns), in blocks of 48 tiles (two column blocks of 32 and
// a last one of 16). bf16 keeps 8 significant bits, so each operand of the products is off by
// up to 2^-8 (4e-3) of itself; the transforms amplify that as they amplify float's 2^-24 (see
// kWinogradErrorBound). Measured worst cases (printed): 1.6e-2 forward, 1.7e-2 input
// gradient. 5e-2 still catches a wrong pair order or tile offset, which errs by whole terms.
TEST(WinogradBf16, BothPathsMatchTheDirectConvolution) {
  if (!amx_bf16_usable())
    GTEST_SKIP() << "no AMX-BF16 on this CPU (" << cpu_features().summary() << ")";
  constexpr double kBf16ErrorBound = 5e-2;
  const Conv2dShape s = shape3x3(2, 64, 22, 37, 32);  // 6 x 10 tiles per image
  const Tensor in = random_tensor(Shape{s.N, s.C, s.H, s.W}, 21);
  const Tensor weight = random_tensor(Shape{s.K, s.C, 3, 3}, 22, -0.2f, 0.2f);
  const Tensor bias = random_tensor(Shape{s.K}, 23);
  const Tensor dout = random_tensor(Shape{s.N, s.K, s.Ho(), s.Wo()}, 24);
  const Shape out_shape{s.N, s.K, s.Ho(), s.Wo()};
  Tensor want(out_shape), got(out_shape), scale(out_shape);
  conv2d_forward_naive(want.data(), in.data(), weight.data(), bias.data(), s);
  conv2d_forward_naive(scale.data(), absolute(in).data(), absolute(weight).data(), nullptr, s);
  Tensor want_din = Tensor::zeros(in.shape()), din_scale = Tensor::zeros(in.shape());
  conv2d_backward_naive(want_din.data(), nullptr, nullptr, dout.data(), in.data(), weight.data(),
                        s);
  conv2d_backward_naive(din_scale.data(), nullptr, nullptr, absolute(dout).data(), in.data(),
                        absolute(weight).data(), s);
  Tensor u(Shape{winograd_filter_size(s.K, s.C)});
  winograd_transform_filter(weight.data(), s.K, s.C, u.data(), Precision::bf16);
  const WinogradFilters filters(u.data(), Precision::bf16);
  const Case one_band{s, kWinogradBandBudget, 1}, row_bands{s, int64_t{36} * (s.C + s.K) * 10, 1};
  for (const auto& [path, budgets] :
       {std::pair{kPaths[0], one_band}, std::pair{kPaths[0], row_bands},
        std::pair{kPaths[1], one_band}}) {
    SCOPED_TRACE(path.name);
    path.forward(got.data(), in.data(), filters, bias.data(), s, false, budgets);
    const double error = worst_scaled_error(got, want, scale);
    std::printf("%s bf16 forward: worst error %.2e of the terms' sum\n", path.name, error);
    EXPECT_LT(error, kBf16ErrorBound);
    Tensor din = Tensor::zeros(in.shape());
    path.backward_input(din.data(), dout.data(), nullptr, filters, s, budgets);
    const double din_error = worst_scaled_error(din, want_din, din_scale);
    std::printf("%s bf16 input gradient: worst error %.2e of the terms' sum\n", path.name,
                din_error);
    EXPECT_LT(din_error, kBf16ErrorBound);
  }
}

}  // namespace
}  // namespace nst
