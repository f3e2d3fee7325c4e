// The embedded backend of nst serve: job records in SQLite (serve/job_store.h), uploads and
// results in one folder per job (serve/job_files.h), events in memory (serve/job_events.h),
// and worker threads in this process (serve/workers.h). One server, no other service needed.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "serve/job_backend.h"
#include "serve/workers.h"

namespace nst::serve {

class EmbeddedBackend : public JobBackend {
 public:
  // Takes the lock of `data` (nst::Error if another server holds it), opens (or creates) the
  // store in it and recovers what a crash left: jobs that were running go back to the head of
  // the queue, or fail if they have used up their attempts; half-stored uploads are removed.
  // The workers start at once.
  EmbeddedBackend(const std::string& data, const WorkerOptions& workers, ModelSource models);
  ~EmbeddedBackend() override;

  bool submit(const JobRecord& record, const JobUploads& uploads, int max_queued) override;
  std::optional<JobRecord> get(const std::string& id) override { return store_.get(id); }
  std::vector<JobRecord> list() override { return store_.list(); }
  int queue_position(const std::string& id) override { return store_.queue_position(id); }
  bool cancel(const std::string& id) override;
  void remove(const std::string& id) override;
  std::optional<std::string> result(const std::string& id) override;
  std::optional<std::string> loss_log(const std::string& id) override;
  std::optional<std::string> preview(const std::string& id) override;
  std::optional<std::string> upload(const std::string& id, const std::string& name) override;
  std::optional<EventBatch> events(const std::string& id, const std::string& after,
                                   std::chrono::milliseconds wait) override;
  BackendCounts counts() override;
  void check_health() override { store_.count(JobState::queued); }  // the store answers
  void stop() override;

 private:
  int worker_count_;
  int data_lock_;  // held open: the data folder's lock
  JobStore store_;
  JobFiles files_;
  JobEvents events_;
  std::unique_ptr<Workers> workers_;
  std::mutex admission_;  // the queue-length check and the insert, together
};

}  // namespace nst::serve
