// VGG19 convolution weights from a checkpoint file of any supported format and key naming:
//   torchvision / timm ("vgg19.tv_in1k"):  features.<i>.weight, features.<i>.bias
//   Gatys et al. / Caffe-converted:        conv1_1.weight, conv1_1.bias, ...
// Other keys (the classifier, timm's pre_logits and head) are ignored. Every one of the 16
// convolutions must be present with VGG19's exact shape; an error names the key, the expected
// and the found shape.
//
// The preprocessing the weights expect is read from the safetensors metadata key
// "nst.preprocessing" when present, and otherwise follows from the key naming (torchvision
// keys: ImageNet mean/std on RGB; Caffe keys: BGR 0..255 minus the mean).
#pragma once

#include <string>

#include "nn/vgg19.h"
#include "weights/safetensors.h"

namespace nst {

struct Vgg19Weights {
  NamedTensors tensors;  // 32 tensors named features.<i>.weight / .bias, in network order
  nn::Preprocessing preprocessing;
  std::string format;     // of the file they came from
  std::string key_style;  // "torchvision" or "caffe"
};

Vgg19Weights read_vgg19_weights(const std::string& path);

// The network with these weights, frozen.
void load_vgg19(nn::Vgg19& model, const Vgg19Weights& weights);

// The conv-only file `nst weights convert` and `fetch` produce (about 80 MB): float32
// tensors in torchvision naming, with the preprocessing and provenance in __metadata__.
void write_vgg19_safetensors(const std::string& path, const Vgg19Weights& weights,
                             const std::string& source_description);

}  // namespace nst
