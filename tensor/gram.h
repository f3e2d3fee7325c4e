// The Gram matrix of feature maps, the statistic that the style loss compares. With F the
// features of one image as a C x HW matrix:
//   G = F F^T / (H W)                 (C x C)
//   dF += (dG + dG^T) F / (H W)
// Dividing by H W (not C H W) is this project's convention, so that style images of another
// size than the output compare fairly (README, "The losses").
//
// A guided Gram matrix (README, "Regions") weights each position p by a mask value m_p >= 0:
//   G = (F diag(m)) F^T / sum(m)      the m-weighted mean of f_p f_p^T
//   dF += m * ((dG + dG^T) F) / sum(m)   (m scaling each column)
// A mask of ones gives the plain Gram matrix, bit for bit.
#pragma once

#include <cstdint>
#include <span>

namespace nst {

void gram_forward(float* gram, const float* features, int C, int HW);
// The same over a band of a larger map: each channel's HW positions start `stride` floats
// after the previous channel's (stride >= HW).
void gram_forward(float* gram, const float* features, int C, int HW, int64_t stride);
void gram_backward(float* dfeatures, const float* dgram, const float* features, int C, int HW);

// G = (weighted) F^T * scale, where `weighted` is F with each column p multiplied by m_p (the
// caller's C x HW buffer): with scale = 1 / sum(m), the guided Gram matrix. The features may
// be a band of a larger map, each channel `stride` floats after the previous (stride >= HW).
void weighted_gram_forward(float* gram, const float* weighted, const float* features, int C, int HW,
                           float scale, int64_t stride);

// One Gram term's share of a gradient: dF += mask * ((dgram + dgram^T) F) * scale, per column.
// mask null: every position weighs 1 (the plain Gram matrix, scale = 1 / (H W)).
struct GramGradient {
  const float* dgram = nullptr;  // C x C
  const float* mask = nullptr;   // HW values, laid out as one channel of the features
  float scale = 0.0f;
};

// The gradient of a Gram term plus a distance term, written over the features themselves:
//   F <- (dG + dG^T) F / (H W) + distance_scale * (F - target)
// dgram or target may be null (that term is 0). It goes column block by block (each block's
// product reads only its own columns), so a loss needs no second C x HW buffer.
void gram_backward_in_place(float* features, const float* dgram, const float* target,
                            float distance_scale, int C, int HW);
// The same over a band of a larger map, the target laid out as the features (see above).
void gram_backward_in_place(float* features, const float* dgram, const float* target,
                            float distance_scale, int C, int HW, int64_t stride);
// The same for any number of Gram terms, each with its own mask (guided Gram matrices):
//   F <- sum_t grams[t] share + distance_scale * (F - target)
void gram_backward_in_place(float* features, std::span<const GramGradient> grams,
                            const float* target, float distance_scale, int C, int HW,
                            int64_t stride);

}  // namespace nst
