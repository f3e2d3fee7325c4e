// The service's job records, kept in SQLite: one row per job, from queued to finished.
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
#include <string_view>
#include <vector>

#include "nst/settings.h"

struct sqlite3;

namespace nst::serve {

enum class JobState { queued, running, done, failed, cancelled };
std::string_view state_name(JobState state);
std::optional<JobState> parse_job_state(std::string_view name);  // nothing for an unknown name
double now_seconds();              // the wall clock as records keep it: seconds since the epoch
bool is_finished(JobState state);  // done, failed or cancelled

struct JobRecord {
  std::string id;
  JobState state = JobState::queued;
  nlohmann::json options = nlohmann::json::object();  // as the client sent them, checked
  // What the job runs with, validated under the limits of the server that took it (its threads
  // are the runner's). Nothing: a record stored before records kept them (job_settings()).
  std::optional<JobSettings> settings;
  std::string content_name;  // the uploads' file names, for display
  std::vector<std::string> style_names;
  int iteration = 0;      // done so far, over all scales
  int iterations = 0;     // planned
  nlohmann::json losses;  // the latest {"total", "content", "style", "tv"}, or null
  double created = 0, started = 0, finished = 0;  // seconds since the epoch; 0: not yet
  std::string error;                              // why it failed
  std::string worker;  // Redis mode: the worker running it, then the one that finished it
};

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
  // A running job ends in `state` (done or failed); false if it was no longer running.
  bool finish(const std::string& id, JobState state, const std::string& error = "");
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
