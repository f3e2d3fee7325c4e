// The style transfer's losses, exactly as the project's contract defines them (README, "The
// losses"). F is a layer's features, C channels by H x W positions; G its Gram matrix
// F F^T / (H W).
//   content term of a layer:  sum (F - P)^2 / (4 C H W)
//   style term of a layer:    sum (G - A)^2 / (4 C^2)
//   total variation:          nn::total_variation of the [0, 1] image
// With style masks (README, "Regions"), a region's style term compares the guided Gram matrix
//   G_m = (F diag(m)) F^T / sum(m)    (m: the region's mask at the layer's size, [1, 1, H, W])
// with its target, and the layer's style term is the weighted sum of its regions' terms.
#pragma once

#include <span>
#include <vector>

#include "autograd/variable.h"

namespace nst {

// As autograd ops: the reference the graph-free version below is tested against.
Var content_layer_loss(const Var& features, const Tensor& target);
Var style_layer_loss(const Var& features, const Tensor& target_gram);
// sum (G_m - A)^2 / (4 C^2), built from masked ops: G_m as gram(F * sqrt(m)) * H W / sum(m).
Var guided_style_layer_loss(const Var& features, const Tensor& mask, const Tensor& target_gram);

// G_m of features [1, C, H, W] under a mask [1, 1, H, W] (values >= 0, sum > 0), as [1, C, C].
// A mask of ones gives nn::gram's matrix bit for bit.
Tensor guided_gram(const Tensor& features, const Tensor& mask);

// One region's style term within a layer.
struct RegionStyleTerm {
  const Tensor* mask = nullptr;    // m at the layer's size; its sum must be positive
  const Tensor* target = nullptr;  // A
  double weight = 1.0;             // the term's factor in the layer's style term
};

// The terms that one feature map [1, C, H, W] enters, for evaluating them without a graph.
struct FeatureTerms {
  const Tensor* content_target = nullptr;  // P, or null for no content term
  double content_weight = 0.0;             // the term's weight in the total
  const Tensor* style_target = nullptr;    // A, or null for no style term (or regions)
  double style_weight = 0.0;
  // With style masks: the layer's style term is sum_r weight_r * (its term), and style_target
  // is null.
  std::span<const RegionStyleTerm> style_regions{};
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
