// The embedded service's workers: threads that take the oldest queued job from the store and
// run it with the job API (nst/job.h), the way `nst stylize` does, each on its share of the
// cores.
//
// While a job runs, its worker publishes every iteration (JobEvents), keeps the record's
// progress and the preview current (about once a second), and saves a resume file every
// `checkpoint_every` iterations (or about every 10 seconds), so that after a crash the job
// continues from there. A cancelled job stops within an iteration. stop() asks running jobs
// to stop, saves where each one was, and leaves them for the next start to continue.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "nn/vgg19.h"
#include "serve/job_events.h"
#include "serve/job_files.h"
#include "serve/job_request.h"
#include "serve/job_store.h"

namespace nst::serve {

// The network for a pooling; called from the workers' threads.
using ModelSource = std::function<std::shared_ptr<nn::Vgg19>(nn::Pooling)>;

struct WorkerOptions {
  int workers = 1;
  JobLimits limits;          // each job's
  int checkpoint_every = 0;  // iterations between resume files; 0: about every 10 seconds
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
  void work();
  void run(const JobRecord& record);
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
