#include "nst/run_recorder.h"

#include <utility>

namespace nst {

RunRecorder::RunRecorder(ResumeFile record, CheckpointPolicy policy, int total_iterations)
    : record_(std::move(record)),
      policy_(policy),
      total_iterations_(total_iterations),
      done_before_(record_.state.earlier_iterations + record_.state.iteration),
      last_save_(std::chrono::steady_clock::now()) {}

void RunRecorder::add(const IterationLosses& losses) { record_.rows.push_back(losses); }

bool RunRecorder::checkpoint_due(int iteration) const {
  if (iteration >= total_iterations_) return false;
  if (policy_.every_iterations > 0) return iteration % policy_.every_iterations == 0;
  return std::chrono::steady_clock::now() - last_save_ >=
         std::chrono::duration<double>(policy_.every_seconds);
}

void RunRecorder::save(const std::string& path, const RunState& state) {
  record_.state = state;
  write_resume_file(path, record_);
  // The file has it now: kept, it would hold a copy of the image and the optimiser's state
  // (three pictures' worth with Adam) through the rest of the run.
  record_.state = RunState{};
  last_save_ = std::chrono::steady_clock::now();
}

}  // namespace nst
