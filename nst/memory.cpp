#include "nst/memory.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "nn/vgg19.h"

namespace nst {
namespace {

constexpr int64_t kFloat = 4;
constexpr int64_t kProgram = int64_t{40} << 20;  // measured: libraries, OpenBLAS and OpenMP
constexpr int64_t kIm2colBand = int64_t{8} << 20;
constexpr double kIterationFactor = 1.05;  // measured, see memory.h

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
  return peak;
}

int64_t model_bytes() {
  int64_t params = 0;
  for (const auto& layer : nn::vgg19_layers()) {
    if (layer.kind == nn::Vgg19Layer::Kind::conv)
      params += int64_t{layer.out_channels} * (layer.in_channels * 9 + 1);
  }
  return params * kFloat;
}

}  // namespace

MemoryEstimate estimate_memory(const JobSettings& settings, const JobSizes& sizes) {
  MemoryEstimate e;
  e.fixed = kProgram + model_bytes();

  const int64_t content = image_bytes(sizes.content);
  // The image and its gradient, the starting image, and what the optimiser keeps per pixel:
  // Adam two moments; L-BFGS ten curvature pairs and a handful of work vectors.
  const int64_t optimiser = settings.optimizer == OptimizerKind::adam ? 2 : 2 * 10 + 6;
  e.images = (3 + optimiser) * content;
  for (ImageSize style : sizes.styles) e.images += image_bytes(style);

  int64_t reading = image_bytes(sizes.content_original) * 5 / 4 + content;  // + 8-bit pixels
  for (std::size_t i = 0; i < sizes.styles.size(); ++i) {
    reading = std::max(
        reading, image_bytes(sizes.styles_original[i]) * 5 / 4 + image_bytes(sizes.styles[i]));
  }
  reading = std::max(reading, image_bytes(sizes.init_original) * 5 / 4 + content);

  int64_t targets = targets_bytes(sizes.content, settings.content_layers);
  for (ImageSize style : sizes.styles)
    targets = std::max(targets, targets_bytes(style, settings.style_layers));

  int64_t all_outputs = 0;
  const int last = std::max(deepest(settings.content_layers), deepest(settings.style_layers));
  for (int64_t bytes : layer_outputs(sizes.content, last)) all_outputs += bytes;
  const auto iterations =
      static_cast<int64_t>(kIterationFactor * static_cast<double>(all_outputs)) + kIm2colBand;

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
