// bf16 rounding, the AMX product against the double product of the same bf16 operands, and the
// choice of precision (NST_PRECISION, tensor/winograd_precision.h) with what a convolution
// does with it. Tests run with NST_PRECISION=fp32 (tests/CMakeLists.txt); these set it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "autograd/grad_mode.h"
#include "nn/conv2d.h"
#include "tensor/amx_bf16.h"
#include "tensor/cpu_features.h"
#include "tensor/elementwise.h"
#include "tensor/random.h"
#include "tensor/winograd.h"
#include "tensor/winograd_precision.h"
#include "tests/test_util.h"

namespace nst {
namespace {

using testing::random_tensor;
using testing::ScopedEnv;

float bits_to_float(uint32_t bits) {
  float f = 0.0f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

TEST(Bf16, RoundsToNearestTiesToEven) {
  EXPECT_EQ(to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(to_bf16(-2.0f), 0xc000);
  EXPECT_EQ(to_bf16(bits_to_float(0x3f808000)), 0x3f80);  // halfway, down to the even 0x3f80
  EXPECT_EQ(to_bf16(bits_to_float(0x3f818000)), 0x3f82);  // halfway, up to the even 0x3f82
  EXPECT_EQ(to_bf16(bits_to_float(0x3f808001)), 0x3f81);  // past halfway
  EXPECT_EQ(to_bf16(bits_to_float(0x3f807fff)), 0x3f80);  // short of it
  EXPECT_TRUE(std::isnan(from_bf16(to_bf16(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_EQ(from_bf16(to_bf16(std::numeric_limits<float>::infinity())),
            std::numeric_limits<float>::infinity());
  // Any float comes back within 2^-8 of itself (8 significant bits: half a unit in the last
  // place is 2^-8 of the power of two below the value).
  const Tensor values = random_tensor(Shape{1000}, 1, -1e3f, 1e3f);
  for (float v : values.values())
    EXPECT_LE(std::abs(from_bf16(to_bf16(v)) - v), std::abs(v) * 0x1p-8f);
}

// The AMX product equals the double product of the bf16-rounded operands up to the float sums'
// rounding: 2 x 2 blocks of tiles, a last block of 16 columns, and columns of c past `cols`
// left alone.
TEST(AmxProduct, IsTheProductOfTheRoundedOperands) {
  if (!amx_bf16_usable())
    GTEST_SKIP() << "no AMX-BF16 on this CPU (" << cpu_features().summary() << ")";
  const int rows = 64, depth = 96;
  const int64_t cols = 80, in_stride = 85, ldc = 90;
  const Tensor a = random_tensor(Shape{rows * depth}, 2);
  const Tensor b = random_tensor(Shape{depth * in_stride}, 3);
  std::vector<uint16_t> a_bf16(a.numel()), pairs(depth * cols);
  for (int64_t i = 0; i < a.numel(); ++i) a_bf16[i] = to_bf16(a.data()[i]);
  amx::pack_pairs(b.data(), in_stride, depth, cols, pairs.data());
  std::vector<float> c(rows * ldc, -7.0f);
  amx::product(a_bf16.data(), rows, depth, pairs.data(), cols, c.data(), ldc);
  double worst = 0.0;
  for (int r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < ldc; ++j) {
      if (j >= cols) {
        EXPECT_EQ(c[r * ldc + j], -7.0f) << "row " << r << " column " << j;
        continue;
      }
      double want = 0.0;
      for (int d = 0; d < depth; ++d)
        want += static_cast<double>(from_bf16(a_bf16[r * depth + d])) *
                from_bf16(to_bf16(b.data()[d * in_stride + j]));
      worst = std::max(worst, std::abs(c[r * ldc + j] - want));
    }
  }
  EXPECT_LT(worst, 1e-4);  // sums of 96 terms below 1 in float: a few 1e-6
}

Conv2dShape shape3x3(int C, int K) {
  return {.N = 1, .C = C, .H = 20, .W = 20, .K = K, .kernel = 3, .stride = 1, .padding = 1};
}

TEST(Precision, FollowsNstPrecisionAndTheChannelCounts) {
  const Conv2dShape vgg_like = shape3x3(64, 128), rgb = shape3x3(3, 64);
  {
    const ScopedEnv fp32("NST_PRECISION", "fp32");
    EXPECT_EQ(winograd_precision(vgg_like), Precision::fp32);
  }
  {
    const ScopedEnv unset("NST_PRECISION", nullptr);
    // auto is fp32 until bf16 meets the picture half of the criterion (README, "Precision").
    EXPECT_EQ(requested_precision(), Precision::fp32);
    EXPECT_EQ(winograd_precision(vgg_like), Precision::fp32);
  }
  {
    const ScopedEnv bf16("NST_PRECISION", "bf16");
    if (amx_bf16_usable()) {
      EXPECT_EQ(winograd_precision(vgg_like), Precision::bf16);
      EXPECT_EQ(winograd_precision(rgb), Precision::fp32);  // 3 channels cannot fill a tile
    } else {
      EXPECT_NE(testing::error_of([] {
                  requested_precision();
                }).find("NST_PRECISION=bf16 needs a CPU with AMX-BF16"),
                std::string::npos);
    }
  }
  const ScopedEnv wrong("NST_PRECISION", "half");
  EXPECT_NE(testing::error_of([] {
              requested_precision();
            }).find("NST_PRECISION=half is not one of fp32, bf16, auto"),
            std::string::npos);
}

// bf16 filters are refused, before any work, where they cannot multiply: on a CPU without AMX,
// or for channel counts that do not fill the tiles.
TEST(Precision, Bf16FiltersAreRefusedWhereTheyCannotMultiply) {
  const Conv2dShape rgb = shape3x3(3, 64);
  Tensor in(Shape{1, 3, 20, 20}), out(Shape{1, 64, 20, 20});
  Tensor u(Shape{winograd_filter_size(64, 3)});
  const WinogradFilters bf16(u.data(), Precision::bf16);
  const std::string error = testing::error_of(
      [&] { winograd_forward(out.data(), in.data(), bf16, nullptr, rgb, false); });
  EXPECT_NE(error.find(amx_bf16_usable() ? "channel counts that are multiples of 32, got 3 -> 64"
                                         : "bf16 filters need AMX-BF16"),
            std::string::npos)
      << error;
}

// A convolution op in bf16 stays near its fp32 self, and its filter cache makes the filters
// again when the precision changes, in either direction.
TEST(Precision, ConvolutionCacheFollowsThePrecision) {
  if (!amx_bf16_usable())
    GTEST_SKIP() << "no AMX-BF16 on this CPU (" << cpu_features().summary() << ")";
  const NoGradGuard no_grad;
  // Data shaped like VGG19's: inputs that went through a ReLU, He-initialised weights.
  Tensor x(Shape{1, 64, 24, 24}), w(Shape{128, 64, 3, 3});
  Random(4).fill_normal(x.values(), 0.0f, 1.0f);
  relu(x.values(), x.values());
  Random(5).fill_normal(w.values(), 0.0f, std::sqrt(2.0f / (9.0f * 64.0f)));
  const Var input(x), weight(w);
  nn::WinogradFilterCache cache;
  const nn::Conv2dOptions options{.padding = 1, .winograd_cache = &cache};
  auto run = [&](const char* precision) {
    const ScopedEnv env("NST_PRECISION", precision);
    return nn::conv2d(input, weight, Var(), options).value().clone();
  };
  const Tensor fp32 = run("fp32"), bf16 = run("bf16"), fp32_again = run("fp32");
  EXPECT_TRUE(testing::all_close(fp32_again, fp32, 0.0, 0.0));
  EXPECT_FALSE(testing::all_close(bf16, fp32, 0.0, 1e-7));  // bf16 did run
  double squares = 0.0, error_squares = 0.0, worst = 0.0;
  for (int64_t i = 0; i < fp32.numel(); ++i) {
    const double error = static_cast<double>(bf16.data()[i]) - fp32.data()[i];
    squares += static_cast<double>(fp32.data()[i]) * fp32.data()[i];
    error_squares += error * error;
    worst = std::max(worst, std::abs(error));
  }
  const double rms = std::sqrt(squares / static_cast<double>(fp32.numel()));
  const double rms_error = std::sqrt(error_squares / static_cast<double>(fp32.numel()));
  std::printf("bf16 convolution: RMS difference %.2e, worst %.2e of the outputs' RMS\n",
              rms_error / rms, worst / rms);
  // bf16 keeps 8 significant bits (2^-8 = 4e-3 per operand), and F(4x4, 3x3)'s transforms
  // amplify that about tenfold (test_winograd's WinogradBf16): measured 2.2e-2 RMS, 0.26 at
  // the worst of 73728 outputs. Bounds at 2-5x that still catch a wrong layout, which
  // is off by the outputs' whole size.
  EXPECT_LT(rms_error / rms, 0.1);
  EXPECT_LT(worst / rms, 0.5);
  EXPECT_TRUE(testing::all_close(run("bf16"), bf16, 0.0, 0.0));  // deterministic
}

}  // namespace
}  // namespace nst
