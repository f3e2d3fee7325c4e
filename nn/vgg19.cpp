#include "nn/vgg19.h"

#include <algorithm>
#include <cmath>

#include "tensor/error.h"
#include "tensor/random.h"

namespace nst::nn {

const std::vector<Vgg19Layer>& vgg19_layers() {
  static const std::vector<Vgg19Layer> layers = [] {
    // Convolutions per block and their widths, as in the paper's configuration "E".
    const int convs_per_block[5] = {2, 2, 4, 4, 4};
    const int widths[5] = {64, 128, 256, 512, 512};
    std::vector<Vgg19Layer> out;
    int in = 3;
    for (int block = 0; block < 5; ++block) {
      for (int i = 1; i <= convs_per_block[block]; ++i) {
        const std::string suffix = std::to_string(block + 1) + "_" + std::to_string(i);
        out.push_back({"conv" + suffix, Vgg19Layer::Kind::conv, in, widths[block]});
        out.push_back({"relu" + suffix, Vgg19Layer::Kind::relu, 0, 0});
        in = widths[block];
      }
      out.push_back({"pool" + std::to_string(block + 1), Vgg19Layer::Kind::pool, 0, 0});
    }
    return out;
  }();
  return layers;
}

int vgg19_layer_index(std::string_view name) {
  const auto& layers = vgg19_layers();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    if (layers[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::vector<std::string> vgg19_relu_names() {
  std::vector<std::string> names;
  for (const Vgg19Layer& layer : vgg19_layers()) {
    if (layer.kind == Vgg19Layer::Kind::relu) names.push_back(layer.name);
  }
  return names;
}

std::vector<Vgg19Conv> vgg19_convs(int height, int width, int last) {
  std::vector<Vgg19Conv> convs;
  for (int i = 0; i <= last; ++i) {
    const Vgg19Layer& layer = vgg19_layers().at(i);
    if (layer.kind == Vgg19Layer::Kind::pool) {  // 2x2, stride 2: floor division
      height /= 2;
      width /= 2;
    }
    if (layer.kind != Vgg19Layer::Kind::conv) continue;
    convs.push_back({i, Conv2dShape{.N = 1,
                                    .C = layer.in_channels,
                                    .H = height,
                                    .W = width,
                                    .K = layer.out_channels,
                                    .kernel = 3,
                                    .stride = 1,
                                    .padding = 1}});
  }
  return convs;
}

std::vector<Vgg19ConvShape> vgg19_conv_shapes(int height, int width, std::string_view last) {
  const int last_index = vgg19_layer_index(last);
  NST_CHECK(last_index >= 0 && vgg19_layers()[last_index].kind == Vgg19Layer::Kind::conv,
            "vgg19_conv_shapes: '", last, "' is not a convolution of VGG19");
  std::vector<Vgg19ConvShape> shapes;
  for (const Vgg19Conv& conv : vgg19_convs(height, width, last_index)) {
    if (!shapes.empty() && shapes.back().shape == conv.shape) {
      ++shapes.back().count;
    } else {
      shapes.push_back({vgg19_layers()[conv.layer].name, conv.shape, 1});
    }
  }
  return shapes;
}

Preprocessing Preprocessing::torchvision() {
  return {"torchvision",
          ChannelAffine::mean_std({0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f})};
}

Preprocessing Preprocessing::caffe() {
  // Output channel c (B, G, R) reads input channel 2 - c of the RGB image.
  return {"caffe",
          ChannelAffine{{255.0f, 255.0f, 255.0f}, {-103.939f, -116.779f, -123.68f}, {2, 1, 0}}};
}

Preprocessing Preprocessing::by_name(const std::string& name) {
  if (name == "torchvision") return torchvision();
  if (name == "caffe") return caffe();
  fail("unknown preprocessing '", name, "' (expected torchvision or caffe)");
}

Vgg19::Vgg19(Pooling pooling, Preprocessing preprocessing)
    : features_(std::make_shared<Sequential>()),
      preprocessing_(std::move(preprocessing)),
      pooling_(pooling) {
  for (const Vgg19Layer& layer : vgg19_layers()) {
    switch (layer.kind) {
      case Vgg19Layer::Kind::conv: {
        auto conv = std::make_shared<Conv2d>(Conv2dParams{.in_channels = layer.in_channels,
                                                          .out_channels = layer.out_channels,
                                                          .kernel = 3,
                                                          .padding = 1});
        convs_.push_back(conv);
        features_->append(conv);
        break;
      }
      case Vgg19Layer::Kind::relu: features_->append(std::make_shared<ReLU>()); break;
      case Vgg19Layer::Kind::pool:
        if (pooling == Pooling::max) {
          features_->append(std::make_shared<MaxPool2d>());
        } else {
          features_->append(std::make_shared<AvgPool2d>());
        }
        break;
    }
  }
  register_child("features", features_);
  set_requires_grad(false);  // frozen: style transfer optimises the image, not the network
}

Var Vgg19::forward(const Var& image) {
  std::vector<Var> none;
  return run(image, static_cast<int>(vgg19_layers().size()) - 1, {}, none);
}

std::vector<Var> Vgg19::features(const Var& image, const std::vector<std::string>& layers,
                                 const LayerHook& after) {
  NST_CHECK(image.shape().rank() == 4 && image.shape()[1] == 3,
            "VGG19 needs an RGB image [N, 3, H, W], got ", image.shape());
  std::vector<int> indices;
  for (const std::string& name : layers) {
    const int index = vgg19_layer_index(name);
    if (index < 0) {
      std::string valid;
      for (const Vgg19Layer& layer : vgg19_layers())
        valid += (valid.empty() ? "" : ", ") + layer.name;
      fail("unknown VGG19 layer '", name, "'; valid names: ", valid);
    }
    indices.push_back(index);
  }
  std::vector<Var> outputs(layers.size());
  if (layers.empty()) return outputs;
  run(image, *std::max_element(indices.begin(), indices.end()), indices, outputs, after);
  return outputs;
}

Var Vgg19::run(const Var& image, int last, const std::vector<int>& wanted,
               std::vector<Var>& outputs, const LayerHook& after) {
  const std::vector<Vgg19Layer>& layers = vgg19_layers();
  auto is_wanted = [&wanted](int i) {
    return std::find(wanted.begin(), wanted.end(), i) != wanted.end();
  };
  // Each activation is released as soon as the next layer has run, unless it is wanted or an
  // op's backward keeps it (fused convolutions keep only bits, pooling only argmaxes).
  Var x = channel_affine(image, preprocessing_.map);
  for (int i = 0; i <= last; ++i) {
    const bool fuse_relu = layers[i].kind == Vgg19Layer::Kind::conv && i < last &&
                           layers[i + 1].kind == Vgg19Layer::Kind::relu && !is_wanted(i);
    if (fuse_relu) {
      x = static_cast<Conv2d&>((*features_)[i]).forward(x, true);
      ++i;  // the ReLU ran inside the convolution
    } else {
      x = (*features_)[i].forward(x);
    }
    if (after) x = after(i, x);
    for (std::size_t k = 0; k < wanted.size(); ++k) {
      if (wanted[k] == i) outputs[k] = x;
    }
  }
  return x;
}

void Vgg19::init_random(uint64_t seed) {
  Random random(seed);
  for (auto& conv : convs_) {
    const Conv2dParams& p = conv->params();
    const auto fan_out = static_cast<float>(p.out_channels * p.kernel * p.kernel);
    random.fill_normal(conv->weight().value().values(), 0.0f, std::sqrt(2.0f / fan_out));
    conv->bias().value().fill(0.0f);
  }
}

}  // namespace nst::nn
