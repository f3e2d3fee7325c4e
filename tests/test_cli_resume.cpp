// Runs that survive: Ctrl-C or SIGTERM writes the picture so far, the loss log and a resume
// file; `--resume` continues the run to the same picture and loss log, byte for byte, as a run
// never interrupted; a second signal stops at once without leaving files behind; checkpoints
// survive kill -9; and a continued run refuses inputs that changed.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <regex>

#include "nst/image.h"
#include "tests/cli_runner.h"
#include "tests/test_util.h"

namespace nst {
namespace {

using testing::read_bytes;
using testing::run_nst;
using testing::start_nst;
using testing::wait_for;
using testing::wait_nst;

namespace fs = std::filesystem;

class Resume : public ::testing::Test {
 protected:
  Resume() {
    content_ = dir_.file("content.png");
    style_ = dir_.file("style.png");
    write_image(content_, testing::random_tensor(Shape{1, 3, 40, 48}, 1, 0.0f, 1.0f));
    write_image(style_, testing::random_tensor(Shape{1, 3, 40, 40}, 2, 0.0f, 1.0f));
  }
  // Long enough to be interrupted (a few hundred milliseconds at the least), small enough for CI.
  std::string run(const std::string& name, const std::string& extra = "") const {
    return "stylize --content " + content_ + " --style " + style_ + " --output " +
           dir_.file(name + ".png") + " --loss-log " + dir_.file(name + ".csv") +
           " --size 48 --iterations 300 --weights random:3 --threads 2 --tv-weight 1e-3 "
           "--content-layers relu2_1 --style-layers relu1_1,relu2_1 " +
           extra;
  }
  bool exists(const std::string& name) const { return fs::exists(dir_.file(name)); }
  // Interrupts `name`'s run with `signal` once its file `when` exists; returns the exit code.
  int interrupt(const std::string& name, const std::string& extra, const std::string& when,
                int signal) {
    const pid_t pid = start_nst(run(name, extra), dir_.file(name + ".err"));
    EXPECT_TRUE(wait_for([&] { return exists(when); })) << read_bytes(dir_.file(name + ".err"));
    ::kill(pid, signal);
    return wait_nst(pid);
  }
  void expect_same_as_uninterrupted(const std::string& name, const std::string& options = "") {
    const auto whole = run_nst(run("whole", options));
    ASSERT_EQ(whole.code, 0) << whole.err;
    EXPECT_EQ(read_bytes(dir_.file(name + ".csv")), read_bytes(dir_.file("whole.csv")));
    EXPECT_EQ(read_bytes(dir_.file(name + ".png")), read_bytes(dir_.file("whole.png")));
  }
  testing::TempDir dir_;
  std::string content_, style_;
};

TEST_F(Resume, CtrlCThenResumeGivesTheSamePictureAndLossLog) {
  const int code = interrupt("b", "--save-every 20", "b_020.png", SIGINT);
  const std::string err = read_bytes(dir_.file("b.err"));
  ASSERT_EQ(code, 130) << err;
  EXPECT_NE(err.find("continue with: nst stylize --resume " + dir_.file("b.png.nstresume")),
            std::string::npos)
      << err;
  // The picture so far and the rows so far are there, and nothing half-written.
  EXPECT_EQ(image_size(read_image(dir_.file("b.png"))).width, 48);
  const std::string rows = read_bytes(dir_.file("b.csv"));
  EXPECT_GT(std::count(rows.begin(), rows.end(), '\n'), 20);
  EXPECT_LT(std::count(rows.begin(), rows.end(), '\n'), 301) << "interrupted before the end";

  const auto resumed = run_nst("stylize --resume " + dir_.file("b.png.nstresume"));
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_FALSE(exists("b.png.nstresume")) << "a finished run removes its resume file";
  expect_same_as_uninterrupted("b", "--save-every 20");
  for (const auto& entry : fs::directory_iterator(dir_.file(""))) {
    EXPECT_EQ(entry.path().string().find(".tmp-"), std::string::npos) << entry.path();
  }
}

TEST_F(Resume, SigtermWithLbfgsAlsoResumesExactly) {
  ASSERT_EQ(interrupt("b", "--optimizer lbfgs --save-every 20", "b_020.png", SIGTERM), 143)
      << read_bytes(dir_.file("b.err"));
  const auto resumed = run_nst("stylize --resume " + dir_.file("b.png.nstresume"));
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  expect_same_as_uninterrupted("b", "--optimizer lbfgs --save-every 20");
}

TEST_F(Resume, CheckpointsSurviveKillDashNine) {
  ASSERT_EQ(interrupt("b", "--checkpoint-every 25", "b.png.nstresume", SIGKILL), 128 + SIGKILL);
  const auto resumed = run_nst("stylize --resume " + dir_.file("b.png.nstresume"));
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  // From the last checkpoint before the kill: a multiple of 25 (on a busy machine, maybe not 25).
  std::smatch from;
  ASSERT_TRUE(std::regex_search(resumed.err, from, std::regex("from iteration ([0-9]+)")))
      << resumed.err;
  EXPECT_EQ(std::stoi(from[1]) % 25, 0) << resumed.err;
  EXPECT_GT(std::stoi(from[1]), 0) << resumed.err;
  expect_same_as_uninterrupted("b", "--checkpoint-every 25");
}

TEST_F(Resume, ASecondSignalStopsAtOnceAndLeavesNothingHalfWritten) {
  // Bigger images, so that an iteration lasts long enough for both signals to land in it.
  const std::string args = run("b",
                               "--size 256 --style-layers relu1_1,relu2_1,relu3_1,relu4_1 "
                               "--print-every 1");
  const pid_t pid = start_nst(args, dir_.file("b.err"));
  ASSERT_TRUE(wait_for(
      [&] { return read_bytes(dir_.file("b.err")).find("iteration 1/") != std::string::npos; }));
  ::kill(pid, SIGINT);
  ::usleep(20'000);
  ::kill(pid, SIGINT);
  EXPECT_EQ(wait_nst(pid), 130);
  for (const auto& entry : fs::directory_iterator(dir_.file(""))) {
    const std::string name = entry.path().filename().string();
    EXPECT_FALSE(name.starts_with("b.png") || name.starts_with("b.csv") ||
                 name.find(".tmp-") != std::string::npos)
        << "left behind: " << name;
  }
}

TEST_F(Resume, ChangedInputsAndOtherOptionsAreRefused) {
  ASSERT_EQ(interrupt("b", "--save-every 20", "b_020.png", SIGINT), 130);
  const std::string saved = dir_.file("b.png.nstresume");
  auto r = run_nst("stylize --resume " + saved + " --size 64");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("leave out --size"), std::string::npos) << r.err;
  r = run_nst(run("b"));  // starting the same run again, without --resume
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("or continue its run with --resume " + saved), std::string::npos) << r.err;
  write_image(style_, testing::random_tensor(Shape{1, 3, 40, 40}, 9, 0.0f, 1.0f));
  r = run_nst("stylize --resume " + saved);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("the style 1 " + style_ + " has changed since the run was saved"),
            std::string::npos)
      << r.err;
  r = run_nst("stylize --resume " + content_);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(content_ + ": not an nst resume file (it is a PNG image)"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace nst
