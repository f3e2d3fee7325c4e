#include "nst/objective.h"

#include <optional>

#include "autograd/backward.h"
#include "autograd/grad_mode.h"
#include "nn/elementwise_ops.h"
#include "nn/gram.h"
#include "nn/total_variation.h"
#include "nst/losses.h"
#include "nst/tiled_features.h"
#include "tensor/error.h"

namespace nst {

namespace {

// The entry for `name` in `layers`, appended if new.
template <class Layer>
Layer& layer_named(std::vector<Layer>& layers, const std::string& name) {
  for (Layer& layer : layers) {
    if (layer.name == name) return layer;
  }
  Layer& added = layers.emplace_back();
  added.name = name;
  return added;
}

std::vector<std::string> names_of(const auto& layers) {
  std::vector<std::string> names;
  for (const auto& layer : layers) names.push_back(layer.name);
  return names;
}

}  // namespace

StyleObjective::StyleObjective(nn::Vgg19& model, const Tensor& content,
                               const std::vector<Tensor>& styles, const JobSettings& settings,
                               const StyleMasks& masks)
    : model_(model),
      content_weight_(settings.content_weight),
      style_weight_(settings.style_weight),
      tv_weight_(settings.tv_weight),
      style_layer_count_(settings.style_layers.size()) {
  validate_settings(settings, styles.size());
  // evaluate() overwrites feature maps with their gradients: only a frozen network, whose
  // backward reads no activation, allows that.
  for (const Var& p : model_.parameters()) {
    NST_CHECK(!p.requires_grad(), "StyleObjective needs a frozen network (requires_grad false)");
  }
  content_size_ = image_size(content);
  const std::vector<double> blend = normalized_blend(settings.style_blend, styles.size());
  for (const std::string& name : settings.content_layers)
    ++layer_named(layers_, name).content_count;
  for (const std::string& name : settings.style_layers) ++layer_named(layers_, name).style_count;

  NoGradGuard no_grad;                                    // targets are constants
  std::vector<std::size_t> content_layers, style_layers;  // indices into layers_
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    if (layers_[l].content_count > 0) content_layers.push_back(l);
    if (layers_[l].style_count > 0) style_layers.push_back(l);
  }
  auto names = [this](const std::vector<std::size_t>& indices) {
    std::vector<std::string> out;
    for (std::size_t l : indices) out.push_back(layers_[l].name);
    return out;
  };
  // Tiles for an image, or none when it fits one (or tiling is off).
  const TileGeometry geometry = tile_geometry(names_of(layers_));
  auto tiles_for = [&](ImageSize size) {
    std::vector<Tile> tiles;
    if (settings.tile_size.value_or(0) > 0) tiles = plan_tiles(size, *settings.tile_size, geometry);
    if (tiles.size() == 1) tiles.clear();
    return tiles;
  };
  tiles_ = tiles_for(content_size_);
  keep_deep_ = settings.keep_deep_tile_state;
  for (const LayerTerms& layer : layers_) pools_.push_back(pools_before(layer.name));
  NST_CHECK(masks.content.empty() || masks.content.size() == styles.size(),
            "style masks: ", masks.content.size(), " for ", styles.size(), " styles");
  NST_CHECK(masks.source.empty() || masks.source.size() == styles.size(),
            "style source masks: ", masks.source.size(), " for ", styles.size(), " styles");

  if (!tiles_.empty()) {
    const std::vector<Tensor> targets =
        tiled_features(model_, content, names(content_layers), tiles_);
    for (std::size_t k = 0; k < content_layers.size(); ++k)
      layers_[content_layers[k]].content_target = targets[k];
  } else {
    const std::vector<Var> targets = model_.features(Var(content), names(content_layers));
    for (std::size_t k = 0; k < content_layers.size(); ++k)
      layers_[content_layers[k]].content_target = targets[k].value();
  }
  std::vector<std::vector<Tensor>> grams(style_layers.size());  // [layer][style]
  for (std::size_t i = 0; i < styles.size(); ++i) {
    const Tensor& style = styles[i];
    // A source mask at each style layer, or none.
    std::vector<Tensor> source;
    if (!masks.source.empty() && masks.source[i].defined()) {
      for (std::size_t l : style_layers) {
        source.push_back(mask_after_pools(masks.source[i], pools_[l]));
        if (!(mask_sum(source.back()) > 0.0)) {
          fail("style ", i + 1, "'s source mask covers no position of ", layers_[l].name,
               ", whose positions are ", 1 << pools_[l], " pixels apart: widen its region");
        }
      }
    }
    const std::vector<Tile> style_tiles = tiles_for(image_size(style));
    if (!style_tiles.empty()) {
      if (source.empty()) {
        std::vector<Tensor> style_grams =
            tiled_grams(model_, style, names(style_layers), style_tiles);
        for (std::size_t k = 0; k < style_layers.size(); ++k)
          grams[k].push_back(std::move(style_grams[k]));
      } else {
        std::vector<std::vector<Tensor>> one_mask_each;
        for (Tensor& mask : source) one_mask_each.push_back({mask});
        std::vector<std::vector<Tensor>> style_grams =
            tiled_guided_grams(model_, style, names(style_layers), style_tiles, one_mask_each);
        for (std::size_t k = 0; k < style_layers.size(); ++k)
          grams[k].push_back(std::move(style_grams[k][0]));
      }
      continue;
    }
    const std::vector<Var> features = model_.features(Var(style), names(style_layers));
    for (std::size_t k = 0; k < style_layers.size(); ++k) {
      grams[k].push_back(source.empty() ? nn::gram(features[k]).value()
                                        : guided_gram(features[k].value(), source[k]));
    }
  }
  masked_ = !masks.content.empty();
  if (!masked_) {
    for (std::size_t k = 0; k < style_layers.size(); ++k)
      layers_[style_layers[k]].style_target = blend_grams(grams[k], blend);
    return;
  }
  add_regions(masks.content, settings.style_blend, style_layers, grams);
}

void StyleObjective::add_regions(const std::vector<Tensor>& masks, const std::vector<double>& blend,
                                 const std::vector<std::size_t>& style_layers,
                                 const std::vector<std::vector<Tensor>>& grams) {
  for (const StyleRegion& region : style_regions(masks, blend)) {
    for (std::size_t k = 0; k < style_layers.size(); ++k) {
      LayerTerms& layer = layers_[style_layers[k]];
      Tensor mask = mask_after_pools(masks[region.mask_of], pools_[style_layers[k]]);
      const double sum = mask_sum(mask);
      if (!(sum > 0.0)) continue;
      std::vector<Tensor> members;
      for (std::size_t i : region.styles) members.push_back(grams[k][i]);
      const double mean = sum / static_cast<double>(mask.numel());
      layer.regions.push_back({.mask = std::move(mask),
                               .target = blend_grams(members, region.blend),
                               .mask_sum = sum,
                               .weight = mean * region.strength});
    }
  }
}

double StyleObjective::style_share(int count) const {
  return count == 0 ? 0.0 : count / static_cast<double>(style_layer_count_);
}

IterationLosses StyleObjective::evaluate(Var& image) {
  if (!tiles_.empty()) return evaluate_tiled(image);
  // With only the total variation weighted, the network runs without a graph.
  std::optional<NoGradGuard> no_graph;
  if (content_weight_ == 0.0 && style_weight_ == 0.0) no_graph.emplace();
  std::vector<Var> features = model_.features(image, names_of(layers_));
  no_graph.reset();

  // Content terms add up over their layers; style terms are averaged (w_l = 1 / L). A term
  // whose weight is 0 is still reported but sends no gradient.
  IterationLosses losses;
  std::vector<RootGradient> roots;
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const LayerTerms& layer = layers_[l];
    std::vector<RegionStyleTerm> regions;
    for (const LayerTerms::Region& region : layer.regions)
      regions.push_back({.mask = &region.mask, .target = &region.target, .weight = region.weight});
    const FeatureTerms terms{
        .content_target = layer.content_count > 0 ? &layer.content_target : nullptr,
        .content_weight = content_weight_ * layer.content_count,
        .style_target = layer.style_target.defined() ? &layer.style_target : nullptr,
        .style_weight = style_weight_ * style_share(layer.style_count),
        .style_regions = regions};
    Tensor& value = features[l].value();
    const FeatureLosses terms_losses = feature_losses_in_place(value, terms);
    losses.content += terms_losses.content * layer.content_count;
    losses.style += terms_losses.style * style_share(layer.style_count);
    if (terms.content_weight != 0.0 || terms.style_weight != 0.0)
      roots.push_back({.root = features[l], .gradient = value});
  }
  {
    std::optional<NoGradGuard> off;
    if (tv_weight_ == 0.0) off.emplace();
    const Var tv = nn::total_variation(image);
    losses.tv = tv.value().item();
    if (tv_weight_ != 0.0)
      roots.push_back({.root = tv, .gradient = Tensor::scalar(static_cast<float>(tv_weight_))});
  }
  losses.total =
      content_weight_ * losses.content + style_weight_ * losses.style + tv_weight_ * losses.tv;
  features.clear();  // the roots hold what backward needs
  image.zero_grad();
  backward(std::move(roots));  // not empty: validate_settings() demands a positive weight
  return losses;
}

}  // namespace nst
