// The im2col + GEMM convolution against the direct reference, on shapes large enough to be cut
// into several im2col bands, and the autograd op's error messages.
#include <gtest/gtest.h>

#include "nn/conv2d.h"
#include "nn/conv2d_reference.h"
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

Conv2dShape shape(int N, int C, int H, int W, int K, int kernel, int stride, int padding) {
  return Conv2dShape{N, C, H, W, K, kernel, stride, padding};
}

INSTANTIATE_TEST_SUITE_P(Shapes, Conv2dVsNaive,
                         ::testing::Values(shape(2, 3, 9, 11, 5, 3, 1, 1),
                                           shape(1, 4, 10, 9, 3, 3, 2, 0),
                                           shape(1, 1, 6, 6, 1, 3, 1, 1),
                                           shape(1, 3, 12, 7, 2, 5, 2, 2),
                                           // C*k*k = 27: the per-thread path, in 6 bands.
                                           shape(1, 3, 200, 64, 4, 3, 1, 1),
                                           // 64 x 9 x 64 column rows per output row: the
                                           // 1 Mi-element budget cuts 64 rows into 3 bands.
                                           shape(1, 64, 64, 64, 8, 3, 1, 1)));

TEST(Conv2dVsNaive, LargeShapesAreCutIntoBands) {
  EXPECT_LT(conv2d_band_rows(shape(1, 64, 64, 64, 8, 3, 1, 1)), 64);
  EXPECT_EQ(conv2d_band_rows(shape(1, 3, 9, 11, 5, 3, 1, 1)), 9);
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
