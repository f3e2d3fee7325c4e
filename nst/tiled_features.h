// VGG19's features and Gram matrices of an image too large for one pass, computed tile by tile
// (nst/tiling.h) without a graph: the same numbers as one pass over the whole image, up to
// float rounding. For the targets of a tiled run and the Gram matrices of its iterations.
#pragma once

#include <string>
#include <vector>

#include "nn/vgg19.h"
#include "nst/tiling.h"

namespace nst {

// The whole image's feature maps [1, C, H >> pools, W >> pools] of the named layers, in order.
std::vector<Tensor> tiled_features(nn::Vgg19& model, const Tensor& image,
                                   const std::vector<std::string>& layers,
                                   const std::vector<Tile>& tiles);

// The whole image's Gram matrices [1, C, C] of the named layers, G = F F^T / (H W) over all
// of the layer's positions, each tile adding its core's share.
std::vector<Tensor> tiled_grams(nn::Vgg19& model, const Tensor& image,
                                const std::vector<std::string>& layers,
                                const std::vector<Tile>& tiles);

// One tile's share of such a Gram matrix: gram [1, C, C] (zeros when undefined) += its core's
// F F^T / (H W), H x W the layer's positions over the whole image, from the tile's `features`
// of a layer with `pools` pools before it.
void add_core_gram(const Tile& tile, ImageSize image, int pools, const Tensor& features,
                   Tensor& gram);

}  // namespace nst
