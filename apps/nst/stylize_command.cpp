#include "apps/nst/stylize_command.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "apps/nst/cli.h"
#include "apps/nst/progress.h"
#include "apps/nst/stylize_options.h"
#include "nst/image.h"
#include "nst/job.h"
#include "tensor/threads.h"
#include "weights/atomic_write.h"
#include "weights/locate.h"

namespace nst::cli {
namespace {

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

// What the command does while the job runs: the progress display, the loss-log rows and the
// snapshots of --save-every.
class CommandObserver : public JobObserver {
 public:
  explicit CommandObserver(const StylizeOptions& o)
      : o_(o),
        progress_(std::cerr, {.terminal = ::isatty(STDERR_FILENO) != 0,
                              .total = o.job.settings.iterations,
                              .print_every = o.print_every,
                              .quiet = o.quiet}) {}

  void on_iteration(const IterationLosses& losses, const Tensor& image) override {
    rows_.push_back(losses);
    progress_.update(losses);
    if (o_.save_every > 0 && losses.iteration % o_.save_every == 0) {
      write_image(snapshot_path(o_.output, losses.iteration, o_.job.settings.iterations), image,
                  o_.jpeg_quality, o_.overwrite);
    }
  }

  void on_stage(const std::string& what) override {
    if (!o_.quiet) std::cerr << "nst: " << what << "\n";
  }

  void finish() { progress_.finish(); }
  const std::vector<IterationLosses>& rows() const { return rows_; }

 private:
  const StylizeOptions& o_;
  Progress progress_;
  std::vector<IterationLosses> rows_;
};

}  // namespace

int run_stylize_command(const std::vector<std::string>& args) {
  const std::optional<StylizeOptions> parsed = parse_stylize_options(args);
  if (!parsed) return kExitOk;
  const StylizeOptions& o = *parsed;
  const JobSettings& settings = o.job.settings;
  // The process runs this one job: OpenBLAS's process-wide count follows it (tensor/threads.h).
  if (settings.threads > 0) set_blas_threads(settings.threads);
  // Fail now, not after minutes of work, if the results cannot be written; and take their names,
  // so that a second run aimed at them fails now too.
  OutputClaim output(o.output, o.overwrite);
  std::optional<OutputClaim> loss_log;
  if (!o.loss_log.empty()) loss_log.emplace(o.loss_log, o.overwrite);
  auto note = [&](const std::string& text) {
    if (!o.quiet) std::cerr << "nst: " << text << "\n";
  };

  note("reading the images");
  const PreparedJob prepared = prepare(o.job, flag_for_field);
  for (const std::string& text : prepared.notes) note("note: " + text);
  for (const std::string& text : o.notes) note("note: " + text);
  note("loading the weights");
  std::string weights_description;
  const auto model = load_vgg19_model(o.weights, settings.pooling, std::cerr, &weights_description);
  note("weights: " + weights_description);
  const ImageSize size = image_size(prepared.content);
  note("content " + std::to_string(size.width) + "x" + std::to_string(size.height) + ", " +
       std::to_string(prepared.styles.size()) + " style image(s), " +
       std::to_string(settings.iterations) +
       (settings.optimizer == OptimizerKind::adam ? " Adam" : " L-BFGS") + " iterations on " +
       std::to_string(settings.threads > 0 ? settings.threads : num_threads()) + " thread(s)");

  CommandObserver observer(o);
  const auto start = std::chrono::steady_clock::now();
  const JobResult result = run_job(prepared, *model, &observer);
  observer.finish();
  write_image(o.output, result.image, o.jpeg_quality);
  output.done();
  if (loss_log) {
    write_loss_log(o.loss_log, observer.rows());
    loss_log->done();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char summary[200];
  std::snprintf(summary, sizeof summary,
                "wrote %s (%dx%d): %d iterations in %.1f s, %.3f s per iteration", o.output.c_str(),
                size.width, size.height, result.iterations, seconds,
                result.iterations == 0 ? 0.0 : seconds / result.iterations);
  note(summary);
  return kExitOk;
}

}  // namespace nst::cli
