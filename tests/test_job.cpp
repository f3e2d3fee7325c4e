// The job API that the CLI and the service share: preparing a job from files or decoded
// images, messages that name settings the way each face spells them, and a run that an
// observer watches and can stop, on the job's own threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "files/sha256.h"
#include "nst/color.h"
#include "nst/image.h"
#include "nst/job.h"
#include "nst/resume.h"
#include "nst/run_recorder.h"
#include "tensor/aligned_buffer.h"
#include "tensor/threads.h"
#include "tests/temp_dir.h"
#include "tests/test_util.h"

namespace nst {
namespace {

using testing::all_close;
using testing::error_of;
using testing::random_tensor;
using testing::TempDir;

Tensor picture(int height, int width, uint64_t seed) {
  return random_tensor(Shape{1, 3, height, width}, seed, 0.0f, 1.0f);
}

// A job that runs in milliseconds: 32 pixels, shallow layers.
Job small_job() {
  Job job;
  job.content = ImageSource::image(picture(40, 48, 1), "the content");
  job.styles = {ImageSource::image(picture(40, 40, 2), "the style")};
  job.settings.size = 32;
  job.settings.iterations = 6;
  job.settings.content_layers = {"relu2_1"};
  job.settings.style_layers = {"relu1_1", "relu2_1"};
  return job;
}

nn::Vgg19 small_model() {
  nn::Vgg19 model;
  model.init_random(3);
  return model;
}

TEST(Job, PreparesFilesAndDecodedImagesAlike) {
  TempDir dir;
  Job from_files = small_job(), decoded = small_job();
  write_image(dir.file("content.png"), from_files.content.decoded);
  write_image(dir.file("style.png"), from_files.styles[0].decoded);
  from_files.content = ImageSource::file(dir.file("content.png"));
  from_files.styles = {ImageSource::file(dir.file("style.png"))};
  decoded.content.decoded = read_image(dir.file("content.png"));  // the same 8-bit values
  decoded.styles[0].decoded = read_image(dir.file("style.png"));
  const PreparedJob a = prepare(from_files), b = prepare(decoded);
  ASSERT_EQ(a.scales.size(), 1u);
  const PreparedScale &sa = a.final_scale(), &sb = b.final_scale();
  EXPECT_EQ(image_size(sa.content).width, 32);
  EXPECT_EQ(image_size(sa.content).height, 27);
  EXPECT_EQ(image_size(sa.styles[0]).width, 32);
  EXPECT_TRUE(all_close(sa.content, sb.content, 0, 0));
  EXPECT_TRUE(all_close(sa.styles[0], sb.styles[0], 0, 0));
  EXPECT_TRUE(all_close(a.initial(), sa.content, 0, 0));  // init = content
  EXPECT_TRUE(a.notes.empty());
  // Fingerprints of what was read: a file's bytes, a decoded image's floats.
  using Prints = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(a.fingerprints, (Prints{{"content", sha256_file(dir.file("content.png"))},
                                    {"style 1", sha256_file(dir.file("style.png"))}}));
  const auto floats = decoded.content.decoded.values();
  ASSERT_EQ(b.fingerprints.size(), 2u);
  EXPECT_EQ(b.fingerprints[0],
            (std::pair<std::string, std::string>{
                "content", sha256_hex({reinterpret_cast<const uint8_t*>(floats.data()),
                                       floats.size_bytes()})}));
}

TEST(Job, MessagesNameSettingsAsTheCallerSpellsThem) {
  Job job = small_job();
  job.settings.style_weight = -1;
  EXPECT_EQ(error_of([&] { prepare(job); }), "style_weight must not be negative, got -1");
  auto flags = [](std::string_view field) { return "--" + std::string(field); };
  EXPECT_EQ(error_of([&] { prepare(job, flags); }), "--style_weight must not be negative, got -1");
  try {
    prepare(job);
    FAIL() << "expected a SettingError";
  } catch (const SettingError& e) {
    EXPECT_EQ(e.field(), "style_weight");
  }

  job = small_job();
  job.settings.size = 64;  // the 48-pixel content is upscaled: a note says how to avoid it
  const PreparedJob prepared = prepare(job, flags);
  ASSERT_EQ(prepared.notes.size(), 1u);
  EXPECT_NE(prepared.notes[0].find("upscaling it to 64x53 (use --size 48"), std::string::npos)
      << prepared.notes[0];

  job = small_job();
  job.settings.style_layers = {"relu5_1"};  // needs 16 pixels; the content is 32x27 ...
  job.settings.style_scale = 0.25;          // ... but the style only 8x8
  EXPECT_EQ(error_of([&] { prepare(job); }),
            "the style is 8x8 at the working size; the deepest layer used needs at least 16 "
            "pixels on each side (raise size or style_scale, or use shallower layers)");
  job = small_job();
  job.settings.max_pixels = 1000;
  EXPECT_NE(error_of([&] { prepare(job); }).find("the content"), std::string::npos);
  job = small_job();
  job.settings.init = InitKind::image;
  EXPECT_EQ(error_of([&] { prepare(job); }),
            "init_image is required when the run starts from an image");
}

class StopAfter : public JobObserver {
 public:
  explicit StopAfter(int iterations) : stop_after_(iterations) {}
  void on_iteration(const IterationLosses& losses, const Tensor& image) override {
    seen.push_back(losses.iteration);
    rows.push_back(losses);
    last_image = image.clone();
    threads_seen = num_threads();
  }
  bool stop_requested() override { return static_cast<int>(seen.size()) >= stop_after_; }
  std::vector<int> seen;
  std::vector<IterationLosses> rows;
  Tensor last_image;
  int threads_seen = 0;

 private:
  int stop_after_;
};

TEST(Job, AnObserverSeesEveryIterationAndCanStopTheRun) {
  nn::Vgg19 model = small_model();
  const PreparedJob job = prepare(small_job());
  StopAfter observer(4);
  const JobResult result = run_job(job, model, &observer);
  EXPECT_TRUE(result.stopped);
  EXPECT_EQ(result.iterations, 4);
  EXPECT_EQ(observer.seen, (std::vector<int>{1, 2, 3, 4}));
  EXPECT_TRUE(all_close(result.image, observer.last_image, 0, 0)) << "the picture so far";

  StopAfter never(100);
  const JobResult whole = run_job(job, model, &never);
  EXPECT_FALSE(whole.stopped);
  EXPECT_EQ(whole.iterations, 6);
  // The stopped run is the start of the whole one: same arithmetic, same images.
  EXPECT_FALSE(all_close(whole.image, result.image, 0, 0));
}

TEST(Job, RunsOnItsOwnThreadsAndGivesItsMemoryBack) {
  nn::Vgg19 model = small_model();
  Job job = small_job();
  job.settings.threads = 1;
  StopAfter observer(100);
  const int outside = num_threads();
  run_job(prepare(job), model, &observer);
  EXPECT_EQ(observer.threads_seen, 1);
  EXPECT_EQ(num_threads(), outside);
  EXPECT_EQ(BlockReuseScope::cached_bytes(), 0u);
}

TEST(Job, RefusesAModelWithOtherPooling) {
  nn::Vgg19 model = small_model();  // max pooling
  Job job = small_job();
  job.settings.pooling = nn::Pooling::average;
  EXPECT_THROW(run_job(prepare(job), model), Error);
}

TEST(Job, LbfgsRunsOneEvaluationPerIteration) {
  nn::Vgg19 model = small_model();
  Job job = small_job();
  job.settings.optimizer = OptimizerKind::lbfgs;
  StopAfter observer(100);
  const JobResult result = run_job(prepare(job), model, &observer);
  EXPECT_EQ(observer.seen, (std::vector<int>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(result.iterations, 6);
  EXPECT_EQ(result.ending, "ran all 6 iterations (the cap) without converging");
  // The answer is the last image evaluated, clamped to [0, 1].
  Tensor clamped = observer.last_image.clone();
  for (float& v : clamped.values()) v = std::clamp(v, 0.0f, 1.0f);
  EXPECT_TRUE(all_close(result.image, clamped, 0, 0));
}

// A run stopped after 3 iterations, saved to a resume file, read back and continued, gives the
// same rows and picture, bit for bit, as the run that was never stopped.
// With two scales (4 coarse iterations, then 6), stopping after 3 leaves it in the coarse
// scale and stopping after 5 in the fine one.
TEST(Job, AStoppedRunContinuesExactlyFromItsResumeFile) {
  TempDir dir;
  nn::Vgg19 model = small_model();
  struct Case {
    OptimizerKind optimizer;
    int scales, stop_after;
  };
  for (const Case c : {Case{OptimizerKind::adam, 1, 3}, Case{OptimizerKind::lbfgs, 1, 3},
                       Case{OptimizerKind::adam, 2, 3}, Case{OptimizerKind::adam, 2, 5},
                       Case{OptimizerKind::lbfgs, 2, 5}}) {
    SCOPED_TRACE(std::string(optimizer_name(c.optimizer)) + ", " + std::to_string(c.scales) +
                 " scales, stopped after " + std::to_string(c.stop_after));
    Job job = small_job();
    job.settings.optimizer = c.optimizer;
    job.settings.tv_weight = 1e-3;
    job.settings.scales = c.scales;
    job.settings.coarse_iterations = 4;
    const PreparedJob prepared = prepare(job);
    ASSERT_EQ(static_cast<int>(prepared.scales.size()), c.scales);
    StopAfter whole_run(100), first_part(c.stop_after), second_part(100);
    const JobResult whole = run_job(prepared, model, &whole_run);
    const JobResult stopped = run_job(prepared, model, &first_part);
    ASSERT_TRUE(stopped.stopped);

    const std::string path = dir.file("run.nstresume");
    write_resume_file(path, {.settings = job.settings,
                             .state = stopped.state,
                             .rows = first_part.rows,
                             .fingerprints = prepared.fingerprints,
                             .extra = {{"note", "from the test"}}});
    const ResumeFile resume = read_resume_file(path);
    EXPECT_EQ(resume.settings.tv_weight, 1e-3);
    EXPECT_EQ(resume.settings.style_layers, job.settings.style_layers);
    EXPECT_EQ(resume.fingerprints, prepared.fingerprints);
    EXPECT_EQ(resume.extra[0].second, "from the test");
    const JobResult continued = run_job(prepare(job), model, &second_part, &resume.state);

    std::vector<IterationLosses> rows = resume.rows;
    rows.insert(rows.end(), second_part.rows.begin(), second_part.rows.end());
    ASSERT_EQ(rows.size(), whole_run.rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      EXPECT_EQ(rows[i].iteration, whole_run.rows[i].iteration);
      EXPECT_EQ(rows[i].scale, whole_run.rows[i].scale);
      EXPECT_EQ(rows[i].total, whole_run.rows[i].total) << "row " << i;  // exactly
      EXPECT_EQ(rows[i].tv, whole_run.rows[i].tv) << "row " << i;
    }
    EXPECT_EQ(continued.iterations, whole.iterations);
    EXPECT_TRUE(all_close(continued.image, whole.image, 0, 0));
  }
}

// Watches for converged scales too, and asks for a checkpoint after every iteration.
class ConvergenceLog : public StopAfter {
 public:
  using StopAfter::StopAfter;
  void on_converged(const Convergence& c) override {
    converged.push_back(c);
    converged_before_report.push_back(c.iteration == static_cast<int>(seen.size()) + 1);
  }
  bool checkpoint_due(int) override { return true; }
  void on_checkpoint(const RunState& state) override {
    checkpoints.push_back(state.earlier_iterations + state.iteration);
  }
  std::vector<Convergence> converged;
  std::vector<bool> converged_before_report;
  std::vector<int> checkpoints;
};

// With tolerance 1 only the rule's second test counts: a scale converges once its last window
// (2 iterations) gained under a twentieth of all it has gained, well before the 60 and 80
// iterations planned. Where, the whole run tells; a run stopped inside the fine scale and
// continued from its resume file stops at the same iteration (its rule remembers the scale's
// losses), with the same picture.
TEST(Job, AConvergedScaleHandsOverAndAContinuedRunStopsWhereTheWholeOneDid) {
  TempDir dir;
  nn::Vgg19 model = small_model();
  Job job = small_job();
  job.settings.scales = 2;
  job.settings.coarse_iterations = 60;
  job.settings.iterations = 80;
  job.settings.tolerance = 1;
  job.settings.tolerance_window = 2;
  const PreparedJob prepared = prepare(job);
  ConvergenceLog whole_run(1000);
  const JobResult whole = run_job(prepared, model, &whole_run);
  ASSERT_EQ(whole_run.converged.size(), 2u);
  const int coarse = whole_run.converged[0].iteration, end = whole_run.converged[1].iteration;
  EXPECT_EQ(whole_run.converged[0].scale, 1);
  EXPECT_GT(coarse, 2);
  EXPECT_LT(coarse, 60);
  EXPECT_EQ(whole_run.converged[0].total, coarse + 80);  // the fine scale still planned in full
  EXPECT_EQ(whole_run.converged[1].scale, 2);
  ASSERT_GT(end, coarse + 3);  // room to stop inside the fine scale below
  EXPECT_LT(end, coarse + 80);
  EXPECT_EQ(whole_run.converged[1].total, end);
  EXPECT_EQ(static_cast<int>(whole_run.seen.size()), end);
  EXPECT_EQ(whole_run.converged_before_report, (std::vector<bool>{true, true}));
  for (const int at : {coarse, end}) {  // no checkpoint at a scale's end, one everywhere else
    EXPECT_EQ(std::count(whole_run.checkpoints.begin(), whole_run.checkpoints.end(), at), 0);
  }
  EXPECT_EQ(static_cast<int>(whole_run.checkpoints.size()), end - 2);
  EXPECT_EQ(whole.iterations, end);
  const std::string said = "converged at iteration " + std::to_string(end) + ": the loss fell ";
  EXPECT_EQ(whole.ending.rfind(said, 0), 0u) << whole.ending;
  EXPECT_EQ(whole_run.rows[coarse].scale, 2);

  ConvergenceLog first_part(coarse + 2);  // two iterations into the fine scale
  const JobResult stopped = run_job(prepared, model, &first_part);
  ASSERT_TRUE(stopped.stopped);
  EXPECT_EQ(stopped.ending, "stopped at iteration " + std::to_string(coarse + 2));
  const std::string path = dir.file("run.nstresume");
  write_resume_file(path, {.settings = job.settings,
                           .state = stopped.state,
                           .rows = first_part.rows,
                           .fingerprints = prepared.fingerprints,
                           .extra = {}});
  const ResumeFile resume = read_resume_file(path);
  EXPECT_EQ(resume.settings.tolerance, 1);
  EXPECT_EQ(resume.state.scale_totals, stopped.state.scale_totals);
  ASSERT_EQ(resume.state.scale_totals.size(), 2u);
  EXPECT_EQ(prepared.total_iterations(resume.state), coarse + 80);
  ConvergenceLog second_part(1000);
  const JobResult continued = run_job(prepared, model, &second_part, &resume.state);
  ASSERT_FALSE(second_part.seen.empty());
  EXPECT_EQ(second_part.seen.front(), coarse + 3);
  EXPECT_EQ(continued.iterations, end);
  EXPECT_EQ(continued.ending, whole.ending);
  EXPECT_TRUE(all_close(continued.image, whole.image, 0, 0));
}

// The recorder keeps the rows, saves on the one rule both faces use, and its file continues the
// run: rows and state as they were at the save.
TEST(RunRecorder, SavesOnItsRuleAndItsFileContinuesTheRun) {
  TempDir dir;
  nn::Vgg19 model = small_model();
  Job job = small_job();
  job.settings.iterations = 10;
  const PreparedJob prepared = prepare(job);
  const int total = prepared.total_iterations();
  ASSERT_EQ(total, 10);
  const ResumeFile fresh{.settings = job.settings,
                         .state = {},
                         .rows = {},
                         .fingerprints = prepared.fingerprints,
                         .extra = {}};

  RunRecorder every_three(fresh, {.every_iterations = 3}, total);
  EXPECT_EQ(every_three.done_before(), 0);
  EXPECT_FALSE(every_three.checkpoint_due(2));
  EXPECT_TRUE(every_three.checkpoint_due(3));
  EXPECT_TRUE(every_three.checkpoint_due(6));
  // By time: at once with a zero interval, never within an hour; neither after the last
  // iteration, whose result comes next.
  RunRecorder at_once(fresh, {.every_iterations = 0, .every_seconds = 0}, total);
  EXPECT_TRUE(at_once.checkpoint_due(1));
  EXPECT_FALSE(at_once.checkpoint_due(total));
  RunRecorder every_total(fresh, {.every_iterations = total}, total);
  EXPECT_FALSE(every_total.checkpoint_due(total));
  RunRecorder hourly(fresh, {.every_iterations = 0, .every_seconds = 3600}, total);
  EXPECT_FALSE(hourly.checkpoint_due(1));

  // A run that saves at 3 and is stopped after 4: the file holds 3 rows and the state at 3.
  struct Saving : JobObserver {
    RunRecorder& recorder;
    std::string path;
    Saving(RunRecorder& r, std::string p) : recorder(r), path(std::move(p)) {}
    void on_iteration(const IterationLosses& losses, const Tensor&) override {
      recorder.add(losses);
    }
    bool stop_requested() override { return recorder.rows().size() == 4; }
    bool checkpoint_due(int iteration) override { return recorder.checkpoint_due(iteration); }
    void on_checkpoint(const RunState& state) override { recorder.save(path, state); }
  };
  const std::string path = dir.file("run.nstresume");
  Saving saving(every_three, path);
  ASSERT_TRUE(run_job(prepared, model, &saving).stopped);
  EXPECT_EQ(every_three.rows().size(), 4u);
  // Saved, the state is in the file only: the recorder holds no copy of the picture through the
  // run (three pictures' worth with Adam).
  EXPECT_FALSE(every_three.state().image.defined());
  EXPECT_TRUE(every_three.state().adam.m.empty());
  const ResumeFile saved = read_resume_file(path);
  ASSERT_EQ(saved.rows.size(), 3u);
  EXPECT_EQ(saved.rows[2].total, every_three.rows()[2].total);
  EXPECT_EQ(saved.state.earlier_iterations + saved.state.iteration, 3);
  EXPECT_EQ(saved.fingerprints, fresh.fingerprints);
  EXPECT_EQ(RunRecorder(saved, {}, total).done_before(), 3);
}

TEST(Job, ResumeFilesOfAnotherKindAreRefused) {
  TempDir dir;
  const std::string weights = dir.file("w.safetensors");
  write_safetensors(weights, {{"x", Tensor::zeros(Shape{2})}}, {});
  EXPECT_NE(error_of([&] { read_resume_file(weights); }).find("not an nst resume file"),
            std::string::npos);
  const std::string future = dir.file("future.nstresume");
  write_safetensors(future, {}, {{"format", "nst-resume"}, {"version", "99"}});
  EXPECT_NE(error_of([&] { read_resume_file(future); }).find("version 99"), std::string::npos);
  const std::string partial = dir.file("partial.nstresume");
  write_safetensors(partial, {}, {{"format", "nst-resume"}, {"version", "2"}});
  EXPECT_NE(error_of([&] { read_resume_file(partial); }).find("lacks 'settings.size'"),
            std::string::npos);
}

// Files from before scales and colour preservation (version 1) still continue: as what they
// were, single-scale runs without colour preservation.
// Copies the resume file `from` to `to` as an older nst wrote it: `edit` may change each
// metadata value, and drops the entry by returning false.
void rewrite_resume_file(const std::string& from, const std::string& to,
                         const std::function<bool(const std::string&, std::string&)>& edit) {
  const SafetensorsFile file(from);
  Metadata metadata;
  for (auto [key, value] : file.metadata()) {
    if (edit(key, value)) metadata.emplace_back(key, value);
  }
  NamedTensors tensors;
  for (const SafetensorsEntry& entry : file.entries())
    tensors.emplace_back(entry.name, file.load(entry));
  write_safetensors(to, tensors, metadata);
}

// Runs `job` for two iterations and saves it to `path` as this nst does; its loss rows.
std::vector<IterationLosses> save_two_iterations(const Job& job, const std::string& path) {
  nn::Vgg19 model = small_model();
  StopAfter first_part(2);
  const JobResult stopped = run_job(prepare(job), model, &first_part);
  write_resume_file(path, {.settings = job.settings,
                           .state = stopped.state,
                           .rows = first_part.rows,
                           .fingerprints = {},
                           .extra = {}});
  return first_part.rows;
}

// A run saved by version 3, before the tolerance existed, ran every iteration: continued, it
// still does, whatever today's default.
TEST(Job, VersionThreeResumeFilesRunEveryIteration) {
  TempDir dir;
  Job job = small_job();
  job.settings.tolerance = 0.5;
  const std::string path = dir.file("new.nstresume"), old = dir.file("old.nstresume");
  save_two_iterations(job, path);
  EXPECT_EQ(read_resume_file(path).settings.tolerance, 0.5);
  rewrite_resume_file(path, old, [](const std::string& key, std::string& value) {
    if (key == "version") value = "3";
    return !key.starts_with("settings.tolerance");  // not written then
  });
  const ResumeFile resume = read_resume_file(old);
  EXPECT_EQ(resume.settings.tolerance, 0);
  EXPECT_EQ(resume.settings.tolerance_window, JobSettings{}.tolerance_window);
  EXPECT_EQ(resume.state.scale_totals.size(), 2u);  // from its loss rows
}

// A run saved by version 4, before Adam's beta2 was a setting, used torch's 0.999: continued,
// it still does, whatever today's default.
TEST(Job, VersionFourResumeFilesKeepTorchsBeta2) {
  TempDir dir;
  Job job = small_job();
  job.settings.adam_beta2 = 0.5;
  const std::string path = dir.file("new.nstresume"), old = dir.file("old.nstresume");
  save_two_iterations(job, path);
  EXPECT_EQ(read_resume_file(path).settings.adam_beta2, 0.5);
  rewrite_resume_file(path, old, [](const std::string& key, std::string& value) {
    if (key == "version") value = "4";
    return key != "settings.adam_beta2";  // not written then
  });
  EXPECT_EQ(read_resume_file(old).settings.adam_beta2, 0.999);
}

TEST(Job, VersionOneResumeFilesAreSingleScaleRuns) {
  TempDir dir;
  const std::string path = dir.file("new.nstresume"), old = dir.file("old.nstresume");
  const std::vector<IterationLosses> saved = save_two_iterations(small_job(), path);
  // The same file as version 1 wrote it: no new fields, five values per loss row.
  rewrite_resume_file(path, old, [&](const std::string& key, std::string& value) {
    if (key == "version") value = "1";
    if (key == "rows") {
      std::string rows;
      for (const IterationLosses& r : saved) {
        char line[200];
        std::snprintf(line, sizeof line, "%d,%.17g,%.17g,%.17g,%.17g\n", r.iteration, r.total,
                      r.content, r.style, r.tv);
        rows += line;
      }
      value = rows;
    }
    return !(key.starts_with("settings.scales") || key.starts_with("settings.preserve_colors") ||
             key.starts_with("settings.coarse_iterations") || key == "state.scale" ||
             key == "state.earlier_iterations");
  });
  const ResumeFile resume = read_resume_file(old);
  EXPECT_EQ(resume.settings.scales, 1);
  EXPECT_EQ(resume.settings.preserve_colors, ColorMode::none);
  EXPECT_EQ(resume.state.scale, 0);
  ASSERT_EQ(resume.rows.size(), 2u);
  EXPECT_EQ(resume.rows[1].total, saved[1].total);
  EXPECT_EQ(resume.rows[1].scale, 1);
}

// Colour preservation as prepare() applies it: grey pictures with luminance colours (the
// style's luminance matched to the content's), recoloured styles with histogram colours, and
// the picture a user sees carries the content's chrominance.
TEST(Job, ColourPreservationPreparesThePictures) {
  Job job = small_job();
  job.settings.preserve_colors = ColorMode::luminance;
  const PreparedJob grey = prepare(job);
  const PreparedScale& scale = grey.final_scale();
  ASSERT_TRUE(scale.colors.defined());
  EXPECT_TRUE(all_close(scale.content, luminance_image(scale.colors), 1e-6, 1e-6));
  EXPECT_TRUE(all_close(grey.initial(), scale.content, 1e-6, 1e-6)) << "the start is grey too";
  const Tensor style_yiq = rgb_to_yiq(scale.styles[0]);
  const Tensor content_yiq = rgb_to_yiq(scale.content);
  auto mean_and_deviation = [](const Tensor& yiq) {
    const int64_t n = yiq.numel() / 3;
    double sum = 0, squares = 0;
    for (int64_t p = 0; p < n; ++p) sum += yiq.data()[p];
    const double mean = sum / static_cast<double>(n);
    for (int64_t p = 0; p < n; ++p) squares += std::pow(yiq.data()[p] - mean, 2);
    return std::pair{mean, std::sqrt(squares / static_cast<double>(n))};
  };
  EXPECT_NEAR(mean_and_deviation(style_yiq).first, mean_and_deviation(content_yiq).first, 1e-5);
  EXPECT_NEAR(mean_and_deviation(style_yiq).second, mean_and_deviation(content_yiq).second, 1e-5);
  // What a user sees: the optimised luminance with the content's I and Q, so the content's
  // own luminance gives back the content in colour.
  EXPECT_TRUE(all_close(grey.picture(scale.content, 0), scale.colors, 0, 2e-6));

  job.settings.preserve_colors = ColorMode::histogram;
  const PreparedJob recoloured = prepare(job);
  EXPECT_FALSE(recoloured.final_scale().colors.defined());
  EXPECT_TRUE(all_close(
      recoloured.final_scale().styles[0],
      match_colors(prepare(small_job()).final_scale().styles[0], recoloured.final_scale().content),
      0, 0));
}

}  // namespace
}  // namespace nst
