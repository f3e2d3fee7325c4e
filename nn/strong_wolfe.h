// The line search of torch.optim.LBFGS (line_search_fn = "strong_wolfe"), after minFunc:
// find a step t along direction d that satisfies the strong Wolfe conditions
//   f(x + t d) <= f(x) + c1 t g.d      and      |g(x + t d).d| <= c2 |g.d|
// by bracketing, then zooming with safeguarded cubic interpolation.
#pragma once

#include <functional>
#include <optional>
#include <utility>

#include "tensor/tensor.h"

namespace nst::nn {

// The minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to bounds (default:
// the interval between x1 and x2); the bounds' midpoint if the cubic has no minimum.
double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2,
                         std::optional<std::pair<double, double>> bounds = std::nullopt);

struct LineSearchResult {
  double loss;       // f(x + t d)
  Tensor flat_grad;  // g(x + t d)
  double t;
  int evaluations;
};

// evaluate(t) returns f and the flat gradient at x + t d, leaving the parameters at x.
using DirectionalEvaluate = std::function<std::pair<double, Tensor>(double t)>;

// Where the search starts: at x (t = 0) with loss f(x), gradient g(x) and g.d, trying step t.
struct LineSearchStart {
  double t;
  const Tensor& direction;  // d
  double loss;
  const Tensor& flat_grad;
  double gtd;
};

struct StrongWolfeOptions {
  double c1 = 1e-4;  // sufficient decrease
  double c2 = 0.9;   // curvature
  double tolerance_change = 1e-9;
  int max_ls = 25;  // evaluations
};

LineSearchResult strong_wolfe(const DirectionalEvaluate& evaluate, const LineSearchStart& start,
                              const StrongWolfeOptions& options = {});

}  // namespace nst::nn
