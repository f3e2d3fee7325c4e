// When a scale of a run has converged and may stop before its cap (README, "Stopping when
// done"): the best total loss so far has improved by less than `tolerance`, relative, over the
// last `window` iterations, and that improvement is a small part of all the scale has gained:
//
//   best(t) = min(E_1, ..., E_t),   gain = best(t - window) - best(t)
//   converged at t when  t > window,  gain < tolerance * best(t - window)
//                        and  gain < kSlowed * (E_1 - best(t))
//
// The best loss, not the last one: Adam's loss wobbles from step to step, and only a lasting
// gain should keep a run going. The second condition tells a curve that has levelled off from
// one that has not really started: a flat start, or L-BFGS's first hundreds of iterations with
// untrained weights, which creep down by 0.1% per 25 iterations before the loss falls 30-fold
// (bench/tolerance_curves.sh); either would pass the first test. Tolerance 0 never stops a run.
#pragma once

#include <string>
#include <vector>

namespace nst {

// The share of a scale's whole gain that one window may still bring at convergence.
constexpr double kSlowed = 0.05;

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
