#include <gtest/gtest.h>

#include <vector>

#include "tensor/elementwise.h"
#include "tensor/error.h"
#include "tensor/im2col.h"
#include "tests/test_util.h"

namespace nst {
namespace {

using testing::all_close;
using testing::random_tensor;

class Im2colVsNaive : public ::testing::TestWithParam<Conv2dShape> {};

TEST_P(Im2colVsNaive, EveryBandMatches) {
  const Conv2dShape s = GetParam();
  s.validate();
  Tensor image = random_tensor(Shape{s.C, s.H, s.W}, 11);
  const int ho = s.Ho(), wo = s.Wo();
  // The whole image as one band, and bands of two rows (the last one ragged).
  for (int rows : {ho, 2}) {
    for (int begin = 0; begin < ho; begin += rows) {
      const int end = std::min(ho, begin + rows);
      const std::size_t size = static_cast<std::size_t>(s.col_rows()) * (end - begin) * wo;
      std::vector<float> expected(size), actual(size, NAN);
      im2col_naive(image.data(), s, begin, end, expected.data());
      im2col(image.data(), s, begin, end, actual.data());
      ASSERT_TRUE(all_close(actual, expected, 0, 0)) << "band " << begin << ".." << end;

      Tensor col = random_tensor(Shape{static_cast<int64_t>(size)}, 12);
      Tensor want = random_tensor(image.shape(), 13), got = want.clone();  // col2im adds
      col2im_naive(col.data(), s, begin, end, want.data());
      col2im(col.data(), s, begin, end, got.data());
      ASSERT_TRUE(all_close(got, want, 1e-6, 1e-6)) << "band " << begin << ".." << end;
    }
  }
}

TEST_P(Im2colVsNaive, Col2imIsTheAdjointOfIm2col) {
  // <im2col(x), c> = <x, col2im(c)> for all x and c: the backward pass is the exact transpose.
  const Conv2dShape s = GetParam();
  const std::size_t size = static_cast<std::size_t>(s.col_rows()) * s.Ho() * s.Wo();
  Tensor x = random_tensor(Shape{s.C, s.H, s.W}, 14);
  Tensor c = random_tensor(Shape{static_cast<int64_t>(size)}, 15);
  std::vector<float> col(size);
  im2col(x.data(), s, 0, s.Ho(), col.data());
  Tensor back = Tensor::zeros(x.shape());
  col2im(c.data(), s, 0, s.Ho(), back.data());
  EXPECT_NEAR(dot(col, c.values()), dot(x.values(), back.values()),
              1e-9 * static_cast<double>(size) + 1e-4);
}

INSTANTIATE_TEST_SUITE_P(
    Geometries, Im2colVsNaive,
    ::testing::Values(
        Conv2dShape{.C = 3, .H = 7, .W = 9, .K = 1, .kernel = 3, .stride = 1, .padding = 1},
        Conv2dShape{.C = 2, .H = 8, .W = 8, .K = 1, .kernel = 3, .stride = 2, .padding = 0},
        Conv2dShape{.C = 1, .H = 5, .W = 6, .K = 1, .kernel = 3, .stride = 1, .padding = 1},
        Conv2dShape{.C = 3, .H = 10, .W = 7, .K = 1, .kernel = 5, .stride = 2, .padding = 2},
        Conv2dShape{.C = 4, .H = 3, .W = 5, .K = 1, .kernel = 1, .stride = 1, .padding = 0},
        Conv2dShape{.C = 2, .H = 4, .W = 4, .K = 1, .kernel = 3, .stride = 3, .padding = 2},
        Conv2dShape{.C = 1, .H = 1, .W = 1, .K = 1, .kernel = 3, .stride = 1, .padding = 1}));

TEST(Im2col, RejectsGeometriesThatDoNotFit) {
  EXPECT_THROW((Conv2dShape{.C = 1, .H = 2, .W = 2, .K = 1, .kernel = 5, .stride = 1, .padding = 0}
                    .validate()),
               Error);
  EXPECT_THROW((Conv2dShape{.C = 0, .H = 2, .W = 2, .K = 1, .kernel = 1, .stride = 1, .padding = 0}
                    .validate()),
               Error);
  EXPECT_THROW((Conv2dShape{.C = 1, .H = 4, .W = 4, .K = 1, .kernel = 3, .stride = 0, .padding = 0}
                    .validate()),
               Error);
}

}  // namespace
}  // namespace nst
