#include "weights/vgg19_weights.h"

#include <algorithm>

#include "tensor/error.h"
#include "weights/checkpoint.h"

namespace nst {
namespace {

// The torchvision index of every convolution, and its conventional name.
struct ConvKey {
  int index;
  std::string name;
  Shape weight, bias;
};

std::vector<ConvKey> conv_keys() {
  std::vector<ConvKey> keys;
  const auto& layers = nn::vgg19_layers();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const nn::Vgg19Layer& l = layers[i];
    if (l.kind != nn::Vgg19Layer::Kind::conv) continue;
    keys.push_back({static_cast<int>(i), l.name, Shape{l.out_channels, l.in_channels, 3, 3},
                    Shape{l.out_channels}});
  }
  return keys;
}

std::string torchvision_key(const ConvKey& k, const char* part) {
  return "features." + std::to_string(k.index) + "." + part;
}

std::string caffe_key(const ConvKey& k, const char* part) { return k.name + "." + part; }

const Tensor* find(const NamedTensors& tensors, const std::string& name) {
  for (const auto& [key, tensor] : tensors) {
    if (key == name) return &tensor;
  }
  return nullptr;
}

}  // namespace

Vgg19Weights read_vgg19_weights(const std::string& path) {
  const std::vector<ConvKey> keys = conv_keys();
  std::vector<std::string> wanted;
  for (const ConvKey& k : keys) {
    for (const char* part : {"weight", "bias"}) {
      wanted.push_back(torchvision_key(k, part));
      wanted.push_back(caffe_key(k, part));
    }
  }
  const Checkpoint checkpoint = read_checkpoint(path, [&](const std::string& name) {
    return std::find(wanted.begin(), wanted.end(), name) != wanted.end();
  });

  Vgg19Weights weights;
  weights.format = checkpoint.format;
  const bool torchvision = find(checkpoint.tensors, "features.0.weight") != nullptr;
  const bool caffe = find(checkpoint.tensors, "conv1_1.weight") != nullptr;
  NST_CHECK(torchvision || caffe, path,
            ": no VGG19 convolution weights: expected the keys "
            "features.0.weight ... (torchvision, timm) or conv1_1.weight ... (Caffe-converted)");
  weights.key_style = torchvision ? "torchvision" : "caffe";

  for (const ConvKey& k : keys) {
    for (const char* part : {"weight", "bias"}) {
      const std::string key = torchvision ? torchvision_key(k, part) : caffe_key(k, part);
      const Shape& expected = std::string(part) == "weight" ? k.weight : k.bias;
      const Tensor* t = find(checkpoint.tensors, key);
      NST_CHECK(t != nullptr, path, ": missing ", key, " (VGG19 layer ", k.name, ", shape ",
                expected, ")");
      NST_CHECK(t->shape() == expected, path, ": ", key, " has shape ", t->shape(),
                "; VGG19 layer ", k.name, " needs ", expected);
      weights.tensors.emplace_back(torchvision_key(k, part), *t);
    }
  }

  std::string preprocessing = weights.key_style;
  for (const auto& [key, value] : checkpoint.metadata) {
    if (key == "nst.preprocessing") preprocessing = value;
  }
  try {
    weights.preprocessing = nn::Preprocessing::by_name(preprocessing);
  } catch (const Error& e) {
    fail(path, ": metadata nst.preprocessing: ", e.what());
  }
  return weights;
}

void load_vgg19(nn::Vgg19& model, const Vgg19Weights& weights) {
  for (auto& [name, parameter] : model.named_parameters()) {
    const Tensor* t = find(weights.tensors, name);
    NST_CHECK(t != nullptr, "VGG19 weights lack ", name);
    parameter.value().copy_from(*t);
  }
  model.set_preprocessing(weights.preprocessing);
  model.set_requires_grad(false);
}

void write_vgg19_safetensors(const std::string& path, const Vgg19Weights& weights,
                             const std::string& source_description) {
  write_safetensors(path, weights.tensors,
                    {{"format", "pt"},
                     {"nst.model", "vgg19.features"},
                     {"nst.preprocessing", weights.preprocessing.name},
                     {"nst.source", source_description}});
}

}  // namespace nst
