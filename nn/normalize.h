// Per-channel affine maps of images, the input normalisation of a pretrained network:
//   out[n, c] = x[n, source[c]] * scale[c] + shift[c]
// `source` reorders channels (RGB -> BGR for Caffe-trained weights); it must be a permutation.
#pragma once

#include <vector>

#include "autograd/variable.h"

namespace nst::nn {

struct ChannelAffine {
  std::vector<float> scale, shift;
  std::vector<int> source;  // empty: channel c reads channel c

  // (x - mean) / std per channel, e.g. torchvision's ImageNet normalisation.
  static ChannelAffine mean_std(const std::vector<float>& mean, const std::vector<float>& std);
};

Var channel_affine(const Var& x, const ChannelAffine& map);

}  // namespace nst::nn
