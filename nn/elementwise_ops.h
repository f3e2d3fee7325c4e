// Elementwise operations on variables of equal shape (no broadcasting).
#pragma once

#include "autograd/variable.h"

namespace nst::nn {

Var add(const Var& a, const Var& b);
Var sub(const Var& a, const Var& b);
Var mul(const Var& a, const Var& b);
Var scale(const Var& x, float s);
Var relu(const Var& x);

}  // namespace nst::nn
