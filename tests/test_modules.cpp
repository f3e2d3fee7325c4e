#include <gtest/gtest.h>

#include <memory>

#include "autograd/backward.h"
#include "nn/conv2d.h"
#include "nn/module.h"
#include "nn/reduction_ops.h"
#include "tensor/conv2d_reference.h"
#include "tensor/error.h"
#include "tests/test_util.h"

namespace nst {
namespace {

using testing::all_close;
using testing::random_tensor;

// A torchvision-like layout: features = Sequential(conv, relu, pool, conv).
class TinyNet : public nn::Module {
 public:
  TinyNet() {
    features_ = std::make_shared<nn::Sequential>();
    features_
        ->append(std::make_shared<nn::Conv2d>(
            nn::Conv2dParams{.in_channels = 3, .out_channels = 4, .padding = 1}))
        .append(std::make_shared<nn::ReLU>())
        .append(std::make_shared<nn::MaxPool2d>())
        .append(std::make_shared<nn::Conv2d>(
            nn::Conv2dParams{.in_channels = 4, .out_channels = 2, .padding = 1, .bias = false}));
    register_child("features", features_);
  }
  Var forward(const Var& x) override { return features_->forward(x); }
  nn::Sequential& features() { return *features_; }

 private:
  std::shared_ptr<nn::Sequential> features_;
};

// The Winograd filters a Conv2d caches follow its weight: a write to the weight's values, or
// another weight tensor, makes them again (nn/conv2d.h, WinogradFilterCache).
TEST(Conv2dModule, WinogradFiltersFollowTheWeight) {
  const testing::ScopedEnv winograd("NST_CONV", "fused");  // the GEMM path shares the cache
  nn::Conv2d conv(nn::Conv2dParams{.in_channels = 4, .out_channels = 3, .padding = 1});
  conv.weight().value().copy_from(random_tensor(conv.weight().shape(), 1));
  const Var x(random_tensor(Shape{1, 4, 9, 10}, 2));
  const Conv2dShape s = nn::conv2d_shape(x.shape(), conv.weight().shape(), {.padding = 1});
  auto expected = [&] {
    Tensor out(Shape{1, 3, 9, 10});
    conv2d_forward_naive(out.data(), x.value().data(), conv.weight().value().data(),
                         conv.bias().value().data(), s);
    return out;
  };
  EXPECT_TRUE(all_close(conv.forward(x).value(), expected(), 1e-5, 1e-5));
  conv.weight().value().data()[5] += 1.0f;  // in place
  EXPECT_TRUE(all_close(conv.forward(x).value(), expected(), 1e-5, 1e-5));
  conv.weight().value() = random_tensor(conv.weight().shape(), 3);  // another tensor
  EXPECT_TRUE(all_close(conv.forward(x).value(), expected(), 1e-5, 1e-5));
}

TEST(Module, ParametersAreNamedLikeAPyTorchStateDict) {
  TinyNet net;
  std::vector<std::string> names;
  for (auto& [name, p] : net.named_parameters())
    names.push_back(name + " " + p.shape().to_string());
  EXPECT_EQ(names,
            (std::vector<std::string>{"features.0.weight [4, 3, 3, 3]", "features.0.bias [4]",
                                      "features.3.weight [2, 4, 3, 3]"}));
}

TEST(Module, ParametersAreSharedHandles) {
  TinyNet net;
  auto& conv = dynamic_cast<nn::Conv2d&>(net.features()[0]);
  net.named_parameters()[0].second.value().fill(0.25f);
  EXPECT_EQ(conv.weight().value().data()[0], 0.25f);
}

TEST(Module, ForwardRangeStopsEarlyAndFreezingSkipsWeightGradients) {
  TinyNet net;
  for (auto& [name, p] : net.named_parameters()) p.value().copy_from(random_tensor(p.shape(), 1));
  Var x(random_tensor(Shape{1, 3, 6, 6}, 2), true);
  EXPECT_EQ(net.features().forward_range(x, 0, 3).shape(), (Shape{1, 4, 3, 3}));
  EXPECT_EQ(net.forward(x).shape(), (Shape{1, 2, 3, 3}));
  EXPECT_THROW(net.features().forward_range(x, 2, 5), Error);

  net.set_requires_grad(false);
  backward(nn::sum(net.forward(x)));
  EXPECT_TRUE(x.grad().defined());
  for (auto& [name, p] : net.named_parameters()) EXPECT_FALSE(p.grad().defined()) << name;
}

}  // namespace
}  // namespace nst
