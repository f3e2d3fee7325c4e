// Total variation: the smoothness prior of style transfer.
//   E_tv = sum (x[c, i+1, j] - x[c, i, j])^2 + sum (x[c, i, j+1] - x[c, i, j])^2
// over every image, channel and position of x [N, C, H, W] (GUIDE section 3).
#pragma once

#include "autograd/variable.h"

namespace nst {

double total_variation_forward(const float* x, int planes, int H, int W);
void total_variation_backward(float* dx, float dout, const float* x, int planes, int H, int W);

namespace nn {
Var total_variation(const Var& x);
}  // namespace nn

}  // namespace nst
