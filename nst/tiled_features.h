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

// How much of a tile's run through VGG19 records a graph. With `deep` and `shallow` an
// iteration's two passes share the work (nst/objective_tiled.cpp): the first runs the deep
// layers with a graph and keeps it, and the second runs only the shallow ones again.
enum class TileGraph {
  none,     // no graph: the targets, and the first pass of an iteration
  whole,    // from the pixels to every feature
  deep,     // none up to the split layer (tile_split_layer); from there a graph that starts at a
            // new leaf, TileRun::split, holding the split layer's output
  shallow,  // from the pixels up to the split layer only: the features of the layers after it
            // are left undefined, and TileRun::split is the split layer's output
};

// The layer after which a tiled iteration can keep the deep layers' graph from its first pass
// for its second: pool2, when some layer lies deeper; -1 when none does. Up to pool2 the maps
// are at full and half resolution, and costly to keep (a full-resolution map of 64 channels is
// 256 bytes a pixel), while their convolutions are only 26% of a forward pass to conv5_1; from
// pool2 on a pixel's kept features and bits are about 150 bytes at most.
int tile_split_layer(const std::vector<std::string>& layers);

// A tile through VGG19: the pixels it read (a leaf with a gradient when there is a graph from
// them), the features of the requested layers (cut, TileTrim) and where the core lies in each.
struct TileRun {
  Rect input;  // the pixels read, in the image
  Var pixels;
  std::vector<Var> features;
  std::vector<Rect> cores;
  Var split;  // TileGraph::deep and shallow: the split layer's output (cut), else undefined
};
// The maps are cut for `layers` whatever `graph` is, so a shallow run's split output lies as a
// deep run's leaf does.
TileRun run_tile(nn::Vgg19& model, const Tensor& image, const Tile& tile,
                 const std::vector<std::string>& layers, TileGraph graph);

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

// With style masks (nst/style_masks.h): the part of a whole layer's mask [1, 1, h, w] under a
// tile's core (`in_image`: the core in the whole layer's positions, core_in_image_features),
// laid out as the band of rows the core spans in the tile's map of width `width`: one value
// per position of that band, zero outside the core.
Tensor core_band_mask(const Tensor& mask, const Rect& in_image, const Rect& core, int64_t width);

// The same share of a guided Gram matrix: gram += the core's F diag(m) F^T / mask_sum, with
// `band_mask` from core_band_mask() and `mask_sum` the whole layer's mask's sum.
void add_core_guided_gram(Tensor& features, const Rect& core, const Tensor& band_mask,
                          double mask_sum, Tensor& gram);

// The whole image's guided Gram matrices: masks[k] lists whole-layer masks of layer k (each
// with a positive sum), and grams[k][j] is G_m of layer k under masks[k][j].
std::vector<std::vector<Tensor>> tiled_guided_grams(nn::Vgg19& model, const Tensor& image,
                                                    const std::vector<std::string>& layers,
                                                    const std::vector<Tile>& tiles,
                                                    const std::vector<std::vector<Tensor>>& masks);

}  // namespace nst
