// `nst worker`: runs the jobs of a Redis-mode service (serve/redis_jobs.h), one at a time, with
// the same runner as the embedded workers (serve/job_runner.h).
//
// Jobs come from the stream nst:queue through the consumer group "workers" (XREADGROUP): a
// job read is pending for this worker until it acknowledges it, once the job has finished. While
// a job runs, a heartbeat renews the claim every second (XCLAIM resets its idle time) and looks
// for a cancellation. A worker that dies stops renewing; after `claim_after` seconds another
// worker takes the job over (XAUTOCLAIM) and continues from its last resume file, which is kept
// in Redis. Writes about a job are fenced by the claim's token, so a worker presumed dead that
// comes back finds the job no longer its own and drops its result.
//
// Redis unreachable: the worker says so and retries with backoff; a finished job's result is
// kept and delivered once Redis is back.
#pragma once

#include <atomic>
#include <string>

#include "serve/job_runner.h"
#include "serve/redis_client.h"

namespace nst::serve {

struct RedisWorkerOptions {
  std::string name;      // unique among the workers
  int claim_after = 60;  // seconds without a heartbeat before a job is taken over
  int max_attempts = 3;  // runs in a row that may end abnormally before a job fails
  RunnerOptions runner;
};

class RedisWorker {
 public:
  RedisWorker(const RedisAddress& address, RedisWorkerOptions options, ModelSource models);

  void run();   // until stop()
  void stop();  // from any thread: the running job is saved and put back in the queue

 private:
  class Host;
  struct Entry {
    std::string stream_id, job;
  };
  std::optional<Entry> next_entry();
  void handle(const Entry& entry);
  void heartbeat(const std::string& job, const std::string& token);

  Redis redis_;
  RedisWorkerOptions options_;
  ModelSource models_;
  std::atomic<bool> stopping_{false};
};

}  // namespace nst::serve
