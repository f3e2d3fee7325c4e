// Example: what the network sees. For one picture and one VGG19 layer, writes
//   OUT_maps.png   the layer's feature maps (the first 64 channels), each scaled to [0, 1] on
//                  its own and tiled in a grid, one map per cell;
//   OUT_gram.png   the layer's Gram matrix G = F F^T / (H W) (nn/gram.h), C x C: the channel
//                  correlations the style loss compares. Shown as sqrt(G / max G) (G >= 0 after
//                  a ReLU), since a few large entries would leave the rest black, and
//                  enlarged to at least 256 pixels.
// usage: example_features IMAGE LAYER OUT [--weights FILE|random[:SEED]] [--size N]
//   e.g. example_features photo.jpg relu3_1 out/relu3_1 --size 256
// With an untrained network (random weights, the default here) the maps are edge and colour
// detectors of random filters; with trained weights they become textures and parts of objects.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>

#include "autograd/grad_mode.h"
#include "nn/gram.h"
#include "nst/image.h"
#include "nst/resize.h"
#include "tensor/error.h"
#include "weights/locate.h"

namespace {

using nst::Tensor;

// Each plane [H, W] of `planes` scaled to [0, 1] by its own min and max, each pixel shown as
// zoom x zoom, tiled `columns` to a row with a 2-pixel white border, as an RGB picture.
Tensor tile(const float* planes, int count, int h, int w, int columns, int zoom = 1) {
  const int rows = (count + columns - 1) / columns, border = 2;
  const int width = columns * (w * zoom + border) + border;
  const int height = rows * (h * zoom + border) + border;
  Tensor grid(nst::Shape{1, 3, height, width});
  grid.fill(1.0f);
  float* out = grid.data();
  const int64_t plane = int64_t{width} * height;
  for (int k = 0; k < count; ++k) {
    const float* p = planes + int64_t{k} * h * w;
    const auto [lo, hi] = std::minmax_element(p, p + int64_t{h} * w);
    const float range = *hi - *lo > 0 ? *hi - *lo : 1.0f;
    const int top = border + (k / columns) * (h * zoom + border);
    const int left = border + (k % columns) * (w * zoom + border);
    for (int y = 0; y < h * zoom; ++y) {
      for (int x = 0; x < w * zoom; ++x) {
        const float v = (p[(y / zoom) * w + x / zoom] - *lo) / range;
        for (int c = 0; c < 3; ++c) out[c * plane + int64_t{top + y} * width + left + x] = v;
      }
    }
  }
  return grid;
}

int run(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: example_features IMAGE LAYER OUT [--weights FILE|random[:SEED]] "
                 "[--size N]\n";
    return 2;
  }
  const std::string image_path = argv[1], layer = argv[2], out = argv[3];
  std::string weights = "random";
  int size = 256;
  for (int i = 4; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--weights")
      weights = argv[i + 1];
    else if (flag == "--size")
      size = std::stoi(argv[i + 1]);
    else
      throw nst::Error("unknown option " + flag);
  }
  Tensor image = nst::read_image(image_path);
  image = nst::resize_image(image, nst::fit_longest_side(nst::image_size(image), size));
  const auto model = nst::load_vgg19_model(weights, nst::nn::Pooling::max, std::cerr);

  const nst::NoGradGuard no_graph;  // only looking: no backward
  const nst::Var maps = model->features(nst::Var(image), {layer})[0];
  const nst::Shape& s = maps.shape();  // [1, C, H, W]
  const int channels = static_cast<int>(s[1]), h = static_cast<int>(s[2]),
            w = static_cast<int>(s[3]);
  const int shown = std::min(channels, 64);
  nst::write_image(out + "_maps.png", tile(maps.value().data(), shown, h, w, 8));
  const nst::Var g = nst::nn::gram(maps);  // [1, C, C]
  Tensor shown_gram(nst::Shape{channels, channels});
  const float* gv = g.value().data();
  const float largest = std::max(*std::max_element(gv, gv + channels * channels), 1e-30f);
  for (int i = 0; i < channels * channels; ++i)
    shown_gram.data()[i] = std::sqrt(std::max(gv[i], 0.0f) / largest);
  nst::write_image(out + "_gram.png",
                   tile(shown_gram.data(), 1, channels, channels, 1, std::max(1, 256 / channels)));
  std::printf(
      "%s at %dx%d: %d channels of %dx%d; wrote %s_maps.png (%d maps) and %s_gram.png "
      "(the %dx%d Gram matrix)\n",
      layer.c_str(), nst::image_size(image).width, nst::image_size(image).height, channels, w, h,
      out.c_str(), shown, out.c_str(), channels, channels);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "example_features: " << e.what() << "\n";
    return 1;
  }
}
