// Exact tiling (nst/tiling.h, nst/tiled_features.h, StyleObjective with tile_size): the tiles'
// features, Gram matrices, losses and image gradient against one pass over the whole image.
//
// The bound. A tiled evaluation computes the same sums as the whole image's, in another order.
// A feature at a core position has the same inputs, but with Winograd its convolutions run in
// other tiles (the tile's own origin), so its float32 rounding differs, by ~1e-6 relative
// (tests/test_winograd.cpp); with im2col every position's sum runs in the same order. A Gram
// matrix is the sum of the cores' shares, each rounded on its own: ~n_tiles * 2^-24 relative
// more. So the losses agree to ~1e-6 relative. The gradient goes through the same backward per
// position, so with im2col it agrees to ~1e-5 of its largest entry (allowed: 1e-4). With
// Winograd it cannot: where two values of a 2x2 max pool (or a ReLU's input and 0) are closer
// than the rounding, the tile and the whole image may route the gradient to different pixels.
// Switching the whole image from Winograd to im2col moves its own gradient just as much
// (measured: 0.2-0.7% of its norm, single entries by 2-4% of the largest), so that is the
// yardstick: the tiled gradient may differ from the untiled by at most 5x that change (seen:
// 1.6x with GCC in Release, 3.2x with clang in Debug: near-ties are few, so their count
// varies), and by 1e-4 of the norm where it is smaller. A border one alignment step narrower than
// tile_geometry()'s breaks the features by orders of magnitude (BorderIsTheNarrowestThatIsExact).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ostream>

#include "autograd/grad_mode.h"
#include "nn/vgg19.h"
#include "nst/objective.h"
#include "nst/tiled_features.h"
#include "nst/tiling.h"
#include "tensor/error.h"
#include "tensor/gram.h"
#include "tests/test_util.h"

namespace nst {
namespace {

using testing::random_tensor;

double max_abs(const Tensor& t) {
  double m = 0.0;
  for (float v : t.values()) m = std::max(m, static_cast<double>(std::abs(v)));
  return m;
}

// The largest difference between two tensors, over the largest entry of the second.
double relative_difference(const Tensor& a, const Tensor& b) {
  EXPECT_TRUE(a.shape() == b.shape()) << a.shape() << " vs " << b.shape();
  double worst = 0.0;
  for (std::size_t i = 0; i < a.values().size(); ++i)
    worst = std::max(worst, std::abs(static_cast<double>(a.values()[i]) - b.values()[i]));
  return worst / std::max(max_abs(b), 1e-30);
}

nn::Vgg19& random_vgg(nn::Pooling pooling) {
  static nn::Vgg19 max_model = [] {
    nn::Vgg19 m(nn::Pooling::max);
    m.init_random(5);
    return m;
  }();
  static nn::Vgg19 avg_model = [] {
    nn::Vgg19 m(nn::Pooling::average);
    m.init_random(5);
    return m;
  }();
  return pooling == nn::Pooling::max ? max_model : avg_model;
}

TEST(TileGeometry, BandOfWrongPositionsAtTheDeepestLayer) {
  // relu1_1: one convolution; relu2_1: 2 convs, a pool (band 1 at half size), 1 conv: 2 x 2 px.
  EXPECT_EQ(tile_geometry({"relu1_1"}).border, 1);
  EXPECT_EQ(tile_geometry({"relu1_1"}).alignment, 1);
  EXPECT_EQ(tile_geometry({"relu2_1", "relu1_1"}).border, 4);
  EXPECT_EQ(tile_geometry({"relu2_1"}).alignment, 2);
  // relu4_2: bands 2 -> 1, 3 -> 2, 6 -> 3, 5 at 1/8 size: 40 px; relu5_1: ... 7 -> 4, 5 at 1/16.
  EXPECT_EQ(tile_geometry({"relu4_2"}).border, 40);
  EXPECT_EQ(tile_geometry({"relu4_2"}).alignment, 8);
  EXPECT_EQ(tile_geometry({"relu1_1", "relu5_1", "relu4_2"}).border, 80);
  EXPECT_EQ(tile_geometry({"relu5_1"}).alignment, 16);
  EXPECT_EQ(pools_before("relu1_1"), 0);
  EXPECT_EQ(pools_before("pool1"), 0);
  EXPECT_EQ(pools_before("conv2_1"), 1);
  EXPECT_EQ(pools_before("relu5_1"), 4);
}

TEST(PlanTiles, CoresPartitionTheImageAndRegionsAddTheBorder) {
  const TileGeometry geometry{.alignment = 8, .border = 24};
  const ImageSize size{.width = 101, .height = 70};
  const std::vector<Tile> tiles = plan_tiles(size, 30, geometry);  // 30 -> cores of 32
  ASSERT_EQ(tiles.size(), 4u * 3u);
  std::vector<int> covered(static_cast<std::size_t>(size.width * size.height), 0);
  for (const Tile& t : tiles) {
    EXPECT_EQ(t.core.y % 8, 0);
    EXPECT_EQ(t.core.x % 8, 0);
    EXPECT_EQ(t.region.y, std::max(0, t.core.y - 24));
    EXPECT_EQ(t.region.x, std::max(0, t.core.x - 24));
    EXPECT_EQ(t.region.y + t.region.height, std::min(70, t.core.y + t.core.height + 24));
    EXPECT_EQ(t.region.x + t.region.width, std::min(101, t.core.x + t.core.width + 24));
    for (int y = t.core.y; y < t.core.y + t.core.height; ++y)
      for (int x = t.core.x; x < t.core.x + t.core.width; ++x) ++covered[y * size.width + x];
  }
  EXPECT_TRUE(std::all_of(covered.begin(), covered.end(), [](int n) { return n == 1; }));
  // Rows of 24, 24 and 22 (70 in three cores of at most 32, as equal as 8 allows), not 32,
  // 32 and 6; columns of 32, 32, 32 and 5 (101 in four: 26 rounds up to 32).
  EXPECT_EQ(tiles.back().core, (Rect{48, 96, 22, 5}));
  // At a layer after 3 pools (70 -> 8 rows, 101 -> 12 columns), the last column's cores are 0
  // wide (96..101 -> 12..12), and the cores of a column still partition its 8 rows.
  EXPECT_EQ(core_in_image_features(tiles.back(), 3), (Rect{6, 12, 2, 0}));
  EXPECT_EQ(core_in_image_features(tiles[3], 3), (Rect{0, 12, 3, 0}));
  EXPECT_EQ(core_in_image_features(tiles[5], 3), (Rect{3, 4, 3, 4}));
  EXPECT_EQ(plan_tiles(size, 128, geometry).size(), 1u);
  EXPECT_EQ(plan_tiles(size, 2147483647, geometry).size(), 1u);  // no overflow in the rounding
  EXPECT_EQ(plan_tiles(size, 128, geometry)[0].region, (Rect{0, 0, 70, 101}));
}

// The default layers (down to relu5_1): the input needs 70 of the 80-pixel border (two
// convolutions, pool, two, pool, four, pool, four, pool, conv5_1: ((((1 + 1) * 2 + 4) * 2 + 4)
// * 2 + 2) * 2 + 2 = 70), pool1's output 34 positions, pool4's 1; between pools the maps are
// not cut. Cuts stay within the region and the image, and the core's place in each map is kept.
TEST(TileTrim, EachLayerKeepsWhatTheLayersAfterItRead) {
  const std::vector<std::string> layers{"relu1_1", "relu2_1", "relu3_1",
                                        "relu4_1", "relu4_2", "relu5_1"};
  const TileGeometry geometry = tile_geometry(layers);
  ASSERT_EQ(geometry.border, 80);
  const ImageSize size{.width = 760, .height = 560};
  const std::vector<Tile> tiles = plan_tiles(size, 192, geometry);  // 4 x 3 cores
  const Tile& middle = tiles[5];                                    // core (192, 192), 192 x 192
  ASSERT_EQ(middle.core, (Rect{192, 192, 192, 192}));
  const TileTrim trim = trim_tile(middle, size, layers);
  EXPECT_EQ(trim.input, (Rect{122, 122, 332, 332}));
  const int pool1 = nn::vgg19_layer_index("pool1"), conv4_4 = nn::vgg19_layer_index("conv4_4");
  const int relu5_1 = nn::vgg19_layer_index("relu5_1");
  EXPECT_EQ(trim.kept[pool1], (Rect{96 - 34, 96 - 34, 96 + 68, 96 + 68}));
  EXPECT_EQ(trim.kept[conv4_4], (Rect{24 - 6, 24 - 6, 24 + 12, 24 + 12}));  // pool3's cut
  EXPECT_EQ(trim.kept[relu5_1], (Rect{12 - 1, 12 - 1, 12 + 2, 12 + 2}));
  EXPECT_EQ(trim.core[pool1], (Rect{34, 34, 96, 96}));
  EXPECT_EQ(trim.core[relu5_1], (Rect{1, 1, 12, 12}));
  ASSERT_EQ(trim.kept.size(), static_cast<std::size_t>(relu5_1 + 1));

  // A corner tile: cut by the image's edge on two sides; the last core, 176 x 184, has
  // 11 rows at relu5_1 (560 / 16 = 35) and 11 columns (760 / 16 = 47, floored).
  const TileTrim corner = trim_tile(tiles.back(), size, layers);
  EXPECT_EQ(corner.input, (Rect{384 - 70, 576 - 70, 176 + 70, 184 + 70}));
  EXPECT_EQ(corner.kept[relu5_1], (Rect{23, 35, 12, 12}));
  // A region narrower than the margin bounds the cut (the inexact case tests ask for).
  Tile narrow = middle;
  narrow.region = {192 - 64, 192 - 64, 192 + 128, 192 + 128};
  EXPECT_EQ(trim_tile(narrow, size, layers).input, narrow.region);
}

TEST(TiledCopies, CropAddAndCopyRectangles) {
  const Tensor image = random_tensor(Shape{1, 2, 5, 7}, 1);
  const Tensor part = crop(image, {1, 2, 3, 4});
  ASSERT_TRUE(part.shape() == Shape({1, 2, 3, 4}));
  EXPECT_EQ(part.data()[0], image.data()[1 * 7 + 2]);
  EXPECT_EQ(part.data()[12 + 2 * 4 + 3], image.data()[35 + 3 * 7 + 5]);
  Tensor sum = image.clone();
  add_rect(sum, {1, 2, 3, 4}, part);
  EXPECT_EQ(sum.data()[35 + 3 * 7 + 5], 2 * image.data()[35 + 3 * 7 + 5]);
  EXPECT_EQ(sum.data()[0], image.data()[0]);
  EXPECT_THROW(crop(image, {3, 0, 3, 1}), Error);
}

TEST(TiledCopies, ZeroOutsideKeepsOnlyTheRectangle) {
  const Tensor image = random_tensor(Shape{1, 2, 5, 7}, 2);
  Tensor kept = image.clone();
  const Rect rect{1, 2, 3, 4};
  zero_outside(kept, rect);
  for (int c = 0; c < 2; ++c) {
    for (int y = 0; y < 5; ++y) {
      for (int x = 0; x < 7; ++x) {
        const bool inside = y >= 1 && y < 4 && x >= 2 && x < 6;
        const int i = (c * 5 + y) * 7 + x;
        EXPECT_EQ(kept.data()[i], inside ? image.data()[i] : 0.0f) << c << " " << y << " " << x;
      }
    }
  }
}

// The Gram routines over a band of a larger map (a channel stride) equal them over a copy of
// the band: what the tiled losses rely on.
TEST(GramBand, AStridedBandEqualsItsCopy) {
  const int C = 3, H = 6, W = 5, y0 = 2, rows = 3, band = rows * W;
  const Tensor map = random_tensor(Shape{1, C, H, W}, 3);
  const Tensor copy = crop(map, {y0, 0, rows, W});
  const Tensor dgram = random_tensor(Shape{C, C}, 4), target = random_tensor(Shape{1, C, H, W}, 5);
  const Tensor target_copy = crop(target, {y0, 0, rows, W});
  std::vector<float> strided(C * C), contiguous(C * C);
  gram_forward(strided.data(), map.data() + y0 * W, C, band, H * W);
  gram_forward(contiguous.data(), copy.data(), C, band);
  for (int i = 0; i < C * C; ++i) EXPECT_FLOAT_EQ(strided[i], contiguous[i]);

  Tensor in_place = map.clone(), copied = copy.clone();
  gram_backward_in_place(in_place.data() + y0 * W, dgram.data(), target.data() + y0 * W, 0.5f, C,
                         band, H * W);
  gram_backward_in_place(copied.data(), dgram.data(), target_copy.data(), 0.5f, C, band);
  const Tensor band_after = crop(in_place, {y0, 0, rows, W});
  for (int64_t i = 0; i < copied.numel(); ++i)
    EXPECT_FLOAT_EQ(band_after.data()[i], copied.data()[i]) << i;
  for (int c = 0; c < C; ++c)  // the rows outside the band are untouched
    EXPECT_EQ(in_place.data()[c * H * W], map.data()[c * H * W]);
}

struct FeatureCase {
  std::vector<std::string> layers;
  nn::Pooling pooling;
  int height, width, core;
};

void PrintTo(const FeatureCase& c, std::ostream* os) {
  *os << c.height << "x" << c.width << " in cores of " << c.core;
}

class TiledFeatures : public ::testing::TestWithParam<FeatureCase> {};

// The tiles' features and Gram matrices equal the whole image's at every layer.
TEST_P(TiledFeatures, EqualTheWholeImagesFeaturesAndGrams) {
  const FeatureCase c = GetParam();
  nn::Vgg19& model = random_vgg(c.pooling);
  const Tensor image = random_tensor(Shape{1, 3, c.height, c.width}, 7, 0.0f, 1.0f);
  const std::vector<Tile> tiles =
      plan_tiles({.width = c.width, .height = c.height}, c.core, tile_geometry(c.layers));
  ASSERT_GT(tiles.size(), 3u);
  const std::vector<Tensor> tiled = tiled_features(model, image, c.layers, tiles);
  const std::vector<Tensor> grams = tiled_grams(model, image, c.layers, tiles);
  NoGradGuard no_graph;
  const std::vector<Var> whole = model.features(Var(image), c.layers);
  for (std::size_t k = 0; k < c.layers.size(); ++k) {
    SCOPED_TRACE(c.layers[k]);
    EXPECT_LT(relative_difference(tiled[k], whole[k].value()), 1e-5);
    const Shape& s = whole[k].shape();
    Tensor gram(Shape{1, s[1], s[1]});
    gram_forward(gram.data(), whole[k].value().data(), static_cast<int>(s[1]),
                 static_cast<int>(s[2] * s[3]));
    EXPECT_LT(relative_difference(grams[k], gram), 1e-5);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Layers, TiledFeatures,
    ::testing::Values(FeatureCase{{"relu1_1", "relu2_2", "relu3_1"}, nn::Pooling::max, 61, 75, 12},
                      FeatureCase{{"relu3_1", "relu1_2"}, nn::Pooling::average, 53, 47, 8},
                      FeatureCase{
                          {"relu4_2", "relu5_1", "relu1_1"}, nn::Pooling::max, 150, 131, 64}));

// One alignment step less border than tile_geometry() asks for, and the features differ.
TEST(TiledFeatures, BorderIsTheNarrowestThatIsExact) {
  for (const std::string layer : {"relu2_1", "relu3_1", "relu4_2"}) {
    SCOPED_TRACE(layer);
    nn::Vgg19& model = random_vgg(nn::Pooling::max);
    const Tensor image = random_tensor(Shape{1, 3, 96, 88}, 8, 0.0f, 1.0f);
    TileGeometry narrow = tile_geometry({layer});
    narrow.border -= narrow.alignment;
    const std::vector<Tile> tiles = plan_tiles({.width = 88, .height = 96}, 16, narrow);
    const std::vector<Tensor> tiled = tiled_features(model, image, {layer}, tiles);
    NoGradGuard no_graph;
    const Tensor whole = model.features(Var(image), {layer})[0].value();
    EXPECT_GT(relative_difference(tiled[0], whole), 1e-3);
  }
}

struct ObjectiveCase {
  std::string name;
  std::vector<std::string> content, style;
  nn::Pooling pooling;
  int height, width, core;
  double content_weight, style_weight, tv_weight;
  std::vector<double> blend;
  bool masked = false;  // style masks: soft and split on the content, soft on style 1
};

void PrintTo(const ObjectiveCase& c, std::ostream* os) { *os << c.name; }

class TiledObjective : public ::testing::TestWithParam<ObjectiveCase> {};

// The gradient's norm.
double norm(const Tensor& t) {
  double sum = 0.0;
  for (float v : t.values()) sum += static_cast<double>(v) * v;
  return std::sqrt(sum);
}

double distance(const Tensor& a, const Tensor& b) {
  double sum = 0.0;
  for (std::size_t i = 0; i < a.values().size(); ++i) {
    const double d = static_cast<double>(a.values()[i]) - b.values()[i];
    sum += d * d;
  }
  return std::sqrt(sum);
}

// Runs `f` with NST_CONV set to `algorithm` ("" for the default choice).
template <class F>
auto with_conv(const char* algorithm, F f) {
  if (*algorithm != 0) ::setenv("NST_CONV", algorithm, 1);
  auto result = f();
  ::unsetenv("NST_CONV");
  return result;
}

// E and its gradient over tiles equal one pass over the whole image.
TEST_P(TiledObjective, LossAndGradientEqualTheUntiled) {
  const ObjectiveCase c = GetParam();
  ASSERT_EQ(std::getenv("NST_CONV"), nullptr) << "the test sets NST_CONV itself";
  nn::Vgg19& model = random_vgg(c.pooling);
  const Tensor content = random_tensor(Shape{1, 3, c.height, c.width}, 11, 0.0f, 1.0f);
  const std::vector<Tensor> styles{random_tensor(Shape{1, 3, 70, 58}, 12, 0.0f, 1.0f),
                                   random_tensor(Shape{1, 3, c.height + 9, c.width}, 13, 0.f, 1.f)};
  const Tensor start = random_tensor(Shape{1, 3, c.height, c.width}, 14, 0.0f, 1.0f);
  JobSettings s;
  s.content_layers = c.content;
  s.style_layers = c.style;
  s.pooling = c.pooling;
  s.content_weight = c.content_weight;
  s.style_weight = c.style_weight;
  s.tv_weight = c.tv_weight;
  s.style_blend = c.blend;
  struct Result {
    IterationLosses losses;
    Tensor gradient;
  };
  StyleMasks masks;
  if (c.masked) {
    Tensor soft = random_tensor(Shape{1, 1, c.height, c.width}, 15, 0.0f, 1.0f);
    Tensor split = Tensor::zeros(Shape{1, 1, c.height, c.width});
    for (int y = 0; y < c.height; ++y)
      for (int x = c.width / 3; x < c.width; ++x) split.data()[y * c.width + x] = 1.0f;
    masks.content = {soft, split};
    masks.source = {random_tensor(Shape{1, 1, 70, 58}, 16, 0.0f, 1.0f), Tensor()};
  }
  auto run = [&](int tile_size, bool keep_deep = false) {
    s.tile_size = tile_size;
    s.keep_deep_tile_state = keep_deep;
    StyleObjective objective(model, content, styles, s, masks);
    EXPECT_EQ(objective.tile_count() > 1, tile_size > 0);
    Var image(start.clone(), true);
    Result r{objective.evaluate(image), image.grad().clone()};
    if (tile_size > 0) {  // a second evaluation of the same image: nothing is carried over
      const IterationLosses again = objective.evaluate(image);
      EXPECT_EQ(again.total, r.losses.total);
      EXPECT_EQ(distance(image.grad(), r.gradient), 0.0);
    }
    return r;
  };
  auto near = [](double a, double b) { return std::abs(a - b) <= 1e-5 * std::abs(b) + 1e-12; };

  // With im2col, position by position.
  const Result whole = with_conv("im2col", [&] { return run(0); });
  const Result tiled = with_conv("im2col", [&] { return run(c.core); });
  EXPECT_PRED2(near, tiled.losses.content, whole.losses.content);
  EXPECT_PRED2(near, tiled.losses.style, whole.losses.style);
  EXPECT_PRED2(near, tiled.losses.tv, whole.losses.tv);
  EXPECT_PRED2(near, tiled.losses.total, whole.losses.total);
  EXPECT_LT(relative_difference(tiled.gradient, whole.gradient), 1e-4);
  // Keeping the deep layers' state from the first pass for the second: the same numbers, the
  // same operations on them in another order (the deep layers' backward before the shallow
  // layers' forward).
  const Result kept = with_conv("im2col", [&] { return run(c.core, /*keep_deep=*/true); });
  EXPECT_EQ(kept.losses.total, tiled.losses.total);
  EXPECT_EQ(distance(kept.gradient, tiled.gradient), 0.0);

  // With the default algorithms, within what changing the algorithm does to the whole image.
  const Result whole_auto = with_conv("", [&] { return run(0); });
  const Result tiled_auto = with_conv("", [&] { return run(c.core); });
  EXPECT_PRED2(near, tiled_auto.losses.total, whole_auto.losses.total);
  const double algorithm_change = distance(whole_auto.gradient, whole.gradient);
  EXPECT_LE(distance(tiled_auto.gradient, whole_auto.gradient),
            std::max(5.0 * algorithm_change, 1e-4 * norm(whole_auto.gradient)))
      << "changing the algorithm moved the gradient by " << algorithm_change << " of "
      << norm(whole_auto.gradient);
}

INSTANTIATE_TEST_SUITE_P(
    Settings, TiledObjective,
    ::testing::Values(
        // The defaults' layers, odd sizes, 2 x 3 tiles (the last column's core is 3 pixels
        // wide: no positions at relu4_x and relu5_1), one style bigger than a tile.
        ObjectiveCase{"defaults",
                      {"relu4_2"},
                      {"relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"},
                      nn::Pooling::max,
                      80,
                      99,
                      48,
                      1.0,
                      330.0,
                      0.0,
                      {}},
        // Average pooling, a layer in both lists and one twice, TV, two blended styles.
        ObjectiveCase{"avg",
                      {"relu2_2", "relu3_1"},
                      {"relu1_2", "relu3_1", "relu1_2"},
                      nn::Pooling::average,
                      45,
                      67,
                      8,
                      2.0,
                      300.0,
                      0.5,
                      {0.3, 0.7}},
        ObjectiveCase{
            "content_only", {"relu3_2"}, {}, nn::Pooling::max, 40, 52, 12, 1.0, 0.0, 0.0, {}},
        ObjectiveCase{"style_only",
                      {},
                      {"relu1_1", "relu2_1"},
                      nn::Pooling::max,
                      33,
                      30,
                      6,
                      0.0,
                      100.0,
                      0.1,
                      {}},
        // Style masks: two regions (a soft one and a split), a source mask on the style that
        // is bigger than a tile, with the defaults' layers and with average pooling (no TV
        // there, and a heavier style weight: a wrong style gradient would hide under them).
        ObjectiveCase{"masked",
                      {"relu4_2"},
                      {"relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"},
                      nn::Pooling::max,
                      80,
                      99,
                      48,
                      1.0,
                      330.0,
                      0.0,
                      {1.0, 2.0},
                      true},
        ObjectiveCase{"masked_avg",
                      {"relu2_2"},
                      {"relu1_2", "relu3_1", "relu1_2"},
                      nn::Pooling::average,
                      45,
                      67,
                      8,
                      2.0,
                      3e4,
                      0.0,
                      {0.3, 0.7},
                      true},
        // Only TV weighted: no graph through the network, the terms still reported.
        ObjectiveCase{
            "tv_only", {"relu2_1"}, {"relu1_1"}, nn::Pooling::max, 21, 26, 4, 0.0, 0.0, 1.0, {}}),
    [](const ::testing::TestParamInfo<ObjectiveCase>& p) { return p.param.name; });

TEST(TiledObjective, ATileLargerThanTheImageIsOnePass) {
  nn::Vgg19& model = random_vgg(nn::Pooling::max);
  const Tensor content = random_tensor(Shape{1, 3, 40, 30}, 21, 0.0f, 1.0f);
  JobSettings s;
  s.content_layers = {"relu2_1"};
  s.style_layers = {"relu1_1"};
  s.tile_size = 64;
  StyleObjective objective(model, content, {content}, s);
  EXPECT_EQ(objective.tile_count(), 1u);
  s.tile_size = 16;
  EXPECT_EQ(StyleObjective(model, content, {content}, s).tile_count(), 6u);
}

}  // namespace
}  // namespace nst
