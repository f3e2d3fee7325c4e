// Tiles by themselves (nst/plan.h): with tile_size auto, a run whose whole pictures need more
// memory than max_memory runs in the largest tiles that fit, and says so; a forced tile size
// is kept; tile_size 0 refuses instead, advising tiles. Plans only: no pixel is computed.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "nst/plan.h"
#include "nst/tiling.h"
#include "tensor/error.h"

namespace nst {
namespace {

constexpr int64_t kMB = int64_t{1} << 20;

JobSettings settings_with(int64_t max_memory, std::optional<int> tile_size = std::nullopt) {
  JobSettings s;
  s.size = 1024;
  s.scales = 1;
  s.max_memory = max_memory;
  s.tile_size = tile_size;
  return s;
}

JobPlan plan_for(const JobSettings& s, ImageSize style = {800, 600}) {
  return plan(s, {"photo.jpg", {1024, 768}}, {{"painting.jpg", style}});
}

// The estimate with these tiles, keeping the deep layers' state or not.
int64_t estimate_with(JobSettings s, int tile_size, ImageSize style = {800, 600},
                      bool keep_deep = false) {
  const JobPlan whole = plan_for(s, style);
  s.tile_size = tile_size;
  s.keep_deep_tile_state = keep_deep;
  return estimate_memory(s, whole.sizes).total();
}

bool has_note(const JobPlan& p, const std::string& text) {
  return std::any_of(p.notes.begin(), p.notes.end(),
                     [&](const std::string& note) { return note.find(text) != std::string::npos; });
}

TEST(AutoTiling, ARunThatFitsRunsWhole) {
  const JobPlan p = plan_for(settings_with(0));
  EXPECT_EQ(p.tile_size, 0);
  EXPECT_EQ(p.scales.back().tiles, 1);
  EXPECT_FALSE(has_note(p, "tiles"));
}

TEST(AutoTiling, ARunThatDoesNotFitTakesTheLargestEqualTilesThatDo) {
  const int64_t whole = plan_for(settings_with(0)).memory.total();
  const int64_t smallest = estimate_with(settings_with(0), 80);  // the smallest core auto tries
  for (const int64_t limit : {whole - 1, (whole + smallest) / 2, smallest}) {
    SCOPED_TRACE(limit / kMB);
    const JobPlan p = plan_for(settings_with(limit));
    ASSERT_GT(p.tile_size, 0);
    EXPECT_LE(p.memory.total(), limit);
    EXPECT_EQ(p.memory.total(),
              estimate_with(settings_with(0), p.tile_size, {800, 600}, p.keep_deep_tile_state));
    // n equal cores along the 1024-pixel side, aligned to relu5_1's 16; n - 1 do not fit.
    const int n = (1024 + p.tile_size - 1) / p.tile_size;
    ASSERT_GE(n, 2);
    EXPECT_EQ(p.tile_size % 16, 0);
    if (n > 2) {
      const int fewer = ((1024 + n - 2) / (n - 1) + 15) / 16 * 16;
      EXPECT_GT(estimate_with(settings_with(0), fewer, {800, 600}, p.keep_deep_tile_state), limit)
          << fewer;
    }
    EXPECT_EQ(
        p.scales.back().tiles,
        static_cast<int>(plan_tiles({1024, 768}, p.tile_size, tile_geometry({"relu5_1"})).size()));
    EXPECT_TRUE(has_note(p, "running VGG19 on tiles of " + std::to_string(p.tile_size) +
                                " pixels with a border of 80 pixels"))
        << p.notes.at(0);
  }
}

TEST(AutoTiling, ALargeStyleIsWhatGetsTiled) {
  // The content fits one pass; the style, at 16 times its size, does not.
  const ImageSize big_style{4096, 3072};
  JobSettings s = settings_with(0);
  s.size = 256;
  s.style_scale = 16;
  const int64_t whole = plan_for(s, big_style).memory.total();
  s.max_memory = (whole + estimate_with(s, 80, big_style)) / 2;
  const JobPlan p = plan_for(s, big_style);
  ASSERT_GT(p.tile_size, 256);
  EXPECT_LE(p.memory.total(), s.max_memory);
  EXPECT_EQ(p.scales.back().tiles, 1);
  EXPECT_TRUE(has_note(p, "the content in 1 tile ")) << p.notes.at(0);
}

TEST(AutoTiling, CoarseScalesThatFitATileRunWhole) {
  JobSettings s = settings_with(0);
  s.scales = 2;
  s.max_memory = plan_for(s).memory.total() - 1;
  const JobPlan p = plan_for(s);
  ASSERT_EQ(p.scales.size(), 2u);
  ASSERT_GE(p.tile_size, 512);
  EXPECT_EQ(p.scales[0].tiles, 1);  // 512 x 384
  EXPECT_GT(p.scales[1].tiles, 1);
}

TEST(AutoTiling, AForcedTileSizeIsKept) {
  const JobPlan p = plan_for(settings_with(0, 200));
  EXPECT_EQ(p.tile_size, 200);
  EXPECT_EQ(p.scales.back().tiles, 5 * 4);  // 208-pixel cores (aligned to 16) over 1024 x 768
  EXPECT_FALSE(has_note(p, "running VGG19 on tiles"));
}

// Each tile but the last keeps its layers from pool2 on between an iteration's two passes when
// that fits the limit with the tiles the plan takes anyway.
TEST(AutoTiling, TilesKeepTheirDeepLayersWhenThatFits) {
  JobPlan p = plan_for(settings_with(0, 200));
  EXPECT_TRUE(p.keep_deep_tile_state);
  const int64_t kept = estimate_with(settings_with(0), 200, {800, 600}, true);
  const int64_t not_kept = estimate_with(settings_with(0), 200);
  EXPECT_EQ(p.memory.total(), kept);
  EXPECT_GT(kept, not_kept);
  p = plan_for(settings_with(kept - 1, 200));
  EXPECT_FALSE(p.keep_deep_tile_state);
  EXPECT_EQ(p.memory.total(), not_kept);
  // Auto: the same tiles as without keeping, when keeping fits with them; when it does not,
  // not smaller tiles to make room.
  const int64_t limit = estimate_with(settings_with(0), 512, {800, 600}, true);
  p = plan_for(settings_with(limit));
  EXPECT_EQ(p.tile_size, 512);
  EXPECT_TRUE(p.keep_deep_tile_state);
  EXPECT_TRUE(has_note(p, "each tile keeps its layers from pool2 on")) << p.notes.at(0);
  p = plan_for(settings_with(limit - 1));
  EXPECT_EQ(p.tile_size, 512);
  EXPECT_FALSE(p.keep_deep_tile_state);
  EXPECT_FALSE(has_note(p, "keeps")) << p.notes.at(0);
  // Shallow layers only: nothing to keep.
  JobSettings shallow = settings_with(0, 200);
  shallow.content_layers = {"relu2_1"};
  shallow.style_layers = {"relu1_1", "relu2_1"};
  EXPECT_FALSE(plan_for(shallow).keep_deep_tile_state);
}

TEST(AutoTiling, RefusalsSayWhatTilesCouldDo) {
  const int64_t whole = plan_for(settings_with(0)).memory.total();
  auto refusal = [](const JobSettings& s) {
    try {
      plan_for(s);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // Tiles turned off: they are advised.
  std::string message = refusal(settings_with(whole - 1, 0));
  EXPECT_NE(message.find("let it run in tiles (tile_size auto)"), std::string::npos) << message;
  // Forced tiles that are too large: smaller ones are advised.
  message = refusal(settings_with(estimate_with(settings_with(0), 256) - 1, 256));
  EXPECT_NE(message.find("in tiles of 256 pixels"), std::string::npos) << message;
  EXPECT_NE(message.find("use smaller tiles (tile_size)"), std::string::npos) << message;
  // Auto, with a limit below even the weights: the smallest tiles were tried.
  message = refusal(settings_with(100 * kMB));
  EXPECT_NE(message.find("in tiles of 80 pixels"), std::string::npos) << message;
  EXPECT_EQ(message.find("tile_size"), std::string::npos) << message;
}

}  // namespace
}  // namespace nst
