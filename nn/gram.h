// The Gram matrix of feature maps, the statistic that the style loss compares.
//
// For each image of x [N, C, H, W], with F its features as a C x HW matrix:
//   G = F F^T / (H W)                       -> [N, C, C]
//   dF += (dG + dG^T) F / (H W)
// Dividing by H W (not C H W) is this project's convention, so that style images of another
// size than the output compare fairly (GUIDE section 3).
#pragma once

#include "autograd/variable.h"

namespace nst {

void gram_forward(float* gram, const float* features, int C, int HW);
void gram_backward(float* dfeatures, const float* dgram, const float* features, int C, int HW);

namespace nn {
Var gram(const Var& x);
}  // namespace nn

}  // namespace nst
