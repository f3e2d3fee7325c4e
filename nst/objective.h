// The objective of Gatys et al.: how far an image's VGG19 features are from the content
// image's, and its Gram matrices from the style images'.
//
//   E = content_weight * E_c + style_weight * E_s + tv_weight * E_tv   (losses.h, README)
//
// The content targets P and the (blended) style Gram targets A are computed once, without
// building a graph. evaluate() then gives E and its gradient for any image of the content's
// size; the optimiser drivers (drivers.h) decide what to do with them.
//
// Tiled (settings.tile_size, nst/tiling.h): the targets are computed tile by tile, and an
// evaluation takes two passes over the tiles: the first, without a graph, adds up each style
// layer's Gram matrix over the tiles' cores; the second runs each tile with a graph, takes the
// gradient at its core positions from those global Gram matrices (and the content at those
// positions), zero on its border, and adds the tile's image gradient into the whole image's.
// The same E and gradient as one pass, up to float rounding; memory: one tile's iteration.
// With settings.keep_deep_tile_state the first pass keeps each tile's graph and features from
// pool2 on, and the second runs only the layers before it again.
//
// Memory: the loss terms are evaluated without a graph, each feature map overwritten by its
// gradient (losses.h), and one backward pass starts from all of them at once. So an iteration
// holds each requested feature map once (as value, then as gradient), the network's ReLU
// bits and pooling bytes, and the two activations of the layer being computed.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "autograd/variable.h"
#include "nn/vgg19.h"
#include "nst/image.h"
#include "nst/settings.h"
#include "nst/style_masks.h"
#include "nst/tiling.h"

namespace nst {

// The losses of one image: E_c, E_s and E_tv unweighted, `total` the weighted sum that is
// minimised. In a run, `iteration` (1-based, counted over all scales) says which update they
// came before, and `scale` (1-based, coarse to fine) at which scale.
struct IterationLosses {
  int iteration = 0;
  int scale = 1;
  double total = 0.0, content = 0.0, style = 0.0, tv = 0.0;
};

class StyleObjective {
 public:
  // Validates the settings and computes the targets. content and styles are images
  // [1, 3, H, W] in [0, 1]; each style may have its own size. `masks` (nst/style_masks.h), at
  // the content's and styles' sizes, confine the styles to regions. The model must outlive
  // this.
  StyleObjective(nn::Vgg19& model, const Tensor& content, const std::vector<Tensor>& styles,
                 const JobSettings& settings, const StyleMasks& masks = {});

  // E at `image` and the unweighted terms; fills image's gradient (a Var that requires one).
  IterationLosses evaluate(Var& image);

  ImageSize content_size() const { return content_size_; }
  std::size_t tile_count() const { return std::max<std::size_t>(1, tiles_.size()); }

 private:
  IterationLosses evaluate_tiled(Var& image);  // objective_tiled.cpp
  // With style masks: each region's terms at the style layers (layers_[style_layers[k]]),
  // from the styles' Gram matrices grams[k][style] and the masks at the content's size.
  void add_regions(const std::vector<Tensor>& masks, const std::vector<double>& blend,
                   const std::vector<std::size_t>& style_layers,
                   const std::vector<std::vector<Tensor>>& grams);
  // The share of the style term that a layer's entries carry (0 with no style layers).
  double style_share(int count) const;

  nn::Vgg19& model_;
  double content_weight_, style_weight_, tv_weight_;
  std::size_t style_layer_count_;
  ImageSize content_size_;
  // Each distinct layer that some term reads, with its targets: a layer may be in both lists,
  // or twice in one (its term then counts twice).
  struct LayerTerms {
    std::string name;
    Tensor content_target;  // P; undefined if no content term reads the layer
    int content_count = 0;
    Tensor style_target;  // A, the blended Gram matrix; undefined if no style term, or regions
    int style_count = 0;
    // With style masks: each region's mask at this layer, its styles' blended target, and its
    // weight mean(m) * strength (style_masks.h). A region with no position here is left out.
    struct Region {
      Tensor mask, target;
      double mask_sum = 0.0;  // > 0
      double weight = 0.0;
    };
    std::vector<Region> regions;
  };
  std::vector<LayerTerms> layers_;
  bool masked_ = false;  // style masks: the style terms are the layers' regions
  // With tile_size set and an image larger than one tile: the tiles, and each layer's pools.
  // Empty: the whole image in one pass.
  std::vector<Tile> tiles_;
  std::vector<int> pools_;
  bool keep_deep_ = false;  // settings.keep_deep_tile_state
};

}  // namespace nst
