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

// As autograd ops: the reference the graph-free version below is tested against.
Var content_layer_loss(const Var& features, const Tensor& target);
Var style_layer_loss(const Var& features, const Tensor& target_gram);

// The terms that one feature map [1, C, H, W] enters, for evaluating them without a graph.
struct FeatureTerms {
  const Tensor* content_target = nullptr;  // P, or null for no content term
  double content_weight = 0.0;             // the term's weight in the total
  const Tensor* style_target = nullptr;    // A, or null for no style term
  double style_weight = 0.0;
};
struct FeatureLosses {
  double content = 0.0, style = 0.0;  // unweighted
};

// The terms' values, and `features` overwritten with the gradient of their weighted sum (when
// some weight is non-zero): the loss keeps no copy of a feature map, and backward starts from
// this tensor (autograd/backward.h, RootGradient). The same numbers as the autograd ops above.
FeatureLosses feature_losses_in_place(Tensor& features, const FeatureTerms& terms);

// sum_k weights[k] grams[k]; the weights must already sum to 1.
Tensor blend_grams(const std::vector<Tensor>& grams, const std::vector<double>& weights);

}  // namespace nst
