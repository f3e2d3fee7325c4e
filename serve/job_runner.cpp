#include "serve/job_runner.h"

#include <chrono>
#include <deque>
#include <filesystem>

#include "nst/image.h"
#include "nst/loss_log.h"
#include "nst/resume.h"
#include "serve/job_json.h"
#include "tensor/error.h"

namespace nst::serve {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kProgressInterval = std::chrono::seconds(1);     // record and preview
constexpr auto kCheckpointInterval = std::chrono::seconds(10);  // without checkpoint_every

std::vector<std::pair<std::string, std::string>> fingerprints(const Job& job) {
  std::vector<std::pair<std::string, std::string>> prints{{"content", fingerprint(job.content)}};
  for (std::size_t i = 0; i < job.styles.size(); ++i)
    prints.emplace_back("style-" + std::to_string(i), fingerprint(job.styles[i]));
  return prints;
}

std::string png_of(const Tensor& picture, const ImageEncoding& encoding = {}) {
  const std::vector<uint8_t> png = encode_image(picture, ImageFormat::png, encoding);
  return std::string(png.begin(), png.end());
}

// What happens while the job runs: events, progress, previews, checkpoints.
class RunObserver : public JobObserver {
 public:
  RunObserver(JobHost& host, const JobSettings& settings, int iterations,
              std::vector<std::pair<std::string, std::string>> prints, int checkpoint_every)
      : host_(host),
        settings_(settings),
        iterations_(iterations),
        fingerprints_(std::move(prints)),
        checkpoint_every_(checkpoint_every) {}

  std::vector<IterationLosses> rows;  // the loss log so far

  void on_iteration(const IterationLosses& losses, const Tensor& picture) override {
    rows.push_back(losses);
    const Clock::time_point now = Clock::now();
    times_.push_back(now);
    if (times_.size() > 20) times_.pop_front();
    const double seconds = std::chrono::duration<double>(now - times_.front()).count();
    const double rate = seconds > 0 ? static_cast<double>(times_.size() - 1) / seconds : 0;

    nlohmann::json event = losses_json(losses);
    event["iterations"] = iterations_;
    event["rate"] = rate;
    if (losses.iteration == iterations_ || now - last_progress_ >= kProgressInterval) {
      last_progress_ = now;
      host_.on_progress(losses, iterations_, png_of(picture), rate);
      event["preview"] = true;  // a new preview is there to fetch
    }
    host_.on_event(event);
  }

  bool stop_requested() override { return host_.stop_requested(); }

  bool checkpoint_due(int iteration) override {
    if (checkpoint_every_ > 0) return iteration % checkpoint_every_ == 0;
    return Clock::now() - last_checkpoint_ >= kCheckpointInterval;
  }

  void on_checkpoint(const RunState& state) override {
    save(state);
    last_checkpoint_ = Clock::now();
  }

  void save(const RunState& state) const {
    write_resume_file(host_.resume_path(), {.settings = settings_,
                                            .state = state,
                                            .rows = rows,
                                            .fingerprints = fingerprints_,
                                            .extra = {}});
    host_.resume_saved();
  }

 private:
  JobHost& host_;
  const JobSettings& settings_;
  int iterations_;
  std::vector<std::pair<std::string, std::string>> fingerprints_;
  int checkpoint_every_;
  std::deque<Clock::time_point> times_;
  Clock::time_point last_progress_{}, last_checkpoint_ = Clock::now();
};

void run(const JobRecord& record, JobHost& host, const ModelSource& models,
         const RunnerOptions& options) {
  const Clock::time_point started = Clock::now();
  const JobSettings settings = job_settings(record, options.limits);
  std::vector<Upload> styles;
  for (std::size_t i = 0; i < record.style_names.size(); ++i)
    styles.push_back({record.style_names[i], host.style(i)});
  const Job job = job_from_uploads({record.content_name, host.content()}, styles, settings);
  const PreparedJob prepared = prepare(job, option_name);
  const std::shared_ptr<nn::Vgg19> model = models(settings.pooling);

  RunObserver observer(host, prepared.settings, prepared.total_iterations(), fingerprints(job),
                       options.checkpoint_every);
  std::optional<ResumeFile> resumed;
  if (std::filesystem::exists(host.resume_path())) {
    try {
      resumed = read_resume_file(host.resume_path());
      NST_CHECK(resumed->fingerprints == fingerprints(job), "its inputs differ from the job's");
      check_state_fits(resumed->state, prepared, host.resume_path());
      observer.rows = resumed->rows;
      host.log("job " + record.id + " continues from iteration " +
               std::to_string(resumed->state.earlier_iterations + resumed->state.iteration));
    } catch (const Error& e) {
      host.log("job " + record.id + ": its resume file is unusable, starting over (" + e.what() +
               ")");
      resumed.reset();
    }
  } else {
    host.log("job " + record.id + " starts");
  }

  const JobResult result =
      run_job(prepared, *model, &observer, resumed ? &resumed->state : nullptr);
  if (result.stopped) {
    observer.save(result.state);
    return host.stopped(result.iterations);
  }
  host.done(png_of(result.image, prepared.settings.encoding),
            loss_log_csv(observer.rows, prepared.scales.size() > 1));
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  host.log("job " + record.id + " done in " + std::to_string(static_cast<int>(seconds)) + " s");
}

}  // namespace

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
  // The log has the whole message; clients see it without the server's own paths.
  const std::string folder = std::filesystem::path(host.resume_path()).parent_path().string();
  host.failed(without_server_paths(failure, folder));
}

}  // namespace nst::serve
