// How much memory a job will hold at its peak, estimated before the heavy work starts, so that
// a run that cannot fit is refused with advice instead of exhausting the machine (a 64-pixel
// output with --style-scale 100 once reached 13 GB while still computing its targets).
//
// The peak is what lives through the whole run (the program, VGG19's weights and the
// Winograd filters its convolutions cache, the prepared images and the optimiser's state, which
// a checkpoint writes without copying it) plus the largest of three phases:
//   reading:    one decoded input at its own size, and its resized copy;
//   targets:    VGG19 without a graph on the content or one style image: the features kept as
//               targets and the largest layer's input and output;
//   iterations: VGG19 with its lean graph at the content's size: the requested features, the
//               ReLU bits and pooling bytes, and the two gradients of the layer backward is in
//               (memory.cpp, iteration_bytes).
// Both phases with the network add the convolutions' scratch band. With tiling
// (settings.tile_size, nst/tiling.h) the network runs on the largest tile instead of the
// whole picture, and the whole picture's content targets are kept through both phases; with
// settings.keep_deep_tile_state the iterations add what every tile but the last keeps from the
// first pass for the second. The block cache never holds more than the most that was in use at
// once (tensor/aligned_buffer.cpp).
// Tested against measured peaks (tests/test_cli_memory.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nst/image.h"
#include "nst/settings.h"

namespace nst {

struct MemoryEstimate {
  int64_t fixed = 0;   // the program, its libraries and threads, weights, Winograd filters
  int64_t images = 0;  // prepared images, the starting image, the optimiser's state
  int64_t work = 0;    // the largest phase
  std::string phase;   // which: "reading the images", "computing the targets", "the iterations"
  int64_t total() const { return fixed + images + work; }
};

struct JobSizes {
  ImageSize content, content_original;
  std::vector<ImageSize> styles, styles_original;
  ImageSize init_original;  // 0x0 without a starting image
  // Further pictures kept through the run: the coarser scales' content, styles and starting
  // pictures, and with luminance colours the content in colour at every scale.
  std::vector<ImageSize> kept_images;
};

MemoryEstimate estimate_memory(const JobSettings& settings, const JobSizes& sizes);

// The default limit: three quarters of the physical memory.
int64_t default_max_memory();

std::string format_bytes(int64_t bytes);  // "812 MB", "3.4 GB"

}  // namespace nst
