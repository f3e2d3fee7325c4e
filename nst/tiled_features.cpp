#include "nst/tiled_features.h"

#include "autograd/grad_mode.h"
#include "tensor/elementwise.h"
#include "tensor/error.h"
#include "tensor/gram.h"

namespace nst {

namespace {

// Runs `visit(k, tile, features of layer k)` for every tile and requested layer.
template <class Visit>
void for_each_tile_features(nn::Vgg19& model, const Tensor& image,
                            const std::vector<std::string>& layers, const std::vector<Tile>& tiles,
                            Visit visit) {
  NoGradGuard no_graph;
  for (const Tile& tile : tiles) {
    const std::vector<Var> features = model.features(Var(crop(image, tile.region)), layers);
    for (std::size_t k = 0; k < layers.size(); ++k) visit(k, tile, features[k].value());
  }
}

}  // namespace

std::vector<Tensor> tiled_features(nn::Vgg19& model, const Tensor& image,
                                   const std::vector<std::string>& layers,
                                   const std::vector<Tile>& tiles) {
  const ImageSize size = image_size(image);
  std::vector<Tensor> whole(layers.size());
  for_each_tile_features(
      model, image, layers, tiles, [&](std::size_t k, const Tile& tile, const Tensor& features) {
        const int pools = pools_before(layers[k]);
        if (!whole[k].defined()) {
          whole[k] = Tensor::zeros(
              Shape{1, features.shape()[1], size.height >> pools, size.width >> pools});
        }
        copy_rect(features, core_in_features(tile, pools), whole[k],
                  core_in_image_features(tile, pools));
      });
  return whole;
}

std::vector<Tensor> tiled_grams(nn::Vgg19& model, const Tensor& image,
                                const std::vector<std::string>& layers,
                                const std::vector<Tile>& tiles) {
  const ImageSize size = image_size(image);
  std::vector<Tensor> grams(layers.size());
  for_each_tile_features(model, image, layers, tiles,
                         [&](std::size_t k, const Tile& tile, const Tensor& features) {
                           add_core_gram(tile, size, pools_before(layers[k]), features, grams[k]);
                         });
  return grams;
}

void add_core_gram(const Tile& tile, ImageSize image, int pools, const Tensor& features,
                   Tensor& gram) {
  const auto C = static_cast<int>(features.shape()[1]);
  if (!gram.defined()) gram = Tensor::zeros(Shape{1, C, C});
  const Rect core = core_in_features(tile, pools);
  const int positions = core.height * core.width;
  if (positions == 0) return;  // a last core thinner than this layer's 2^pools
  const Tensor core_features = crop(features, core);
  Tensor share(Shape{1, C, C});
  gram_forward(share.data(), core_features.data(), C, positions);  // / positions
  const double all = static_cast<double>(image.height >> pools) * (image.width >> pools);
  axpy(static_cast<float>(positions / all), share.values(), gram.values());
}

}  // namespace nst
