// The objective of Gatys et al.: how far an image's VGG19 features are from the content
// image's, and its Gram matrices from the style images'.
//
//   E = content_weight * E_c + style_weight * E_s + tv_weight * E_tv   (losses.h, README)
//
// The content targets P and the (blended) style Gram targets A are computed once, without
// building a graph. evaluate() then gives E and its gradient for any image of the content's
// size; the optimiser drivers (drivers.h) decide what to do with them.
//
// Memory: the loss terms are evaluated without a graph, each feature map overwritten by its
// gradient (losses.h), and one backward pass starts from all of them at once. So an iteration
// holds each requested feature map once (as value, then as gradient), the network's ReLU
// bits and pooling bytes, and the two activations of the layer being computed.
#pragma once

#include <string>
#include <vector>

#include "autograd/variable.h"
#include "nn/vgg19.h"
#include "nst/image.h"
#include "nst/settings.h"

namespace nst {

// The losses of one image: E_c, E_s and E_tv unweighted, `total` the weighted sum that is
// minimised. In a run, `iteration` (1-based, counted over all scales) says which update they
// came before, and `scale` (1-based, coarse to fine) at which scale.
struct IterationLosses {
  int iteration = 0;
  int scale = 1;
  double total = 0.0, content = 0.0, style = 0.0, tv = 0.0;
};

class StyleObjective {
 public:
  // Validates the settings and computes the targets. content and styles are images
  // [1, 3, H, W] in [0, 1]; each style may have its own size. The model must outlive this.
  StyleObjective(nn::Vgg19& model, const Tensor& content, const std::vector<Tensor>& styles,
                 const JobSettings& settings);

  // E at `image` and the unweighted terms; fills image's gradient (a Var that requires one).
  IterationLosses evaluate(Var& image);

  ImageSize content_size() const { return content_size_; }

 private:
  nn::Vgg19& model_;
  double content_weight_, style_weight_, tv_weight_;
  std::size_t style_layer_count_;
  ImageSize content_size_;
  // Each distinct layer that some term reads, with its targets: a layer may be in both lists,
  // or twice in one (its term then counts twice).
  struct LayerTerms {
    std::string name;
    Tensor content_target;  // P; undefined if no content term reads the layer
    int content_count = 0;
    Tensor style_target;  // A, the blended Gram matrix; undefined if no style term
    int style_count = 0;
  };
  std::vector<LayerTerms> layers_;
};

}  // namespace nst
