#include "serve/workers.h"

#include <malloc.h>

#include <filesystem>

#include "serve/job_json.h"
#include "serve/log_line.h"
#include "serve/request_text.h"

namespace nst::serve {
namespace {

void log(const std::string& line) { log_line("nst serve", line); }

// Gives the memory of a finished run back to the system: glibc keeps freed heap pages of a
// large run otherwise, and the server would stay at its largest job's size.
void release_memory() { ::malloc_trim(0); }

}  // namespace

// A job of the embedded service as the runner sees it: the store's record, the job's folder,
// the process's events.
class Workers::Host : public JobHost {
 public:
  Host(Workers& workers, const JobRecord& record) : w_(workers), id_(record.id) {}

  std::string upload(const std::string& name) override {
    return read_file_bytes(w_.files_.upload(id_, name));
  }
  std::string resume_path() override { return w_.files_.resume(id_); }
  void resume_saved() override { w_.store_.progress_saved(id_); }

  void on_event(const nlohmann::json& iteration) override {
    w_.events_.publish(id_, "iteration", json_text(iteration));
  }
  void on_converged(const nlohmann::json& convergence) override {
    w_.events_.publish(id_, "converged", json_text(convergence));
  }
  void on_progress(const IterationLosses& losses, int iterations, const std::string& preview_png,
                   double rate) override {
    w_.store_.update_progress(id_, losses.iteration, iterations, losses_json(losses));
    w_.events_.set_preview(id_, preview_png);
    w_.events_.set_rate(id_, rate);
  }
  bool stop_requested() override { return w_.should_stop(id_); }

  void done(const std::string& result_png, const std::string& loss_log_csv,
            const std::string& ending, double speed) override {
    write_bytes_atomically(w_.files_.losses(id_), loss_log_csv);
    write_bytes_atomically(w_.files_.result(id_), result_png);
    // Cancelled at the last moment: the result goes.
    if (!w_.store_.finish(id_, JobState::done, "", ending, speed)) {
      std::error_code ec;
      std::filesystem::remove(w_.files_.result(id_), ec);
    }
    end();
  }
  void failed(const std::string& message) override {
    w_.store_.finish(id_, JobState::failed, message);
    end();
  }
  void stopped(int iterations) override {
    const std::optional<JobRecord> now = w_.store_.get(id_);
    if (now && now->state == JobState::running) {  // the server stops: the next start continues
      log("job " + id_ + " saved at iteration " + std::to_string(iterations));
      return;
    }
    log("job " + id_ + " cancelled at iteration " + std::to_string(iterations));
    end();
  }
  void log(const std::string& line) override { serve::log(line); }

 private:
  // Finished (or cancelled, or deleted while it stopped): no resume file, no more events.
  void end() {
    std::error_code ec;
    std::filesystem::remove(w_.files_.resume(id_), ec);
    const std::optional<JobRecord> now = w_.store_.get(id_);
    w_.events_.close(id_, "state", now ? state_event_data(*now) : deleted_event_data(id_));
  }

  Workers& w_;
  std::string id_;
};

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

// A worker thread never ends by an exception: what one job throws fails that job (and is
// logged), and a store that cannot be read is retried a second later.
void Workers::work() {
  while (true) {
    std::optional<JobRecord> record;
    {
      std::unique_lock lock(mutex_);
      if (stopping_) return;
      try {
        record = store_.start_next();
      } catch (const std::exception& e) {
        log(std::string("cannot take a job: ") + e.what());
      }
      if (!record) {
        // Woken by a new job; the timeout also catches one queued by another process.
        wake_.wait_for(lock, std::chrono::seconds(1));
        continue;
      }
      running_.insert(record->id);
    }
    try {
      events_.open(record->id);
      events_.publish(record->id, "state", state_event_data(*record));
      Host host(*this, *record);
      run_service_job(*record, host, models_, options_.runner);
    } catch (const std::exception& e) {  // the host could not record how the job ended
      log("job " + record->id + ": " + e.what());
      fail_quietly(record->id, e.what());
    } catch (...) {
      fail_quietly(record->id, "internal error");
    }
    release_memory();
    const std::lock_guard lock(mutex_);
    running_.erase(record->id);
    cancelled_.erase(record->id);
  }
}

void Workers::fail_quietly(const std::string& id, const std::string& why) noexcept {
  try {
    store_.finish(id, JobState::failed, why);
    const std::optional<JobRecord> now = store_.get(id);
    events_.close(id, "state", now ? state_event_data(*now) : deleted_event_data(id));
  } catch (...) {  // the store is gone too: the next start requeues the job
  }
}

}  // namespace nst::serve
