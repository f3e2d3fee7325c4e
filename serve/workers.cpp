#include "serve/workers.h"

#include <chrono>
#include <deque>
#include <filesystem>
#include <iostream>

#include "nst/image.h"
#include "nst/loss_log.h"
#include "nst/resume.h"
#include "nst/scales.h"
#include "serve/job_json.h"
#include "tensor/error.h"

namespace nst::serve {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kProgressInterval = std::chrono::seconds(1);     // record and preview
constexpr auto kCheckpointInterval = std::chrono::seconds(10);  // without checkpoint_every

void log(const std::string& line) { std::cerr << "nst serve: " + line + "\n" << std::flush; }

std::vector<std::pair<std::string, std::string>> fingerprints(const Job& job) {
  std::vector<std::pair<std::string, std::string>> prints{{"content", fingerprint(job.content)}};
  for (std::size_t i = 0; i < job.styles.size(); ++i)
    prints.emplace_back("style-" + std::to_string(i), fingerprint(job.styles[i]));
  return prints;
}

// What a worker does while its job runs: events, progress, previews, checkpoints.
class RunObserver : public JobObserver {
 public:
  RunObserver(const std::string& id, const JobSettings& settings, int iterations,
              std::vector<std::pair<std::string, std::string>> prints, JobStore& store,
              const JobFiles& files, JobEvents& events, int checkpoint_every,
              std::function<bool()> stop)
      : id_(id),
        settings_(settings),
        iterations_(iterations),
        fingerprints_(std::move(prints)),
        store_(store),
        files_(files),
        events_(events),
        checkpoint_every_(checkpoint_every),
        stop_(std::move(stop)) {}

  std::vector<IterationLosses> rows;  // the loss log so far

  void on_iteration(const IterationLosses& losses, const Tensor& picture) override {
    rows.push_back(losses);
    const Clock::time_point now = Clock::now();
    times_.push_back(now);
    if (times_.size() > 20) times_.pop_front();
    const double seconds = std::chrono::duration<double>(now - times_.front()).count();
    const double rate = seconds > 0 ? static_cast<double>(times_.size() - 1) / seconds : 0;
    events_.set_rate(id_, rate);

    nlohmann::json event = losses_json(losses);
    event["iterations"] = iterations_;
    event["rate"] = rate;
    const bool last = losses.iteration == iterations_;
    if (last || now - last_progress_ >= kProgressInterval) {
      last_progress_ = now;
      store_.update_progress(id_, losses.iteration, losses_json(losses));
      const std::vector<uint8_t> png = encode_image(picture, ImageFormat::png);
      events_.set_preview(id_, std::string(png.begin(), png.end()));
      event["preview"] = true;  // a new preview is there to fetch
    }
    events_.publish(id_, "iteration", event.dump());
  }

  bool stop_requested() override { return stop_(); }

  bool checkpoint_due(int iteration) override {
    if (checkpoint_every_ > 0) return iteration % checkpoint_every_ == 0;
    return Clock::now() - last_checkpoint_ >= kCheckpointInterval;
  }

  void on_checkpoint(const RunState& state) override {
    save(state);
    last_checkpoint_ = Clock::now();
  }

  void save(const RunState& state) const {
    write_resume_file(files_.resume(id_), {.settings = settings_,
                                           .state = state,
                                           .rows = rows,
                                           .fingerprints = fingerprints_,
                                           .extra = {}});
  }

 private:
  std::string id_;
  const JobSettings& settings_;
  int iterations_;
  std::vector<std::pair<std::string, std::string>> fingerprints_;
  JobStore& store_;
  const JobFiles& files_;
  JobEvents& events_;
  int checkpoint_every_;
  std::function<bool()> stop_;
  std::deque<Clock::time_point> times_;
  Clock::time_point last_progress_{}, last_checkpoint_ = Clock::now();
};

}  // namespace

Workers::Workers(JobStore& store, const JobFiles& files, JobEvents& events, ModelSource models,
                 WorkerOptions options)
    : store_(store), files_(files), events_(events), models_(std::move(models)), options_(options) {
  for (int i = 0; i < options_.workers; ++i) threads_.emplace_back([this] { work(); });
}

Workers::~Workers() { stop(); }

void Workers::wake() { wake_.notify_all(); }

void Workers::cancel(const std::string& id) {
  const std::lock_guard lock(mutex_);
  if (running_.count(id)) cancelled_.insert(id);
}

void Workers::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

int Workers::running() const {
  const std::lock_guard lock(mutex_);
  return static_cast<int>(running_.size());
}

bool Workers::should_stop(const std::string& id) const {
  const std::lock_guard lock(mutex_);
  return stopping_ || cancelled_.count(id) > 0;
}

void Workers::work() {
  while (true) {
    std::optional<JobRecord> record;
    {
      std::unique_lock lock(mutex_);
      if (stopping_) return;
      record = store_.start_next();
      if (!record) {
        // Woken by a new job; the timeout also catches one queued by another process.
        wake_.wait_for(lock, std::chrono::seconds(1));
        continue;
      }
      running_.insert(record->id);
    }
    run(*record);
    const std::lock_guard lock(mutex_);
    running_.erase(record->id);
    cancelled_.erase(record->id);
  }
}

void Workers::run(const JobRecord& record) {
  const std::string& id = record.id;
  const auto started = Clock::now();
  events_.open(id);
  events_.publish(id, "state", job_json(record).dump());
  std::string failure;
  try {
    const JobOptions options =
        parse_job_options(record.options, record.style_names.size(), options_.limits);
    std::vector<Upload> styles;
    for (std::size_t i = 0; i < record.style_names.size(); ++i)
      styles.push_back({record.style_names[i], read_file_bytes(files_.style(id, i))});
    const Job job = job_from_uploads({record.content_name, read_file_bytes(files_.content(id))},
                                     styles, options.settings);
    const PreparedJob prepared = prepare(job, option_name);
    const std::shared_ptr<nn::Vgg19> model = models_(options.settings.pooling);

    RunObserver observer(id, prepared.settings, prepared.total_iterations(), fingerprints(job),
                         store_, files_, events_, options_.checkpoint_every,
                         [this, &id] { return should_stop(id); });
    std::optional<ResumeFile> resumed;
    if (std::filesystem::exists(files_.resume(id))) {
      try {
        resumed = read_resume_file(files_.resume(id));
        NST_CHECK(resumed->fingerprints == fingerprints(job), "its inputs differ from the job's");
        observer.rows = resumed->rows;
        log("job " + id + " continues from iteration " +
            std::to_string(resumed->state.earlier_iterations + resumed->state.iteration));
      } catch (const Error& e) {
        log("job " + id + ": its resume file is unusable, starting over (" + e.what() + ")");
        resumed.reset();
      }
    } else {
      log("job " + id + " starts");
    }
    const JobResult result =
        run_job(prepared, *model, &observer, resumed ? &resumed->state : nullptr);

    const std::optional<JobRecord> now = store_.get(id);
    if (result.stopped && now && now->state == JobState::running) {
      observer.save(result.state);  // the server stops: the next start continues the job
      log("job " + id + " saved at iteration " + std::to_string(result.iterations));
      return;
    }
    if (!result.stopped) {
      write_loss_log(files_.losses(id), observer.rows, prepared.scales.size() > 1);
      write_image(files_.result(id), result.image);
      if (!store_.finish(id, JobState::done)) std::filesystem::remove(files_.result(id));
      const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
      log("job " + id + " done in " + std::to_string(static_cast<int>(seconds)) + " s");
    } else {
      log("job " + id + " cancelled at iteration " + std::to_string(result.iterations));
    }
  } catch (const std::bad_alloc&) {
    failure = "out of memory";
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (!failure.empty()) {
    store_.finish(id, JobState::failed, failure);
    log("job " + id + " failed: " + failure);
  }
  // Done, failed, cancelled, or deleted while it stopped: no resume file, no more events.
  std::error_code ec;
  std::filesystem::remove(files_.resume(id), ec);
  const std::optional<JobRecord> now = store_.get(id);
  events_.close(
      id, "state",
      now ? job_json(*now).dump() : nlohmann::json{{"id", id}, {"state", "deleted"}}.dump());
}

}  // namespace nst::serve
