// Reductions to a scalar (shape []), accumulated in double.
#pragma once

#include "autograd/variable.h"

namespace nst::nn {

Var sum(const Var& x);
Var mean(const Var& x);
// sum (a - b)^2: the squared error of a against a target, without a temporary difference.
Var squared_error_sum(const Var& a, const Var& b);

}  // namespace nst::nn
