#include "serve/job_runner.h"

#include <charconv>
#include <chrono>
#include <filesystem>

#include "nst/image.h"
#include "nst/loss_log.h"
#include "nst/resize.h"
#include "nst/resume.h"
#include "nst/run_pace.h"
#include "nst/run_recorder.h"
#include "serve/job_json.h"
#include "serve/request_text.h"
#include "tensor/error.h"

namespace nst::serve {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kProgressInterval = std::chrono::seconds(1);  // record and preview
// A preview is for a page to show: a huge picture's would take long to encode every second and
// to send, so it is shrunk to this longest side.
constexpr int kPreviewLongestSide = 1024;

std::string png_of(const Tensor& picture, const ImageEncoding& encoding = {}) {
  const std::vector<uint8_t> png = encode_image(picture, ImageFormat::png, encoding);
  return std::string(png.begin(), png.end());
}

std::string preview_of(const Tensor& picture) {
  return png_of(shrink_to_fit(picture, kPreviewLongestSide));
}

// What the job shows while it runs: events, progress and previews, and stopping when asked;
// its record (loss rows, checkpoints) is the recorder's, saved where the host keeps it. Each
// iteration's event says where the run stands in its scale as well as overall, and the time
// left with each scale's iterations weighed by their pixels (RunPace).
class RunObserver : public JobObserver {
 public:
  RunObserver(JobHost& host, RunRecorder& recorder, std::vector<ScaleWork> scales)
      : host_(host), recorder_(recorder), pace_(std::move(scales), recorder.done_before()) {}

  void on_iteration(const IterationLosses& losses, const Tensor& picture) override {
    recorder_.add(losses);
    pace_.update(losses.iteration, losses.scale);
    const Clock::time_point now = Clock::now();
    nlohmann::json event = losses_json(losses);
    event["iterations"] = pace_.total();
    event["rate"] = pace_.iterations_per_second();
    event["seconds_left"] = pace_.seconds_left();
    event["scales"] = pace_.scale_count();
    event["scale_iteration"] = pace_.scale_done();
    event["scale_iterations"] = pace_.scale_iterations();
    if (losses.iteration == pace_.total() || now - last_progress_ >= kProgressInterval) {
      last_progress_ = now;
      host_.on_progress(losses, pace_.total(), preview_of(picture), pace_.iterations_per_second());
      event["preview"] = true;  // a new preview is there to fetch
    }
    host_.on_event(event);
  }
  // The run's iterations shrink; the event says which scale converged and why.
  void on_converged(const Convergence& c) override {
    pace_.converged(c.scale, c.iteration);
    host_.on_converged({{"scale", c.scale},
                        {"iteration", c.iteration},
                        {"iterations", c.total},
                        {"reason", c.reason}});
  }
  // The record at the end of a complete run: its last losses and the result as the preview
  // (L-BFGS's convergence is known only after its last iteration was reported).
  void finish(const JobResult& result) {
    if (recorder_.rows().empty()) return;
    host_.on_progress(recorder_.rows().back(), result.iterations, preview_of(result.image),
                      pace_.iterations_per_second());
  }

  double speed() const { return pace_.pixel_iterations_per_second(); }
  bool stop_requested() override { return host_.stop_requested(); }
  bool checkpoint_due(int iteration) override { return recorder_.checkpoint_due(iteration); }
  void on_checkpoint(const RunState& state) override { save(state); }

  void save(const RunState& state) {
    recorder_.save(host_.resume_path(), state);
    host_.resume_saved();
  }

 private:
  JobHost& host_;
  RunRecorder& recorder_;
  RunPace pace_;
  Clock::time_point last_progress_{};
};

// The job's saved run, if its host keeps one that can continue it; said in the log either way.
std::optional<ResumeFile> usable_resume_file(const JobRecord& record, JobHost& host,
                                             const PreparedJob& prepared) {
  if (!std::filesystem::exists(host.resume_path())) {
    host.log("job " + record.id + " starts");
    return std::nullopt;
  }
  try {
    ResumeFile resumed = read_resume_file(host.resume_path());
    NST_CHECK(same_inputs(resumed.fingerprints, prepared.fingerprints),
              "its inputs differ from the job's");
    check_state_fits(resumed.state, prepared, host.resume_path());
    host.log("job " + record.id + " continues from iteration " +
             std::to_string(resumed.state.earlier_iterations + resumed.state.iteration));
    return resumed;
  } catch (const Error& e) {
    host.log("job " + record.id + ": its resume file is unusable, starting over (" + e.what() +
             ")");
    return std::nullopt;
  }
}

void run(const JobRecord& record, JobHost& host, const ModelSource& models,
         const RunnerOptions& options) {
  const Clock::time_point started = Clock::now();
  const JobSettings settings = job_settings(record, options.limits);
  const JobUploads uploads =
      read_uploads(record, [&](const std::string& name) { return host.upload(name); });
  const Job job = job_from_uploads(uploads, settings);
  const PreparedJob prepared = prepare(job, option_name);
  const std::shared_ptr<nn::Vgg19> model = models(settings.pooling);

  const std::optional<ResumeFile> resumed = usable_resume_file(record, host, prepared);
  ResumeFile run{.settings = prepared.settings,
                 .state = {},
                 .rows = {},
                 .fingerprints = prepared.fingerprints,
                 .extra = {}};
  if (resumed) {
    run.state = resumed->state;
    run.rows = resumed->rows;
  }
  RunRecorder recorder(std::move(run), {.every_iterations = options.checkpoint_every},
                       prepared.total_iterations());
  RunObserver observer(host, recorder, scale_work(prepared, recorder));

  const JobResult result =
      run_job(prepared, *model, &observer, resumed ? &resumed->state : nullptr);
  if (result.stopped) {
    observer.save(result.state);
    return host.stopped(result.iterations);
  }
  observer.finish(result);
  host.done(png_of(result.image, prepared.settings.encoding),
            loss_log_csv(recorder.rows(), prepared.scales.size() > 1, result.ending), result.ending,
            observer.speed());
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  host.log("job " + record.id + " done in " + std::to_string(static_cast<int>(seconds)) + " s");
}

}  // namespace

using Fingerprints = std::vector<std::pair<std::string, std::string>>;

bool same_inputs(const Fingerprints& saved, const Fingerprints& job) {
  Fingerprints prints = saved;
  for (auto& [role, digest] : prints) {
    int index = 0;
    const char* end = role.data() + role.size();
    if (role.starts_with("style-") &&
        std::from_chars(role.data() + 6, end, index) == std::from_chars_result{end, std::errc{}})
      role = "style " + std::to_string(int64_t{index} + 1);
  }
  return prints == job;
}

std::string without_server_paths(std::string message, const std::string& folder) {
  for (const std::string& path : {folder + "/", folder}) {
    for (std::size_t at = message.find(path); at != std::string::npos; at = message.find(path, at))
      message.replace(at, path.size(), path == folder ? "the job's folder" : "");
  }
  return message;
}

void run_service_job(const JobRecord& record, JobHost& host, const ModelSource& models,
                     const RunnerOptions& options) {
  std::string failure;
  try {
    return run(record, host, models, options);
  } catch (const std::bad_alloc&) {
    failure = "out of memory";
  } catch (const std::exception& e) {
    failure = e.what();
  }
  host.log("job " + record.id + " failed: " + failure);
  // The log has the whole message; clients see it without the server's own paths, as bounded
  // UTF-8 text (what a record's fields and events must be).
  const std::string folder = std::filesystem::path(host.resume_path()).parent_path().string();
  host.failed(excerpt(without_server_paths(failure, folder), kMaxMessageBytes));
}

}  // namespace nst::serve
