// Colour preservation (Gatys, Bethge, Hertzmann, Shechtman, "Preserving Color in Neural
// Artistic Style Transfer", 2016): the two ways of keeping the content's colours while taking
// the style's textures. Images are [1, 3, H, W] RGB with values in [0, 1].
//
// Luminance only: the network sees grey images (the style's luminance matched to the
// content's mean and standard deviation), and the result's luminance is put back together
// with the content's chrominance. The colour space is YIQ (NTSC, as in the paper):
//   Y = 0.299 R + 0.587 G + 0.114 B    I = 0.596 R - 0.274 G - 0.322 B
//   Q = 0.211 R - 0.523 G + 0.312 B
// so the output's I and Q are the content's, up to rounding (and clamping to [0, 1]).
//
// Colour histogram matching: each style picture's pixels x are mapped to A (x - mu_s) + mu_c
// so that their mean and covariance become the content's. Of the matrices with
// A Sigma_s A^T = Sigma_c, we use the symmetric one,
//   A = Sigma_s^-1/2 (Sigma_s^1/2 Sigma_c Sigma_s^1/2)^1/2 Sigma_s^-1/2,
// which is the optimal-transport map between the two Gaussians: among all such linear
// recolourings it moves the colours the least, and it neither rotates nor mirrors the colour
// space (the Cholesky form L_c L_s^-1 depends on the order of R, G, B; the paper's
// Sigma_c^1/2 Sigma_s^-1/2 is not symmetric and can rotate hues).
#pragma once

#include "tensor/tensor.h"

namespace nst {

Tensor rgb_to_yiq(const Tensor& rgb);
Tensor yiq_to_rgb(const Tensor& yiq);  // not clamped

// The luminance Y of an RGB image, as a grey RGB image (Y in all three channels).
Tensor luminance_image(const Tensor& rgb);

// A grey image whose values are matched to the reference's mean and standard deviation:
// (x - mean_x) * (std_ref / std_x) + mean_ref. A constant image stays constant, moved to the
// reference's mean. Not clamped: the network takes any values.
Tensor match_luminance(const Tensor& grey, const Tensor& reference);

// The RGB image with the luminance of `result` and the chrominance (I, Q) of `content`,
// clamped to [0, 1]. Both the same size.
Tensor combine_luminance(const Tensor& result, const Tensor& content);

// `style` recoloured so that its colour mean and covariance equal `content`'s (the map above).
// Not clamped, so that the statistics hold exactly. Sizes may differ. A flat colour (a singular
// covariance) is regularised by 1e-10 per channel.
Tensor match_colors(const Tensor& style, const Tensor& content);

}  // namespace nst
