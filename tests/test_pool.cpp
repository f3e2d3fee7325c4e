// Pooling rules that PyTorch fixes and a gradient check cannot see: ties, NaN, padding.
#include <gtest/gtest.h>

#include <cmath>
#include <tuple>
#include <vector>

#include "tensor/error.h"
#include "tensor/pool.h"
#include "tensor/random.h"

namespace nst {
namespace {

TEST(MaxPool, GradientGoesToTheFirstOfTiedMaxima) {
  const std::vector<float> in{1, 1, 1, 1};  // one 2x2 window, all equal
  PoolGeometry g{1, 2, 2};
  float out = 0;
  uint8_t argmax = 255;
  max_pool2d_forward(in.data(), g, &out, &argmax);
  EXPECT_EQ(out, 1.0f);
  EXPECT_EQ(argmax, 0);
  std::vector<float> din(4, 0.0f);
  const float dout = 3.0f;
  max_pool2d_backward(&argmax, &dout, g, din.data());
  EXPECT_EQ(din, (std::vector<float>{3, 0, 0, 0}));
}

TEST(MaxPool, NanPropagates) {
  const std::vector<float> in{1, NAN, 5, 2};
  float out = 0;
  max_pool2d_forward(in.data(), PoolGeometry{1, 2, 2}, &out, nullptr);
  EXPECT_TRUE(std::isnan(out));
}

TEST(MaxPool, PaddingNeverWins) {
  const std::vector<float> in{-5, -6, -7, -8};  // all negative; padding is -inf, not 0
  PoolGeometry g{1, 2, 2, 2, 2, 1};             // 2x2 windows, stride 2, padding 1: 2x2 output
  std::vector<float> out(4);
  std::vector<uint8_t> argmax(4);
  max_pool2d_forward(in.data(), g, out.data(), argmax.data());
  EXPECT_EQ(out, (std::vector<float>{-5, -6, -7, -8}));
  // Each window is clipped to its one input pixel: position 0 of the clipped window.
  EXPECT_EQ(argmax, (std::vector<uint8_t>{0, 0, 0, 0}));
  std::vector<float> din(4, 0.0f);
  const std::vector<float> dout{1, 2, 3, 4};
  max_pool2d_backward(argmax.data(), dout.data(), g, din.data());
  EXPECT_EQ(din, dout);
}

TEST(AvgPool, PaddingCountsInTheDivisor) {
  const std::vector<float> in{4, 4, 4, 4};
  PoolGeometry g{1, 2, 2, 2, 2, 1};
  std::vector<float> out(4);
  avg_pool2d_forward(in.data(), g, out.data());
  EXPECT_EQ(out, (std::vector<float>{1, 1, 1, 1}));  // each window holds one 4 and three zeros
}

TEST(MaxPool, TwoByTwoFastPathMatchesTheReference) {
  // Odd sizes (the last row and column are dropped), ties and NaNs included.
  for (auto [planes, h, w] : {std::tuple{3, 7, 9}, std::tuple{2, 8, 8}, std::tuple{1, 2, 3}}) {
    PoolGeometry g{planes, h, w};
    std::vector<float> in(static_cast<std::size_t>(planes * h * w));
    Random random(static_cast<uint64_t>(h * w));
    for (float& v : in) v = std::floor(random.uniform() * 4.0f);  // few distinct values: ties
    in[5] = NAN;
    const std::size_t out_size = static_cast<std::size_t>(planes * g.out_height() * g.out_width());
    std::vector<float> fast(out_size), ref(out_size), dout(out_size);
    std::vector<uint8_t> argmax_fast(out_size), argmax_ref(out_size);
    for (float& v : dout) v = random.uniform();
    max_pool2d_forward(in.data(), g, fast.data(), argmax_fast.data());
    max_pool2d_forward_reference(in.data(), g, ref.data(), argmax_ref.data());
    for (std::size_t i = 0; i < out_size; ++i) {
      EXPECT_TRUE(fast[i] == ref[i] || (std::isnan(fast[i]) && std::isnan(ref[i]))) << i;
    }
    EXPECT_EQ(argmax_fast, argmax_ref);
    std::vector<float> din_fast(in.size(), 0.0f), din_ref(in.size(), 0.0f);
    max_pool2d_backward(argmax_fast.data(), dout.data(), g, din_fast.data());
    max_pool2d_backward_reference(argmax_ref.data(), dout.data(), g, din_ref.data());
    EXPECT_EQ(din_fast, din_ref);

  }
}

TEST(Pool, RejectsBadGeometry) {
  EXPECT_THROW((PoolGeometry{1, 2, 2, 3, 1, 2}.validate()), Error);  // padding > kernel / 2
  EXPECT_THROW((PoolGeometry{1, 1, 1, 2, 2, 0}.validate()), Error);  // window larger than input
  EXPECT_THROW((PoolGeometry{0, 2, 2}.validate()), Error);
  // The argmax of a 17x17 window does not fit a byte.
  std::vector<float> in(17 * 17), out(1);
  std::vector<uint8_t> argmax(1);
  EXPECT_THROW(max_pool2d_forward(in.data(), PoolGeometry{1, 17, 17, 17, 1, 0}, out.data(),
                                  argmax.data()),
               Error);
}

}  // namespace
}  // namespace nst
