// Total variation as an autograd op: the scalar E_tv of every image and channel of
// x [N, C, H, W] (kernels in tensor/total_variation.h).
#pragma once

#include "autograd/variable.h"

namespace nst::nn {

Var total_variation(const Var& x);

}  // namespace nst::nn
