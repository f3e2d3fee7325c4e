// The colour transforms of --preserve-colors (nst/color.h): the YIQ round trip, luminance
// matching, recombination with the content's chrominance, and colour histogram matching,
// whose result must have the content's colour mean and covariance to float precision.
#include <gtest/gtest.h>

#include <array>
#include <cmath>

#include "nst/color.h"
#include "tests/test_util.h"

namespace nst {
namespace {

using testing::all_close;
using testing::random_tensor;

struct Statistics {
  std::array<double, 3> mean{};
  std::array<std::array<double, 3>, 3> covariance{};
};

// Computed here again, in the plainest way, so the test does not trust the code it tests.
Statistics statistics(const Tensor& image) {
  const int64_t n = image.numel() / 3;
  Statistics s;
  for (int i = 0; i < 3; ++i) {
    for (int64_t p = 0; p < n; ++p) s.mean[i] += image.data()[i * n + p];
    s.mean[i] /= static_cast<double>(n);
  }
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      for (int64_t p = 0; p < n; ++p)
        s.covariance[i][j] +=
            (image.data()[i * n + p] - s.mean[i]) * (image.data()[j * n + p] - s.mean[j]);
      s.covariance[i][j] /= static_cast<double>(n);
    }
  return s;
}

// A picture with correlated channels: a reddish gradient plus noise.
Tensor tinted(uint64_t seed, int h, int w, float red, float green, float blue) {
  Tensor t = random_tensor(Shape{1, 3, h, w}, seed, 0.0f, 0.3f);
  const int64_t n = int64_t{h} * w;
  for (int64_t p = 0; p < n; ++p) {
    const float ramp = static_cast<float>(p % w) / static_cast<float>(w);
    t.data()[p] += red * ramp;
    t.data()[n + p] += green * ramp;
    t.data()[2 * n + p] += blue * (1.0f - ramp);
  }
  return t;
}

TEST(Color, YiqRoundTripsAndWhiteHasLuminanceOne) {
  const Tensor rgb = random_tensor(Shape{1, 3, 7, 9}, 1, 0.0f, 1.0f);
  EXPECT_TRUE(all_close(yiq_to_rgb(rgb_to_yiq(rgb)), rgb, 0.0, 1e-6));
  const Tensor white = Tensor::full(Shape{1, 3, 2, 2}, 1.0f);
  const Tensor yiq = rgb_to_yiq(white);
  EXPECT_NEAR(yiq.data()[0], 1.0f, 1e-6);  // Y
  EXPECT_NEAR(yiq.data()[4], 0.0f, 1e-6);  // I: no colour
  EXPECT_NEAR(yiq.data()[8], 0.0f, 1e-6);  // Q
  const Tensor grey = luminance_image(rgb);
  for (int64_t p = 0; p < 63; ++p) {
    const float y =
        0.299f * rgb.data()[p] + 0.587f * rgb.data()[63 + p] + 0.114f * rgb.data()[126 + p];
    ASSERT_NEAR(grey.data()[p], y, 1e-6);
    ASSERT_EQ(grey.data()[63 + p], grey.data()[p]);
    ASSERT_EQ(grey.data()[126 + p], grey.data()[p]);
  }
}

TEST(Color, LuminanceIsMatchedToTheReferencesMeanAndDeviation) {
  const Tensor style = luminance_image(tinted(2, 11, 13, 0.6f, 0.1f, 0.2f));
  const Tensor content = luminance_image(tinted(3, 8, 10, 0.1f, 0.5f, 0.3f));
  const Statistics matched = statistics(match_luminance(style, content)),
                   want = statistics(content);
  EXPECT_NEAR(matched.mean[0], want.mean[0], 1e-6);
  EXPECT_NEAR(std::sqrt(matched.covariance[0][0]), std::sqrt(want.covariance[0][0]), 1e-6);
  const Tensor flat = Tensor::full(Shape{1, 3, 4, 4}, 0.3f);
  EXPECT_TRUE(all_close(match_luminance(flat, content),
                        Tensor::full(flat.shape(), static_cast<float>(want.mean[0])), 0.0, 1e-6));
}

TEST(Color, CombinedImageHasTheResultsLuminanceAndTheContentsChrominance) {
  const Tensor content = random_tensor(Shape{1, 3, 6, 5}, 4, 0.3f, 0.7f);
  const Tensor result = random_tensor(Shape{1, 3, 6, 5}, 5, 0.35f, 0.65f);  // no clamping
  const Tensor combined = rgb_to_yiq(combine_luminance(result, content));
  const Tensor want_y = rgb_to_yiq(result), want_iq = rgb_to_yiq(content);
  for (int64_t p = 0; p < 30; ++p) {
    ASSERT_NEAR(combined.data()[p], want_y.data()[p], 1e-6);
    ASSERT_NEAR(combined.data()[30 + p], want_iq.data()[30 + p], 1e-6);
    ASSERT_NEAR(combined.data()[60 + p], want_iq.data()[60 + p], 1e-6);
  }
  EXPECT_THROW(combine_luminance(result, random_tensor(Shape{1, 3, 5, 5}, 6)), Error);
}

TEST(Color, MatchedStyleHasTheContentsColourMeanAndCovariance) {
  const Tensor style = tinted(7, 21, 17, 0.7f, 0.2f, 0.1f);
  const Tensor content = tinted(8, 12, 30, 0.05f, 0.4f, 0.6f);
  const Statistics got = statistics(match_colors(style, content)), want = statistics(content);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(got.mean[i], want.mean[i], 1e-6) << "channel " << i;
    for (int j = 0; j < 3; ++j)
      EXPECT_NEAR(got.covariance[i][j], want.covariance[i][j], 1e-6 * want.covariance[i][i])
          << "covariance " << i << ", " << j;
  }
  // The map is the identity when the statistics already agree.
  EXPECT_TRUE(all_close(match_colors(content, content), content, 0.0, 1e-5));
}

}  // namespace
}  // namespace nst
