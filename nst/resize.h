// Resampling images for the style transfer's working size.
#pragma once

#include "nst/image.h"

namespace nst {

// The size whose longer side is `longest`, keeping the aspect ratio (each side at least 1).
ImageSize fit_longest_side(ImageSize size, int longest);

// Resamples an image [1, 3, H, W] to the given size with a Lanczos-3 filter. When shrinking,
// the filter is widened by the reduction factor so that every source pixel contributes
// (antialiasing, as Pillow's LANCZOS and libvips do); results are clamped to [0, 1]. The
// same size returns the image itself: no resampling at all.
Tensor resize_image(const Tensor& image, ImageSize size);

// The image shrunk (as resize_image) to at most `longest` pixels on its longest side; the image
// itself when it fits. For pictures that are only looked at: previews, animation frames.
Tensor shrink_to_fit(const Tensor& image, int longest);

// The same resampling of any values [1, C, H, W], not clamped (e.g. an optimiser's moments).
Tensor resize_values(const Tensor& values, ImageSize size);

}  // namespace nst
