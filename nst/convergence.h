// When a scale of a run has converged and may stop before its cap (README, "Stopping"): the
// best total loss so far has improved by less than `tolerance`, relative, over the last
// `window` iterations:
//
//   best(t) = min(E_1, ..., E_t)        converged at t when  t > window  and
//   best(t - window) - best(t) < tolerance * best(t - window)
//
// The best loss, not the last one: Adam's loss wobbles from step to step, and only a lasting
// gain should keep a run going. Tolerance 0 never stops a run: every iteration runs.
#pragma once

#include <string>
#include <vector>

namespace nst {

struct ConvergenceRule {
  double tolerance = 0;  // 0: never converged
  int window = 50;       // iterations
};

class ConvergenceWatch {
 public:
  // `earlier`: the totals of the scale's iterations so far, for a continued run (RunState).
  explicit ConvergenceWatch(ConvergenceRule rule, std::vector<double> earlier = {});

  // Takes the total loss of the scale's next iteration; true when the scale has converged
  // with it.
  bool add(double total);
  // The totals of the scale's iterations so far.
  const std::vector<double>& totals() const { return totals_; }
  // Why it converged, in words: "the loss fell 0.0081% over the last 50 iterations, under the
  // tolerance of 0.01%".
  std::string reason() const;

 private:
  double improvement() const;  // relative, of the best loss over the last window
  ConvergenceRule rule_;
  std::vector<double> totals_;
  std::vector<double> best_;  // best_[i]: the least of totals_[0..i]
};

}  // namespace nst
