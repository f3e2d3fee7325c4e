// The Redis backend of nst serve (README, "Many machines"): job records, uploads, previews,
// resume files and results live in Redis (serve/redis_jobs.h), the queue is a Redis Stream read
// by `nst worker` processes anywhere (serve/redis_worker.h), and any number of API nodes share
// them. This side runs no jobs. Redis unreachable: every call throws BackendUnavailable, which
// the API answers with 503.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "serve/job_backend.h"
#include "serve/redis_client.h"

namespace nst::serve {

class RedisBackend : public JobBackend {
 public:
  // `ttl_seconds`: how long a finished job's record and files stay.
  RedisBackend(const RedisAddress& address, long long ttl_seconds);

  bool submit(const JobRecord& record, const JobUploads& uploads, int max_queued) override;
  std::optional<JobRecord> get(const std::string& id) override;
  std::vector<JobRecord> list() override;
  int queue_position(const std::string& id) override;
  bool cancel(const std::string& id) override;
  void remove(const std::string& id) override;
  std::optional<std::string> result(const std::string& id) override;
  std::optional<std::string> loss_log(const std::string& id) override;
  std::optional<std::string> preview(const std::string& id) override;
  std::optional<std::string> upload(const std::string& id, const std::string& name) override;
  std::optional<EventBatch> events(const std::string& id, const std::string& after,
                                   std::chrono::milliseconds wait) override;
  BackendCounts counts() override;
  void check_health() override;  // Redis answers PING
  void stop() override { stopping_ = true; }

 private:
  std::optional<std::string> get_bytes(const std::string& key);
  // One read of the job's events after stream ID `from` (blocking up to a second if `block`),
  // as the API shows them; `ended` becomes true when one is the job's last (a finished state).
  std::vector<JobEvent> read_events(const std::string& id, const std::string& from, bool block,
                                    bool& ended);

  Redis redis_;
  long long ttl_seconds_;
  std::atomic<bool> stopping_{false};
};

}  // namespace nst::serve
