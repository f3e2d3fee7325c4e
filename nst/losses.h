// The style transfer's losses, exactly as the project's contract defines them (README, "The
// losses"). F is a layer's features, C channels by H x W positions; G its Gram matrix
// F F^T / (H W).
//   content term of a layer:  sum (F - P)^2 / (4 C H W)
//   style term of a layer:    sum (G - A)^2 / (4 C^2)
//   total variation:          nn::total_variation of the [0, 1] image
#pragma once

#include <vector>

#include "autograd/variable.h"

namespace nst {

Var content_layer_loss(const Var& features, const Tensor& target);
Var style_layer_loss(const Var& features, const Tensor& target_gram);

// sum_k weights[k] grams[k]; the weights must already sum to 1.
Tensor blend_grams(const std::vector<Tensor>& grams, const std::vector<double>& weights);

}  // namespace nst
