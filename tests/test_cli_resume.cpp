// Runs that survive: Ctrl-C or SIGTERM writes the picture so far, the loss log and a resume
// file; `--resume` continues the run to the same picture, loss log and animation, byte for
// byte, as a run never interrupted; a second signal stops at once without leaving files
// behind; checkpoints survive kill -9; and a continued run refuses inputs that changed.
// A resume file may come from anyone: crafted ones cannot make a run write anywhere but beside
// the file, replace a file that is not the run's own, or lift the user's limits.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <limits>
#include <regex>

#include "files/sha256.h"
#include "nst/image.h"
#include "nst/resume.h"
#include "tests/cli_runner.h"
#include "tests/test_util.h"
#include "weights/safetensors.h"

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
  // Long enough to be interrupted (a few hundred milliseconds at the least), small enough for CI;
  // every iteration runs (--tolerance 0), so that the runs' lengths are known.
  std::string run(const std::string& name, const std::string& extra = "") const {
    return "stylize --content " + content_ + " --style " + style_ + " --output " +
           dir_.file(name + ".png") + " --loss-log " + dir_.file(name + ".csv") + " --animation " +
           dir_.file(name + ".gif") +
           " --animation-every 10 --size 48 --iterations 300 --tolerance 0 --weights random:3 "
           "--threads 2 "
           "--tv-weight 1e-3 "
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
    EXPECT_EQ(read_bytes(dir_.file(name + ".gif")), read_bytes(dir_.file("whole.gif")))
        << "the continued animation keeps the frames from before the interruption";
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
  // Up to 5 minutes: under the sanitizers on a loaded machine the targets alone took over 60 s.
  ASSERT_TRUE(wait_for(
      [&] { return read_bytes(dir_.file("b.err")).find("iteration 1/") != std::string::npos; },
      300));
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

// A run stopped at iteration 20 or so, its resume file read back for crafting.
class CraftedResume : public Resume {
 protected:
  CraftedResume() {
    EXPECT_EQ(interrupt("b", "--save-every 20", "b_020.png", SIGINT), 130);
    saved_ = read_resume_file(dir_.file("b.png.nstresume"));
  }
  // Writes `resume` as `folder`/`name` (folder created) and returns its path.
  std::string craft(const ResumeFile& resume, const std::string& folder,
                    const std::string& name = "run.png.nstresume") const {
    fs::create_directories(dir_.file(folder));
    const std::string path = dir_.file(folder + "/" + name);
    write_resume_file(path, resume);
    return path;
  }
  static void set_extra(ResumeFile& resume, const std::string& key, const std::string& value) {
    for (auto& [k, v] : resume.extra) {
      if (k == key) v = value;
    }
  }
  ResumeFile saved_;
};

TEST_F(CraftedResume, OutputsAreDerivedFromTheFileNeverFromPathsInside) {
  // A victim's files elsewhere, named by the crafted file (as version-2 files once did).
  const std::string victim = dir_.file("victim");
  fs::create_directories(victim);
  dir_.write("victim/photo.png", "the user's photo");
  dir_.write("victim/notes.csv", "the user's notes");
  ResumeFile evil = saved_;
  evil.extra.emplace_back("output", victim + "/photo.png");
  set_extra(evil, "loss_log", victim + "/notes.csv");
  set_extra(evil, "animation", victim + "/../victim/anim.gif");
  const std::string path = craft(evil, "inbox");
  const auto r = run_nst("stylize --resume " + path + " --quiet");
  ASSERT_EQ(r.code, 0) << r.err;
  // The destinations are said even with --quiet, and they are all beside the resume file.
  EXPECT_NE(r.err.find("writes " + dir_.file("inbox/run.png") + ", " +
                       dir_.file("inbox/notes.csv") + ", " + dir_.file("inbox/anim.gif")),
            std::string::npos)
      << r.err;
  EXPECT_EQ(read_bytes(victim + "/photo.png"), "the user's photo");
  EXPECT_EQ(read_bytes(victim + "/notes.csv"), "the user's notes");
  EXPECT_FALSE(fs::exists(victim + "/anim.gif"));
  EXPECT_EQ(image_size(read_image(dir_.file("inbox/run.png"))).width, 48);
  EXPECT_TRUE(fs::exists(dir_.file("inbox/notes.csv")));
}

TEST_F(CraftedResume, AFileThatIsNotTheRunsOwnIsNeverReplaced) {
  // The resume file received beside a photo of the same name as its output.
  fs::create_directories(dir_.file("photos"));
  dir_.write("photos/b.png", "the user's photo");
  fs::copy_file(dir_.file("b.png.nstresume"), dir_.file("photos/b.png.nstresume"));
  auto r = run_nst("stylize --resume " + dir_.file("photos/b.png.nstresume"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--output " + dir_.file("photos/b.png") +
                       " already exists, and the resume file does not show it as this run's own"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(read_bytes(dir_.file("photos/b.png")), "the user's photo");
  // A loss log it would write beside it, of a name the user has, likewise.
  fs::remove(dir_.file("photos/b.png"));
  dir_.write("photos/b.csv", "the user's table");
  r = run_nst("stylize --resume " + dir_.file("photos/b.png.nstresume"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--loss-log " + dir_.file("photos/b.csv") + " already exists"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(read_bytes(dir_.file("photos/b.csv")), "the user's table");
  // Its own outputs (recorded by their SHA-256 when the file was written) it replaces.
  r = run_nst("stylize --resume " + dir_.file("b.png.nstresume"));
  EXPECT_EQ(r.code, 0) << r.err;
  // And with --overwrite, the user's say, anything of those names.
  r = run_nst("stylize --resume " + dir_.file("photos/b.png.nstresume") + " --overwrite");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(read_bytes(dir_.file("photos/b.csv")), "the user's table");
}

TEST_F(CraftedResume, SavedNamesAreCheckedAsAFreshRunsOutputsAre) {
  ResumeFile evil = saved_;
  set_extra(evil, "loss_log", "/home/someone/.bashrc");
  auto r = run_nst("stylize --resume " + craft(evil, "a"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("the run's loss log was named '.bashrc', not a .csv name; give --loss-log"),
            std::string::npos)
      << r.err;
  evil = saved_;
  set_extra(evil, "animation", "..");
  r = run_nst("stylize --resume " + craft(evil, "b"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("a damaged animation name"), std::string::npos) << r.err;
  // A run may not write over one of its inputs, whatever the file says.
  evil = saved_;
  set_extra(evil, "loss_log", "style.csv");
  r = run_nst("stylize --resume " + dir_.file("b.png.nstresume") + " --output " + style_);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--output " + style_ + " is also an input"), std::string::npos) << r.err;
  // A file not named OUT.nstresume gives no output name: the user gives one.
  fs::copy_file(dir_.file("b.png.nstresume"), dir_.file("saved-run"));
  r = run_nst("stylize --resume " + dir_.file("saved-run"));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("does not end in .nstresume; give --output"), std::string::npos) << r.err;
  r = run_nst("stylize --resume " + dir_.file("saved-run") + " --output " + dir_.file("c.jpg"));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir_.file("c.jpg")));
  EXPECT_NE(r.err.find("writes " + dir_.file("c.jpg") + ", " + dir_.file("b.csv")),
            std::string::npos)
      << "the loss log keeps its name, beside the output: " << r.err;
  EXPECT_TRUE(fs::exists(dir_.file("saved-run"))) << "the resume file continued is the user's";
}

TEST_F(CraftedResume, LimitsComeFromTheCommandLineNeverFromTheFile) {
  // A file asking for 100000 threads and no pixel limit runs with the user's defaults.
  ResumeFile evil = saved_;
  evil.settings.threads = 100000;
  evil.settings.max_pixels = 0;
  evil.settings.max_memory = int64_t{1} << 50;
  const std::string path = craft(evil, "threads");
  auto r = run_nst("stylize --resume " + path + " --threads 2");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("on 2 thread(s)"), std::string::npos) << r.err;
  // The user's own limits hold: the 48x40 content is over 100 pixels.
  r = run_nst("stylize --resume " + craft(evil, "pixels") + " --max-pixels 100");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--max-pixels"), std::string::npos) << r.err;
  // A file asking for a 16000-pixel picture is refused by the default memory limit before any
  // work (its own huge limit is not used).
  evil.settings.size = 16000;
  r = run_nst("stylize --resume " + craft(evil, "huge"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("--max-memory"), std::string::npos) << r.err;
}

// A version-2 file, from before the JPEG quality was a setting, kept it among the command's
// options: a continued run still writes its JPEG at that quality. Its weights' fingerprint is
// that of their name ("random:3"; a file's bytes for a file), which still matches.
TEST_F(CraftedResume, AVersionTwoFileKeepsItsJpegQuality) {
  const SafetensorsFile file(dir_.file("b.png.nstresume"));
  NamedTensors tensors;
  for (const SafetensorsEntry& entry : file.entries())
    tensors.emplace_back(entry.name, file.load(entry));
  Metadata old;
  for (const auto& [key, value] : file.metadata()) {
    if (key == "settings.jpeg_quality") continue;
    if (key == "input.weights") {
      const std::string name = "random:3";
      EXPECT_NE(value, sha256_hex({reinterpret_cast<const uint8_t*>(name.data()), name.size()}));
      old.emplace_back(key,
                       sha256_hex({reinterpret_cast<const uint8_t*>(name.data()), name.size()}));
      continue;
    }
    old.emplace_back(key, key == "version" ? "2" : value);
  }
  old.emplace_back("extra.jpeg_quality", "7");
  const std::string path = dir_.file("old.jpg.nstresume");
  write_safetensors(path, tensors, old);
  const auto r = run_nst("stylize --resume " + path);
  ASSERT_EQ(r.code, 0) << r.err;
  // Quality 7 makes a file far smaller than the default 95 would.
  const auto small = read_bytes(dir_.file("old.jpg")).size();
  write_image(dir_.file("q95.jpg"), read_image(dir_.file("old.jpg")), {.jpeg_quality = 95});
  EXPECT_LT(small * 2, read_bytes(dir_.file("q95.jpg")).size());
}

TEST_F(CraftedResume, DamagedStateAndSettingsNameTheFile) {
  ResumeFile bad = saved_;
  bad.settings.iterations = 0;
  std::string path = craft(bad, "iterations");
  auto r = run_nst("stylize --resume " + path);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(path + ": a saved setting cannot work: settings.iterations"),
            std::string::npos)
      << r.err;
  bad = saved_;
  bad.state.scale = 7;
  path = craft(bad, "scale");
  r = run_nst("stylize --resume " + path);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(path + ": the saved run is at scale 8, but its settings give 1 scale"),
            std::string::npos)
      << r.err;
  bad = saved_;
  bad.state.adam.m = {saved_.state.adam.m[0].clone()};  // (tensors share storage when copied)
  bad.state.adam.m[0].values()[5] = std::numeric_limits<float>::quiet_NaN();
  path = craft(bad, "nan");
  r = run_nst("stylize --resume " + path);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(
      r.err.find(path + ": the resume file's tensor 'adam.m' holds values that are not finite"),
      std::string::npos)
      << r.err;
  bad = saved_;
  bad.state.image = testing::random_tensor(Shape{1, 3, 8, 8}, 4, 0.0f, 1.0f);
  path = craft(bad, "shape");
  r = run_nst("stylize --resume " + path);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(path + ": the saved image is"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace nst
