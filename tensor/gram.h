// The Gram matrix of feature maps, the statistic that the style loss compares. With F the
// features of one image as a C x HW matrix:
//   G = F F^T / (H W)                 (C x C)
//   dF += (dG + dG^T) F / (H W)
// Dividing by H W (not C H W) is this project's convention, so that style images of another
// size than the output compare fairly (README, "The losses").
#pragma once

namespace nst {

void gram_forward(float* gram, const float* features, int C, int HW);
void gram_backward(float* dfeatures, const float* dgram, const float* features, int C, int HW);

}  // namespace nst
