#include "serve/embedded_backend.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "serve/job_json.h"
#include "serve/log_line.h"
#include "tensor/error.h"

namespace nst::serve {
namespace {

// Creates DATA if need be and takes its lock (flock on DATA/lock, held until the process
// ends or the backend goes): two servers on one folder would run the same jobs and remove
// each other's files. The lock file says which process holds it.
int lock_data_folder(const std::string& data) {
  std::error_code ec;
  std::filesystem::create_directories(data, ec);
  NST_CHECK(!ec, data, ": cannot create the data folder: ", ec.message());
  const std::string path = data + "/lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  NST_CHECK(fd >= 0, path, ": cannot open the data folder's lock: ", std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char holder[32] = {};
    const ssize_t n = ::pread(fd, holder, sizeof holder - 1, 0);
    ::close(fd);
    fail(data, ": another nst serve uses this data folder",
         n > 0 ? " (process " + std::string(holder, static_cast<std::size_t>(n)) + ")" : "",
         "; stop it, or give this one another --data");
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // Only the message above would miss the holder's number; the lock is what counts.
  }
  return fd;
}

}  // namespace

EmbeddedBackend::EmbeddedBackend(const std::string& data, const WorkerOptions& workers,
                                 ModelSource models)
    : worker_count_(workers.workers),
      data_lock_(lock_data_folder(data)),
      store_(data + "/jobs.sqlite"),
      files_(data + "/jobs") {
  const int requeued = store_.requeue_running();
  if (requeued > 0) {
    log_line("nst serve", std::to_string(requeued) + " job" + (requeued == 1 ? "" : "s") +
                              " interrupted by the last stop will continue");
  }
  for (const std::string& id : store_.fail_exhausted(
           workers.max_attempts, JobStore::exhausted_message(workers.max_attempts))) {
    log_line("nst serve",
             "job " + id + " failed: " + JobStore::exhausted_message(workers.max_attempts));
  }
  files_.remove_orphans(store_.ids());
  for (const JobRecord& record : store_.list()) {
    if (!is_finished(record.state)) events_.open(record.id);
  }
  workers_ = std::make_unique<Workers>(store_, files_, events_, std::move(models), workers);
}

EmbeddedBackend::~EmbeddedBackend() {
  stop();
  workers_.reset();
  ::close(data_lock_);
}

bool EmbeddedBackend::submit(const JobRecord& record, const JobUploads& uploads, int max_queued) {
  {
    const std::lock_guard lock(admission_);
    if (store_.count(JobState::queued) >= max_queued) return false;
    files_.store_uploads(record.id, uploads);
    store_.insert(record);
  }
  events_.open(record.id);
  events_.publish(record.id, "state", state_event_data(record, queue_position(record.id)));
  workers_->wake();
  return true;
}

bool EmbeddedBackend::cancel(const std::string& id) {
  const std::optional<JobRecord> before = store_.get(id);
  if (!before || !store_.cancel(id)) return false;
  workers_->cancel(id);
  // A running job's worker closes its events once it has stopped.
  if (before->state == JobState::queued)
    events_.close(id, "state", state_event_data(*store_.get(id)));
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

std::optional<std::string> EmbeddedBackend::upload(const std::string& id, const std::string& name) {
  const std::optional<JobRecord> record = store_.get(id);
  if (!record || !has_upload(*record, name)) return std::nullopt;
  return read_file_bytes(files_.upload(id, name));
}

std::optional<EventBatch> EmbeddedBackend::events(const std::string& id, const std::string& after,
                                                  std::chrono::milliseconds wait) {
  return events_.next(id, events_.seen(after), wait);
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
