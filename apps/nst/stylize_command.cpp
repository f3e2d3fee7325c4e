#include "apps/nst/stylize_command.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>

#include "apps/nst/cli.h"
#include "apps/nst/interrupt.h"
#include "apps/nst/progress.h"
#include "apps/nst/stylize_options.h"
#include "apps/nst/stylize_resume.h"
#include "nst/image.h"
#include "nst/job.h"
#include "nst/memory.h"
#include "nst/resume.h"
#include "tensor/threads.h"
#include "weights/atomic_write.h"
#include "weights/locate.h"

namespace nst::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Without --checkpoint-every, a run is saved about this often.
constexpr auto kCheckpointInterval = std::chrono::seconds(60);

void write_loss_log(const std::string& path, const std::vector<IterationLosses>& rows) {
  write_file_atomically(path, [&](std::ostream& out) {
    out << "iteration,total,content,style,tv\n";
    char line[160];
    for (const IterationLosses& r : rows) {
      std::snprintf(line, sizeof line, "%d,%.9g,%.9g,%.9g,%.9g\n", r.iteration, r.total, r.content,
                    r.style, r.tv);
      out << line;
    }
  });
}

// What the command does while the job runs: the progress display, the loss-log rows, the
// snapshots of --save-every, the resume file at checkpoints, and stopping on a signal.
class CommandObserver : public JobObserver {
 public:
  CommandObserver(const StylizeOptions& o, ResumeFile& saved)
      : o_(o),
        saved_(saved),
        progress_(std::cerr, {.terminal = ::isatty(STDERR_FILENO) != 0,
                              .total = o.job.settings.iterations,
                              .already_done = saved.state.iteration,
                              .print_every = o.print_every,
                              .quiet = o.quiet}) {}

  void on_iteration(const IterationLosses& losses, const Tensor& image) override {
    saved_.rows.push_back(losses);
    progress_.update(losses);
    if (o_.save_every > 0 && losses.iteration % o_.save_every == 0) {
      write_image(snapshot_path(o_.output, losses.iteration, o_.job.settings.iterations), image,
                  o_.jpeg_quality, o_.overwrite);
    }
  }
  bool stop_requested() override { return InterruptGuard::signal_received() != 0; }
  void on_stage(const std::string& what) override {
    if (!o_.quiet) std::cerr << "nst: " << what << "\n";
  }
  bool checkpoint_due(int iteration) override {
    if (iteration >= o_.job.settings.iterations) return false;  // the output comes next
    if (o_.checkpoint_every > 0) return iteration % o_.checkpoint_every == 0;
    return Clock::now() - last_checkpoint_ >= kCheckpointInterval;
  }
  void on_checkpoint(const RunState& state) override {
    saved_.state = state;
    write_resume_file(resume_path(o_.output), saved_);
    last_checkpoint_ = Clock::now();
  }

  void finish() { progress_.finish(); }

 private:
  const StylizeOptions& o_;
  ResumeFile& saved_;  // what a resume file holds; its rows grow with the run
  Progress progress_;
  Clock::time_point last_checkpoint_ = Clock::now();
};

}  // namespace

int run_stylize_command(const std::vector<std::string>& args) {
  std::optional<StylizeOptions> parsed = parse_stylize_options(args);
  if (!parsed) return kExitOk;
  // A continued run takes everything from its file, and may replace its own earlier outputs.
  std::optional<ResumeFile> resumed;
  if (!parsed->resume.empty()) {
    const std::string file = parsed->resume;
    resumed = read_resume_file(file);
    const bool quiet = parsed->quiet;
    parsed = options_from_resume(*resumed, file);
    parsed->quiet = quiet;
    parsed->resume = file;
  }
  const StylizeOptions& o = *parsed;
  const JobSettings& settings = o.job.settings;
  // The process runs this one job: OpenBLAS's process-wide count follows it (tensor/threads.h).
  if (settings.threads > 0) set_blas_threads(settings.threads);
  const InterruptGuard interrupts;
  // Fail now, not after minutes of work, if the results cannot be written; and take their names,
  // so that a second run aimed at them fails now too.
  const bool replace = o.overwrite || resumed.has_value();
  OutputClaim output(o.output, replace);
  std::optional<OutputClaim> loss_log;
  if (!o.loss_log.empty()) loss_log.emplace(o.loss_log, replace);
  auto note = [&](const std::string& text) {
    if (!o.quiet) std::cerr << "nst: " << text << "\n";
  };

  note("reading the images");
  const PreparedJob prepared = prepare(o.job, flag_for_field);
  for (const std::string& text : prepared.notes) note("note: " + text);
  for (const std::string& text : o.notes) note("note: " + text);
  note("estimated peak memory " + format_bytes(prepared.memory.total()) + " (" +
       format_bytes(prepared.memory.work) + " for " + prepared.memory.phase + ")");
  note("loading the weights");
  const std::string weights = o.weights.empty() ? locate_weights() : o.weights;
  std::string weights_description;
  const auto model = load_vgg19_model(weights, settings.pooling, std::cerr, &weights_description);
  note("weights: " + weights_description);
  ResumeFile saved;
  if (resumed) {
    check_inputs_unchanged(*resumed, o, weights, o.resume);
    saved = *resumed;
    note("continuing " + o.resume + " from iteration " + std::to_string(saved.state.iteration));
  } else {
    saved = {.settings = settings,
             .state = {},
             .rows = {},
             .fingerprints = input_fingerprints(o, weights),
             .extra = command_extras(o, weights)};
  }
  const ImageSize size = image_size(prepared.content);
  note("content " + std::to_string(size.width) + "x" + std::to_string(size.height) + ", " +
       std::to_string(prepared.styles.size()) + " style image(s), " +
       std::to_string(settings.iterations) +
       (settings.optimizer == OptimizerKind::adam ? " Adam" : " L-BFGS") + " iterations on " +
       std::to_string(settings.threads > 0 ? settings.threads : num_threads()) + " thread(s)");

  CommandObserver observer(o, saved);
  const auto start = Clock::now();
  const JobResult result =
      run_job(prepared, *model, &observer, resumed ? &resumed->state : nullptr);
  observer.finish();
  write_image(o.output, result.image, o.jpeg_quality);
  output.done();
  if (loss_log) {
    write_loss_log(o.loss_log, saved.rows);
    loss_log->done();
  }
  if (result.stopped) {
    saved.state = result.state;
    write_resume_file(resume_path(o.output), saved);
    std::cerr << "nst: interrupted after iteration " << result.iterations << " of "
              << settings.iterations << "; wrote " << o.output
              << (o.loss_log.empty() ? "" : ", " + o.loss_log) << " and " << resume_path(o.output)
              << "\nnst: continue with: nst stylize --resume " << resume_path(o.output) << "\n";
    return InterruptGuard::exit_code(InterruptGuard::signal_received());
  }
  std::remove(resume_path(o.output).c_str());  // the run is complete: its checkpoints are stale
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const int done_here = result.iterations - (resumed ? resumed->state.iteration : 0);
  char summary[200];
  std::snprintf(summary, sizeof summary,
                "wrote %s (%dx%d): %d iterations in %.1f s, %.3f s per iteration", o.output.c_str(),
                size.width, size.height, done_here, seconds,
                done_here == 0 ? 0.0 : seconds / done_here);
  note(summary);
  return kExitOk;
}

}  // namespace nst::cli
