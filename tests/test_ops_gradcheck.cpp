// Every differentiable op against central finite differences (autograd/gradcheck.h), on small
// random shapes: odd sizes, stride 2, padding 0 and 1, one channel, batch 1 and 2.
#include <gtest/gtest.h>

#include "autograd/backward.h"
#include "autograd/gradcheck.h"
#include "nn/conv2d.h"
#include "nn/elementwise_ops.h"
#include "nn/gram.h"
#include "nn/normalize.h"
#include "nn/pooling.h"
#include "nn/reduction_ops.h"
#include "nn/total_variation.h"
#include "tensor/random.h"
#include "tests/test_util.h"

namespace nst {
namespace {

using testing::random_tensor;

Var random_var(const Shape& shape, uint64_t seed, bool requires_grad = true) {
  return Var(random_tensor(shape, seed), requires_grad);
}

// Values spaced at least `gap` apart in random order: no ties in pooling windows and no inputs
// near ReLU's kink, so finite differences do not straddle a kink.
Var distinct_var(const Shape& shape, uint64_t seed, float gap = 0.01f) {
  Tensor t(shape);
  const int64_t n = t.numel();
  std::vector<float> values(n);
  for (int64_t i = 0; i < n; ++i) values[i] = (static_cast<float>(i - n / 2) + 0.5f) * gap;
  Random random(seed);
  for (int64_t i = n - 1; i > 0; --i) {
    std::swap(values[i],
              values[static_cast<int64_t>(random.uniform() * static_cast<float>(i + 1))]);
  }
  std::copy(values.begin(), values.end(), t.data());
  return Var(t, true);
}

void expect_gradcheck(const GradcheckFn& f, const std::vector<Var>& inputs,
                      GradcheckOptions options = {}) {
  GradcheckResult result = gradcheck(f, inputs, options);
  EXPECT_TRUE(result.passed) << result.describe();
}

struct ConvCase {
  int N, C, H, W, K, kernel, stride, padding;
  bool bias;
};

class Conv2dGradcheck : public ::testing::TestWithParam<ConvCase> {};

TEST_P(Conv2dGradcheck, InputWeightAndBias) {
  const ConvCase c = GetParam();
  Var x = random_var(Shape{c.N, c.C, c.H, c.W}, 1);
  Var w = random_var(Shape{c.K, c.C, c.kernel, c.kernel}, 2);
  Var b = c.bias ? random_var(Shape{c.K}, 3) : Var();
  const nn::Conv2dOptions options{.stride = c.stride, .padding = c.padding};
  std::vector<Var> inputs{x, w};
  if (c.bias) inputs.push_back(b);
  expect_gradcheck(
      [&](const std::vector<Var>& in) {
        return nn::conv2d(in[0], in[1], in.size() > 2 ? in[2] : Var(), options);
      },
      inputs, {.step = 1e-2, .tolerance = 1e-3});
}

INSTANTIATE_TEST_SUITE_P(Shapes, Conv2dGradcheck,
                         ::testing::Values(ConvCase{1, 3, 5, 7, 2, 3, 1, 1, true},
                                           ConvCase{2, 2, 6, 5, 3, 3, 2, 0, true},
                                           ConvCase{1, 1, 4, 4, 1, 3, 1, 0, false},
                                           ConvCase{1, 2, 7, 6, 2, 3, 2, 1, true},
                                           ConvCase{2, 3, 3, 3, 4, 1, 1, 0, true}));

TEST(Conv2dGradcheck, FrozenWeightsGetNoGradientButTheInputDoes) {
  Var x = random_var(Shape{1, 2, 5, 5}, 4);
  Var w = random_var(Shape{3, 2, 3, 3}, 5, /*requires_grad=*/false);
  Var b = random_var(Shape{3}, 6, false);
  expect_gradcheck(
      [&](const std::vector<Var>& in) {
        return nn::conv2d(in[0], w, b, {1, 1});
      },
      {x}, {.step = 1e-2});
  EXPECT_FALSE(w.grad().defined());
  EXPECT_FALSE(b.grad().defined());
}

// Winograd's input gradient by either path (forced: the automatic choice keeps such small
// shapes on im2col), two images, a partial last tile row and column. The step is as large as
// for im2col: Winograd's float error (~1e-6 of the terms' sum) divided by a smaller step would
// swamp the difference quotient.
TEST(Conv2dGradcheck, WinogradInputGradient) {
  for (const char* path : {"winograd", "fused"}) {
    SCOPED_TRACE(path);
    const testing::ScopedEnv winograd("NST_CONV", path);
    Var x = random_var(Shape{2, 3, 6, 7}, 7);
    Var w = random_var(Shape{4, 3, 3, 3}, 8, /*requires_grad=*/false);
    Var b = random_var(Shape{4}, 9, false);
    expect_gradcheck(
        [&](const std::vector<Var>& in) {
          return nn::conv2d(in[0], w, b, {1, 1});
        },
        {x}, {.step = 1e-2, .tolerance = 1e-3});
  }
}

// The fused ReLU (a bit mask applied to the output gradient as Winograd stages it) gives the
// gradient of relu(conv(x)) as two separate ops, whose parts the gradchecks above cover.
// (A finite difference across a ReLU's kink would not, and conv outputs land anywhere.)
TEST(Conv2dGradcheck, FusedReluGradientIsReluOfConv) {
  Var w = random_var(Shape{4, 3, 3, 3}, 8, /*requires_grad=*/false);
  Var b = random_var(Shape{4}, 9, false);
  const Tensor seed = random_tensor(Shape{2, 4, 6, 7}, 10);
  auto input_gradient = [&](const char* algorithm, bool fused) {
    const testing::ScopedEnv conv("NST_CONV", algorithm);
    Var x = random_var(Shape{2, 3, 6, 7}, 7);
    const Var y = fused ? nn::conv2d(x, w, b, {.stride = 1, .padding = 1, .relu = true})
                        : nn::relu(nn::conv2d(x, w, b, {1, 1}));
    backward(y, seed);
    return x.grad();
  };
  const Tensor reference = input_gradient("im2col", false);
  EXPECT_TRUE(testing::all_close(input_gradient("winograd", true), reference, 1e-5, 1e-5));
  EXPECT_TRUE(testing::all_close(input_gradient("fused", true), reference, 1e-5, 1e-5));
  EXPECT_TRUE(testing::all_close(input_gradient("im2col", true), reference, 1e-5, 1e-5));
}

TEST(OpsGradcheck, Relu) {
  expect_gradcheck([](const std::vector<Var>& in) { return nn::relu(in[0]); },
                   {distinct_var(Shape{2, 3, 3, 5}, 7)});
}

TEST(OpsGradcheck, MaxPool) {
  for (nn::PoolOptions o :
       {nn::PoolOptions{2, 2, 0}, nn::PoolOptions{3, 2, 1}, nn::PoolOptions{3, 1, 0}}) {
    SCOPED_TRACE("kernel " + std::to_string(o.kernel) + " stride " + std::to_string(o.stride));
    expect_gradcheck([o](const std::vector<Var>& in) { return nn::max_pool2d(in[0], o); },
                     {distinct_var(Shape{2, 2, 7, 5}, 8)});
  }
}

TEST(OpsGradcheck, AvgPool) {
  for (nn::PoolOptions o : {nn::PoolOptions{2, 2, 0}, nn::PoolOptions{3, 2, 1}}) {
    expect_gradcheck([o](const std::vector<Var>& in) { return nn::avg_pool2d(in[0], o); },
                     {random_var(Shape{1, 3, 7, 6}, 9)});
  }
}

TEST(OpsGradcheck, Arithmetic) {
  std::vector<Var> ab{random_var(Shape{2, 3, 4}, 10), random_var(Shape{2, 3, 4}, 11)};
  expect_gradcheck([](const std::vector<Var>& in) { return nn::add(in[0], in[1]); }, ab);
  expect_gradcheck([](const std::vector<Var>& in) { return nn::sub(in[0], in[1]); }, ab);
  expect_gradcheck([](const std::vector<Var>& in) { return nn::mul(in[0], in[1]); }, ab);
  expect_gradcheck([](const std::vector<Var>& in) { return nn::scale(in[0], -1.5f); }, {ab[0]});
}

TEST(OpsGradcheck, Reductions) {
  std::vector<Var> ab{random_var(Shape{3, 5}, 12), random_var(Shape{3, 5}, 13)};
  expect_gradcheck([](const std::vector<Var>& in) { return nn::sum(in[0]); }, {ab[0]});
  expect_gradcheck([](const std::vector<Var>& in) { return nn::mean(in[0]); }, {ab[0]});
  expect_gradcheck([](const std::vector<Var>& in) { return nn::squared_error_sum(in[0], in[1]); },
                   ab);
}

TEST(OpsGradcheck, Gram) {
  expect_gradcheck([](const std::vector<Var>& in) { return nn::gram(in[0]); },
                   {random_var(Shape{2, 3, 5, 3}, 14)});
  expect_gradcheck([](const std::vector<Var>& in) { return nn::gram(in[0]); },
                   {random_var(Shape{1, 1, 1, 7}, 15)});
}

TEST(OpsGradcheck, TotalVariation) {
  // The scalar output is a float of size ~100, whose rounding over a step of 1e-3 would swamp
  // the estimate; E_tv is quadratic, so central differences are exact at any step: use 0.05.
  const GradcheckOptions options{.step = 0.05};
  expect_gradcheck([](const std::vector<Var>& in) { return nn::total_variation(in[0]); },
                   {random_var(Shape{2, 3, 4, 5}, 16)}, options);
  expect_gradcheck([](const std::vector<Var>& in) { return nn::total_variation(in[0]); },
                   {random_var(Shape{1, 1, 1, 6}, 17)}, options);
}

TEST(OpsGradcheck, ChannelAffineWithReorder) {
  nn::ChannelAffine caffe{{255.0f, 255.0f, 255.0f}, {-103.9f, -116.8f, -123.7f}, {2, 1, 0}};
  expect_gradcheck([caffe](const std::vector<Var>& in) { return nn::channel_affine(in[0], caffe); },
                   {random_var(Shape{2, 3, 3, 4}, 18)}, {.step = 1e-3, .tolerance = 1e-3});
  auto imagenet = nn::ChannelAffine::mean_std({0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f});
  expect_gradcheck(
      [imagenet](const std::vector<Var>& in) { return nn::channel_affine(in[0], imagenet); },
      {random_var(Shape{1, 3, 4, 4}, 19)});
}

}  // namespace
}  // namespace nst
