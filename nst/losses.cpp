#include "nst/losses.h"

#include "autograd/op_timing.h"
#include "nn/elementwise_ops.h"
#include "nn/gram.h"
#include "nn/reduction_ops.h"
#include "tensor/elementwise.h"
#include "tensor/error.h"
#include "tensor/gram.h"

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

FeatureLosses feature_losses_in_place(Tensor& features, const FeatureTerms& terms) {
  const OpTimer timer("feature_losses", OpPhase::fused);
  const Shape& s = features.shape();
  NST_CHECK(s.rank() == 4 && s[0] == 1, "feature losses: features must be [1, C, H, W], got ", s);
  const auto C = static_cast<int>(s[1]), HW = static_cast<int>(s[2] * s[3]);
  const double chw = static_cast<double>(C) * HW;
  FeatureLosses losses;
  const float* target = nullptr;
  float distance_scale = 0.0f;
  if (terms.content_target != nullptr) {
    check_same_shape(features, *terms.content_target, "content term");
    losses.content =
        squared_distance(features.values(), terms.content_target->values()) / (4.0 * chw);
    if (terms.content_weight != 0.0) {  // d/dF sum (F - P)^2 / (4 C H W) = (F - P) / (2 C H W)
      target = terms.content_target->data();
      distance_scale = static_cast<float>(terms.content_weight / (2.0 * chw));
    }
  }
  Tensor dgram;
  if (terms.style_target != nullptr) {
    Tensor gram(Shape{1, C, C});  // as nn::gram makes the targets
    gram_forward(gram.data(), features.data(), C, HW);
    check_same_shape(gram, *terms.style_target, "style term");
    const double c2 = static_cast<double>(C) * C;
    losses.style = squared_distance(gram.values(), terms.style_target->values()) / (4.0 * c2);
    if (terms.style_weight != 0.0) {  // d/dG sum (G - A)^2 / (4 C^2) = (G - A) / (2 C^2)
      dgram = Tensor(gram.shape());
      sub(gram.values(), terms.style_target->values(), dgram.values());
      scale(dgram.values(), static_cast<float>(terms.style_weight / (2.0 * c2)), dgram.values());
    }
  }
  if (target != nullptr || dgram.defined()) {
    gram_backward_in_place(features.data(), dgram.defined() ? dgram.data() : nullptr, target,
                           distance_scale, C, HW);
  }
  return losses;
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
