// VGG19 on one tile of an image too large for one pass (nst/tiling.h), its maps cut as it goes
// (TileTrim); and from the tiles, the whole image's features and Gram matrices without a
// graph: the same numbers as one pass over the whole image, up to float rounding. For the
// targets of a tiled run and both passes of its iterations.
#pragma once

#include <string>
#include <vector>

#include "nn/vgg19.h"
#include "nst/tiling.h"

namespace nst {

// A tile through VGG19: the pixels it read (a leaf with a gradient when `graph`), the features
// of the requested layers (cut, TileTrim) and where the core lies in each.
struct TileRun {
  Rect input;  // the pixels read, in the image
  Var pixels;
  std::vector<Var> features;
  std::vector<Rect> cores;
};
// With `graph` false, the network runs without one.
TileRun run_tile(nn::Vgg19& model, const Tensor& image, const Tile& tile,
                 const std::vector<std::string>& layers, bool graph);

// The whole image's feature maps [1, C, H >> pools, W >> pools] of the named layers, in order.
std::vector<Tensor> tiled_features(nn::Vgg19& model, const Tensor& image,
                                   const std::vector<std::string>& layers,
                                   const std::vector<Tile>& tiles);

// The whole image's Gram matrices [1, C, C] of the named layers, G = F F^T / (H W) over all
// of the layer's positions, each tile adding its core's share.
std::vector<Tensor> tiled_grams(nn::Vgg19& model, const Tensor& image,
                                const std::vector<std::string>& layers,
                                const std::vector<Tile>& tiles);

// One tile's share of such a Gram matrix: gram [1, C, C] (zeros when undefined) += the core's
// F F^T / positions, `positions` the layer's over the whole image, from a tile's `features`.
// It zeroes the features outside the core and multiplies the band of rows the core spans as
// it lies in the map: the zeros add nothing, and there is no copy of the core to make.
void add_core_gram(Tensor& features, const Rect& core, double positions, Tensor& gram);

}  // namespace nst
