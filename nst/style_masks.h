// Style masks (Gatys et al., "Controlling Perceptual Factors in Neural Style Transfer", 2017):
// where on the photo each style acts, and optionally which part of each painting its Gram
// matrix is taken from. README, "Regions", has the formulas.
//
// A mask is one channel [1, 1, H, W] in [0, 1]: 1 where its style acts fully, 0 where not at
// all. At a layer of VGG19 it is the photo's mask average-pooled through each of the network's
// pooling layers before it (2x2, stride 2, the features' own grid and sizes; the convolutions
// keep the size): a position's value is the share of its pooled window that lies in the region.
//
// Styles whose masks are equal form one region and share one term, against the blend of their
// Gram matrices: so masks of ones reproduce the unmasked run exactly (one region, the usual
// blend). A region's term carries weight mean(m) * r, with r its styles' blend weight over the
// largest region's: at each position, the region pulls with m times r the strength that an
// unmasked run's style has.
#pragma once

#include <cstddef>
#include <vector>

#include "nst/image.h"
#include "tensor/tensor.h"

namespace nst {

// A job's masks at one scale. Empty vectors: no masks.
struct StyleMasks {
  std::vector<Tensor> content;  // per style, at the content's size
  std::vector<Tensor> source;   // per style, at the style's size; undefined: the whole picture
  bool empty() const { return content.empty() && source.empty(); }
};

// The mask a picture [1, 3, H, W] stands for: its grey value (a grey picture's own value, so
// white is exactly 1).
Tensor mask_from_picture(const Tensor& picture);

// The mask resampled to `size` (as resize_values), in [0, 1], values within 1e-6 of 0 or 1
// made exact: a filled region stays exactly filled. The same size returns the mask itself.
Tensor resize_mask(const Tensor& mask, ImageSize size);

// The mask at a layer after `pools` 2x2 average poolings.
Tensor mask_after_pools(const Tensor& mask, int pools);

double mask_sum(const Tensor& mask);

// Styles grouped by equal masks.
struct StyleRegion {
  std::size_t mask_of = 0;          // the first style with this mask: its mask is the region's
  std::vector<std::size_t> styles;  // the styles of the region
  std::vector<double> blend;        // their weights within the region, summing to 1
  double strength = 1.0;            // r: the region's blend weight over the largest region's
};
// `raw_blend`: the settings' style_blend (empty: equal weights).
std::vector<StyleRegion> style_regions(const std::vector<Tensor>& masks,
                                       const std::vector<double>& raw_blend);

}  // namespace nst
