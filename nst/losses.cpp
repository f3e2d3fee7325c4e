#include "nst/losses.h"

#include "nn/elementwise_ops.h"
#include "nn/gram.h"
#include "nn/reduction_ops.h"
#include "tensor/elementwise.h"
#include "tensor/error.h"

namespace nst {

Var content_layer_loss(const Var& features, const Tensor& target) {
  const Shape& s = features.shape();  // [1, C, H, W]
  const double chw = static_cast<double>(s[1] * s[2] * s[3]);
  return nn::scale(nn::squared_error_sum(features, Var(target)),
                   static_cast<float>(1.0 / (4.0 * chw)));
}

Var style_layer_loss(const Var& features, const Tensor& target_gram) {
  const double c = static_cast<double>(features.shape()[1]);
  return nn::scale(nn::squared_error_sum(nn::gram(features), Var(target_gram)),
                   static_cast<float>(1.0 / (4.0 * c * c)));
}

Tensor blend_grams(const std::vector<Tensor>& grams, const std::vector<double>& weights) {
  NST_CHECK(!grams.empty() && grams.size() == weights.size(), "blend_grams: ", grams.size(),
            " Gram matrices and ", weights.size(), " weights");
  Tensor blend = Tensor::zeros(grams[0].shape());
  for (std::size_t k = 0; k < grams.size(); ++k) {
    check_same_shape(grams[k], blend, "blend_grams");
    axpy(static_cast<float>(weights[k]), grams[k].values(), blend.values());
  }
  return blend;
}

std::vector<double> normalized_blend(const std::vector<double>& weights, std::size_t styles) {
  if (weights.empty()) return std::vector<double>(styles, 1.0 / static_cast<double>(styles));
  NST_CHECK(weights.size() == styles, "--style-blend has ", weights.size(), " weight",
            weights.size() == 1 ? "" : "s", " for ", styles, " style image",
            styles == 1 ? "" : "s");
  double total = 0.0;
  for (double w : weights) {
    NST_CHECK(w >= 0.0, "--style-blend weights must not be negative, got ", w);
    total += w;
  }
  NST_CHECK(total > 0.0, "--style-blend weights must not all be zero");
  std::vector<double> normalized;
  for (double w : weights) normalized.push_back(w / total);
  return normalized;
}

}  // namespace nst
