#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "autograd/backward.h"
#include "autograd/grad_mode.h"
#include "nn/reduction_ops.h"
#include "nn/vgg19.h"
#include "tensor/aligned_buffer.h"
#include "tensor/elementwise.h"
#include "tensor/error.h"
#include "tests/fixture.h"
#include "tests/temp_dir.h"
#include "tests/test_util.h"
#include "tests/vgg_test_util.h"
#include "weights/locate.h"
#include "weights/safetensors.h"
#include "weights/vgg19_weights.h"

namespace nst {
namespace {

using testing::all_close;
using testing::TempDir;

TEST(Vgg19, LayoutMatchesTorchvision) {
  // tests/make_fixtures.py read torchvision.models.vgg19().features layer by layer.
  const testing::Fixture fixture = testing::Fixture::load("vgg19_layout");
  const Tensor& table = fixture["layers"];
  const auto& layers = nn::vgg19_layers();
  ASSERT_EQ(static_cast<int64_t>(layers.size()), table.dim(0));
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const float* row = table.data() + 3 * i;
    EXPECT_EQ(static_cast<int>(layers[i].kind), static_cast<int>(row[0])) << layers[i].name;
    if (layers[i].kind == nn::Vgg19Layer::Kind::conv) {
      EXPECT_EQ(layers[i].in_channels, row[1]) << layers[i].name;
      EXPECT_EQ(layers[i].out_channels, row[2]) << layers[i].name;
    }
  }
}

TEST(Vgg19, LayerNamesHaveTorchvisionIndices) {
  // README, "The losses": relu1_1=1, relu1_2=3, relu2_1=6, relu2_2=8, relu3_1=11, ..., relu5_4=35.
  const std::pair<const char*, int> expected[] = {
      {"relu1_1", 1},  {"relu1_2", 3},  {"relu2_1", 6},  {"relu2_2", 8},  {"relu3_1", 11},
      {"relu3_2", 13}, {"relu3_3", 15}, {"relu3_4", 17}, {"relu4_1", 20}, {"relu4_2", 22},
      {"relu4_3", 24}, {"relu4_4", 26}, {"relu5_1", 29}, {"relu5_2", 31}, {"relu5_3", 33},
      {"relu5_4", 35}, {"conv1_1", 0},  {"pool1", 4},    {"pool5", 36}};
  for (const auto& [name, index] : expected) EXPECT_EQ(nn::vgg19_layer_index(name), index) << name;
  EXPECT_EQ(nn::vgg19_layer_index("relu6_1"), -1);
  EXPECT_EQ(nn::vgg19_relu_names().size(), 16u);
}

TEST(Vgg19, ParametersAreNamedLikeTorchvisionAndFrozen) {
  nn::Vgg19 model;
  const auto params = model.named_parameters();
  ASSERT_EQ(params.size(), 32u);
  EXPECT_EQ(params[0].first, "features.0.weight");
  EXPECT_EQ(params[31].first, "features.34.bias");
  for (const auto& [name, p] : params) EXPECT_FALSE(p.requires_grad()) << name;
}

TEST(Vgg19, FeaturesStopAtTheDeepestLayerAskedFor) {
  nn::Vgg19 model;
  model.init_random(3);
  Var image(testing::random_tensor(Shape{1, 3, 32, 48}, 4, 0.0f, 1.0f), true);
  const auto out = model.features(image, {"relu3_1", "relu1_1", "pool2"});
  EXPECT_EQ(out[0].shape(), (Shape{1, 256, 8, 12}));
  EXPECT_EQ(out[1].shape(), (Shape{1, 64, 32, 48}));
  EXPECT_EQ(out[2].shape(), (Shape{1, 128, 8, 12}));
  // Only the image gets a gradient.
  backward(nn::sum(out[0]));
  EXPECT_TRUE(image.grad().defined());
  for (const auto& [name, p] : model.named_parameters()) EXPECT_FALSE(p.grad().defined()) << name;
  try {
    model.features(image, {"relu9_9"});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("relu5_4"), std::string::npos)
        << "lists valid names: " << e.what();
  }
}

// The shapes benchmarks measure are the ones the network runs: each shape's input size is that
// of its first layer's ReLU output (padding 1 keeps the size), on an odd-sized image.
TEST(Vgg19, ConvShapesAreTheOnesTheNetworkRuns) {
  const auto shapes = nn::vgg19_conv_shapes(21, 37);
  ASSERT_EQ(shapes.size(), 9u);
  int count = 0;
  std::vector<std::string> relus;
  for (const auto& s : shapes) {
    count += s.count;
    relus.push_back("relu" + s.first_layer.substr(4));
  }
  EXPECT_EQ(count, 13);  // conv1_1 .. conv5_1
  EXPECT_EQ(shapes[5].first_layer, "conv3_2");
  EXPECT_EQ(shapes[5].count, 3);
  nn::Vgg19 model;
  model.init_random(3);
  NoGradGuard no_grad;
  const auto out = model.features(Var(testing::random_tensor(Shape{1, 3, 21, 37}, 4)), relus);
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    const Conv2dShape& s = shapes[i].shape;
    EXPECT_EQ(out[i].shape(), (Shape{1, s.K, s.H, s.W})) << shapes[i].first_layer;
    if (i > 0) {
      EXPECT_EQ(s.C, shapes[i - 1].shape.K) << shapes[i].first_layer;
    }
  }
  EXPECT_THROW(nn::vgg19_conv_shapes(64, 64, "relu5_1"), Error);
}

// The lean graph, in bytes: after the forward pass to relu5_1 with the image learning, the
// only new tensor memory is the requested output, one bit per ReLU element and one byte per
// max-pooling output (tensor buffers are rounded up to 64 bytes). No activation is kept: the
// frozen convolutions need only their weights. The budget is computed by hand from the shapes.
TEST(Vgg19, TheGraphKeepsOnlyReluBitsAndPoolingBytes) {
  nn::Vgg19 model;
  model.init_random(1);
  const int64_t H = 37, W = 45;  // odd: every pooling drops a row or column
  Var image(testing::random_tensor(Shape{1, 3, H, W}, 2, 0.0f, 1.0f), true);
  model.features(image, {"relu5_1"});  // once first: the convolutions cache Winograd filters
  const std::size_t before = TensorMemory::live_bytes();
  std::vector<Var> out = model.features(image, {"relu5_1"});
  const auto kept = static_cast<int64_t>(TensorMemory::live_bytes() - before);

  auto round64 = [](int64_t bytes) { return (bytes + 63) / 64 * 64; };
  struct Block {
    int64_t channels, convs;
  };
  const Block blocks[] = {{64, 2}, {128, 2}, {256, 4}, {512, 4}, {512, 1}};  // to conv5_1
  int64_t h = H, w = W, relu_bits = 0, pool_bytes = 0, activations = 0;
  for (std::size_t b = 0; b < std::size(blocks); ++b) {
    const auto [channels, convs] = blocks[b];
    relu_bits += convs * round64((channels * h * w + 7) / 8);
    activations += convs * channels * h * w * 4;
    if (b + 1 < std::size(blocks)) {  // pool1..pool4
      h /= 2, w /= 2;
      pool_bytes += round64(channels * h * w);
    }
  }
  const int64_t output = round64(512 * h * w * 4);
  std::printf(
      "graph to relu5_1 at %lldx%lld: %lld bytes kept = output %lld + ReLU bits %lld + "
      "pooling bytes %lld (the ReLU outputs alone: %lld)\n",
      static_cast<long long>(W), static_cast<long long>(H), static_cast<long long>(kept),
      static_cast<long long>(output), static_cast<long long>(relu_bits),
      static_cast<long long>(pool_bytes), static_cast<long long>(activations));
  EXPECT_EQ(kept, output + relu_bits + pool_bytes);

  // Backward frees all of it; what stays is the image's gradient.
  backward(nn::sum(out[0]));
  out.clear();
  EXPECT_EQ(static_cast<int64_t>(TensorMemory::live_bytes() - before), round64(3 * H * W * 4));
}

TEST(Vgg19, RandomInitIsSeededAndHeScaled) {
  nn::Vgg19 a, b, c;
  a.init_random(7);
  b.init_random(7);
  c.init_random(8);
  EXPECT_TRUE(all_close(a.conv(5).weight().value(), b.conv(5).weight().value(), 0, 0));
  EXPECT_FALSE(all_close(a.conv(5).weight().value(), c.conv(5).weight().value(), 0, 0));
  // conv4_1 weights: 512 x 256 x 3 x 3, std sqrt(2 / (512 * 9)).
  const Tensor& w = a.conv(8).weight().value();
  const double std = std::sqrt(sum_squares(w.values()) / static_cast<double>(w.numel()));
  EXPECT_NEAR(std, std::sqrt(2.0 / (512 * 9)), 0.01 * std);
}

// A full-size VGG19 file with random values: written, read back, and run.
TEST(Vgg19, FullSizeRandomCheckpointRoundTripsInBothKeyStyles) {
  TempDir dir;
  nn::Vgg19 original;
  original.init_random(11);
  Vgg19Weights weights;
  weights.preprocessing = nn::Preprocessing::torchvision();
  for (auto& [name, p] : original.named_parameters()) weights.tensors.emplace_back(name, p.value());
  const std::string tv_path = dir.file("vgg19.safetensors");
  write_vgg19_safetensors(tv_path, weights, "test");
  EXPECT_NEAR(static_cast<double>(std::filesystem::file_size(tv_path)), 80.1e6, 0.2e6);

  // The same tensors under Caffe-style names, without metadata: preprocessing follows the keys.
  const NamedTensors caffe = testing::with_caffe_names(weights.tensors);
  const std::string caffe_path = dir.file("caffe.safetensors");
  write_safetensors(caffe_path, caffe, {});

  Var image(testing::random_tensor(Shape{1, 3, 32, 32}, 12, 0.0f, 1.0f));
  NoGradGuard no_grad;
  const Tensor expected = original.features(image, {"relu5_1"})[0].value();
  for (const std::string& path : {tv_path, caffe_path}) {
    const Vgg19Weights loaded = read_vgg19_weights(path);
    nn::Vgg19 model(nn::Pooling::max, loaded.preprocessing);
    load_vgg19(model, loaded);
    for (int i = 0; i < nn::Vgg19::kConvCount; ++i) {
      ASSERT_TRUE(
          all_close(model.conv(i).weight().value(), original.conv(i).weight().value(), 0, 0));
    }
    if (path == caffe_path) {
      EXPECT_EQ(loaded.key_style, "caffe");
      EXPECT_EQ(model.preprocessing().name, "caffe");
      continue;  // another preprocessing: another output
    }
    EXPECT_EQ(model.preprocessing().name, "torchvision");
    EXPECT_TRUE(all_close(model.features(image, {"relu5_1"})[0].value(), expected, 0, 0));
  }
}

TEST(Vgg19, CaffePreprocessingReordersToBgrAndScales) {
  // A pure-red pixel (1, 0, 0) becomes B, G, R = (-103.939, -116.779, 255 - 123.68).
  Var red(Tensor::from_values(Shape{1, 3, 1, 1}, std::vector<float>{1, 0, 0}));
  const Var out = nn::channel_affine(red, nn::Preprocessing::caffe().map);
  EXPECT_TRUE(all_close(out.value().values(), std::vector<float>{-103.939f, -116.779f, 131.32f},
                        1e-6, 1e-4));
}

class WeightsLookup : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"NST_WEIGHTS", "XDG_CACHE_HOME", "TORCH_HOME", "HOME"}) {
      const char* v = std::getenv(name);
      saved_.emplace_back(name, v ? std::optional<std::string>(v) : std::nullopt);
      ::unsetenv(name);
    }
    ::setenv("HOME", dir_.file("home").c_str(), 1);
  }
  void TearDown() override {
    for (const auto& [name, value] : saved_) {
      if (value)
        ::setenv(name.c_str(), value->c_str(), 1);
      else
        ::unsetenv(name.c_str());
    }
  }
  std::string touch(const std::string& path) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << "x";
    return path;
  }
  TempDir dir_;
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST_F(WeightsLookup, FollowsTheDocumentedOrder) {
  try {
    locate_weights();
    FAIL() << "nothing exists yet";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(dir_.file("home/.cache/nst/vgg19.safetensors")), std::string::npos) << m;
    EXPECT_NE(m.find(dir_.file("home/.cache/torch/hub/checkpoints/vgg19-dcbb9e9d.pth")),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("nst weights fetch"), std::string::npos) << m;
  }
  const std::string torch_file =
      touch(dir_.file("home/.cache/torch/hub/checkpoints/vgg19-dcbb9e9d.pth"));
  EXPECT_EQ(locate_weights(), torch_file);
  ::setenv("TORCH_HOME", dir_.file("th").c_str(), 1);
  const std::string torch_home_file = touch(dir_.file("th/hub/checkpoints/vgg19-dcbb9e9d.pth"));
  EXPECT_EQ(locate_weights(), torch_home_file);
  ::setenv("XDG_CACHE_HOME", dir_.file("xdg").c_str(), 1);
  const std::string cached = touch(dir_.file("xdg/nst/vgg19.safetensors"));
  EXPECT_EQ(locate_weights(), cached);
  ::setenv("NST_WEIGHTS", dir_.file("explicit.safetensors").c_str(), 1);
  EXPECT_THROW(locate_weights(), Error);  // named but missing: an error, not a fallback
  // (Made first: the order in which EXPECT_EQ evaluates its arguments differs by compiler.)
  const std::string explicit_file = touch(dir_.file("explicit.safetensors"));
  EXPECT_EQ(locate_weights(), explicit_file);
}

TEST(LoadVgg19Model, RandomWeightsAreAnnouncedAndSeeded) {
  std::ostringstream notices;
  std::string description;
  auto a = load_vgg19_model("random:5", nn::Pooling::average, notices, &description);
  auto b = load_vgg19_model("random:5", nn::Pooling::max, notices, nullptr);
  EXPECT_NE(notices.str().find("UNTRAINED"), std::string::npos);
  EXPECT_EQ(description, "random VGG19 (seed 5)");
  EXPECT_EQ(a->pooling(), nn::Pooling::average);
  EXPECT_TRUE(all_close(a->conv(0).weight().value(), b->conv(0).weight().value(), 0, 0));
  EXPECT_THROW(load_vgg19_model("random:x1", nn::Pooling::max, notices), Error);
}

}  // namespace
}  // namespace nst
