// Exact tiling: how an image too large for one pass through VGG19 is cut into tiles whose
// features, put together, are the whole image's features, bit for bit up to float rounding.
//
// Each tile has a core, and the cores partition the image; the network runs on the core plus
// a border (clipped to the image). A feature at a core position is exact when everything it
// depends on lies in the tile: a 3x3 convolution at a tile edge that is not the image's own
// edge pads with zeros where the image has pixels, and each convolution carries that error one
// position further in; a 2x2 pool halves the band of wrong positions, rounding up. So the
// border must be at least that band, in pixels, at the deepest layer used (tile_geometry), and
// every core and tile edge inside the image must sit on a multiple of 2^pools, so that each
// tile's pooling windows are the image's. Then a layer with s pools before it sees the core
// [y, y + h) of the image at its positions [y / 2^s, (y + h) / 2^s) (floored, as VGG19's
// pools floor odd sizes); at the image's far edge that is the layer's own floored size.
#pragma once

#include <string>
#include <vector>

#include "autograd/variable.h"
#include "nst/image.h"
#include "tensor/tensor.h"

namespace nst {

// A rectangle of an image or of a feature map, in its own positions.
struct Rect {
  int y = 0, x = 0, height = 0, width = 0;
  bool operator==(const Rect&) const = default;
};

struct Tile {
  Rect region;  // the core and its border, within the image: the most the network reads of it
                // (it reads less, TileTrim below; the memory estimate counts all of it)
  Rect core;    // the pixels this tile's features stand for
};

// What the deepest layer a run uses asks of its tiles.
struct TileGeometry {
  int alignment = 1;  // 2^pools before the deepest layer: every edge inside the image is a multiple
  int border = 0;     // pixels around a core, a multiple of `alignment`
};
TileGeometry tile_geometry(const std::vector<std::string>& layers);

// The number of pools before a VGG19 layer: its features are the image at 1 / 2^pools.
int pools_before(const std::string& layer);

// Cores of at most core_size x core_size pixels (rounded up to a multiple of the alignment),
// as few along each side as that allows and as equal as the alignment lets them be (the last
// in a row or column may be smaller), row by row; one tile, the whole image, when core_size
// covers it.
std::vector<Tile> plan_tiles(ImageSize image, int core_size, const TileGeometry& geometry);

// The core's positions in the whole image's feature map at a layer with `pools` pools before it.
Rect core_in_image_features(const Tile& tile, int pools);

// A tile's feature maps cut to what the layers after them read. The border is needed whole
// only by the first layers: the deepest layer is needed at the core alone, and each layer
// before it as far past the core as the next one reads (a 3x3 convolution one position
// further than it writes, a 2x2 pool twice as far). For the default layers that is 70 pixels
// of the 80-pixel border at the input, and after pool1, pool2, pool3 and pool4 34, 16, 6 and 1
// positions of 40, 20, 10 and 5; the maps are cut there (and at the input), so the deep layers
// skip part of their border. A convolution's wrong band from a cut edge grows by one position
// as the margin it must keep exact shrinks by one, so the features at the core stay exact
// (tiling.h above); every cut edge inside the image is even where a pool reads it.
struct TileTrim {
  Rect input;  // the pixels the network reads: the core and the margin it needs
  // Per VGG19 layer up to the deepest: the part of its output kept (all of it but at pools),
  // in the image's positions at the layer's level, and the core's positions in that output.
  std::vector<Rect> kept, core;
};
TileTrim trim_tile(const Tile& tile, ImageSize image, const std::vector<std::string>& layers);
// What a 2x2 pool makes of a map at these positions (even where they start): half, floored.
Rect pooled(const Rect& map);

// Copies of a rectangle of a [1, C, H, W] tensor, and back: crop() makes a [1, C, h, w]
// tensor; add_rect() adds one into the rectangle of a larger tensor; copy_rect() copies a
// rectangle of one tensor into a rectangle (of the same size) of another; zero_outside()
// zeroes a tensor everywhere but in the rectangle.
Tensor crop(const Tensor& image, const Rect& rect);
void add_rect(Tensor& whole, const Rect& rect, const Tensor& part);
void copy_rect(const Tensor& from, const Rect& from_rect, Tensor& to, const Rect& to_rect);
void zero_outside(Tensor& x, const Rect& rect);
// crop() as an op of the graph: its backward adds the gradient into the rectangle.
Var crop(const Var& x, const Rect& rect);

}  // namespace nst
