#include "nst/objective.h"

#include <optional>

#include "autograd/backward.h"
#include "autograd/grad_mode.h"
#include "nn/elementwise_ops.h"
#include "nn/gram.h"
#include "nn/total_variation.h"
#include "nst/losses.h"

namespace nst {

StyleObjective::StyleObjective(nn::Vgg19& model, const Tensor& content,
                               const std::vector<Tensor>& styles, const JobSettings& settings)
    : model_(model),
      content_weight_(settings.content_weight),
      style_weight_(settings.style_weight),
      tv_weight_(settings.tv_weight),
      content_layer_count_(settings.content_layers.size()),
      style_layer_count_(settings.style_layers.size()) {
  validate_settings(settings, styles.size());
  content_size_ = image_size(content);
  const std::vector<double> blend = normalized_blend(settings.style_blend, styles.size());
  layers_ = settings.content_layers;
  layers_.insert(layers_.end(), settings.style_layers.begin(), settings.style_layers.end());

  NoGradGuard no_grad;  // targets are constants
  for (const Var& f : model_.features(Var(content), settings.content_layers)) {
    content_targets_.push_back(f.value());
  }
  std::vector<std::vector<Tensor>> grams(style_layer_count_);
  for (const Tensor& style : styles) {
    image_size(style);
    const std::vector<Var> features = model_.features(Var(style), settings.style_layers);
    for (std::size_t l = 0; l < features.size(); ++l)
      grams[l].push_back(nn::gram(features[l]).value());
  }
  for (const auto& per_style : grams) style_targets_.push_back(blend_grams(per_style, blend));
}

IterationLosses StyleObjective::evaluate(Var& image) {
  const std::vector<Var> features = model_.features(image, layers_);

  // Sums of terms with their weights; a term whose weight is 0 is still reported but kept out
  // of the graph, so backward does no work for it.
  IterationLosses losses;
  Var total;
  auto add_term = [&total](const Var& term, double weight) {
    if (weight == 0.0) return;
    Var weighted = nn::scale(term, static_cast<float>(weight));
    total = total.defined() ? nn::add(total, weighted) : weighted;
  };
  for (std::size_t l = 0; l < content_layer_count_; ++l) {
    std::optional<NoGradGuard> off;
    if (content_weight_ == 0.0) off.emplace();
    const Var term = content_layer_loss(features[l], content_targets_[l]);
    losses.content += term.value().item();
    add_term(term, content_weight_);
  }
  const auto n_style = static_cast<double>(style_layer_count_);
  for (std::size_t l = 0; l < style_layer_count_; ++l) {
    std::optional<NoGradGuard> off;
    if (style_weight_ == 0.0) off.emplace();
    const Var term = style_layer_loss(features[content_layer_count_ + l], style_targets_[l]);
    losses.style += term.value().item() / n_style;
    add_term(term, style_weight_ / n_style);  // w_l = 1 / L
  }
  {
    std::optional<NoGradGuard> off;
    if (tv_weight_ == 0.0) off.emplace();
    const Var tv = nn::total_variation(image);
    losses.tv = tv.value().item();
    add_term(tv, tv_weight_);
  }
  losses.total =
      content_weight_ * losses.content + style_weight_ * losses.style + tv_weight_ * losses.tv;
  image.zero_grad();
  backward(total);  // defined: validate_settings() demands a positive weight
  return losses;
}

}  // namespace nst
