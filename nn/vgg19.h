// VGG19's convolutional part, exactly as torchvision builds vgg19().features: 16 conv 3x3
// (padding 1) each followed by ReLU, and a 2x2 stride-2 pool after each of the five blocks.
// Layer i of the Sequential is torchvision's features[i], so checkpoint keys
// "features.<i>.weight" match the parameter names; layers also have their conventional names
// conv1_1, relu1_1, ..., pool5. The weights are frozen: no weight gradient is ever computed.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nn/module.h"
#include "nn/normalize.h"
#include "tensor/conv2d_shape.h"

namespace nst::nn {

enum class Pooling { max, average };

struct Vgg19Layer {
  enum class Kind { conv, relu, pool };
  std::string name;  // "conv3_2"
  Kind kind;
  int in_channels, out_channels;  // conv only
};

// The 37 layers of features, in order (index = torchvision index).
const std::vector<Vgg19Layer>& vgg19_layers();
int vgg19_layer_index(std::string_view name);  // -1 for an unknown name
std::vector<std::string> vgg19_relu_names();   // relu1_1 ... relu5_4

// Every convolution among layers 0..last (indices into vgg19_layers()) with the shape it runs
// on one height x width image: each 2x2 pool before it halves the size, rounding down.
struct Vgg19Conv {
  int layer;  // index into vgg19_layers()
  Conv2dShape shape;
};
std::vector<Vgg19Conv> vgg19_convs(int height, int width, int last);

// The distinct convolution shapes VGG19 runs on one height x width image, from conv1_1 up to
// and with the convolution `last`, in order: the first layer with each shape and how many of
// the layers have it (conv3_2 to conv3_4 share one). For benchmarks.
struct Vgg19ConvShape {
  std::string first_layer;  // "conv3_2"
  Conv2dShape shape;
  int count;
};
std::vector<Vgg19ConvShape> vgg19_conv_shapes(int height, int width,
                                              std::string_view last = "conv5_1");

// How an RGB image with values in [0,1] is turned into the network's input; it belongs to the
// weights (it is what they were trained with).
struct Preprocessing {
  std::string name;  // "torchvision" or "caffe"
  ChannelAffine map;

  // ImageNet statistics: (x - (0.485, 0.456, 0.406)) / (0.229, 0.224, 0.225), RGB.
  static Preprocessing torchvision();
  // Caffe-trained VGG: BGR order, 0..255, minus (103.939, 116.779, 123.68).
  static Preprocessing caffe();
  static Preprocessing by_name(const std::string& name);  // throws for an unknown name
};

class Vgg19 : public Module {
 public:
  static constexpr int kConvCount = 16;

  explicit Vgg19(Pooling pooling = Pooling::max,
                 Preprocessing preprocessing = Preprocessing::torchvision());

  // All 37 layers on a [N, 3, H, W] RGB image in [0, 1].
  Var forward(const Var& image) override;
  // What runs on each layer's output before the next layer sees it: (layer index, output) ->
  // the output to go on with. Exact tiling cuts a tile's maps with it (nst/tiling.h).
  using LayerHook = std::function<Var(int layer, const Var& output)>;
  // The outputs of the named layers, in the order asked, running only as deep as the deepest
  // of them, each after `after` if given. Throws, listing the valid names, for an unknown one.
  std::vector<Var> features(const Var& image, const std::vector<std::string>& layers,
                            const LayerHook& after = {});

  Conv2d& conv(int i) { return *convs_.at(i); }  // the i-th convolution, 0..15
  const Preprocessing& preprocessing() const { return preprocessing_; }
  void set_preprocessing(Preprocessing p) { preprocessing_ = std::move(p); }
  Pooling pooling() const { return pooling_; }

  // torchvision's initialisation: weights ~ N(0, 2 / fan_out) (He, for ReLU), biases 0;
  // seeded and the same on every platform. For tests, benchmarks and teaching.
  void init_random(uint64_t seed);

 private:
  // Runs layers 0..last, fusing each convolution with its ReLU unless the convolution's own
  // output is wanted (`after` then sees the ReLU's index only); outputs[k] gets the output of
  // layer wanted[k].
  Var run(const Var& image, int last, const std::vector<int>& wanted, std::vector<Var>& outputs,
          const LayerHook& after = {});

  std::shared_ptr<Sequential> features_;
  std::vector<std::shared_ptr<Conv2d>> convs_;
  Preprocessing preprocessing_;
  Pooling pooling_;
};

}  // namespace nst::nn
