// The embedded service's workers: threads that take the oldest queued job from the store and
// run it (serve/job_runner.h), each on its share of the cores. The job's record is the store's,
// its files are in its folder (its resume file too, so that after a crash the job continues
// from there), its events and preview go to JobEvents. A cancelled job stops within an
// iteration. stop() asks running jobs to stop, saves where each one was, and leaves them for
// the next start to continue.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "serve/job_events.h"
#include "serve/job_files.h"
#include "serve/job_runner.h"
#include "serve/job_store.h"

namespace nst::serve {

struct WorkerOptions {
  int workers = 1;
  int max_attempts = 3;  // runs in a row that may end abnormally before a job fails
  RunnerOptions runner;
};

class Workers {
 public:
  Workers(JobStore& store, const JobFiles& files, JobEvents& events, ModelSource models,
          WorkerOptions options);
  ~Workers();  // stop()
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  void wake();                         // a job was queued
  void cancel(const std::string& id);  // the job's worker stops it, if it runs
  void stop();
  int running() const;

 private:
  class Host;
  void work();
  void fail_quietly(const std::string& id, const std::string& why) noexcept;
  bool should_stop(const std::string& id) const;

  JobStore& store_;
  const JobFiles& files_;
  JobEvents& events_;
  ModelSource models_;
  WorkerOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::set<std::string> running_, cancelled_;
  std::vector<std::thread> threads_;
};

}  // namespace nst::serve
