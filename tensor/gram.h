// The Gram matrix of feature maps, the statistic that the style loss compares. With F the
// features of one image as a C x HW matrix:
//   G = F F^T / (H W)                 (C x C)
//   dF += (dG + dG^T) F / (H W)
// Dividing by H W (not C H W) is this project's convention, so that style images of another
// size than the output compare fairly (README, "The losses").
#pragma once

#include <cstdint>

namespace nst {

void gram_forward(float* gram, const float* features, int C, int HW);
// The same over a band of a larger map: each channel's HW positions start `stride` floats
// after the previous channel's (stride >= HW).
void gram_forward(float* gram, const float* features, int C, int HW, int64_t stride);
void gram_backward(float* dfeatures, const float* dgram, const float* features, int C, int HW);

// The gradient of a Gram term plus a distance term, written over the features themselves:
//   F <- (dG + dG^T) F / (H W) + distance_scale * (F - target)
// dgram or target may be null (that term is 0). It goes column block by block (each block's
// product reads only its own columns), so a loss needs no second C x HW buffer.
void gram_backward_in_place(float* features, const float* dgram, const float* target,
                            float distance_scale, int C, int HW);
// The same over a band of a larger map, the target laid out as the features (see above).
void gram_backward_in_place(float* features, const float* dgram, const float* target,
                            float distance_scale, int C, int HW, int64_t stride);

}  // namespace nst
