// The record of a run as it goes, for its resume file (nst/resume.h): what the run is (its
// settings, the fingerprints of its inputs, what the face adds), the loss rows so far, and the
// rule for when to save it. The command line and the service keep their runs with it, so a
// run is recorded and checkpointed the same way whichever face runs it; their observers only
// display and transport.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "nst/resume.h"

namespace nst {

// A run saves itself every `every_iterations` iterations, or with 0, once `every_seconds` have
// passed since it started or last saved. Never after its last iteration: the result comes next.
struct CheckpointPolicy {
  static constexpr double kDefaultSeconds = 30;
  int every_iterations = 0;
  double every_seconds = kDefaultSeconds;
};

class RunRecorder {
 public:
  // `record`: a new run's settings, fingerprints and extras, or a continued run's file as read
  // (its state and rows too). `total_iterations`: the run's, over all its scales.
  RunRecorder(ResumeFile record, CheckpointPolicy policy, int total_iterations);

  void add(const IterationLosses& losses);   // the loss row of an iteration
  bool checkpoint_due(int iteration) const;  // asked after `iteration` (counted over all scales)
  // Writes the record, at `state`, to `path` (atomically: a crash leaves the previous file) and
  // starts the policy's clock again.
  void save(const std::string& path, const RunState& state);

  const std::vector<IterationLosses>& rows() const { return record_.rows; }
  // A continued run's state as read, until the first save (which keeps nothing).
  const RunState& state() const { return record_.state; }
  int done_before() const { return done_before_; }  // iterations of a continued run's past
  Metadata& extra() { return record_.extra; }       // the face's part of the file

 private:
  ResumeFile record_;
  CheckpointPolicy policy_;
  int total_iterations_;
  int done_before_;
  std::chrono::steady_clock::time_point last_save_;
};

}  // namespace nst
