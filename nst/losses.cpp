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

}  // namespace nst
