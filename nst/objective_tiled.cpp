// StyleObjective::evaluate over tiles (objective.h): the same E and gradient as one pass.
//
// Why it is exact: G = F F^T / (H W) is a sum over positions, so the tiles' cores add up to the
// whole image's G. The gradient at a position, dE/dF = (dG + dG^T) F / (H W) + the content's
// (F - P) / (2 C H W) there (each times its weight), needs only that position's features and
// the global G - A. Each tile's core features equal the whole image's (tiling.h), so backward
// from the core with these gradients, zero on the border, gives exactly the core positions'
// share of the image gradient; the shares of all tiles add up to the whole.
// With style masks the same holds for each region's guided Gram matrix, a sum over positions
// weighted by the mask: each tile adds its core's share with the mask cut to the core
// (core_band_mask), and its core's gradient takes each region's mask there.
#include <optional>

#include "autograd/backward.h"
#include "autograd/grad_mode.h"
#include "autograd/op_timing.h"
#include "nn/total_variation.h"
#include "nst/objective.h"
#include "nst/tiled_features.h"
#include "tensor/elementwise.h"
#include "tensor/error.h"
#include "tensor/gram.h"

namespace nst {

namespace {

// A tile's state from the first pass that the second needs for the layers after the split
// (TileGraph::deep): their features (undefined for the layers up to the split) and the graph
// from them back to the split layer's output, whose gradient slot is kept without its value.
struct DeepState {
  std::vector<Var> features;
  std::shared_ptr<GradSlot> split;
};

}  // namespace

IterationLosses StyleObjective::evaluate_tiled(Var& image) {
  const ImageSize size = image_size(image.value());
  NST_CHECK(size.width == content_size_.width && size.height == content_size_.height,
            "StyleObjective: the image is ", to_string(size), ", the content ",
            to_string(content_size_));
  IterationLosses losses;
  std::vector<std::string> names;
  for (const LayerTerms& layer : layers_) names.push_back(layer.name);
  // The positions of a layer over the whole image.
  auto all_positions = [&](std::size_t l) {
    return static_cast<double>(size.height >> pools_[l]) * (size.width >> pools_[l]);
  };
  const bool graph = content_weight_ != 0.0 || style_weight_ != 0.0;
  const int split = tile_split_layer(names);
  auto is_deep = [&](std::size_t l) { return nn::vgg19_layer_index(layers_[l].name) > split; };

  // The total variation on the whole image first, while no tile is held: its gradient is the
  // first to go into the image's.
  image.zero_grad();
  {
    std::optional<NoGradGuard> off;
    if (tv_weight_ == 0.0) off.emplace();
    const Var tv = nn::total_variation(image);
    losses.tv = tv.value().item();
    if (tv_weight_ != 0.0) backward(tv, Tensor::scalar(static_cast<float>(tv_weight_)));
  }

  // First pass: the Gram matrices over all tiles, the style terms and dE/dG per layer. The
  // last tile runs with its graph, and the second pass starts with it instead of running it
  // again. With keep_deep_, every other tile keeps its deep layers' graph and features
  // (DeepState), and the second pass runs only its shallow layers again.
  bool has_style = false;
  for (const LayerTerms& layer : layers_) has_style = has_style || layer.style_count > 0;
  const bool keep_deep = keep_deep_ && graph && has_style && split >= 0;
  std::optional<TileRun> kept;                 // the last tile's
  std::vector<DeepState> deep;                 // the other tiles', with keep_deep
  std::vector<Tensor> dgrams(layers_.size());  // weighted (G - A) / (2 C^2); undefined: none
  // With style masks, one per region of the layer (LayerTerms::regions), undefined for none.
  std::vector<std::vector<Tensor>> region_dgrams(layers_.size());
  if (has_style) {
    std::vector<Tensor> grams(layers_.size());                      // plain, per style layer
    std::vector<std::vector<Tensor>> region_grams(layers_.size());  // per style layer, region
    for (std::size_t t = 0; t < tiles_.size(); ++t) {
      const bool last = t + 1 == tiles_.size();
      const TileGraph mode = last && graph        ? TileGraph::whole
                             : !last && keep_deep ? TileGraph::deep
                                                  : TileGraph::none;
      TileRun run = run_tile(model_, image.value(), tiles_[t], names, mode);
      for (std::size_t l = 0; l < layers_.size(); ++l) {
        if (layers_[l].style_count == 0) continue;
        Tensor& features = run.features[l].value();
        if (!masked_) {
          add_core_gram(features, run.cores[l], all_positions(l), grams[l]);
          continue;
        }
        const Rect in_image = core_in_image_features(tiles_[t], pools_[l]);
        region_grams[l].resize(layers_[l].regions.size());
        for (std::size_t r = 0; r < layers_[l].regions.size(); ++r) {
          const LayerTerms::Region& region = layers_[l].regions[r];
          add_core_guided_gram(
              features, run.cores[l],
              core_band_mask(region.mask, in_image, run.cores[l], features.shape()[3]),
              region.mask_sum, region_grams[l][r]);
        }
      }
      if (last) kept = std::move(run);
      if (mode != TileGraph::deep) continue;
      DeepState& state = deep.emplace_back();
      for (std::size_t l = 0; l < layers_.size(); ++l)
        state.features.push_back(is_deep(l) ? run.features[l] : Var());
      state.split = run.split.slot();
    }
    // A term's loss, and its dE/dG = weight (G - A) / (2 C^2) when weighted.
    auto style_term = [&](const Tensor& gram, const Tensor& target, double share) {
      const double C = static_cast<double>(gram.shape()[1]);
      losses.style += squared_distance(gram.values(), target.values()) / (4.0 * C * C) * share;
      const double weight = style_weight_ * share;
      if (weight == 0.0) return Tensor();
      Tensor dgram(gram.shape());
      sub(gram.values(), target.values(), dgram.values());
      scale(dgram.values(), static_cast<float>(weight / (2.0 * C * C)), dgram.values());
      return dgram;
    };
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      const LayerTerms& layer = layers_[l];
      if (layer.style_count == 0) continue;
      const double share = style_share(layer.style_count);
      if (!masked_) {
        dgrams[l] = style_term(grams[l], layer.style_target, share);
        continue;
      }
      for (std::size_t r = 0; r < layer.regions.size(); ++r) {
        region_dgrams[l].push_back(style_term(region_grams[l][r], layer.regions[r].target,
                                              share * layer.regions[r].weight));
      }
    }
  }

  // Second pass: each tile with a graph (the last one first, kept from the first pass), its
  // core's gradient, its image gradient added in.
  Tensor& gradient = image.slot()->grad_buffer();
  for (std::size_t i = 0; i < tiles_.size(); ++i) {
    const Tile& tile = i == 0 ? tiles_.back() : tiles_[i - 1];
    TileRun run;
    DeepState state;
    if (i == 0 && kept) {
      run = std::move(*kept);
    } else if (keep_deep) {  // the shallow layers again, the deep ones from the first pass
      run = run_tile(model_, image.value(), tile, names, TileGraph::shallow);
      state = std::move(deep[i - 1]);
      for (std::size_t l = 0; l < layers_.size(); ++l) {
        if (is_deep(l)) run.features[l] = std::move(state.features[l]);
      }
    } else {
      run =
          run_tile(model_, image.value(), tile, names, graph ? TileGraph::whole : TileGraph::none);
    }
    kept.reset();
    std::vector<RootGradient> roots, deep_roots;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      const OpTimer timer("tile_losses", OpPhase::fused);
      const LayerTerms& layer = layers_[l];
      // The features become their gradient in place. Zeroed outside the core, the band of
      // rows the core spans is taken as it lies in the map: the zeros' gradient is zero, so
      // the border's is, as it must be (the neighbouring tiles' cores own those positions).
      Tensor& value = run.features[l].value();
      const Rect& core = run.cores[l];
      zero_outside(value, core);
      const auto C = static_cast<int>(value.shape()[1]);
      const int64_t width = value.shape()[3];
      const auto band = static_cast<int>(core.height * width);
      const double all = all_positions(l);
      Tensor target;  // the content target laid out as `value`, zero outside the core
      if (layer.content_count > 0) {
        target = Tensor::zeros(value.shape());
        copy_rect(layer.content_target, core_in_image_features(tile, pools_[l]), target, core);
        losses.content += squared_distance(value.values(), target.values()) / (4.0 * C * all) *
                          layer.content_count;
      }
      const double content_weight = content_weight_ * layer.content_count;
      const Tensor& dgram = dgrams[l];
      // With style masks: each weighted region's dE/dG with its mask under the core.
      std::vector<Tensor> band_masks;
      std::vector<GramGradient> regions;
      band_masks.reserve(region_dgrams[l].size());  // `regions` points into them
      for (std::size_t r = 0; r < region_dgrams[l].size() && band > 0; ++r) {
        if (!region_dgrams[l][r].defined()) continue;
        const LayerTerms::Region& region = layer.regions[r];
        band_masks.push_back(
            core_band_mask(region.mask, core_in_image_features(tile, pools_[l]), core, width));
        regions.push_back({.dgram = region_dgrams[l][r].data(),
                           .mask = band_masks.back().data(),
                           .scale = 1.0f / static_cast<float>(region.mask_sum)});
      }
      if (!graph || (content_weight == 0.0 && !dgram.defined() && regions.empty())) continue;
      if (band > 0 && masked_) {
        gram_backward_in_place(value.data() + core.y * width, regions,
                               content_weight != 0.0 ? target.data() + core.y * width : nullptr,
                               static_cast<float>(content_weight / (2.0 * C * all)), C, band,
                               value.shape()[2] * width);
      } else if (band > 0) {
        // gram_backward_in_place divides by the positions it is given: scale dE/dG to the
        // band's share of the whole image's.
        Tensor dgram_share;
        if (dgram.defined()) {
          dgram_share = Tensor(dgram.shape());
          scale(dgram.values(), static_cast<float>(band / all), dgram_share.values());
        }
        gram_backward_in_place(value.data() + core.y * width,
                               dgram_share.defined() ? dgram_share.data() : nullptr,
                               content_weight != 0.0 ? target.data() + core.y * width : nullptr,
                               static_cast<float>(content_weight / (2.0 * C * all)), C, band,
                               value.shape()[2] * width);
      }
      (run.split.defined() && is_deep(l) ? deep_roots : roots)
          .push_back({.root = run.features[l], .gradient = value});
    }
    run.features.clear();
    // A tile kept from the first pass: backward through its deep graph to the split layer's
    // output first, and on from there with the shallow layers.
    if (!deep_roots.empty()) {
      backward(std::move(deep_roots));
      if (state.split->grad.defined())
        roots.push_back({.root = run.split, .gradient = std::move(state.split->grad)});
    }
    state = {};
    run.split = Var();
    if (roots.empty()) continue;
    backward(std::move(roots));
    if (run.pixels.grad().defined()) add_rect(gradient, run.input, run.pixels.grad());
  }
  losses.total =
      content_weight_ * losses.content + style_weight_ * losses.style + tv_weight_ * losses.tv;
  return losses;
}

}  // namespace nst
