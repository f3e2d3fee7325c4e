// The Gram matrix as an autograd op: x [N, C, H, W] -> [N, C, C], one G = F F^T / (H W) per
// image (kernels in tensor/gram.h).
#pragma once

#include "autograd/variable.h"

namespace nst::nn {

Var gram(const Var& x);

}  // namespace nst::nn
