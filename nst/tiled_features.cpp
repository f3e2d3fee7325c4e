#include "nst/tiled_features.h"

#include <algorithm>
#include <optional>

#include "autograd/grad_mode.h"
#include "autograd/op_timing.h"
#include "nst/style_masks.h"
#include "tensor/elementwise.h"
#include "tensor/error.h"
#include "tensor/gram.h"

namespace nst {

namespace {

// The positions of a layer with `pools` pools before it over the whole image.
double all_positions(ImageSize image, int pools) {
  return static_cast<double>(image.height >> pools) * (image.width >> pools);
}

// Runs `visit(k, tile, features of layer k, core in them)` for every tile and requested layer;
// the features are the visitor's to overwrite.
template <class Visit>
void for_each_tile_features(nn::Vgg19& model, const Tensor& image,
                            const std::vector<std::string>& layers, const std::vector<Tile>& tiles,
                            Visit visit) {
  for (const Tile& tile : tiles) {
    TileRun run = run_tile(model, image, tile, layers, TileGraph::none);
    for (std::size_t k = 0; k < layers.size(); ++k)
      visit(k, tile, run.features[k].value(), run.cores[k]);
  }
}

}  // namespace

int tile_split_layer(const std::vector<std::string>& layers) {
  const int split = nn::vgg19_layer_index("pool2");
  for (const std::string& layer : layers) {
    if (nn::vgg19_layer_index(layer) > split) return split;
  }
  return -1;
}

TileRun run_tile(nn::Vgg19& model, const Tensor& image, const Tile& tile,
                 const std::vector<std::string>& layers, TileGraph graph) {
  const TileTrim trim = trim_tile(tile, image_size(image), layers);
  const int split = tile_split_layer(layers);
  NST_CHECK(split >= 0 || graph == TileGraph::none || graph == TileGraph::whole,
            "run_tile: no layer lies past pool2 to split the graph at");
  TileRun run{.input = trim.input,
              .pixels = Var(crop(image, trim.input),
                            graph == TileGraph::whole || graph == TileGraph::shallow),
              .features = {},
              .cores = {},
              .split = {}};
  std::optional<NoGradGuard> no_graph;
  if (graph == TileGraph::none || graph == TileGraph::deep) no_graph.emplace();
  // A shallow run stops at the split layer, asking for it and the requested layers before it.
  std::vector<std::string> asked;
  for (const std::string& layer : layers) {
    if (graph != TileGraph::shallow || nn::vgg19_layer_index(layer) <= split)
      asked.push_back(layer);
  }
  if (graph == TileGraph::shallow) asked.push_back(nn::vgg19_layers()[split].name);
  // The map each layer hands on, in the image's positions at its level; the hook sees only
  // the ReLU of a fused convolution, so the pools in between are counted as it goes.
  Rect map = trim.input;
  int seen = -1;
  std::vector<Var> outputs = model.features(run.pixels, asked, [&](int layer, const Var& output) {
    for (int i = seen + 1; i <= layer; ++i) {
      if (nn::vgg19_layers()[i].kind == nn::Vgg19Layer::Kind::pool) map = pooled(map);
    }
    seen = layer;
    NST_CHECK(output.shape()[2] == map.height && output.shape()[3] == map.width, "run_tile: layer ",
              layer, " made ", output.shape(), " for a ", map.height, "x", map.width, " map");
    const Rect& kept = trim.kept[layer];
    Var cut = output;
    if (kept != map) {
      cut = crop(output, {kept.y - map.y, kept.x - map.x, kept.height, kept.width});
      map = kept;
    }
    if (layer == split && graph == TileGraph::deep) {
      no_graph.reset();  // the graph starts here
      run.split = Var(cut.value(), /*requires_grad=*/true);
      return run.split;
    }
    if (layer == split && graph == TileGraph::shallow) run.split = cut;
    return cut;
  });
  if (graph == TileGraph::shallow) outputs.pop_back();  // the split layer's, in run.split
  std::size_t next = 0;
  for (const std::string& layer : layers) {
    const int index = nn::vgg19_layer_index(layer);
    run.features.push_back(graph != TileGraph::shallow || index <= split ? outputs[next++] : Var());
    run.cores.push_back(trim.core[index]);
  }
  return run;
}

std::vector<Tensor> tiled_features(nn::Vgg19& model, const Tensor& image,
                                   const std::vector<std::string>& layers,
                                   const std::vector<Tile>& tiles) {
  const ImageSize size = image_size(image);
  std::vector<Tensor> whole(layers.size());
  for_each_tile_features(model, image, layers, tiles,
                         [&](std::size_t k, const Tile& tile, Tensor& features, const Rect& core) {
                           const int pools = pools_before(layers[k]);
                           if (!whole[k].defined()) {
                             whole[k] =
                                 Tensor::zeros(Shape{1, features.shape()[1], size.height >> pools,
                                                     size.width >> pools});
                           }
                           copy_rect(features, core, whole[k], core_in_image_features(tile, pools));
                         });
  return whole;
}

std::vector<Tensor> tiled_grams(nn::Vgg19& model, const Tensor& image,
                                const std::vector<std::string>& layers,
                                const std::vector<Tile>& tiles) {
  const ImageSize size = image_size(image);
  std::vector<Tensor> grams(layers.size());
  for_each_tile_features(model, image, layers, tiles,
                         [&](std::size_t k, const Tile&, Tensor& features, const Rect& core) {
                           add_core_gram(features, core,
                                         all_positions(size, pools_before(layers[k])), grams[k]);
                         });
  return grams;
}

void add_core_gram(Tensor& features, const Rect& core, double positions, Tensor& gram) {
  const OpTimer timer("tile_gram", OpPhase::forward);
  const auto C = static_cast<int>(features.shape()[1]);
  if (!gram.defined()) gram = Tensor::zeros(Shape{1, C, C});
  if (core.height * core.width == 0) return;  // a last core thinner than this layer's 2^pools
  zero_outside(features, core);
  const int64_t width = features.shape()[3];
  const auto band = static_cast<int>(core.height * width);
  Tensor share(Shape{1, C, C});
  gram_forward(share.data(), features.data() + core.y * width, C, band,
               features.shape()[2] * width);  // / band
  axpy(static_cast<float>(band / positions), share.values(), gram.values());
}

Tensor core_band_mask(const Tensor& mask, const Rect& in_image, const Rect& core, int64_t width) {
  NST_CHECK(in_image.height == core.height && in_image.width == core.width,
            "core_band_mask: a core of ", core.height, "x", core.width, " at ", in_image.height,
            "x", in_image.width, " in the image");
  const int64_t mask_width = mask.shape()[3];
  Tensor band = Tensor::zeros(Shape{1, 1, core.height, width});
  for (int y = 0; y < core.height; ++y) {
    const float* from = mask.data() + (in_image.y + y) * mask_width + in_image.x;
    std::copy_n(from, core.width, band.data() + y * width + core.x);
  }
  return band;
}

void add_core_guided_gram(Tensor& features, const Rect& core, const Tensor& band_mask,
                          double mask_sum, Tensor& gram) {
  const OpTimer timer("tile_gram", OpPhase::forward);
  const auto C = static_cast<int>(features.shape()[1]);
  if (!gram.defined()) gram = Tensor::zeros(Shape{1, C, C});
  if (core.height * core.width == 0) return;
  zero_outside(features, core);
  const int64_t width = features.shape()[3], stride = features.shape()[2] * width;
  const auto band = static_cast<int>(core.height * width);
  NST_CHECK(band_mask.numel() == band, "add_core_guided_gram: a mask of ", band_mask.numel(),
            " values for a band of ", band);
  Tensor weighted(Shape{1, C, 1, band});  // the band's F diag(m)
  const float* rows = features.data() + core.y * width;
  for (int c = 0; c < C; ++c) {
    const float* f = rows + c * stride;
    float* w = weighted.data() + static_cast<int64_t>(c) * band;
    for (int p = 0; p < band; ++p) w[p] = f[p] * band_mask.data()[p];
  }
  Tensor share(Shape{1, C, C});
  weighted_gram_forward(share.data(), weighted.data(), rows, C, band,
                        1.0f / static_cast<float>(mask_sum), stride);
  axpy(1.0f, share.values(), gram.values());
}

std::vector<std::vector<Tensor>> tiled_guided_grams(nn::Vgg19& model, const Tensor& image,
                                                    const std::vector<std::string>& layers,
                                                    const std::vector<Tile>& tiles,
                                                    const std::vector<std::vector<Tensor>>& masks) {
  NST_CHECK(masks.size() == layers.size(), "tiled_guided_grams: masks for ", masks.size(),
            " layers of ", layers.size());
  std::vector<std::vector<Tensor>> grams(layers.size());
  std::vector<std::vector<double>> sums(layers.size());  // once, not once per tile
  for (std::size_t k = 0; k < layers.size(); ++k) {
    grams[k].resize(masks[k].size());
    for (const Tensor& mask : masks[k]) sums[k].push_back(mask_sum(mask));
  }
  for_each_tile_features(
      model, image, layers, tiles,
      [&](std::size_t k, const Tile& tile, Tensor& features, const Rect& core) {
        const Rect in_image = core_in_image_features(tile, pools_before(layers[k]));
        for (std::size_t j = 0; j < masks[k].size(); ++j) {
          const Tensor band = core_band_mask(masks[k][j], in_image, core, features.shape()[3]);
          add_core_guided_gram(features, core, band, sums[k][j], grams[k][j]);
        }
      });
  return grams;
}

}  // namespace nst
