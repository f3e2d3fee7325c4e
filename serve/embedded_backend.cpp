#include "serve/embedded_backend.h"

#include <filesystem>
#include <iostream>

#include "serve/job_json.h"
#include "tensor/error.h"

namespace nst::serve {
namespace {

// The job store's file in DATA, creating the folder if need be.
std::string store_path(const std::string& data) {
  std::error_code ec;
  std::filesystem::create_directories(data, ec);
  NST_CHECK(!ec, data, ": cannot create the data folder: ", ec.message());
  return data + "/jobs.sqlite";
}

}  // namespace

EmbeddedBackend::EmbeddedBackend(const std::string& data, const WorkerOptions& workers,
                                 ModelSource models)
    : worker_count_(workers.workers), store_(store_path(data)), files_(data + "/jobs") {
  const int requeued = store_.requeue_running();
  if (requeued > 0) {
    std::cerr << "nst serve: " << requeued << " job" << (requeued == 1 ? "" : "s")
              << " interrupted by the last stop will continue\n";
  }
  files_.remove_orphans(store_.ids());
  for (const JobRecord& record : store_.list()) {
    if (!is_finished(record.state)) events_.open(record.id);
  }
  workers_ = std::make_unique<Workers>(store_, files_, events_, std::move(models), workers);
}

EmbeddedBackend::~EmbeddedBackend() { stop(); }

bool EmbeddedBackend::submit(const JobRecord& record, const Upload& content,
                             const std::vector<Upload>& styles, int max_queued) {
  {
    const std::lock_guard lock(admission_);
    if (store_.count(JobState::queued) >= max_queued) return false;
    files_.store_uploads(record.id, content, styles);
    store_.insert(record);
  }
  events_.open(record.id);
  events_.publish(record.id, "state", job_json(record, queue_position(record.id)).dump());
  workers_->wake();
  return true;
}

bool EmbeddedBackend::cancel(const std::string& id) {
  const std::optional<JobRecord> before = store_.get(id);
  if (!before || !store_.cancel(id)) return false;
  workers_->cancel(id);
  // A running job's worker closes its events once it has stopped.
  if (before->state == JobState::queued)
    events_.close(id, "state", job_json(*store_.get(id)).dump());
  return true;
}

void EmbeddedBackend::remove(const std::string& id) {
  store_.remove(id);
  files_.remove(id);
}

std::optional<std::string> EmbeddedBackend::result(const std::string& id) {
  const std::optional<JobRecord> record = store_.get(id);
  if (!record || record->state != JobState::done) return std::nullopt;
  return read_file_bytes(files_.result(id));
}

std::optional<std::string> EmbeddedBackend::loss_log(const std::string& id) {
  const std::optional<JobRecord> record = store_.get(id);
  if (!record || record->state != JobState::done) return std::nullopt;
  return read_file_bytes(files_.losses(id));
}

std::optional<std::string> EmbeddedBackend::preview(const std::string& id) {
  return events_.preview(id);
}

std::optional<EventBatch> EmbeddedBackend::events(const std::string& id, const std::string& after,
                                                  std::chrono::milliseconds wait) {
  int count = 0;
  try {
    count = after.empty() ? 0 : std::stoi(after);
  } catch (const std::exception&) {  // not one of ours: from the start
  }
  return events_.next(id, count, wait);
}

BackendCounts EmbeddedBackend::counts() {
  BackendCounts c;
  for (JobState state : {JobState::queued, JobState::running, JobState::done, JobState::failed,
                         JobState::cancelled}) {
    c.jobs[state] = store_.count(state);
  }
  c.iterations_per_second = events_.total_rate();
  c.workers = worker_count_;
  c.busy = workers_->running();
  return c;
}

void EmbeddedBackend::stop() {
  events_.shutdown();
  if (workers_) workers_->stop();
}

}  // namespace nst::serve
