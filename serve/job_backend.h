// Where the service's jobs live and who runs them, behind one interface, so that the HTTP API
// (serve/server.h) is the same in both modes:
//   - embedded (serve/embedded_backend.h): records in SQLite, files on this machine's disk,
//     workers in the server process;
//   - Redis (serve/redis_backend.h): records, files and the queue in Redis, workers anywhere.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "serve/job_events.h"
#include "serve/job_files.h"
#include "serve/job_store.h"
#include "tensor/error.h"

namespace nst::serve {

// The backend cannot be reached (Redis down): the API answers 503.
class BackendUnavailable : public Error {
 public:
  using Error::Error;
};

struct BackendCounts {
  std::map<JobState, int> jobs;      // every state, 0 included
  double iterations_per_second = 0;  // of all running jobs together
  int workers = 0;                   // that can run jobs (known to this node)
  int busy = 0;                      // running a job now
};

class JobBackend {
 public:
  virtual ~JobBackend() = default;

  // Stores a new job with its uploads and queues it; false (nothing stored) when `max_queued`
  // jobs wait already.
  virtual bool submit(const JobRecord& record, const JobUploads& uploads, int max_queued) = 0;
  virtual std::optional<JobRecord> get(const std::string& id) = 0;
  virtual std::vector<JobRecord> list() = 0;              // newest first
  virtual int queue_position(const std::string& id) = 0;  // 1-based; 0 if not queued
  // A queued or running job is cancelled (a running one stops within a second or two);
  // false if it had finished.
  virtual bool cancel(const std::string& id) = 0;
  virtual void remove(const std::string& id) = 0;  // a finished job and all it made

  virtual std::optional<std::string> result(const std::string& id) = 0;    // PNG, once done
  virtual std::optional<std::string> loss_log(const std::string& id) = 0;  // CSV, once done
  virtual std::optional<std::string> preview(const std::string& id) = 0;   // PNG, while running
  // The upload called `name` (serve/job_uploads.h: "content", "style-0", "style-mask-0"...),
  // byte for byte as sent, as long as the job is kept; nothing for an unknown job or an upload
  // it does not have.
  virtual std::optional<std::string> upload(const std::string& id, const std::string& name) = 0;
  // The job's events after the one called `after` ("" for all), waiting up to `wait` for one;
  // nothing when the job has no events to follow (unknown, or finished a while ago).
  virtual std::optional<EventBatch> events(const std::string& id, const std::string& after,
                                           std::chrono::milliseconds wait) = 0;
  virtual BackendCounts counts() = 0;
  // Throws (BackendUnavailable, naming what is wrong) unless jobs can be taken and run now.
  virtual void check_health() = 0;
  // Ends event streams and stops this process's workers (their jobs saved to continue).
  virtual void stop() = 0;
};

}  // namespace nst::serve
