// The im2col + GEMM convolution against the direct reference, on shapes large enough to be cut
// into several im2col bands, and the autograd op's error messages.
#include <gtest/gtest.h>

#include "nn/conv2d.h"
#include "tensor/conv2d.h"
#include "tensor/conv2d_reference.h"
#include "tensor/error.h"
#include "tests/test_util.h"

namespace nst {
namespace {

using testing::all_close;
using testing::random_tensor;

class Conv2dVsNaive : public ::testing::TestWithParam<Conv2dShape> {};

TEST_P(Conv2dVsNaive, ForwardAndBackward) {
  const Conv2dShape s = GetParam();
  Tensor in = random_tensor(Shape{s.N, s.C, s.H, s.W}, 1);
  Tensor weight = random_tensor(Shape{s.K, s.C, s.kernel, s.kernel}, 2, -0.2f, 0.2f);
  Tensor bias = random_tensor(Shape{s.K}, 3);
  const Shape out_shape{s.N, s.K, s.Ho(), s.Wo()};

  Tensor expected(out_shape), actual(out_shape);
  conv2d_forward_naive(expected.data(), in.data(), weight.data(), bias.data(), s);
  conv2d_forward(actual.data(), in.data(), weight.data(), bias.data(), s);
  EXPECT_TRUE(all_close(actual, expected, 1e-4, 1e-4));

  // Backward adds: start both from the same non-zero gradients.
  Tensor dout = random_tensor(out_shape, 4);
  Tensor din_want = random_tensor(in.shape(), 5), din_got = din_want.clone();
  Tensor dw_want = random_tensor(weight.shape(), 6), dw_got = dw_want.clone();
  Tensor db_want = random_tensor(bias.shape(), 7), db_got = db_want.clone();
  conv2d_backward_naive(din_want.data(), dw_want.data(), db_want.data(), dout.data(), in.data(),
                        weight.data(), s);
  conv2d_backward(din_got.data(), dw_got.data(), db_got.data(), dout.data(), in.data(),
                  weight.data(), s);
  EXPECT_TRUE(all_close(din_got, din_want, 1e-4, 1e-4));
  EXPECT_TRUE(all_close(dw_got, dw_want, 1e-4, 1e-3));
  EXPECT_TRUE(all_close(db_got, db_want, 1e-4, 1e-3));
}

// C*k*k = 27 (< 64): the forward pass takes the per-thread path, in 6 bands of 37 rows.
constexpr Conv2dShape kPerThreadBands{.C = 3, .H = 200, .W = 64, .K = 4, .padding = 1};
// 64*9 column rows times 64 columns per output row: the 2 Mi-element budget takes 56 rows per
// band, so 64 rows make 2 bands, forward and backward.
constexpr Conv2dShape kSharedBands{.C = 64, .H = 64, .W = 64, .K = 8, .padding = 1};

INSTANTIATE_TEST_SUITE_P(
    Shapes, Conv2dVsNaive,
    ::testing::Values(Conv2dShape{.N = 2, .C = 3, .H = 9, .W = 11, .K = 5, .padding = 1},
                      Conv2dShape{.C = 4, .H = 10, .W = 9, .K = 3, .stride = 2},
                      Conv2dShape{.C = 1, .H = 6, .W = 6, .K = 1, .padding = 1},
                      Conv2dShape{
                          .C = 3, .H = 12, .W = 7, .K = 2, .kernel = 5, .stride = 2, .padding = 2},
                      kPerThreadBands, kSharedBands));

// The two shapes above are there to run several bands: if the budgets change, they must too.
TEST(Conv2dVsNaive, LargeShapesAreCutIntoBands) {
  const Conv2dBands per_thread = conv2d_forward_bands(kPerThreadBands);
  EXPECT_TRUE(per_thread.per_thread);
  EXPECT_EQ(per_thread.rows, 37);
  EXPECT_EQ(per_thread.count, 6);
  for (const Conv2dBands& shared :
       {conv2d_forward_bands(kSharedBands), conv2d_backward_bands(kSharedBands)}) {
    EXPECT_FALSE(shared.per_thread);
    EXPECT_EQ(shared.rows, 56);
    EXPECT_EQ(shared.count, 2);
  }
  const Conv2dBands small = conv2d_forward_bands({.N = 2, .C = 3, .H = 9, .W = 11, .K = 5});
  EXPECT_EQ(small.count, 1);  // a small image is one band
}

TEST(Conv2d, ShapeErrorsNameBothShapes) {
  Var x(Tensor::zeros(Shape{1, 3, 8, 8}));
  Var w(Tensor::zeros(Shape{4, 2, 3, 3}));
  try {
    nn::conv2d(x, w, Var(), {});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[4, 2, 3, 3]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[1, 3, 8, 8]"), std::string::npos) << e.what();
  }
  Var w_ok(Tensor::zeros(Shape{4, 3, 3, 3}));
  EXPECT_THROW(nn::conv2d(x, w_ok, Var(Tensor::zeros(Shape{3})), {}), Error);
  EXPECT_THROW(nn::conv2d(Var(Tensor::zeros(Shape{3, 8, 8})), w_ok, Var(), {}), Error);
  EXPECT_THROW(nn::conv2d(Var(Tensor::zeros(Shape{1, 3, 2, 2})), w_ok, Var(), {}), Error);
}

}  // namespace
}  // namespace nst
