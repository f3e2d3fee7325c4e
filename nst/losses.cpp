#include "nst/losses.h"

#include <cmath>

#include "autograd/op_timing.h"
#include "nn/elementwise_ops.h"
#include "nn/gram.h"
#include "nn/reduction_ops.h"
#include "nst/style_masks.h"
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

Var guided_style_layer_loss(const Var& features, const Tensor& mask, const Tensor& target_gram) {
  const Shape& s = features.shape();  // [1, C, H, W]
  NST_CHECK(mask.shape() == Shape({1, 1, s[2], s[3]}), "guided style loss: a mask ", mask.shape(),
            " for features ", s);
  const int64_t hw = s[2] * s[3];
  Tensor root(s);  // sqrt(m) in every channel: gram(F * sqrt(m)) = F diag(m) F^T / (H W)
  double sum = 0.0;
  for (int64_t p = 0; p < hw; ++p) {
    sum += mask.data()[p];
    for (int64_t c = 0; c < s[1]; ++c) root.data()[c * hw + p] = std::sqrt(mask.data()[p]);
  }
  const Var gram = nn::scale(nn::gram(nn::mul(features, Var(root))),
                             static_cast<float>(static_cast<double>(hw) / sum));
  const double c = static_cast<double>(s[1]);
  return nn::scale(nn::squared_error_sum(gram, Var(target_gram)),
                   static_cast<float>(1.0 / (4.0 * c * c)));
}

namespace {

void check_mask(const Tensor& features, const Tensor& mask, double sum) {
  const Shape& s = features.shape();
  NST_CHECK(mask.shape() == Shape({1, 1, s[2], s[3]}), "guided Gram: a mask ", mask.shape(),
            " for features ", s);
  NST_CHECK(sum > 0.0, "guided Gram: the mask is empty");
}

// G_m with the mask's sum given, so that a caller that needs the sum too adds it up once.
Tensor guided_gram(const Tensor& features, const Tensor& mask, double sum) {
  check_mask(features, mask, sum);
  const Shape& s = features.shape();
  const auto C = static_cast<int>(s[1]), HW = static_cast<int>(s[2] * s[3]);
  Tensor weighted(s);  // F diag(m)
  const float* m = mask.data();
  for (int c = 0; c < C; ++c) {
    const float* f = features.data() + static_cast<int64_t>(c) * HW;
    float* w = weighted.data() + static_cast<int64_t>(c) * HW;
    for (int p = 0; p < HW; ++p) w[p] = f[p] * m[p];
  }
  Tensor gram(Shape{1, C, C});
  // 1 / sum as float, as gram_forward's 1 / (H W): a mask of ones gives its exact matrix.
  weighted_gram_forward(gram.data(), weighted.data(), features.data(), C, HW,
                        1.0f / static_cast<float>(sum), HW);
  return gram;
}

}  // namespace

Tensor guided_gram(const Tensor& features, const Tensor& mask) {
  return guided_gram(features, mask, mask_sum(mask));
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
  // One Gram term per region (or one, unmasked): dE/dG_r = weight_r (G_r - A) / (2 C^2).
  const double c2 = static_cast<double>(C) * C;
  std::vector<Tensor> dgrams;
  std::vector<GramGradient> gradients;
  auto add_gram_term = [&](const Tensor& gram, const Tensor& gram_target, double weight,
                           const float* mask, float column_scale) {
    check_same_shape(gram, gram_target, "style term");
    losses.style += weight * squared_distance(gram.values(), gram_target.values()) / (4.0 * c2);
    const double gradient_weight = terms.style_weight * weight;
    if (gradient_weight == 0.0) return;
    Tensor& dgram = dgrams.emplace_back(gram.shape());
    sub(gram.values(), gram_target.values(), dgram.values());
    scale(dgram.values(), static_cast<float>(gradient_weight / (2.0 * c2)), dgram.values());
    gradients.push_back({.dgram = dgram.data(), .mask = mask, .scale = column_scale});
  };
  NST_CHECK(terms.style_target == nullptr || terms.style_regions.empty(),
            "feature losses: a style target and style regions");
  dgrams.reserve(terms.style_regions.size() + 1);  // gradients point into them
  if (terms.style_target != nullptr) {
    Tensor gram(Shape{1, C, C});  // as nn::gram makes the targets
    gram_forward(gram.data(), features.data(), C, HW);
    add_gram_term(gram, *terms.style_target, 1.0, nullptr, 1.0f / static_cast<float>(HW));
  }
  for (const RegionStyleTerm& region : terms.style_regions) {
    const double sum = mask_sum(*region.mask);
    add_gram_term(guided_gram(features, *region.mask, sum), *region.target, region.weight,
                  region.mask->data(), 1.0f / static_cast<float>(sum));
  }
  if (target != nullptr || !gradients.empty())
    gram_backward_in_place(features.data(), gradients, target, distance_scale, C, HW, HW);
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
