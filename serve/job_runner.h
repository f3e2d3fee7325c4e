// Running one job of the service with the job API (nst/job.h), the same code whichever backend
// holds the job: the embedded one (SQLite, files, worker threads in the server) or Redis
// (workers on many machines). The backend hands the runner the job's inputs and takes what the
// run makes through a JobHost.
//
// While the job runs, the runner sends every iteration as an event (and a `converged` event
// when a scale converges before its iterations are done), about once a second the
// progress for the record and a preview picture, and saves a resume file every
// `checkpoint_every` iterations (or every 30 seconds: nst/run_recorder.h, the command line's
// rule too); a job whose resume file is there
// when it starts continues from it. It asks the host before every iteration whether to stop.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "nn/vgg19.h"
#include "nst/objective.h"
#include "serve/job_request.h"
#include "serve/job_store.h"

namespace nst::serve {

// The network for a pooling; called from the workers' threads.
using ModelSource = std::function<std::shared_ptr<nn::Vgg19>(nn::Pooling)>;

class JobHost {
 public:
  virtual ~JobHost() = default;
  // The upload called `name` (serve/job_uploads.h), byte for byte as sent.
  virtual std::string upload(const std::string& name) = 0;
  // A local file for the job's resume file: read at start if it exists, rewritten (atomically)
  // at every checkpoint, after which resume_saved() is called.
  virtual std::string resume_path() = 0;
  virtual void resume_saved() {}

  virtual void on_event(const nlohmann::json& iteration) = 0;  // every iteration
  // A scale converged: {"scale", "iteration", "iterations" (the run's from now on), "reason"}.
  virtual void on_converged(const nlohmann::json& convergence) = 0;
  // About once a second, and after the last iteration: the losses for the record, the
  // iterations the run has in all (prepared: the record's count was planned before the
  // pictures were decoded), the picture now (PNG) and the speed in iterations per second.
  virtual void on_progress(const IterationLosses& losses, int iterations,
                           const std::string& preview_png, double rate) = 0;
  virtual bool stop_requested() = 0;

  // How it ended; exactly one is called. After stopped() the resume file holds where it was.
  // `ending`: why the run ended (JobResult::ending), and `speed`: what it ran at
  // (JobRecord::speed), for the record.
  virtual void done(const std::string& result_png, const std::string& loss_log_csv,
                    const std::string& ending, double speed) = 0;
  virtual void failed(const std::string& message) = 0;
  virtual void stopped(int iterations) = 0;
  virtual void log(const std::string& line) = 0;
};

struct RunnerOptions {
  JobLimits limits;          // each job's
  int checkpoint_every = 0;  // iterations between resume files; 0: every 30 seconds
};

// Runs the job to its end through `host`. A failure is logged in full and recorded for
// clients without the server's paths (without_server_paths, with the job's folder).
void run_service_job(const JobRecord& record, JobHost& host, const ModelSource& models,
                     const RunnerOptions& options);

// `message` with "FOLDER/" removed and FOLDER itself said as "the job's folder":
// "/srv/nst/jobs/ab/result.png: No space left" -> "result.png: No space left".
std::string without_server_paths(std::string message, const std::string& folder);

// Whether a resume file's fingerprints are those of the job's inputs (PreparedJob's). Files
// written before both faces named inputs alike call the styles "style-0", "style-1", ...
bool same_inputs(const std::vector<std::pair<std::string, std::string>>& saved,
                 const std::vector<std::pair<std::string, std::string>>& job);

}  // namespace nst::serve
