// Style masks (nst/style_masks.h): the guided Gram term against autograd built from masked ops
// and against finite differences; masks of ones give the unmasked numbers bit for bit, from
// one term up to a whole run's loss log; the masks follow VGG19's pooling grid; a masked
// style's gradient stays within the receptive field of its region; and two styles on
// complementary halves each win their own half.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "autograd/backward.h"
#include "autograd/gradcheck.h"
#include "nn/elementwise_ops.h"
#include "nn/gram.h"
#include "nst/job.h"
#include "nst/losses.h"
#include "nst/objective.h"
#include "nst/style_masks.h"
#include "nst/tiling.h"
#include "tensor/elementwise.h"
#include "tests/test_util.h"

namespace nst {
namespace {

using testing::all_close;
using testing::error_of;
using testing::random_tensor;

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.values().size_bytes()) == 0;
}

Tensor ones(int height, int width) { return Tensor::full(Shape{1, 1, height, width}, 1.0f); }

// A mask [1, 1, H, W] of soft random values, 0 in its first row.
Tensor soft_mask(int height, int width, uint64_t seed) {
  Tensor mask = random_tensor(Shape{1, 1, height, width}, seed, 0.0f, 1.0f);
  std::fill_n(mask.data(), width, 0.0f);
  return mask;
}

// Columns [from, to) of an image-sized mask set to 1, the rest 0.
Tensor columns(int height, int width, int from, int to) {
  Tensor mask = Tensor::zeros(Shape{1, 1, height, width});
  for (int y = 0; y < height; ++y)
    for (int x = from; x < to; ++x) mask.data()[y * width + x] = 1.0f;
  return mask;
}

TEST(GuidedGram, OfOnesIsTheGramBitForBit) {
  const Tensor features = random_tensor(Shape{1, 7, 9, 31}, 1);
  EXPECT_TRUE(same_bits(guided_gram(features, ones(9, 31)), nn::gram(Var(features)).value()));
}

TEST(GuidedGram, IsTheMaskWeightedMeanOfOuterProducts) {
  const Tensor features = random_tensor(Shape{1, 3, 2, 3}, 2), mask = soft_mask(2, 3, 3);
  const Tensor gram = guided_gram(features, mask);
  double sum = 0.0;
  for (int p = 0; p < 6; ++p) sum += mask.data()[p];
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      double expected = 0.0;
      for (int p = 0; p < 6; ++p)
        expected += mask.data()[p] * features.data()[i * 6 + p] * features.data()[j * 6 + p];
      EXPECT_NEAR(gram.data()[i * 3 + j], expected / sum, 1e-6);
    }
  }
}

// Two regions of soft masks and a content term, in place, against backward through the
// masked ops; H * W = 300 spans two of the in-place gradient's 256-column blocks.
TEST(GuidedGram, RegionTermsMatchAutogradOfMaskedOps) {
  const Shape shape{1, 5, 12, 25};
  const Tensor features = random_tensor(shape, 1), content_target = random_tensor(shape, 2);
  const Tensor mask_a = soft_mask(12, 25, 3), mask_b = columns(12, 25, 7, 19);
  const Tensor target_a = nn::gram(Var(random_tensor(shape, 4))).value();
  const Tensor target_b = nn::gram(Var(random_tensor(shape, 5))).value();
  const double weight_a = 0.3, weight_b = 0.55, style_weight = 1e3, content_weight = 2.0;

  Var f(features.clone(), true);
  const Var a = guided_style_layer_loss(f, mask_a, target_a);
  const Var b = guided_style_layer_loss(f, mask_b, target_b);
  const Var content = content_layer_loss(f, content_target);
  const Var style = nn::add(nn::scale(a, static_cast<float>(weight_a)),
                            nn::scale(b, static_cast<float>(weight_b)));
  backward(nn::add(nn::scale(style, static_cast<float>(style_weight)),
                   nn::scale(content, static_cast<float>(content_weight))));

  Tensor in_place = features.clone();
  const std::vector<RegionStyleTerm> regions{
      {.mask = &mask_a, .target = &target_a, .weight = weight_a},
      {.mask = &mask_b, .target = &target_b, .weight = weight_b}};
  const FeatureLosses losses = feature_losses_in_place(in_place, {.content_target = &content_target,
                                                                  .content_weight = content_weight,
                                                                  .style_weight = style_weight,
                                                                  .style_regions = regions});
  const double expected_style = style.value().item();
  EXPECT_NEAR(losses.style, expected_style, 1e-5 * expected_style);
  EXPECT_NEAR(losses.content, content.value().item(), 1e-6 * content.value().item());
  EXPECT_TRUE(all_close(in_place, f.grad(), 1e-4, 1e-7));
}

TEST(GuidedGram, AutogradReferencePassesGradcheck) {
  const Tensor mask = soft_mask(4, 5, 6);
  const Tensor target = nn::gram(Var(random_tensor(Shape{1, 3, 4, 5}, 7))).value();
  const GradcheckResult result = gradcheck(
      [&](const std::vector<Var>& in) { return guided_style_layer_loss(in[0], mask, target); },
      {Var(random_tensor(Shape{1, 3, 4, 5}, 8), true)}, {.step = 1e-2, .tolerance = 2e-3});
  EXPECT_TRUE(result.passed) << result.describe();
}

// Central differences of the graph-free term's own value, element by element.
TEST(GuidedGram, InPlaceGradientMatchesFiniteDifferences) {
  const Shape shape{1, 3, 4, 5};
  const Tensor features = random_tensor(shape, 9), mask = soft_mask(4, 5, 10);
  const Tensor target = nn::gram(Var(random_tensor(shape, 11))).value();
  const std::vector<RegionStyleTerm> region{{.mask = &mask, .target = &target, .weight = 0.7}};
  auto style_at = [&](const Tensor& at) {
    Tensor copy = at.clone();
    return feature_losses_in_place(copy, {.style_weight = 0.0, .style_regions = region}).style;
  };
  Tensor gradient = features.clone();
  feature_losses_in_place(gradient, {.style_weight = 1.0, .style_regions = region});
  const float step = 1e-2f;
  for (int64_t i = 0; i < features.numel(); ++i) {
    Tensor plus = features.clone(), minus = features.clone();
    plus.data()[i] += step;
    minus.data()[i] -= step;
    const double numeric = (style_at(plus) - style_at(minus)) / (2.0 * step);
    EXPECT_NEAR(gradient.data()[i], numeric, 1e-3 * std::max(1.0, std::abs(numeric)))
        << "element " << i;
  }
}

TEST(GuidedGram, OneRegionOfOnesIsTheUnmaskedTermBitForBit) {
  const Shape shape{1, 6, 20, 17};
  const Tensor features = random_tensor(shape, 12), content_target = random_tensor(shape, 13);
  const Tensor target = nn::gram(Var(random_tensor(shape, 14))).value();
  const Tensor mask = ones(20, 17);
  Tensor plain = features.clone(), masked = features.clone();
  const FeatureLosses a = feature_losses_in_place(plain, {.content_target = &content_target,
                                                          .content_weight = 3.0,
                                                          .style_target = &target,
                                                          .style_weight = 500.0});
  const std::vector<RegionStyleTerm> region{{.mask = &mask, .target = &target, .weight = 1.0}};
  const FeatureLosses b = feature_losses_in_place(masked, {.content_target = &content_target,
                                                           .content_weight = 3.0,
                                                           .style_weight = 500.0,
                                                           .style_regions = region});
  EXPECT_EQ(a.style, b.style);
  EXPECT_EQ(a.content, b.content);
  EXPECT_TRUE(same_bits(plain, masked));
}

TEST(StyleMasks, FollowThePoolingGridOfTheFeatures) {
  // 7 x 9 pixels: VGG19's pools floor to 3 x 4, then 1 x 2, as the masks do.
  Tensor mask(Shape{1, 1, 7, 9});
  for (int64_t i = 0; i < mask.numel(); ++i) mask.data()[i] = static_cast<float>(i % 5) / 4.0f;
  const Tensor once = mask_after_pools(mask, 1), twice = mask_after_pools(mask, 2);
  ASSERT_EQ(once.shape(), Shape({1, 1, 3, 4}));
  ASSERT_EQ(twice.shape(), Shape({1, 1, 1, 2}));
  auto at = [&](int y, int x) { return mask.data()[y * 9 + x]; };
  EXPECT_FLOAT_EQ(once.data()[1 * 4 + 2], (at(2, 4) + at(2, 5) + at(3, 4) + at(3, 5)) / 4.0f);
  double window = 0.0;  // twice: the mean of a 4 x 4 window
  for (int y = 0; y < 4; ++y)
    for (int x = 4; x < 8; ++x) window += at(y, x);
  EXPECT_NEAR(twice.data()[1], window / 16.0, 1e-6);

  nn::Vgg19 model;
  model.init_random(1);
  const std::vector<Var> features =
      model.features(Var(random_tensor(Shape{1, 3, 37, 23}, 1, 0.0f, 1.0f)),
                     {"relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"});
  for (const auto& [layer, index] :
       {std::pair{"relu1_1", 0}, std::pair{"relu2_1", 1}, std::pair{"relu3_1", 2},
        std::pair{"relu4_1", 3}, std::pair{"relu5_1", 4}}) {
    const Shape& s = features[index].shape();
    EXPECT_EQ(mask_after_pools(ones(37, 23), pools_before(layer)).shape(),
              Shape({1, 1, s[2], s[3]}))
        << layer;
  }
}

TEST(StyleMasks, PicturesAndResizing) {
  Tensor picture(Shape{1, 3, 2, 2});
  const float rgb[3][4] = {{1, 0.25f, 0, 1}, {1, 0.25f, 0, 0}, {1, 0.25f, 0, 0}};
  for (int c = 0; c < 3; ++c) std::copy_n(rgb[c], 4, picture.data() + c * 4);
  const Tensor mask = mask_from_picture(picture);
  EXPECT_EQ(mask.data()[0], 1.0f);  // white is exactly 1
  EXPECT_EQ(mask.data()[1], 0.25f);
  EXPECT_EQ(mask.data()[2], 0.0f);
  EXPECT_FLOAT_EQ(mask.data()[3], 0.299f);  // red: its luma
  // A filled half stays exactly filled and exactly empty away from its edge; ringing is cut.
  const Tensor half = resize_mask(columns(40, 60, 0, 30), {24, 16});
  for (int y = 0; y < 16; ++y) {
    EXPECT_EQ(half.data()[y * 24 + 2], 1.0f);
    EXPECT_EQ(half.data()[y * 24 + 21], 0.0f);
    for (int x = 0; x < 24; ++x) {
      EXPECT_GE(half.data()[y * 24 + x], 0.0f);
      EXPECT_LE(half.data()[y * 24 + x], 1.0f);
    }
  }
}

TEST(StyleMasks, RegionsGroupEqualMasksAndKeepTheBlend) {
  const Tensor a = columns(4, 4, 0, 2), b = columns(4, 4, 2, 4);
  const std::vector<StyleRegion> regions = style_regions({a, b, a.clone()}, {1, 2, 3});
  ASSERT_EQ(regions.size(), 2u);
  EXPECT_EQ(regions[0].styles, (std::vector<std::size_t>{0, 2}));
  EXPECT_EQ(regions[0].blend, (std::vector<double>{0.25, 0.75}));
  EXPECT_EQ(regions[0].strength, 1.0);  // 4/6 of the blend, the largest
  EXPECT_EQ(regions[1].styles, (std::vector<std::size_t>{1}));
  EXPECT_DOUBLE_EQ(regions[1].strength, 0.5);  // 2/6 over 4/6
  // One region: the unmasked blend itself.
  const std::vector<StyleRegion> one = style_regions({ones(4, 4), ones(4, 4)}, {1, 2});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].blend, normalized_blend({1, 2}, 2));
  EXPECT_EQ(one[0].strength, 1.0);
  // A region whose styles all weigh 0 has no strength, and no error.
  const std::vector<StyleRegion> idle = style_regions({a, b}, {1, 0});
  EXPECT_EQ(idle[1].strength, 0.0);
}

Tensor picture(int height, int width, uint64_t seed) {
  return random_tensor(Shape{1, 3, height, width}, seed, 0.0f, 1.0f);
}

// A mask drawn smaller than its photo has a side rounded to whole pixels: a 20x10 mask of a
// 2000x1025 photo (exactly 20x10.25) is that photo's shape, not stretched; a 20x14 one is.
TEST(StyleMaskedRun, AMaskSmallerThanItsPhotoIsStretchedOnlyBeyondRounding) {
  Job job;
  job.content = ImageSource::image(Tensor::full(Shape{1, 3, 1025, 2000}, 0.5f), "the photo");
  job.styles = {ImageSource::image(picture(40, 40, 2), "style a")};
  job.settings.size = 40;
  job.style_masks = {ImageSource::image(Tensor::full(Shape{1, 3, 10, 20}, 1.0f), "small.png")};
  EXPECT_TRUE(prepare(job).notes.empty());
  job.style_masks = {ImageSource::image(Tensor::full(Shape{1, 3, 14, 20}, 1.0f), "tall.png")};
  const std::vector<std::string> notes = prepare(job).notes;
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("tall.png is 20x14; it is stretched"), std::string::npos) << notes[0];
}

// Two scales, two styles blended 1:2, Adam: the masked run with masks of ones (given as
// pictures of another size, so they are resized at both scales) logs the same losses and
// paints the same picture, bit for bit, as the run without masks.
TEST(StyleMaskedRun, MasksOfOnesReproduceTheUnmaskedRunExactly) {
  Job job;
  job.content = ImageSource::image(picture(40, 48, 1), "the content");
  job.styles = {ImageSource::image(picture(40, 40, 2), "style a"),
                ImageSource::image(picture(30, 50, 3), "style b")};
  job.settings.size = 40;
  job.settings.scales = 2;
  job.settings.iterations = 5;
  job.settings.coarse_iterations = 4;
  job.settings.content_layers = {"relu2_1"};
  job.settings.style_layers = {"relu1_1", "relu2_1"};
  job.settings.style_blend = {1, 2};
  Job masked = job;
  const Tensor white = Tensor::full(Shape{1, 3, 50, 60}, 1.0f);
  masked.style_masks = {ImageSource::image(white, "mask a"), ImageSource{}};
  masked.style_source_masks = {ImageSource{}, ImageSource::image(white, "source b")};

  struct Rows : JobObserver {
    std::vector<IterationLosses> rows;
    void on_iteration(const IterationLosses& losses, const Tensor&) override {
      rows.push_back(losses);
    }
  };
  nn::Vgg19 model;
  model.init_random(3);
  Rows plain_rows, masked_rows;
  const JobResult plain = run_job(prepare(job), model, &plain_rows);
  const PreparedJob prepared = prepare(masked);
  ASSERT_EQ(prepared.scales.size(), 2u);
  EXPECT_EQ(prepared.scales[0].masks.content.size(), 2u);
  const JobResult with_masks = run_job(prepared, model, &masked_rows);
  ASSERT_EQ(plain_rows.rows.size(), 9u);
  ASSERT_EQ(masked_rows.rows.size(), plain_rows.rows.size());
  for (std::size_t i = 0; i < plain_rows.rows.size(); ++i) {
    const IterationLosses &a = plain_rows.rows[i], &b = masked_rows.rows[i];
    EXPECT_EQ(a.iteration, b.iteration);
    EXPECT_EQ(a.total, b.total) << "row " << i;
    EXPECT_EQ(a.content, b.content) << "row " << i;
    EXPECT_EQ(a.style, b.style) << "row " << i;
    EXPECT_EQ(a.tv, b.tv) << "row " << i;
  }
  EXPECT_TRUE(same_bits(plain.image, with_masks.image));
}

// One style confined to the left columns: the image gradient of its term vanishes farther
// right than the deepest layer's receptive band (tiling.h's border), and not inside it.
// (Vanishes up to float rounding: Winograd's transforms mix a tile's positions, so a zero
// gradient can come back as 1e-18.)
TEST(StyleMaskedRun, AStyleActsOnlyWithinReachOfItsRegion) {
  nn::Vgg19 model;
  model.init_random(4);
  JobSettings s;
  s.content_weight = 0.0;
  s.tv_weight = 0.0;
  s.content_layers = {};
  s.style_layers = {"relu1_1", "relu2_1", "relu3_1"};
  const int height = 32, width = 96, edge = 24;  // the region: columns [0, 24)
  StyleMasks masks;
  masks.content = {columns(height, width, 0, edge)};
  StyleObjective objective(model, picture(height, width, 5), {picture(32, 32, 6)}, s, masks);
  Var image(picture(height, width, 7), true);
  objective.evaluate(image);
  const int reach = tile_geometry(s.style_layers).border;
  ASSERT_LT(edge + reach, width);
  double inside = 0.0, beyond = 0.0;
  const Tensor& grad = image.grad();
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < height; ++y) {
      for (int x = edge; x < width; ++x) {
        const double g = std::abs(grad.data()[(c * height + y) * width + x]);
        (x < edge + reach ? inside : beyond) += g;
      }
    }
  }
  EXPECT_GT(inside, 0.0);
  EXPECT_LT(beyond, 1e-9 * inside)
      << "the style reaches past " << reach << " pixels; inside " << inside;
}

// Sum over the layers of sum (G_m - A)^2 / (4 C^2): how far the region of `image` under `mask`
// is from the style whose Gram matrices are `grams`.
double style_distance(nn::Vgg19& model, const Tensor& image, const Tensor& mask,
                      const std::vector<std::string>& layers, const std::vector<Tensor>& grams) {
  const std::vector<Var> features = model.features(Var(image), layers);
  double distance = 0.0;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const Tensor gram =
        guided_gram(features[l].value(), mask_after_pools(mask, pools_before(layers[l])));
    const double c = static_cast<double>(gram.shape()[1]);
    distance += squared_distance(gram.values(), grams[l].values()) / (4.0 * c * c);
  }
  return distance;
}

// A picture of smooth, low-contrast colour ramps: another texture than random_tensor's noise.
Tensor ramps(int height, int width) {
  Tensor image(Shape{1, 3, height, width});
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x)
        image.data()[(c * height + y) * width + x] =
            0.4f + 0.2f * std::sin(0.15f * static_cast<float>(x + 2 * y + 7 * c));
  return image;
}

// Noise on the left half, ramps on the right: each half of the result is at least 10 times
// closer (in the style distance above, over the run's style layers) to its own style than to
// the other; before the run (from a noise photo) both halves were closer to the noise.
TEST(StyleMaskedRun, TwoStylesOnComplementaryHalvesEachWinTheirHalf) {
  const int size = 64;
  const Tensor noise = picture(48, 48, 8), smooth = ramps(48, 48);
  Job job;
  job.content = ImageSource::image(picture(size, size, 9), "the content");
  job.styles = {ImageSource::image(noise, "noise"), ImageSource::image(smooth, "ramps")};
  const Tensor left = columns(size, size, 0, size / 2), right = columns(size, size, size / 2, size);
  auto as_picture = [](const Tensor& mask) {
    Tensor rgb(Shape{1, 3, mask.shape()[2], mask.shape()[3]});
    for (int c = 0; c < 3; ++c)
      std::copy_n(mask.data(), mask.numel(), rgb.data() + c * mask.numel());
    return rgb;
  };
  job.style_masks = {ImageSource::image(as_picture(left), "left"),
                     ImageSource::image(as_picture(right), "right")};
  JobSettings& s = job.settings;
  s.size = size;
  s.scales = 1;
  s.iterations = 80;
  s.tolerance = 0;
  s.content_layers = {"relu2_1"};
  s.style_layers = {"relu1_1", "relu2_1", "relu3_1"};
  s.style_weight = 1e5;

  nn::Vgg19 model;
  model.init_random(5);
  const PreparedJob prepared = prepare(job);
  std::vector<Tensor> grams[2];
  for (int k = 0; k < 2; ++k) {
    for (const Var& f : model.features(Var(prepared.final_scale().styles[k]), s.style_layers))
      grams[k].push_back(nn::gram(f).value());
  }
  auto distances = [&](const Tensor& image) {
    std::array<double, 4> d{};  // left to noise, left to ramps, right to noise, right to ramps
    for (int half = 0; half < 2; ++half)
      for (int k = 0; k < 2; ++k)
        d[half * 2 + k] =
            style_distance(model, image, half == 0 ? left : right, s.style_layers, grams[k]);
    return d;
  };
  const std::array<double, 4> before = distances(prepared.initial());
  const std::array<double, 4> after = distances(run_job(prepared, model).image);
  std::printf(
      "left to noise, left to ramps, right to noise, right to ramps:\n"
      "  before %.4g %.4g %.4g %.4g\n  after  %.4g %.4g %.4g %.4g\n",
      before[0], before[1], before[2], before[3], after[0], after[1], after[2], after[3]);
  // (Measured: 10^3 times closer, with this seed.)
  EXPECT_LT(10 * after[0], after[1]) << "the left half is not clearly closer to the noise";
  EXPECT_LT(10 * after[3], after[2]) << "the right half is not clearly closer to the ramps";
  EXPECT_FALSE(before[0] < before[1] && before[3] < before[2]) << "it was so before the run";
}

}  // namespace
}  // namespace nst
