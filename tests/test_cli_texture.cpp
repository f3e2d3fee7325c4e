// `nst texture` end to end with an untrained VGG19 at small sizes: a texture of the size asked,
// the photo's options refused, and an interrupted texture continued from its resume file.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>

#include "nst/image.h"
#include "tests/cli_runner.h"
#include "tests/test_util.h"

namespace nst {
namespace {

using testing::read_bytes;
using testing::run_nst;
using testing::TempDir;

class Texture : public ::testing::Test {
 protected:
  Texture() : style_(dir_.file("style.png")) {
    write_image(style_, testing::random_tensor(Shape{1, 3, 40, 40}, 2, 0.0f, 1.0f));
  }
  std::string run(const std::string& output, const std::string& extra) const {
    return "texture --style " + style_ + " --output " + output +
           " --weights random:3 --style-layers relu1_1,relu2_1 " + extra;
  }
  TempDir dir_;
  std::string style_;
};

TEST_F(Texture, PaintsATextureOfTheSizeAskedFromNoise) {
  const std::string out = dir_.file("out.png"), log = dir_.file("loss.csv");
  const auto r = run_nst(run(out, "--size 40x28 --iterations 20 --loss-log " + log));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("texture 40x28"), std::string::npos) << r.err;
  const ImageSize size = image_size(read_image(out));
  EXPECT_EQ(size.width, 40);
  EXPECT_EQ(size.height, 28);
  const auto rows = testing::read_lines(log);
  ASSERT_EQ(rows.size(), 22u);  // the header, 20 iterations, why the run ended
  // No photo: no content term, and the style loss falls from the noise it starts from. Adam's
  // first steps wobble (on another 40x40 noise style: 3.4e-6, 2.2e-6, 5.3e-6 in the first three
  // iterations, 6.6e-7 at the 20th), so the test looks at the 20th.
  EXPECT_TRUE(rows[1].find(",0,") != std::string::npos) << rows[1];
  const auto style = [](const std::string& row) {
    std::size_t at = 0;
    for (int comma = 0; comma < 3; ++comma) at = row.find(',', at) + 1;
    return std::stod(row.substr(at));
  };
  EXPECT_LT(style(rows[20]), style(rows[1]));
  // A square from one number.
  const auto square = run_nst(run(dir_.file("sq.png"), "--size 24 --iterations 2"));
  ASSERT_EQ(square.code, 0) << square.err;
  EXPECT_EQ(image_size(read_image(dir_.file("sq.png"))).width, 24);
  EXPECT_EQ(image_size(read_image(dir_.file("sq.png"))).height, 24);
}

TEST_F(Texture, ThePhotosOptionsAndBadSizesAreUsageErrors) {
  const std::string out = dir_.file("out.png");
  for (const std::string& extra :
       {std::string("--content ") + style_, std::string("--init noise"),
        std::string("--preserve-colors luminance"), std::string("--content-weight 2"),
        std::string("--content-layers relu2_1"), std::string("--size 0x5"),
        std::string("--size 40xa"), std::string("--size=")}) {
    const auto r = run_nst(run(out, extra + " --iterations 2"));
    EXPECT_EQ(r.code, 2) << extra << ": " << r.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << extra;
  }
  const auto help = run_nst("texture --help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--size WxH"), std::string::npos) << help.out;
}

TEST_F(Texture, AnInterruptedTextureContinuesFromItsResumeFile) {
  const std::string out = dir_.file("out.png"), log = dir_.file("loss.csv");
  const std::string err = dir_.file("err");
  const pid_t pid = testing::start_nst(
      run(out, "--size 32x24 --iterations 120 --tolerance 0 --print-every 1 --loss-log " + log),
      err);
  ASSERT_TRUE(testing::wait_for([&] {
    return read_bytes(err).find("iteration 3/") != std::string::npos;
  })) << read_bytes(err);
  ::kill(pid, SIGINT);
  EXPECT_EQ(testing::wait_nst(pid), 128 + SIGINT) << read_bytes(err);
  ASSERT_TRUE(std::filesystem::exists(out + ".nstresume")) << read_bytes(err);

  // Its only inputs are the style pictures: a copy of its resume file sent to someone still
  // cannot replace their files of the same names.
  std::filesystem::create_directories(dir_.file("theirs"));
  const std::string theirs = dir_.write("theirs/out.png", "their picture");
  std::filesystem::copy_file(out + ".nstresume", theirs + ".nstresume");
  auto refused = run_nst("texture --resume " + theirs + ".nstresume --quiet");
  EXPECT_EQ(refused.code, 2) << refused.err;
  EXPECT_EQ(read_bytes(theirs), "their picture");

  const auto r = run_nst("texture --resume " + out + ".nstresume --quiet");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(image_size(read_image(out)).width, 32);
  const std::vector<std::string> lines = testing::read_lines(log);
  EXPECT_EQ(lines.size(), 122u);  // the header, each iteration once, and why the run ended
  EXPECT_EQ(lines.back(), "# ran all 120 iterations");
  EXPECT_FALSE(std::filesystem::exists(out + ".nstresume"));
}

}  // namespace
}  // namespace nst
