// Checks an op's backward against central finite differences.
//
// f maps the inputs to an output of any shape. The check compares, for every element x_j of
// every input that requires a gradient, the analytic d<f(x), r>/dx_j from backward() (with a
// fixed random projection r as the seed) with the numeric estimate
//   (<f(x + h e_j), r> - <f(x - h e_j), r>) / 2h,
// the inner products accumulated in double. The error of an element is
//   |analytic - numeric| / max(floor, |analytic|, |numeric|):
// relative for large gradients, absolute below `floor`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "autograd/variable.h"

namespace nst {

struct GradcheckOptions {
  double step = 1e-3;       // h, on the inputs' scale
  double tolerance = 1e-3;  // largest error that passes
  double floor = 1.0;       // below this magnitude, errors are absolute
  uint64_t seed = 1234;     // for the projection r
};

struct GradcheckResult {
  bool passed = true;
  double worst_error = 0.0;
  std::size_t input = 0;  // where the worst error is
  int64_t index = 0;
  double analytic = 0.0, numeric = 0.0;
  std::string describe() const;  // "worst error 3e-05 at input 0 [17]: analytic ..., numeric ..."
};

using GradcheckFn = std::function<Var(const std::vector<Var>&)>;

GradcheckResult gradcheck(const GradcheckFn& f, std::vector<Var> inputs,
                          const GradcheckOptions& options = {});

}  // namespace nst
