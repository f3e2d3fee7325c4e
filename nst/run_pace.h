// How fast a run goes and how long it has left, for the faces that show its progress (the
// command line's bar, the service's events) and the service's estimates. A run of several scales
// does not go at one speed: an iteration at a scale costs about its pixels plus a fixed part
// (iteration_cost()), so the time left weighs each scale's remaining iterations by that cost
// and divides by the cost done per second, measured at the current scale once it has a few
// iterations (before that, over the whole run so far).
#pragma once

#include <chrono>
#include <vector>

#include "nst/job.h"

namespace nst {

class RunRecorder;

// What one iteration on a picture of `size` costs, in pixels: its own, plus a fixed part that
// costs as much as kIterationOverheadPixels more (the layers' dispatch, the threads' hand-offs,
// the Gram matrices' products, whose size does not depend on the picture's). Measured with
// `nst stylize --scales 1` at 96 to 768 px (the time of 40 iterations less that of 10): an
// iteration took 0.04 s + pixels / 420k per s on a 2-core Zen 5, and 0.04 s is 17k pixels'
// time. Without it a 96 px job looks 3x slower per pixel than a 768 px one.
inline constexpr double kIterationOverheadPixels = 16384;
double iteration_cost(ImageSize size);

struct ScaleWork {
  int iterations = 0;   // planned at this scale, or done at a scale that has ended early
  double pixels = 1.0;  // what an iteration at it costs (iteration_cost()), relative to the others
};

// The scales of a prepared run, for a fresh run or one continued from `recorder`'s state
// (whose earlier scales may have converged early: its loss rows say where).
std::vector<ScaleWork> scale_work(const PreparedJob& prepared, const RunRecorder& recorder);

class RunPace {
 public:
  using Clock = std::chrono::steady_clock;

  // `already_done`: the iterations of a continued run's past, done before this process.
  // The clocks start at the first update(), so that the setting up before the first iteration
  // (the style targets) does not count as iterating.
  RunPace(std::vector<ScaleWork> scales, int already_done);

  // Iteration `iteration` (counted over all scales, at `scale`, 1-based) has just been done.
  void update(int iteration, int scale, Clock::time_point now = Clock::now());
  // Scale `scale` ended at `iteration`, before its planned iterations.
  void converged(int scale, int iteration);

  int total() const;                    // iterations over all scales, as far as known now
  int done() const { return done_; }    // over all scales
  int scale() const { return scale_; }  // the current scale, 1-based
  int scale_count() const { return static_cast<int>(scales_.size()); }
  int scale_done() const;                // iterations done at the current scale
  int scale_iterations() const;          // planned at the current scale
  double iterations_per_second() const;  // at the current scale, in this process
  double seconds_left() const;           // 0 until there is a rate to go by
  // The run's speed in this process: each iteration's cost (ScaleWork::pixels), summed, per
  // second between its first iteration here and its last; 0 before two iterations.
  double pixel_iterations_per_second() const;

 private:
  double work_done(int iterations) const;  // iterations weighed by their scale's pixels
  int iterations_before(int scale) const;  // at the scales before `scale` (1-based)

  std::vector<ScaleWork> scales_;
  int done_, scale_ = 1;
  int start_done_, scale_start_done_;  // iterations done when the clocks below started
  bool started_ = false;
  Clock::time_point start_, scale_start_, now_;
};

}  // namespace nst
