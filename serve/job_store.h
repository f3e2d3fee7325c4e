// The service's job records, kept in SQLite: one row per job, from queued to finished, its
// columns the record's fields (serve/job_record.h) plus the store's own `seq` and `attempts`.
//
// The database runs in WAL mode with synchronous=FULL, so a record committed here (a job
// accepted with 201, a state change) survives a crash of the process, or of the machine, at any
// instant; SQLite does the hard part. One connection, used under a mutex: the service's writes
// are a few per second, far below what that serialises.
//
// State changes are conditional (UPDATE ... WHERE state = ...), so a worker finishing a job
// and a client cancelling it at the same moment cannot both win.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "serve/job_record.h"

struct sqlite3;

namespace nst::serve {

class JobStore {
 public:
  explicit JobStore(const std::string& path);  // opens or creates the database
  ~JobStore();
  JobStore(const JobStore&) = delete;
  JobStore& operator=(const JobStore&) = delete;

  void insert(const JobRecord& record);
  std::optional<JobRecord> get(const std::string& id);
  std::vector<JobRecord> list();  // newest first
  std::vector<std::string> ids();
  int count(JobState state);
  // 1-based place of a queued job in the queue (0 if it is not queued).
  int queue_position(const std::string& id);

  // The oldest queued job, now running (started set the first time it starts).
  std::optional<JobRecord> start_next();
  // Progress of a running job; false if it is no longer running.
  bool update_progress(const std::string& id, int iteration, int iterations,
                       const nlohmann::json& losses);
  // A running job ends in `state` (done or failed), with why it failed or why its run ended
  // and the speed it ran at (JobRecord::speed); false if it was no longer running.
  bool finish(const std::string& id, JobState state, const std::string& error = "",
              const std::string& ending = "", double speed = 0);
  // A queued or running job is cancelled; false if it had finished already.
  bool cancel(const std::string& id);
  void remove(const std::string& id);
  // After a restart: jobs that were running go back to the queue, ahead of the others (they
  // were accepted first). Returns how many.
  int requeue_running();

  // Each start of a job counts as an attempt until its run saves progress (a resume file),
  // which sets the count back to 0; so the count says how many runs in a row ended without
  // saving anything: killed with the process, e.g. by the OOM killer.
  void progress_saved(const std::string& id);
  // Queued jobs whose last `max_attempts` runs all ended that way fail with `message`, so that
  // a job that kills the process is not run again at every start. Returns their IDs.
  std::vector<std::string> fail_exhausted(int max_attempts, const std::string& message);
  // That message, the same in both modes.
  static std::string exhausted_message(int max_attempts);

 private:
  std::mutex mutex_;
  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace nst::serve
