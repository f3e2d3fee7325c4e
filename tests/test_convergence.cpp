// The rule that ends a scale once it has converged (nst/convergence.h), on loss curves made
// up so that the iteration it must stop at can be worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "nst/convergence.h"

namespace nst {
namespace {

// The iteration (1-based) at which the watch says converged, or 0 if it never does.
int converged_at(const ConvergenceRule& rule, const std::vector<double>& curve) {
  ConvergenceWatch watch(rule);
  for (std::size_t t = 0; t < curve.size(); ++t) {
    if (watch.add(curve[t])) return static_cast<int>(t) + 1;
  }
  return 0;
}

// Falls to 10 at iteration 20, then stays there.
std::vector<double> plateau_at_20() {
  std::vector<double> curve;
  for (int t = 1; t <= 60; ++t) curve.push_back(t < 20 ? 10 + (20 - t) * 0.5 : 10.0);
  return curve;
}

TEST(Convergence, ToleranceZeroRunsEveryIteration) {
  EXPECT_EQ(converged_at({.tolerance = 0, .window = 10}, plateau_at_20()), 0);
}

TEST(Convergence, APlateauStopsOneWindowAfterItBegins) {
  // best(29) - best(19) = 10.5 - 10 is 4.8% of 10.5; best(30) - best(20) = 0.
  EXPECT_EQ(converged_at({.tolerance = 0.01, .window = 10}, plateau_at_20()), 30);
  // 4.8% is under a tolerance of 5%, but 0.5 is over a twentieth of the 9.5 gained since the
  // start: not yet.
  EXPECT_EQ(converged_at({.tolerance = 0.05, .window = 10}, plateau_at_20()), 30);
}

TEST(Convergence, ASteadyFallIsMeasuredOverTheWindow) {
  // 1% less each iteration: 1 - 0.99^10 = 9.56% over any 10 iterations, so a tolerance above
  // that passes the first test at once; the second waits until the window's gain,
  // 9.56 * 0.99^(t - 11), is under 5% of the 100 (1 - 0.99^(t - 1)) gained: from t = 115.
  std::vector<double> curve;
  for (int t = 0; t < 300; ++t) curve.push_back(100 * std::pow(0.99, t));
  EXPECT_EQ(converged_at({.tolerance = 0.0957, .window = 10}, curve), 115);
  EXPECT_EQ(converged_at({.tolerance = 0.0955, .window = 10}, curve), 0);
}

TEST(Convergence, ACreepThatHasNotLevelledOffGoesOn) {
  // 0.01 less every iteration (L-BFGS's start with untrained weights looks so): each window of
  // 25 gains 0.25%, under the tolerance of 1%, but a window's gain stays over a twentieth of
  // all gained until t - 1 > 20 * 25.
  std::vector<double> curve;
  for (int t = 1; t <= 600; ++t) curve.push_back(100 - 0.01 * t);
  const ConvergenceRule rule{.tolerance = 0.01, .window = 25};
  EXPECT_EQ(converged_at(rule, {curve.begin(), curve.begin() + 500}), 0);
  EXPECT_EQ(converged_at(rule, curve), 502);
  // A flat start has gained nothing: it never passes for the end.
  EXPECT_EQ(converged_at(rule, std::vector<double>(100, 5.0)), 0);
}

TEST(Convergence, OnlyTheBestLossCounts) {
  // A spike on a plateau changes nothing; a new low keeps the run going a window more.
  std::vector<double> curve = plateau_at_20();
  curve[24] = 50;
  EXPECT_EQ(converged_at({.tolerance = 0.01, .window = 10}, curve), 30);
  curve = plateau_at_20();
  curve[25] = 9;  // iteration 26: 10% lower
  EXPECT_EQ(converged_at({.tolerance = 0.01, .window = 10}, curve), 36);
}

TEST(Convergence, AWatchGivenTheEarlierLossesGoesOnAsTheWholeOne) {
  const std::vector<double> curve = plateau_at_20();
  const ConvergenceRule rule{.tolerance = 0.01, .window = 10};
  for (std::size_t split : {0u, 1u, 15u, 29u}) {
    ConvergenceWatch continued(rule, {curve.begin(), curve.begin() + long(split)});
    int stopped = 0;
    for (std::size_t t = split; t < curve.size() && stopped == 0; ++t) {
      if (continued.add(curve[t])) stopped = static_cast<int>(t) + 1;
    }
    EXPECT_EQ(stopped, 30) << "continued after " << split;
  }
}

TEST(Convergence, TheReasonSaysByHowMuchAndOverHowLong) {
  ConvergenceWatch watch({.tolerance = 1e-4, .window = 10});
  for (const double total : plateau_at_20()) {
    if (watch.add(total)) break;
  }
  EXPECT_EQ(watch.reason(),
            "the loss fell 0% over the last 10 iterations, under the tolerance of 0.01%");
}

}  // namespace
}  // namespace nst
