#include "apps/nst/stylize_command.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>

#include "apps/nst/cli.h"
#include "apps/nst/interrupt.h"
#include "apps/nst/progress.h"
#include "apps/nst/stylize_options.h"
#include "apps/nst/stylize_resume.h"
#include "files/atomic_write.h"
#include "nst/animation.h"
#include "nst/image.h"
#include "nst/job.h"
#include "nst/loss_log.h"
#include "nst/memory.h"
#include "nst/resize.h"
#include "nst/resume.h"
#include "nst/run_recorder.h"
#include "nst/settings.h"
#include "tensor/error.h"
#include "tensor/threads.h"
#include "weights/locate.h"

namespace nst::cli {
namespace {

using Clock = std::chrono::steady_clock;

// The display of a run, fresh or continued.
ProgressOptions progress_options(const StylizeOptions& o, const PreparedJob& prepared,
                                 const RunRecorder& recorder) {
  return {.terminal = ::isatty(STDERR_FILENO) != 0,
          .already_done = recorder.done_before(),
          .print_every = o.print_every,
          .quiet = o.quiet,
          .scales = scale_work(prepared, recorder),
          .may_converge = prepared.settings.tolerance > 0};
}

// What the command does while the job runs: the progress display, the snapshots of
// --save-every, the animation, and stopping on a signal; the run's record (its loss rows, its
// checkpoints) is the recorder's.
class CommandObserver : public JobObserver {
 public:
  // `own_animation`: the animation file holds the frames of the run continued (its resume file
  // recorded them).
  CommandObserver(const StylizeOptions& o, const PreparedJob& prepared, RunRecorder& recorder,
                  bool own_animation)
      : o_(o),
        recorder_(recorder),
        done_before_(recorder.done_before()),
        output_size_(image_size(prepared.final_scale().content)),
        scale_count_(static_cast<int>(prepared.scales.size())),
        progress_(std::cerr, progress_options(o, prepared, recorder)) {
    if (o.animation.empty()) return;
    animation_.emplace(animation_size(output_size_));
    if (done_before_ > 0) {
      // A continued run keeps the frames up to where it stands (frame k after k * every
      // iterations), so that its GIF is an uninterrupted run's.
      const int every = animation_interval(o);
      const int frames = done_before_ / every + 1;
      if (own_animation && animation_->continue_from(o.animation, frames)) {
        last_frame_ = (frames - 1) * every;
        return;
      }
      if (!o.quiet) {
        std::cerr << "nst: note: " << o.animation << " starts again at iteration " << done_before_
                  << ": the frames before it were not saved\n";
      }
    }
    // The first frame: the starting image, or where a continued run stands.
    const RunState& state = recorder.state();
    animation_->add(state.image.defined() ? prepared.picture(state.image, state.scale)
                                          : prepared.picture(prepared.initial(), 0));
  }

  void on_iteration(const IterationLosses& losses, const Tensor& picture) override {
    recorder_.add(losses);
    progress_.update(losses);
    if (o_.save_every > 0 && losses.iteration % o_.save_every == 0) {
      write_image(snapshot_path(o_.output, losses.iteration, planned_iterations(o_.job.settings)),
                  resize_image(picture, output_size_), o_.job.settings.encoding, o_.overwrite);
    }
    if (animation_ && losses.iteration % animation_interval(o_) == 0) {
      animation_->add(picture);
      last_frame_ = losses.iteration;
    }
  }
  void on_converged(const Convergence& c) override {
    progress_.converged(c.scale, c.iteration);
    if (o_.quiet || c.scale == scale_count_) return;  // the last: the closing line says it
    progress_.break_line();
    std::cerr << "nst: scale " << c.scale << " of " << scale_count_ << " " << c.reason << "\n";
  }
  bool stop_requested() override { return InterruptGuard::signal_received() != 0; }
  void on_stage(const std::string& what) override {
    if (o_.quiet) return;
    progress_.break_line();
    std::cerr << "nst: " << what << "\n";
  }
  bool checkpoint_due(int iteration) override { return recorder_.checkpoint_due(iteration); }
  void on_checkpoint(const RunState& state) override {
    if (animation_) animation_->save(o_.animation);  // the frames so far survive a kill
    record_written_outputs(recorder_.extra(), o_);
    recorder_.save(resume_path(o_.output), state);
  }

  // Ends the display, and the animation with the result as its last frame.
  void finish(const JobResult& result) {
    progress_.finish();
    if (!animation_) return;
    if (last_frame_ != result.iterations) animation_->add(result.image);
    animation_->finish(o_.animation);
  }

 private:
  const StylizeOptions& o_;
  RunRecorder& recorder_;
  int done_before_;        // iterations done before this process
  ImageSize output_size_;  // snapshots and frames of coarser scales are upscaled to it
  int scale_count_;
  Progress progress_;
  std::optional<AnimationRecorder> animation_;
  int last_frame_ = -1;  // the iteration of the animation's latest frame
};

// The run's outputs, claimed before any work: a run whose results cannot be written fails now,
// not after minutes, and a second run aimed at the same files fails at once too. A claim not
// done() when the run ends is removed.
struct ClaimedOutputs {
  ClaimedOutputs(const StylizeOptions& o, bool replace) : output(o.output, replace) {
    if (!o.loss_log.empty()) loss_log.emplace(o.loss_log, replace);
    if (!o.animation.empty()) animation.emplace(o.animation, replace);
  }
  OutputClaim output;
  std::optional<OutputClaim> loss_log, animation;
};

// What the command says on its way, unless --quiet.
struct Notes {
  bool quiet = false;
  void operator()(const std::string& text) const {
    if (!quiet) std::cerr << "nst: " << text << "\n";
  }
};

// The record of this run, for its resume file: a fresh one, or the continued run's so far.
ResumeFile run_record(const StylizeOptions& o, const PreparedJob& prepared, const nn::Module& model,
                      const std::string& weights, const std::optional<ResumeFile>& resumed) {
  ResumeFile saved{.settings = o.job.settings,
                   .state = {},
                   .rows = {},
                   .fingerprints = {},
                   .extra = command_extras(o, weights)};
  if (!resumed) {
    saved.fingerprints = input_fingerprints(prepared, model);
    return saved;
  }
  check_inputs_unchanged(*resumed, o, prepared, model, weights, o.resume);
  saved.fingerprints = resumed->fingerprints;
  saved.state = resumed->state;
  saved.rows = resumed->rows;
  return saved;
}

// "content 512x384, 1 style image(s), at most 550 Adam iterations on 2 thread(s); scales ...".
std::string run_description(const StylizeOptions& o, const PreparedJob& prepared) {
  const JobSettings& settings = prepared.settings;
  // Each scale's size, iterations, and tiles when it has several.
  auto tiles = [](const PreparedScale& scale) {
    return scale.tiles > 1 ? " in " + std::to_string(scale.tiles) + " tiles" : std::string();
  };
  std::string scales;
  for (const PreparedScale& scale : prepared.scales) {
    scales += (scales.empty() ? "" : ", ") + to_string(image_size(scale.content)) + " (" +
              std::to_string(scale.iterations) + tiles(scale) + ")";
  }
  std::string description =
      std::string(o.texture ? "texture " : "content ") +
      to_string(image_size(prepared.final_scale().content)) + ", " +
      std::to_string(prepared.final_scale().styles.size()) + " style image(s), " +
      (settings.tolerance > 0 ? "at most " : "") + std::to_string(prepared.total_iterations()) +
      (settings.optimizer == OptimizerKind::adam ? " Adam" : " L-BFGS") + " iterations on " +
      std::to_string(settings.threads > 0 ? settings.threads : num_threads()) + " thread(s)";
  if (prepared.scales.size() > 1) {
    description += "; scales " + scales;
  } else if (prepared.final_scale().tiles > 1) {
    description += ';';
    description += tiles(prepared.final_scale());
  }
  if (settings.keep_deep_tile_state && prepared.final_scale().tiles > 1)
    description += "; the tiles keep their layers from pool2 on between an iteration's passes";
  return description;
}

// A run stopped by a signal: its resume file, and how to continue (said even with --quiet).
void save_stopped_run(const StylizeOptions& o, RunRecorder& recorder, const JobResult& result,
                      int total) {
  record_written_outputs(recorder.extra(), o);
  recorder.save(resume_path(o.output), result.state);
  const int iterations = result.iterations;
  std::cerr << "nst: interrupted after iteration " << iterations << " of " << total << "; wrote "
            << o.output << (o.loss_log.empty() ? "" : ", " + o.loss_log)
            << (o.animation.empty() ? "" : ", " + o.animation) << " and " << resume_path(o.output)
            << "\nnst: continue with: nst stylize --resume " << resume_path(o.output) << "\n";
}

std::string run_summary(const std::string& output, ImageSize size, int iterations, double seconds) {
  char summary[200];
  std::snprintf(summary, sizeof summary,
                "wrote %s (%dx%d): %d iterations in %.1f s, %.3f s per iteration", output.c_str(),
                size.width, size.height, iterations, seconds,
                iterations == 0 ? 0.0 : seconds / iterations);
  return summary;
}

}  // namespace

int run_stylize_command(const std::vector<std::string>& args, const TextureCommand* texture) {
  const std::optional<StylizeOptions> parsed = parse_stylize_options(args, texture);
  if (!parsed) return kExitOk;
  if (parsed->resume.empty()) return run_stylize(*parsed, std::nullopt);
  // A continued run takes its job from the file, and everything it writes is checked here as a
  // fresh run's outputs are: a resume file may come from someone else.
  const std::string& file = parsed->resume;
  const ResumeFile resumed = read_resume_file(file);
  const StylizeOptions o = options_from_resume(resumed, file, *parsed);
  check_resumed_outputs(resumed, o);
  // Said even with --quiet: the user should know which files a run they did not set up writes.
  std::cerr << "nst: continuing " << file << ": writes " << destinations(o) << "\n";
  try {
    return run_stylize(o, resumed);
  } catch (const SettingError& e) {
    if (is_limit(e.field())) throw;  // the user's own option: a usage error
    fail(file, ": a saved setting cannot work: ", e.what());
  }
}

int run_stylize(const StylizeOptions& o, const std::optional<ResumeFile>& resumed) {
  const JobSettings& settings = o.job.settings;
  // The process runs this one job: OpenBLAS's process-wide count follows it (tensor/threads.h).
  if (settings.threads > 0) set_blas_threads(settings.threads);
  const InterruptGuard interrupts;
  ClaimedOutputs outputs(o, o.overwrite || resumed.has_value());
  const Notes note{o.quiet};

  note("reading the images");
  const PreparedJob prepared =
      prepare(o.job, resumed ? FieldNames(resumed_field_name) : FieldNames(flag_for_field));
  if (resumed) check_state_fits(resumed->state, prepared, o.resume);
  for (const std::string& text : prepared.notes) note("note: " + text);
  for (const std::string& text : o.notes) note("note: " + text);
  note("estimated peak memory " + format_bytes(prepared.memory.total()) + " (" +
       format_bytes(prepared.memory.work) + " for " + prepared.memory.phase + ")");
  note("loading the weights");
  const std::string weights = o.weights.empty() ? locate_weights() : o.weights;
  std::string weights_description;
  const auto model = load_vgg19_model(weights, settings.pooling, std::cerr, &weights_description);
  note("weights: " + weights_description);
  RunRecorder recorder(run_record(o, prepared, *model, weights, resumed),
                       {.every_iterations = o.checkpoint_every}, prepared.total_iterations());
  if (resumed)
    note("continuing " + o.resume + " from iteration " + std::to_string(recorder.done_before()));
  note(run_description(o, prepared));

  CommandObserver observer(o, prepared, recorder,
                           resumed && is_own_output(*resumed, "animation", o.animation));
  const auto start = Clock::now();
  const JobResult result =
      run_job(prepared, *model, &observer, resumed ? &resumed->state : nullptr);
  observer.finish(result);
  write_image(o.output, result.image, settings.encoding);
  outputs.output.done();
  if (outputs.loss_log) {
    write_loss_log(o.loss_log, recorder.rows(), prepared.scales.size() > 1, result.ending);
    outputs.loss_log->done();
  }
  if (outputs.animation) outputs.animation->done();
  if (result.stopped) {
    save_stopped_run(o, recorder, result, prepared.total_iterations());
    return InterruptGuard::exit_code(InterruptGuard::signal_received());
  }
  std::remove(resume_path(o.output).c_str());  // the run is complete: its checkpoints are stale
  const int done_here = result.iterations - recorder.done_before();
  note(run_summary(o.output, image_size(result.image), done_here,
                   std::chrono::duration<double>(Clock::now() - start).count()) +
       "; " + result.ending);
  return kExitOk;
}

}  // namespace nst::cli
