#include "nst/memory.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "nn/vgg19.h"
#include "nst/tiled_features.h"
#include "nst/tiling.h"
#include "tensor/conv2d_algorithm.h"
#include "tensor/winograd.h"

namespace nst {
namespace {

constexpr int64_t kFloat = 4;
constexpr int64_t kProgram = int64_t{40} << 20;  // measured: libraries, OpenBLAS and OpenMP
// im2col's column bands, the least scratch a convolution takes.
constexpr int64_t kIm2colBand = int64_t{8} << 20;

int64_t pixels(ImageSize s) { return int64_t{s.width} * s.height; }
int64_t image_bytes(ImageSize s) { return 3 * kFloat * pixels(s); }

// The bytes of each VGG19 layer's output for an input of `size`, up to `last` (inclusive).
std::vector<int64_t> layer_outputs(ImageSize size, int last) {
  std::vector<int64_t> bytes;
  int64_t h = size.height, w = size.width, channels = 3;
  const auto& layers = nn::vgg19_layers();
  for (int i = 0; i <= last; ++i) {
    if (layers[i].kind == nn::Vgg19Layer::Kind::pool) {
      h /= 2;
      w /= 2;
    } else if (layers[i].kind == nn::Vgg19Layer::Kind::conv) {
      channels = layers[i].out_channels;
    }
    bytes.push_back(channels * h * w * kFloat);
  }
  return bytes;
}

// The convolutions' scratch at its largest for an input of `size`, up to layer `last`: im2col's
// column bands, or the Winograd GEMM path's band of transformed tiles. The fused path's blocks
// are 1 MiB a thread.
int64_t convolution_scratch_bytes(ImageSize size, int last) {
  int64_t bytes = kIm2colBand;
  for (const nn::Vgg19Conv& conv : nn::vgg19_convs(size.height, size.width, last)) {
    const Conv2dShape& s = conv.shape;
    if (forward_algorithm(s) != ConvAlgorithm::winograd &&
        input_gradient_algorithm(s) != ConvAlgorithm::winograd)
      continue;
    bytes = std::max(bytes, winograd_band_floats(s, winograd_bands(s)) * kFloat);
  }
  return bytes;
}

int deepest(const std::vector<std::string>& layers) {
  int index = -1;
  for (const std::string& name : layers) index = std::max(index, nn::vgg19_layer_index(name));
  return index;
}

// A forward pass without a graph: at each layer its input and output live, with the
// requested outputs before it, which are kept as targets.
int64_t targets_bytes(ImageSize size, const std::vector<std::string>& kept) {
  const int last = deepest(kept);
  if (last < 0) return 0;
  const std::vector<int64_t> out = layer_outputs(size, last);
  std::vector<bool> is_kept(out.size());
  for (const std::string& name : kept) is_kept[nn::vgg19_layer_index(name)] = true;
  int64_t kept_bytes = 0, peak = 0, input = image_bytes(size);
  bool input_kept = false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    peak = std::max(peak, kept_bytes + (input_kept ? 0 : input) + out[i]);
    if (is_kept[i]) kept_bytes += out[i];
    input = out[i];
    input_kept = is_kept[i];
  }
  return peak + convolution_scratch_bytes(size, last);
}

// One iteration with its graph. The forward keeps, for the backward, a bit per element of
// each ReLU (fused into its convolution) and a byte per element of each max pooling (the
// argmax in its window); no convolution keeps its input, since the weights are frozen. The
// requested features are kept too, and each is overwritten by its loss gradient, which
// backward consumes when it reaches that layer. Backward through layer i holds the features
// still to be consumed, the saved bits and bytes of layers 0..i, and the gradients of layer i's
// output and input; that is the peak (the forward holds less at each layer).
int64_t iteration_bytes(ImageSize size, const std::vector<std::string>& requested,
                        nn::Pooling pooling) {
  const int last = deepest(requested);
  if (last < 0) return 0;
  const std::vector<int64_t> out = layer_outputs(size, last);
  std::vector<bool> is_requested(out.size());
  for (const std::string& name : requested) is_requested[nn::vgg19_layer_index(name)] = true;
  const auto& layers = nn::vgg19_layers();
  int64_t requested_below = 0, saved = 0, peak = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (layers[i].kind == nn::Vgg19Layer::Kind::relu) saved += (out[i] + 31) / 32;
    if (layers[i].kind == nn::Vgg19Layer::Kind::pool && pooling == nn::Pooling::max)
      saved += out[i] / kFloat;
    const int64_t input = i == 0 ? image_bytes(size) : out[i - 1];
    peak = std::max(peak, requested_below + saved + out[i] + input);
    if (is_requested[i]) requested_below += out[i];
  }
  return peak + convolution_scratch_bytes(size, last);
}

// Winograd's transformed filters (36 floats per 3x3 filter, against the weights' 9), which a
// convolution caches when the algorithm chosen for some image it sees is Winograd.
int64_t winograd_filter_bytes(const std::vector<ImageSize>& sizes, int last) {
  std::vector<bool> uses_winograd(nn::vgg19_layers().size());
  for (ImageSize size : sizes) {
    for (const nn::Vgg19Conv& conv : nn::vgg19_convs(size.height, size.width, last)) {
      if (is_winograd(forward_algorithm(conv.shape)) ||
          is_winograd(input_gradient_algorithm(conv.shape)))
        uses_winograd[conv.layer] = true;
    }
  }
  int64_t bytes = 0;
  for (std::size_t i = 0; i < uses_winograd.size(); ++i) {
    const nn::Vgg19Layer& layer = nn::vgg19_layers()[i];
    if (uses_winograd[i]) bytes += winograd_filter_size(layer.out_channels, layer.in_channels);
  }
  return bytes * kFloat;
}

int64_t model_bytes() {
  int64_t params = 0;
  for (const auto& layer : nn::vgg19_layers()) {
    if (layer.kind == nn::Vgg19Layer::Kind::conv)
      params += int64_t{layer.out_channels} * (layer.in_channels * 9 + 1);
  }
  return params * kFloat;
}

// The largest picture VGG19 runs on for an image of `size`: the image, or with tiling its
// largest tile (core and border).
ImageSize network_input(ImageSize size, const JobSettings& settings,
                        const std::vector<std::string>& requested) {
  const int tile_size = settings.tile_size.value_or(0);
  if (tile_size <= 0 || requested.empty()) return size;
  const std::vector<Tile> tiles = plan_tiles(size, tile_size, tile_geometry(requested));
  if (tiles.size() == 1) return size;
  ImageSize largest;
  for (const Tile& tile : tiles) {
    largest.height = std::max(largest.height, tile.region.height);
    largest.width = std::max(largest.width, tile.region.width);
  }
  return largest;
}

// The whole image's features of the named layers, which a tiled run keeps as content targets.
int64_t whole_features_bytes(ImageSize size, const std::vector<std::string>& layers) {
  const int last = deepest(layers);
  if (last < 0) return 0;
  const std::vector<int64_t> out = layer_outputs(size, last);
  int64_t bytes = 0;
  for (const std::string& name : layers) bytes += out[nn::vgg19_layer_index(name)];
  return bytes;
}

// With settings.keep_deep_tile_state: what every tile but the last keeps from an iteration's
// first pass for its second (nst/objective_tiled.cpp), for the layers after the split: a bit
// per element of each ReLU and a byte per element of each max pooling, at the sizes their maps
// have before they are cut, and the requested features, cut.
int64_t kept_deep_state_bytes(ImageSize size, const JobSettings& settings,
                              const std::vector<std::string>& requested) {
  const int split = tile_split_layer(requested);
  const int tile_size = settings.tile_size.value_or(0);
  if (!settings.keep_deep_tile_state || split < 0 || tile_size <= 0) return 0;
  const std::vector<Tile> tiles = plan_tiles(size, tile_size, tile_geometry(requested));
  const int last = deepest(requested);
  const auto& layers = nn::vgg19_layers();
  std::vector<bool> is_requested(last + 1);
  for (const std::string& name : requested) is_requested[nn::vgg19_layer_index(name)] = true;
  auto area = [](const Rect& r) { return int64_t{r.height} * r.width; };
  int64_t bytes = 0;
  for (std::size_t t = 0; t + 1 < tiles.size(); ++t) {
    const TileTrim trim = trim_tile(tiles[t], size, requested);
    int64_t channels = 3;
    for (int i = 0; i <= last; ++i) {
      if (layers[i].kind == nn::Vgg19Layer::Kind::conv) channels = layers[i].out_channels;
      if (i <= split) continue;
      const Rect& before = trim.kept[i - 1];
      if (layers[i].kind == nn::Vgg19Layer::Kind::relu) bytes += (channels * area(before) + 7) / 8;
      if (layers[i].kind == nn::Vgg19Layer::Kind::pool && settings.pooling == nn::Pooling::max)
        bytes += channels * area(pooled(before));
      if (is_requested[i]) bytes += channels * area(trim.kept[i]) * kFloat;
    }
  }
  return bytes;
}

}  // namespace

MemoryEstimate estimate_memory(const JobSettings& settings, const JobSizes& sizes) {
  MemoryEstimate e;
  const std::vector<std::string> requested = used_layers(settings);
  std::vector<ImageSize> network_inputs;
  for (ImageSize style : sizes.styles)
    network_inputs.push_back(network_input(style, settings, requested));
  network_inputs.push_back(network_input(sizes.content, settings, requested));
  e.fixed = kProgram + model_bytes() + winograd_filter_bytes(network_inputs, deepest(requested));

  const int64_t content = image_bytes(sizes.content);
  // The image and its gradient, the starting image, and what the optimiser keeps per pixel:
  // Adam two moments; L-BFGS ten curvature pairs and a handful of work vectors.
  const int64_t optimiser = settings.optimizer == OptimizerKind::adam ? 2 : 2 * 10 + 6;
  e.images = (3 + optimiser) * content;
  for (ImageSize style : sizes.styles) e.images += image_bytes(style);
  for (ImageSize kept : sizes.kept_images) e.images += image_bytes(kept);

  int64_t reading = image_bytes(sizes.content_original) * 5 / 4 + content;  // + 8-bit pixels
  for (std::size_t i = 0; i < sizes.styles.size(); ++i) {
    reading = std::max(
        reading, image_bytes(sizes.styles_original[i]) * 5 / 4 + image_bytes(sizes.styles[i]));
  }
  reading = std::max(reading, image_bytes(sizes.init_original) * 5 / 4 + content);

  // Tiled, the network runs on one tile at a time, and the content targets are kept whole.
  const ImageSize content_input = network_input(sizes.content, settings, requested);
  const int64_t tiled_targets =
      content_input.width == sizes.content.width && content_input.height == sizes.content.height
          ? 0
          : whole_features_bytes(sizes.content, settings.content_layers);
  int64_t targets = tiled_targets + targets_bytes(content_input, settings.content_layers);
  for (ImageSize style : sizes.styles) {
    targets = std::max(
        targets, targets_bytes(network_input(style, settings, requested), settings.style_layers));
  }

  const int64_t iterations = tiled_targets +
                             iteration_bytes(content_input, requested, settings.pooling) +
                             kept_deep_state_bytes(sizes.content, settings, requested);
  e.work = iterations;
  e.phase = "the iterations";
  if (targets > e.work) e.work = targets, e.phase = "computing the targets";
  if (reading > e.work) e.work = reading, e.phase = "reading the images";
  return e;
}

int64_t default_max_memory() {
  const int64_t physical = int64_t{::sysconf(_SC_PHYS_PAGES)} * ::sysconf(_SC_PAGE_SIZE);
  return physical / 4 * 3;
}

std::string format_bytes(int64_t bytes) {
  char text[32];
  if (bytes >= (int64_t{1} << 30)) {
    std::snprintf(text, sizeof text, "%.1f GB", static_cast<double>(bytes) / (1 << 30));
  } else {
    std::snprintf(text, sizeof text, "%.0f MB", static_cast<double>(bytes) / (1 << 20));
  }
  return text;
}

}  // namespace nst
