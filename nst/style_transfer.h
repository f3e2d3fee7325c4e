// The optimisation of Gatys et al.: the pixels of an image are adjusted until its VGG19
// features match the content image's and its Gram matrices match the style images'.
//
//   E = content_weight * E_c + style_weight * E_s + tv_weight * E_tv   (losses.h)
//
// The content targets P and the (blended) style Gram targets A are computed once, without
// building a graph. Each iteration then evaluates E and its gradient for the current image and
// updates it:
//   adam:  torch.optim.Adam on the [0, 1] image, which is clamped to [0, 1] after every step;
//   lbfgs: torch.optim.LBFGS (history 10, fixed step, lr 1); one iteration is one evaluation
//          of E, as in the classic Torch implementation; the image is clamped once at the end.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "nn/vgg19.h"
#include "nst/image.h"
#include "tensor/tensor.h"

namespace nst {

enum class OptimizerKind { adam, lbfgs };

struct StyleTransferSettings {
  std::vector<std::string> content_layers{"relu4_2"};
  std::vector<std::string> style_layers{"relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"};
  double content_weight = 1.0;
  double style_weight = 330.0;  // the PyTorch tutorial's balance in our units (README)
  double tv_weight = 0.0;
  std::vector<double> style_blend;  // one weight per style image; empty: equal
  OptimizerKind optimizer = OptimizerKind::adam;
  int iterations = 500;
  double learning_rate = 0.02;  // Adam, on the [0, 1] image
};

// The losses of the image before update `iteration` (1-based): E_c, E_s and E_tv unweighted,
// `total` the weighted sum that is minimised.
struct IterationLosses {
  int iteration = 0;
  double total = 0.0, content = 0.0, style = 0.0, tv = 0.0;
};

class StyleTransfer {
 public:
  // Computes the targets. content and styles are images [1, 3, H, W] in [0, 1]; each style may
  // have its own size.
  StyleTransfer(nn::Vgg19& model, const Tensor& content, const std::vector<Tensor>& styles,
                StyleTransferSettings settings);

  // Called after each update with the losses from before it and the updated image.
  using Observer = std::function<void(const IterationLosses&, const Tensor& image)>;

  // Optimises from `initial` (same size as the content) and returns the final image.
  Tensor run(const Tensor& initial, const Observer& observer = {});

  // E at `image` and the unweighted terms; fills image's gradient (a Var that requires one).
  IterationLosses evaluate(Var& image);

 private:
  nn::Vgg19& model_;
  StyleTransferSettings settings_;
  ImageSize content_size_;
  std::vector<std::string> layers_;      // content layers, then style layers
  std::vector<Tensor> content_targets_;  // per content layer
  std::vector<Tensor> style_targets_;    // per style layer: the blended Gram matrix
};

}  // namespace nst
