// `nst stylize` options for the picture (issue: coarse-to-fine scales, colour preservation,
// the run as an animation) end to end with an untrained VGG19 at small sizes, and every bad
// value of them refused with exit code 2 before any work.
#include <gif_lib.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "nst/color.h"
#include "nst/image.h"
#include "nst/resize.h"
#include "tests/cli_runner.h"
#include "tests/test_util.h"

namespace nst {
namespace {

using testing::run_nst;
using testing::TempDir;

// Moderate colours, so that a changed luminance rarely leaves the RGB cube.
Tensor moderate(int height, int width, uint64_t seed) {
  return testing::random_tensor(Shape{1, 3, height, width}, seed, 0.3f, 0.7f);
}

class Pictures : public ::testing::Test {
 protected:
  Pictures() {
    content_ = dir_.file("content.png");
    style_ = dir_.file("style.png");
    write_image(content_, moderate(40, 48, 1));
    write_image(style_, testing::random_tensor(Shape{1, 3, 40, 40}, 2, 0.0f, 1.0f));
  }
  // 12 iterations at 32 pixels with shallow layers: well under a second.
  std::string run(const std::string& output, const std::string& extra = "", int size = 32) const {
    return "stylize --content " + content_ + " --style " + style_ + " --output " + output +
           " --size " + std::to_string(size) +
           " --iterations 12 --weights random:3 --content-layers relu2_1 "
           "--style-layers relu1_1,relu2_1 " +
           extra;
  }
  TempDir dir_;
  std::string content_, style_;
};

TEST_F(Pictures, TwoScalesLogTheScaleAndSnapshotAtTheOutputSize) {
  const std::string out = dir_.file("out.png"), log = dir_.file("loss.csv");
  const auto r =
      run_nst(run(out, "--scales 2 --coarse-iterations 4 --save-every 8 --loss-log " + log, 64));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("scales 32x27 (4), 64x53 (12)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("scale 2 of 2, 64x53: computing"), std::string::npos) << r.err;
  const auto rows = testing::read_lines(log);
  ASSERT_EQ(rows.size(), 18u);  // the header, 4 coarse and 12 full-size iterations, the end
  EXPECT_EQ(rows[0], "iteration,scale,total,content,style,tv");
  EXPECT_TRUE(rows[4].starts_with("4,1,")) << rows[4];
  EXPECT_TRUE(rows[5].starts_with("5,2,")) << rows[5];
  EXPECT_TRUE(rows[16].starts_with("16,2,")) << rows[16];
  EXPECT_EQ(image_size(read_image(out)).width, 64);
  for (const char* snapshot : {"out_08.png", "out_16.png"})
    EXPECT_EQ(image_size(read_image(dir_.file(snapshot))).width, 64) << snapshot;

  // One scale keeps the log's format exactly.
  const auto single =
      run_nst(run(dir_.file("one.png"), "--scales 1 --loss-log " + dir_.file("one.csv"), 64));
  ASSERT_EQ(single.code, 0) << single.err;
  EXPECT_EQ(testing::read_lines(dir_.file("one.csv"))[0], "iteration,total,content,style,tv");
  EXPECT_EQ(testing::read_lines(dir_.file("one.csv")).size(), 14u);
  EXPECT_EQ(testing::read_lines(dir_.file("one.csv")).back(),
            "# ran all 12 iterations (the cap) without converging");
}

// The output's I and Q are the content's at the output size, up to 8-bit rounding, wherever
// the recombined pixel did not leave the RGB cube (clamped pixels sit at 0 or 255).
TEST_F(Pictures, LuminanceColoursKeepTheContentsChrominance) {
  const std::string out = dir_.file("out.png"), plain = dir_.file("plain.png");
  auto r = run_nst(run(out, "--preserve-colors luminance --style-weight 1e5"));
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_nst(run(plain, "--style-weight 1e5"));
  ASSERT_EQ(r.code, 0) << r.err;
  const Tensor result = read_image(out);
  const Tensor content = resize_image(read_image(content_), image_size(result));
  const Tensor result_yiq = rgb_to_yiq(result), content_yiq = rgb_to_yiq(content);
  const int64_t n = result.numel() / 3;
  int compared = 0;
  double luminance_change = 0;
  for (int64_t p = 0; p < n; ++p) {
    bool clamped = false;
    for (int c = 0; c < 3; ++c) {
      const float v = result.data()[c * n + p];
      clamped = clamped || v == 0.0f || v == 1.0f;
    }
    luminance_change += std::abs(result_yiq.data()[p] - content_yiq.data()[p]);
    if (clamped) continue;
    ++compared;
    EXPECT_NEAR(result_yiq.data()[n + p], content_yiq.data()[n + p], 0.003) << "pixel " << p;
    EXPECT_NEAR(result_yiq.data()[2 * n + p], content_yiq.data()[2 * n + p], 0.003)
        << "pixel " << p;
  }
  EXPECT_GT(compared, n * 9 / 10);
  EXPECT_GT(luminance_change / static_cast<double>(n), 0.005) << "the luminance was styled";
  // Without colour preservation, the style's colours come through: I and Q move.
  const Tensor plain_yiq = rgb_to_yiq(read_image(plain));
  double chroma_change = 0;
  for (int64_t p = n; p < 3 * n; ++p)
    chroma_change += std::abs(plain_yiq.data()[p] - content_yiq.data()[p]);
  EXPECT_GT(chroma_change / static_cast<double>(2 * n), 0.005);
}

TEST_F(Pictures, HistogramColoursRun) {
  const std::string out = dir_.file("out.png"), plain = dir_.file("plain.png");
  auto r = run_nst(run(out, "--preserve-colors histogram --style-weight 1e5"));
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_nst(run(plain, "--style-weight 1e5"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(testing::all_close(read_image(out), read_image(plain), 0, 0.01))
      << "recoloured styles make another picture";
}

struct Gif {
  explicit Gif(const std::string& path) {
    int error = 0;
    gif = DGifOpenFileName(path.c_str(), &error);
    if (gif != nullptr && DGifSlurp(gif) != GIF_OK) {
      DGifCloseFile(gif, nullptr);
      gif = nullptr;
    }
  }
  ~Gif() {
    if (gif != nullptr) DGifCloseFile(gif, nullptr);
  }
  // The mean difference, in 8-bit steps, between frame `i` and an image of its size.
  double difference(int i, const Tensor& image) const {
    const SavedImage& frame = gif->SavedImages[i];
    const int64_t n = image.numel() / 3;
    double sum = 0;
    for (int64_t p = 0; p < n; ++p) {
      const GifColorType c = frame.ImageDesc.ColorMap->Colors[frame.RasterBits[p]];
      const int rgb[3] = {c.Red, c.Green, c.Blue};
      for (int k = 0; k < 3; ++k) sum += std::abs(rgb[k] - 255.0 * image.data()[k * n + p]);
    }
    return sum / static_cast<double>(3 * n);
  }
  GifFileType* gif = nullptr;
};

TEST_F(Pictures, TheAnimationGoesFromTheStartToTheResult) {
  const std::string out = dir_.file("out.png"), gif_path = dir_.file("run.gif");
  auto r = run_nst(run(out, "--animation " + gif_path + " --animation-every 4 --style-weight 1e5"));
  ASSERT_EQ(r.code, 0) << r.err;
  const Gif gif(gif_path);
  ASSERT_NE(gif.gif, nullptr);
  EXPECT_EQ(gif.gif->SWidth, 32);
  EXPECT_EQ(gif.gif->SHeight, 27);
  ASSERT_EQ(gif.gif->ImageCount, 4);  // iterations 0, 4, 8 and 12
  const Tensor start = resize_image(read_image(content_), {32, 27}), result = read_image(out);
  // Random pixels take 256 colours less well than a painting does: a few 8-bit steps off, and
  // much nearer the picture each frame came from than the other.
  EXPECT_LT(gif.difference(0, start), 5.0);
  EXPECT_LT(gif.difference(3, result), 5.0);
  EXPECT_LT(2 * gif.difference(0, start), gif.difference(0, result));
  EXPECT_LT(2 * gif.difference(3, result), gif.difference(3, start));

  // About 50 frames by default: 12 iterations give one a frame, and the start.
  r = run_nst(run(dir_.file("b.png"), "--animation " + dir_.file("b.gif")));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Gif(dir_.file("b.gif")).gif->ImageCount, 13);
  // Several scales: every frame at the output's size.
  r = run_nst(
      run(dir_.file("c.png"),
          "--scales 2 --coarse-iterations 3 --animation-every 5 --animation " + dir_.file("c.gif"),
          64));
  ASSERT_EQ(r.code, 0) << r.err;
  const Gif scaled(dir_.file("c.gif"));
  ASSERT_NE(scaled.gif, nullptr);
  EXPECT_EQ(scaled.gif->SWidth, 64);
  EXPECT_EQ(scaled.gif->ImageCount, 4);  // iterations 0, 5, 10 and 15, the result
}

// --bit-depth 16 writes 16-bit PNGs (the output and its snapshots); a JPEG stays 8-bit, with a
// note. Byte 24 of a PNG is its bit depth (the signature, then IHDR's length, name and sides).
TEST_F(Pictures, SixteenBitPngForPrints) {
  const std::string out = dir_.file("out.png");
  auto r = run_nst(run(out, "--bit-depth 16 --save-every 6"));
  ASSERT_EQ(r.code, 0) << r.err;
  for (const std::string& png : {out, dir_.file("out_06.png")})
    EXPECT_EQ(static_cast<int>(testing::read_bytes(png).at(24)), 16) << png;
  EXPECT_EQ(image_size(read_image(out)).width, 32);
  r = run_nst(run(dir_.file("out8.png")));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(static_cast<int>(testing::read_bytes(dir_.file("out8.png")).at(24)), 8);
  r = run_nst(run(dir_.file("out.jpg"), "--bit-depth 16"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("note: --bit-depth 16 is for PNG; " + dir_.file("out.jpg") +
                       " is a JPEG, written with 8 bits per channel"),
            std::string::npos)
      << r.err;
}

TEST_F(Pictures, BadValuesAreRefusedBeforeAnyWork) {
  const std::string out = dir_.file("out.png");
  const std::string taken = dir_.file("taken.gif");
  std::ofstream(taken) << "mine";
  const std::string gif_named_content = dir_.file("photo.gif");
  std::filesystem::copy_file(content_, gif_named_content);  // read by its bytes, not its name
  const std::pair<std::string, std::string> cases[] = {
      {run(out, "--preserve-colors sepia"),
       "--preserve-colors must be none, luminance or histogram, got 'sepia'"},
      {run(out, "--scales 0"), "--scales must be auto or a whole number of at least 1, got 0"},
      {run(out, "--scales many"), "--scales: 'many' is not a whole number"},
      {run(out, "--scales 17"), "--scales must be at most 16, got 17"},
      {run(out, "--scales 12"), "--scales 12 starts at a size where a picture is 0 pixels"},
      {run(out, "--scales 3 --coarse-iterations 2000000000"), "iterations in all, more than"},
      {run(out, "--coarse-iterations 0"), "--coarse-iterations must be at least 1, got 0"},
      {"stylize --content " + content_ + " --style " + style_ + " --output " + out +
           " --size 32 --weights random:3 --scales 2",
       "--scales 2 starts at a size where a picture is 13 pixels on its short side; the deepest "
       "layer used needs at least 16"},
      {run(out, "--animation " + dir_.file("run.png")), "give it a .gif name"},
      {run(out, "--bit-depth 12"), "--bit-depth must be 8 or 16, got '12'"},
      {run(out, "--animation " + taken), "--animation " + taken + " already exists"},
      {"stylize --content " + gif_named_content + " --style " + style_ + " --output " + out +
           " --size 32 --weights random:3 --animation " + gif_named_content,
       "is also an input"},
      {run(out, "--animation-every 5"), "--animation-every sets the frames of --animation"},
      {run(out, "--animation " + dir_.file("a.gif") + " --animation-every -1"),
       "--animation-every must be at least 0"},
  };
  for (const auto& [args, message] : cases) {
    const auto r = run_nst(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << args << "\n" << r.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << args;
    EXPECT_FALSE(std::filesystem::exists(dir_.file("a.gif"))) << args;
  }
  EXPECT_EQ(testing::read_bytes(taken), "mine");
}

}  // namespace
}  // namespace nst
