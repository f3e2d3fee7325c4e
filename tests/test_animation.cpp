// The animation of a run (nst/animation.h), decoded back with giflib: the frame count, the
// size, each frame against the picture it came from, the constant delay and the looping.
#include <gif_lib.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>

#include "nst/animation.h"
#include "nst/resize.h"
#include "tests/temp_dir.h"
#include "tests/test_util.h"

namespace nst {
namespace {

using testing::error_of;
using testing::TempDir;

// A smooth picture (as style transfer makes them): few enough colours per region for 256.
Tensor smooth(int height, int width, float phase) {
  Tensor t(Shape{1, 3, height, width});
  const int64_t plane = int64_t{height} * width;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const float u = static_cast<float>(x) / static_cast<float>(width),
                  v = static_cast<float>(y) / static_cast<float>(height);
      t.data()[y * width + x] = 0.5f + 0.4f * std::sin(6.0f * u + phase);
      t.data()[plane + y * width + x] = v;
      t.data()[2 * plane + y * width + x] = 0.3f + 0.2f * std::cos(4.0f * v - phase);
    }
  }
  return t;
}

struct Decoded {
  std::unique_ptr<GifFileType, void (*)(GifFileType*)> gif{
      nullptr, [](GifFileType* g) { DGifCloseFile(g, nullptr); }};
};

Decoded decode(const std::string& path) {
  int error = 0;
  Decoded d;
  d.gif.reset(DGifOpenFileName(path.c_str(), &error));
  EXPECT_NE(d.gif, nullptr) << GifErrorString(error);
  if (d.gif) {
    EXPECT_EQ(DGifSlurp(d.gif.get()), GIF_OK) << GifErrorString(d.gif->Error);
  }
  return d;
}

// The largest and the mean difference, in 8-bit steps, between a frame and a picture.
std::pair<double, double> difference(const GifFileType* gif, int frame, const Tensor& picture) {
  const SavedImage& image = gif->SavedImages[frame];
  const ColorMapObject* map =
      image.ImageDesc.ColorMap != nullptr ? image.ImageDesc.ColorMap : gif->SColorMap;
  const int64_t plane = picture.dim(2) * picture.dim(3);
  double worst = 0, sum = 0;
  for (int64_t p = 0; p < plane; ++p) {
    const GifColorType c = map->Colors[image.RasterBits[p]];
    const int got[3] = {c.Red, c.Green, c.Blue};
    for (int k = 0; k < 3; ++k) {
      const double want = std::round(255.0 * picture.data()[k * plane + p]);
      const double d = std::abs(got[k] - want);
      worst = std::max(worst, d);
      sum += d;
    }
  }
  return {worst, sum / static_cast<double>(3 * plane)};
}

TEST(Animation, FramesDecodeBackToThePicturesTheyCameFrom) {
  TempDir dir;
  const std::string path = dir.file("run.gif");
  const Tensor first = smooth(30, 40, 0.0f), middle = smooth(15, 20, 1.0f),
               last = smooth(30, 40, 2.0f);
  AnimationRecorder recorder({40, 30});
  recorder.add(first);
  recorder.add(middle);  // a coarse scale's picture: upscaled to the animation's size
  recorder.add(last);
  EXPECT_EQ(recorder.frames(), 3);
  recorder.finish(path);

  const Decoded d = decode(path);
  ASSERT_NE(d.gif, nullptr);
  const GifFileType* gif = d.gif.get();
  EXPECT_EQ(gif->SWidth, 40);
  EXPECT_EQ(gif->SHeight, 30);
  ASSERT_EQ(gif->ImageCount, 3);
  bool loops = false;
  for (int i = 0; i < gif->ImageCount; ++i) {
    const SavedImage& frame = gif->SavedImages[i];
    EXPECT_EQ(frame.ImageDesc.Width, 40);
    EXPECT_EQ(frame.ImageDesc.Height, 30);
    GraphicsControlBlock control{};
    ASSERT_EQ(DGifSavedExtensionToGCB(d.gif.get(), i, &control), GIF_OK);
    EXPECT_EQ(control.DelayTime, kAnimationFrameDelay) << "frame " << i;
    for (int e = 0; e < frame.ExtensionBlockCount; ++e) {
      const ExtensionBlock& block = frame.ExtensionBlocks[e];
      if (block.Function == APPLICATION_EXT_FUNC_CODE && block.ByteCount == 11 &&
          std::string(reinterpret_cast<const char*>(block.Bytes), 11) == "NETSCAPE2.0") {
        loops = true;
      }
    }
  }
  EXPECT_TRUE(loops) << "the NETSCAPE2.0 loop extension";
  // The picture has 1200 colours on a smooth 2-D surface; 256 palette colours leave each pixel
  // about 2.6 8-bit steps off on average and 13 at worst (giflib's GifQuantizeBuffer: 5.3, 45).
  for (const auto& [frame, picture] :
       {std::pair{0, first}, {1, resize_image(middle, {40, 30})}, {2, last}}) {
    const auto [worst, mean] = difference(gif, frame, picture);
    EXPECT_LE(worst, 16) << "frame " << frame;
    EXPECT_LE(mean, 3.0) << "frame " << frame;
  }
  // Frames differ from the other pictures by far more: the comparison above can fail.
  EXPECT_GT(difference(gif, 0, last).second, 10);
}

TEST(Animation, IsWrittenWholeAndNeverOverAFileUnasked) {
  TempDir dir;
  const std::string path = dir.file("taken.gif");
  std::ofstream(path) << "mine";
  AnimationRecorder recorder({8, 8});
  recorder.add(smooth(8, 8, 0.0f));
  EXPECT_NE(error_of([&] { recorder.finish(path, /*replace=*/false); }).find("not replaced"),
            std::string::npos);
  EXPECT_EQ(testing::read_bytes(path), "mine");
  AnimationRecorder empty({8, 8});
  EXPECT_NE(error_of([&] { empty.finish(dir.file("none.gif")); }).find("at least one frame"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.file("none.gif")));
}

TEST(Animation, AboutFiftyFramesByDefault) {
  EXPECT_EQ(default_animation_every(500), 10);
  EXPECT_EQ(default_animation_every(700), 14);
  EXPECT_EQ(default_animation_every(20), 1);
}

TEST(Animation, FramesOfLargeOutputsAreShrunkTo1024Pixels) {
  EXPECT_EQ(to_string(animation_size({800, 600})), "800x600");
  EXPECT_EQ(to_string(animation_size({1024, 77})), "1024x77");
  EXPECT_EQ(to_string(animation_size({7680, 4320})), "1024x576");
  EXPECT_EQ(to_string(animation_size({3000, 4000})), "768x1024");
}

}  // namespace
}  // namespace nst
