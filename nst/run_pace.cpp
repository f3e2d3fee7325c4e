#include "nst/run_pace.h"

#include <algorithm>

#include "nst/run_recorder.h"

namespace nst {
namespace {

// Iterations a scale's own rate needs before it is trusted over the run's: the first few
// include settling in (caches, the optimiser's first steps).
constexpr int kIterationsForScaleRate = 3;

double seconds_between(RunPace::Clock::time_point from, RunPace::Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

double iteration_cost(ImageSize size) {
  return double(size.width) * size.height + kIterationOverheadPixels;
}

std::vector<ScaleWork> scale_work(const PreparedJob& prepared, const RunRecorder& recorder) {
  const RunState& state = recorder.state();
  std::vector<ScaleWork> scales;
  for (std::size_t k = 0; k < prepared.scales.size(); ++k) {
    int iterations = prepared.scales[k].iterations;
    if (static_cast<int>(k) < state.scale) {  // an earlier scale of a continued run
      iterations = static_cast<int>(
          std::count_if(recorder.rows().begin(), recorder.rows().end(),
                        [&](const IterationLosses& row) { return row.scale == int(k) + 1; }));
    }
    scales.push_back({.iterations = iterations,
                      .pixels = iteration_cost(image_size(prepared.scales[k].content))});
  }
  return scales;
}

RunPace::RunPace(std::vector<ScaleWork> scales, int already_done)
    : scales_(std::move(scales)),
      done_(already_done),
      start_done_(already_done),
      scale_start_done_(already_done) {
  if (scales_.empty()) scales_.push_back({});
  // A continued run starts at the scale its past ended in.
  while (scale_ < scale_count() && iterations_before(scale_ + 1) <= already_done) ++scale_;
}

void RunPace::update(int iteration, int scale, Clock::time_point now) {
  const bool first = !started_;
  if (first) {
    started_ = true;
    start_ = now;
    start_done_ = iteration;
  }
  if (first || scale != scale_) {  // a scale's rate starts from its first iteration here
    scale_ = std::clamp(scale, 1, scale_count());
    scale_start_ = now;
    scale_start_done_ = iteration;
  }
  done_ = iteration;
  now_ = now;
}

void RunPace::converged(int scale, int iteration) {
  if (scale < 1 || scale > scale_count()) return;
  scales_[scale - 1].iterations = std::max(0, iteration - iterations_before(scale));
}

int RunPace::iterations_before(int scale) const {
  int before = 0;
  for (int k = 0; k + 1 < scale && k < scale_count(); ++k) before += scales_[k].iterations;
  return before;
}

int RunPace::total() const { return iterations_before(scale_count() + 1); }
int RunPace::scale_done() const { return done_ - iterations_before(scale_); }
int RunPace::scale_iterations() const { return scales_[scale_ - 1].iterations; }

double RunPace::iterations_per_second() const {
  const double seconds = seconds_between(scale_start_, now_);
  return seconds > 0.0 ? (done_ - scale_start_done_) / seconds : 0.0;
}

double RunPace::work_done(int iterations) const {
  double work = 0.0;
  for (const ScaleWork& scale : scales_) {
    const int here = std::clamp(iterations, 0, scale.iterations);
    work += here * scale.pixels;
    iterations -= here;
  }
  return work;
}

double RunPace::pixel_iterations_per_second() const {
  const double seconds = seconds_between(start_, now_);
  return seconds > 0.0 ? (work_done(done_) - work_done(start_done_)) / seconds : 0.0;
}

double RunPace::seconds_left() const {
  const bool scale_measured = done_ - scale_start_done_ >= kIterationsForScaleRate;
  const Clock::time_point from = scale_measured ? scale_start_ : start_;
  const int from_done = scale_measured ? scale_start_done_ : start_done_;
  const double seconds = seconds_between(from, now_);
  const double work = work_done(done_) - work_done(from_done);
  if (seconds <= 0.0 || work <= 0.0) return 0.0;
  return (work_done(total()) - work_done(done_)) * seconds / work;
}

}  // namespace nst
