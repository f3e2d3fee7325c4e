// VGG19 checkpoints for tests: the same tensors under the other key naming.
#pragma once

#include <string>

#include "nn/vgg19.h"
#include "weights/safetensors.h"

namespace nst::testing {

// torchvision names ("features.<i>.weight") -> Caffe/Gatys names ("conv1_1.weight").
inline NamedTensors with_caffe_names(const NamedTensors& torchvision_named) {
  NamedTensors caffe;
  const auto& layers = nn::vgg19_layers();
  for (const auto& [name, tensor] : torchvision_named) {
    const int index = std::stoi(name.substr(std::string("features.").size()));
    caffe.emplace_back(layers[index].name + name.substr(name.rfind('.')), tensor);
  }
  return caffe;
}

}  // namespace nst::testing
