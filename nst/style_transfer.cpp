#include "nst/style_transfer.h"

#include <optional>

#include "autograd/backward.h"
#include "autograd/grad_mode.h"
#include "nn/adam.h"
#include "nn/elementwise_ops.h"
#include "nn/gram.h"
#include "nn/lbfgs.h"
#include "nn/total_variation.h"
#include "nst/image.h"
#include "nst/losses.h"
#include "tensor/elementwise.h"
#include "tensor/error.h"

namespace nst {
namespace {

void validate(const StyleTransferSettings& s, std::size_t styles) {
  NST_CHECK(styles >= 1, "at least one style image is needed");
  NST_CHECK(!s.content_layers.empty() || !s.style_layers.empty(), "no content or style layers");
  NST_CHECK(s.content_weight >= 0 && s.style_weight >= 0 && s.tv_weight >= 0,
            "loss weights must not be negative");
  NST_CHECK(s.content_weight > 0 || s.style_weight > 0 || s.tv_weight > 0,
            "at least one loss weight must be positive: there is nothing to optimise");
  NST_CHECK(s.iterations >= 1, "iterations must be at least 1, got ", s.iterations);
  NST_CHECK(s.learning_rate > 0, "the learning rate must be positive, got ", s.learning_rate);
  for (const auto* layers : {&s.content_layers, &s.style_layers}) {
    for (const std::string& name : *layers) {
      NST_CHECK(nn::vgg19_layer_index(name) >= 0, "unknown VGG19 layer '", name, "'");
    }
  }
}

}  // namespace

StyleTransfer::StyleTransfer(nn::Vgg19& model, const Tensor& content,
                             const std::vector<Tensor>& styles, StyleTransferSettings settings)
    : model_(model), settings_(std::move(settings)) {
  validate(settings_, styles.size());
  content_size_ = image_size(content);
  const std::vector<double> blend = normalized_blend(settings_.style_blend, styles.size());
  layers_ = settings_.content_layers;
  layers_.insert(layers_.end(), settings_.style_layers.begin(), settings_.style_layers.end());

  NoGradGuard no_grad;  // targets are constants
  for (const Var& f : model_.features(Var(content), settings_.content_layers)) {
    content_targets_.push_back(f.value());
  }
  std::vector<std::vector<Tensor>> grams(settings_.style_layers.size());
  for (const Tensor& style : styles) {
    image_size(style);
    const std::vector<Var> features = model_.features(Var(style), settings_.style_layers);
    for (std::size_t l = 0; l < features.size(); ++l)
      grams[l].push_back(nn::gram(features[l]).value());
  }
  for (const auto& per_style : grams) style_targets_.push_back(blend_grams(per_style, blend));
}

IterationLosses StyleTransfer::evaluate(Var& image) {
  const std::vector<Var> features = model_.features(image, layers_);
  const std::size_t n_content = settings_.content_layers.size();
  const std::size_t n_style = settings_.style_layers.size();

  // Sums of terms with their weights; a term whose weight is 0 is still reported but kept out
  // of the graph, so backward does no work for it.
  IterationLosses losses;
  Var total;
  auto add_term = [&total](const Var& term, double weight) {
    if (weight == 0.0) return;
    Var weighted = nn::scale(term, static_cast<float>(weight));
    total = total.defined() ? nn::add(total, weighted) : weighted;
  };
  for (std::size_t l = 0; l < n_content; ++l) {
    std::optional<NoGradGuard> off;
    if (settings_.content_weight == 0.0) off.emplace();
    const Var term = content_layer_loss(features[l], content_targets_[l]);
    losses.content += term.value().item();
    add_term(term, settings_.content_weight);
  }
  for (std::size_t l = 0; l < n_style; ++l) {
    std::optional<NoGradGuard> off;
    if (settings_.style_weight == 0.0) off.emplace();
    const Var term = style_layer_loss(features[n_content + l], style_targets_[l]);
    losses.style += term.value().item() / static_cast<double>(n_style);
    add_term(term, settings_.style_weight / static_cast<double>(n_style));  // w_l = 1 / L
  }
  {
    std::optional<NoGradGuard> off;
    if (settings_.tv_weight == 0.0) off.emplace();
    const Var tv = nn::total_variation(image);
    losses.tv = tv.value().item();
    add_term(tv, settings_.tv_weight);
  }
  losses.total = settings_.content_weight * losses.content + settings_.style_weight * losses.style +
                 settings_.tv_weight * losses.tv;
  image.zero_grad();
  backward(total);  // defined: validate() demands a positive weight
  return losses;
}

Tensor StyleTransfer::run(const Tensor& initial, const Observer& observer) {
  const ImageSize size = image_size(initial);
  NST_CHECK(size.width == content_size_.width && size.height == content_size_.height,
            "the initial image is ", size.width, "x", size.height, " but the content is ",
            content_size_.width, "x", content_size_.height);
  Var image(initial.clone(), true);
  const int n = settings_.iterations;
  if (settings_.optimizer == OptimizerKind::adam) {
    nn::Adam adam({image}, {.lr = settings_.learning_rate});
    for (int i = 1; i <= n; ++i) {
      IterationLosses losses = evaluate(image);
      losses.iteration = i;
      adam.step();
      clamp(image.value().values(), 0.0f, 1.0f, image.value().values());
      if (observer) observer(losses, image.value());
    }
    return image.value();
  }

  // L-BFGS: one evaluation per iteration. The observer sees each evaluation's losses; the
  // image it gets is the one evaluated (L-BFGS moves on from there).
  nn::Lbfgs lbfgs({image}, {.lr = 1.0, .max_iter = n, .max_eval = n, .history_size = 10});
  int evaluations = 0;
  lbfgs.step([&] {
    IterationLosses losses = evaluate(image);
    losses.iteration = ++evaluations;
    if (observer) observer(losses, image.value());
    return losses.total;
  });
  Tensor result = image.value().clone();
  clamp(result.values(), 0.0f, 1.0f, result.values());
  return result;
}

}  // namespace nst
