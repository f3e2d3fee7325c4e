// `nst stylize` end to end: a small run with an untrained VGG19, and every kind of bad input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "nst/image.h"
#include "tests/cli_runner.h"
#include "tests/test_util.h"

namespace nst {
namespace {

using testing::run_nst;
using testing::TempDir;

class Stylize : public ::testing::Test {
 protected:
  Stylize() {
    content_ = dir_.file("content.png");
    style_ = dir_.file("style.jpg");
    write_image(content_, testing::random_tensor(Shape{1, 3, 40, 48}, 1, 0.0f, 1.0f));
    write_image(style_, testing::random_tensor(Shape{1, 3, 40, 40}, 2, 0.0f, 1.0f));
  }
  struct Run {
    std::string content, style, weights = "random:3", style_layers = "relu1_1,relu2_1";
    int size = 32;
  };
  // A run that takes well under a second: 32 pixels, shallow layers, random weights.
  std::string fast(const std::string& output, const std::string& extra = "") const {
    return command(Run{content_, style_}, output, extra);
  }
  std::string command(const Run& r, const std::string& output,
                      const std::string& extra = "") const {
    return "stylize --content " + r.content + " --style " + r.style + " --output " + output +
           " --size " + std::to_string(r.size) + " --iterations 12" +
           (r.weights.empty() ? "" : " --weights " + r.weights) +  // empty: the lookup order
           " --content-layers relu2_1 --style-layers " + r.style_layers + " " + extra;
  }
  TempDir dir_;
  std::string content_, style_;
};

// The defaults live in JobSettings; --help shows them, and README's table must say the same.
TEST(StylizeHelp, ReadmeShowsTheDefaultsThatHelpPrints) {
  const auto help = run_nst("stylize --help");
  ASSERT_EQ(help.code, 0);
  const std::string readme = testing::read_bytes(NST_README);
  // Each option's block of help text: "--name arg  description (default: VALUE)", wrapped.
  const std::regex option(R"(\n\s+(?:-\w, )?--([a-z-]+)(?: arg)?\s)");
  std::vector<std::pair<std::string, std::size_t>> starts;
  for (auto it = std::sregex_iterator(help.out.begin(), help.out.end(), option);
       it != std::sregex_iterator(); ++it) {
    starts.emplace_back((*it)[1], static_cast<std::size_t>(it->position()));
  }
  int checked = 0;
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const auto& [name, begin] = starts[i];
    const std::size_t end = i + 1 < starts.size() ? starts[i + 1].second : help.out.size();
    std::string block = help.out.substr(begin, end - begin);
    block = std::regex_replace(block, std::regex(R"(\s+)"), " ");
    std::smatch value;
    if (name == "weights" ||
        !std::regex_search(block, value, std::regex(R"(\(default: ([^)]*)\))")))
      continue;  // --weights describes a lookup order, not a value
    std::smatch row;
    // The option's cell may hold escaped pipes: `--optimizer adam\|lbfgs`.
    const std::regex readme_row(R"(\| `--)" + name + R"([ `](?:[^|\\]|\\.)*\| ([^|]*) \|)");
    ASSERT_TRUE(std::regex_search(readme, row, readme_row)) << "README has no row for --" << name;
    EXPECT_TRUE(row[1].str().starts_with(value[1].str()))
        << "--" << name << ": --help says " << value[1] << ", README says " << row[1];
    ++checked;
  }
  EXPECT_GE(checked, 15);
}

TEST_F(Stylize, SmallRunWritesTheImageAndALossLogThatFalls) {
  const std::string out = dir_.file("out.png"), log = dir_.file("loss.csv");
  const auto r = run_nst(fast(out, "--loss-log " + log + " --save-every 5 --tv-weight 0.001"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("UNTRAINED"), std::string::npos) << "random weights are announced";
  const ImageSize size = image_size(read_image(out));
  EXPECT_EQ(size.width, 32);
  EXPECT_EQ(size.height, 27);  // 48x40 scaled to a longest side of 32
  const auto rows = testing::read_lines(log);
  ASSERT_EQ(rows.size(), 14u);
  EXPECT_EQ(rows[0], "iteration,total,content,style,tv");
  EXPECT_EQ(rows[13], "# ran all 12 iterations (the cap) without converging");
  EXPECT_TRUE(rows[1].starts_with("1,"));
  EXPECT_TRUE(rows[12].starts_with("12,"));
  auto total = [](const std::string& row) { return std::stod(row.substr(row.find(',') + 1)); };
  EXPECT_LT(total(rows[12]), 0.7 * total(rows[1])) << rows[1] << " -> " << rows[12];
  EXPECT_TRUE(std::filesystem::exists(dir_.file("out_05.png")));
  EXPECT_TRUE(std::filesystem::exists(dir_.file("out_10.png")));
}

// A tiled run (--tile-size) follows the untiled run's loss log row for row: with shallow layers
// (a 4-pixel border) over two scales in 3 x 3 and 2 x 2 tiles, and with a relu5_1 (80 pixels,
// wider than the picture) in 2 x 2 tiles. The convolutions run as im2col, which sums each
// position in the same order in a tile and in the whole picture (tests/test_tiling.cpp);
// Adam's normalised steps still amplify the last bits of a near-zero gradient, seen at 4e-5
// relative by the fourth row, so rows may differ by 1e-3.
TEST_F(Stylize, ATiledRunFollowsTheUntiledLossLog) {
  ::setenv("NST_CONV", "im2col", 1);
  struct Case {
    std::string style_layers, options, tile_size;
    std::size_t rows;
  };
  for (const Case& c :
       {Case{"relu1_1,relu2_1", "--scales 2 --coarse-iterations 2 --iterations 3", "16", 5},
        Case{"relu1_1,relu3_1,relu5_1", "--scales 1 --iterations 2", "32", 2}}) {
    SCOPED_TRACE(c.style_layers);
    const Run run{content_, style_, "random:3", c.style_layers, 48};
    std::vector<std::vector<std::string>> logs;
    for (const std::string& tile_size : {std::string("0"), c.tile_size}) {
      const std::string log = dir_.file("loss.csv");
      const auto r = run_nst(command(run, dir_.file("out.png"),
                                     "--overwrite --tolerance 0 --loss-log " + log + " " +
                                         c.options + " --tile-size " + tile_size));
      ASSERT_EQ(r.code, 0) << r.err;
      logs.push_back(testing::read_lines(log));
    }
    ASSERT_EQ(logs[0].size(), c.rows + 2);  // the header and the end
    ASSERT_EQ(logs[1].size(), logs[0].size());
    for (std::size_t i = 1; i <= c.rows; ++i) {
      std::stringstream whole(logs[0][i]), tiled(logs[1][i]);
      for (std::string a, b; std::getline(whole, a, ',') && std::getline(tiled, b, ',');) {
        EXPECT_NEAR(std::stod(b), std::stod(a), 1e-3 * std::abs(std::stod(a)) + 1e-12)
            << "row " << i << ": " << logs[1][i] << " against " << logs[0][i];
      }
    }
    EXPECT_EQ(logs[1].back(), logs[0].back());
  }
  ::unsetenv("NST_CONV");
}

// With tolerance 1 a scale converges once its last window gained under a twentieth of all it
// gained (nst/convergence.h): well before the 100 and 200 iterations planned. The command says
// so on its way and at the end, and the loss log's last line too.
TEST_F(Stylize, ARunWithAToleranceStopsWhenItHasConvergedAndSaysWhy) {
  const std::string out = dir_.file("out.png"), log = dir_.file("loss.csv");
  const auto r = run_nst(fast(out,
                              "--scales 2 --coarse-iterations 100 --iterations 200 "
                              "--tolerance 1 --tolerance-window 2 --loss-log " +
                                  log));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("nst: scale 1 of 2 converged at iteration "), std::string::npos) << r.err;
  std::smatch end;
  ASSERT_TRUE(std::regex_search(
      r.err, end,
      std::regex(
          R"(; converged at iteration (\d+): the loss fell [^\n]* under the tolerance of 100%)")))
      << r.err;
  const int iterations = std::stoi(end[1]);
  EXPECT_LT(iterations, 300);
  EXPECT_NE(r.err.find(std::to_string(iterations) + " iterations in "), std::string::npos) << r.err;
  const auto rows = testing::read_lines(log);
  ASSERT_EQ(static_cast<int>(rows.size()), iterations + 2);  // the header and the end
  EXPECT_TRUE(rows[iterations].starts_with(std::to_string(iterations) + ",2,")) << rows[iterations];
  EXPECT_TRUE(rows.back().starts_with("# converged at iteration " + std::to_string(iterations)))
      << rows.back();
  EXPECT_EQ(image_size(read_image(out)).width, 32);

  for (const auto& [option, message] :
       {std::pair{"--tolerance -1", "--tolerance must not be negative, got -1"},
        {"--tolerance 2", "--tolerance must be at most 1, got 2"},
        {"--tolerance nan", "--tolerance"},
        {"--tolerance-window 0", "--tolerance-window must be at least 1, got 0"},
        {"--adam-beta2 1", "--adam-beta2 must be below 1, got 1"},
        {"--adam-beta2 -0.5", "--adam-beta2 must not be negative, got -0.5"}}) {
    const auto refused = run_nst(fast(dir_.file("refused.png"), option));
    EXPECT_EQ(refused.code, 2) << option << "\n" << refused.err;
    EXPECT_NE(refused.err.find(message), std::string::npos) << option << "\n" << refused.err;
  }
}

TEST_F(Stylize, LbfgsSeveralStylesAndJpegOutput) {
  const std::string out = dir_.file("out.jpg"), log = dir_.file("l.csv");
  const auto r = run_nst(command({content_, style_ + "," + content_}, out,
                                 "--optimizer lbfgs --style-blend 3,1 --init noise --seed 4 "
                                 "--pooling avg --loss-log " +
                                     log));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(image_size(read_image(out)).width, 32);
  const auto rows = testing::read_lines(log);
  EXPECT_GE(rows.size(), 3u);
  EXPECT_LE(rows.size(), 14u);  // at most one row per evaluation, and why the run ended
  EXPECT_TRUE(rows.back().starts_with("# ran all 12 iterations") ||
              rows.back().find("# L-BFGS converged at iteration ") == 0)
      << rows.back();
}

TEST_F(Stylize, UpscalingIsAnnounced) {
  const auto r =
      run_nst(command({content_, style_, "random:3", "relu1_1", 64}, dir_.file("big.png")));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("upscaling it to 64x53"), std::string::npos) << r.err;
}

TEST_F(Stylize, BadUsageIsExitCodeTwoAndNamesTheProblem) {
  const std::string out = dir_.file("out.png");
  const std::pair<std::string, std::string> cases[] = {
      {"stylize --style " + style_ + " --output " + out, "--content is required"},
      {fast(out, "--style-weight -1"), "--style-weight must not be negative"},
      {fast(out, "--iterations 0"), "--iterations must be at least 1"},
      {fast(out, "--style-layers relu1_1,relu9_9"),
       "unknown layer 'relu9_9'; valid layers: relu1_1, relu1_2"},
      {fast(out, "--style-blend 1,2"), "1 style image"},
      {fast(out, "--style-blend 1,x"), "'x' is not a number"},
      {fast(dir_.file("out.gif")), "unknown output format '.gif'"},
      {fast(out, "--pooling median"), "--pooling must be max or avg"},
      {fast(out, "--optimizer sgd"), "--optimizer must be adam or lbfgs"},
      {fast(out, "--jpeg-quality 101"), "--jpeg-quality"},
      {fast(out, "--png-compression 10"), "--png-compression must be at most 9, got 10"},
      {fast(out, "--content-weight 0 --style-weight 0"), "nothing to optimise"},
      {fast(out, "--no-such-flag"), "no-such-flag"},
  };
  for (const auto& [args, message] : cases) {
    const auto r = run_nst(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << args << "\n" << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST_F(Stylize, NothingAUserMadeIsOverwrittenUnasked) {
  const std::string out = dir_.file("keep.png");
  std::ofstream(out) << "precious";
  auto r = run_nst(fast(out));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("already exists; pass --overwrite"), std::string::npos) << r.err;
  EXPECT_EQ(testing::read_lines(out), std::vector<std::string>{"precious"});
  r = run_nst(fast(content_, "--overwrite"));  // the output would destroy the content photo
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("is also an input"), std::string::npos) << r.err;
  EXPECT_EQ(image_size(read_image(content_)).width, 48);
  r = run_nst(fast(out, "--overwrite"));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(image_size(read_image(out)).width, 32);
}

TEST_F(Stylize, RuntimeProblemsAreExitCodeOneWithNoOutput) {
  const std::string out = dir_.file("out.png");
  const std::string corrupt =
      dir_.write("corrupt.jpg", "\xff\xd8\xff\xe0 garbage that is not a JPEG stream");
  const std::string empty = dir_.write("empty.png", "");
  const std::string notes = dir_.write("notes.png", "just text");
  const std::string bad_weights = dir_.write("w.safetensors", "not weights at all, really not");
  const std::pair<std::string, std::string> cases[] = {
      {command({dir_.file("missing.png"), style_}, out), "missing.png: no such file"},
      {command({content_, corrupt}, out), "corrupt.jpg: corrupt JPEG"},
      {command({empty, style_}, out), "empty.png: the file is empty"},
      {command({notes, style_}, out), "notes.png: not a PNG or JPEG"},
      {fast(out, "--max-pixels 1000"), "over the limit of 1000"},
      {command({content_, style_, "random:3", "relu1_1", 20000}, out), "the working size (--size)"},
      {fast(dir_.file("no/such/folder/out.png")), "does not exist"},
      {command({content_, style_, bad_weights}, out), "w.safetensors"},
      {command({content_, style_, "random:3", "relu5_1", 16}, out), "needs at least 16 pixels"},
      // Read until memory ran out; a FIFO blocked forever.
      {command({"/dev/zero", style_}, out), "/dev/zero: not a regular file"},
      {command({content_, "/dev/urandom"}, out), "/dev/urandom: not a regular file"},
  };
  for (const auto& [args, message] : cases) {
    const auto r = run_nst(args);
    EXPECT_EQ(r.code, 1) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << args << "\n" << r.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << args;
  }
}

TEST_F(Stylize, OptionValuesAreCheckedAndNamed) {
  const std::string out = dir_.file("out.png");
  const std::pair<std::string, std::string> usage[] = {
      {fast(out, "--size abc"), "--size: 'abc' is not a whole number"},
      {fast(out, "--style-weight 1e4x"), "--style-weight: '1e4x' is not a number"},
      {fast(out, "--seed -3"), "--seed: '-3' is not a non-negative whole number"},
      {fast(out, "--iterations 99999999999"), "--iterations: '99999999999' is out of range"},
      {command({content_, style_, "random:3", "relu1_1,,relu2_1"}, out), "an empty entry"},
      {command({content_, style_, "random:3", "''"}, out), "--style-layers: names nothing"},
      {command({content_, style_ + ","}, out), "--style: an empty entry"},
      {command({content_, style_, "random:abc"}, out), "--weights random:abc: the seed"},
      {fast(out, "--style-weight 1e40"), "--style-weight is 1e+40, more than a float can hold"},
      {fast(out, "--style-weight nan"), "--style-weight is not a number (nan)"},
      {fast(out, "--adam-beta2 nan"), "--adam-beta2 is not a number (nan)"},
      {fast(out, "--tolerance -nan"), "--tolerance is not a number (-nan)"},
      {fast(out, "--threads 100000"), "--threads must be at most"},
      {fast(out, "--loss-log " + out), "--loss-log " + out + " is also what --output writes"},
      {fast(out, "--save-every 5 --loss-log " + dir_.file("out_05.png")),
       "is also what --loss-log writes"},
  };
  for (const auto& [args, message] : usage) {
    const auto r = run_nst(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << args << "\n" << r.err;
  }
  // Spaces around list entries are fine.
  const auto r = run_nst(command({content_, style_, "random:3", "'relu1_1, relu2_1'"}, out));
  EXPECT_EQ(r.code, 0) << r.err;
}

TEST_F(Stylize, DivergingLossesStopTheRunWithoutAPicture) {
  const std::string out = dir_.file("out.png");
  // Float holds the weight, but not the gradient it makes: the first step makes the image NaN.
  const auto r = run_nst(fast(out, "--tv-weight 3e38"));
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("iteration 2: the loss is no longer finite"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("lower --tv-weight or --learning-rate"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out)) << "no picture, not even an empty placeholder";
  // L-BFGS has no step size to lower: the advice names only the weight.
  const auto lbfgs = run_nst(fast(out, "--tv-weight 3e38 --optimizer lbfgs"));
  EXPECT_EQ(lbfgs.code, 1) << lbfgs.err;
  EXPECT_NE(lbfgs.err.find("; lower --tv-weight\n"), std::string::npos) << lbfgs.err;
}

TEST_F(Stylize, SaysWhatItDoesAndWhatOptionsDoNotDo) {
  const std::string wide = dir_.file("wide.png");
  write_image(wide, testing::random_tensor(Shape{1, 3, 10, 40}, 3, 0.0f, 1.0f));
  const auto r = run_nst(fast(dir_.file("out.png"),
                              "--optimizer lbfgs --learning-rate 0.5 "
                              "--init " +
                                  wide));
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* text :
       {"reading the images", "loading the weights", "computing the content and style targets",
        "--learning-rate is Adam's; L-BFGS takes unit steps",
        "wide.png is 40x10; it is stretched to the content's 32x27"}) {
    EXPECT_NE(r.err.find(text), std::string::npos) << text << "\n" << r.err;
  }
}

TEST_F(Stylize, RandomWeightsFromTheEnvironment) {
  ::setenv("NST_WEIGHTS", "random:5", 1);
  const auto r = run_nst(command({content_, style_, ""}, dir_.file("out.png")));
  ::unsetenv("NST_WEIGHTS");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("UNTRAINED VGG19 (random weights, seed 5)"), std::string::npos) << r.err;
}

// Of two runs started at once on the same output, the second fails at once and the first's
// picture is what remains.
TEST_F(Stylize, TwoRunsOnOneOutput) {
  const std::string out = dir_.file("out.png");
  const std::string first =
      std::string(NST_BINARY) + " " + fast(out, "--iterations 400 --tolerance 0 --quiet") + " 2> " +
      dir_.file("first.err") + "; echo $? > " + dir_.file("first.code") + " &";
  ASSERT_EQ(std::system(first.c_str()), 0);
  for (int i = 0; i < 500 && !std::filesystem::exists(out); ++i) ::usleep(10'000);
  ASSERT_TRUE(std::filesystem::exists(out)) << "the first run claims its output at once";
  const auto second = run_nst(fast(out));
  EXPECT_EQ(second.code, 2) << second.err;
  EXPECT_NE(second.err.find("already exists"), std::string::npos) << second.err;
  for (int i = 0; i < 6000 && testing::read_bytes(dir_.file("first.code")).empty(); ++i)
    ::usleep(10'000);
  EXPECT_EQ(testing::read_bytes(dir_.file("first.code")), "0\n")
      << testing::read_bytes(dir_.file("first.err"));
  EXPECT_EQ(image_size(read_image(out)).width, 32);
}

}  // namespace
}  // namespace nst
