// `nst stylize --style-masks` and `--style-source-masks` end to end: white masks change
// nothing, masked runs and textures paint, in tiles too, bad masks are named with their option and
// file and leave nothing behind, and a masked run continues from its resume file exactly and
// refuses a mask that changed.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <sstream>

#include "nst/image.h"
#include "nst/resume.h"
#include "tests/cli_runner.h"
#include "tests/test_util.h"

namespace nst {
namespace {

using testing::read_bytes;
using testing::run_nst;

namespace fs = std::filesystem;

// A mask picture: white in columns [from, to), black elsewhere.
Tensor columns_picture(int height, int width, int from, int to) {
  Tensor picture = Tensor::zeros(Shape{1, 3, height, width});
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < height; ++y)
      for (int x = from; x < to; ++x) picture.data()[(c * height + y) * width + x] = 1.0f;
  return picture;
}

class Masks : public ::testing::Test {
 protected:
  Masks() {
    content_ = dir_.file("content.png");
    styles_ = dir_.file("style-a.png") + "," + dir_.file("style-b.png");
    write_image(content_, testing::random_tensor(Shape{1, 3, 40, 48}, 1, 0.0f, 1.0f));
    write_image(dir_.file("style-a.png"),
                testing::random_tensor(Shape{1, 3, 40, 40}, 2, 0.0f, 1.0f));
    write_image(dir_.file("style-b.png"),
                testing::random_tensor(Shape{1, 3, 30, 40}, 3, 0.0f, 0.5f));
    write_image(dir_.file("mask-white.png"), Tensor::full(Shape{1, 3, 40, 48}, 1.0f));
    write_image(dir_.file("mask-left.png"), columns_picture(40, 48, 0, 24));
    write_image(dir_.file("mask-right.png"), columns_picture(40, 48, 24, 48));
    write_image(dir_.file("mask-black.png"), Tensor::zeros(Shape{1, 3, 40, 48}));
    write_image(dir_.file("mask-tall.png"), Tensor::full(Shape{1, 3, 60, 20}, 1.0f));
  }
  std::string run(const std::string& name, const std::string& extra = "") const {
    return "stylize --content " + content_ + " --style " + styles_ + " --output " +
           dir_.file(name + ".png") + " --loss-log " + dir_.file(name + ".csv") +
           " --size 32 --iterations 12 --tolerance 0 --weights random:3 "
           "--content-layers relu2_1 --style-layers relu1_1,relu2_1 " +
           extra;
  }
  std::string file(const std::string& name) const { return dir_.file(name); }
  testing::TempDir dir_;
  std::string content_, styles_;
};

TEST_F(Masks, WhiteMasksGiveTheUnmaskedRunAndHalvesPaint) {
  const auto plain = run_nst(run("plain", "--style-blend 1,3"));
  ASSERT_EQ(plain.code, 0) << plain.err;
  const auto white =
      run_nst(run("white", "--style-blend 1,3 --style-masks " + file("mask-white.png") + ",- " +
                               "--style-source-masks -," + file("mask-white.png")));
  ASSERT_EQ(white.code, 0) << white.err;
  EXPECT_EQ(read_bytes(file("white.csv")), read_bytes(file("plain.csv")));
  EXPECT_TRUE(read_bytes(file("white.png")) == read_bytes(file("plain.png")));

  const auto halves = run_nst(
      run("halves", "--style-masks " + file("mask-left.png") + "," + file("mask-right.png")));
  ASSERT_EQ(halves.code, 0) << halves.err;
  EXPECT_NE(read_bytes(file("halves.csv")), read_bytes(file("plain.csv")));
  EXPECT_EQ(image_size(read_image(file("halves.png"))).width, 32);
}

// Tiled, with masks on the photo and on a painting: the loss log of the untiled run, row for
// row, up to float rounding (as nst/objective_tiled.cpp says, with im2col on both).
TEST_F(Masks, ATiledMaskedRunFollowsTheUntiledLossLog) {
  ::setenv("NST_CONV", "im2col", 1);
  std::vector<std::vector<std::string>> logs;
  for (const std::string tile_size : {"0", "16"}) {
    const auto r = run_nst(run("tiled" + tile_size,
                               "--size 48 --scales 2 --coarse-iterations 2 --iterations 3 "
                               "--style-masks " +
                                   file("mask-left.png") + "," + file("mask-right.png") +
                                   " --style-source-masks -," + file("mask-left.png") +
                                   " --tile-size " + tile_size));
    ASSERT_EQ(r.code, 0) << r.err;
    if (tile_size != "0") EXPECT_NE(r.err.find("tiles"), std::string::npos) << r.err;
    logs.push_back(testing::read_lines(file("tiled" + tile_size + ".csv")));
  }
  ::unsetenv("NST_CONV");
  ASSERT_EQ(logs[0].size(), 7u);  // the header, 5 iterations, the end
  ASSERT_EQ(logs[1].size(), logs[0].size());
  for (std::size_t i = 1; i <= 5; ++i) {
    std::stringstream whole(logs[0][i]), tiled(logs[1][i]);
    for (std::string a, b; std::getline(whole, a, ',') && std::getline(tiled, b, ',');) {
      EXPECT_NEAR(std::stod(b), std::stod(a), 1e-3 * std::abs(std::stod(a)) + 1e-12)
          << "row " << i << ": " << logs[1][i] << " against " << logs[0][i];
    }
  }
}

TEST_F(Masks, ATextureOfTwoPaintingsSideBySide) {
  const auto r = run_nst("texture --style " + styles_ + " --style-masks " + file("mask-left.png") +
                         "," + file("mask-right.png") + " --output " + file("t.png") +
                         " --size 48x40 --iterations 5 --weights random:3 "
                         "--style-layers relu1_1,relu2_1");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(image_size(read_image(file("t.png"))).height, 40);
}

TEST_F(Masks, BadMasksAreNamedAndNothingIsWritten) {
  const std::string notes = dir_.write("notes.png", "just text");
  const struct {
    std::string options, message;
    int code;
  } cases[] = {
      {"--style-masks " + file("mask-left.png"), "--style-masks: 1 mask for 2 styles", 2},
      {"--style-source-masks -,-,-", "--style-source-masks: 3 masks for 2 styles", 2},
      {"--style-masks " + file("mask-black.png") + ",-",
       "--style-masks: " + file("mask-black.png") +
           " is black everywhere, so style 1 would act "
           "nowhere",
       1},
      {"--style-source-masks -," + file("mask-black.png"), "style 2 would act nowhere", 1},
      {"--style-masks -," + notes, "--style-masks: " + notes + ": not a PNG or JPEG", 1},
      {"--style-masks -," + file("missing.png"),
       "--style-masks: " + file("missing.png") + ": no such file", 1},
  };
  for (const auto& c : cases) {
    const auto r = run_nst(run("out", c.options));
    EXPECT_EQ(r.code, c.code) << c.options << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.options << "\n" << r.err;
    EXPECT_FALSE(fs::exists(file("out.png"))) << c.options;
    EXPECT_FALSE(fs::exists(file("out.csv"))) << c.options;
  }
  // A mask is an input: no output may replace it.
  const auto onto_mask = run_nst("stylize --content " + content_ + " --style " + styles_ +
                                 " --style-masks -," + file("mask-left.png") + " --output " +
                                 file("mask-left.png") + " --overwrite --weights random:3");
  EXPECT_EQ(onto_mask.code, 2) << onto_mask.err;
  EXPECT_NE(onto_mask.err.find("is also an input"), std::string::npos) << onto_mask.err;
  // A mask of another shape is stretched, and said to be.
  const auto tall = run_nst(run("tall", "--style-masks " + file("mask-tall.png") + ",-"));
  ASSERT_EQ(tall.code, 0) << tall.err;
  EXPECT_NE(tall.err.find("--style-masks: " + file("mask-tall.png") +
                          " is 20x60; it is stretched to the content's 48x40"),
            std::string::npos)
      << tall.err;
}

TEST_F(Masks, AMaskedRunResumesExactlyAndRefusesAChangedMask) {
  const std::string masks = " --tv-weight 1e-3 --style-masks " + file("mask-left.png") + "," +
                            file("mask-right.png") + " --style-source-masks " +
                            file("mask-white.png") + ",-";
  const std::string long_run = run("b", "--iterations 300 --save-every 20" + masks);
  const pid_t pid = testing::start_nst(long_run, file("b.err"));
  ASSERT_TRUE(testing::wait_for([&] { return fs::exists(file("b_020.png")); }))
      << read_bytes(file("b.err"));
  ::kill(pid, SIGINT);
  ASSERT_EQ(testing::wait_nst(pid), 130) << read_bytes(file("b.err"));

  // The same run continued: byte for byte the uninterrupted one.
  const std::string saved = file("b.png.nstresume");
  fs::copy_file(saved, file("copy.nstresume"));
  const auto resumed = run_nst("stylize --resume " + saved);
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  const auto whole = run_nst(run("whole", "--iterations 300 --save-every 20" + masks));
  ASSERT_EQ(whole.code, 0) << whole.err;
  EXPECT_EQ(read_bytes(file("b.csv")), read_bytes(file("whole.csv")));
  EXPECT_TRUE(read_bytes(file("b.png")) == read_bytes(file("whole.png")));

  // A mask that changed since: refused, by its role and file.
  write_image(file("mask-right.png"), columns_picture(40, 48, 20, 48));
  const auto changed = run_nst("stylize --resume " + file("copy.nstresume") + " --output " +
                               file("c.png") + " --overwrite");
  EXPECT_EQ(changed.code, 1) << changed.err;
  EXPECT_NE(changed.err.find("the style mask 2 " + file("mask-right.png") + " has changed"),
            std::string::npos)
      << changed.err;

  // A crafted file whose masks do not pair with its styles: refused, naming the file.
  ResumeFile crafted = read_resume_file(file("copy.nstresume"));
  for (auto& [key, value] : crafted.extra) {
    if (key == "style_masks") value += "-\n";
  }
  write_resume_file(file("crafted.nstresume"), crafted);
  const auto damaged = run_nst("stylize --resume " + file("crafted.nstresume") + " --output " +
                               file("d.png") + " --overwrite");
  EXPECT_EQ(damaged.code, 1) << damaged.err;
  EXPECT_NE(damaged.err.find(file("crafted.nstresume") + ": damaged: 3 style_masks for 2 styles"),
            std::string::npos)
      << damaged.err;
}

}  // namespace
}  // namespace nst
