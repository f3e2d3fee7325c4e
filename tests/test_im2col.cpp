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

class Im2colVsNaive : public ::testing::TestWithParam<ConvGeometry> {};

TEST_P(Im2colVsNaive, EveryBandMatches) {
  const ConvGeometry g = GetParam();
  g.validate();
  Tensor image = random_tensor(Shape{g.channels, g.height, g.width}, 11);
  const int ho = g.out_height(), wo = g.out_width();
  // The whole image as one band, and bands of two rows (the last one ragged).
  for (int rows : {ho, 2}) {
    for (int begin = 0; begin < ho; begin += rows) {
      const int end = std::min(ho, begin + rows);
      const std::size_t size = static_cast<std::size_t>(g.col_rows()) * (end - begin) * wo;
      std::vector<float> expected(size), actual(size, NAN);
      im2col_naive(image.data(), g, begin, end, expected.data());
      im2col(image.data(), g, begin, end, actual.data());
      ASSERT_TRUE(all_close(actual, expected, 0, 0)) << "band " << begin << ".." << end;

      Tensor col = random_tensor(Shape{static_cast<int64_t>(size)}, 12);
      Tensor want = random_tensor(image.shape(), 13), got = want.clone();  // col2im adds
      col2im_naive(col.data(), g, begin, end, want.data());
      col2im(col.data(), g, begin, end, got.data());
      ASSERT_TRUE(all_close(got, want, 1e-6, 1e-6)) << "band " << begin << ".." << end;
    }
  }
}

TEST_P(Im2colVsNaive, Col2imIsTheAdjointOfIm2col) {
  // <im2col(x), c> = <x, col2im(c)> for all x and c: the backward pass is the exact transpose.
  const ConvGeometry g = GetParam();
  const std::size_t size = static_cast<std::size_t>(g.col_rows()) * g.out_height() * g.out_width();
  Tensor x = random_tensor(Shape{g.channels, g.height, g.width}, 14);
  Tensor c = random_tensor(Shape{static_cast<int64_t>(size)}, 15);
  std::vector<float> col(size);
  im2col(x.data(), g, 0, g.out_height(), col.data());
  Tensor back = Tensor::zeros(x.shape());
  col2im(c.data(), g, 0, g.out_height(), back.data());
  EXPECT_NEAR(dot(col, c.values()), dot(x.values(), back.values()),
              1e-9 * static_cast<double>(size) + 1e-4);
}

INSTANTIATE_TEST_SUITE_P(
    Geometries, Im2colVsNaive,
    ::testing::Values(ConvGeometry{3, 7, 9, 3, 1, 1}, ConvGeometry{2, 8, 8, 3, 2, 0},
                      ConvGeometry{1, 5, 6, 3, 1, 1}, ConvGeometry{3, 10, 7, 5, 2, 2},
                      ConvGeometry{4, 3, 5, 1, 1, 0}, ConvGeometry{2, 4, 4, 3, 3, 2},
                      ConvGeometry{1, 1, 1, 3, 1, 1}));

TEST(Im2col, RejectsGeometriesThatDoNotFit) {
  EXPECT_THROW((ConvGeometry{1, 2, 2, 5, 1, 0}.validate()), Error);
  EXPECT_THROW((ConvGeometry{0, 2, 2, 1, 1, 0}.validate()), Error);
  EXPECT_THROW((ConvGeometry{1, 4, 4, 3, 0, 0}.validate()), Error);
}

}  // namespace
}  // namespace nst
